// Polynomial coefficients shared by the x86 and A64 transcendental injectors, so both compute
// the same approximations. Derived by scripts/fit_math.cpp (Chebyshev interpolation, monomials).
#pragma once

namespace tpp::jit {

// e^r = 1 + r + r^2 E(r) for |r| <= ln2/2; exp_p is the whole polynomial, low to high
constexpr float exp_p[] = {1.0f, 1.0f, 5.000000000e-01f, 1.666657776e-01f, 4.166655615e-02f,
                           8.363173343e-03f, 1.392617589e-03f};
// e^r = 1 + r + r^2 (c2 + c3 r) for |r| <= ln2/16: the x86 exp in eighths (softmax's exp and
// exp_scaled), which takes 2^(j/8) from an 8-entry table (exp8_p, low to high)
constexpr float exp8_p[] = {1.0f, 1.0f, 5.000658035e-01f, 1.667021662e-01f};
// erf(x) = x * P(u), u = 2x^2 - 1, for 0 <= x <= 1
constexpr float erf_p[] = {9.654687643e-01f, -1.405360848e-01f, 1.985249855e-02f,
                           -2.285485622e-03f, 2.175119880e-04f, -1.753691504e-05f,
                           1.231639544e-06f, -7.552378634e-08f};
// The scaled exp (exp_scaled): e^y 2^64 for y <= 0. Its magic addend 1.5 2^23 + 127 + scale
// leaves 2^(n + scale)'s exponent bits in the mantissa of y log2e + magic (A64, with exp_p);
// x86 counts in eighths, m = 8n + j, with 1.5 2^23 + 8 (127 + scale) and exp8_p (softmax's exp
// is its scale 0).
constexpr float exp_scale = 18446744073709551616.0f;  // 2^64
constexpr float exp_magic(int scale) { return 12582912.0f + 127.0f + static_cast<float>(scale); }
constexpr float exp8_magic(int scale) { return 12582912.0f + 8.0f * (127 + scale); }

// erfc_scaled's limits: erfc(10.5) ~ 1e-49 is below every f32 result that scales it, and Phi's
// argument |x|/sqrt2 reaches 10.5 at |x| = 10.5 sqrt2; t = 1/(1 + |x| erfc_t_phi) there
constexpr float erfc_a_max = 10.5f;
constexpr float phi_x_max = 14.8492424f;
constexpr float erfc_t_phi = 0.35355339059327376f;  // 1/(2 sqrt2): a/2 from |x|

// erfc(a) = t e^(-a^2) R(u), t = 1/(1 + a/2), u = erfc_r_map[0] t + erfc_r_map[1] (t at a = 10.6
// maps to -1, a = 0 to 1), for 0 <= a <= 10.6: one formula for the whole range, so Phi(x) needs
// one reciprocal and no branch blend
constexpr float erfc_r_map[] = {2.377358437e+00f, -1.377358437e+00f};
constexpr float erfc_r[] = {5.689143538e-01f, 3.273691237e-01f, 1.038048640e-01f, 6.375235505e-03f,
                            -6.355953868e-03f, -6.847708719e-04f, 6.179018528e-04f, 9.549115930e-06f,
                            -5.740472625e-05f, 7.094460670e-06f};

// e^r - 1 = r q(r): Taylor to degree 8 (q low to high); |r| <= ln2/2
constexpr float expm1_q[] = {1.0f, 0.5f, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040, 1.0f / 40320};

}  // namespace tpp::jit
