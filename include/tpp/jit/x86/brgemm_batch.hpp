// The batch loop both BRGEMM generators wrap around their k loops: it walks the (A_i, B_i) pairs
// named by a stride, offset arrays or address arrays and points acur/bcur at the current block.
#pragma once

#include <cstddef>

#include <xbyak/xbyak.h>

#include "tpp/detail/brgemm_desc.hpp"
#include "tpp/jit/x86/loops.hpp"

namespace tpp::jit::x86 {

struct brgemm_batch_registers {
  Xbyak::Reg64 args;        // const brgemm_args*
  Xbyak::Reg64 ai, bi;      // stride kind: the current pair's base pointers
  Xbyak::Reg64 acur, bcur;  // out: the block inside the current pair
  Xbyak::Reg64 idx, s0, s1;
};

// for idx < count: acur = A_idx + aoff, bcur = B_idx + boff; body().  aoff/boff (bytes: the
// block's offset inside every pair) may be registers or memory.
template <class Body>
void emit_batch_loop(Xbyak::CodeGenerator& g, const detail::brgemm_desc& d, const brgemm_batch_registers& x,
                     const Xbyak::Operand& aoff, const Xbyak::Operand& boff, Body body) {
  using namespace Xbyak;
  using detail::brgemm_args;
  const auto arg = [&](std::size_t o) { return g.qword[x.args + static_cast<int>(o)]; };
  const int sa = size_of(d.a_type), sb = size_of(d.b_type);
  // element offset in r -> r = base + r * size
  const auto scaled_add = [&](const Reg64& r, const Reg64& base, int size) {
    if (size == 4) g.lea(r, g.ptr[base + r * 4]);
    else if (size == 2) g.lea(r, g.ptr[base + r * 2]);
    else g.add(r, base);
  };
  Label done, batch;
  g.mov(x.s0, arg(offsetof(brgemm_args, count)));
  g.test(x.s0, x.s0);
  g.jle(done, CodeGenerator::T_NEAR);
  if (d.batch == batch_kind::stride) {
    g.mov(x.ai, arg(offsetof(brgemm_args, a)));
    g.mov(x.bi, arg(offsetof(brgemm_args, b)));
  }
  g.xor_(x.idx, x.idx);
  g.L(batch);
  switch (d.batch) {
    case batch_kind::stride:
      g.mov(x.acur, x.ai);
      g.mov(x.bcur, x.bi);
      emit_add(g, x.ai, d.stride_a * sa, x.s1);
      emit_add(g, x.bi, d.stride_b * sb, x.s1);
      break;
    case batch_kind::offset:
      g.mov(x.s0, arg(offsetof(brgemm_args, batch_a)));
      g.mov(x.acur, g.ptr[x.s0 + x.idx * 8]);
      g.mov(x.s0, arg(offsetof(brgemm_args, a)));
      scaled_add(x.acur, x.s0, sa);
      g.mov(x.s0, arg(offsetof(brgemm_args, batch_b)));
      g.mov(x.bcur, g.ptr[x.s0 + x.idx * 8]);
      g.mov(x.s0, arg(offsetof(brgemm_args, b)));
      scaled_add(x.bcur, x.s0, sb);
      break;
    case batch_kind::address:
      g.mov(x.s0, arg(offsetof(brgemm_args, batch_a)));
      g.mov(x.acur, g.ptr[x.s0 + x.idx * 8]);
      g.mov(x.s0, arg(offsetof(brgemm_args, batch_b)));
      g.mov(x.bcur, g.ptr[x.s0 + x.idx * 8]);
      break;
  }
  g.add(x.acur, aoff);
  g.add(x.bcur, boff);
  body();
  g.inc(x.idx);
  g.cmp(x.idx, arg(offsetof(brgemm_args, count)));
  g.jl(batch, CodeGenerator::T_NEAR);
  g.L(done);
}

}  // namespace tpp::jit::x86
