// The forward unary ops as an injector: apply(op, lanes) replaces each lane's value register with
// op(value), clobbering only the temporaries the lane names (temps(op) of them). The element-wise
// generator and the BRGEMM epilogue both call it, so an activation has one implementation.
//
//   lanes {v0,t..}, {v1,t..}  ->  v0 = gelu_tanh(v0), v1 = gelu_tanh(v1)
#pragma once

#include <xbyak/xbyak.h>

#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/math.hpp"
#include "tpp/jit/x86/vec.hpp"
#include "tpp/ops/eltwise_ops.hpp"

namespace tpp::jit::x86 {

// The injector implements the activations (is_activation) and, in apply_backward, the backward
// ops on a value operand (the element-wise generator and equations share them); relu's bitmask
// and relu_inv from a bitmask stay with the element-wise generator.

// Vector temporaries apply() needs per lane (the fewest it runs with) ...
inline int injector_temps(unary_op op) {
  switch (op) {
    case unary_op::rsqrt: case unary_op::reciprocal: case unary_op::leaky_relu:
    case unary_op::relu: return 1;
    case unary_op::exp: return 2;
    case unary_op::tanh: case unary_op::sigmoid: case unary_op::elu: case unary_op::gelu_tanh:
      return 3;
    case unary_op::gelu_erf: case unary_op::erf: return 4;
    default: return 0;
  }
}
// ... and the temporaries that run it fastest, where registers allow (math.hpp: erfc_scaled)
inline int injector_temps_fast(unary_op op) {
  return op == unary_op::gelu_erf || op == unary_op::erf ? 6 : injector_temps(op);
}

// Vector temporaries apply_backward needs per lane, besides dy and the forward operand.
inline int backward_temps(unary_op op) {
  switch (op) {
    case unary_op::relu_inv: case unary_op::tanh_inv: case unary_op::sigmoid_inv: return 1;
    case unary_op::leaky_relu_inv: return 2;
    case unary_op::elu_inv: case unary_op::gelu_tanh_inv: return 3;
    case unary_op::gelu_erf_inv: return 5;
    default: return 0;
  }
}
// Where a backward lane keeps its k-th temporary: t[0..3], then t[5]; t[4] holds the forward
// operand (apply_backward).
constexpr int backward_temp_slot(int k) { return k < 4 ? k : k + 1; }

template <class V>
class unary_injector {
 public:
  using lanes_t = typename math<V>::lanes_t;
  unary_injector(Xbyak::CodeGenerator& g, const_table& c) : g_(g), c_(c), math_(g, c) {}

  void apply(unary_op op, float alpha, const lanes_t& ls) {
    switch (op) {
      case unary_op::copy: break;
      case unary_op::zero: for (auto& l : ls) g_.vxorps(l.v, l.v, l.v); break;
      case unary_op::negate: for (auto& l : ls) g_.vxorps(l.v, l.v, c_.u32(0x80000000u)); break;
      case unary_op::abs: for (auto& l : ls) g_.vandps(l.v, l.v, c_.u32(0x7FFFFFFFu)); break;
      case unary_op::square: for (auto& l : ls) g_.vmulps(l.v, l.v, l.v); break;
      case unary_op::sqrt: for (auto& l : ls) g_.vsqrtps(l.v, l.v); break;
      case unary_op::rsqrt:
        for (auto& l : ls) g_.vsqrtps(l.v, l.v);
        [[fallthrough]];
      case unary_op::reciprocal:  // a true division: rcpps' 12 bits would break the ulp bounds
        for (auto& l : ls) g_.vmovaps(l.t[0], c_.f(1.0f));
        for (auto& l : ls) g_.vdivps(l.v, l.t[0], l.v);
        break;
      case unary_op::exp: math_.exp(ls); break;
      case unary_op::tanh: math_.tanh(ls); break;
      case unary_op::sigmoid: math_.sigmoid(ls); break;
      case unary_op::gelu_tanh: math_.gelu_tanh(ls); break;
      case unary_op::gelu_erf: math_.gelu_erf(ls); break;
      case unary_op::erf: math_.erf(ls); break;
      case unary_op::relu:
        for (auto& l : ls) g_.vxorps(l.t[0], l.t[0], l.t[0]);
        for (auto& l : ls) g_.vmaxps(l.v, l.t[0], l.v);  // x < 0 ? 0 : x, NaN kept
        break;
      case unary_op::leaky_relu:
        for (auto& l : ls) g_.vmulps(l.t[0], l.v, c_.f(alpha));
        for (auto& l : ls) math_.select_by_sign(l.v, l.v, l.t[0], l.v);
        break;
      case unary_op::elu:  // x > 0 takes x: expm1 need not clamp those lanes
        for (auto& l : ls) g_.vmovaps(l.t[2], l.v);
        math_.expm1(ls, math<V>::expm1_input::positive_unused);
        for (auto& l : ls) g_.vmulps(l.v, l.v, c_.f(alpha));
        for (auto& l : ls) math_.select_by_sign(l.v, l.t[2], l.v, l.t[2]);
        break;
      default: break;  // not an activation: the caller emits it
    }
  }

  // The backward ops (is_backward): each lane's v = dy becomes dx; t[4] holds the saved forward
  // operand (x, or y for tanh and sigmoid) and is clobbered; backward_temps of them are temps,
  // in t[backward_temp_slot(0 ..)].
  //   lanes {dy0, t.., x0}, {dy1, t.., x1}  ->  dy0 = dy0 * gelu_tanh'(x0), ...
  void apply_backward(unary_op op, float alpha, const lanes_t& ls) {
    switch (op) {
      case unary_op::relu_inv:
        for (auto& l : ls) positive_mask(l.t[4], l.t[0]);
        for (auto& l : ls) apply_mask(l.v, l.t[4]);
        break;
      case unary_op::leaky_relu_inv:
        for (auto& l : ls) g_.vmulps(l.t[0], l.v, c_.f(alpha));
        for (auto& l : ls) positive_mask(l.t[4], l.t[1]);
        for (auto& l : ls) select_by_mask(l.v, l.t[0], l.v, l.t[4]);
        break;
      case unary_op::elu_inv: {
        for (auto& l : ls) {
          g_.vmovaps(l.t[2], l.t[4]);
          positive_mask(l.t[2], l.t[0]);
        }
        lanes_t e;
        for (auto& l : ls) e.push_back(math<V>::make_lane(l.t[4], {l.t[0], l.t[1]}));
        math_.exp(e);
        for (auto& l : ls) g_.vmulps(l.t[4], l.t[4], c_.f(alpha));
        for (auto& l : ls) g_.vmulps(l.t[4], l.t[4], l.v);
        for (auto& l : ls) select_by_mask(l.v, l.t[4], l.v, l.t[2]);
        break;
      }
      case unary_op::gelu_tanh_inv: math_.gelu_tanh_inv(ls); break;
      case unary_op::gelu_erf_inv: math_.gelu_erf_inv(ls); break;
      case unary_op::tanh_inv:  // dy (1 - y^2), one rounding in 1 - y^2
        for (auto& l : ls) g_.vmovaps(l.t[0], c_.f(1.0f));
        for (auto& l : ls) g_.vfnmadd231ps(l.t[0], l.t[4], l.t[4]);
        for (auto& l : ls) g_.vmulps(l.v, l.v, l.t[0]);
        break;
      case unary_op::sigmoid_inv:  // dy y (1 - y)
        for (auto& l : ls) g_.vmovaps(l.t[0], c_.f(1.0f));
        for (auto& l : ls) g_.vsubps(l.t[0], l.t[0], l.t[4]);
        for (auto& l : ls) g_.vmulps(l.t[0], l.t[0], l.t[4]);
        for (auto& l : ls) g_.vmulps(l.v, l.v, l.t[0]);
        break;
      default: break;  // not a backward op
    }
  }

  // m = all ones where y > 0, else 0 (NaN: 0); tmp clobbered
  void positive_mask(const V& y, const V& tmp) {
    g_.vxorps(tmp, tmp, tmp);
    if constexpr (vec<V>::avx512) {
      g_.vcmpps(Xbyak::Opmask(3), y, tmp, 0x1E);
      g_.vpmovm2d(y, Xbyak::Opmask(3));
    } else {
      g_.vcmpps(y, y, tmp, 0x1E);
    }
  }
  void apply_mask(const V& v, const V& m) {
    if constexpr (vec<V>::avx512) g_.vpandd(v, v, m);
    else g_.vandps(v, v, m);
  }
  // dst = m ? a : b (m all-ones or zero per lane)
  void select_by_mask(const V& dst, const V& b, const V& a, const V& m) {
    if constexpr (vec<V>::avx512) {
      g_.vpmovd2m(Xbyak::Opmask(3), m);
      g_.vblendmps(dst | Xbyak::Opmask(3), b, a);
    } else {
      g_.vblendvps(dst, b, a, m);
    }
  }

  math<V>& maths() { return math_; }

 private:
  Xbyak::CodeGenerator& g_;
  const_table& c_;
  math<V> math_;
};

}  // namespace tpp::jit::x86
