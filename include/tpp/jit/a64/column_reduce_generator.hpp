// The NEON column reduction generator (AArch64): out[j] = reduce_i in[i][j], f32 / bf16 / f16 in.
//
//   for passes over 8 rows at a time (detail::column_reduce_pass_rows says why):
//     for column blocks of 4 vectors (16 columns; then the remaining vectors, then the tail):
//       acc[u] (and sq[u]) = identity in the first pass, else out[block]   v0-v3 (v4-v7)
//       for i in the pass's rows:  x = in[i][block];  acc op= x        a pointer walks down by ld
//       out[block] = acc (out[ldo + block] = sq)
//
// max / min skip NaN (fmaxnm / fminnm: a quiet NaN loses), as std::fmax in the reference and the
// x86 kernels do. Tails load and store exactly their lanes. Uses x0-x13, v0-v7, v16-v19, v31.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/jit/a64/arith.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/io.hpp"
#include "tpp/ops/reduce_params.hpp"

namespace tpp::jit::a64 {

class column_reduce_generator {
  static constexpr int U = 4;  // vectors per block: 4 independent chains

 public:
  explicit column_reduce_generator(const detail::reduce_desc& d) : d_(d) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  const xreg in_ = x(1), out_ = x(2), p_ = x(3), i_ = x(4), blocks_ = x(5), ldi_ = x(6);
  const xreg in0_ = x(7), out0_ = x(8), skip_ = x(9), passes_ = x(13);
  bool both() const { return d_.op == reduce_kind::sum_and_sum_squares; }
  int es() const { return size_of(d_.in_type); }

  void emit() {
    a_.ldr(in0_, x(0), 0);
    a_.ldr(out0_, x(0), 8);
    a_.mov_imm(ldi_, static_cast<std::uint64_t>(d_.ldi) * es());
    float id = 0.0f;
    if (d_.op == reduce_kind::max) id = -std::numeric_limits<float>::infinity();
    if (d_.op == reduce_kind::min) id = std::numeric_limits<float>::infinity();
    emit_splat(a_, v(31), id, x(12));
    const int chunk = detail::column_reduce_pass_rows(d_, U * 4);
    const int first = std::min(d_.rows, chunk), later = (d_.rows - first) / chunk, rem = (d_.rows - first) % chunk;
    const auto skip_rows = [&](int n) {  // in0 += n rows
      a_.mov_imm(skip_, static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(d_.ldi) * es());
      a_.add(in0_, in0_, skip_);
    };
    pass(first, true);
    if (later || rem) skip_rows(first);
    if (later) {
      label loop;
      a_.mov_imm(passes_, static_cast<std::uint64_t>(later));
      a_.bind(loop);
      pass(chunk, false);
      skip_rows(chunk);
      a_.subs(passes_, passes_, 1);
      a_.b(cond::ne, loop);
    }
    if (rem) pass(rem, false);
    a_.ret();
  }

  // One pass over `rows` rows from in0 into out0; `first` starts from the identity, later
  // passes from the partial results in out
  void pass(int rows, bool first) {
    a_.add(in_, in0_, 0);
    a_.add(out_, out0_, 0);
    const int full = d_.cols / 4, blocks = full / U, rest = full % U, tail = d_.cols % 4;
    if (blocks) {
      label loop;
      a_.mov_imm(blocks_, static_cast<std::uint64_t>(blocks));
      a_.bind(loop);
      block(U, 4, rows, first);
      a_.subs(blocks_, blocks_, 1);
      a_.b(cond::ne, loop);
    }
    if (rest) block(rest, 4, rows, first);
    if (tail) block(1, tail, rows, first);
  }

  // `vecs` vectors at in_/out_ over `rows` rows (the last holds n_last columns), then both
  // advance past them
  void block(int vecs, int n_last, int rows, bool first) {
    const auto n_of = [&](int t) { return t == vecs - 1 ? n_last : 4; };
    const auto sq_off = [&](int t) { return (static_cast<long>(d_.ldo) + 4L * t) * 4; };
    for (int t = 0; t < vecs; ++t) {
      if (first) {
        a_.orr(v(t), v(31), v(31));  // identity
        if (both()) a_.movi_zero(v(U + t));
      } else {
        io_.load(v(t), dtype::f32, out_, 16L * t, n_of(t));
        if (both()) io_.load(v(U + t), dtype::f32, out_, sq_off(t), n_of(t));
      }
    }
    label row_loop;
    a_.add(p_, in_, 0);
    a_.mov_imm(i_, static_cast<std::uint64_t>(rows));
    a_.bind(row_loop);
    for (int t = 0; t < vecs; ++t) {
      const vreg acc = v(t), xv = v(16 + t);
      io_.load(xv, d_.in_type, p_, 4L * t * es(), n_of(t));
      switch (d_.op) {
        case reduce_kind::max: a_.fmaxnm(acc, acc, xv); break;
        case reduce_kind::min: a_.fminnm(acc, acc, xv); break;
        case reduce_kind::sum_squares: a_.fmla(acc, xv, xv); break;
        case reduce_kind::sum_and_sum_squares:
          a_.fadd(acc, acc, xv);
          a_.fmla(v(U + t), xv, xv);
          break;
        default: a_.fadd(acc, acc, xv);
      }
    }
    a_.add(p_, p_, ldi_);
    a_.subs(i_, i_, 1);
    a_.b(cond::ne, row_loop);
    for (int t = 0; t < vecs; ++t) {
      io_.store(v(t), dtype::f32, out_, 16L * t, n_of(t));
      if (both()) io_.store(v(U + t), dtype::f32, out_, sq_off(t), n_of(t));
    }
    if (n_last == 4) {
      io_.add_imm(in_, in_, 4L * vecs * es());
      io_.add_imm(out_, out_, 16L * vecs);
    }
  }

  const detail::reduce_desc d_;
  assembler a_;
  lane_io io_{a_, x(10), x(11)};
};

}  // namespace tpp::jit::a64
