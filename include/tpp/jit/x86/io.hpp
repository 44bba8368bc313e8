// Loads and stores between memory of any element-wise dtype and f32 vector registers, full
// vectors or tails of n < lanes elements. Tails never touch memory past the n-th element:
// AVX-512 uses opmask k1 (fault-suppressing); AVX2 loads 32-bit elements with vmaskmovps and
// stores them, and 16-bit ones both ways, with exact sequences of plain moves (n is known when
// the kernel is generated).
#pragma once

#include <cstdint>
#include <vector>

#include <xbyak/xbyak.h>

#include "tpp/core/dtype.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

// AVX2: lanes 0..n-1 of v (n < 8 32-bit lanes) -> a, exact, v kept. Not vmaskmovps: on Zen 3
// a masked ymm store takes ~12 cycles (12-15 per store measured in a loop, against ~2 for
// vmovups), and a kernel with a column tail stores one per row (the 23^3 GEMM: 23 of them, about
// a fifth of its time; 50 -> 61-64 GFLOP/s without). Up to three plain stores instead; lanes 4..6
// are reached by swapping v's halves in place and back.
inline void store_dwords(Xbyak::CodeGenerator& g, const Xbyak::Ymm& v, const Xbyak::RegExp& a, int n) {
  const Xbyak::Xmm x(v.getIdx());
  int o = 0;
  if (n >= 4) {
    g.vmovups(g.ptr[a], x);
    if (n == 4) return;
    g.vperm2f128(v, v, v, 0x01);
    o = 4;
  }
  const Xbyak::RegExp at = a + 4 * o;
  if (n - o == 1) g.vmovss(g.ptr[at], x);
  else g.vmovlps(g.ptr[at], x);
  if (n - o == 3) g.vextractps(g.ptr[at + 8], x, 2);
  if (o) g.vperm2f128(v, v, v, 0x01);
}

template <class V>
class io {
  using half = typename vec<V>::half;
  static constexpr int L = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;

 public:
  // tail_mask: AVX2 register holding all-ones in lanes < tail (used by vmaskmovps); AVX-512 uses k1.
  io(Xbyak::CodeGenerator& g, const_table& c, bool native_bf16, V tail_mask)
      : g_(g), c_(c), native_bf16_(native_bf16), tail_mask_(tail_mask) {}

  // Bit moves for 16-bit types (detail::copies_bits): loads zero-extend each element into its
  // 32-bit lane and stores truncate it back, with no conversion either way.
  void set_raw16(bool raw) { raw16_ = raw; }
  // Values stored as bf16 are already bf16 or NaN (detail::stores_exact_bf16): rounding to
  // nearest even is then a truncation, and only a NaN needs its quiet bit (as tpp::to_bf16).
  void set_exact_bf16(bool exact) { exact_bf16_ = exact; }

  // Prepares the tail of `tail` lanes (1 <= tail < L) that loads and stores with n < L use:
  // opmask k1 on AVX-512, the tail-mask register on AVX2. scratch: any free general register.
  void set_tail(int tail, const Xbyak::Reg32& scratch) {
    if constexpr (avx512) {
      g_.mov(scratch, (1u << tail) - 1);
      g_.kmovw(Xbyak::Opmask(1), scratch);
    } else {
      std::vector<std::uint32_t> m(L, 0);
      for (int j = 0; j < tail; ++j) m[j] = 0xFFFFFFFFu;
      g_.vmovups(tail_mask_, c_.lanes(m));
    }
  }

  // ---- bitmask operands (one bit per element, rows of whole bytes) ------------------------
  // low n bits of `bits` -> memory at a (bits past n in the last byte are written as 0)
  void store_bits(const Xbyak::RegExp& a, int n, const Xbyak::Reg32& bits) {
    if (n < 32) g_.and_(bits, static_cast<int>((1u << n) - 1));
    if (n <= 8) g_.mov(g_.byte[a], bits.cvt8());
    else g_.mov(g_.word[a], bits.cvt16());
  }
  // n bits at a -> m: all-ones lanes where the bit is set (AVX-512 also leaves them in k3)
  void load_bits_as_mask(const V& m, const Xbyak::RegExp& a, int n, const Xbyak::Reg32& scratch) {
    if (n <= 8) g_.movzx(scratch, g_.byte[a]);
    else g_.movzx(scratch, g_.word[a]);
    if constexpr (avx512) {
      g_.kmovw(Xbyak::Opmask(3), scratch);
      g_.vpmovm2d(m, Xbyak::Opmask(3));
    } else {
      const Xbyak::Xmm x(m.getIdx());
      g_.vmovd(x, scratch);
      g_.vpbroadcastd(m, x);
      const auto bits = c_.lanes({1, 2, 4, 8, 16, 32, 64, 128});
      g_.vpand(m, m, bits);
      g_.vpcmpeqd(m, m, bits);
    }
  }

  // v <- n elements of type t at a (n == L: a full vector)
  void load(const V& v, dtype t, const Xbyak::RegExp& a, int n) {
    const bool full = n == L;
    if constexpr (avx512) {
      const V dst = full ? v : V(v | Xbyak::Opmask(1) | Xbyak::util::T_z);
      if (t == dtype::f32 || t == dtype::i32) g_.vmovups(dst, g_.ptr[a]);
      else if (t == dtype::f16 && !raw16_) g_.vcvtph2ps(dst, g_.ptr[a]);
      else {
        g_.vpmovzxwd(dst, g_.ptr[a]);
        if (!raw16_) g_.vpslld(v, v, 16);
      }
    } else {
      if (t == dtype::f32 || t == dtype::i32) {
        if (full) g_.vmovups(v, g_.ptr[a]);
        else g_.vmaskmovps(v, tail_mask_, g_.ptr[a]);
        return;
      }
      const Xbyak::Xmm h(v.getIdx());
      const bool f16 = t == dtype::f16 && !raw16_;
      if (full) {
        if (f16) g_.vcvtph2ps(v, g_.ptr[a]);
        else g_.vpmovzxwd(v, g_.ptr[a]);
      } else {
        g_.vpxor(h, h, h);
        int o = 0;
        if (n >= 4) { g_.vmovq(h, g_.ptr[a]); o = 4; }
        if (n - o >= 2) { g_.vpinsrd(h, h, g_.ptr[a + 2 * o], o / 2); o += 2; }
        if (n - o == 1) g_.vpinsrw(h, h, g_.ptr[a + 2 * o], o);
        if (f16) g_.vcvtph2ps(v, h);
        else g_.vpmovzxwd(v, h);
      }
      if (t == dtype::bf16 && !raw16_) g_.vpslld(v, v, 16);
    }
  }

  // AVX2, bf16 pairs of full vectors. 16 elements at a -> lo = elements 0-3 | 8-11 and hi =
  // 4-7 | 12-15 as f32 (vpunpck{l,h}wd against zero work inside each 128-bit lane), and
  // store_bf16_pair's one vpackusdw puts them back in order. Element-wise ops between operands
  // loaded this way see matching elements. Against two vpmovzxwd + vpslld loads and two
  // vpackusdw + vpermq stores: two shifts and three shuffles fewer per 16 elements.
  // zero: a register holding 0 (one vpxor serves every pair of a step)
  void load_bf16_pair(const V& lo, const V& hi, const Xbyak::RegExp& a, const V& zero) {
    g_.vmovdqu(hi, g_.ptr[a]);
    g_.vpunpcklwd(lo, zero, hi);
    g_.vpunpckhwd(hi, zero, hi);
  }
  void store_bf16_pair(const V& lo, const V& hi, const Xbyak::RegExp& a, const V& t0, const V& t1) {
    narrow_to_bf16(lo, t0, t1);
    narrow_to_bf16(hi, t0, t1);
    g_.vpackusdw(lo, lo, hi);
    g_.vmovdqu(g_.ptr[a], lo);
  }

  // v <- the element of type t at a, in every lane
  void load_broadcast(const V& v, dtype t, const Xbyak::RegExp& a, const Xbyak::Reg32& scratch) {
    const Xbyak::Xmm x(v.getIdx());
    if (t == dtype::f32) {
      g_.vbroadcastss(v, g_.ptr[a]);
      return;
    }
    g_.movzx(scratch, g_.word[a]);
    if (t == dtype::bf16 && !raw16_) g_.shl(scratch, 16);
    g_.vmovd(x, scratch);
    if (t == dtype::f16 && !raw16_) g_.vcvtph2ps(x, x);
    g_.vbroadcastss(v, x);
  }

  // n elements of v -> type t at a. Clobbers v and, for emulated bf16 rounding, t0 and t1.
  void store(const V& v, dtype t, const Xbyak::RegExp& a, int n, const V& t0, const V& t1) {
    const bool full = n == L;
    const auto mem = [&]() -> Xbyak::Address {
      return full ? g_.ptr[a] : g_.ptr[a] | Xbyak::Opmask(1);
    };
    if (t == dtype::f32 || t == dtype::i32) {  // i32: raw 32-bit lanes (int8 GEMM accumulators)
      if constexpr (avx512) g_.vmovups(mem(), v);
      else if (full) g_.vmovups(g_.ptr[a], v);
      else store_dwords(g_, v, a, n);
      return;
    }
    const half h(v.getIdx());
    if (raw16_) {  // the low 16 bits of each lane, truncated (AVX2: packed, exact below 2^16)
      if constexpr (avx512) {
        g_.vpmovdw(mem(), v);
        return;
      }
      g_.vpackusdw(v, v, v);
      g_.vpermq(v, v, 0x08);
    } else if (t == dtype::f16) {
      if constexpr (avx512) {
        g_.vcvtps2ph(mem(), v, 0);
        return;
      }
      g_.vcvtps2ph(h, v, 0);  // imm 0: round to nearest even
    } else if (avx512 && native_bf16_) {
      g_.vcvtneps2bf16(h, v);
      g_.vmovdqu16(mem(), h);
      return;
    } else {
      narrow_to_bf16(v, t0, t1);
      if constexpr (avx512) {
        g_.vpmovdw(mem(), v);
        return;
      }
      g_.vpackusdw(v, v, v);
      g_.vpermq(v, v, 0x08);
    }
    // AVX2, 16-bit results in the low 128 bits of v
    const Xbyak::Xmm x(v.getIdx());
    if (full) {
      g_.vmovdqu(g_.ptr[a], x);
      return;
    }
    int o = 0;
    if (n >= 4) { g_.vmovq(g_.ptr[a], x); o = 4; }
    if (n - o >= 2) { g_.vpextrd(g_.ptr[a + 2 * o], x, o / 2); o += 2; }
    if (n - o == 1) g_.vpextrw(g_.ptr[a + 2 * o], x, o);
  }

 private:
  // f32 bits -> bf16 bits in the low half of each 32-bit lane, round to nearest even; NaN made
  // quiet (same rule as tpp::to_bf16 and vcvtneps2bf16).
  void round_to_bf16(const V& v, const V& t0, const V& t1) {
    g_.vpsrld(t0, v, 16);
    if constexpr (avx512) g_.vpandd(t0, t0, c_.u32(1));  // EVEX has no plain vpand
    else g_.vpand(t0, t0, c_.u32(1));
    g_.vpaddd(t0, t0, c_.u32(0x7FFF));
    g_.vpaddd(t0, t0, v);
    if constexpr (avx512) {
      g_.vcmpps(Xbyak::Opmask(2), v, v, 0x03 /*UNORD_Q*/);
      g_.vpord(t0 | Xbyak::Opmask(2), v, c_.u32(0x00400000u));
    } else {
      g_.vcmpps(t1, v, v, 0x03 /*UNORD_Q*/);
      g_.vpor(v, v, c_.u32(0x00400000u));
      g_.vblendvps(t0, t0, v, t1);
    }
    g_.vpsrld(v, t0, 16);
  }

  // f32 -> bf16 bits in the low half of each lane: rounded, or for values that are bf16 already
  // (set_exact_bf16) only NaNs made quiet
  void narrow_to_bf16(const V& v, const V& t0, const V& t1) {
    if (exact_bf16_) quiet_to_bf16(v, t1);
    else round_to_bf16(v, t0, t1);
  }
  // round_to_bf16 for values that are bf16 or NaN: NaN made quiet, then the high halves
  void quiet_to_bf16(const V& v, const V& t1) {
    if constexpr (avx512) {
      g_.vcmpps(Xbyak::Opmask(2), v, v, 0x03 /*UNORD_Q*/);
      g_.vpord(v | Xbyak::Opmask(2), v, c_.u32(0x00400000u));
    } else {
      g_.vcmpps(t1, v, v, 0x03 /*UNORD_Q*/);
      g_.vandps(t1, t1, c_.u32(0x00400000u));
      g_.vorps(v, v, t1);
    }
    g_.vpsrld(v, v, 16);
  }

  Xbyak::CodeGenerator& g_;
  const_table& c_;
  bool native_bf16_;
  V tail_mask_;
  bool raw16_ = false;
  bool exact_bf16_ = false;
};

}  // namespace tpp::jit::x86
