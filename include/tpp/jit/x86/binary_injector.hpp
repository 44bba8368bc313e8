// The arithmetic binary ops on registers, shared by the generators that fuse them (the BRGEMM
// epilogue, equations): dst = a (op) b, dst may alias a or b.
//   max/min propagate a NaN from either input, as tpp::binary does (vmaxps alone keeps b).
#pragma once

#include <xbyak/xbyak.h>

#include "tpp/jit/x86/vec.hpp"
#include "tpp/ops/eltwise_ops.hpp"

namespace tpp::jit::x86 {

// Vector temporaries emit_binary needs.
inline int binary_temps(binary_op op) { return op == binary_op::max || op == binary_op::min ? 2 : 0; }

// t1, t2: temporaries distinct from dst, a and b (max/min only; AVX-512 uses t1 and opmask k2).
template <class V>
void emit_binary(Xbyak::CodeGenerator& g, binary_op op, const V& dst, const V& a, const V& b, const V& t1,
                 const V& t2) {
  using namespace Xbyak;
  switch (op) {
    case binary_op::add: g.vaddps(dst, a, b); break;
    case binary_op::sub: g.vsubps(dst, a, b); break;
    case binary_op::mul: g.vmulps(dst, a, b); break;
    case binary_op::div: g.vdivps(dst, a, b); break;
    case binary_op::max:
    case binary_op::min:
      if (op == binary_op::max) g.vmaxps(t1, a, b);  // b if either is NaN
      else g.vminps(t1, a, b);
      if constexpr (vec<V>::avx512) {
        g.vcmpps(Opmask(2), a, a, 0x03 /*UNORD_Q*/);
        g.vblendmps(dst | Opmask(2), t1, a);
      } else {
        g.vcmpps(t2, a, a, 0x03);
        g.vblendvps(dst, t1, a, t2);
      }
      break;
    default: break;  // compares write masks: not fused
  }
}

}  // namespace tpp::jit::x86
