// One vector of partial results -> lane 0, in the one order every x86 row reduction uses:
//   zmm: upper 256 bits onto the lower; then the upper 128 bits onto the lower; then lanes 2-3
//   onto 0-1; then lane 1 onto lane 0.
// The equation generator's reductions and the row sums-and-squares generator both fold here, so
// their results agree bit for bit (tpp::reduce's sum_and_sum_squares equals sum and sum_squares).
#pragma once

#include <xbyak/xbyak.h>

#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

// combine(a, b): a = a (op) b, for Ymm and Xmm operands. a: the vector (result in lane 0);
// t: a scratch vector register.
template <class V, class Combine>
void fold_lanes(Xbyak::CodeGenerator& g, int a, int t, Combine combine) {
  using namespace Xbyak;
  if constexpr (vec<V>::avx512) {
    g.vextractf32x8(Ymm(t), Zmm(a), 1);
    combine(Ymm(a), Ymm(t));
    g.vextractf32x4(Xmm(t), Ymm(a), 1);
  } else {
    g.vextractf128(Xmm(t), Ymm(a), 1);
  }
  const Xmm x(a), y(t);
  combine(x, y);
  g.vmovhlps(y, y, x);
  combine(x, y);
  g.vmovshdup(y, x);
  combine(x, y);
}

}  // namespace tpp::jit::x86
