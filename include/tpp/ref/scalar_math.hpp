// Scalar definitions of every element-wise op: the oracle the JIT kernels are tested against and
// the fallback on CPUs without a JIT backend. Transcendentals are evaluated in double and rounded
// once, so they are within 0.5 ulp + double error of the true value.
#pragma once

#include <cmath>
#include <limits>

#include "tpp/ops/eltwise_ops.hpp"

namespace tpp::ref {

constexpr double gelu_k0 = 0.7978845608028654;  // sqrt(2/pi)
constexpr double gelu_k1 = 0.044715;

inline double sigmoid_d(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
inline double phi_cdf_d(double x) { return 0.5 * std::erfc(-x * 0.7071067811865476); }

// Forward of op on x (f32 in, f32 out). fwd ops only.
inline float unary_forward(unary_op op, float xf, float alpha) {
  const double x = xf;
  switch (op) {
    case unary_op::copy: return xf;
    case unary_op::zero: return 0.0f;
    case unary_op::negate: return -xf;
    case unary_op::abs: return std::fabs(xf);
    case unary_op::square: return xf * xf;
    case unary_op::sqrt: return std::sqrt(xf);
    case unary_op::rsqrt: return 1.0f / std::sqrt(xf);
    case unary_op::reciprocal: return 1.0f / xf;
    case unary_op::exp: return static_cast<float>(std::exp(x));
    case unary_op::tanh: return static_cast<float>(std::tanh(x));
    case unary_op::sigmoid: return static_cast<float>(sigmoid_d(x));
    case unary_op::gelu_tanh:
      if (xf == -std::numeric_limits<float>::infinity()) return -0.0f;  // the limit, not inf*0
      return static_cast<float>(x * sigmoid_d(2 * gelu_k0 * (x + gelu_k1 * x * x * x)));
    case unary_op::gelu_erf:
      if (xf == -std::numeric_limits<float>::infinity()) return -0.0f;
      return static_cast<float>(x * phi_cdf_d(x));
    case unary_op::erf: return static_cast<float>(std::erf(x));
    case unary_op::relu: return xf < 0 ? 0.0f : xf;
    case unary_op::leaky_relu: return xf > 0 ? xf : alpha * xf;
    case unary_op::elu: return xf > 0 ? xf : static_cast<float>(alpha * std::expm1(x));
    default: return std::numeric_limits<float>::quiet_NaN();
  }
}

// Backward of op: dx from dy and the saved forward value f (x, y, or the relu mask bit as 0/1).
inline float unary_backward(unary_op op, float dyf, float ff, float alpha) {
  const double dy = dyf, f = ff;
  // Beyond |x| = 1e4 the gelu derivatives are exactly 1 or 0 in double; clamping keeps
  // inf * 0 out of the formula at x = +-inf.
  const double xc = std::isnan(f) ? f : std::fmax(-1e4, std::fmin(1e4, f));
  switch (op) {
    case unary_op::relu_inv: return ff > 0 ? dyf : 0.0f;
    case unary_op::leaky_relu_inv: return ff > 0 ? dyf : dyf * alpha;
    case unary_op::elu_inv: return ff > 0 ? dyf : static_cast<float>(dy * alpha * std::exp(f));
    case unary_op::tanh_inv: return static_cast<float>(dy * (1 - f * f));
    case unary_op::sigmoid_inv: return static_cast<float>(dy * f * (1 - f));
    case unary_op::gelu_tanh_inv: {
      const double s = sigmoid_d(2 * gelu_k0 * (xc + gelu_k1 * xc * xc * xc));
      const double d = s + 2 * gelu_k0 * xc * s * (1 - s) * (1 + 3 * gelu_k1 * xc * xc);
      return static_cast<float>(dy * d);
    }
    case unary_op::gelu_erf_inv: {
      const double d = phi_cdf_d(xc) + xc * std::exp(-0.5 * xc * xc) * 0.3989422804014327;
      return static_cast<float>(dy * d);
    }
    default: return std::numeric_limits<float>::quiet_NaN();
  }
}

// a (op) b for the arithmetic binary ops; compares return 1 or 0.
inline float binary_value(binary_op op, float a, float b) {
  switch (op) {
    case binary_op::add: return a + b;
    case binary_op::sub: return a - b;
    case binary_op::mul: return a * b;
    case binary_op::div: return a / b;
    case binary_op::max: return std::isnan(a) || std::isnan(b) ? a + b : (a > b ? a : b);
    case binary_op::min: return std::isnan(a) || std::isnan(b) ? a + b : (a < b ? a : b);
    case binary_op::cmp_gt: return a > b;
    case binary_op::cmp_ge: return a >= b;
    case binary_op::cmp_lt: return a < b;
    case binary_op::cmp_le: return a <= b;
    case binary_op::cmp_eq: return a == b;
    case binary_op::cmp_ne: return a != b;
  }
  return std::numeric_limits<float>::quiet_NaN();
}

}  // namespace tpp::ref
