// Derives the polynomial coefficients of tpp's exp and erf/erfc injectors (include/tpp/jit/x86/
// math.hpp, shared with the A64 one). Chebyshev interpolation (near-minimax) in long double,
// converted to monomials in the mapped variable u in [-1, 1], then checked in double against
// std::exp / std::erf / std::erfc.
//   g++ -O2 -o /tmp/fit_math scripts/fit_math.cpp && /tmp/fit_math
//  E: e^r = 1 + r + r^2 E(r),  |r| <= ln2 / 2   (the reduced argument of exp)
//  P: erf(x) = x * P(u),  u = 2x^2 - 1,      0 <= x <= 1
//  Q: erfc(x) = exp(-x^2) * Q(u) / x,  u = 2/x - 1,  1 <= x  (w = 1/x in (0, 1])
#include <cmath>
#include <cstdio>
#include <functional>
#include <vector>

using ld = long double;

std::vector<ld> cheb_fit(const std::function<ld(ld)>& f, int n) {  // returns monomials in u
  std::vector<ld> c(n + 1, 0), fx(n + 1);
  const ld pi = 3.141592653589793238462643383279502884L;
  for (int k = 0; k <= n; ++k) fx[k] = f(std::cos(pi * (k + 0.5L) / (n + 1)));
  for (int j = 0; j <= n; ++j) {
    ld s = 0;
    for (int k = 0; k <= n; ++k) s += fx[k] * std::cos(pi * j * (k + 0.5L) / (n + 1));
    c[j] = 2 * s / (n + 1);
  }
  c[0] /= 2;
  // T_j(u) as monomials, accumulated: m += c_j * T_j
  std::vector<ld> m(n + 1, 0), t0(n + 1, 0), t1(n + 1, 0), t2(n + 1, 0);
  t0[0] = 1;
  t1[1] = 1;
  for (int i = 0; i <= n; ++i) m[i] += c[0] * t0[i];
  if (n >= 1) for (int i = 0; i <= n; ++i) m[i] += c[1] * t1[i];
  for (int j = 2; j <= n; ++j) {
    for (int i = 0; i <= n; ++i) t2[i] = -t0[i] + (i ? 2 * t1[i - 1] : 0);
    for (int i = 0; i <= n; ++i) m[i] += c[j] * t2[i];
    t0 = t1;
    t1 = t2;
  }
  return m;
}

float horner(const std::vector<float>& c, float u) {
  float r = c.back();
  for (int i = static_cast<int>(c.size()) - 2; i >= 0; --i) r = std::fma(r, u, c[i]);
  return r;
}

int main() {
  {  // E: fitted in u = r / a, then scaled to monomials in r
    const ld a = std::log(2.0L) / 2;
    auto E = [&](ld u) {
      const ld r = a * u;
      return std::fabs(r) < 1e-6L ? 0.5L + r / 6 + r * r / 24 : (std::exp(r) - 1 - r) / (r * r);
    };
    for (int deg : {3, 4}) {
      auto m = cheb_fit(E, deg);
      std::vector<float> cf;
      ld s = 1;
      for (ld v : m) {
        cf.push_back(static_cast<float>(v / s));
        s *= a;
      }
      double worst = 0;
      for (int i = -200000; i <= 200000; ++i) {
        const float r = static_cast<float>(a) * i / 200000.0f;
        const float got = std::fma(r * r, horner(cf, r), r) + 1.0f;
        const double want = std::exp((double)r);
        worst = std::fmax(worst, std::fabs(got - want) / (want * 5.96e-8));
      }
      std::printf("E deg %d (exp deg %d): max rel err %.2f (units of 2^-24)\n", deg, deg + 2, worst);
      for (float v : cf) std::printf("  %.9ef,\n", v);
    }
  }
  auto P = [](ld u) { ld x = std::sqrt((u + 1) / 2); return x == 0 ? 2 / std::sqrt(3.141592653589793238L) : std::erf(x) / x; };
  auto Q = [](ld u) {
    ld w = (u + 1) / 2;
    if (w < 0.05L) {  // asymptotic series: next term < 3e-12 here
      ld w2 = w * w;
      return (1 - w2 / 2 + 3 * w2 * w2 / 4 - 15 * w2 * w2 * w2 / 8 + 105 * w2 * w2 * w2 * w2 / 16) /
             std::sqrt(3.141592653589793238L);
    }
    ld x = 1 / w;
    return std::erfc(x) * std::exp(x * x) * x;
  };
  for (int deg : {7, 8, 9}) {
    auto m = cheb_fit(P, deg);
    std::vector<float> cf(m.begin(), m.end());
    double worst = 0;
    for (int i = 0; i <= 200000; ++i) {
      float x = i / 200000.0f;
      float u = std::fma(2 * x, x, -1.0f);
      float got = x * horner(cf, u);
      double want = std::erf((double)x);
      if (want > 0) worst = std::fmax(worst, std::fabs(got - want) / (want * 5.96e-8));
    }
    std::printf("P deg %d: max err %.2f ulp(ish)\n", deg, worst);
    if (deg == 7) { for (float v : cf) std::printf("  %.9ef,\n", v); }
  }
  for (int deg : {10, 12, 14, 16, 18}) {
    auto m = cheb_fit(Q, deg);
    std::vector<float> cf(m.begin(), m.end());
    double worst = 0;
    for (int i = 0; i <= 200000; ++i) {
      double w = 0.0001 + 0.9999 * i / 200000.0;
      float u = 2.0f * static_cast<float>(w) - 1.0f;
      float got = horner(cf, u);
      double want = (double)Q(2 * (long double)(float)w - 1);
      worst = std::fmax(worst, std::fabs(got - want) / (want * 5.96e-8));
    }
    std::printf("Q deg %d: max rel err %.2f (units of 2^-24)\n", deg, worst);
    if (deg == 12) { for (float v : cf) std::printf("  %.9ef,\n", v); }
  }
}
