// An equation over all m rows of its operands on the enclosing OpenMP threads:
//
//   for row blocks b of block_rows rows, in parallel:          (the last block may be shorter)
//     kernel(inputs at b's first row, out at b's first row, partial column sums of b, zeroed)
//   column sums: sums[k] += the blocks' partials, added in block order
//
// The blocks are fixed by block_rows, not by the thread count, and their partial column sums
// are added in the same order whatever thread ran them, so every result is the same bits for any
// number of threads. The column sums then differ in rounding from one call over all m rows
// (which adds row after row); both are f32 sums of the same terms.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "tpp/core/error.hpp"
#include "tpp/ops/equation.hpp"

namespace tpp {

namespace detail {

// Column sums over row blocks on threads (equation_rows, tpp::gemm's equation epilogue): each
// block adds into its own partial rows, [block][sum][n], zeroed here in the calling thread's
// scratch, which only grows (a call does not allocate and fault it in again).
inline float* zeroed_partial_sums(std::size_t floats) {
  thread_local std::vector<float> s;
  if (s.size() < floats) s.resize(floats);
  std::fill(s.data(), s.data() + floats, 0.0f);
  return s.data();
}

// sums[k][j] += the blocks' partial[b][k][j], added in block order whatever thread ran a block:
// the same bits for any thread count. In a parallel region the threads share out the columns.
inline void add_partial_sums(void* const* sums, std::size_t count, std::size_t n, const float* partial, int blocks) {
#pragma omp for schedule(static)
  for (long j = 0; j < static_cast<long>(count * n); ++j) {
    float* s = static_cast<float*>(sums[j / n]) + j % n;
    for (int b = 0; b < blocks; ++b) *s += partial[b * count * n + j];
  }
}

}  // namespace detail

// Runs p over its m rows in blocks of block_rows (p.m, p.n and the operands as for
// tpp::equation(p)); inputs[i] is arg(i); side: the column sums' 1 x n f32 rows (added to), then
// the row outputs' m x 1 f32 columns, as for the kernel.
inline void equation_rows(const equation_params& p, const std::vector<const void*>& inputs, void* out,
                          const std::vector<void*>& side = {}, int block_rows = 64) {
  if (block_rows < 1) detail::fail("tpp::equation_rows: block_rows = ", block_rows, " must be positive");
  if (p.m < 1) detail::fail("tpp::equation_rows: m = ", p.m, " must be positive");
  if (inputs.size() != p.inputs.size())
    detail::fail("tpp::equation_rows: ", inputs.size(), " input pointers; the equation has ", p.inputs.size());
  if (side.size() != p.column_sums.size() + p.row_outputs.size())
    detail::fail("tpp::equation_rows: ", side.size(), " side-output pointers; the equation has ", p.column_sums.size(),
                 " column sums and ", p.row_outputs.size(), " row outputs");
  // every pointer is checked here: a kernel's error inside the parallel loop would end the program
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i]) detail::fail("tpp::equation_rows: input ", i, " is null");
  if (!out && p.out.type != dtype::none) detail::fail("tpp::equation_rows: out is null");
  for (std::size_t k = 0; k < side.size(); ++k)
    if (!side[k]) detail::fail("tpp::equation_rows: side output ", k, " is null");
  const int rows = std::min(block_rows, p.m), blocks = (p.m + rows - 1) / rows, last = p.m - (blocks - 1) * rows;
  equation_params q = p;
  q.m = rows;
  const equation_kernel full = equation(q);  // validates the rest (types, lds, the tree)
  q.m = last;
  const equation_kernel tail = last == rows ? full : equation(q);
  const bool reduction_root = p.root.node() && p.root.node()->kind == detail::expr_kind::reduce;
  const long out_step = p.out.ld ? p.out.ld : (reduction_root ? 1 : p.n);
  const std::size_t n = static_cast<std::size_t>(p.n), count = p.column_sums.size();
  float* const partial = detail::zeroed_partial_sums(static_cast<std::size_t>(blocks) * count * n);

#pragma omp parallel for schedule(static)
  for (int b = 0; b < blocks; ++b) {
    const long r0 = static_cast<long>(b) * rows;
    const void* in[detail::equation_max_inputs];
    for (std::size_t i = 0; i < inputs.size(); ++i)
      in[i] = static_cast<const char*>(inputs[i]) +
              detail::operand_offset(p.inputs[i], p.n, r0, 0) * size_of(p.inputs[i].type);
    void* part[detail::equation_max_sums + detail::equation_max_row_outputs];
    for (std::size_t k = 0; k < count; ++k) part[k] = partial + (static_cast<std::size_t>(b) * count + k) * n;
    for (std::size_t k = count; k < side.size(); ++k) part[k] = static_cast<float*>(side[k]) + r0;  // row outputs
    void* o = out ? static_cast<char*>(out) + r0 * out_step * size_of(p.out.type) : nullptr;  // null: out = none
    (b == blocks - 1 ? tail : full)(inputs.size(), in, o, side.size(), part);
  }
  detail::add_partial_sums(side.data(), count, n, partial, blocks);
}

}  // namespace tpp
