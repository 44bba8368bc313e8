// The multiply limits measured in the same run: JIT loops of independent multiply-accumulates,
// enough of them to cover latency on every x86 core we run on (Zen 3, Sapphire Rapids).
//   fma_ymm / fma_zmm   vfmadd231ps, 12 ymm or 24 zmm chains (f32)
//   dpbf16              vdpbf16ps zmm, 24 chains (bf16 pairs -> f32)
//   dpbusd              vpdpbusd zmm, 24 chains (u8 x i8 quads -> i32)
//   amx_bf16 / amx_int8 tdpbf16ps / tdpbusd on four 16 x 16 C tiles from two A and two B tiles
#pragma once

#include <cstdint>

#include <xbyak/xbyak.h>

#include "tpp/jit/code_buffer.hpp"

namespace bench {

enum class peak_kind { fma_ymm, fma_zmm, dpbf16, dpbusd, amx_bf16, amx_int8 };

class peak_loop : public Xbyak::CodeGenerator {
 public:
  explicit peak_loop(peak_kind k) : Xbyak::CodeGenerator(4096, Xbyak::DontSetProtectRWE), kind_(k) {
    using namespace Xbyak;
    // rdi = iterations
    Label loop, palette;
    const bool amx = k == peak_kind::amx_bf16 || k == peak_kind::amx_int8;
    if (amx) ldtilecfg(ptr[rip + palette]);
    L(loop);
    for (int i = 0; i < ops_per_iteration(); ++i) {
      switch (k) {
        case peak_kind::fma_ymm: vfmadd231ps(Ymm(i), Ymm(14), Ymm(15)); break;
        case peak_kind::fma_zmm: vfmadd231ps(Zmm(i), Zmm(30), Zmm(31)); break;
        case peak_kind::dpbf16: vdpbf16ps(Zmm(i), Zmm(30), Zmm(31)); break;
        case peak_kind::dpbusd: vpdpbusd(Zmm(i), Zmm(30), Zmm(31)); break;
        case peak_kind::amx_bf16: tdpbf16ps(Tmm(i), Tmm(4 + i / 2), Tmm(6 + i % 2)); break;
        case peak_kind::amx_int8: tdpbusd(Tmm(i), Tmm(4 + i / 2), Tmm(6 + i % 2)); break;
      }
    }
    dec(rdi);
    jnz(loop);
    if (amx) tilerelease();
    vzeroupper();
    ret();
    if (amx) {  // palette 1, tiles 0-7 of 16 rows x 64 bytes
      align(64);
      L(palette);
      db(1);
      for (int i = 1; i < 16; ++i) db(0);
      for (int t = 0; t < 16; ++t) dw(t < 8 ? 64 : 0);
      for (int t = 0; t < 16; ++t) db(t < 8 ? 16 : 0);
    }
    code_ = reinterpret_cast<void (*)(long)>(
        const_cast<void*>(tpp::jit::code_buffer::publish(getCode(), getSize())));  // W^X as tpp
  }
  void run(long iterations) const { code_(iterations); }

  int ops_per_iteration() const {
    switch (kind_) {
      case peak_kind::fma_ymm: return 12;
      case peak_kind::amx_bf16:
      case peak_kind::amx_int8: return 4;
      default: return 24;
    }
  }
  // multiply-adds x 2 per instruction
  double flops_per_op() const {
    switch (kind_) {
      case peak_kind::fma_ymm: return 2 * 8;
      case peak_kind::fma_zmm: return 2 * 16;
      case peak_kind::dpbf16: return 2 * 16 * 2;
      case peak_kind::dpbusd: return 2 * 16 * 4;
      case peak_kind::amx_bf16: return 2.0 * 16 * 16 * 32;
      case peak_kind::amx_int8: return 2.0 * 16 * 16 * 64;
    }
    return 0;
  }
  double flops_per_iteration() const { return ops_per_iteration() * flops_per_op(); }

 private:
  peak_kind kind_;
  void (*code_)(long) = nullptr;
};

}  // namespace bench
