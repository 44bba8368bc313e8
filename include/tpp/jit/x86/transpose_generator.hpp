// The x86 transpose generator for 32-bit elements (f32, i32): 8 x 8 tiles in ymm registers.
//
//   for j0 in column blocks of 16 (then the remainder):
//     for i0 in row blocks of 16 (then the remainder):         the block's four 8 x 8 tiles:
//       ymm r = in[i0 + r][j0 .. j0+8)          (rows past the edge: zero; columns masked)
//       8 x 8 transpose: unpck{l,h}ps -> shufps -> vperm2f128
//       out[j0 + c][i0 .. i0+8) = ymm c          (rows past the edge masked)
//
// 16 x 16 blocks read every input line (16 floats) whole and write every output line whole, two
// tiles back to back. Measured on Zen 3 (GB/s in + out, memcpy in the same run ~68): 59 at
// 256^2, 56 at 1000^2, but 20 at 1024^2, where a power-of-two ld puts the 16 rows of a block in
// one or two cache sets; 8 x 8 blocks, 16-row panels swept by columns, and software prefetch of
// either side did not do better (10-19 GB/s).
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
    util::StackFrame sf(this, 1, 6, 0, false);
    const Reg64 args = sf.p[0];
    in_ = sf.t[0];
    out_ = sf.t[1];
    pi_ = sf.t[2];
    po_ = sf.t[3];
    i_ = sf.t[4];
    j_ = sf.t[5];
    mov(in_, ptr[args]);
    mov(out_, ptr[args + 8]);
    const int nj = d_.cols / 16, jr = d_.cols % 16;
    if (nj) {
      Label loop;
      mov(j_, nj);
      L(loop);
      emit_column_block(16);
      add(in_, 16 * 4);
      add(out_, static_cast<int>(16 * 1L * d_.ldo * 4));
      dec(j_);
      jnz(loop, T_NEAR);
    }
    if (jr) emit_column_block(jr);
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  void emit_column_block(int cols) {
    using namespace Xbyak;
    mov(pi_, in_);
    mov(po_, out_);
    const int ni = d_.rows / 16, ir = d_.rows % 16;
    const auto tiles = [&](int rows) {
      for (int c0 = 0; c0 < cols; c0 += 8)
        for (int r0 = 0; r0 < rows; r0 += 8) emit_tile(std::min(8, rows - r0), std::min(8, cols - c0), c0, r0);
    };
    if (ni) {
      Label loop;
      mov(i_, ni);
      L(loop);
      tiles(16);
      add(pi_, static_cast<int>(16L * d_.ldi * 4));
      add(po_, 16 * 4);
      dec(i_);
      jnz(loop, T_NEAR);
    }
    if (ir) tiles(ir);
  }

  Xbyak::Address mask(int n) {
    std::vector<std::uint32_t> m(8, 0);
    for (int k = 0; k < n; ++k) m[k] = 0xFFFFFFFFu;
    return consts_.lanes(m);
  }

  // rs x cs tile at (row0, col0) of the block at pi_ / po_
  void emit_tile(int rs, int cs, int col0, int row0) {
    using namespace Xbyak;
    const auto Y = [](int i) { return Ymm(i); };
    if (cs < 8) vmovups(Y(15), mask(cs));
    for (int r = 0; r < 8; ++r) {
      const Address a = ptr[pi_ + static_cast<int>(static_cast<long>(row0 + r) * d_.ldi * 4 + col0 * 4)];
      if (r >= rs) vxorps(Y(r), Y(r), Y(r));
      else if (cs < 8) vmaskmovps(Y(r), Y(15), a);
      else vmovups(Y(r), a);
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
    if (rs < 8) vmovups(Y(0), mask(rs));
    for (int c = 0; c < cs; ++c) {
      const Address a = ptr[po_ + static_cast<int>(static_cast<long>(col0 + c) * d_.ldo * 4 + row0 * 4)];
      if (rs < 8) vmaskmovps(a, Y(0), Y(8 + c));
      else vmovups(a, Y(8 + c));
    }
  }

  const detail::transform_desc d_;
  const_table consts_;
  Xbyak::Reg64 in_, out_, pi_, po_, i_, j_;
};

}  // namespace tpp::jit::x86
