// TPP equations, the expression side: a tree of TPPs written as a C++ expression.
//
//   tpp::expr x = tpp::arg(0), g = tpp::arg(1), b = tpp::arg(2);          // operands, by index
//   tpp::expr mean = tpp::row_mean(x), d = x - mean;                      // rows x 1, rows x n
//   tpp::expr y = d * tpp::rsqrt(tpp::row_mean(d * d) + 1e-5f) * g + b;   // LayerNorm
//
// Values are f32 while the tree runs. Shapes follow the operands' broadcasts (an arg with
// broadcast::row is 1 x n, column m x 1, scalar 1 x 1) and a row reduction is m x 1; every node
// broadcasts to m x n where it meets a wider one. A subtree used twice is one node (computed once).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "tpp/ops/eltwise_ops.hpp"

namespace tpp {

// Per-row reductions (over the n columns of a row) -> an m x 1 column.
//   sum, mean (sum / n), max, min; max/min skip NaN elements, like std::fmax/fmin.
enum class reduce_op : std::uint8_t { sum = 0, mean, max, min };
// Three-operand ops: muladd a*b + c, nmuladd c - a*b (one rounding each), select a != 0 ? b : c
// (a NaN condition selects b, as in C).
enum class ternary_op : std::uint8_t { muladd = 0, nmuladd, select };

constexpr const char* name(reduce_op r) {
  switch (r) {
    case reduce_op::sum: return "sum";
    case reduce_op::mean: return "mean";
    case reduce_op::max: return "max";
    case reduce_op::min: return "min";
  }
  return "?";
}
constexpr const char* name(ternary_op t) {
  return t == ternary_op::muladd ? "muladd" : t == ternary_op::nmuladd ? "nmuladd" : "select";
}

namespace detail {
enum class expr_kind : std::uint8_t { arg = 0, constant, unary, binary, ternary, reduce };
struct expr_node {
  expr_kind kind;
  std::uint8_t op = 0;  // arg: index; unary/binary/ternary/reduce: the op
  float value = 0;      // constant: the value; unary: alpha
  std::shared_ptr<const expr_node> a, b, c;
};
}  // namespace detail

class expr {
 public:
  expr(float constant)  // NOLINT: implicit, so `x * 0.5f` reads as written
      : n_(std::make_shared<detail::expr_node>(detail::expr_node{detail::expr_kind::constant, 0, constant, {}, {}, {}})) {}
  explicit expr(std::shared_ptr<const detail::expr_node> n) : n_(std::move(n)) {}
  const std::shared_ptr<const detail::expr_node>& node() const { return n_; }

 private:
  std::shared_ptr<const detail::expr_node> n_;
};

namespace detail {
inline expr make(expr_kind k, int op, float v, const expr* a, const expr* b = nullptr, const expr* c = nullptr) {
  return expr(std::make_shared<expr_node>(expr_node{k, static_cast<std::uint8_t>(op), v, a ? a->node() : nullptr,
                                                    b ? b->node() : nullptr, c ? c->node() : nullptr}));
}
}  // namespace detail

// The i-th operand of the equation (equation_params::inputs[i]); i in [0, 8).
inline expr arg(int i) {
  return expr(std::make_shared<detail::expr_node>(
      detail::expr_node{detail::expr_kind::arg, static_cast<std::uint8_t>(i < 0 || i > 255 ? 255 : i), 0, {}, {}, {}}));
}
inline expr unary(unary_op op, const expr& x, float alpha = 0) {
  return detail::make(detail::expr_kind::unary, static_cast<int>(op), alpha, &x);
}
// A backward op (relu_inv .. sigmoid_inv, tpp/ops/eltwise_ops.hpp) as a node: dx from the
// incoming gradient dy and the saved forward operand fwd (x; y for tanh and sigmoid).
//   dy, x + bias  ->  tpp::unary_backward(tpp::unary_op::gelu_tanh_inv, dy, x + bias)
inline expr unary_backward(unary_op op, const expr& dy, const expr& fwd, std::optional<float> alpha = {}) {
  const float a = has_alpha(op) ? alpha.value_or(default_alpha(op)) : alpha.value_or(0.0f);
  return detail::make(detail::expr_kind::unary, static_cast<int>(op), a, &dy, &fwd);
}
inline expr binary(binary_op op, const expr& a, const expr& b) {
  return detail::make(detail::expr_kind::binary, static_cast<int>(op), 0, &a, &b);
}
inline expr ternary(ternary_op op, const expr& a, const expr& b, const expr& c) {
  return detail::make(detail::expr_kind::ternary, static_cast<int>(op), 0, &a, &b, &c);
}
inline expr reduce_rows(reduce_op op, const expr& x) {
  return detail::make(detail::expr_kind::reduce, static_cast<int>(op), 0, &x);
}

inline expr operator+(const expr& a, const expr& b) { return binary(binary_op::add, a, b); }
inline expr operator-(const expr& a, const expr& b) { return binary(binary_op::sub, a, b); }
inline expr operator*(const expr& a, const expr& b) { return binary(binary_op::mul, a, b); }
inline expr operator/(const expr& a, const expr& b) { return binary(binary_op::div, a, b); }
inline expr operator-(const expr& a) { return unary(unary_op::negate, a); }
inline expr max(const expr& a, const expr& b) { return binary(binary_op::max, a, b); }
inline expr min(const expr& a, const expr& b) { return binary(binary_op::min, a, b); }
inline expr muladd(const expr& a, const expr& b, const expr& c) { return ternary(ternary_op::muladd, a, b, c); }
inline expr nmuladd(const expr& a, const expr& b, const expr& c) { return ternary(ternary_op::nmuladd, a, b, c); }
inline expr select(const expr& cond, const expr& a, const expr& b) { return ternary(ternary_op::select, cond, a, b); }

inline expr abs(const expr& x) { return unary(unary_op::abs, x); }
inline expr square(const expr& x) { return unary(unary_op::square, x); }
inline expr sqrt(const expr& x) { return unary(unary_op::sqrt, x); }
inline expr rsqrt(const expr& x) { return unary(unary_op::rsqrt, x); }
inline expr reciprocal(const expr& x) { return unary(unary_op::reciprocal, x); }
inline expr exp(const expr& x) { return unary(unary_op::exp, x); }
inline expr tanh(const expr& x) { return unary(unary_op::tanh, x); }
inline expr sigmoid(const expr& x) { return unary(unary_op::sigmoid, x); }
inline expr erf(const expr& x) { return unary(unary_op::erf, x); }
inline expr relu(const expr& x) { return unary(unary_op::relu, x); }
inline expr gelu_tanh(const expr& x) { return unary(unary_op::gelu_tanh, x); }
inline expr gelu_erf(const expr& x) { return unary(unary_op::gelu_erf, x); }
inline expr leaky_relu(const expr& x, float alpha = 0.01f) { return unary(unary_op::leaky_relu, x, alpha); }
inline expr elu(const expr& x, float alpha = 1.0f) { return unary(unary_op::elu, x, alpha); }

inline expr row_sum(const expr& x) { return reduce_rows(reduce_op::sum, x); }
inline expr row_mean(const expr& x) { return reduce_rows(reduce_op::mean, x); }
inline expr row_max(const expr& x) { return reduce_rows(reduce_op::max, x); }
inline expr row_min(const expr& x) { return reduce_rows(reduce_op::min, x); }

}  // namespace tpp
