// Documented accuracy of the JIT transcendentals (f32 in, f32 out), as the maximum distance in
// ulps from the correctly rounded result over all finite floats, Inf and NaN. The test
// tests/jit/math_accuracy_test.cpp measures every op over a dense sample of the whole float
// range and asserts these bounds. Other element-wise ops are exact (bit-identical to the
// reference): copy .. reciprocal (IEEE-rounded sqrt and divide), relu family, binary ops.
//
// Backward ops are products of several rounded terms; their bound is
//   |dx - dx_exact| <= ulps * ulp(dx_exact) + abs_dy * |dy|
// where the second term covers the cancellation in dy * (s + x s (1 - s) ...) near its zeros.
//
// The GELUs' far negative tail is ill-conditioned in f32: gelu_tanh(x) = x e^(2u(x)) there, and
// the ~4 roundings in 2u(x) (|2u| ~ 70 at x = -9) become relative errors of |2u| * 2^-24 in the
// result. For x < tail_below the bound is
//   |y - y_exact| <= tail_rel * |y_exact| + ulps * ulp(y_exact).
// gelu_erf keeps its far tail: its erfc carries e^(-x^2/2) exactly split and scaled by 2^64, so
// subnormal results take one rounding (6 ulp measured at every 7th float, near x = 0.002).
#pragma once

#include "tpp/ops/eltwise_ops.hpp"

namespace tpp {

struct accuracy {
  int ulps;                 // max ulps from the correctly rounded result
  double abs_dy = 0;        // plus this times |dy| (backward ops only)
  float tail_below = -1e30f;  // forward input below which tail_rel applies
  double tail_rel = 0;      // relative error allowed there
};

constexpr accuracy jit_accuracy(unary_op op) {
  switch (op) {
    case unary_op::exp: return {2, 0};
    case unary_op::tanh: return {4, 0};
    case unary_op::sigmoid: return {4, 0};
    case unary_op::gelu_tanh: return {10, 0, -2.0f, 1.0 / (1 << 15)};
    case unary_op::gelu_erf: return {8, 0};
    case unary_op::erf: return {3, 0};
    case unary_op::elu: return {2, 0};
    case unary_op::elu_inv: return {3, 0};
    case unary_op::tanh_inv: return {2, 6e-8};
    case unary_op::sigmoid_inv: return {2, 6e-8};
    case unary_op::gelu_tanh_inv: return {4, 1.2e-7};
    case unary_op::gelu_erf_inv: return {4, 1.2e-7};
    default: return {0, 0};
  }
}

}  // namespace tpp
