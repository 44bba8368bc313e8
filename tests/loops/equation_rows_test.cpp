// tpp::equation_rows: the rows split into blocks on OpenMP threads give what one call over all
// rows gives (bit for bit for the rows; column sums within two f32 summations of each other),
// and the same bits for 1 and 2 threads.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <random>

#include "catch.hpp"
#include "support.hpp"

using tpp::dtype;

namespace {

std::vector<float> random_floats(std::size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(count);
  for (float& x : v) x = u(rng);
  return v;
}

}  // namespace

TEST_CASE("equation_rows: row blocks on threads match one call; column sums for any thread count",
          "[equation][loops]") {
  std::mt19937 rng(61);
  for (int m : {1, 64, 203})
    for (int n : {7, 33}) {
      // LayerNorm backward with dgamma and dbeta; x and dy with ld > n, dx with ld > n
      tpp::equation_params p = tpp::layernorm_backward(m, n, dtype::f32, 1e-5f, tpp::param_grads::column_sums);
      const int ld = n + 3, ldo = n + 1;
      p.inputs[0].ld = ld;
      p.inputs[2].ld = ld;
      p.out.ld = ldo;
      const auto x = random_floats(static_cast<std::size_t>(m) * ld, rng), dy = random_floats(x.size(), rng);
      const auto gamma = random_floats(n, rng), init = random_floats(2 * static_cast<std::size_t>(n), rng);
      const std::vector<const void*> in = {x.data(), gamma.data(), dy.data()};

      // one call over all rows
      std::vector<float> dx1(static_cast<std::size_t>(m) * ldo, 0.0f), s1(init);
      tpp::equation(p)(in.size(), in.data(), dx1.data(), 2, std::vector<void*>{s1.data(), s1.data() + n}.data());

      std::vector<float> dx[2], s[2];
      for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        std::vector<float>& d = dx[threads - 1];
        std::vector<float>& c = s[threads - 1];
        d.assign(dx1.size(), 0.0f);
        c = init;
        tpp::equation_rows(p, in, d.data(), {c.data(), c.data() + n}, 64);
      }
      omp_set_num_threads(1);
      INFO("m = " << m << ", n = " << n);
      REQUIRE(dx[0] == dx1);  // the same per-row code
      REQUIRE(dx[1] == dx1);
      REQUIRE(s[0] == s[1]);  // blocks fixed by block_rows, partials added in block order

      // the column sums' terms (dy * xhat, dy), to bound two f32 summations of them
      for (int k = 0; k < 2; ++k) {
        tpp::equation_params t = p;
        t.root = p.column_sums[k];
        t.column_sums.clear();
        std::vector<float> terms(dx1.size());
        tpp::equation(t)(in.size(), in.data(), terms.data());
        for (int j = 0; j < n; ++j) {
          double mag = std::fabs(init[k * n + j]);
          for (int i = 0; i < m; ++i) mag += std::fabs(terms[static_cast<std::size_t>(i) * ldo + j]);
          const double tol = 2 * (m + 1) * std::ldexp(1.0, -24) * mag;  // each sum within (m+1)u of exact
          REQUIRE(std::fabs(s[0][k * n + j] - s1[k * n + j]) <= tol);
        }
      }
    }

  // a row-reduction root (m x 1 out with ld) and a column-broadcast input
  tpp::equation_params r;
  r.m = 150;
  r.n = 20;
  r.inputs = {{dtype::f32}, {dtype::f32, 2, tpp::broadcast::column}};
  r.out = {dtype::f32, 3};
  r.root = tpp::row_max(tpp::arg(0) * tpp::arg(1));
  const auto a = random_floats(static_cast<std::size_t>(r.m) * r.n, rng), b = random_floats(2 * r.m, rng);
  std::vector<float> o1(3 * r.m, 0.0f), o2(o1);
  tpp::equation(r)({a.data(), b.data()}, o1.data());
  omp_set_num_threads(2);
  tpp::equation_rows(r, {a.data(), b.data()}, o2.data(), {}, 32);
  omp_set_num_threads(1);
  REQUIRE(o1 == o2);

  // column sums only (out = none, out null): BatchNorm's dgamma and dbeta over 150 rows
  {
    const int m = 150, n = 24;
    const auto x = random_floats(static_cast<std::size_t>(m) * n, rng), dy = random_floats(x.size(), rng);
    const auto mean = random_floats(n, rng), rstd = random_floats(n, rng);
    const tpp::equation_params bn = tpp::batchnorm_backward_sums(m, n, dtype::f32, {false, false});
    std::vector<float> one(2 * n, 0.0f), split[2];
    const std::vector<const void*> in = {x.data(), mean.data(), rstd.data(), dy.data()};
    tpp::equation(bn)(in.size(), in.data(), nullptr, 2, std::vector<void*>{one.data(), one.data() + n}.data());
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      std::vector<float>& c = split[threads - 1];
      c.assign(2 * n, 0.0f);
      tpp::equation_rows(bn, in, nullptr, {c.data(), c.data() + n}, 40);
    }
    omp_set_num_threads(1);
    REQUIRE(split[0] == split[1]);
    for (int j = 0; j < 2 * n; ++j) {
      const int c = j % n;
      double mag = 0;  // the terms' magnitudes: dy * xhat, then dy
      for (int i = 0; i < m; ++i) {
        const double d = dy[i * n + c];
        mag += std::fabs(j < n ? d * (x[i * n + c] - mean[c]) * rstd[c] : d);
      }
      REQUIRE(std::fabs(split[0][j] - one[j]) <= 2 * (m + 1) * std::ldexp(1.0, -24) * mag * 1.01);
    }
  }

  // row outputs: LayerNorm's saved mean and rstd land at each block's rows
  {
    const int m = 130, n = 40;
    const tpp::equation_params ln = tpp::layernorm_forward(m, n, dtype::f32, 1e-5f, tpp::norm_stats::save);
    const auto x = random_floats(static_cast<std::size_t>(m) * n, rng), g = random_floats(n, rng), b = random_floats(n, rng);
    std::vector<float> y1(x.size()), y2(x.size()), st1(2 * m), st2(2 * m, 0.0f);
    tpp::equation(ln)({x.data(), g.data(), b.data()}, y1.data(), {st1.data(), st1.data() + m});
    omp_set_num_threads(2);
    tpp::equation_rows(ln, {x.data(), g.data(), b.data()}, y2.data(), {st2.data(), st2.data() + m}, 32);
    omp_set_num_threads(1);
    REQUIRE(y1 == y2);
    REQUIRE(st1 == st2);
  }

  // bad calls fail before any thread runs
  float y[64] = {};
  REQUIRE_THROWS_AS(tpp::equation_rows(r, {a.data(), nullptr}, o2.data()), tpp::error);
  REQUIRE_THROWS_AS(tpp::equation_rows(r, {a.data()}, o2.data()), tpp::error);
  REQUIRE_THROWS_AS(tpp::equation_rows(r, {a.data(), b.data()}, nullptr), tpp::error);
  REQUIRE_THROWS_AS(tpp::equation_rows(r, {a.data(), b.data()}, o2.data(), {y}), tpp::error);
  REQUIRE_THROWS_AS(tpp::equation_rows(r, {a.data(), b.data()}, o2.data(), {}, 0), tpp::error);
}
