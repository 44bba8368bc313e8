// The key of a dropout kernel and what it is called with (tpp/ops/dropout.hpp).
#pragma once

#include <cstdint>

#include "tpp/core/cpu.hpp"
#include "tpp/core/dtype.hpp"

namespace tpp::detail {

struct dropout_desc {
  isa level = isa::ref;
  dtype in_type = dtype::f32, out_type = dtype::f32;
  std::uint8_t pad = 0;
  std::int32_t rows = 0, cols = 0;
  std::int32_t ldi = 0, ldo = 0, ldm = 0;  // elements; ldm in bits (a multiple of 8)
  std::uint32_t threshold = 0;             // keep when the 24-bit draw is below it
  float scale = 1;                         // 1 / keep
};
static_assert(sizeof(dropout_desc) == 4 + 7 * 4, "no padding in keys");

struct dropout_args {
  const void* in;
  void* out;
  void* mask;
  std::uint64_t seed;
  std::uint64_t offset;  // counter of element (0, 0)
};

}  // namespace tpp::detail
