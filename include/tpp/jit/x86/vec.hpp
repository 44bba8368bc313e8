// What a generator needs to know about its vector type: Ymm = AVX2, Zmm = AVX-512.
#pragma once

#include <xbyak/xbyak.h>

namespace tpp::jit::x86 {

template <class V>
struct vec;

template <>
struct vec<Xbyak::Ymm> {
  static constexpr int lanes = 8;       // f32 per register
  static constexpr int bytes = 32;
  static constexpr int count = 16;      // architectural registers
  static constexpr bool avx512 = false;
  using half = Xbyak::Xmm;              // holds `lanes` 16-bit values
};

template <>
struct vec<Xbyak::Zmm> {
  static constexpr int lanes = 16;
  static constexpr int bytes = 64;
  static constexpr int count = 32;
  static constexpr bool avx512 = true;
  using half = Xbyak::Ymm;
};

}  // namespace tpp::jit::x86
