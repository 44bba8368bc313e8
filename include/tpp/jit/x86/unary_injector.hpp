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

// The injector implements the activations (is_activation): relu's bitmask and the backward ops,
// which touch a second operand, stay with their generators.

// Vector temporaries apply() needs per lane.
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
      case unary_op::elu:
        for (auto& l : ls) g_.vmovaps(l.t[2], l.v);
        math_.expm1(ls);
        for (auto& l : ls) g_.vmulps(l.v, l.v, c_.f(alpha));
        for (auto& l : ls) math_.select_by_sign(l.v, l.t[2], l.v, l.t[2]);
        break;
      default: break;  // not an activation: the caller emits it
    }
  }

  math<V>& maths() { return math_; }

 private:
  Xbyak::CodeGenerator& g_;
  const_table& c_;
  math<V> math_;
};

}  // namespace tpp::jit::x86
