// The element-wise operator set: unary and binary ops and what each one reads and writes.
#pragma once

#include <cstdint>

namespace tpp {

// Unary TPPs: out = f(in). The backward forms ("_inv") read the incoming gradient dy as `in` and
// a saved forward tensor as `fwd` (column "fwd" below) and write dx to `out`:
//   op              forward out                      fwd   backward dx
//   relu            x < 0 ? 0 : x (+bitmask x > 0)   x|mask  x > 0 ? dy : 0
//   leaky_relu      x > 0 ? x : alpha*x              x     x > 0 ? dy : alpha*dy
//   elu             x > 0 ? x : alpha*(exp(x)-1)     x     x > 0 ? dy : dy*alpha*exp(x)
//   gelu_tanh       x * sigmoid(2u), u = sqrt(2/pi)(x + 0.044715x^3)  (= 0.5x(1+tanh u))
//   gelu_erf        x * Phi(x) = 0.5x(1 + erf(x/sqrt2))     x     dy * d/dx
//   tanh            tanh(x)                          y     dy * (1 - y^2)
//   sigmoid         1 / (1 + exp(-x))                y     dy * y * (1 - y)
// (tanh and sigmoid backward take the forward *output* y, as PyTorch's tanh_backward does; the
// others take the forward input x.) alpha: leaky_relu 0.01 and elu 1 unless given.
enum class unary_op : std::uint8_t {
  copy, zero, negate, abs, square, sqrt, rsqrt, reciprocal,
  exp, tanh, sigmoid, gelu_tanh, gelu_erf, erf,
  relu, leaky_relu, elu,
  relu_inv, leaky_relu_inv, elu_inv, gelu_tanh_inv, gelu_erf_inv, tanh_inv, sigmoid_inv,
};
constexpr int unary_op_count = static_cast<int>(unary_op::sigmoid_inv) + 1;

// Binary TPPs: out = a (op) b. max/min return NaN if either input is NaN. Compares write a
// bitmask (out.type = dtype::bit): bit set where the comparison holds (false for NaN except ne).
enum class binary_op : std::uint8_t {
  add, sub, mul, div, max, min,
  cmp_gt, cmp_ge, cmp_lt, cmp_le, cmp_eq, cmp_ne,
};
constexpr int binary_op_count = static_cast<int>(binary_op::cmp_ne) + 1;

constexpr const char* name(unary_op op) {
  constexpr const char* names[unary_op_count] = {
      "copy", "zero", "negate", "abs", "square", "sqrt", "rsqrt", "reciprocal",
      "exp", "tanh", "sigmoid", "gelu_tanh", "gelu_erf", "erf",
      "relu", "leaky_relu", "elu",
      "relu_inv", "leaky_relu_inv", "elu_inv", "gelu_tanh_inv", "gelu_erf_inv", "tanh_inv",
      "sigmoid_inv"};
  return static_cast<int>(op) < unary_op_count ? names[static_cast<int>(op)] : "?";
}

constexpr const char* name(binary_op op) {
  constexpr const char* names[binary_op_count] = {"add", "sub", "mul", "div", "max", "min",
                                                  "cmp_gt", "cmp_ge", "cmp_lt", "cmp_le",
                                                  "cmp_eq", "cmp_ne"};
  return static_cast<int>(op) < binary_op_count ? names[static_cast<int>(op)] : "?";
}

// Backward forms read a saved forward tensor besides dy.
constexpr bool is_backward(unary_op op) { return op >= unary_op::relu_inv; }
// Ops whose result does not depend on the input values (zero reads nothing).
constexpr bool reads_input(unary_op op) { return op != unary_op::zero; }
// Forward ops of x alone: the activations a fused epilogue (BRGEMM, equations) may apply.
constexpr bool is_activation(unary_op op) { return reads_input(op) && !is_backward(op); }
constexpr bool has_alpha(unary_op op) {
  return op == unary_op::leaky_relu || op == unary_op::elu || op == unary_op::leaky_relu_inv ||
         op == unary_op::elu_inv;
}
constexpr float default_alpha(unary_op op) {
  return (op == unary_op::elu || op == unary_op::elu_inv) ? 1.0f : 0.01f;
}
constexpr bool is_compare(binary_op op) { return op >= binary_op::cmp_gt; }

}  // namespace tpp
