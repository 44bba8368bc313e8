// Storage types and their scalar conversions. Compute is always f32 for element-wise TPPs.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace tpp {

// `none` marks an absent optional operand; `bit` is a packed bitmask (relu mask, compare results):
// element (i, j) is bit (i*ld + j) % 8 of byte (i*ld + j) / 8, with ld a multiple of 8.
enum class dtype : std::uint8_t { none = 0, f32, bf16, f16, i8, u8, i32, bit };

// dtype -> name ("f32", "bf16", ...)
constexpr const char* name(dtype t) {
  switch (t) {
    case dtype::none: return "none";
    case dtype::f32: return "f32";
    case dtype::bf16: return "bf16";
    case dtype::f16: return "f16";
    case dtype::i8: return "i8";
    case dtype::u8: return "u8";
    case dtype::i32: return "i32";
    case dtype::bit: return "bit";
  }
  return "?";
}

// dtype -> bytes per element (0 for none and bit, which is sub-byte).
constexpr int size_of(dtype t) {
  switch (t) {
    case dtype::f32:
    case dtype::i32: return 4;
    case dtype::bf16:
    case dtype::f16: return 2;
    case dtype::i8:
    case dtype::u8: return 1;
    default: return 0;
  }
}

inline std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// f32 -> bf16 bits, round to nearest even; NaN stays NaN (made quiet, sign and top payload kept).
// JIT kernels at levels avx512_bf16 and up convert with vcvtneps2bf16, which is the same except
// that subnormal f32 values become +-0; every other level matches this function bit for bit.
inline std::uint16_t to_bf16(float f) {
  std::uint32_t u = bits_of(f);
  if (std::isnan(f)) return static_cast<std::uint16_t>((u | 0x00400000u) >> 16);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}
inline float from_bf16(std::uint16_t h) { return float_of(static_cast<std::uint32_t>(h) << 16); }

// f32 -> IEEE binary16 bits, round to nearest even (subnormals included); NaN stays NaN (quiet,
// top payload kept), overflow goes to Inf. Matches F16C vcvtps2ph with imm 0.
inline std::uint16_t to_f16(float f) {
  const std::uint32_t u = bits_of(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return sign | 0x7E00u | static_cast<std::uint16_t>((a >> 13) & 0x3FFu);
  if (a >= 0x477FF000u) return sign | 0x7C00u;  // rounds to >= 65520: Inf
  if (a < 0x38800000u) {                        // below 2^-14: f16 subnormal or zero
    if (a < 0x33000000u) return sign;           // below half the smallest subnormal: 0
    const std::uint32_t mant = (a & 0x7FFFFFu) | 0x800000u;
    // value = mant * 2^(e-150) and the f16 subnormal unit is 2^-24, so q = mant >> (126 - e).
    const int shift = 126 - static_cast<int>(a >> 23);
    const std::uint32_t q = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1);
    const std::uint32_t r = q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u);
    return sign | static_cast<std::uint16_t>(r);
  }
  std::uint32_t r = a - 0x38000000u;  // rebias exponent 127 -> 15
  r += 0xFFFu + ((r >> 13) & 1u);
  return sign | static_cast<std::uint16_t>(r >> 13);
}

inline float from_f16(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  if (e == 0x1F) return float_of(sign | 0x7F800000u | (m << 13));
  if (e == 0) return float_of(sign | bits_of(static_cast<float>(m) * 5.9604644775390625e-8f));
  return float_of(sign | ((e + 112u) << 23) | (m << 13));
}

// Reads element i of a buffer of type t as f32 (f32, bf16, f16 only).
inline float load_as_f32(const void* p, dtype t, long i) {
  switch (t) {
    case dtype::bf16: return from_bf16(static_cast<const std::uint16_t*>(p)[i]);
    case dtype::f16: return from_f16(static_cast<const std::uint16_t*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

// Writes v as element i of a buffer of type t (f32, bf16, f16 only), rounding to nearest even.
inline void store_from_f32(void* p, dtype t, long i, float v) {
  switch (t) {
    case dtype::bf16: static_cast<std::uint16_t*>(p)[i] = to_bf16(v); break;
    case dtype::f16: static_cast<std::uint16_t*>(p)[i] = to_f16(v); break;
    default: static_cast<float*>(p)[i] = v; break;
  }
}

}  // namespace tpp
