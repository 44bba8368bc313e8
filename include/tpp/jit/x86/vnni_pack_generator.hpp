// The x86 VNNI pack generator for 16-bit elements (bf16, f16): two rows interleave into one.
//
//   out[q][2j + t] = in[2q + t][j]      (t = 0, 1)
//
//   per 16 columns: a = row 2q, b = row 2q+1 (ymm);  lo = punpcklwd(a, b), hi = punpckhwd(a, b)
//   (both work inside 128-bit lanes), then vperm2i128 puts columns 0-7 and 8-15 in order: 64 bytes
//   out. The last cols % 16 columns move one element at a time, so no access leaves an operand.
// Runs at every x86 level (VEX ymm).
#pragma once

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/transform_desc.hpp"

namespace tpp::jit::x86 {

class vnni_pack_generator : public Xbyak::CodeGenerator {
 public:
  static bool supports(const detail::transform_desc& d) {
    return d.op == transform_op::vnni_pack && d.esize == 2 && 2LL * d.ldi * 2 < (1LL << 30) &&
           static_cast<long long>(d.cols) * 4 < (1LL << 30);
  }

  explicit vnni_pack_generator(const detail::transform_desc& d)
      : Xbyak::CodeGenerator(1 << 14, Xbyak::DontSetProtectRWE), d_(d) {
    emit();
  }

 private:
  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 5, 0, false);
    const Reg64 args = sf.p[0];
    const Reg64 in = sf.t[0], out = sf.t[1], q = sf.t[2], j = sf.t[3], s = sf.t[4];
    mov(in, ptr[args]);
    mov(out, ptr[args + 8]);
    const long row = static_cast<long>(d_.ldi) * 2;  // bytes per input row
    const int full = d_.cols / 16, tail = d_.cols % 16;
    Label rows;
    mov(q, d_.rows / 2);
    L(rows);
    if (full) {
      Label cols;
      xor_(j, j);  // byte offset of the 16-column group in the input row
      L(cols);
      vmovdqu(Ymm(0), ptr[in + j]);
      vmovdqu(Ymm(1), ptr[in + j + static_cast<int>(row)]);
      vpunpcklwd(Ymm(2), Ymm(0), Ymm(1));
      vpunpckhwd(Ymm(3), Ymm(0), Ymm(1));
      vperm2i128(Ymm(0), Ymm(2), Ymm(3), 0x20);
      vperm2i128(Ymm(1), Ymm(2), Ymm(3), 0x31);
      vmovdqu(ptr[out + j * 2], Ymm(0));
      vmovdqu(ptr[out + j * 2 + 32], Ymm(1));
      add(j, 32);
      cmp(j, full * 32);
      jl(cols, T_NEAR);
    }
    for (int c = full * 16; c < full * 16 + tail; ++c) {
      movzx(s.cvt32(), word[in + c * 2]);
      mov(word[out + c * 4], s.cvt16());
      movzx(s.cvt32(), word[in + static_cast<int>(row) + c * 2]);
      mov(word[out + c * 4 + 2], s.cvt16());
    }
    add(in, static_cast<int>(2 * row));
    add(out, static_cast<int>(static_cast<long>(d_.ldo) * 2));
    dec(q);
    jnz(rows, T_NEAR);
    vzeroupper();
    sf.close();
  }

  const detail::transform_desc d_;
};

}  // namespace tpp::jit::x86
