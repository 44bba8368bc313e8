// Derives the polynomial coefficients of tpp's exp and erf/erfc injectors (include/tpp/jit/x86/
// math.hpp, shared with the A64 one). Chebyshev interpolation (near-minimax) in long double,
// converted to monomials in the mapped variable u in [-1, 1], then checked in double against
// std::exp / std::erf / std::erfc.
//   g++ -O2 -o /tmp/fit_math scripts/fit_math.cpp && /tmp/fit_math
//  E: e^r = 1 + r + r^2 E(r),  |r| <= ln2 / 2   (the reduced argument of exp)
//  E8: the same for |r| <= ln2 / 16, degree 1    (softmax's exp on x86: 2^(j/8) from a table);
//      Chebyshev then a coordinate search for the least max relative error of e^r itself
//      (0.43 against 1.2 units of 2^-24 before rounding; the kernel's worst case 1.9 ulp vs 2.3)
//  P: erf(x) = x * P(u),  u = 2x^2 - 1,      0 <= x <= 1
//  R: erfc(a) = t exp(-a^2) R(u),  t = 1/(1 + a/2),  u = (2t - 1 - t0)/(1 - t0),  0 <= a <= 10.6
//     (t0 = t at 10.6): one formula over the whole range (erf above 1, Phi for gelu_erf)
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

// Coordinate search on E's monomials (in r) for the least max |(1 + r + r^2 E(r)) / e^r - 1| on
// |r| <= a: the steps shrink where no move helps
std::vector<ld> refine_relative(std::vector<ld> c, ld a) {
  const auto worst = [&](const std::vector<ld>& e) {
    ld w = 0;
    for (int i = -4000; i <= 4000; ++i) {
      const ld r = a * i / 4000;
      ld p = 0;  // E(r), Horner
      for (auto c = e.rbegin(); c != e.rend(); ++c) p = p * r + *c;
      w = std::fmax(w, std::fabs((1 + r + r * r * p) / std::exp(r) - 1));
    }
    return w;
  };
  ld best = worst(c), step = 1e-4L;
  for (int it = 0; it < 400 && step > 1e-12L; ++it) {
    bool moved = false;
    for (std::size_t k = 0; k < c.size(); ++k)
      for (ld s : {-step, step}) {
        std::vector<ld> t = c;
        t[k] += s * std::pow(10.0L, static_cast<ld>(k));
        if (const ld w = worst(t); w < best) best = w, c = t, moved = true;
      }
    if (!moved) step *= 0.7L;
  }
  return c;
}

float horner(const std::vector<float>& c, float u) {
  float r = c.back();
  for (int i = static_cast<int>(c.size()) - 2; i >= 0; --i) r = std::fma(r, u, c[i]);
  return r;
}

int main() {
  for (int eighths : {0, 1}) {  // E (E8): fitted in u = r / a, then scaled to monomials in r
    const ld a = std::log(2.0L) / (eighths ? 16 : 2);
    auto E = [&](ld u) {
      const ld r = a * u;
      return std::fabs(r) < 1e-6L ? 0.5L + r / 6 + r * r / 24 : (std::exp(r) - 1 - r) / (r * r);
    };
    for (int deg : eighths ? std::vector<int>{1} : std::vector<int>{3, 4}) {
      auto m = cheb_fit(E, deg);
      ld s = 1;
      for (ld& v : m) {
        v /= s;
        s *= a;
      }
      if (eighths) m = refine_relative(m, a);
      const std::vector<float> cf(m.begin(), m.end());
      double worst = 0;
      for (int i = -200000; i <= 200000; ++i) {
        const float r = static_cast<float>(a) * i / 200000.0f;
        const float got = std::fma(r * r, horner(cf, r), r) + 1.0f;
        const double want = std::exp((double)r);
        worst = std::fmax(worst, std::fabs(got - want) / (want * 5.96e-8));
      }
      std::printf("E%s deg %d (exp deg %d): max rel err %.2f (units of 2^-24)\n", eighths ? "8" : "", deg, deg + 2, worst);
      for (float v : cf) std::printf("  %.9ef,\n", v);
    }
  }
  auto P = [](ld u) { ld x = std::sqrt((u + 1) / 2); return x == 0 ? 2 / std::sqrt(3.141592653589793238L) : std::erf(x) / x; };
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
  {
    const ld A = 10.6L, t0 = 1 / (1 + A / 2);
    auto R = [&](ld u) {
      const ld t = ((1 - t0) * u + 1 + t0) / 2, a = 2 * (1 / t - 1);
      return std::erfc(a) * std::exp(a * a) / t;
    };
    const float c1 = static_cast<float>(2 / (1 - t0)), c0 = static_cast<float>(-(1 + t0) / (1 - t0));
    std::printf("R map: u = t * %.9ef + %.9ef\n", c1, c0);
    for (int deg : {8, 9, 10}) {
      auto m = cheb_fit(R, deg);
      std::vector<float> cf(m.begin(), m.end());
      double worst = 0;
      for (int i = 0; i <= 400000; ++i) {  // as the kernels evaluate it, in float
        const float a = static_cast<float>(A * i / 400000.0L);
        const float t = 1.0f / std::fma(a, 0.5f, 1.0f);
        const float got = t * horner(cf, std::fma(t, c1, c0));
        const ld want = std::erfc(static_cast<ld>(a)) * std::exp(static_cast<ld>(a) * a);
        worst = std::fmax(worst, static_cast<double>(std::fabs(got - want) / (want * 5.96e-8L)));
      }
      std::printf("R deg %d: t R(u) max rel err %.2f (units of 2^-24)\n", deg, worst);
      if (deg == 9) { for (float v : cf) std::printf("  %.9ef,\n", v); }
    }
  }
}
