// Small emission helpers the generators share: a counted sweep over blocks and a 64-bit add.
#pragma once

#include <cstdint>

#include <xbyak/xbyak.h>

namespace tpp::jit::x86 {

// reg = 0; `full` times: body(), reg += step (a loop from two on); then rem_body() if rem.
template <class Body, class Rem>
void emit_sweep(Xbyak::CodeGenerator& g, const Xbyak::Reg64& reg, int full, int step, Body body, bool rem,
                Rem rem_body) {
  g.xor_(reg, reg);
  if (full > 0) {
    Xbyak::Label loop;
    g.L(loop);
    body();
    g.add(reg, step);
    if (full > 1) {
      g.cmp(reg, full * step);
      g.jl(loop, Xbyak::CodeGenerator::T_NEAR);
    }
  }
  if (rem) rem_body();
}

// r += v; v beyond 32 bits goes through scratch.
inline void emit_add(Xbyak::CodeGenerator& g, const Xbyak::Reg64& r, std::int64_t v, const Xbyak::Reg64& scratch) {
  if (v == 0) return;
  if (v >= INT32_MIN && v <= INT32_MAX) {
    g.add(r, static_cast<std::int32_t>(v));
  } else {
    g.mov(scratch, v);
    g.add(r, scratch);
  }
}

}  // namespace tpp::jit::x86
