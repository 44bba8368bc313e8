// Small emission helpers the generators share: a counted sweep over blocks, a 64-bit add, and
// the streaming / cached split of a kernel body.
#pragma once

#include <cstdint>
#include <vector>

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

// A kernel body that may store its output streaming (store_hint): with `streams`, emitted twice
// behind a run-time check, `streaming` telling the generator's store sites which copy is being
// emitted; else once, with `streaming` false. The streaming copy (then sfence: streaming stores
// are weakly ordered) runs
// when out is `align`-byte aligned (vmovntps needs it) and none of `inputs` is out (in place,
// each line is in L1 when it is stored, and streaming it ran 1.8x slower); else the cached copy.
template <class Body>
void emit_streaming_split(Xbyak::CodeGenerator& g, bool streams, const Xbyak::Reg64& out,
                          const std::vector<Xbyak::Reg64>& inputs, int align, bool& streaming, Body body) {
  streaming = false;
  if (!streams) return body();
  Xbyak::Label cached, done;
  g.test(out, align - 1);
  g.jnz(cached, Xbyak::CodeGenerator::T_NEAR);
  for (const Xbyak::Reg64& in : inputs) {
    g.cmp(in, out);
    g.je(cached, Xbyak::CodeGenerator::T_NEAR);
  }
  streaming = true;
  body();
  g.sfence();
  g.jmp(done, Xbyak::CodeGenerator::T_NEAR);
  g.L(cached);
  streaming = false;
  body();
  g.L(done);
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
