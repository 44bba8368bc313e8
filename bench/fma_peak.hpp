// The FMA limit measured in the same run: a JIT loop of independent vfmadd231ps on ymm (AVX2) or
// zmm (AVX-512), enough accumulators to cover the FMA latency on every x86 core we run on.
#pragma once

#include <xbyak/xbyak.h>

#include "tpp/jit/code_buffer.hpp"

namespace bench {

class fma_loop : public Xbyak::CodeGenerator {
 public:
  // 12 ymm chains (16 registers) or 24 zmm chains: well past latency x ports on Zen 3 and SPR
  static constexpr int accumulators(bool zmm) { return zmm ? 24 : 12; }
  explicit fma_loop(bool zmm) : Xbyak::CodeGenerator(4096, Xbyak::DontSetProtectRWE) {
    // rdi = iterations; each does accumulators(zmm) FMAs of 8 (ymm) or 16 (zmm) lanes
    Xbyak::Label loop;
    L(loop);
    for (int i = 0; i < accumulators(zmm); ++i) {
      if (zmm) vfmadd231ps(Xbyak::Zmm(i), Xbyak::Zmm(30), Xbyak::Zmm(31));
      else vfmadd231ps(Xbyak::Ymm(i), Xbyak::Ymm(14), Xbyak::Ymm(15));
    }
    dec(rdi);
    jnz(loop);
    vzeroupper();
    ret();
    code_ = reinterpret_cast<void (*)(long)>(
        const_cast<void*>(tpp::jit::code_buffer::publish(getCode(), getSize())));  // W^X as tpp
  }
  void run(long iterations) const { code_(iterations); }

 private:
  void (*code_)(long) = nullptr;
};

// FLOP per iteration of fma_loop, for the widest vector the active ISA uses.
inline double fma_loop_flops(bool zmm) { return fma_loop::accumulators(zmm) * 2.0 * (zmm ? 16 : 8); }

}  // namespace bench
