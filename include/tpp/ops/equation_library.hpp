// Canonical equations, shipped as params builders: tpp::equation(tpp::layernorm_forward(m, n))
// gives the kernel; each comment names the arguments in call order and the passes per row.
#pragma once

#include "tpp/ops/equation.hpp"

namespace tpp {

namespace detail {
inline equation_params eq_params(int m, int n, std::vector<operand> inputs, dtype out, expr root) {
  equation_params p;
  p.m = m;
  p.n = n;
  p.inputs = std::move(inputs);
  p.out = operand{out};
  p.root = std::move(root);
  return p;
}
}  // namespace detail

// What a LayerNorm equation does with each row's mean and rstd = rsqrt(var + eps).
enum class norm_stats {
  compute,  // computed from x (and dropped)
  save,     // forward: also written, one f32 per row each: k(inputs, y, {mean, rstd})
  saved,    // backward: read from the forward's instead, as two more args mean[m] and rstd[m]
};

// y = (x - mean) * rsqrt(var + eps) * gamma + beta over each row.   args: x, gamma[n], beta[n]
// 3 passes: the mean, the variance of (x - mean) (two-pass, no cancellation), then y.
inline equation_params layernorm_forward(int m, int n, dtype t = dtype::f32, float eps = 1e-5f,
                                         norm_stats stats = norm_stats::compute) {
  if (stats == norm_stats::saved) detail::fail("tpp::layernorm_forward: stats = saved is for the backward");
  const expr x = arg(0), mean = row_mean(x), d = x - mean, rstd = rsqrt(row_mean(d * d) + eps);
  equation_params p =
      detail::eq_params(m, n, {{t}, {t, 0, broadcast::row}, {t, 0, broadcast::row}}, t, d * rstd * arg(1) + arg(2));
  if (stats == norm_stats::save) p.row_outputs = {mean, rstd};
  return p;
}

// What a shipped backward equation computes besides dx (its out).
enum class param_grads {
  none,         // dx only: k(inputs, dx)
  column_sums,  // and its parameters' gradients as column sums: k(inputs, dx, {grads ...}),
                // added to their 1 x n f32 rows (equation_params::column_sums)
};

// dx of LayerNorm.   args: x, gamma[n], dy.   xhat = (x - mean) * rstd, g = dy * gamma:
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)); 4 passes (mean, variance, the two means,
//   dx), or 2 with norm_stats::saved: args x, gamma[n], dy, mean[m], rstd[m] (layernorm_forward's
//   norm_stats::save; eps is then the forward's business).
// param_grads::column_sums: also dgamma += sum over rows of dy * xhat and dbeta += sum of dy, in
// the last pass: k({x, gamma, dy}, dx, {dgamma, dbeta}).
inline equation_params layernorm_backward(int m, int n, dtype t = dtype::f32, float eps = 1e-5f,
                                          param_grads grads = param_grads::none,
                                          norm_stats stats = norm_stats::compute) {
  if (stats == norm_stats::save) detail::fail("tpp::layernorm_backward: stats = save is for the forward");
  const bool saved = stats == norm_stats::saved;
  const expr x = arg(0), dy = arg(2), d = x - (saved ? arg(3) : row_mean(x));
  const expr rstd = saved ? arg(4) : rsqrt(row_mean(d * d) + eps);
  const expr xhat = d * rstd, g = dy * arg(1);
  std::vector<operand> in = {{t}, {t, 0, broadcast::row}, {t}};
  if (saved) in.insert(in.end(), {{dtype::f32, 0, broadcast::column}, {dtype::f32, 0, broadcast::column}});
  equation_params p =
      detail::eq_params(m, n, std::move(in), t, rstd * (g - row_mean(g) - xhat * row_mean(g * xhat)));
  if (grads == param_grads::column_sums) p.column_sums = {dy * xhat, dy};
  return p;
}

// y = exp(x - max) * (1 / sum(exp(x - max))) over each row.   args: x.   3 passes.
// The reciprocal is row-invariant, so it runs once per row and each element costs a multiply.
inline equation_params softmax_forward(int m, int n, dtype t = dtype::f32) {
  const expr x = arg(0), e = exp(x - row_max(x));
  return detail::eq_params(m, n, {{t}}, t, e * reciprocal(row_sum(e)));
}

// dx = y * (dy - sum(dy * y)) over each row.   args: y, dy.   2 passes.
inline equation_params softmax_backward(int m, int n, dtype t = dtype::f32) {
  const expr y = arg(0), dy = arg(1);
  return detail::eq_params(m, n, {{t}, {t}}, t, y * (dy - row_sum(dy * y)));
}

// y = gelu_tanh(x + bias).   args: x, bias[n].   1 pass.
inline equation_params bias_gelu(int m, int n, dtype t = dtype::f32) {
  return detail::eq_params(m, n, {{t}, {t, 0, broadcast::row}}, t, gelu_tanh(arg(0) + arg(1)));
}

// dx of bias + GELU: dx = dy * gelu_tanh'(x + bias).   args: dy, x, bias[n].   1 pass.
// param_grads::column_sums: also the bias gradient, dbias += dx's column sum (of dx in f32, before
// out's conversion): k({dy, x, bias}, dx, {dbias}).
inline equation_params bias_gelu_backward(int m, int n, dtype t = dtype::f32, param_grads grads = param_grads::none) {
  equation_params p = detail::eq_params(m, n, {{t}, {t}, {t, 0, broadcast::row}}, t,
                                        unary_backward(unary_op::gelu_tanh_inv, arg(0), arg(1) + arg(2)));
  if (grads == param_grads::column_sums) p.column_sums = {p.root};
  return p;
}

// BatchNorm forward with the statistics folded into scale and shift (rows = N*H*W, cols = C):
//   y = [relu]( x * scale + shift [+ residual] ).   args: x, scale[n], shift[n] [, residual].
struct batchnorm_options {
  bool residual = false, relu = true;
};
inline equation_params batchnorm_forward(int m, int n, dtype t = dtype::f32, batchnorm_options o = {}) {
  std::vector<operand> in = {{t}, {dtype::f32, 0, broadcast::row}, {dtype::f32, 0, broadcast::row}};
  expr y = muladd(arg(0), arg(1), arg(2));
  if (o.residual) {
    in.push_back({t});
    y = y + arg(3);
  }
  if (o.relu) y = relu(y);
  return detail::eq_params(m, n, std::move(in), t, y);
}

// BatchNorm forward in training: the sum of squares about a mean, per column (out none):
//   sq[n] += column sums of (x - mean)^2.     args: x, mean[n].     k({x, mean}, nullptr, {sq})
// tpp::batchnorm_training_forward (loops/batchnorm.hpp) runs it per block of rows about the
// block's own mean (no E[x^2] - E[x]^2 cancellation), combines the blocks, folds gamma and beta
// into batchnorm_forward's scale and shift, and normalizes.
inline equation_params batchnorm_square_sums(int m, int n, dtype t = dtype::f32) {
  const expr d = arg(0) - arg(1), squares = d * d;
  equation_params p = detail::eq_params(m, n, {{t}, {dtype::f32, 0, broadcast::row}}, dtype::none, squares);
  p.column_sums = {squares};
  return p;
}

// BatchNorm backward (training; rows = N*H*W, columns = channels, mean and rstd the batch's),
// in two sweeps, since dx needs the two column sums of all rows first. xhat = (x - mean) * rstd.
// `o` names the forward's options (the same defaults): with relu, g = dy where the forward's y > 0,
// else 0 (y is one more arg); without, g = dy. With residual, the residual's gradient is g.
// 1. The column sums:   dgamma += sum over rows of g * xhat,  dbeta += sum of g
//    args: x, mean[n], rstd[n], dy [, y with relu];  out: dresidual = g with residual, else none:
//    k({x, mean, rstd, dy, y}, dresidual, {dgamma, dbeta})
inline equation_params batchnorm_backward_sums(int m, int n, dtype t = dtype::f32, batchnorm_options o = {}) {
  const operand channel{dtype::f32, 0, broadcast::row};
  std::vector<operand> in = {{t}, channel, channel, {t}};
  expr g = arg(3);
  if (o.relu) {
    in.push_back({t});
    g = unary_backward(unary_op::relu_inv, g, arg(4));
  }
  const expr g_xhat = g * ((arg(0) - arg(1)) * arg(2));
  equation_params p = detail::eq_params(m, n, std::move(in), o.residual ? t : dtype::none, o.residual ? g : g_xhat);
  p.column_sums = {g_xhat, g};
  return p;
}
// 2. dx = gamma * rstd * (g - (dbeta + xhat * dgamma) / rows), rows = all the batch's rows
//    (0: m; more where the m rows are a block of them).
//    args: x, mean[n], rstd[n], dy, gamma[n], dgamma[n], dbeta[n] [, y with relu and no residual]
//    With residual, pass sweep 1's dresidual as dy: it is g already (no y).
inline equation_params batchnorm_backward(int m, int n, dtype t = dtype::f32, long rows = 0, batchnorm_options o = {}) {
  const operand channel{dtype::f32, 0, broadcast::row};
  std::vector<operand> in = {{t}, channel, channel, {t}, channel, channel, channel};
  expr g = arg(3);
  if (o.relu && !o.residual) {
    in.push_back({t});
    g = unary_backward(unary_op::relu_inv, g, arg(7));
  }
  const expr x = arg(0), rstd = arg(2), xhat = (x - arg(1)) * rstd;
  const expr inv_rows(1.0f / static_cast<float>(rows ? rows : m));
  return detail::eq_params(m, n, std::move(in), t, arg(4) * rstd * (g - (arg(6) + xhat * arg(5)) * inv_rows));
}

}  // namespace tpp
