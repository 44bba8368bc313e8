// The x86 dropout generator (V = Ymm or Zmm), forward and backward.
//
//   for each row, for each vector of columns j (then the masked tail):
//     forward:  e = offset + i*cols + j + lane;  u = lowbias32(lowbias32(e + k0) ^ k1) >> 8
//               keep = u < threshold;  bits -> mask;  y = keep ? x * scale : 0
//     backward: keep = the mask's bits;  dx = keep ? dy * scale : 0
//
// The hash is integer SIMD (vpmulld), the same function as detail::dropout_bits, so the JIT and
// the reference agree bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/dropout_desc.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/staging.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

template <class V>
class dropout_generator : public Xbyak::CodeGenerator {
  static constexpr int VL = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;

 public:
  dropout_generator(const detail::dropout_desc& d, bool forward)
      : Xbyak::CodeGenerator(1 << 14, Xbyak::DontSetProtectRWE, staging()),
        d_(d),
        forward_(forward),
        consts_(vec<V>::bytes),
        io_(*this, consts_, d.level >= isa::avx512_bf16, V(vec<V>::count - 1)) {
    emit();
  }

 private:
  // registers: x 0, e 1, t 2, keep mask 3, iota 4, k0 5, k1 6, tail mask count-1 (AVX2)
  V X() const { return V(0); }
  V E() const { return V(1); }
  V T() const { return V(2); }
  V M() const { return V(3); }

  void emit() {
    using namespace Xbyak;
    using detail::dropout_args;
    util::StackFrame sf(this, 1, 9, 0, false);
    const Reg64 args = sf.p[0];
    rin_ = sf.t[0];
    rout_ = sf.t[1];
    rm_ = sf.t[2];
    pin_ = sf.t[3];
    pout_ = sf.t[4];
    pm_ = sf.t[5];
    row_ = sf.t[6];
    ctr_ = sf.t[7];
    s0_ = sf.t[8];
    mov(rin_, ptr[args + offsetof(dropout_args, in)]);
    mov(rout_, ptr[args + offsetof(dropout_args, out)]);
    mov(rm_, ptr[args + offsetof(dropout_args, mask)]);
    if (forward_) {
      std::vector<std::uint32_t> iota(VL);
      for (int k = 0; k < VL; ++k) iota[k] = static_cast<std::uint32_t>(k);
      vmovups(V(4), consts_.lanes(iota));
      vpbroadcastd(V(5), dword[args + offsetof(dropout_args, seed)]);
      vpbroadcastd(V(6), dword[args + offsetof(dropout_args, seed) + 4]);
      mov(ctr_.cvt32(), dword[args + offsetof(dropout_args, offset)]);
    }
    if (const int tail = d_.cols % VL) io_.set_tail(tail, s0_.cvt32());

    Label rows;
    mov(row_, d_.rows);
    L(rows);
    mov(pin_, rin_);
    mov(pout_, rout_);
    mov(pm_, rm_);
    const int full = d_.cols / VL, tail = d_.cols % VL;
    if (full) {
      Label cols;
      xor_(s0_, s0_);
      push(s0_);  // the column counter lives on the stack
      L(cols);
      emit_vector(VL, 0);
      add(pin_, VL * size_of(d_.in_type));
      add(pout_, VL * size_of(d_.out_type));
      add(pm_, VL / 8);
      inc(qword[rsp]);
      cmp(qword[rsp], full);
      jl(cols, T_NEAR);
      pop(s0_);
    }
    if (tail) emit_vector(tail, full * VL);
    add(rin_, static_cast<int>(static_cast<long>(d_.ldi) * size_of(d_.in_type)));
    add(rout_, static_cast<int>(static_cast<long>(d_.ldo) * size_of(d_.out_type)));
    add(rm_, d_.ldm / 8);
    if (forward_) add(ctr_.cvt32(), d_.cols);
    dec(row_);
    jnz(rows, T_NEAR);
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  // x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16
  void lowbias32(const V& x, const V& t) {
    vpsrld(t, x, 16);
    vpxor_(x, t);
    vpmulld(x, x, consts_.u32(0x7feb352du));
    vpsrld(t, x, 15);
    vpxor_(x, t);
    vpmulld(x, x, consts_.u32(0x846ca68bu));
    vpsrld(t, x, 16);
    vpxor_(x, t);
  }
  void vpxor_(const V& x, const V& t) {
    if constexpr (avx512) vpxord(x, x, t);
    else vpxor(x, x, t);
  }

  // one vector of n columns; `done` columns of the row precede it (the counter's lane 0 offset)
  void emit_vector(int n, int done) {
    using namespace Xbyak;
    const Reg32 s = s0_.cvt32();
    if (forward_) {
      // e = ctr + column + lane (column = the stacked counter * VL, or `done` for the tail)
      if (n == VL) {
        mov(s, dword[rsp]);
        shl(s, VL == 16 ? 4 : 3);
      } else {
        mov(s, done);
      }
      add(s, ctr_.cvt32());
      vmovd(Xmm(E().getIdx()), s);
      vpbroadcastd(E(), Xmm(E().getIdx()));
      vpaddd(E(), E(), V(4));
      vpaddd(E(), E(), V(5));
      lowbias32(E(), T());
      vpxor_(E(), V(6));
      lowbias32(E(), T());
      vpsrld(E(), E(), 8);
      if constexpr (avx512) {
        vpcmpud(Opmask(3), E(), consts_.u32(d_.threshold), 1 /*LT*/);
        kmovw(s, Opmask(3));
      } else {
        vmovups(M(), consts_.u32(d_.threshold));
        vpcmpgtd(M(), M(), E());  // threshold > u (both below 2^24, so signed is fine)
        vmovmskps(s, M());
      }
      io_.store_bits(pm_, n, s);
    } else {
      io_.load_bits_as_mask(M(), pm_, n, s);  // AVX-512: also k3
    }
    io_.load(X(), d_.in_type, pin_, n);
    if constexpr (avx512) {
      vmulps(X() | Opmask(3) | util::T_z, X(), consts_.f(d_.scale));
    } else {
      vmulps(X(), X(), consts_.f(d_.scale));
      vandps(X(), X(), M());
    }
    io_.store(X(), d_.out_type, pout_, n, T(), E());
  }

  const detail::dropout_desc d_;
  const bool forward_;
  const_table consts_;
  io<V> io_;
  Xbyak::Reg64 rin_, rout_, rm_, pin_, pout_, pm_, row_, ctr_, s0_;
};

}  // namespace tpp::jit::x86
