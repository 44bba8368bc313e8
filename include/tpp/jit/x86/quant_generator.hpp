// The x86 quantize / dequantize generator (V = Ymm or Zmm).
//
//   quantize:    y = x * inv_scale, clamped to +-2^24 (NaN -> -2^24), vcvtps2dq (nearest even),
//                + zero_point, saturated to i8 / u8 (AVX-512 vpmovsdb / vpmovusdb; AVX2 packs)
//   dequantize:  q sign- or zero-extended to i32, - zero_point, vcvtdq2ps, * scale, converted
//
// Tails: AVX-512 masks the byte loads and stores with k1; AVX2 moves the last bytes in pieces
// of 4, 2 and 1, so no access leaves an operand.
#pragma once

#include <cstdint>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/quant_desc.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/staging.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

template <class V>
class quant_generator : public Xbyak::CodeGenerator {
  static constexpr int VL = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;

 public:
  explicit quant_generator(const detail::quant_desc& d)
      : Xbyak::CodeGenerator(1 << 14, Xbyak::DontSetProtectRWE, staging()),
        d_(d),
        consts_(vec<V>::bytes),
        io_(*this, consts_, d.level >= isa::avx512_bf16, V(vec<V>::count - 1)) {
    emit();
  }

 private:
  bool u8() const { return (d_.quantize ? d_.out_type : d_.in_type) == dtype::u8; }

  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 6, 0, false);
    const Reg64 args = sf.p[0];
    rin_ = sf.t[0];
    rout_ = sf.t[1];
    pin_ = sf.t[2];
    pout_ = sf.t[3];
    row_ = sf.t[4];
    s0_ = sf.t[5];
    mov(rin_, ptr[args]);
    mov(rout_, ptr[args + 8]);
    if (const int tail = d_.cols % VL) io_.set_tail(tail, s0_.cvt32());
    const int esi = size_of(d_.in_type), eso = size_of(d_.out_type);
    Label rows;
    mov(row_, d_.rows);
    L(rows);
    mov(pin_, rin_);
    mov(pout_, rout_);
    const int full = d_.cols / VL, tail = d_.cols % VL;
    if (full) {
      Label cols;
      push(row_);
      mov(row_, full);
      L(cols);
      emit_vector(VL);
      add(pin_, VL * esi);
      add(pout_, VL * eso);
      dec(row_);
      jnz(cols, T_NEAR);
      pop(row_);
    }
    if (tail) emit_vector(tail);
    add(rin_, static_cast<int>(static_cast<long>(d_.ldi) * esi));
    add(rout_, static_cast<int>(static_cast<long>(d_.ldo) * eso));
    dec(row_);
    jnz(rows, T_NEAR);
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  void emit_vector(int n) {
    using namespace Xbyak;
    const V x(0), t(1);
    const Xmm xx(0), xt(1);
    if (d_.quantize) {
      io_.load(x, d_.in_type, pin_, n);
      vmulps(x, x, consts_.f(d_.inv_scale));
      vmaxps(x, x, consts_.f(-16777216.0f));  // NaN -> the bound (vmaxps returns its 2nd operand)
      vminps(x, x, consts_.f(16777216.0f));
      vcvtps2dq(x, x);
      vpaddd(x, x, consts_.u32(static_cast<std::uint32_t>(d_.zero_point)));
      if constexpr (avx512) {
        const Address dst = n == VL ? ptr[pout_] : ptr[pout_] | Opmask(1);
        if (u8()) {
          vpmaxsd(x, x, consts_.u32(0));
          vpmovusdb(dst, x);
        } else {
          vpmovsdb(dst, x);
        }
      } else {
        vextracti128(xt, Ymm(0), 1);
        vpackssdw(xx, xx, xt);                     // 8 x i16, saturated
        if (u8()) vpackuswb(xx, xx, xx);           // -> u8, saturated
        else vpacksswb(xx, xx, xx);                // -> i8, saturated
        store_bytes(xx, n);
      }
    } else {
      if constexpr (avx512) {
        const V dst = n == VL ? x : V(x | Opmask(1) | util::T_z);
        if (u8()) vpmovzxbd(dst, ptr[pin_]);
        else vpmovsxbd(dst, ptr[pin_]);
      } else {
        load_bytes(xx, n);
        if (u8()) vpmovzxbd(Ymm(0), xx);
        else vpmovsxbd(Ymm(0), xx);
      }
      vpsubd(x, x, consts_.u32(static_cast<std::uint32_t>(d_.zero_point)));
      vcvtdq2ps(x, x);
      vmulps(x, x, consts_.f(d_.scale));
      io_.store(x, d_.out_type, pout_, n, t, V(2));
    }
  }

  // AVX2: the low n (<= 8) bytes of x <-> memory at pout_ / pin_, in pieces of 8, 4, 2, 1
  void store_bytes(const Xbyak::Xmm& x, int n) {
    if (n == 8) {
      vmovq(ptr[pout_], x);
      return;
    }
    int o = 0;
    if (n >= 4) { vmovd(ptr[pout_], x); o = 4; }
    if (n - o >= 2) { vpextrw(ptr[pout_ + o], x, o / 2); o += 2; }
    if (n - o == 1) vpextrb(ptr[pout_ + o], x, o);
  }
  void load_bytes(const Xbyak::Xmm& x, int n) {
    if (n == 8) {
      vmovq(x, ptr[pin_]);
      return;
    }
    vpxor(x, x, x);
    int o = 0;
    if (n >= 4) { vmovd(x, ptr[pin_]); o = 4; }
    if (n - o >= 2) { vpinsrw(x, x, ptr[pin_ + o], o / 2); o += 2; }
    if (n - o == 1) vpinsrb(x, x, ptr[pin_ + o], o);
  }

  const detail::quant_desc d_;
  const_table consts_;
  io<V> io_;
  Xbyak::Reg64 rin_, rout_, pin_, pout_, row_, s0_;
};

}  // namespace tpp::jit::x86
