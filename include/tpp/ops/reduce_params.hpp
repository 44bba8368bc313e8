// What a caller fills in to get a reduction TPP (tpp/ops/reduce.hpp), and the key of the
// reduction kernels that have a generator of their own (columns; each row's sum and sum of squares).
#pragma once

#include <cstdint>

#include "tpp/core/cpu.hpp"
#include "tpp/core/operand.hpp"

namespace tpp {

enum class reduce_kind : std::uint8_t { sum = 0, max, min, sum_squares, sum_and_sum_squares };
enum class reduce_dim : std::uint8_t { each_row = 0, each_column };

constexpr const char* name(reduce_kind k) {
  switch (k) {
    case reduce_kind::sum: return "sum";
    case reduce_kind::max: return "max";
    case reduce_kind::min: return "min";
    case reduce_kind::sum_squares: return "sum_squares";
    case reduce_kind::sum_and_sum_squares: return "sum_and_sum_squares";
  }
  return "?";
}

struct reduce_params {
  reduce_kind op = reduce_kind::sum;
  reduce_dim over = reduce_dim::each_row;
  int rows = 0, cols = 0;
  operand in;                // f32, bf16, f16; no broadcast
  operand out{dtype::f32};   // f32
};

namespace detail {

struct reduce_desc {
  isa level = isa::ref;
  reduce_kind op = reduce_kind::sum;
  dtype in_type = dtype::f32;
  reduce_dim over = reduce_dim::each_column;
  std::int32_t rows = 0, cols = 0, ldi = 0, ldo = 0;
  std::uint8_t prefetch = 0;  // rows: each row prefetches the next (the operand outgrows the cache)
  std::uint8_t pad[3] = {};
};
static_assert(sizeof(reduce_desc) == 24, "no padding in keys");

// Rows per pass of a column reduction kernel whose column blocks hold block_cols columns. One
// pass down all rows reads each column block as a strip of short runs, a row apart (16 KiB at
// 4096 f32 columns), which the hardware prefetchers follow poorly; passes over a few rows at a
// time read those rows front to back, side by side, and carry the partial results in out (bit
// for bit the same: f32 partials stored and reloaded, rows still added in order). Zen 3 (x86
// generator, AVX2), f32 sum of each column, GB/s (bench/equation_bench.cpp, one run each):
//   rows per pass      all   64   32   16    8    6    4    3    2
//   1024 x 4096        10   12   13   27   48   50   36-45  29   22
//   64 x 4096          35   31   35   39   58   65   62-64  61   49
// A row that one column block covers is read front to back by the one pass already. The NEON
// generator takes the same rule by analogy (no Arm hardware here to time it).
inline int column_reduce_pass_rows(const reduce_desc& d, int block_cols) {
  return d.cols <= block_cols ? d.rows : 8;
}

}  // namespace detail

}  // namespace tpp
