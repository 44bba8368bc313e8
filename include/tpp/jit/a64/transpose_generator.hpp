// The NEON transpose generator (AArch64), 32-bit elements: out (cols x rows) = in^T.
//
//   for i0 in row blocks of 4 (then the row tail):        x3-x6: the block's four source rows
//     for j0 in column blocks of 4 (then the column tail): x7-x10: four destination rows
//       v0..v3 = in rows i0.. (4 lanes each)                 ldr q (tails: lane_io, exact)
//       4x4 transpose in registers:  trn1/trn2 .4s, then trn1/trn2 .2d
//       out rows j0.. = v4..v7 (rows lanes each)
//
// Rows or columns past a tail are never loaded or stored: a block with rn rows loads rn source
// rows and stores rn lanes of each destination row. Uses x0-x17 and v0-v7 only.
#pragma once

#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/transform_desc.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/io.hpp"

namespace tpp::jit::a64 {

class transpose_generator {
 public:
  static bool supports(const detail::transform_desc& d) {
    return is_arm(d.level) && d.op == transform_op::transpose && d.esize == 4;
  }
  explicit transpose_generator(const detail::transform_desc& d) : d_(d) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  const xreg args_ = x(0), in_ = x(1), out_ = x(2), rowcnt_ = x(11), colcnt_ = x(12), ldi_ = x(13),
             ldo_ = x(14), ldo4_ = x(17);
  static xreg src(int r) { return x(3 + r); }
  static xreg dst(int c) { return x(7 + c); }

  void emit() {
    a_.ldr(in_, args_, 0);
    a_.ldr(out_, args_, 8);
    a_.mov_imm(ldi_, static_cast<std::uint64_t>(d_.ldi) * 4);
    a_.mov_imm(ldo_, static_cast<std::uint64_t>(d_.ldo) * 4);
    a_.mov_imm(ldo4_, static_cast<std::uint64_t>(d_.ldo) * 16);
    const int rb = d_.rows / 4, rtail = d_.rows % 4;
    if (rb) {
      label rows;
      a_.mov_imm(rowcnt_, static_cast<std::uint64_t>(rb));
      a_.bind(rows);
      row_block(4);
      a_.subs(rowcnt_, rowcnt_, 1);
      a_.b(cond::ne, rows);
    }
    if (rtail) row_block(rtail);
    a_.ret();
  }

  // rn (1..4) source rows from in_, written as rn lanes of every destination row at out_
  void row_block(int rn) {
    a_.add(src(0), in_, 0);
    for (int r = 1; r < rn; ++r) a_.add(src(r), src(r - 1), ldi_);
    const int cb = d_.cols / 4, ctail = d_.cols % 4;
    a_.add(dst(0), out_, 0);
    for (int c = 1; c < 4; ++c) a_.add(dst(c), dst(c - 1), ldo_);
    if (cb) {
      label cols;
      a_.mov_imm(colcnt_, static_cast<std::uint64_t>(cb));
      a_.bind(cols);
      block(rn, 4);
      for (int r = 0; r < rn; ++r) a_.add(src(r), src(r), 16);
      for (int c = 0; c < 4; ++c) a_.add(dst(c), dst(c), ldo4_);
      a_.subs(colcnt_, colcnt_, 1);
      a_.b(cond::ne, cols);
    }
    if (ctail) block(rn, ctail);
    if (rn == 4) {  // the next row block: 4 source rows down, 4 destination columns right
      a_.add(in_, in_, ldi_, 2);
      a_.add(out_, out_, 16);
    }
  }

  // One rn x cn block: v0..v3 <- source rows, v4..v7 -> destination rows
  void block(int rn, int cn) {
    for (int r = 0; r < rn; ++r) io_.load32(v(r), src(r), 0, cn);
    a_.trn1(v(4), v(0), v(1));  // (a0 b0 a2 b2)
    a_.trn2(v(5), v(0), v(1));  // (a1 b1 a3 b3)
    a_.trn1(v(6), v(2), v(3));  // (c0 d0 c2 d2)
    a_.trn2(v(7), v(2), v(3));  // (c1 d1 c3 d3)
    a_.trn1_2d(v(0), v(4), v(6));  // (a0 b0 c0 d0)
    a_.trn1_2d(v(1), v(5), v(7));  // (a1 b1 c1 d1)
    a_.trn2_2d(v(2), v(4), v(6));  // (a2 b2 c2 d2)
    a_.trn2_2d(v(3), v(5), v(7));  // (a3 b3 c3 d3)
    for (int c = 0; c < cn; ++c) io_.access(false, v(c), 4, dst(c), 0, rn);
  }

  const detail::transform_desc d_;
  assembler a_;
  lane_io io_{a_, x(15), x(16)};
};

}  // namespace tpp::jit::a64
