// Element-wise arithmetic the NEON generators share: one instruction per op on .4s lanes.
#pragma once

#include <cstdint>
#include <cstring>

#include "tpp/jit/a64/assembler.hpp"
#include "tpp/ops/eltwise_ops.hpp"

namespace tpp::jit::a64 {

// d = n (op) m for the arithmetic binary ops (add .. min); fmax / fmin propagate NaN, as
// tpp::binary does. Callers check that op is one of these.
inline void emit_binary(assembler& a, binary_op op, vreg d, vreg n, vreg m) {
  switch (op) {
    case binary_op::add: a.fadd(d, n, m); break;
    case binary_op::sub: a.fsub(d, n, m); break;
    case binary_op::mul: a.fmul(d, n, m); break;
    case binary_op::div: a.fdiv(d, n, m); break;
    case binary_op::max: a.fmax(d, n, m); break;
    case binary_op::min: a.fmin(d, n, m); break;
    default: detail::fail("tpp::jit::a64: binary op ", name(op), " is not one instruction");
  }
}

// r = c in every f32 lane (its bits built in `scratch`, then dup)
inline void emit_splat(assembler& a, vreg r, float c, xreg scratch) {
  std::uint32_t bits;
  std::memcpy(&bits, &c, 4);
  a.mov_imm(scratch, bits);
  a.dup(r, scratch);
}

}  // namespace tpp::jit::a64
