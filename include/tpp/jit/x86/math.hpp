// Transcendental injectors: each call emits code that replaces a register with f(register), for a
// list of lanes at once (every step is emitted for all lanes before the next, so independent
// lanes overlap in the pipeline). A lane names its value register and the temporaries it may
// clobber; `temps_needed` says how many each function uses. Constants live in the kernel's
// const_table. Maximum errors (measured over the whole float range by tests/jit/math_accuracy)
// are listed in tpp/ops/math_bounds.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <cmath>
#include <cstring>
#include <deque>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <xbyak/xbyak.h>

#include "tpp/core/dtype.hpp"
#include "tpp/jit/math_coefficients.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/vec.hpp"
#include "tpp/ops/eltwise_ops.hpp"

namespace tpp::jit::x86 {

template <class V>
struct lane {
  V v;                    // value in, result out
  std::array<V, 6> t;     // temporaries the function may clobber
};

template <class V>
class math {
  static constexpr bool avx512 = vec<V>::avx512;

 public:
  using lanes_t = std::vector<lane<V>>;
  math(Xbyak::CodeGenerator& g, const_table& c) : g_(g), c_(c) {}

  // A lane from a value register and its temporaries (unnamed temporaries repeat v: unused).
  static lane<V> make_lane(const V& v, std::initializer_list<V> t) {
    lane<V> l{v, {v, v, v, v, v, v}};
    std::size_t i = 0;
    for (const V& r : t) l.t[i++] = r;
    return l;
  }

  // ---- exp: 2 temps -------------------------------------------------------------------------
  // What the caller knows of x, and what it accepts for results below 2^-126:
  //   any               x anywhere; subnormal results round correctly
  //   nonpositive_ftz   x <= 0 (or NaN), results below 2^-126 may flush to +0: softmax's
  //                     exp(x - max), divided next by a sum >= 1
  enum class exp_domain { any, nonpositive_ftz };

  // e^x = 2^n * p(r), n = round(x log2 e), r = x - n ln2 (two-constant Cody-Waite), p = degree-6
  // polynomial (exp_p). x is clamped to [-104, 89] (NaN passes through); x > 88.73 overflows to
  // +Inf. 2^n is applied as 2^(n/2) * 2^(n - n/2) so results in the subnormal range round
  // correctly. nonpositive_ftz has its own shorter sequence (exp_nonpositive_ftz).
  void exp(const lanes_t& ls, exp_domain dom = exp_domain::any) {
    if (dom == exp_domain::nonpositive_ftz) return exp_nonpositive_ftz(ls);
    clamp(ls, -104.0f, 89.0f);
    reduce_ln2(ls);  // v = r, t0 = n (float)
    horner(ls, 1, exp_p, 7);
    for (auto& l : ls) g_.vcvtps2dq(l.t[0], l.t[0]);
    for (auto& l : ls) g_.vpsrad(l.v, l.t[0], 1);
    for (auto& l : ls) g_.vpsubd(l.t[0], l.t[0], l.v);
    for (auto& l : ls) pow2_of_int(l.v);
    for (auto& l : ls) pow2_of_int(l.t[0]);
    for (auto& l : ls) g_.vmulps(l.t[1], l.t[1], l.v);
    for (auto& l : ls) g_.vmulps(l.v, l.t[1], l.t[0]);
  }

  // ---- exp in eighths of a power of two: 2 temps ---------------------------------------------
  // e^y 2^scale for y <= 0 (or NaN), y first raised to `floor` (-Inf: the caller's y is in range):
  //   t = y 8log2e + (1.5 2^23 + 8 (127 + scale))
  //                             one FMA rounds m = round(8 y log2e): t's low bits hold
  //                             m + 8 (127 + scale) = 8 (n + 127 + scale) + j, n = floor(m / 8),
  //                             j = m & 7
  //   r = y - m ln2/8           |r| <= ln2/16; one constant or two (ln2_split)
  //   s = (t << 20) + T[j]      vpermps picks T[j] = bits(2^(j/8)) - 127 << 23 - j << 20 by t's
  //                             low bits, so s = 2^(n + scale) 2^(j/8) with no shift right
  //   e^y 2^scale = s p(r), p = 1 + r + r^2 (c2 + c3 r) (exp8_p: 0.43 units of 2^-24 before
  //                             rounding), taken as s + (s r)(1 + r (c2 + c3 r)): the last FMA
  //                             rounds once, s r runs beside the polynomial, and the chain from r
  //                             is three FMAs where Horner then a product is four steps
  // t << 20 keeps the low 12 bits of t, so m + 8 (127 + scale) must stay in [0, 4096): y down to
  // -88 at scale 0 and -132 at scale 64. Against a degree-6 polynomial on |r| <= ln2/2, three FMAs
  // and two constant loads fewer per vector for one shuffle and one integer add, which run beside
  // the FMAs (scripts/fit_math.cpp's E8 checks the polynomial).
  // Softmax's exp (exp_nonpositive_ftz) is scale 0, floor -88 (m = -1016, n = -127, s = +0), one
  // ln2 constant: within 0.98 ulp + |y| 2^-24 (measured; asserted: 2), results below 2^-126
  // within 2^-126 (flushed to zero or not): softmax divides by a sum >= 1. The activations'
  // exp_scaled is scale 64 (below).
  enum class ln2_split { one, two };
  void exp_eighths(const lanes_t& ls, float floor, int scale, ln2_split split) {
    const float magic = exp8_magic(scale);
    if (floor > -INFINITY) raise_to(ls, floor, -1);
    for (auto& l : ls) g_.vmovaps(l.t[0], k(magic));
    for (auto& l : ls) g_.vfmadd231ps(l.t[0], l.v, k(exp8_log2e));
    for (auto& l : ls) g_.vsubps(l.t[1], l.t[0], k(magic));
    if (split == ln2_split::one) {
      for (auto& l : ls) g_.vfnmadd231ps(l.v, l.t[1], k(exp8_ln2));
    } else {
      for (auto& l : ls) g_.vfnmadd231ps(l.v, l.t[1], k(exp8_ln2_hi));
      for (auto& l : ls) g_.vfnmadd231ps(l.v, l.t[1], k(exp8_ln2_lo));
    }
    exp8_product(ls, exp8_p[3], exp8_p[2], 1.0f);
  }
  // t0 = t (the magic sum), v = r -> v = s + (s r)(c1 + r (c2 + c3 r)), s = 2^(m/8) from t's bits
  void exp8_product(const lanes_t& ls, float c3, float c2, float c1) {
    // index: the low 3 (zmm: 4) bits of t. The table from its pin (softmax's exp on AVX2), else
    // on AVX2 loaded by its own move: Zen 3 ran vpermps with a memory operand slower than a load
    // and a register vpermps (in-process A/B: softmax 1024 x 4096 1.01-1.02x; gelu_tanh 1.01-1.02x
    // at 64 x 256 and 1024 x 4096, 1.01x at 64 x 64; sigmoid 1.00-1.04x there, 0.997x at 64 x 64).
    // zmm keeps the memory operand (one fused uop on Intel).
    if (table_pin_) {
      for (auto& l : ls) g_.vpermps(l.t[1], l.t[0], *table_pin_);
    } else if (std::is_same<V, Xbyak::Ymm>::value) {
      for (auto& l : ls) g_.vmovups(l.t[1], c_.lanes(exp8_table()));
      for (auto& l : ls) g_.vpermps(l.t[1], l.t[0], l.t[1]);
    } else {
      const Xbyak::Address table = c_.lanes(exp8_table());
      for (auto& l : ls) g_.vpermps(l.t[1], l.t[0], table);
    }
    for (auto& l : ls) g_.vpslld(l.t[0], l.t[0], 20);
    for (auto& l : ls) g_.vpaddd(l.t[0], l.t[0], l.t[1]);  // s
    for (auto& l : ls) g_.vmovaps(l.t[1], k(c3));
    for (auto& l : ls) g_.vfmadd213ps(l.t[1], l.v, k(c2));
    for (auto& l : ls) g_.vfmadd213ps(l.t[1], l.v, k(c1));  // c1 + r (c2 + c3 r)
    for (auto& l : ls) g_.vmulps(l.v, l.v, l.t[0]);         // s r
    for (auto& l : ls) g_.vfmadd213ps(l.v, l.t[1], l.t[0]);
  }
  // The same from w = 8 log2e y, y's multiplier folded into whatever made it (gelu_tanh's
  // argument): m = round(w) by one add of the magic, r' = w - m exactly (Sterbenz), and the
  // polynomial takes r' with ln2/8 folded into its coefficients (exp8_pw): no FMA for the rounding
  // and none for the reduction, and two constants fewer per vector. w's rounding is an error of
  // |y| 2^-24 in y, where the FMA of exp_eighths saw y exactly: for callers whose y carries as
  // much error already. `floor_w` is in w's units.
  void exp_eighths_of_w(const lanes_t& ls, float floor_w, int scale) {
    const float magic = exp8_magic(scale);
    if (floor_w > -INFINITY) raise_to(ls, floor_w, -1);
    for (auto& l : ls) g_.vaddps(l.t[0], l.v, k(magic));
    for (auto& l : ls) g_.vsubps(l.t[1], l.t[0], k(magic));
    for (auto& l : ls) g_.vsubps(l.v, l.v, l.t[1]);  // r' = r 8/ln2, exact
    exp8_product(ls, exp8_pw[2], exp8_pw[1], exp8_pw[0]);  // s + (s r') L (1 + r (c2 + c3 r))
  }
  // exp8_p's top three in r' = r 8/ln2: L, c2 L^2, c3 L^3 (L = ln2/8), low to high
  static constexpr double exp8_L = 0.693147180559945309 / 8;
  static constexpr float exp8_pw[] = {static_cast<float>(exp8_L), static_cast<float>(exp8_p[2] * exp8_L * exp8_L),
                                      static_cast<float>(exp8_p[3] * exp8_L * exp8_L * exp8_L)};
  void exp_nonpositive_ftz(const lanes_t& ls) { exp_eighths(ls, -88.0f, 0, ln2_split::one); }
  // softmax's exp constants in their order of use per vector (the equation generator pins them)
  static std::vector<float> exp_nonpositive_ftz_constants() {
    return {exp8_magic(0), -88.0f, exp8_log2e, exp8_ln2, exp8_p[3], 1.0f, exp8_p[2]};
  }
  static constexpr double exp8_log2e_d = 8 * 1.44269504088896341;
  static constexpr float exp8_log2e = static_cast<float>(exp8_log2e_d);
  // gelu_tanh's w = -|2u| 8 log2e: exp_scaled's floor -120 in w's units (its pin must match)
  static constexpr float gelu_tanh_floor_w = -120.0f * exp8_log2e;
  static constexpr float exp8_ln2 = 0.693147182f / 8;
  static constexpr float exp8_ln2_hi = 0.693145751953125f / 8;  // y - m ln2_hi/8 exact in one FMA
  static constexpr float exp8_ln2_lo = 1.428606765330187e-06f / 8;
  // T[j] = bits(2^(j/8)) - 127 << 23 - j << 20, j = 0..7, repeated to fill a vector (zmm indexes
  // with 4 bits; the fourth is n's lowest, which the shift puts in the exponent)
  static std::vector<std::uint32_t> exp8_table() {
    std::vector<std::uint32_t> t(vec<V>::lanes);
    for (std::size_t i = 0; i < t.size(); ++i) {
      const std::uint32_t j = static_cast<std::uint32_t>(i % 8);
      t[i] = bits_of(static_cast<float>(std::exp2(j / 8.0))) - (127u << 23) - (j << 20);
    }
    return t;
  }

  // ---- exp_scaled: 2 temps -------------------------------------------------------------------
  // e^y S, S = 2^64, for y <= 0 (or NaN) raised to `floor` (default -120): exp_eighths at scale 64,
  // so the result is a normal float >= e^-120 S ~ 1.4e-33 with no subnormal 2^n to round, and
  // callers that divide by a multiple of S get the one correctly placed rounding. ln2 in two
  // parts: its callers' |y| reaches 88-110 (sigmoid, gelu_tanh_inv, erfc); gelu_tanh, whose y
  // carries its argument's rounding anyway, takes exp_eighths_of_w at the same scale.
  void exp_scaled(const lanes_t& ls, float floor = -120.0f) { exp_eighths(ls, floor, 64, ln2_split::two); }

  // whether l names n temporaries of its own (make_lane repeats v for the unnamed)
  static bool has_temps(const lane<V>& l, int n) {
    for (int i = 0; i < n; ++i)
      if (l.t[i] == l.v) return false;
    return true;
  }

  // ---- constants held in registers ----------------------------------------------------------
  // A generator with vector registers to spare around a loop loads constants into them before
  // it and pins them here; inside, k(value) names the register instead of the table entry. On
  // Zen 3 softmax's exp reads a dozen constants per vector: as memory operands they, not the
  // FMAs, bound the loop (two 256-bit loads per cycle).
  // loads value into r (emitted here, before the loop) and pins it
  void load_pin(float value, const V& r) {
    g_.vmovups(r, c_.f(value));
    pins_.push_back({value, r});
  }
  // exp8's 2^(j/8) table (a vector of distinct lanes) into r, pinned like the constants
  void load_table_pin(const V& r) {
    g_.vmovups(r, c_.lanes(exp8_table()));
    table_pin_ = r;
  }
  void unpin() {
    pins_.clear();
    table_pin_.reset();
  }
  const V* pinned(float value) const {
    for (const auto& p : pins_)
      if (std::memcmp(&p.first, &value, sizeof value) == 0) return &p.second;
    return nullptr;
  }
  // value as an operand: its pinned register, else its table entry
  const Xbyak::Operand& k(float value) {
    if (const V* r = pinned(value)) return *r;
    addresses_.push_back(c_.f(value));
    return addresses_.back();
  }

  // The constants op reads per vector that are worth a register, most reads first; empty: none
  // listed. The element-wise generator pins what the registers its lanes leave can hold: all of
  // them on AVX-512 (Xeon, 64 x 256: gelu_tanh 1.03x, sigmoid 1.08x over none; gelu_erf and erf
  // 12 of their ~20 at 4 temps, 1.02x and 1.07x), none on AVX2 at 4 lanes, 1.0 and exp's magic
  // for gelu_erf and erf at 2.
  // Giving up an AVX2 lane for pins measured gelu_tanh 1.02x, sigmoid 1.10x (Zen 3, one A/B
  // each); sigmoid takes it (pinned_lanes_avx2).
  static std::vector<float> pinnable_constants(unary_op op) {
    constexpr double k2 = 2 * 0.7978845608028654;
    // exp_eighths' reads at scale 64 after the floor: magic (twice), 8 log2e, the ln2 constant(s)
    // and exp8_p from the top (1.0 listed by each op)
    const std::vector<float> exp_tail = {exp8_magic(64), exp8_log2e, exp8_p[3], exp8_p[2]};
    std::vector<float> c;
    if (op == unary_op::gelu_tanh) {  // exp_eighths_of_w: magic twice, then exp8_pw from the top
      const double k2w = k2 * exp8_log2e_d;  // gelu_tanh_arg's, times 8 log2e
      c = {exp8_magic(64), exp8_pw[2], exp8_pw[1], exp8_pw[0], exp_scale, -13.0f, gelu_tanh_floor_w,
           static_cast<float>(k2w * 0.044715), static_cast<float>(k2w), -0.0f};
    } else if (op == unary_op::sigmoid) {
      c = {1.0f, exp_scale, -0.0f, -120.0f};
      c.insert(c.begin() + 1, exp_tail.begin(), exp_tail.end());
      c.insert(c.end(), {exp8_ln2_hi, exp8_ln2_lo});
    } else if (op == unary_op::exp) {  // exp(any): its clamp, then reduce_ln2, then exp_p's Horner
      c = {89.0f, -104.0f, ln2_log2e, ln2_hi, ln2_lo};
      for (int i = 6; i >= 0; --i) c.push_back(exp_p[i]);
    } else if (op == unary_op::gelu_erf || op == unary_op::erf) {
      // 1.0 is read 5-7 times (exp8_p's two lowest, 1 + a/2, the division, 1 - E ...), the rest
      // once; erfc_scaled passes exp_scaled no floor
      c = {1.0f};
      c.insert(c.end(), exp_tail.begin(), exp_tail.end());
      c.insert(c.end(), {exp8_ln2_hi, exp8_ln2_lo, erfc_r_map[0], erfc_r_map[1]});
      for (int i = static_cast<int>(sizeof(erfc_r) / sizeof(float)) - 1; i >= 0; --i) c.push_back(erfc_r[i]);
    }
    return c;
  }

  // The lanes the element-wise generator runs op with on AVX2 so that the rest of the 16
  // registers hold pinnable_constants; 0: as many lanes as fit. sigmoid at 2 lanes and 8 pins
  // against 4 lanes and none, Zen 3, the two builds alternating twice (gl4.cpp), ns per element:
  // 64x256 0.321-0.323 -> 0.290, 1024x4096 0.341-0.348 -> 0.310-0.316 (3 lanes: 0.304, 0.325-0.329).
  // gelu_tanh, whose chain is longer, ran 0.94-0.95x at 3 lanes and at 2, so keeps 4.
  static int pinned_lanes_avx2(unary_op op) { return op == unary_op::sigmoid ? 2 : 0; }

  // ---- expm1: 2 temps -----------------------------------------------------------------------
  // e^x - 1 = 2^n (r q(r)) + (2^n - 1): no cancellation near 0. Clamped to [-30, 88] unless
  // the caller's x is there already (in_range), or only raised to -30 where the caller discards
  // the lanes with x > 0 (positive_unused: what 88 guards, n <= 127, matters there only). NaN
  // passes either way.
  enum class expm1_input { any, in_range, positive_unused };
  void expm1(const lanes_t& ls, expm1_input x = expm1_input::any) {
    if (x == expm1_input::any) clamp(ls, -30.0f, 88.0f);
    if (x == expm1_input::positive_unused) raise_to(ls, -30.0f, -1);
    reduce_ln2(ls);
    horner(ls, 1, expm1_q, 8);
    for (auto& l : ls) g_.vmulps(l.t[1], l.t[1], l.v);   // r q(r) = p(r) - 1
    for (auto& l : ls) g_.vcvtps2dq(l.t[0], l.t[0]);
    for (auto& l : ls) pow2_of_int(l.t[0]);
    for (auto& l : ls) g_.vsubps(l.v, l.t[0], c_.f(1.0f));
    for (auto& l : ls) g_.vfmadd231ps(l.v, l.t[0], l.t[1]);
  }

  // ---- tanh: 3 temps ------------------------------------------------------------------------
  // tanh|x| = m / (m + 2), m = expm1(2|x|), |x| clamped to 9 (tanh 9 rounds to 1); sign restored.
  // 2|x| is in [0, 18], so expm1 skips its clamp.
  void tanh(const lanes_t& ls) {
    for (auto& l : ls) g_.vandps(l.t[2], l.v, c_.u32(0x80000000u));
    for (auto& l : ls) g_.vandps(l.v, l.v, c_.u32(0x7FFFFFFFu));
    for (auto& l : ls) g_.vmovaps(l.t[0], c_.f(9.0f));
    for (auto& l : ls) g_.vminps(l.v, l.t[0], l.v);
    for (auto& l : ls) g_.vaddps(l.v, l.v, l.v);
    expm1(ls, expm1_input::in_range);
    for (auto& l : ls) g_.vaddps(l.t[0], l.v, c_.f(2.0f));
    for (auto& l : ls) g_.vdivps(l.v, l.v, l.t[0]);
    for (auto& l : ls) g_.vorps(l.v, l.v, l.t[2]);
  }

  // ---- sigmoid: 3 temps ---------------------------------------------------------------------
  // z = e^-|x| scaled by S = 2^64 (exp_scaled), then one division:
  //   x < 0:  z / (1 + z) = zS / (S + zS)       x >= 0:  1 / (1 + z) = S / (S + zS)
  // The scale keeps zS normal where z is subnormal (x < -87.3), so the one rounding of the
  // division is the result's, subnormal or not. NaN passes; -Inf gives +0.
  void sigmoid(const lanes_t& ls) {
    for (auto& l : ls) g_.vmovaps(l.t[2], l.v);
    for (auto& l : ls) g_.vorps(l.v, l.v, k(-0.0f));  // -|x|
    exp_scaled(ls);
    sigmoid_of_scaled(ls);
  }
  // v = zS (z = e^-|w|) and the sign of w in t2 -> v = sigmoid(w) = N / (S + zS), N = S for
  // w >= 0, zS for w < 0: one blend, one division (sigmoid, gelu_tanh)
  void sigmoid_of_scaled(const lanes_t& ls) {
    for (auto& l : ls) g_.vmovaps(l.t[1], k(exp_scale));
    for (auto& l : ls) g_.vaddps(l.t[0], l.v, l.t[1]);  // S + zS
    for (auto& l : ls) select_by_sign(l.v, l.t[1], l.v, l.t[2]);
    for (auto& l : ls) g_.vdivps(l.v, l.v, l.t[0]);
  }

  // ---- gelu_tanh: 3 temps -------------------------------------------------------------------
  // x sigmoid(2u), u = sqrt(2/pi)(x + 0.044715 x^3): the same function as 0.5x(1 + tanh u)
  // without its cancellation for negative x. With z = e^-|2u| scaled by S = 2^64 (exp_eighths_of_w,
  // 8 log2e folded into the argument's two constants):
  //   sigmoid(2u) = N / (S + zS),  N = S for x >= 0 (1 / (1 + z)), zS for x < 0 (z / (1 + z))
  // one blend, one division, then times x (x N first would overflow for x >= 2^64). x is first
  // raised to -13, past which x e^2u < 2^-170 rounds to -0 (so x = -Inf gives -0, its limit), and
  // the exp's floor e^-120 gives sigmoid 0 there too. Below x ~ -10 sigmoid(2u) is subnormal:
  // at most |x| 2^-150 off in the product, within gelu_tanh's bound (math_bounds.hpp).
  void gelu_tanh(const lanes_t& ls) {
    raise_to(ls, -13.0f, 2);  // t2 = max(-13, x), NaN passes
    gelu_tanh_arg(ls, 2, exp8_log2e_d);
    for (auto& l : ls) g_.vorps(l.v, l.v, k(-0.0f));  // w = -|2u| 8 log2e
    exp_eighths_of_w(ls, gelu_tanh_floor_w, 64);  // v = zS
    sigmoid_of_scaled(ls);           // 2u has x's sign
    for (auto& l : ls) g_.vmulps(l.v, l.v, l.t[2]);
  }

  // ---- erf: 4 temps (6 run it faster, see erfc_scaled) --------------------------------------
  // a = |x|. a <= 1: erf = a P(2a^2 - 1), relative accuracy down to 0; a > 1 (or NaN): 1 - erfc(a)
  // from erfc_scaled (erfc(1) = 0.16, so its relative error shrinks 5x in erf). Both run, a
  // blend picks, the sign comes back last.
  void erf(const lanes_t& ls) {
    erfc_scaled(ls, false, false);                                    // t1 = E
    for (auto& l : ls) g_.vandps(l.t[3], l.v, c_.u32(0x7FFFFFFFu));        // a
    for (auto& l : ls) g_.vaddps(l.t[2], l.t[3], l.t[3]);
    for (auto& l : ls) g_.vfmsub213ps(l.t[2], l.t[3], k(1.0f));             // u = 2a^2 - 1
    lanes_t p;
    for (auto& l : ls) p.push_back(make_lane(l.t[2], {l.t[0]}));
    horner(p, 0, erf_p, sizeof(erf_p) / sizeof(float));
    for (auto& l : ls) g_.vmulps(l.t[0], l.t[0], l.t[3]);                   // erf, a <= 1
    for (auto& l : ls) g_.vmovaps(l.t[2], k(1.0f));
    for (auto& l : ls) g_.vfnmadd231ps(l.t[2], l.t[1], k(1.0f / exp_scale));  // erf, a > 1
    for (auto& l : ls) {
      if constexpr (avx512) {
        g_.vcmpps(Xbyak::Opmask(7), l.t[3], k(1.0f), 0x16 /*NLE_UQ: a > 1 or NaN*/);
        g_.vblendmps(l.t[0] | Xbyak::Opmask(7), l.t[0], l.t[2]);
      } else {
        g_.vcmpps(l.t[3], l.t[3], k(1.0f), 0x16 /*NLE_UQ: a > 1 or NaN*/);
        g_.vblendvps(l.t[0], l.t[0], l.t[2], l.t[3]);
      }
    }
    for (auto& l : ls) g_.vandps(l.t[1], l.v, c_.u32(0x80000000u));
    for (auto& l : ls) g_.vorps(l.v, l.t[0], l.t[1]);
  }

  // ---- gelu_erf: 4 temps (6 run it faster, see erfc_scaled) ---------------------------------
  // x Phi(x), Phi(x) = 1 - erfc(a)/2 for x >= 0 and erfc(a)/2 for x < 0, a = |x|/sqrt2, from
  // y = x E, E = erfc(a) 2^64 (x folded into t G before the polynomial ends): x < 0 takes
  // y 2^-65, whose one rounding lands subnormal results correctly, x >= 0 takes x - y 2^-65 by
  // one FMA. x is raised to -phi_x_max first: below it the result rounds to -0, and -Inf gives
  // -0, not -Inf * 0.
  // (Tried: 3 AVX2 lanes at 4 temps, x read again from memory at the end so that its register
  // could hold a second Horner chain: no faster than 2 lanes with Estrin, Zen 3.)
  void gelu_erf(const lanes_t& ls) {
    raise_to(ls, -phi_x_max, -1);
    erfc_scaled(ls, true, true);                                              // t1 = y = x E
    for (auto& l : ls) g_.vmovaps(l.t[0], l.v);
    for (auto& l : ls) g_.vfnmadd231ps(l.t[0], l.t[1], k(0.5f / exp_scale));  // x (1 - erfc/2)
    for (auto& l : ls) g_.vmulps(l.t[1], l.t[1], k(0.5f / exp_scale));        // x erfc/2
    for (auto& l : ls) select_by_sign(l.v, l.t[0], l.t[1], l.v);
  }

  // ---- gelu_tanh backward: v = dy, t[4] = x (clobbered); 3 temps besides t[4] -----------------
  // dy * (s + 2 sqrt(2/pi) x s (1 - s)(1 + 3 0.044715 x^2)), s = sigmoid(2u). s(1 - s) is taken
  // as z r^2 (z = e^-|2u|, r = 1/(1+z)), never as 1 - s, which cancels for large |x|; with
  // zS = z 2^64 (exp_scaled) and D = S + zS, z r = zS/D and r = S/D share one division. |x| is
  // clamped to 20, beyond which the derivative is exactly 0 or 1 in f32. Three temps, not four,
  // so that AVX2 runs 3 lanes instead of 2 (same operations, same results): Zen 3, element-wise
  // 256 x 256 f32, old and new builds alternately, 62-67 -> 53-58 us (1.10-1.16x), 64 x 64 1.03-1.09x.
  void gelu_tanh_inv(const lanes_t& ls) {
    clamp_reg(ls, 4, -20.0f, 20.0f);
    lanes_t u;  // 2u, then z, in t2
    for (auto& l : ls) u.push_back(make_lane(l.t[2], {l.t[0], l.t[1]}));
    for (auto& l : ls) g_.vmovaps(l.t[2], l.t[4]);
    gelu_tanh_arg(u, -1);
    for (auto& l : ls) g_.vorps(l.t[2], l.t[2], k(-0.0f));
    exp_scaled(u);                                                    // zS
    for (auto& l : ls) g_.vaddps(l.t[0], l.t[2], k(exp_scale));       // D = S + zS
    for (auto& l : ls) g_.vmovaps(l.t[1], k(1.0f));
    for (auto& l : ls) g_.vdivps(l.t[1], l.t[1], l.t[0]);             // 1 / D
    for (auto& l : ls) g_.vmulps(l.t[0], l.t[2], l.t[1]);             // z r = zS / D
    for (auto& l : ls) g_.vmulps(l.t[1], l.t[1], k(exp_scale));       // r = S / D (exact)
    for (auto& l : ls) g_.vmulps(l.t[2], l.t[0], l.t[1]);             // s (1 - s) = z r^2
    for (auto& l : ls) select_by_sign(l.t[0], l.t[1], l.t[0], l.t[4]);  // s
    for (auto& l : ls) g_.vmulps(l.t[2], l.t[2], l.t[4]);
    for (auto& l : ls) g_.vmulps(l.t[2], l.t[2], c_.f(2 * 0.7978845608028654f));
    for (auto& l : ls) g_.vmulps(l.t[4], l.t[4], l.t[4]);             // x^2
    for (auto& l : ls) g_.vmovaps(l.t[1], c_.f(1.0f));
    for (auto& l : ls) g_.vfmadd132ps(l.t[4], l.t[1], c_.f(3 * 0.044715f));  // 1 + 3c x^2
    for (auto& l : ls) g_.vfmadd213ps(l.t[2], l.t[4], l.t[0]);        // s + ...
    for (auto& l : ls) g_.vmulps(l.v, l.v, l.t[2]);
  }

  // ---- gelu_erf backward: v = dy, t[4] = x (clobbered); t[0..3] and t[5] as temps -----------
  // dy * (Phi(x) + x phi(x)), phi(x) = e^(-x^2/2) / sqrt(2 pi): erfc_front gives t, u and
  // G = e^(-a^2) S from one exponential (a = |x|/sqrt2, a^2 = x^2/2); x G becomes x phi(x) at
  // once, and its sign picks Phi's side (G > 0), so x's register is free for R(u) = P0(u) +
  // u^5 P1(u), two Horner chains of degree 4 side by side (20 cycles deep on Zen 3 against 36
  // for one of degree 9; see erfc_scaled). x is clamped to +-phi_x_max, beyond which the
  // derivative is 1 or rounds to 0.
  void gelu_erf_inv(const lanes_t& ls) {
    clamp_reg(ls, 4, -phi_x_max, phi_x_max);
    lanes_t p;  // x in t4: t1 = t, t2 = G, t3 = u
    for (auto& l : ls) p.push_back(make_lane(l.t[4], {l.t[0], l.t[1], l.t[2], l.t[3]}));
    erfc_front(p, true);
    for (auto& l : ls) g_.vmulps(l.t[4], l.t[4], l.t[2]);
    for (auto& l : ls) g_.vmulps(l.t[4], l.t[4], k(0.3989422804014327f / exp_scale));  // x phi(x)
    for (auto& l : ls) g_.vmulps(l.t[2], l.t[2], l.t[1]);                 // t G
    lanes_t r;  // u in t3; P0 into t0, P1 into t5, u^5 in t1
    for (auto& l : ls) r.push_back(make_lane(l.t[3], {l.t[0], l.t[5], l.t[1]}));
    erfc_split(r);                                                         // t0 = R
    for (auto& l : ls) g_.vmulps(l.t[1], l.t[0], l.t[2]);                 // E
    for (auto& l : ls) g_.vmovaps(l.t[0], k(1.0f));
    for (auto& l : ls) g_.vfnmadd231ps(l.t[0], l.t[1], k(0.5f / exp_scale));  // Phi, x >= 0
    for (auto& l : ls) g_.vmulps(l.t[1], l.t[1], k(0.5f / exp_scale));      // Phi, x < 0
    for (auto& l : ls) select_by_sign(l.t[0], l.t[0], l.t[1], l.t[4]);
    for (auto& l : ls) g_.vaddps(l.t[0], l.t[0], l.t[4]);
    for (auto& l : ls) g_.vmulps(l.v, l.v, l.t[0]);
  }

 private:
  // erfc(a) S (S = 2^64) for a = |v| (kept), or |v|/sqrt2 (by_rsqrt2: Phi's argument), a clamped
  // to erfc_a_max:
  //   erfc(a) = t e^(-a^2) R(u), t = 1/(1 + a/2), u = 2.38 t - 1.38: one formula over the range,
  //   one division (a branch at a = 1, erfc = e^(-a^2) Q(2/a - 1)/a above, took two and a blend)
  //   a^2 = hi + lo exactly, from the unscaled |v| by FMA (1/sqrt2 squared halves it exactly):
  //   e^(-a^2) magnifies an error in a^2 by a^2 (up to 110); e^(-a^2) = e^(-hi) (1 - lo), with
  //   hi taken again after the exponential so that lo needs no register across it
  //   exp_scaled keeps e^(-hi) S normal down to a = 10.5 (e^-110 S ~ 3e-29)
  // erfc_front (4 temps) leaves t1 = t, t2 = G = e^(-a^2) S, t3 = u; erfc_scaled ends with
  // t1 = E = erfc(a) S (times min(v, a's clamp) with `times_v`), R by Estrin's scheme where the
  // lanes have 6 temps, else by Horner (4: a GEMM epilogue, whose accumulators leave few);
  // gelu_erf_inv, which needs G besides, ends its own way (erfc_split). Horner's nine dependent
  // FMAs (36 cycles on Zen 3) made the chain so long that the out-of-order window could not
  // overlap the next vectors: gelu_erf ran 1.2-1.4x faster with the Horner chain cut (its result
  // wrong), 3 lanes at 4 temps. Estrin takes 16 cycles there for three multiplies more.
  void erfc_scaled(const lanes_t& ls, bool by_rsqrt2, bool times_v) {
    erfc_front(ls, by_rsqrt2);
    if (times_v) times_clamped_v(ls, by_rsqrt2 ? phi_x_max : erfc_a_max);  // t2 = t G v
    else for (auto& l : ls) g_.vmulps(l.t[2], l.t[2], l.t[1]);          // t2 = t G
    if (!std::all_of(ls.begin(), ls.end(), [](const lane<V>& l) { return has_temps(l, 6); })) {
      lanes_t r;  // 4 temps: Horner
      for (auto& l : ls) r.push_back(make_lane(l.t[3], {l.t[0]}));
      horner(r, 0, erfc_r, sizeof(erfc_r) / sizeof(float));               // t0 = R(u)
      for (auto& l : ls) g_.vmulps(l.t[1], l.t[0], l.t[2]);
      return;
    }
    // R(u) = (q0 + q1 u^2) + u^4 (q2 + q3 u^2) + u^8 q4, q_i = c_2i + c_2i+1 u; u in t3, u^2 .. in t5
    static_assert(sizeof(erfc_r) / sizeof(float) == 10, "the Estrin steps below are for degree 9");
    const auto pair = [&](int acc, int i) {  // t[acc] = q_i
      for (auto& l : ls) g_.vmovaps(l.t[acc], k(erfc_r[2 * i + 1]));
      for (auto& l : ls) g_.vfmadd213ps(l.t[acc], l.t[3], k(erfc_r[2 * i]));
    };
    pair(0, 0);
    pair(1, 1);
    for (auto& l : ls) g_.vmulps(l.t[5], l.t[3], l.t[3]);               // u^2
    for (auto& l : ls) g_.vfmadd231ps(l.t[0], l.t[1], l.t[5]);          // q0 + q1 u^2
    pair(1, 2);
    pair(4, 3);
    for (auto& l : ls) g_.vfmadd231ps(l.t[1], l.t[4], l.t[5]);          // q2 + q3 u^2
    pair(4, 4);
    for (auto& l : ls) g_.vmulps(l.t[5], l.t[5], l.t[5]);               // u^4
    for (auto& l : ls) g_.vfmadd231ps(l.t[0], l.t[1], l.t[5]);
    for (auto& l : ls) g_.vmulps(l.t[5], l.t[5], l.t[5]);               // u^8
    for (auto& l : ls) g_.vfmadd231ps(l.t[0], l.t[4], l.t[5]);          // R
    for (auto& l : ls) g_.vmulps(l.t[1], l.t[0], l.t[2]);               // E (times v)
  }
  // t2 = t G min(v, c_max) from erfc_front's t1 = t, t2 = G (t0, t1 clobbered): a v of +Inf
  // leaves the product finite, NaN passes (the second source)
  void times_clamped_v(const lanes_t& ls, float c_max) {
    for (auto& l : ls) g_.vmovaps(l.t[0], k(c_max));
    for (auto& l : ls) g_.vminps(l.t[0], l.t[0], l.v);
    for (auto& l : ls) g_.vmulps(l.t[1], l.t[1], l.t[0]);
    for (auto& l : ls) g_.vmulps(l.t[2], l.t[2], l.t[1]);
  }
  // t0 = R(v) = P0(v) + v^5 P1(v), P0 and P1 of degree 4 (erfc_r's halves) by two Horner chains
  // side by side; t1 and t2 clobbered (t2 holds v^5)
  void erfc_split(const lanes_t& ls) {
    constexpr int half = sizeof(erfc_r) / sizeof(float) / 2;
    for (auto& l : ls) g_.vmulps(l.t[2], l.v, l.v);
    for (auto& l : ls) g_.vmulps(l.t[2], l.t[2], l.t[2]);
    for (auto& l : ls) g_.vmulps(l.t[2], l.t[2], l.v);                   // v^5
    horner_pair(ls, 0, erfc_r, 1, erfc_r + half, half);
    for (auto& l : ls) g_.vfmadd231ps(l.t[0], l.t[1], l.t[2]);
  }
  // t1 = t, t2 = G, t3 = u (above); 4 temps
  void erfc_front(const lanes_t& ls, bool by_rsqrt2) {
    const float c_max = by_rsqrt2 ? phi_x_max : erfc_a_max, half = by_rsqrt2 ? 0.5f : 1.0f;
    for (auto& l : ls) g_.vandps(l.t[3], l.v, c_.u32(0x7FFFFFFFu));
    for (auto& l : ls) g_.vmovaps(l.t[0], k(c_max));
    for (auto& l : ls) g_.vminps(l.t[3], l.t[0], l.t[3]);                // c = min(|v|, max)
    for (auto& l : ls) g_.vmulps(l.t[2], l.t[3], l.t[3]);
    for (auto& l : ls) g_.vmulps(l.t[2], l.t[2], k(-half));              // -hi
    lanes_t e;
    for (auto& l : ls) e.push_back(make_lane(l.t[2], {l.t[0], l.t[1]}));
    exp_scaled(e, -INFINITY);                                              // t2 = e^-hi S (-hi >= -110.25)
    for (auto& l : ls) g_.vmulps(l.t[1], l.t[3], l.t[3]);                // c c rounded
    for (auto& l : ls) g_.vmovaps(l.t[0], l.t[3]);
    for (auto& l : ls) g_.vfmsub213ps(l.t[0], l.t[3], l.t[1]);           // its error: c c - hi
    if (by_rsqrt2) for (auto& l : ls) g_.vmulps(l.t[0], l.t[0], k(0.5f));  // lo
    for (auto& l : ls) g_.vfnmadd231ps(l.t[2], l.t[2], l.t[0]);           // G = e^-hi (1 - lo) S
    for (auto& l : ls) g_.vmovaps(l.t[0], k(1.0f));
    for (auto& l : ls) g_.vfmadd231ps(l.t[0], l.t[3], k(by_rsqrt2 ? erfc_t_phi : 0.5f));  // 1 + a/2
    for (auto& l : ls) g_.vmovaps(l.t[1], k(1.0f));
    for (auto& l : ls) g_.vdivps(l.t[1], l.t[1], l.t[0]);                // t
    for (auto& l : ls) g_.vmovaps(l.t[3], k(erfc_r_map[0]));
    for (auto& l : ls) g_.vfmadd213ps(l.t[3], l.t[1], k(erfc_r_map[1]));  // u
  }

  // v <- min(hi, max(lo, v)), NaN passes through (the register operand is the second source);
  // hi and lo read from their pins when they have them
  void clamp(const lanes_t& ls, float lo, float hi) {
    const V* top = pinned(hi);
    if (!top) for (auto& l : ls) g_.vmovaps(l.t[0], c_.f(hi));
    for (auto& l : ls) g_.vminps(l.v, top ? *top : l.t[0], l.v);
    raise_to(ls, lo, -1);
  }
  // t[dst] (dst < 0: v) <- max(lo, v); NaN passes (the second source); lo read from its pin
  // when it has one
  void raise_to(const lanes_t& ls, float lo, int dst) {
    const V* pin = pinned(lo);
    if (!pin) for (auto& l : ls) g_.vmovaps(l.t[0], k(lo));
    for (auto& l : ls) g_.vmaxps(dst < 0 ? l.v : l.t[dst], pin ? *pin : l.t[0], l.v);
  }
  void clamp_reg(const lanes_t& ls, int which, float lo, float hi) {
    for (auto& l : ls) g_.vmovaps(l.t[0], c_.f(hi));
    for (auto& l : ls) g_.vminps(l.t[which], l.t[0], l.t[which]);
    for (auto& l : ls) g_.vmovaps(l.t[0], c_.f(lo));
    for (auto& l : ls) g_.vmaxps(l.t[which], l.t[0], l.t[which]);
  }
  // v = x -> t0 = n = round(x log2e), v = r = x - n ln2 (ln2 in two parts: n ln2_hi is exact)
  static constexpr float ln2_log2e = 1.44269504088896341f, ln2_hi = 0.693145751953125f,
                         ln2_lo = 1.428606765330187e-06f;
  void reduce_ln2(const lanes_t& ls) {
    for (auto& l : ls) g_.vmulps(l.t[0], l.v, k(ln2_log2e));
    for (auto& l : ls) {
      if constexpr (avx512) g_.vrndscaleps(l.t[0], l.t[0], 0);
      else g_.vroundps(l.t[0], l.t[0], 0);
    }
    for (auto& l : ls) g_.vfnmadd231ps(l.v, l.t[0], k(ln2_hi));
    for (auto& l : ls) g_.vfnmadd231ps(l.v, l.t[0], k(ln2_lo));
  }
  // integer n in r -> float 2^n in r (n in [-126, 127])
  void pow2_of_int(const V& r) {
    g_.vpaddd(r, r, c_.u32(127));
    g_.vpslld(r, r, 23);
  }
  // t[src] = x -> v = 2u = x (2 sqrt(2/pi) + 2 sqrt(2/pi) 0.044715 x^2); src < 0: x is in v.
  void gelu_tanh_arg(const lanes_t& ls, int src, double times = 1) {
    const double c2 = 2 * 0.7978845608028654 * times;
    for (auto& l : ls) {
      const V& x = src < 0 ? l.v : l.t[src];
      g_.vmulps(l.t[0], x, x);
      g_.vmovaps(l.t[1], k(static_cast<float>(c2 * 0.044715)));
      g_.vfmadd213ps(l.t[1], l.t[0], k(static_cast<float>(c2)));
      g_.vmulps(l.v, l.t[1], x);
    }
  }
  // t[acc] = poly(v) by Horner, coefficients low to high
  void horner(const lanes_t& ls, int acc, const float* c, int n) {
    for (auto& l : ls) g_.vmovaps(l.t[acc], k(c[n - 1]));
    for (int i = n - 2; i >= 0; --i)
      for (auto& l : ls) g_.vfmadd213ps(l.t[acc], l.v, k(c[i]));
  }
  // t[a] = sum ca[i] v^i and t[b] = sum cb[i] v^i, i < n: two Horner chains, step by step
  void horner_pair(const lanes_t& ls, int a, const float* ca, int b, const float* cb, int n) {
    for (auto& l : ls) g_.vmovaps(l.t[a], k(ca[n - 1]));
    for (auto& l : ls) g_.vmovaps(l.t[b], k(cb[n - 1]));
    for (int i = n - 2; i >= 0; --i) {
      for (auto& l : ls) g_.vfmadd213ps(l.t[a], l.v, k(ca[i]));
      for (auto& l : ls) g_.vfmadd213ps(l.t[b], l.v, k(cb[i]));
    }
  }

 public:
  // dst = sign(s) set ? neg : pos  (dst may alias pos or neg)
  void select_by_sign(const V& dst, const V& pos, const V& neg, const V& s) {
    if constexpr (avx512) {
      g_.vpmovd2m(Xbyak::Opmask(7), s);
      g_.vblendmps(dst | Xbyak::Opmask(7), pos, neg);
    } else {
      g_.vblendvps(dst, pos, neg, s);
    }
  }

 private:
  Xbyak::CodeGenerator& g_;
  const_table& c_;
  std::vector<std::pair<float, V>> pins_;
  std::optional<V> table_pin_;
  std::deque<Xbyak::Address> addresses_;  // k()'s table operands (a deque keeps them in place)
};

}  // namespace tpp::jit::x86
