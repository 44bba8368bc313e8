// Accuracy of every JIT transcendental over a dense sample of the whole float range (every
// 509th bit pattern, both signs: ~17 M inputs per op; 2039th under qemu) plus NaN, +-Inf, +-0, subnormals and the
// extremes; the worst ulp distance from the correctly rounded result must stay within the bound
// documented in tpp/ops/math_bounds.hpp. Runs at every JIT level this machine has.
#include <cstdio>
#include <limits>
#include <vector>

#include "catch.hpp"
#include "support.hpp"
#include "tpp/ops/math_bounds.hpp"

using namespace tpp_test;
using tpp::unary_op;

namespace {

// every `stride`th bit pattern plus the specials
std::vector<float> sample(std::uint64_t stride) {
  std::vector<float> v;
  for (std::uint64_t u = 0; u <= 0xFFFFFFFFull; u += stride) v.push_back(tpp::float_of(static_cast<std::uint32_t>(u)));
  const float specials[] = {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::min(), -std::numeric_limits<float>::min(),
                            std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                            88.72283f, 88.72284f, -87.33654f, -103.27893f, -103.97208f, -104.0f, 9.0f, -9.0f,
                            1.0f, -1.0f, 1e-20f, -1e-20f, 0.5f, -0.5f, 10.0f, -10.0f, 14.1f, -14.1f, 20.0f, -20.0f};
  v.insert(v.end(), std::begin(specials), std::end(specials));
  return v;
}

struct worst {
  std::int64_t ulps = 0;
  float at = 0;
  long in_tail = 0;  // inputs judged by the relative tail bound instead of ulps
};

worst measure_forward(unary_op op, const std::vector<float>& x) {
  tpp::unary_params p;
  p.op = op;
  p.rows = 1;
  p.cols = static_cast<int>(x.size());
  std::vector<float> y(x.size());
  const tpp::unary_kernel k = tpp::unary(p);
  REQUIRE(k.jitted());  // a reference kernel would be measured against itself
  k(x.data(), y.data());
  worst w;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float r = tpp::ref::unary_forward(op, x[i], tpp::default_alpha(op));
    std::int64_t d = ulp_diff(&y[i], &r, tpp::dtype::f32, 0);
    const tpp::accuracy acc = tpp::jit_accuracy(op);
    if (x[i] < acc.tail_below && std::fabs(double(y[i]) - r) <= acc.tail_rel * std::fabs(r)) {
      ++w.in_tail;  // within the documented relative tail bound
      continue;
    }
    if (d > w.ulps) w = {d, x[i], w.in_tail};
  }
  return w;
}

// tanh_inv and sigmoid_inv read the forward *output* y, so only tanh's range [-1, 1] and
// sigmoid's [0, 1] are inputs they can see (outside, 1 - y^2 overflows f32 where the reference's
// double does not); the other backward ops read x, any float.
std::vector<float> forward_range(unary_op op, const std::vector<float>& x) {
  if (op != unary_op::tanh_inv && op != unary_op::sigmoid_inv) return x;
  std::vector<float> y;
  const float lo = op == unary_op::tanh_inv ? -1.0f : 0.0f;
  for (float v : x)
    if (v >= lo && v <= 1.0f) y.push_back(v);
  return y;
}

// Backward: dy = 1.5 (and a sign change), x or y over the sample; reports the error in ulps
// after removing the documented absolute allowance abs_dy * |dy|.
worst measure_backward(unary_op op, const std::vector<float>& f) {
  tpp::unary_params p;
  p.op = op;
  p.rows = 2;
  p.cols = static_cast<int>(f.size());
  p.in.bcast = tpp::broadcast::column;
  p.fwd.type = tpp::dtype::f32;
  p.fwd.bcast = tpp::broadcast::row;
  const float dy[2] = {1.5f, -0.75f};
  std::vector<float> dx(2 * f.size());
  tpp::unary(p)({dy, dx.data(), f.data()});
  const auto acc = tpp::jit_accuracy(op);
  worst w;
  for (int r = 0; r < 2; ++r)
    for (std::size_t i = 0; i < f.size(); ++i) {
      const float want = tpp::ref::unary_backward(op, dy[r], f[i], tpp::default_alpha(op));
      const float got = dx[r * f.size() + i];
      if (std::isnan(want) || std::isnan(got)) {
        if (std::isnan(want) != std::isnan(got)) w = {INT64_MAX / 2, f[i], 0};
        continue;
      }
      if (got == want) continue;  // infinities included
      const double ulp = std::fabs(double(std::nextafter(want, INFINITY)) - want);
      const double excess = std::fabs(double(got) - want) - acc.abs_dy * std::fabs(dy[r]);
      // an infinity against a finite value counts as a miss (never cast a non-finite to int)
      const double q = excess / ulp;
      const std::int64_t d = excess <= 0 ? 0 : q < 1e15 ? static_cast<std::int64_t>(std::ceil(q)) : INT64_MAX / 2;
      if (d > w.ulps) w = {d, f[i], 0};
    }
  return w;
}

}  // namespace

TEST_CASE("transcendentals stay within their documented ulp bounds", "[math][accuracy]") {
#if defined(__aarch64__)
  // under qemu: every 2039th pattern, ~2 M inputs per op (~10 s per CPU model), every binade
  const std::vector<float> x = sample(2039);
#else
  const std::vector<float> x = sample(509);
#endif
  for (tpp::isa level : levels()) {
    // the reference is the oracle itself (measured against itself it would only cost time)
    if (level == tpp::isa::ref) continue;
    isa_scope cap(level);
    for (unary_op op : {unary_op::exp, unary_op::tanh, unary_op::sigmoid, unary_op::gelu_tanh, unary_op::gelu_erf,
                        unary_op::erf, unary_op::elu}) {
      const worst w = measure_forward(op, x);
      std::printf("%-12s %-14s max %lld ulp at %.9g (bound %d)\n", tpp::name(level), tpp::name(op),
                  static_cast<long long>(w.ulps), w.at, tpp::jit_accuracy(op).ulps);
      INFO(tpp::name(op) << " at " << tpp::name(level) << ": " << w.ulps << " ulp at x = " << w.at);
      CHECK(w.ulps <= tpp::jit_accuracy(op).ulps);
    }
    for (unary_op op : {unary_op::elu_inv, unary_op::tanh_inv, unary_op::sigmoid_inv, unary_op::gelu_tanh_inv,
                        unary_op::gelu_erf_inv}) {
      const worst w = measure_backward(op, forward_range(op, x));
      std::printf("%-12s %-14s max %lld ulp at %.9g (bound %d + %g |dy|)\n", tpp::name(level), tpp::name(op),
                  static_cast<long long>(w.ulps), w.at, tpp::jit_accuracy(op).ulps, tpp::jit_accuracy(op).abs_dy);
      INFO(tpp::name(op) << " at " << tpp::name(level) << ": " << w.ulps << " ulp at fwd = " << w.at);
      CHECK(w.ulps <= tpp::jit_accuracy(op).ulps);
    }
  }
}

// Softmax's exp(x - max): the equation generators take a shorter exp for it (x86: 2^(j/8) from an
// 8-entry table and a degree-3 polynomial), documented as within 2 ulp + |y| 2^-24 relative for
// y = x - max >= -87.3 (the f32 ln2 constant adds 2.7e-9 |y|), and within 2^-126 of e^y below
// that (it may flush). Every 509th negative bit pattern down to -88 (2039th under qemu), then
// beyond to -200, in one row whose max is 0, so y = x exactly.
TEST_CASE("softmax's exp(x - max) stays within 2 ulp + |x - max| 2^-24", "[math][accuracy][equation]") {
#if defined(__aarch64__)
  const std::uint32_t stride = 2039;
#else
  const std::uint32_t stride = 509;
#endif
  std::vector<float> x{0.0f, -87.33654f, -87.3365479f, -88.0f, -88.0001f, -103.9f, -200.0f, -0.0f, -1e-30f};
  for (std::uint32_t u = 0x80000000u; u <= tpp::bits_of(-90.0f); u += stride) x.push_back(tpp::float_of(u));
  const tpp::expr a = tpp::arg(0);
  tpp::equation_params p;
  p.m = 1;
  p.n = static_cast<int>(x.size());
  p.inputs = {{tpp::dtype::f32}};
  p.root = tpp::exp(a - tpp::row_max(a));
  for (tpp::isa level : levels()) {
    if (level == tpp::isa::ref) continue;
    isa_scope cap(level);
    std::vector<float> y(x.size(), -1.0f);
    const tpp::equation_kernel k = tpp::equation(p);
    REQUIRE(k.jitted());
    k({x.data()}, y.data());
    double worst = 0;
    float at = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double want = std::exp(double(x[i]));
      const double err = std::fabs(double(y[i]) - want);
      INFO(tpp::name(level) << ": exp(" << x[i] << ") = " << y[i] << ", want " << want);
      REQUIRE(y[i] >= 0.0f);
      if (want < 0x1p-126) {
        REQUIRE(err <= 0x1p-126);
        continue;
      }
      const double ulp = std::ldexp(1.0, std::ilogb(want) - 23);
      const double excess = (err - std::fabs(double(x[i])) * 0x1p-24 * want) / ulp;
      if (excess > worst) worst = excess, at = x[i];
    }
    std::printf("%-12s softmax exp    max %.2f ulp beyond |y| 2^-24 at %.9g (bound 2)\n", tpp::name(level), worst, at);
    CHECK(worst <= 2.0);
  }
}
