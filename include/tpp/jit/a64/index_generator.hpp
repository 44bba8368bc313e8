// The NEON indexed-rows generator (AArch64): gather, scatter and the embedding bag.
//
//   gather / scatter:  for k < count: row = table + idx[k] * ld_table (madd); copy the cols of one
//                      row 4 at a time, converting types (the last 1..3 exact, lane_io)
//   bag_sum:           for column blocks of up to 4 vectors: acc = 0;
//                        for k < count: acc += table[idx[k]][block];  out[block] = acc
//
// Indices are signed 32-bit (ldrsw) or 64-bit (ldr); count <= 0 does nothing (bag: zeros). The
// column loop is unrolled into the code, as on x86 (rows up to 8192 columns). Uses x0-x13 and
// v0-v7 only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/index_desc.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/io.hpp"

namespace tpp::jit::a64 {

// bf16 written needs BF16 (bfcvtn); rows up to 8192 columns
inline bool index_supports(const detail::index_desc& d) {
  if (!is_arm(d.level) || d.cols > 8192) return false;
  const dtype written = d.op == index_op::scatter ? d.table_type : d.other_type;
  return written != dtype::bf16 || d.level >= isa::neon_bf16;
}

class index_generator {
 public:
  explicit index_generator(const detail::index_desc& d) : d_(d) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  void emit() {
    using detail::index_args;
    a_.ldr(table_, x(0), offsetof(index_args, table));
    a_.ldr(idx_, x(0), offsetof(index_args, indices));
    a_.ldr(count_, x(0), offsetof(index_args, count));
    a_.ldr(other_, x(0), offsetof(index_args, other));
    a_.mov_imm(stride_, static_cast<std::uint64_t>(d_.ld_table) * size_of(d_.table_type));
    if (d_.op == index_op::bag_sum) emit_bag();
    else emit_copy();
    a_.ret();
  }

  // for k < count: row_ = the table row of idx[k]; body(); o_ advances by `other_step` bytes
  template <class Body>
  void for_each_index(long other_step, Body body) {
    label done;
    a_.subs(xzr, count_, 0);
    a_.b(cond::le, done);
    a_.add(p_, idx_, 0);
    a_.add(o_, other_, 0);
    label loop;
    a_.add(k_, count_, 0);
    a_.bind(loop);
    if (d_.index_type == index_width::i32) a_.ldrsw(row_, p_, 0);
    else a_.ldr(row_, p_, 0);
    a_.add(p_, p_, static_cast<std::uint32_t>(d_.index_type));
    a_.madd(row_, row_, stride_, table_);
    body();
    if (other_step) io_.add_imm(o_, o_, other_step);
    a_.subs(k_, k_, 1);
    a_.b(cond::ne, loop);
    a_.bind(done);
  }

  void emit_copy() {
    const bool gather = d_.op == index_op::gather;
    const dtype src_t = gather ? d_.table_type : d_.other_type, dst_t = gather ? d_.other_type : d_.table_type;
    for_each_index(static_cast<long>(d_.ld_other) * size_of(d_.other_type), [&] {
      const xreg src = gather ? row_ : o_, dst = gather ? o_ : row_;
      for (int j = 0; j < d_.cols; j += 4) {
        const int n = std::min(4, d_.cols - j);
        io_.load(v(0), src_t, src, static_cast<long>(j) * size_of(src_t), n);
        io_.store(v(0), dst_t, dst, static_cast<long>(j) * size_of(dst_t), n);
      }
    });
  }

  void emit_bag() {
    const int et = size_of(d_.table_type), eo = size_of(d_.other_type);
    for (int j0 = 0; j0 < d_.cols; j0 += 16) {
      const int lanes = std::min(4, (d_.cols - j0 + 3) / 4);
      const auto n_of = [&](int t) { return std::min(4, d_.cols - j0 - 4 * t); };
      for (int t = 0; t < lanes; ++t) a_.movi_zero(v(t));
      for_each_index(0, [&] {
        for (int t = 0; t < lanes; ++t) {
          io_.load(v(4 + t), d_.table_type, row_, static_cast<long>(j0 + 4 * t) * et, n_of(t));
          a_.fadd(v(t), v(t), v(4 + t));
        }
      });
      for (int t = 0; t < lanes; ++t) io_.store(v(t), d_.other_type, other_, static_cast<long>(j0 + 4 * t) * eo, n_of(t));
    }
  }

  const detail::index_desc d_;
  assembler a_;
  lane_io io_{a_, x(12), x(13)};
  const xreg table_ = x(1), idx_ = x(2), count_ = x(3), other_ = x(4), stride_ = x(5), p_ = x(6), o_ = x(7),
             k_ = x(8), row_ = x(9);
};

}  // namespace tpp::jit::a64
