// A64 transcendental injectors: the same approximations as jit/x86/math.hpp (same reductions,
// same polynomials from jit/math_coefficients.hpp, same clamps, in the same op order), emitted
// for a list of lanes at once so independent lanes overlap. A lane names its value register and
// its temporaries; temps(op) says how many an op clobbers. Two registers are shared by all lanes:
// k, which holds the constant of the current step (loaded once from the kernel's const_table),
// and m, a sign or compare mask used right after it is made.
//
// Differences from x86, none of which changes a result's bound (tests/jit/math_accuracy):
//   - fmla/fmls accumulate into their destination, so a Horner step loads the coefficient into
//     a second temporary and the two alternate (one more temporary than x86 per function);
//   - fmin/fmax return NaN when either input is NaN, so NaN passes every clamp as on x86.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/const_table.hpp"
#include "tpp/jit/math_coefficients.hpp"
#include "tpp/ops/eltwise_ops.hpp"

namespace tpp::jit::a64 {

struct lane {
  vreg v;                  // value in, result out
  std::array<vreg, 6> t;   // temporaries the function may clobber
};

class math {
 public:
  using lanes_t = std::vector<lane>;
  math(assembler& a, const_table& c, vreg k, vreg m) : a_(a), c_(c), k_(k), m_(m) {}

  // Temporaries per lane for every forward activation (is_activation); -1: not here (zero and
  // the backward ops, which read a second operand, stay with their generators).
  static int temps(unary_op op) {
    switch (op) {
      case unary_op::copy: case unary_op::negate: case unary_op::abs: case unary_op::square:
      case unary_op::sqrt: case unary_op::rsqrt: case unary_op::reciprocal: case unary_op::relu: return 0;
      case unary_op::leaky_relu: return 1;
      case unary_op::exp: return 3;
      case unary_op::tanh: case unary_op::sigmoid: case unary_op::gelu_tanh: case unary_op::elu: return 4;
      case unary_op::erf: case unary_op::gelu_erf: return 5;
      default: return -1;
    }
  }
  // op on every register of `values`, as many at a time as `free` holds their temporaries
  void apply(unary_op op, float alpha, const std::vector<vreg>& values, const std::vector<vreg>& free) {
    in_groups(op, temps(op), values, free, [&](const lanes_t& ls, std::size_t) { apply(op, alpha, ls); });
  }

  // Temporaries per lane of the backward ops (tpp/ops/eltwise_ops.hpp); -1: not here.
  static int backward_temps(unary_op op) {
    switch (op) {
      case unary_op::relu_inv: return 0;
      case unary_op::leaky_relu_inv: case unary_op::tanh_inv: case unary_op::sigmoid_inv: return 1;
      case unary_op::elu_inv: case unary_op::gelu_tanh_inv: return 4;
      case unary_op::gelu_erf_inv: return 5;
      default: return -1;
    }
  }
  // dy[i] = op's dx from dy[i] and the saved forward operand fwd[i] (clobbered), in groups
  void apply_backward(unary_op op, float alpha, const std::vector<vreg>& dy, const std::vector<vreg>& fwd,
                      const std::vector<vreg>& free) {
    in_groups(op, backward_temps(op), dy, free, [&](const lanes_t& ls, std::size_t first) {
      std::vector<vreg> x(fwd.begin() + static_cast<long>(first), fwd.begin() + static_cast<long>(first + ls.size()));
      backward(op, alpha, ls, x);
    });
  }

  void apply(unary_op op, float alpha, const lanes_t& ls) {
    switch (op) {
      case unary_op::copy: break;
      case unary_op::negate: for (auto& l : ls) a_.fneg(l.v, l.v); break;
      case unary_op::abs: for (auto& l : ls) a_.fabs(l.v, l.v); break;
      case unary_op::square: for (auto& l : ls) a_.fmul(l.v, l.v, l.v); break;
      case unary_op::sqrt: for (auto& l : ls) a_.fsqrt(l.v, l.v); break;
      case unary_op::rsqrt:  // a square root and a true division: two roundings, as on x86
        for (auto& l : ls) a_.fsqrt(l.v, l.v);
        each(ls, 1.0f, [&](const lane& l, vreg k) { a_.fdiv(l.v, k, l.v); });
        break;
      case unary_op::reciprocal: each(ls, 1.0f, [&](const lane& l, vreg k) { a_.fdiv(l.v, k, l.v); }); break;
      case unary_op::relu:  // x < 0 ? 0 : x exactly (fmax would turn -0 into +0); NaN kept
        a_.movi_zero(k_);
        for (auto& l : ls) {
          a_.fcmgt(m_, k_, l.v);
          a_.bit(l.v, k_, m_);
        }
        break;
      case unary_op::leaky_relu:  // x > 0 ? x : alpha x (NaN: alpha NaN = NaN)
        each(ls, alpha, [&](const lane& l, vreg k) { a_.fmul(l.t[0], l.v, k); });
        a_.movi_zero(k_);
        for (auto& l : ls) {
          a_.fcmgt(m_, l.v, k_);
          a_.bif(l.v, l.t[0], m_);
        }
        break;
      case unary_op::exp: exp(ls); break;
      case unary_op::tanh: tanh(ls); break;
      case unary_op::sigmoid: sigmoid(ls); break;
      case unary_op::gelu_tanh: gelu_tanh(ls); break;
      case unary_op::elu: elu(ls, alpha); break;
      case unary_op::erf: erf(ls); break;
      case unary_op::gelu_erf: gelu_erf(ls); break;
      default: detail::fail("tpp::jit::a64::math: ", name(op), " has no NEON code");
    }
  }

  // ---- exp: 3 temps -------------------------------------------------------------------------
  // e^x = 2^n p(r), n = round(x log2 e), r = x - n ln2 (two constants), p = exp_p; 2^n applied as
  // 2^(n/2) 2^(n - n/2) so subnormal results round once and x > 88.73 gives +Inf. x clamped to
  // [-104, 89]; nonpositive: the caller guarantees x <= 0 or NaN (only the lower clamp).
  void exp(const lanes_t& ls, bool nonpositive = false) {
    if (!nonpositive) each(ls, 89.0f, [&](const lane& l, vreg k) { a_.fmin(l.v, l.v, k); });
    each(ls, -104.0f, [&](const lane& l, vreg k) { a_.fmax(l.v, l.v, k); });
    reduce_ln2(ls);  // v = r, t0 = n
    horner(ls, 1, 2, exp_p, 7);
    for (auto& l : ls) a_.fcvtzs(l.t[0], l.t[0]);
    for (auto& l : ls) a_.sshr(l.v, l.t[0], 1);
    for (auto& l : ls) a_.sub(l.t[0], l.t[0], l.v);
    pow2_of_int(ls, 0);
    pow2_of_int(ls, -1);
    for (auto& l : ls) a_.fmul(l.t[1], l.t[1], l.v);
    for (auto& l : ls) a_.fmul(l.v, l.t[1], l.t[0]);
  }

  // ---- expm1: 3 temps -----------------------------------------------------------------------
  // e^x - 1 = 2^n (r q(r)) + (2^n - 1): no cancellation near 0. Clamped to [-30, 88] unless
  // the caller's x is there already (in_range), or only raised to -30 where the caller discards
  // the lanes with x > 0 (positive_unused). NaN passes either way (x86's expm1).
  enum class expm1_input { any, in_range, positive_unused };
  void expm1(const lanes_t& ls, expm1_input x = expm1_input::any) {
    if (x == expm1_input::any) each(ls, 88.0f, [&](const lane& l, vreg k) { a_.fmin(l.v, l.v, k); });
    if (x != expm1_input::in_range) each(ls, -30.0f, [&](const lane& l, vreg k) { a_.fmax(l.v, l.v, k); });
    reduce_ln2(ls);
    horner(ls, 1, 2, expm1_q, 8);
    for (auto& l : ls) a_.fmul(l.t[1], l.t[1], l.v);  // r q(r)
    for (auto& l : ls) a_.fcvtzs(l.t[0], l.t[0]);
    pow2_of_int(ls, 0);
    each(ls, 1.0f, [&](const lane& l, vreg k) { a_.fsub(l.v, l.t[0], k); });
    for (auto& l : ls) a_.fmla(l.v, l.t[0], l.t[1]);
  }

  // ---- tanh: 4 temps ------------------------------------------------------------------------
  // tanh|x| = m / (m + 2), m = expm1(2|x|), |x| clamped to 9; the sign (t3) restored. 2|x| is in
  // [0, 18], so expm1 skips its clamp.
  void tanh(const lanes_t& ls) {
    each_bits(ls, 0x80000000u, [&](const lane& l, vreg k) { a_.and_(l.t[3], l.v, k); });
    each_bits(ls, 0x7FFFFFFFu, [&](const lane& l, vreg k) { a_.and_(l.v, l.v, k); });
    each(ls, 9.0f, [&](const lane& l, vreg k) { a_.fmin(l.v, l.v, k); });
    for (auto& l : ls) a_.fadd(l.v, l.v, l.v);
    expm1(ls, expm1_input::in_range);
    each(ls, 2.0f, [&](const lane& l, vreg k) { a_.fadd(l.t[0], l.v, k); });
    for (auto& l : ls) a_.fdiv(l.v, l.v, l.t[0]);
    for (auto& l : ls) a_.orr(l.v, l.v, l.t[3]);
  }

  // ---- exp_scaled: 3 temps ------------------------------------------------------------------
  // e^y S for y <= 0 (or NaN), S = 2^64, y raised to `floor` (-Inf: the caller's y is >= -120
  // already): the magic addend rounds y log2e and carries n + 127 + 64 into 2^n's exponent (x86's
  // exp_scaled, same steps).
  enum class ln2_split { one, two };
  void exp_scaled(const lanes_t& ls, ln2_split split, float floor = -120.0f) {
    if (floor > -INFINITY) each(ls, floor, [&](const lane& l, vreg k) { a_.fmax(l.v, l.v, k); });
    for (auto& l : ls) c_.load(a_, l.t[0], exp_magic(64));
    each(ls, 1.44269504088896341f, [&](const lane& l, vreg k) { a_.fmla(l.t[0], l.v, k); });
    each(ls, exp_magic(64), [&](const lane& l, vreg k) { a_.fsub(l.t[1], l.t[0], k); });
    if (split == ln2_split::one) {
      each(ls, 0.693147182f, [&](const lane& l, vreg k) { a_.fmls(l.v, l.t[1], k); });
    } else {
      each(ls, 0.693145751953125f, [&](const lane& l, vreg k) { a_.fmls(l.v, l.t[1], k); });
      each(ls, 1.428606765330187e-06f, [&](const lane& l, vreg k) { a_.fmls(l.v, l.t[1], k); });
    }
    horner(ls, 1, 2, exp_p, 7);
    for (auto& l : ls) a_.shl(l.t[0], l.t[0], 23);
    for (auto& l : ls) a_.fmul(l.v, l.t[1], l.t[0]);
  }

  // ---- sigmoid: 4 temps ---------------------------------------------------------------------
  // zS = e^-|x| S; x < 0 -> zS / (S + zS), x >= 0 -> S / (S + zS): one rounding (x86's sigmoid)
  void sigmoid(const lanes_t& ls) {
    for (auto& l : ls) a_.orr(l.t[3], l.v, l.v);
    each_bits(ls, 0x80000000u, [&](const lane& l, vreg k) { a_.orr(l.v, l.v, k); });
    exp_scaled(ls, ln2_split::two);
    each(ls, exp_scale, [&](const lane& l, vreg k) { a_.fadd(l.t[0], l.v, k); });
    for (auto& l : ls) select_by_sign(l.v, k_, l.v, l.t[3]);  // k_ still holds S
    for (auto& l : ls) a_.fdiv(l.v, l.v, l.t[0]);
  }

  // ---- gelu_tanh: 4 temps -------------------------------------------------------------------
  // x sigmoid(2u), u = sqrt(2/pi)(x + 0.044715 x^3), x raised to -13 (x = -Inf gives -0);
  // x < 0 -> x zS / (S + zS), x >= 0 -> x / (1 + zS 2^-64), zS = e^-|2u| S (x86's gelu_tanh)
  void gelu_tanh(const lanes_t& ls) {
    each(ls, -13.0f, [&](const lane& l, vreg k) { a_.fmax(l.t[3], l.v, k); });
    constexpr double c = 2 * 0.7978845608028654;
    for (auto& l : ls) a_.fmul(l.t[0], l.t[3], l.t[3]);
    for (auto& l : ls) c_.load(a_, l.t[1], static_cast<float>(c));
    each(ls, static_cast<float>(c * 0.044715), [&](const lane& l, vreg k) { a_.fmla(l.t[1], l.t[0], k); });
    for (auto& l : ls) a_.fmul(l.v, l.t[1], l.t[3]);  // 2u, with x's sign
    each_bits(ls, 0x80000000u, [&](const lane& l, vreg k) { a_.orr(l.v, l.v, k); });
    exp_scaled(ls, ln2_split::one);  // v = zS
    for (auto& l : ls) c_.load(a_, l.t[0], 1.0f);
    each(ls, 1.0f / exp_scale, [&](const lane& l, vreg k) { a_.fmla(l.t[0], l.v, k); });  // 1 + z
    each(ls, exp_scale, [&](const lane& l, vreg k) { a_.fadd(l.t[1], l.v, k); });           // S + zS
    for (auto& l : ls) a_.fmul(l.v, l.v, l.t[3]);                                          // x zS
    for (auto& l : ls) select_by_sign(l.v, l.t[3], l.v, l.t[3]);
    for (auto& l : ls) select_by_sign(l.t[0], l.t[0], l.t[1], l.t[3]);
    for (auto& l : ls) a_.fdiv(l.v, l.v, l.t[0]);
  }

  // ---- elu: 4 temps -------------------------------------------------------------------------
  // x > 0 (or +0) -> x, else alpha (e^x - 1); NaN kept
  void elu(const lanes_t& ls, float alpha) {
    for (auto& l : ls) a_.orr(l.t[3], l.v, l.v);
    expm1(ls, expm1_input::positive_unused);  // x > 0 takes x
    each(ls, alpha, [&](const lane& l, vreg k) { a_.fmul(l.v, l.v, k); });
    for (auto& l : ls) select_by_sign(l.v, l.t[3], l.v, l.t[3]);
  }

  // ---- erf: 5 temps -------------------------------------------------------------------------
  // a <= 1: a P(2a^2 - 1); a > 1 or NaN: 1 - erfc(a) from erfc_scaled; the sign back last (x86's)
  void erf(const lanes_t& ls) {
    erfc_scaled(ls, false);  // t1 = E
    each_bits(ls, 0x7FFFFFFFu, [&](const lane& l, vreg k) { a_.and_(l.t[3], l.v, k); });  // a
    for (auto& l : ls) {  // u = 2a a - 1, one rounding
      a_.fadd(l.t[0], l.t[3], l.t[3]);
      c_.load(a_, l.t[2], -1.0f);
      a_.fmla(l.t[2], l.t[0], l.t[3]);
    }
    lanes_t p;
    for (auto& l : ls) p.push_back({l.t[2], {l.t[0], l.t[4], l.t[4], l.t[4], l.t[4], l.t[4]}});
    horner(p, 0, 1, erf_p, sizeof(erf_p) / sizeof(float));
    for (auto& l : ls) a_.fmul(l.t[0], l.t[0], l.t[3]);  // erf, a <= 1
    for (auto& l : ls) c_.load(a_, l.t[2], 1.0f);
    each(ls, 1.0f / exp_scale, [&](const lane& l, vreg k) { a_.fmls(l.t[2], l.t[1], k); });  // erf, a > 1
    each(ls, 1.0f, [&](const lane& l, vreg k) {
      a_.fcmge(m_, k, l.t[3]);  // a <= 1 (false for NaN) keeps the small-a value
      a_.bif(l.t[0], l.t[2], m_);
    });
    each_bits(ls, 0x80000000u, [&](const lane& l, vreg k) { a_.and_(l.t[1], l.v, k); });
    for (auto& l : ls) a_.orr(l.v, l.t[0], l.t[1]);
  }

  // ---- gelu_erf: 5 temps --------------------------------------------------------------------
  // x Phi(x) from E = erfc(|x|/sqrt2) S: x >= 0: x (1 - E 2^-65), x < 0: (x E) 2^-65; x raised
  // to -phi_x_max (x = -Inf gives -0) (x86's gelu_erf)
  void gelu_erf(const lanes_t& ls) {
    each(ls, -phi_x_max, [&](const lane& l, vreg k) { a_.fmax(l.v, l.v, k); });
    erfc_scaled(ls, true);  // t1 = E
    for (auto& l : ls) c_.load(a_, l.t[0], 1.0f);
    each(ls, 0.5f / exp_scale, [&](const lane& l, vreg k) { a_.fmls(l.t[0], l.t[1], k); });
    for (auto& l : ls) a_.fmul(l.t[0], l.t[0], l.v);
    for (auto& l : ls) a_.fmul(l.t[1], l.t[1], l.v);
    each(ls, 0.5f / exp_scale, [&](const lane& l, vreg k) { a_.fmul(l.t[1], l.t[1], k); });
    for (auto& l : ls) select_by_sign(l.t[0], l.t[0], l.t[1], l.v);
    for (auto& l : ls) a_.orr(l.v, l.t[0], l.t[0]);
  }

  // ---- backward ops: v = dy in, dx out; x[i] = lane i's forward operand, clobbered ---------
  // The x86 formulas (jit/x86/eltwise_generator.hpp, jit/x86/math.hpp) in the same op order.
  void backward(unary_op op, float alpha, const lanes_t& ls, const std::vector<vreg>& x) {
    switch (op) {
      case unary_op::relu_inv:  // x > 0 ? dy : +0 (NaN x: 0)
        a_.movi_zero(k_);
        for (std::size_t i = 0; i < ls.size(); ++i) {
          a_.fcmgt(m_, x[i], k_);
          a_.and_(ls[i].v, ls[i].v, m_);
        }
        break;
      case unary_op::leaky_relu_inv:  // x > 0 ? dy : alpha dy
        each(ls, alpha, [&](const lane& l, vreg k) { a_.fmul(l.t[0], l.v, k); });
        a_.movi_zero(k_);
        for (std::size_t i = 0; i < ls.size(); ++i) {
          a_.fcmgt(m_, x[i], k_);
          a_.bif(ls[i].v, ls[i].t[0], m_);
        }
        break;
      case unary_op::elu_inv: {  // x > 0 ? dy : dy alpha e^x
        a_.movi_zero(k_);
        for (std::size_t i = 0; i < ls.size(); ++i) a_.fcmgt(ls[i].t[3], x[i], k_);
        lanes_t e;
        for (std::size_t i = 0; i < ls.size(); ++i) e.push_back({x[i], {ls[i].t[0], ls[i].t[1], ls[i].t[2], ls[i].t[2], ls[i].t[2], ls[i].t[2]}});
        exp(e);
        c_.load(a_, k_, alpha);
        for (std::size_t i = 0; i < ls.size(); ++i) {
          a_.fmul(x[i], x[i], k_);
          a_.fmul(x[i], x[i], ls[i].v);
          a_.bif(ls[i].v, x[i], ls[i].t[3]);
        }
        break;
      }
      case unary_op::tanh_inv:  // dy (1 - y^2), one rounding in 1 - y^2
        for (std::size_t i = 0; i < ls.size(); ++i) {
          c_.load(a_, ls[i].t[0], 1.0f);
          a_.fmls(ls[i].t[0], x[i], x[i]);
          a_.fmul(ls[i].v, ls[i].v, ls[i].t[0]);
        }
        break;
      case unary_op::sigmoid_inv:  // dy y (1 - y)
        c_.load(a_, k_, 1.0f);
        for (std::size_t i = 0; i < ls.size(); ++i) {
          a_.fsub(ls[i].t[0], k_, x[i]);
          a_.fmul(ls[i].t[0], ls[i].t[0], x[i]);
          a_.fmul(ls[i].v, ls[i].v, ls[i].t[0]);
        }
        break;
      case unary_op::gelu_tanh_inv: gelu_tanh_inv(ls, x); break;
      case unary_op::gelu_erf_inv: gelu_erf_inv(ls, x); break;
      default: detail::fail("tpp::jit::a64::math: ", name(op), " has no NEON code");
    }
  }

 private:
  // d/dx [x sigmoid(2u)] = s + x s (1 - s) 2 sqrt(2/pi) (1 + 3 c x^2), s = sigmoid(2u); x
  // clamped to [-20, 20]; t0..t3.
  void gelu_tanh_inv(const lanes_t& ls0, const std::vector<vreg>& x) {
    constexpr double k = 2 * 0.7978845608028654;
    lanes_t ls;  // x as t4
    for (std::size_t i = 0; i < ls0.size(); ++i) ls.push_back({ls0[i].v, {ls0[i].t[0], ls0[i].t[1], ls0[i].t[2], ls0[i].t[3], x[i], x[i]}});
    each(ls, 20.0f, [&](const lane& l, vreg c) { a_.fmin(l.t[4], l.t[4], c); });
    each(ls, -20.0f, [&](const lane& l, vreg c) { a_.fmax(l.t[4], l.t[4], c); });
    for (auto& l : ls) a_.fmul(l.t[0], l.t[4], l.t[4]);
    for (auto& l : ls) c_.load(a_, l.t[1], static_cast<float>(k));
    each(ls, static_cast<float>(k * 0.044715), [&](const lane& l, vreg c) { a_.fmla(l.t[1], l.t[0], c); });
    for (auto& l : ls) a_.fmul(l.t[3], l.t[1], l.t[4]);  // 2u
    each_bits(ls, 0x80000000u, [&](const lane& l, vreg c) { a_.orr(l.t[3], l.t[3], c); });
    lanes_t u;
    for (auto& l : ls) u.push_back({l.t[3], {l.t[0], l.t[1], l.t[2], l.t[2], l.t[2], l.t[2]}});
    exp_scaled(u, ln2_split::two);  // zS = e^-|2u| S
    each(ls, exp_scale, [&](const lane& l, vreg c) { a_.fadd(l.t[0], l.t[3], c); });  // D = S + zS
    each(ls, 1.0f, [&](const lane& l, vreg c) { a_.fdiv(l.t[2], c, l.t[0]); });       // 1 / D
    for (auto& l : ls) a_.fmul(l.t[1], l.t[3], l.t[2]);                               // z r = zS / D
    each(ls, exp_scale, [&](const lane& l, vreg c) { a_.fmul(l.t[2], l.t[2], c); });  // r = S / D
    for (auto& l : ls) a_.fmul(l.t[0], l.t[1], l.t[2]);                  // s (1 - s) = z r^2
    for (auto& l : ls) select_by_sign(l.t[1], l.t[2], l.t[1], l.t[4]);  // s
    for (auto& l : ls) a_.fmul(l.t[0], l.t[0], l.t[4]);
    each(ls, static_cast<float>(k), [&](const lane& l, vreg c) { a_.fmul(l.t[0], l.t[0], c); });
    for (auto& l : ls) a_.fmul(l.t[2], l.t[4], l.t[4]);
    for (auto& l : ls) c_.load(a_, l.t[3], 1.0f);
    each(ls, 3 * 0.044715f, [&](const lane& l, vreg c) { a_.fmla(l.t[3], l.t[2], c); });
    for (auto& l : ls) a_.fmla(l.t[1], l.t[0], l.t[3]);  // s + ...
    for (auto& l : ls) a_.fmul(l.v, l.v, l.t[1]);
  }

  // d/dx [x Phi(x)] = Phi(x) + x phi(x), both from erfc_scaled's E and G; x clamped to
  // +-phi_x_max; t0..t4 (x86's gelu_erf_inv)
  void gelu_erf_inv(const lanes_t& ls, const std::vector<vreg>& x) {
    lanes_t p;  // x as the value (kept): E into t1, G into t2
    for (std::size_t i = 0; i < ls.size(); ++i) {
      const auto& t = ls[i].t;
      p.push_back({x[i], {t[0], t[1], t[2], t[3], t[4], t[4]}});
    }
    each(p, phi_x_max, [&](const lane& l, vreg c) { a_.fmin(l.v, l.v, c); });
    each(p, -phi_x_max, [&](const lane& l, vreg c) { a_.fmax(l.v, l.v, c); });
    erfc_scaled(p, true);
    each(ls, 0.3989422804014327f / exp_scale, [&](const lane& l, vreg c) { a_.fmul(l.t[2], l.t[2], c); });
    for (std::size_t i = 0; i < ls.size(); ++i) a_.fmul(ls[i].t[2], ls[i].t[2], x[i]);  // x phi(x)
    for (auto& l : ls) c_.load(a_, l.t[0], 1.0f);
    each(ls, 0.5f / exp_scale, [&](const lane& l, vreg c) {
      a_.fmls(l.t[0], l.t[1], c);  // Phi, x >= 0
      a_.fmul(l.t[1], l.t[1], c);  // Phi, x < 0
    });
    for (std::size_t i = 0; i < ls.size(); ++i) select_by_sign(ls[i].t[0], ls[i].t[0], ls[i].t[1], x[i]);
    for (auto& l : ls) a_.fadd(l.t[0], l.t[0], l.t[2]);
    for (auto& l : ls) a_.fmul(l.v, l.v, l.t[0]);
  }

  // t1 = E = erfc(a) S, t2 = G = e^(-a^2) S for a = |v| (kept) or |v|/sqrt2 (by_rsqrt2), a
  // clamped to erfc_a_max: erfc(a) = t e^(-a^2) R(u), t = 1/(1 + a/2), u = map0 t + map1, a^2
  // exact as hi + lo from the unscaled |v| (x86's erfc_scaled, same steps); t0..t4
  void erfc_scaled(const lanes_t& ls, bool by_rsqrt2) {
    const float c_max = by_rsqrt2 ? phi_x_max : erfc_a_max, half = by_rsqrt2 ? 0.5f : 1.0f;
    each_bits(ls, 0x7FFFFFFFu, [&](const lane& l, vreg k) { a_.and_(l.t[3], l.v, k); });
    each(ls, c_max, [&](const lane& l, vreg k) { a_.fmin(l.t[3], l.t[3], k); });  // c
    for (auto& l : ls) a_.fmul(l.t[2], l.t[3], l.t[3]);
    each(ls, -half, [&](const lane& l, vreg k) { a_.fmul(l.t[2], l.t[2], k); });  // -hi
    lanes_t e;
    for (auto& l : ls) e.push_back({l.t[2], {l.t[0], l.t[1], l.t[4], l.t[4], l.t[4], l.t[4]}});
    exp_scaled(e, ln2_split::two, -INFINITY);      // t2 = e^-hi S (-hi >= -110.25)
    for (auto& l : ls) {
      a_.fmul(l.t[1], l.t[3], l.t[3]);             // c c rounded
      a_.fneg(l.t[0], l.t[1]);
      a_.fmla(l.t[0], l.t[3], l.t[3]);             // its error: c c - hi
    }
    if (by_rsqrt2) each(ls, 0.5f, [&](const lane& l, vreg k) { a_.fmul(l.t[0], l.t[0], k); });  // lo
    for (auto& l : ls) a_.fmls(l.t[2], l.t[2], l.t[0]);  // G = e^-hi (1 - lo) S
    for (auto& l : ls) c_.load(a_, l.t[0], 1.0f);
    each(ls, by_rsqrt2 ? erfc_t_phi : 0.5f, [&](const lane& l, vreg k) { a_.fmla(l.t[0], l.t[3], k); });
    each(ls, 1.0f, [&](const lane& l, vreg k) { a_.fdiv(l.t[1], k, l.t[0]); });  // t
    for (auto& l : ls) c_.load(a_, l.t[3], erfc_r_map[1]);
    each(ls, erfc_r_map[0], [&](const lane& l, vreg k) { a_.fmla(l.t[3], l.t[1], k); });  // u
    lanes_t r;
    for (auto& l : ls) r.push_back({l.t[3], {l.t[0], l.t[4], l.t[4], l.t[4], l.t[4], l.t[4]}});
    horner(r, 0, 1, erfc_r, sizeof(erfc_r) / sizeof(float));  // t0 = R(u)
    for (auto& l : ls) a_.fmul(l.t[0], l.t[0], l.t[1]);
    for (auto& l : ls) a_.fmul(l.t[1], l.t[0], l.t[2]);        // E
  }

  // f(lanes, index of the first) over groups of `values` whose n temporaries each fit `free`
  template <class F>
  void in_groups(unary_op op, int n, const std::vector<vreg>& values, const std::vector<vreg>& free, F f) {
    if (n < 0 || static_cast<int>(free.size()) < n) detail::fail("tpp::jit::a64::math: no NEON code or no room for ", name(op));
    const std::size_t group = n ? free.size() / static_cast<std::size_t>(n) : values.size();
    for (std::size_t g0 = 0; g0 < values.size(); g0 += group) {
      lanes_t ls;
      for (std::size_t i = g0; i < std::min(values.size(), g0 + group); ++i) {
        lane l{values[i], {}};
        const std::size_t base = (i - g0) * static_cast<std::size_t>(n);
        for (std::size_t t = 0; t < l.t.size(); ++t) l.t[t] = n ? free[base + std::min<std::size_t>(t, n - 1)] : l.v;
        ls.push_back(l);
      }
      f(ls, g0);
    }
  }
  // v = x -> t0 = n = round(x log2 e) (as a float), v = r = x - n ln2
  void reduce_ln2(const lanes_t& ls) {
    each(ls, 1.44269504088896341f, [&](const lane& l, vreg k) { a_.fmul(l.t[0], l.v, k); });
    for (auto& l : ls) a_.frintn(l.t[0], l.t[0]);
    each(ls, 0.693145751953125f, [&](const lane& l, vreg k) { a_.fmls(l.v, l.t[0], k); });
    each(ls, 1.428606765330187e-06f, [&](const lane& l, vreg k) { a_.fmls(l.v, l.t[0], k); });
  }
  // integer n in t[which] (which < 0: v) -> float 2^n (n in [-126, 127])
  void pow2_of_int(const lanes_t& ls, int which) {
    each_bits(ls, 127u, [&](const lane& l, vreg k) {
      const vreg r = which < 0 ? l.v : l.t[which];
      a_.add(r, r, k);
      a_.shl(r, r, 23);
    });
  }
  // t[acc] = poly(v) by Horner, coefficients low to high. Each step loads the coefficient into
  // the other of t[acc] / t[spare] and accumulates the running value into it (fmla); the start
  // register is chosen so the last step lands in t[acc].
  void horner(const lanes_t& ls, int acc, int spare, const float* c, int n) {
    int cur = (n - 1) % 2 == 0 ? acc : spare, next = cur == acc ? spare : acc;
    for (auto& l : ls) c_.load(a_, l.t[cur], c[n - 1]);
    for (int i = n - 2; i >= 0; --i) {
      for (auto& l : ls) {
        c_.load(a_, l.t[next], c[i]);
        a_.fmla(l.t[next], l.t[cur], l.v);
      }
      std::swap(cur, next);
    }
  }
  // dst = sign(s) set ? neg : pos, where dst is pos or neg (the mask is m)
  void select_by_sign(vreg dst, vreg pos, vreg neg, vreg s) {
    a_.sshr(m_, s, 31);
    if (dst.idx == pos.idx) a_.bit(dst, neg, m_);
    else a_.bif(dst, pos, m_);
  }
  // k = the constant, then f(lane, k) for every lane
  template <class F>
  void each(const lanes_t& ls, float value, F f) {
    c_.load(a_, k_, value);
    for (const lane& l : ls) f(l, k_);
  }
  template <class F>
  void each_bits(const lanes_t& ls, std::uint32_t bits, F f) {
    c_.load(a_, k_, bits);
    for (const lane& l : ls) f(l, k_);
  }

  assembler& a_;
  const_table& c_;
  vreg k_, m_;
};

}  // namespace tpp::jit::a64
