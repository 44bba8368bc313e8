// What a caller fills in to get a reduction TPP (tpp/ops/reduce.hpp), and the key of the column
// reduction kernels.
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

struct column_reduce_desc {
  isa level = isa::ref;
  reduce_kind op = reduce_kind::sum;
  dtype in_type = dtype::f32;
  std::uint8_t pad = 0;
  std::int32_t rows = 0, cols = 0, ldi = 0, ldo = 0;
};
static_assert(sizeof(column_reduce_desc) == 20, "no padding in keys");

}  // namespace detail

}  // namespace tpp
