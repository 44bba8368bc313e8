// The shipped backward equations are the gradients of their forward: dx and the parameter
// gradients (column sums) of LayerNorm and BatchNorm against central differences of
// L = sum(dy * forward(x, gamma, beta)), computed in double. The equation tests check that a
// kernel computes its tree; this checks that the tree is the right calculus.
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "catch.hpp"
#include "support.hpp"

using tpp::dtype;
using tpp_test::isa_scope;
using tpp_test::levels;

namespace {

using vec = std::vector<double>;
constexpr double eps = 1e-5;

// y (m x n) of LayerNorm (each row normalized) or training BatchNorm (each column, batch stats)
vec norm_forward(bool batch, int m, int n, const vec& x, const vec& gamma, const vec& beta) {
  vec y(x.size());
  const int groups = batch ? n : m, len = batch ? m : n;
  const auto at = [&](int g, int k) { return batch ? k * n + g : g * n + k; };
  for (int g = 0; g < groups; ++g) {
    double mean = 0, var = 0;
    for (int k = 0; k < len; ++k) mean += x[at(g, k)];
    mean /= len;
    for (int k = 0; k < len; ++k) var += (x[at(g, k)] - mean) * (x[at(g, k)] - mean);
    const double rstd = 1 / std::sqrt(var / len + eps);
    for (int k = 0; k < len; ++k) {
      const int i = at(g, k), j = i % n;
      y[i] = (x[i] - mean) * rstd * gamma[j] + beta[j];
    }
  }
  return y;
}

// dL/dv[i] for L = sum(dy * y(v)), by central differences
double central_difference(const std::function<double(const vec&)>& loss, vec v, int i) {
  const double h = 1e-4, v0 = v[i];
  v[i] = v0 + h;
  const double up = loss(v);
  v[i] = v0 - h;
  const double down = loss(v);
  return (up - down) / (2 * h);
}

vec random_vec(std::size_t n, double lo, double hi, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(lo, hi);
  vec v(n);
  for (double& x : v) x = static_cast<float>(u(rng));  // representable in f32: the kernels see the same
  return v;
}

std::vector<float> to_f32(const vec& v) { return std::vector<float>(v.begin(), v.end()); }

// each column's mean and rstd = 1 / sqrt(var + eps) over the m rows (double, rounded to f32)
void batch_statistics(int m, int n, const vec& x, std::vector<float>& mean, std::vector<float>& rstd) {
  for (int j = 0; j < n; ++j) {
    double s = 0, q = 0;
    for (int i = 0; i < m; ++i) s += x[i * n + j];
    s /= m;
    for (int i = 0; i < m; ++i) q += (x[i * n + j] - s) * (x[i * n + j] - s);
    mean[j] = static_cast<float>(s);
    rstd[j] = static_cast<float>(1 / std::sqrt(q / m + eps));
  }
}

// kernel (f32) vs difference quotient: the f32 evaluation (~1e-6 relative to the terms) and the
// quotient's O(h^2) error (~1e-8 here) both sit well inside this
void check_close(const char* what, const std::vector<float>& got, const vec& want) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(what << "[" << i << "]: got " << got[i] << ", finite differences give " << want[i]);
    REQUIRE(std::fabs(got[i] - want[i]) <= 2e-4 * (1 + std::fabs(want[i])));
  }
}

}  // namespace

TEST_CASE("equation: LayerNorm and BatchNorm backward are the gradients of their forward", "[equation]") {
  std::mt19937 rng(71);
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (bool batch : {false, true}) {
      const int m = 9, n = 17;
      const vec x = random_vec(static_cast<std::size_t>(m) * n, -2, 2, rng), dy = random_vec(x.size(), -1, 1, rng);
      const vec gamma = random_vec(n, 0.5, 1.5, rng), beta = random_vec(n, -1, 1, rng);
      const auto loss = [&](const vec& xs, const vec& g, const vec& b) {
        const vec y = norm_forward(batch, m, n, xs, g, b);
        double l = 0;
        for (std::size_t i = 0; i < y.size(); ++i) l += dy[i] * y[i];
        return l;
      };
      vec dx(x.size()), dgamma(n), dbeta(n);
      for (std::size_t i = 0; i < x.size(); ++i)
        dx[i] = central_difference([&](const vec& v) { return loss(v, gamma, beta); }, x, static_cast<int>(i));
      for (int j = 0; j < n; ++j) {
        dgamma[j] = central_difference([&](const vec& v) { return loss(x, v, beta); }, gamma, j);
        dbeta[j] = central_difference([&](const vec& v) { return loss(x, gamma, v); }, beta, j);
      }

      const auto xf = to_f32(x), dyf = to_f32(dy), gf = to_f32(gamma), bf = to_f32(beta);
      std::vector<float> kdx(x.size()), kdg(n, 0.0f), kdb(n, 0.0f);
      if (!batch) {
        const auto k = tpp::equation(tpp::layernorm_backward(m, n, dtype::f32, static_cast<float>(eps),
                                                             tpp::param_grads::column_sums));
        k({xf.data(), gf.data(), dyf.data()}, kdx.data(), {kdg.data(), kdb.data()});
        // and from the statistics the forward saves: the same gradients
        std::vector<float> y(x.size()), mean(m), rstd(m), sdx(x.size()), sdg(n, 0.0f), sdb(n, 0.0f);
        tpp::equation(tpp::layernorm_forward(m, n, dtype::f32, static_cast<float>(eps), tpp::norm_stats::save))(
            {xf.data(), gf.data(), bf.data()}, y.data(), {mean.data(), rstd.data()});
        tpp::equation(tpp::layernorm_backward(m, n, dtype::f32, 0, tpp::param_grads::column_sums,
                                              tpp::norm_stats::saved))(
            {xf.data(), gf.data(), dyf.data(), mean.data(), rstd.data()}, sdx.data(), {sdg.data(), sdb.data()});
        INFO("LayerNorm from saved statistics at " << tpp::name(level));
        check_close("dx", sdx, dx);
        check_close("dgamma", sdg, dgamma);
        check_close("dbeta", sdb, dbeta);
        const vec yd = norm_forward(false, m, n, x, gamma, beta);  // the forward itself, to f32 rounding
        for (std::size_t i = 0; i < yd.size(); ++i) REQUIRE(std::fabs(y[i] - yd[i]) <= 1e-5 * (1 + std::fabs(yd[i])));
      } else {  // the batch statistics, then the two sweeps
        std::vector<float> mean(n), rstd(n);
        batch_statistics(m, n, x, mean, rstd);
        const tpp::batchnorm_options plain{false, false};
        tpp::equation(tpp::batchnorm_backward_sums(m, n, dtype::f32, plain))(
            {xf.data(), mean.data(), rstd.data(), dyf.data()}, nullptr, {kdg.data(), kdb.data()});
        tpp::equation(tpp::batchnorm_backward(m, n, dtype::f32, 0, plain))(
            {xf.data(), mean.data(), rstd.data(), dyf.data(), gf.data(), kdg.data(), kdb.data()}, kdx.data());
      }
      INFO((batch ? "BatchNorm" : "LayerNorm") << " at " << tpp::name(level));
      check_close("dx", kdx, dx);
      check_close("dgamma", kdg, dgamma);
      check_close("dbeta", kdb, dbeta);
    }
  }
}

// BatchNorm with the forward's options: y = [relu](gamma * xhat + beta [+ r]). The backward masks
// dy by the forward's y (relu) and gives the residual's gradient (residual); dx, dgamma, dbeta and
// dr against central differences as above. The residual is nudged so that no pre-activation lies
// within 0.05 of relu's kink (a difference step of 1e-4 then never crosses it).
TEST_CASE("equation: BatchNorm backward with relu and a residual is the gradient of the forward", "[equation]") {
  std::mt19937 rng(73);
  const int m = 9, n = 17;
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (tpp::batchnorm_options o : {tpp::batchnorm_options{false, true}, tpp::batchnorm_options{true, true},
                                     tpp::batchnorm_options{true, false}}) {
      const vec x = random_vec(static_cast<std::size_t>(m) * n, -2, 2, rng), dy = random_vec(x.size(), -1, 1, rng);
      const vec gamma = random_vec(n, 0.5, 1.5, rng), beta = random_vec(n, -1, 1, rng);
      vec r = o.residual ? random_vec(x.size(), -1, 1, rng) : vec(x.size(), 0.0);
      const auto forward = [&](const vec& xs, const vec& g, const vec& b, const vec& rs) {
        vec y = norm_forward(true, m, n, xs, g, b);
        for (std::size_t i = 0; i < y.size(); ++i) {
          y[i] += rs[i];
          if (o.relu) y[i] = std::max(y[i], 0.0);
        }
        return y;
      };
      if (o.relu) {  // away from the kink: pre-activations within 0.05 of 0 moved by 0.1 (r is free)
        const vec pre = norm_forward(true, m, n, x, gamma, beta);
        for (std::size_t i = 0; i < r.size(); ++i)
          if (std::fabs(pre[i] + r[i]) < 0.05) r[i] = static_cast<float>(r[i] + (pre[i] + r[i] < 0 ? -0.1 : 0.1));
      }
      const auto loss = [&](const vec& xs, const vec& g, const vec& b, const vec& rs) {
        const vec y = forward(xs, g, b, rs);
        double l = 0;
        for (std::size_t i = 0; i < y.size(); ++i) l += dy[i] * y[i];
        return l;
      };
      vec dx(x.size()), dr(x.size()), dgamma(n), dbeta(n);
      for (std::size_t i = 0; i < x.size(); ++i) {
        dx[i] = central_difference([&](const vec& v) { return loss(v, gamma, beta, r); }, x, static_cast<int>(i));
        dr[i] = central_difference([&](const vec& v) { return loss(x, gamma, beta, v); }, r, static_cast<int>(i));
      }
      for (int j = 0; j < n; ++j) {
        dgamma[j] = central_difference([&](const vec& v) { return loss(x, v, beta, r); }, gamma, j);
        dbeta[j] = central_difference([&](const vec& v) { return loss(x, gamma, v, r); }, beta, j);
      }
      // the kernels: batch statistics and the forward's y (f32), then the two sweeps
      std::vector<float> mean(n), rstd(n);
      batch_statistics(m, n, x, mean, rstd);
      const auto xf = to_f32(x), dyf = to_f32(dy), gf = to_f32(gamma), yf = to_f32(forward(x, gamma, beta, r));
      std::vector<float> kdx(x.size()), kdr(x.size()), kdg(n, 0.0f), kdb(n, 0.0f);
      std::vector<const void*> in{xf.data(), mean.data(), rstd.data(), dyf.data()};
      if (o.relu) in.push_back(yf.data());
      tpp::equation(tpp::batchnorm_backward_sums(m, n, dtype::f32, o))(in.size(), in.data(), o.residual ? kdr.data() : nullptr,
                                                                       2, std::vector<void*>{kdg.data(), kdb.data()}.data());
      in = {xf.data(), mean.data(), rstd.data(), o.residual ? kdr.data() : dyf.data(), gf.data(), kdg.data(), kdb.data()};
      if (o.relu && !o.residual) in.push_back(yf.data());
      tpp::equation(tpp::batchnorm_backward(m, n, dtype::f32, 0, o))(in.size(), in.data(), kdx.data());
      INFO("BatchNorm residual=" << o.residual << " relu=" << o.relu << " at " << tpp::name(level));
      check_close("dx", kdx, dx);
      check_close("dgamma", kdg, dgamma);
      check_close("dbeta", kdb, dbeta);
      if (o.residual) check_close("dresidual", kdr, dr);
    }
  }
}
