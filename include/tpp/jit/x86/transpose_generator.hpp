// The x86 transpose generator for 32-bit elements (f32, i32): 8 x 8 tiles in ymm registers.
//
//   for j0 in column panels of 16:                     whole 16 x 16 blocks
//     for i0 in row blocks of 16:   in[i0..+16)[j0..+16) -> out[j0..+16)[i0..+16), staged
//   then the right strip (cols % 16) and the bottom strip (rows % 16), tile by tile:
//       ymm r = in[i0 + r][j0 .. j0+8)          (rows past the edge: zero; columns masked)
//       8 x 8 transpose: unpck{l,h}ps -> shufps -> vperm2f128
//       out[j0 + c][i0 .. i0+8) = ymm c          (rows past the edge masked)
//
// A whole block is staged so that each of its 16 input lines and 16 output lines is touched in
// one burst: the left tiles read input lines whole (two loads back to back) and park the right
// halves in a stack buffer for the right tiles; the top tiles park their half output lines, and
// the bottom tiles write each output line whole, the parked half and their own back to back.
// With a power-of-two ld a block's 16 lines share one 8-way L1 set, and a line touched in two
// visits came in twice. Zen 3, 1024^2 f32, GB/s in + out (memcpy in the same run ~55-63):
// unstaged 13.7, staged ~22-30; 1000^2: 35 -> 44-52. Panels 32 or 64 wide, super-rows of 32..256,
// a diagonal block order, software prefetch of the next block's lines (either side) and
// non-temporal stores were each tried and were slower or no better.
// Runs at every x86 level (VEX ymm); masks use vmaskmovps, so no access leaves an operand.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/transform_desc.hpp"
#include "tpp/jit/x86/const_table.hpp"

namespace tpp::jit::x86 {

class transpose_generator : public Xbyak::CodeGenerator {
 public:
  // 32-bit transpose whose 8-row displacements fit in 31 bits
  static bool supports(const detail::transform_desc& d) {
    return d.op == transform_op::transpose && d.esize == 4 && 16LL * d.ldi * 4 < (1LL << 30) &&
           8LL * d.ldo * 4 < (1LL << 30);
  }

  explicit transpose_generator(const detail::transform_desc& d)
      : Xbyak::CodeGenerator(1 << 16, Xbyak::DontSetProtectRWE), d_(d), consts_(32) {
    emit();
  }

 private:
  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 10, stage_bytes + 64, false);
    const Reg64 args = sf.p[0];
    in_ = sf.t[0];
    out_ = sf.t[1];
    pi_ = sf.t[2];
    po_ = sf.t[3];
    i_ = sf.t[4];
    j_ = sf.t[5];
    di_ = sf.t[6];
    do_ = sf.t[7];
    big_ = sf.t[8];
    stage_ = sf.t[9];
    lea(stage_, ptr[rsp + 63]);  // 64-byte aligned: each parked row is one L1 line
    and_(stage_, -64);
    mov(in_, ptr[args]);
    mov(out_, ptr[args + 8]);
    const int ni = d_.rows / 16, nj = d_.cols / 16, ir = d_.rows % 16, jr = d_.cols % 16;
    if (ni && nj) {  // whole blocks, column panel by column panel
      mov(di_, in_);
      mov(do_, out_);
      Label panel;
      mov(j_, nj);
      L(panel);
      mov(pi_, di_);
      mov(po_, do_);
      walk(ni, 16L * d_.ldi * 4, 16 * 4, [&] { emit_block(16, 16); });
      add(di_, 16 * 4);
      add_big(do_, 16L * d_.ldo * 4);
      dec(j_);
      jnz(panel, T_NEAR);
    }
    if (jr && ni) {  // the right strip: rows [0, 16 ni) x cols [16 nj, cols)
      lea(pi_, ptr[in_ + nj * 16 * 4]);
      mov(po_, out_);
      add_big(po_, nj * 16L * d_.ldo * 4);
      walk(ni, 16L * d_.ldi * 4, 16 * 4, [&] { emit_block(16, jr); });
    }
    if (ir) {  // the bottom strip: rows [16 ni, rows) x every column
      mov(pi_, in_);
      add_big(pi_, ni * 16L * d_.ldi * 4);
      lea(po_, ptr[out_ + ni * 16 * 4]);
      if (nj) walk(nj, 16 * 4, 16L * d_.ldo * 4, [&] { emit_block(ir, 16); });
      if (jr) emit_block(ir, jr);
    }
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  // n steps of body(), moving pi_ / po_ by the given bytes after each
  template <class Body>
  void walk(int n, long in_step, long out_step, Body body) {
    using namespace Xbyak;
    Label loop;
    mov(i_, n);
    L(loop);
    body();
    add_big(pi_, in_step);
    add_big(po_, out_step);
    dec(i_);
    jnz(loop, T_NEAR);
  }

  // r += bytes, through a register where bytes does not fit an imm32
  void add_big(const Xbyak::Reg64& r, long bytes) {
    if (bytes == static_cast<int>(bytes)) {
      add(r, static_cast<int>(bytes));
    } else {
      mov(big_, bytes);
      add(r, big_);
    }
  }

  void emit_block(int rows, int cols) {
    if (rows == 16 && cols == 16) {  // staged: see the header
      for (int r0 = 0; r0 < 16; r0 += 8)
        for (int c0 = 0; c0 < 16; c0 += 8)
          emit_tile(8, 8, c0, r0,
                    {c0 == 0 ? source::in_park_rest : source::parked, r0 == 0 ? sink::park : sink::lines});
      return;
    }
    for (int c0 = 0; c0 < cols; c0 += 8)
      for (int r0 = 0; r0 < rows; r0 += 8)
        emit_tile(std::min(8, rows - r0), std::min(8, cols - c0), c0, r0, {source::in, sink::out});
  }

  Xbyak::Address mask(int n) {
    std::vector<std::uint32_t> m(8, 0);
    for (int k = 0; k < n; ++k) m[k] = 0xFFFFFFFFu;
    return consts_.lanes(m);
  }

  // A staged block's tiles (see the header) read their rows straight from the input (tails), read
  // whole input lines and park the right halves (left tiles), or read the parked halves (right
  // tiles); and they write straight out (tails), park their half output lines (top tiles), or
  // write whole output lines, parked half first (bottom tiles).
  enum class source { in, in_park_rest, parked };
  enum class sink { out, park, lines };
  struct route {
    source from;
    sink to;
  };
  static constexpr int out_stage = 0, in_stage = 16 * 32;   // 16 half output lines, 8 half input lines
  static constexpr int stage_bytes = in_stage + 8 * 32;

  // rs x cs tile at (row0, col0) of the block at pi_ / po_
  void emit_tile(int rs, int cs, int col0, int row0, route rt) {
    using namespace Xbyak;
    const auto Y = [](int i) { return Ymm(i); };
    if (cs < 8) vmovups(Y(15), mask(cs));
    for (int r = 0; r < 8; ++r) {
      const Address a = ptr[pi_ + static_cast<int>(static_cast<long>(row0 + r) * d_.ldi * 4 + col0 * 4)];
      if (rt.from == source::parked) {
        vmovaps(Y(r), ptr[stage_ + in_stage + r * 32]);
      } else if (rt.from == source::in_park_rest) {
        vmovups(Y(r), a);
        vmovups(Y(8), ptr[pi_ + static_cast<int>(static_cast<long>(row0 + r) * d_.ldi * 4 + 32)]);
        vmovaps(ptr[stage_ + in_stage + r * 32], Y(8));
      } else if (r >= rs) {
        vxorps(Y(r), Y(r), Y(r));
      } else if (cs < 8) {
        vmaskmovps(Y(r), Y(15), a);
      } else {
        vmovups(Y(r), a);
      }
    }
    // rows 0..7 in ymm0..7 -> columns 0..7 in ymm8..15
    for (int k = 0; k < 4; ++k) {
      vunpcklps(Y(8 + 2 * k), Y(2 * k), Y(2 * k + 1));
      vunpckhps(Y(9 + 2 * k), Y(2 * k), Y(2 * k + 1));
    }
    for (int h = 0; h < 2; ++h) {  // rows 0-3 (h = 0) and 4-7 into ymm 0-3 / 4-7
      const int t = 8 + 4 * h, s = 4 * h;
      vshufps(Y(s + 0), Y(t + 0), Y(t + 2), 0x44);  // columns 0 | 4
      vshufps(Y(s + 1), Y(t + 0), Y(t + 2), 0xEE);  // 1 | 5
      vshufps(Y(s + 2), Y(t + 1), Y(t + 3), 0x44);  // 2 | 6
      vshufps(Y(s + 3), Y(t + 1), Y(t + 3), 0xEE);  // 3 | 7
    }
    for (int c = 0; c < 4; ++c) {
      vperm2f128(Y(8 + c), Y(c), Y(4 + c), 0x20);
      vperm2f128(Y(12 + c), Y(c), Y(4 + c), 0x31);
    }
    if (rt.to != sink::out) {
      for (int c = 0; c < 8; ++c) {
        const Address parked = ptr[stage_ + out_stage + (col0 + c) * 32];
        const int line = static_cast<int>(static_cast<long>(col0 + c) * d_.ldo * 4);
        if (rt.to == sink::park) {
          vmovaps(parked, Y(8 + c));
        } else {
          vmovaps(Y(c), parked);
          vmovups(ptr[po_ + line], Y(c));
          vmovups(ptr[po_ + line + 32], Y(8 + c));
        }
      }
      return;
    }
    if (rs < 8) vmovups(Y(0), mask(rs));
    for (int c = 0; c < cs; ++c) {
      const Address a = ptr[po_ + static_cast<int>(static_cast<long>(col0 + c) * d_.ldo * 4 + row0 * 4)];
      if (rs < 8) vmaskmovps(a, Y(0), Y(8 + c));
      else vmovups(a, Y(8 + c));
    }
  }

  const detail::transform_desc d_;
  const_table consts_;
  Xbyak::Reg64 in_, out_, di_, do_, pi_, po_, i_, j_, big_, stage_;
};

}  // namespace tpp::jit::x86
