// The NEON transpose generator (AArch64), 32-, 16- and 8-bit elements: out (cols x rows) = in^T,
// in blocks of L x L elements, L lanes per register:
//
//   esize 4: L = 4, q registers, trn stages on .4s then .2d
//   esize 2: L = 8, q registers, trn stages on .8h, .4s, .2d
//   esize 1: L = 8, d registers, trn stages on .8b, .4h, .2s
//
//   for i0 in row blocks of L (then the row tail):          in_ / out_: the block row's bases
//     for j0 in column blocks of L (then the column tail):  src_ / dst_: the block's corners
//       v0..v(L-1) = in rows i0..  (cn lanes each)             walking p_ down the rows
//       log2(L) stages: registers i and i + d (d = 1, 2, 4) -> trn1 / trn2 on lanes of d
//         elements, between v0.. and v16.. (v8-v15 are callee-saved, never touched)
//       out rows j0.. = the last stage's registers (rn lanes each)  walking q_ down the rows
//
// Rows or columns past a tail are never loaded or stored: a block with rn rows loads rn source
// rows and stores rn lanes of each destination row (the other lanes hold stale values).
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
    return is_arm(d.level) && d.op == transform_op::transpose && (d.esize == 4 || d.esize == 2 || d.esize == 1);
  }
  explicit transpose_generator(const detail::transform_desc& d)
      : d_(d), es_(d.esize), L_(d.esize == 4 ? 4 : 8), q_regs_(d.esize != 1) {
    emit();
  }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  const xreg args_ = x(0), in_ = x(1), out_ = x(2), src_ = x(3), dst_ = x(4), p_ = x(5), q_ = x(6),
             rowcnt_ = x(7), colcnt_ = x(8), ldi_ = x(9), ldo_ = x(10), ldo_block_ = x(11);
  // stage registers: even stages read set 0 (v0..) and write set 1 (v16..), odd ones the reverse
  static vreg reg_of(int set, int i) { return v(set * 16 + i); }

  int log2_l() const { return L_ == 4 ? 2 : 3; }

  void emit() {
    a_.ldr(in_, args_, 0);
    a_.ldr(out_, args_, 8);
    a_.mov_imm(ldi_, static_cast<std::uint64_t>(d_.ldi) * es_);
    a_.mov_imm(ldo_, static_cast<std::uint64_t>(d_.ldo) * es_);
    a_.mov_imm(ldo_block_, static_cast<std::uint64_t>(d_.ldo) * es_ * L_);
    const int rb = d_.rows / L_, rtail = d_.rows % L_;
    if (rb) {
      label rows;
      a_.mov_imm(rowcnt_, static_cast<std::uint64_t>(rb));
      a_.bind(rows);
      row_block(L_);
      a_.subs(rowcnt_, rowcnt_, 1);
      a_.b(cond::ne, rows);
    }
    if (rtail) row_block(rtail);
    a_.ret();
  }

  // rn (1..L) source rows from in_, written as rn lanes of every destination row from out_
  void row_block(int rn) {
    a_.add(src_, in_, 0);
    a_.add(dst_, out_, 0);
    const int cb = d_.cols / L_, ctail = d_.cols % L_;
    if (cb) {
      label cols;
      a_.mov_imm(colcnt_, static_cast<std::uint64_t>(cb));
      a_.bind(cols);
      block(rn, L_);
      a_.add(src_, src_, static_cast<std::uint32_t>(L_ * es_));
      a_.add(dst_, dst_, ldo_block_);
      a_.subs(colcnt_, colcnt_, 1);
      a_.b(cond::ne, cols);
    }
    if (ctail) block(rn, ctail);
    if (rn == L_) {  // the next row block: L source rows down, L destination columns right
      a_.add(in_, in_, ldi_, log2_l());
      a_.add(out_, out_, static_cast<std::uint32_t>(L_ * es_));
    }
  }

  // One rn x cn block: set 0 <- source rows, the stages, destination rows <- the last set
  void block(int rn, int cn) {
    a_.add(p_, src_, 0);
    for (int r = 0; r < rn; ++r) {
      io_.access(true, reg_of(0, r), es_, p_, 0, cn);
      if (r + 1 < rn) a_.add(p_, p_, ldi_);
    }
    int set = 0;
    for (int s = 0; s < log2_l(); ++s, set ^= 1) {
      const int dist = 1 << s, lane_bytes = es_ << s;
      for (int i = 0; i < L_; ++i) {
        if (i & dist) continue;  // i is the first of the pair (i, i + dist)
        a_.trn1(reg_of(set ^ 1, i), reg_of(set, i), reg_of(set, i + dist), lane_bytes, q_regs_);
        a_.trn2(reg_of(set ^ 1, i + dist), reg_of(set, i), reg_of(set, i + dist), lane_bytes, q_regs_);
      }
    }
    a_.add(q_, dst_, 0);
    for (int c = 0; c < cn; ++c) {
      io_.access(false, reg_of(set, c), es_, q_, 0, rn);
      if (c + 1 < cn) a_.add(q_, q_, ldo_);
    }
  }

  const detail::transform_desc d_;
  const int es_, L_;
  const bool q_regs_;  // 16-byte registers (32- and 16-bit); 8-byte ones for bytes
  assembler a_;
  lane_io io_{a_, x(15), x(16)};
};

}  // namespace tpp::jit::a64
