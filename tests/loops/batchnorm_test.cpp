// tpp::batchnorm_training_forward against a double oracle: the batch mean and rstd of each
// column, and y from them; every level, f32 and bf16, relu and residual, ld > n, one block of
// rows and many, operands against guard pages, and the same bits for 1 and 2 threads.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "catch.hpp"
#include "support.hpp"

using tpp::dtype;
using tpp_test::guarded;

namespace {

constexpr double u32 = 0x1p-24;  // f32 unit roundoff

struct case_data {
  int m, n, ldx, ldy, block_rows;
  dtype t;
  tpp::batchnorm_options o;
};

struct outputs {
  std::vector<float> mean, rstd, var, y;  // y as f32, packed m x n
};

outputs run(const case_data& c, const guarded& x, const guarded& res, const std::vector<float>& gamma,
            const std::vector<float>& beta) {
  tpp::batchnorm_training_params p;
  p.m = c.m;
  p.n = c.n;
  p.x = {c.t, c.ldx};
  p.y = {c.t, c.ldy};
  p.residual = {c.t, c.ldx};
  p.options = c.o;
  p.block_rows = c.block_rows;
  guarded y(tpp_test::span_bytes(p.y, c.m, c.n), true);
  std::memset(y.data(), 0, y.bytes());
  outputs r{std::vector<float>(c.n, -1.0f), std::vector<float>(c.n, -1.0f), std::vector<float>(c.n, -1.0f), {}};
  tpp::batchnorm_training_operands o;
  o.x = x.data();
  o.gamma = gamma.data();
  o.beta = beta.data();
  o.residual = c.o.residual ? res.data() : nullptr;
  o.y = y.data();
  o.mean = r.mean.data();
  o.rstd = r.rstd.data();
  o.variance = r.var.data();
  tpp::batchnorm_training_forward(p, o);
  for (int i = 0; i < c.m; ++i)
    for (int j = 0; j < c.n; ++j) r.y.push_back(tpp::load_as_f32(y.data(), c.t, static_cast<long>(i) * c.ldy + j));
  return r;
}

}  // namespace

TEST_CASE("batchnorm_training_forward: batch statistics and y against double; same bits on 1 and 2 threads",
          "[equation][loops][batchnorm]") {
  std::mt19937 rng(83);
  const float eps = 1e-5f;
  for (tpp::isa level : tpp_test::levels()) {
    tpp_test::isa_scope scope(level);
    for (dtype t : {dtype::f32, dtype::bf16})
      for (int m : {1, 7, 64, 130})
        for (int n : {1, 9, 33})
          for (tpp::batchnorm_options opt : {tpp::batchnorm_options{false, false}, tpp::batchnorm_options{false, true},
                                             tpp::batchnorm_options{true, true}, tpp::batchnorm_options{true, false}})
            for (int block_rows : {0, 5}) {  // 0: chosen (64 rows at these n), 5: many blocks and a tail
              const case_data c{m, n, n + 3, n == 9 ? n + 1 : n, block_rows, t, opt};
              const int R = std::min(block_rows ? block_rows : 64, m);  // rows per block
              const tpp::operand xo{t, c.ldx};
              guarded x(tpp_test::span_bytes(xo, m, n), true), res(tpp_test::span_bytes(xo, m, n), true);
              // an offset per column, so the mean is not near 0 and the centred sweep matters
              std::uniform_real_distribution<float> uni(-1, 1);
              for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                  const long at = static_cast<long>(i) * c.ldx + j;
                  tpp::store_from_f32(x.data(), t, at, uni(rng) + 0.5f * (j % 5));
                  tpp::store_from_f32(res.data(), t, at, uni(rng));
                }
              std::vector<float> gamma(n), beta(n);
              for (int j = 0; j < n; ++j) {
                gamma[j] = 0.5f + 0.5f * (uni(rng) + 1);
                beta[j] = uni(rng);
            }
            outputs r[2];
            for (int threads : {1, 2}) {
              omp_set_num_threads(threads);
              r[threads - 1] = run(c, x, res, gamma, beta);
            }
            omp_set_num_threads(1);
            INFO(tpp::name(level) << " " << tpp::name(t) << " m = " << m << ", n = " << n << ", relu = " << opt.relu
                                  << ", residual = " << opt.residual << ", block_rows = " << block_rows);
            REQUIRE(r[0].mean == r[1].mean);  // the blocks are fixed by block_rows, not by the threads
            REQUIRE(r[0].rstd == r[1].rstd);
            REQUIRE(r[0].y == r[1].y);
            const outputs& k = r[0];
            const auto xv = [&](int i, int j) {
              return static_cast<double>(tpp::load_as_f32(x.data(), t, static_cast<long>(i) * c.ldx + j));
            };
            for (int j = 0; j < n; ++j) {
              double mean = 0, abs_sum = 0, var = 0;
              for (int i = 0; i < m; ++i) {
                mean += xv(i, j);
                abs_sum += std::fabs(xv(i, j));
              }
              mean /= m;
              for (int i = 0; i < m; ++i) var += (xv(i, j) - mean) * (xv(i, j) - mean);
              var /= m;
              // Each block's mean c_b is its f32 column sum (n_b - 1 additions: off by (n_b - 1) u
              // of its sum of |x|) divided in f32 (u): off from the block's true mean mu_b by
              // delta_b. mean = sum n_b c_b / m in double, rounded once. So mean is off by at most
              // sum n_b delta_b / m + u |mean| <= R u sum|x| / m + u |mean|.
              REQUIRE(std::fabs(k.mean[j] - mean) <= R * u32 * abs_sum / m + u32 * std::fabs(mean));
              // M2_b = sum (x - c_b)^2 in f32: relative (n_b + 1) u (a subtraction, a square, the
              // sum of terms of one sign). Exactly, sum (x - mean)^2 over b = M2_b + n_b (c_b -
              // mean)^2 - 2 n_b (c_b - mu_b)(c_b - mean); the combine drops the last term (at most
              // 2 n_b delta_b (|mu_b - mean| + delta_b)), and rounds var once.
              double between = 0, dropped = 0;
              for (int i0 = 0; i0 < m; i0 += R) {
                const int nb = std::min(R, m - i0);
                double mu = 0, abs_b = 0;
                for (int i = i0; i < i0 + nb; ++i) {
                  mu += xv(i, j);
                  abs_b += std::fabs(xv(i, j));
                }
                mu /= nb;
                const double delta = (nb - 1) * u32 * abs_b / nb + u32 * std::fabs(mu), far = std::fabs(mu - mean) + delta;
                between += nb * far * far / m;
                dropped += 2 * nb * delta * far / m;
              }
              const double var_tol = (R + 3) * u32 * (var + between) + dropped;
              REQUIRE(std::fabs(k.var[j] - var) <= var_tol);
              // rstd = 1 / sqrt(var + eps) in double from the variance before its rounding to var_k
              // (u, which moves rstd by u / 2), then rounded (u); a relative error e of the
              // variance moves rstd by e / 2 (to first order)
              const double rstd_k = 1 / std::sqrt(static_cast<double>(k.var[j]) + eps);
              REQUIRE(std::fabs(k.rstd[j] - rstd_k) <= 1.5 * u32 * rstd_k);
              const double rstd = 1 / std::sqrt(var + eps);
              REQUIRE(std::fabs(k.rstd[j] - rstd) <= (0.5 * var_tol / (var + eps) + 2 * u32) * rstd);
            }
            // y from the kernel's own statistics, in double: y = [relu](x * scale + shift [+ res]).
            // The kernel's differ by: scale from the unrounded rstd (u) and rounded (u), shift =
            // beta - mean * scale rounded (u of its terms: it carries their cancellation), the
            // multiply-add and the residual add in f32 (u each, two if not fused): under 8 u of the
            // sum of the terms' magnitudes; then out's rounding
            for (int i = 0; i < m; ++i)
              for (int j = 0; j < n; ++j) {
                const double r_ = k.rstd[j], sc = gamma[j] * r_, sh = beta[j] - k.mean[j] * sc;
                const double rv = opt.residual ? tpp::load_as_f32(res.data(), t, static_cast<long>(i) * c.ldx + j) : 0.0;
                double y = xv(i, j) * sc + sh + rv;
                const double terms = std::fabs(xv(i, j) * sc) + std::fabs(k.mean[j] * sc) + std::fabs(beta[j]) +
                                     std::fabs(rv);
                if (opt.relu) y = std::max(y, 0.0);
                const double out_rounding = t == dtype::bf16 ? 0x1p-8 * std::fabs(y) : 0.0;  // half a bf16 ulp
                REQUIRE(std::fabs(k.y[static_cast<std::size_t>(i) * n + j] - y) <= 8 * u32 * terms + out_rounding);
              }
            }
  }
}

TEST_CASE("batchnorm_training_forward: bad input throws tpp::error naming it", "[equation][loops][batchnorm]") {
  std::vector<float> x(8 * 4, 1.0f), y(x.size()), g(4, 1.0f), b(4, 0.0f), mean(4), rstd(4);
  tpp::batchnorm_training_params p;
  p.m = 8;
  p.n = 4;
  tpp::batchnorm_training_operands o;
  o.x = x.data();
  o.gamma = g.data();
  o.beta = b.data();
  o.y = y.data();
  o.mean = mean.data();
  o.rstd = rstd.data();
  using tpp_test::has;
  using tpp_test::message_of;
  REQUIRE_NOTHROW(tpp::batchnorm_training_forward(p, o));
  auto q = o;
  q.gamma = nullptr;
  CHECK(has(message_of([&] { tpp::batchnorm_training_forward(p, q); }), "gamma is null"));
  q = o;
  q.residual = x.data();
  CHECK(has(message_of([&] { tpp::batchnorm_training_forward(p, q); }), "options.residual = 0, but residual is given"));
  auto pm = p;
  pm.m = 0;
  CHECK(has(message_of([&] { tpp::batchnorm_training_forward(pm, o); }), "m = 0"));
  pm = p;
  pm.x.ld = 3;
  CHECK(has(message_of([&] { tpp::batchnorm_training_forward(pm, o); }), "ld"));
  pm = p;
  pm.block_rows = -2;
  CHECK(has(message_of([&] { tpp::batchnorm_training_forward(pm, o); }), "block_rows = -2"));
  pm = p;
  pm.eps = -1.0f;
  CHECK(has(message_of([&] { tpp::batchnorm_training_forward(pm, o); }), "eps = -1"));
}
