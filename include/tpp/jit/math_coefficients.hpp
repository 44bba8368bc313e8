// Polynomial coefficients shared by the x86 and A64 transcendental injectors, so both compute
// the same approximations. Derived by scripts/fit_math.cpp (Chebyshev interpolation, monomials).
#pragma once

namespace tpp::jit {

// e^r = 1 + r + r^2 E(r) for |r| <= ln2/2; exp_p is the whole polynomial, low to high
constexpr float exp_p[] = {1.0f, 1.0f, 5.000000000e-01f, 1.666657776e-01f, 4.166655615e-02f,
                           8.363173343e-03f, 1.392617589e-03f};
// erf(x) = x * P(u), u = 2x^2 - 1, for 0 <= x <= 1
constexpr float erf_p[] = {9.654687643e-01f, -1.405360848e-01f, 1.985249855e-02f,
                           -2.285485622e-03f, 2.175119880e-04f, -1.753691504e-05f,
                           1.231639544e-06f, -7.552378634e-08f};
// erfc(x) = exp(-x^2) * Q(u) / x, u = 2/x - 1, for x >= 1
constexpr float erfc_q[] = {5.107913613e-01f, -8.360549062e-02f, -9.158377536e-03f,
                            1.486996748e-02f, -6.795550697e-03f, 1.329960185e-03f,
                            6.223240634e-04f, -8.161215228e-04f, 5.148752825e-04f,
                            -1.805453649e-04f, -5.434409832e-05f, 9.923132893e-05f,
                            -3.370587001e-05f};

// e^r - 1 = r q(r): Taylor to degree 8 (q low to high); |r| <= ln2/2
constexpr float expm1_q[] = {1.0f, 0.5f, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040, 1.0f / 40320};

}  // namespace tpp::jit
