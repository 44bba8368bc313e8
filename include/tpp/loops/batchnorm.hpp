// BatchNorm forward in training over all m rows (rows = N*H*W, columns = the C channels) on the
// enclosing OpenMP threads: three sweeps of tpp::equation_rows, the tree of each a shipped equation.
//
//   1. sum  = column sums of x                          (tpp::batchnorm_sums)
//      mean = sum / m
//   2. sq   = column sums of (x - mean)^2               (tpp::batchnorm_square_sums)
//      rstd = 1 / sqrt(sq / m + eps),  scale = gamma * rstd,  shift = beta - mean * scale
//   3. y    = [relu](x * scale + shift [+ residual])     (tpp::batchnorm_forward)
//
// mean and rstd are written for the backward (tpp::batchnorm_backward_sums / batchnorm_backward
// take them as they are). The sums go through equation_rows' fixed row blocks, so every output is
// the same bits for any thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "tpp/core/error.hpp"
#include "tpp/loops/equation_rows.hpp"
#include "tpp/ops/equation_library.hpp"

namespace tpp {

struct batchnorm_training_params {
  int m = 0, n = 0;          // rows (N*H*W) and channels
  operand x, y, residual;    // types (f32, bf16, f16) and ld (0 = n); residual with options.residual
  float eps = 1e-5f;
  batchnorm_options options;  // residual add, relu: as tpp::batchnorm_forward
  int block_rows = 64;        // equation_rows' row blocks (they fix the order of the sums)
};

struct batchnorm_training_operands {
  const void* x = nullptr;         // m x n
  const float* gamma = nullptr;    // n
  const float* beta = nullptr;     // n
  const void* residual = nullptr;  // m x n, with options.residual
  void* y = nullptr;               // m x n, written
  float* mean = nullptr;           // n, written: the batch mean
  float* rstd = nullptr;           // n, written: 1 / sqrt(variance + eps)
  float* variance = nullptr;       // n, written where given: the biased batch variance (running stats)
};

inline void batchnorm_training_forward(const batchnorm_training_params& p, const batchnorm_training_operands& o) {
  const char* const who = "tpp::batchnorm_training_forward: ";
  if (p.m < 1) detail::fail(who, "m = ", p.m, " must be positive");
  if (p.n < 1) detail::fail(who, "n = ", p.n, " must be positive");
  for (const auto& [ptr, name] : {std::pair<const void*, const char*>{o.x, "x"}, {o.gamma, "gamma"}, {o.beta, "beta"},
                                  {o.y, "y"}, {o.mean, "mean"}, {o.rstd, "rstd"}})
    if (!ptr) detail::fail(who, name, " is null");
  if (p.options.residual != (o.residual != nullptr))
    detail::fail(who, "options.residual = ", p.options.residual, ", but residual is ",
                 o.residual ? "given" : "null");
  for (const auto& [op, name] : {std::pair<const operand*, const char*>{&p.x, "x"}, {&p.y, "y"}, {&p.residual, "residual"}})
    if (op->bcast != broadcast::none) detail::fail(who, name, ".bcast = ", tpp::name(op->bcast), "; it must be none");
  if (!(p.eps >= 0.0f) || !std::isfinite(p.eps)) detail::fail(who, "eps = ", p.eps, " must be finite and >= 0");
  // the types, the lds and block_rows: checked by the equations as they are built

  const std::size_t n = static_cast<std::size_t>(p.n);
  std::fill(o.mean, o.mean + n, 0.0f);
  equation_params sums = batchnorm_sums(p.m, p.n, p.x.type);
  sums.inputs[0] = p.x;
  equation_rows(sums, {o.x}, nullptr, {o.mean}, p.block_rows);
  const double rows = p.m;
  for (std::size_t j = 0; j < n; ++j) o.mean[j] = static_cast<float>(o.mean[j] / rows);

  std::vector<float> sq(n, 0.0f), scale_shift(2 * n);
  equation_params squares = batchnorm_square_sums(p.m, p.n, p.x.type);
  squares.inputs[0] = p.x;
  equation_rows(squares, {o.x, o.mean}, nullptr, {sq.data()}, p.block_rows);
  float* const scale = scale_shift.data();
  float* const shift = scale + n;
  for (std::size_t j = 0; j < n; ++j) {
    const double var = sq[j] / rows, r = 1.0 / std::sqrt(var + p.eps);
    if (o.variance) o.variance[j] = static_cast<float>(var);
    o.rstd[j] = static_cast<float>(r);
    scale[j] = static_cast<float>(o.gamma[j] * r);
    shift[j] = static_cast<float>(o.beta[j] - o.mean[j] * (o.gamma[j] * r));
  }

  equation_params norm = batchnorm_forward(p.m, p.n, p.x.type, p.options);
  norm.inputs[0] = p.x;
  norm.out = p.y;
  std::vector<const void*> in = {o.x, scale, shift};
  if (p.options.residual) {
    norm.inputs[3] = p.residual;
    in.push_back(o.residual);
  }
  equation_rows(norm, in, o.y, {}, p.block_rows);
}

}  // namespace tpp
