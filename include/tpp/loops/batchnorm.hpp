// BatchNorm forward in training over all m rows (rows = N*H*W, columns = the C channels) on the
// enclosing OpenMP threads, from the shipped equations, in blocks of block_rows rows:
//
//   per block b (n_b rows), while it is in cache:
//     sum_b = column sums of x_b                      (tpp::reduce, each_column)   c_b = sum_b / n_b
//     M2_b  = column sums of (x_b - c_b)^2             (tpp::batchnorm_square_sums)
//   per column, the blocks combined in block order, in double (Chan et al.):
//     mean = sum_b n_b c_b / m,   var = (sum_b M2_b + n_b (c_b - mean)^2) / m
//     rstd = 1 / sqrt(var + eps), scale = gamma * rstd, shift = beta - mean * scale
//   per block: y_b = [relu](x_b * scale + shift [+ residual_b])    (tpp::batchnorm_forward)
//
// x comes from memory twice (the statistics, then y), not three times as a sweep for the mean,
// one for the variance about it and one for y would read it; each block's variance is about its
// own mean, so no E[x^2] - E[x]^2 cancellation. The blocks are fixed by block_rows, not by the
// threads, and combined in order: every output is the same bits for any thread count. mean and
// rstd are written for the backward (tpp::batchnorm_backward_sums / batchnorm_backward).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "tpp/core/cache.hpp"
#include "tpp/core/cpu.hpp"
#include "tpp/core/error.hpp"
#include "tpp/ops/equation_library.hpp"
#include "tpp/ops/reduce.hpp"

namespace tpp {

struct batchnorm_training_params {
  int m = 0, n = 0;           // rows (N*H*W) and channels
  operand x, y, residual;     // types (f32, bf16, f16) and ld (0 = n); residual with options.residual
  float eps = 1e-5f;
  batchnorm_options options;  // residual add, relu: as tpp::batchnorm_forward
  int block_rows = 0;         // rows per block; 0: as many as keep a block of x near 256 KiB (1..64)
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

namespace detail {

// The six kernels of one BatchNorm shape ([whole block / the last]), kept per thread: building
// them again from the trees costs about 0.5 us each, against a 64 x 256 call of about 10 us.
struct batchnorm_kernels {
  reduce_kernel sums[2];
  equation_kernel squares[2], norm[2];
};

inline bool same_operand(const operand& a, const operand& b) {
  return a.type == b.type && a.ld == b.ld && a.bcast == b.bcast;
}

inline const batchnorm_kernels& batchnorm_kernels_for(const batchnorm_training_params& p, int rows, int last) {
  struct entry {
    batchnorm_training_params p;
    int rows;
    isa level;
    batchnorm_kernels k;
  };
  thread_local std::vector<entry> cache;
  const isa level = active_isa();
  for (const entry& e : cache)
    if (e.p.m == p.m && e.p.n == p.n && same_operand(e.p.x, p.x) && same_operand(e.p.y, p.y) &&
        same_operand(e.p.residual, p.residual) && e.p.options.relu == p.options.relu &&
        e.p.options.residual == p.options.residual && e.rows == rows && e.level == level)
      return e.k;
  batchnorm_kernels k;
  const double bytes = static_cast<double>(p.m) * p.n *
                       (size_of(p.x.type) + size_of(p.y.type) + (p.options.residual ? size_of(p.residual.type) : 0));
  for (int t = 0; t < 2; ++t) {
    const int r = t ? last : rows;
    reduce_params s;  // the column-sum TPP: its own generator, about 2x the equation's speed
    s.over = reduce_dim::each_column;
    s.rows = r;
    s.cols = p.n;
    s.in = p.x;
    equation_params q = batchnorm_square_sums(r, p.n, p.x.type);
    q.inputs[0] = p.x;
    equation_params y = batchnorm_forward(r, p.n, p.x.type, p.options);
    y.inputs[0] = p.x;
    y.out = p.y;
    if (p.options.residual) y.inputs[3] = p.residual;
    // a block's kernel sees only its block: y streams past the cache as the whole call's
    // operands say (the equation streams only an f32 y whose rows start 64 bytes apart)
    y.store = streams_output(store_hint::automatic, bytes) ? store_hint::streaming : store_hint::cached;
    k.sums[t] = reduce(s);  // validates the types and lds
    k.squares[t] = equation(q);
    k.norm[t] = equation(y);
  }
  if (cache.size() == 16) cache.erase(cache.begin());  // a few layers' shapes stay
  cache.push_back({p, rows, level, k});
  return cache.back().k;
}

}  // namespace detail

inline void batchnorm_training_forward(const batchnorm_training_params& p, const batchnorm_training_operands& o) {
  const char* const who = "tpp::batchnorm_training_forward: ";
  if (p.m < 1) detail::fail(who, "m = ", p.m, " must be positive");
  if (p.n < 1) detail::fail(who, "n = ", p.n, " must be positive");
  if (p.block_rows < 0) detail::fail(who, "block_rows = ", p.block_rows, " must be positive, or 0 to choose");
  for (const auto& [ptr, name] : {std::pair<const void*, const char*>{o.x, "x"}, {o.gamma, "gamma"}, {o.beta, "beta"},
                                  {o.y, "y"}, {o.mean, "mean"}, {o.rstd, "rstd"}})
    if (!ptr) detail::fail(who, name, " is null");
  if (p.options.residual != (o.residual != nullptr))
    detail::fail(who, "options.residual = ", p.options.residual, ", but residual is ", o.residual ? "given" : "null");
  for (const auto& [op, name] : {std::pair<const operand*, const char*>{&p.x, "x"}, {&p.y, "y"}, {&p.residual, "residual"}})
    if (op->bcast != broadcast::none) detail::fail(who, name, ".bcast = ", tpp::name(op->bcast), "; it must be none");
  if (!(p.eps >= 0.0f) || !std::isfinite(p.eps)) detail::fail(who, "eps = ", p.eps, " must be finite and >= 0");

  // a block of x stays in L2 between its two statistics passes, and its statistics (2 n floats)
  // are small beside it; more rows per block only cost the threads' balance
  const long row_bytes = static_cast<long>(p.n) * size_of(p.x.type);
  const int auto_rows = static_cast<int>(std::clamp<long>(256 * 1024 / row_bytes, 1, 64));
  const int rows = std::min(p.block_rows ? p.block_rows : auto_rows, p.m);
  const int blocks = (p.m + rows - 1) / rows, last = p.m - (blocks - 1) * rows;
  const detail::batchnorm_kernels& k = detail::batchnorm_kernels_for(p, rows, last);

  const std::size_t n = static_cast<std::size_t>(p.n);
  // per block its mean c_b and M2_b; then scale and shift
  thread_local std::vector<float> scratch;  // only grows
  scratch.resize(std::max(scratch.size(), (static_cast<std::size_t>(blocks) + 1) * 2 * n));
  float* const stats = scratch.data();  // [block][c_b, M2_b][n]
  float* const scale = stats + static_cast<std::size_t>(blocks) * 2 * n;
  float* const shift = scale + n;
  // row r0 of an m x n operand
  const auto row = [&](const void* base, const operand& op, long r0) {
    return static_cast<const char*>(base) + detail::operand_offset(op, p.n, r0, 0) * size_of(op.type);
  };
  const double count = p.m;
  constexpr int combine_cols = 64;

#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int b = 0; b < blocks; ++b) {
      const long r0 = static_cast<long>(b) * rows;
      const int t = b == blocks - 1, nb = t ? last : rows;
      float* const s = stats + static_cast<std::size_t>(b) * 2 * n;
      const void* const xb = row(o.x, p.x, r0);
      k.sums[t](xb, s);
      for (std::size_t j = 0; j < n; ++j) {
        s[j] /= static_cast<float>(nb);
        s[n + j] = 0.0f;  // the square sums add into it
      }
      k.squares[t]({xb, s}, nullptr, {s + n});
    }
    // the combine, over chunks of columns: blocks outer, so each block's rows are read in order
#pragma omp for schedule(static)
    for (long j0 = 0; j0 < static_cast<long>(n); j0 += combine_cols) {
      const int w = static_cast<int>(std::min<long>(combine_cols, static_cast<long>(n) - j0));
      double mean[combine_cols] = {}, m2[combine_cols] = {};
      for (int b = 0; b < blocks; ++b) {
        const double nb = b == blocks - 1 ? last : rows;
        for (int j = 0; j < w; ++j) mean[j] += nb * stats[b * 2 * n + j0 + j];
      }
      for (int j = 0; j < w; ++j) mean[j] /= count;
      for (int b = 0; b < blocks; ++b) {
        const double nb = b == blocks - 1 ? last : rows;
        for (int j = 0; j < w; ++j) {
          const double c = stats[b * 2 * n + j0 + j] - mean[j];
          m2[j] += stats[(b * 2 + 1) * n + j0 + j] + nb * c * c;
        }
      }
      for (int j = 0; j < w; ++j) {
        const long col = j0 + j;
        const double var = m2[j] / count, r = 1.0 / std::sqrt(var + p.eps);
        o.mean[col] = static_cast<float>(mean[j]);
        o.rstd[col] = static_cast<float>(r);
        if (o.variance) o.variance[col] = static_cast<float>(var);
        scale[col] = static_cast<float>(o.gamma[col] * r);
        shift[col] = static_cast<float>(o.beta[col] - mean[j] * (o.gamma[col] * r));
      }
    }
#pragma omp for schedule(static)
    for (int b = 0; b < blocks; ++b) {
      const long r0 = static_cast<long>(b) * rows;
      const void* in[4] = {row(o.x, p.x, r0), scale, shift, p.options.residual ? row(o.residual, p.residual, r0) : nullptr};
      void* const yb = static_cast<char*>(o.y) + detail::operand_offset(p.y, p.n, r0, 0) * size_of(p.y.type);
      k.norm[b == blocks - 1](p.options.residual ? 4 : 3, in, yb);
    }
  }
}

}  // namespace tpp
