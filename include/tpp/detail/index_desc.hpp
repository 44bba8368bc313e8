// The key of an indexed-rows kernel (gather, scatter, embedding bag) and its call arguments.
#pragma once

#include <cstdint>

#include "tpp/core/cpu.hpp"
#include "tpp/core/dtype.hpp"

namespace tpp {

// gather   out[k][:] = table[idx[k]][:]        (k < count; out is count x cols)
// scatter  table[idx[k]][:] = in[k][:]         (k ascending: a repeated index keeps the last row)
// bag_sum  out[:] = sum_k table[idx[k]][:]     (an embedding bag; out is 1 x cols, 0 for count 0)
enum class index_op : std::uint8_t { gather = 0, scatter, bag_sum };
// Index arrays hold signed 32- or 64-bit integers.
enum class index_width : std::uint8_t { i32 = 4, i64 = 8 };

namespace detail {

struct index_desc {
  isa level = isa::ref;
  index_op op = index_op::gather;
  dtype table_type = dtype::f32, other_type = dtype::f32;  // other: out (gather, bag) or in (scatter)
  index_width index_type = index_width::i32;
  std::uint8_t pad[3] = {};
  std::int32_t cols = 0, ld_table = 0, ld_other = 0;
};
static_assert(sizeof(index_desc) == 8 + 3 * 4, "no padding in keys");

struct index_args {
  void* table;
  const void* indices;
  std::int64_t count;
  void* other;
};

}  // namespace detail
}  // namespace tpp
