// The key of a quantize / dequantize kernel and the scalar definition both the JIT and the
// reference follow (tpp/ops/quant.hpp).
#pragma once

#include <cmath>
#include <cstdint>

#include "tpp/core/cpu.hpp"
#include "tpp/core/dtype.hpp"

namespace tpp::detail {

struct quant_desc {
  isa level = isa::ref;
  std::uint8_t quantize = 1;               // 1: float -> int8, 0: int8 -> float
  dtype in_type = dtype::f32, out_type = dtype::i8;
  std::int32_t rows = 0, cols = 0, ldi = 0, ldo = 0;
  float scale = 1, inv_scale = 1;          // inv_scale = 1 / scale, rounded once
  std::int32_t zero_point = 0;
};
static_assert(sizeof(quant_desc) == 4 + 7 * 4, "no padding in keys");

struct quant_args {
  const void* in;
  void* out;
};

// x -> clamp(round_ne(x * inv_scale) + zero_point) in i8 or u8; NaN -> the lowest value.
// The product is clamped to +-2^24 before rounding (the result saturates long before).
inline int quantize_value(float x, float inv_scale, int zero_point, dtype t) {
  const int lo = t == dtype::u8 ? 0 : -128, hi = t == dtype::u8 ? 255 : 127;
  float y = x * inv_scale;
  if (std::isnan(y)) return lo;
  y = std::fmin(std::fmax(y, -16777216.0f), 16777216.0f);
  const long q = std::lrint(y) + zero_point;  // the default rounding mode: to nearest even
  return static_cast<int>(q < lo ? lo : q > hi ? hi : q);
}
// q -> (q - zero_point) * scale, in f32 before the output conversion
inline float dequantize_value(int q, float scale, int zero_point) {
  return static_cast<float>(q - zero_point) * scale;
}

}  // namespace tpp::detail
