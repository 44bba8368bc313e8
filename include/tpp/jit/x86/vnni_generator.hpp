// The x86 VNNI generator: pack (g rows interleave into one) and unpack (its inverse), for pairs
// of 16-bit elements (bf16, f16; g = 2) and quads of 8-bit ones (i8, u8; g = 4).
//
//   pack:    out[q][g*j + t] = in[g*q + t][j]        unpack:  out[g*q + t][j] = in[q][g*j + t]
//
// One column block of W = 32 / esize columns (one ymm per row) a step:
//   pack, pairs:   lo/hi = punpck{l,h}wd(row 0, row 1), both inside 128-bit lanes; vperm2i128
//                  puts columns 0-7 and 8-15 in order: 64 bytes out
//   pack, quads:   punpck{l,h}bw of rows 0/1 and 2/3, then punpck{l,h}wd of those: four
//                  registers of quads (columns 0-3|16-19, 4-7|20-23, 8-11|24-27, 12-15|28-31),
//                  vperm2i128 orders them: 128 bytes out
//   unpack, pairs: vpshufb gathers each 128-bit lane's even and odd words, vpermq 0xD8 makes
//                  the halves [row 0 | row 1]; vperm2i128 of two such: two rows of 16
//   unpack, quads: vpshufb gathers byte t of each quad into dword t of its lane, vpermd puts
//                  the 8 bytes of row t in qword t; punpck{l,h}qdq and vperm2i128 of four such
//                  registers: four rows of 32
// The last cols % W columns move one element at a time, so no access leaves an operand.
// Runs at every x86 level (VEX ymm).
#pragma once

#include <cstdint>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/transform_desc.hpp"
#include "tpp/jit/x86/staging.hpp"

namespace tpp::jit::x86 {

class vnni_generator : public Xbyak::CodeGenerator {
 public:
  static bool supports(const detail::transform_desc& d) {
    if (d.op != transform_op::vnni_pack && d.op != transform_op::vnni_unpack) return false;
    if (d.esize != 1 && d.esize != 2) return false;
    const long long lim = 1LL << 30;  // displacements and row steps stay within 31 bits
    return static_cast<long long>(d.g) * d.ldi * d.esize < lim && static_cast<long long>(d.g) * d.ldo * d.esize < lim;
  }

  explicit vnni_generator(const detail::transform_desc& d)
      : Xbyak::CodeGenerator(1 << 14, Xbyak::DontSetProtectRWE, staging()), d_(d), g_(d.g), es_(d.esize) {
    emit();
  }

 private:
  using Ymm = Xbyak::Ymm;
  bool pack() const { return d_.op == transform_op::vnni_pack; }
  int width() const { return 32 / es_; }  // columns per block: one ymm of a row

  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 5, 0, false);
    const Reg64 args = sf.p[0];
    const Reg64 in = sf.t[0], out = sf.t[1], q = sf.t[2], j = sf.t[3], s = sf.t[4];
    mov(in, ptr[args]);
    mov(out, ptr[args + 8]);
    // the side of g rows (pack: in, unpack: out) and the side of one grouped row
    const int rows_ld = (pack() ? d_.ldi : d_.ldo) * es_;
    const int full = d_.cols / width();
    Label shuffle, rows;
    if (!pack() && full) {
      vbroadcasti128(Ymm(15), ptr[rip + shuffle]);
      if (g_ == 4) vmovdqu(Ymm(14), ptr[rip + shuffle + 16]);
    }
    mov(q, d_.rows / g_);
    L(rows);
    if (full) {
      Label cols;
      xor_(j, j);  // byte offset of the column block in an ungrouped row
      L(cols);
      if (pack()) pack_block(in, out, j, rows_ld);
      else unpack_block(in, out, j, rows_ld);
      add(j, 32);
      cmp(j, full * 32);
      jl(cols, T_NEAR);
    }
    for (int c = full * width(); c < d_.cols; ++c)
      for (int t = 0; t < g_; ++t) {
        const int ungrouped = t * rows_ld + c * es_, grouped = (c * g_ + t) * es_;
        move_element(pack() ? out + grouped : out + ungrouped, pack() ? in + ungrouped : in + grouped, s);
      }
    add(in, (pack() ? g_ : 1) * d_.ldi * es_);
    add(out, (pack() ? 1 : g_) * d_.ldo * es_);
    dec(q);
    jnz(rows, T_NEAR);
    vzeroupper();
    sf.close();
    if (!pack() && full) emit_constants(shuffle);
  }

  // g ungrouped rows (rows_ld bytes apart, at j) -> g*32 grouped bytes at 2j (pairs) / 4j (quads)
  void pack_block(const Xbyak::Reg64& in, const Xbyak::Reg64& out, const Xbyak::Reg64& j, int rows_ld) {
    for (int t = 0; t < g_; ++t) vmovdqu(Ymm(t), ptr[in + j + t * rows_ld]);
    if (g_ == 2) {
      vpunpcklwd(Ymm(2), Ymm(0), Ymm(1));
      vpunpckhwd(Ymm(3), Ymm(0), Ymm(1));
      vperm2i128(Ymm(0), Ymm(2), Ymm(3), 0x20);
      vperm2i128(Ymm(1), Ymm(2), Ymm(3), 0x31);
      for (int v = 0; v < 2; ++v) vmovdqu(ptr[out + j * 2 + v * 32], Ymm(v));
      return;
    }
    vpunpcklbw(Ymm(4), Ymm(0), Ymm(1));  // rows 0/1, columns 0-7 | 16-23
    vpunpckhbw(Ymm(5), Ymm(0), Ymm(1));  //            8-15 | 24-31
    vpunpcklbw(Ymm(6), Ymm(2), Ymm(3));  // rows 2/3
    vpunpckhbw(Ymm(7), Ymm(2), Ymm(3));
    vpunpcklwd(Ymm(0), Ymm(4), Ymm(6));  // quads of columns 0-3 | 16-19
    vpunpckhwd(Ymm(1), Ymm(4), Ymm(6));  //                  4-7 | 20-23
    vpunpcklwd(Ymm(2), Ymm(5), Ymm(7));  //                 8-11 | 24-27
    vpunpckhwd(Ymm(3), Ymm(5), Ymm(7));  //                12-15 | 28-31
    vperm2i128(Ymm(4), Ymm(0), Ymm(1), 0x20);  // columns 0-7
    vperm2i128(Ymm(5), Ymm(2), Ymm(3), 0x20);  // 8-15
    vperm2i128(Ymm(6), Ymm(0), Ymm(1), 0x31);  // 16-23
    vperm2i128(Ymm(7), Ymm(2), Ymm(3), 0x31);  // 24-31
    for (int v = 0; v < 4; ++v) vmovdqu(ptr[out + j * 4 + v * 32], Ymm(4 + v));
  }

  // g*32 grouped bytes at 2j / 4j -> g ungrouped rows (rows_ld bytes apart, at j). ymm15: the
  // vpshufb mask (both lanes), ymm14: the vpermd order (quads)
  void unpack_block(const Xbyak::Reg64& in, const Xbyak::Reg64& out, const Xbyak::Reg64& j, int rows_ld) {
    for (int v = 0; v < g_; ++v) {
      vmovdqu(Ymm(v), ptr[in + j * g_ + v * 32]);
      vpshufb(Ymm(v), Ymm(v), Ymm(15));
      if (g_ == 2) vpermq(Ymm(v), Ymm(v), 0xD8);  // [row 0 of both lanes | row 1 of both lanes]
      else vpermd(Ymm(v), Ymm(14), Ymm(v));      // qword t: row t's 8 bytes
    }
    if (g_ == 2) {
      vperm2i128(Ymm(2), Ymm(0), Ymm(1), 0x20);
      vperm2i128(Ymm(3), Ymm(0), Ymm(1), 0x31);
      for (int t = 0; t < 2; ++t) vmovdqu(ptr[out + j + t * rows_ld], Ymm(2 + t));
      return;
    }
    vpunpcklqdq(Ymm(4), Ymm(0), Ymm(1));  // row 0, columns 0-15 | row 2, 0-15
    vpunpckhqdq(Ymm(5), Ymm(0), Ymm(1));  // row 1 | row 3
    vpunpcklqdq(Ymm(6), Ymm(2), Ymm(3));  // the same for columns 16-31
    vpunpckhqdq(Ymm(7), Ymm(2), Ymm(3));
    vperm2i128(Ymm(0), Ymm(4), Ymm(6), 0x20);  // row 0
    vperm2i128(Ymm(1), Ymm(5), Ymm(7), 0x20);  // row 1
    vperm2i128(Ymm(2), Ymm(4), Ymm(6), 0x31);  // row 2
    vperm2i128(Ymm(3), Ymm(5), Ymm(7), 0x31);  // row 3
    for (int t = 0; t < 4; ++t) vmovdqu(ptr[out + j + t * rows_ld], Ymm(t));
  }

  void move_element(const Xbyak::RegExp& to, const Xbyak::RegExp& from, const Xbyak::Reg64& s) {
    if (es_ == 2) {
      movzx(s.cvt32(), word[from]);
      mov(word[to], s.cvt16());
    } else {
      movzx(s.cvt32(), byte[from]);
      mov(byte[to], s.cvt8());
    }
  }

  // after the code: the 16-byte vpshufb mask (pairs: even words, then odd ones; quads: byte t of
  // each quad into dword t), then for quads the vpermd order [0 4 1 5 2 6 3 7]
  void emit_constants(Xbyak::Label& shuffle) {
    align(32);
    L(shuffle);
    static const std::uint8_t pairs[16] = {0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15};
    static const std::uint8_t quads[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
    for (std::uint8_t b : g_ == 2 ? pairs : quads) db(b);
    if (g_ == 4)
      for (std::uint32_t i : {0u, 4u, 1u, 5u, 2u, 6u, 3u, 7u}) dd(i);
  }

  const detail::transform_desc d_;
  const int g_, es_;
};

}  // namespace tpp::jit::x86
