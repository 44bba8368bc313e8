// The x86 BRGEMM generator for AVX2 (V = Ymm) and AVX-512 (V = Zmm): one kernel per descriptor.
//
//   C block = rows x vecs vectors of accumulators, held in registers for the whole batch:
//
//   for row0 in m-blocks of mr rows (then the m remainder):           A rows stay in L1
//     for col0 in n-blocks of nv vectors (then the n remainder + tail):
//       acc = beta ? C : 0
//       for i < count:  A_i, B_i from the stride / offsets / addresses
//         for kk < k (unrolled):  b[v] = B_i(kk, col0 + v*L);  for r: a = A_i(row0 + r, kk)
//                                 acc[r][v] += a * b[v]
//       epilogue on acc (bias, binary with D, relu bitmask, unary injector), convert, store
//
// The block shape (mr, nv) comes from a small cost model over the real m and n (choose_block).
// f32 multiplies with FMA; at avx512_bf16 and above, VNNI B is multiplied by dot products on its
// k groups: bf16 pairs with vdpbf16ps (where tpp::bf16_product says dot; else widened as
// loaded, like other bf16), u8*i8 quads with vpdpbusd (exact i32 sums; on ymm too where the CPU
// has AVX-VNNI). Otherwise on ymm u8*i8 quads are widened to 16 bits (A: and / shift, B: shifts
// with sign) and multiplied by two vpmaddwd, even and odd bytes (exact: |a b| < 2^15, and a
// pair's sum fits i32; vpmaddubsw would saturate a pair's sum at 2^15). Other bf16 and f16
// inputs (f16 VNNI B too: one k's halves packed by vpmovdw, or vpshufb + vpermq on AVX2) are
// converted to f32 as they are loaded: A (normal) 8 k at a time per row into a stack block that
// the broadcasts read (see emit_k_loop), bf16 B on AVX2 16 columns at a time (reorder_pairs).
// Column tails use k1 (AVX-512) or ymm15 (vmaskmovps on AVX2), so no access leaves an operand.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/brgemm_block.hpp"
#include "tpp/detail/brgemm_desc.hpp"
#include "tpp/jit/x86/brgemm_batch.hpp"
#include "tpp/jit/x86/brgemm_epilogue.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/loops.hpp"
#include "tpp/jit/x86/staging.hpp"
#include "tpp/jit/x86/unary_injector.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

// How the vector generator multiplies A by B, decided once per descriptor and register width:
//   fma       f32 FMAs, bf16/f16 converted to f32 as loaded (one k value per step)
//   dpbf16ps  bf16 A normal x bf16 VNNI B, zmm at avx512_bf16+ where d.bf16_dot (pairs of k;
//             otherwise the pairs are widened and multiplied by fma: tpp::bf16_product says why)
//   dpbusd    u8 A normal x i8 VNNI B, zmm at avx512_bf16+ (AVX512_VNNI; quads of k), or ymm
//             where the CPU has AVX-VNNI (VEX encoding, any level that runs ymm code)
//   maddwd    u8 A normal x i8 VNNI B on ymm otherwise: bytes widened to 16 bits, two vpmaddwd
//   none      u8 x i8 otherwise (B not VNNI, A transposed, zmm without VNNI): not supported
enum class k_product { fma, dpbf16ps, dpbusd, maddwd, none };
inline k_product brgemm_k_product(const detail::brgemm_desc& d, bool zmm) {
  const bool groups = d.b_layout == gemm_layout::vnni && d.a_layout == gemm_layout::normal;
  const bool dot_isa = zmm && d.level >= isa::avx512_bf16;
  if (d.a_type == dtype::u8) {
    if (!groups) return k_product::none;
    if (dot_isa || (!zmm && has_avx_vnni())) return k_product::dpbusd;
    return zmm ? k_product::none : k_product::maddwd;
  }
  if (d.a_type == dtype::bf16 && groups && dot_isa && d.bf16_dot) return k_product::dpbf16ps;
  return k_product::fma;
}
// k values per multiply step
inline int k_group(k_product p) {
  return p == k_product::dpbf16ps ? 2 : (p == k_product::dpbusd || p == k_product::maddwd) ? 4 : 1;
}

using detail::brgemm_block;

// Registers for an mr x nv block: accumulators, nv B vectors, one A broadcast, the AVX2 tail
// mask (widened int8: even and odd halves of each B vector and of the A broadcast, and one
// product); after the k loop the B/broadcast registers serve the epilogue's temporaries.
inline int brgemm_registers(const detail::brgemm_desc& d, int lanes, int mr, int nv) {
  const bool avx2_tail = lanes == 8 && d.n % lanes != 0;
  const int loop = brgemm_k_product(d, lanes == 16) == k_product::maddwd ? 2 * nv + 3 : nv + 1;
  return mr * nv + (avx2_tail ? 1 : 0) + std::max(loop, brgemm_epilogue_temps(d));
}

// Whether a plain f32 ymm kernel keeps all of B in L1: one B (no batch) of at most 24 KiB, 3/4
// of Zen 3's L1 (the rest for the A rows and C of a row block). Row blocks are the outer loop, so
// each one sweeps the whole of B.
inline bool brgemm_f32_b_in_l1(const detail::brgemm_desc& d) {
  const bool batched = d.batch != batch_kind::stride || d.stride_a != 0 || d.stride_b != 0;
  const long long row_bytes = (static_cast<long long>(d.n) * 4 + 63) / 64 * 64;
  return !batched && static_cast<long long>(d.k) * row_bytes <= 24 * 1024;
}

// Estimated cycles per k step: two FMAs and two loads (nv B vectors, one A broadcast per row)
// per cycle, and each accumulator is one chain of 4-cycle FMAs. When the operands outgrow the
// 32 KiB L1 (or a batch streams them) loads hit L2 and 8 chains no longer hide the latency:
// measured on Zen 3, 128^3 runs 4x16 at 85 GFLOP/s and 5x16 at 97, while L1-resident 32^3 runs
// 4x16 at 97 and 6x16 at 87. So the latency floor is 4 cycles for L1-resident operands and 5
// otherwise.
// Off Intel, plain f32 on ymm (A and B normal; converted types and u8 not measured) counts as
// L1-resident where B alone is (brgemm_f32_b_in_l1; 64^3, A + B + C 48 KiB, is), and there a
// block of more than 8 accumulators costs 4 % more per step. Zen 3, kernels of each shape built
// with both blocks in one process, 21 rounds, GFLOP/s medians (FMA peak 102.6): 16^3 6x16 85.5
// -> 4x16 102.4, 48^3 96.4 -> 103.5, 64^3 98.5 -> 102.5, 20x64x64 4x24 99.4 -> 4x16 103.2; 40^3
// keeps 4x24 (96.9, 4x16 90.6: five vectors). bf16 and f16 (widened as loaded) ran 4x16 slower
// (16^3 73-75 against 77-82, 64^3 82-83 against 88-94), and B of 32 KiB or more favours 6x16
// (128^3 97.4 against 78.7, 64x128x64 97.7 against 95.1): those keep the rule above. So does
// Intel, whose ymm code ran 6x16 5-8 % faster than 4x16 at the same shapes (Sapphire Rapids at
// the avx2 level: 16^3 55.8 against 52.9, 48^3 59.3 / 54.3, 64^3 61.7 / 57.1).
inline brgemm_block choose_block(const detail::brgemm_desc& d, int lanes, int vregs) {
  const bool plain_f32 = lanes == 8 && !detail::detected_features().intel && d.a_type == dtype::f32 &&
                         d.b_type == dtype::f32 && d.a_layout == gemm_layout::normal &&
                         d.b_layout == gemm_layout::normal;
  const bool resident = plain_f32 ? brgemm_f32_b_in_l1(d) : !detail::brgemm_streams(d);
  const double floor = resident ? 4.0 : 5.0, wide = plain_f32 && resident ? 1.04 : 1.0;
  return detail::choose_brgemm_block(
      d, lanes, 28, 8, [&](int mr, int nv) { return brgemm_registers(d, lanes, mr, nv) <= vregs; },
      [floor, wide](int rows, int v) {
        return std::max({rows * v / 2.0 * (rows * v > 8 ? wide : 1.0), (rows + v) / 2.0, floor});
      });
}

template <class V>
class brgemm_generator : public Xbyak::CodeGenerator {
  static constexpr int kL = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;
  using desc = detail::brgemm_desc;

 public:
  // Whether this generator handles d (otherwise the reference runs): B not transposed, a k
  // product for u8*i8 (brgemm_k_product), and every in-block displacement within 31 bits.
  static bool supports(const desc& d) {
    if (d.b_layout == gemm_layout::transposed) return false;
    if (brgemm_k_product(d, avx512) == k_product::none) return false;
    const long long lim = 1LL << 30;
    const long long sa = size_of(d.a_type), sc = 4;
    const long long rows = 32, steps = 32;
    return (rows + steps) * d.lda * sa < lim && steps * 2 * d.ldb * size_of(d.b_type) < lim &&
           rows * d.ldc * sc < lim && rows * d.d.ld * sc < lim && rows * d.mask.ld / 8 < lim;
  }

  explicit brgemm_generator(const desc& d)
      : Xbyak::CodeGenerator(1 << 18, Xbyak::DontSetProtectRWE, staging()),
        d_(d),
        consts_(vec<V>::bytes),
        inj_(*this, consts_),
        io_(*this, consts_, d.level >= isa::avx512_bf16, V(vec<V>::count - 1)),
        product_(brgemm_k_product(d, avx512)),
        dot_(k_group(product_)),
        stage_a_(product_ == k_product::fma && d.a_layout == gemm_layout::normal &&
                 (d.a_type == dtype::bf16 || d.a_type == dtype::f16)) {
    blk_ = choose_block(d, kL, vec<V>::count);
    emit();
  }

  brgemm_block block() const { return blk_; }

 private:
  // ---- sizes and displacements --------------------------------------------------------------
  int sa() const { return size_of(d_.a_type); }
  int sb() const { return size_of(d_.b_type); }
  int sc() const { return size_of(d_.c_type); }
  int ksteps() const { return d_.k / dot_; }  // a dot product takes dot_ k values per step
  int kk_of(int step) const { return dot_ * step; }
  long a_disp(int r, int kk) const {
    const long e = d_.a_layout == gemm_layout::normal ? static_cast<long>(r) * d_.lda + kk
                                                     : static_cast<long>(kk) * d_.lda + r;
    return e * sa();
  }
  // Column vector v of row kk of B (VNNI: of the group holding kk).
  long b_disp(int kk, int v) const {
    const int g = d_.vnni();
    if (g > 1) return (static_cast<long>(kk / g) * d_.ldb * g + static_cast<long>(v) * kL * g) * sb();
    return (static_cast<long>(kk) * d_.ldb + static_cast<long>(v) * kL) * sb();
  }

  V acc(int r, int v) const { return V(r * blk_.nv + v); }

  // ---- emission -----------------------------------------------------------------------------
  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 13, stage_a_ ? stage_rows * stage_k * 4 : 0, false);
    args_ = sf.p[0];
    row0_ = sf.t[0];
    col0_ = sf.t[1];
    aoff_ = sf.t[2];
    boff_ = sf.t[3];
    ai_ = sf.t[4];
    bi_ = sf.t[5];
    acur_ = sf.t[6];
    bcur_ = sf.t[7];
    idx_ = sf.t[8];
    kcnt_ = sf.t[9];
    s0_ = sf.t[10];
    s1_ = sf.t[11];
    s2_ = sf.t[12];
    epi_.emplace(*this, d_, io_, inj_, typename epilogue::registers{args_, row0_, col0_, acur_, bcur_, ai_, bi_, s2_});

    if (const int tail = d_.n % kL) io_.set_tail(tail, s0_.cvt32());
    const int mb = d_.m / blk_.mr, mrem = d_.m % blk_.mr;
    const columns c = column_blocks();
    if (n_outer()) {
      sweep(col0_, c.full, blk_.nv * kL, [&] { emit_m_sweep(blk_.nv, kL); },
            c.rem, [&] { emit_m_sweep(c.rem, c.n_last); });
    } else {
      sweep(row0_, mb, blk_.mr, [&] { emit_n_sweep(blk_.mr); }, mrem, [&] { emit_n_sweep(mrem); });
    }
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  // Loop order. Columns outer keeps one B panel (k x nv vectors per pair) in L1 while the A
  // rows stream: A costs rows*4 bytes per k step and B nv*32 or nv*64, so that is the lighter
  // stream whenever the panel fits. A batch (strides or tables set) multiplies the panel by its
  // count, unknown here: there rows outer keeps the A rows of all pairs in L1 instead.
  bool n_outer() const {
    const bool batched = d_.batch != batch_kind::stride || d_.stride_a != 0 || d_.stride_b != 0;
    const long panel = static_cast<long>(d_.k) * blk_.nv * kL * sb();
    return !batched && panel <= 16 * 1024;
  }

  // The n blocks: `full` of nv full vectors, then one of `rem` vectors whose last holds n_last.
  struct columns {
    int full, rem, n_last;
  };
  columns column_blocks() const {
    const int full_vecs = d_.n / kL, tail = d_.n % kL, nb = full_vecs / blk_.nv;
    return {nb, full_vecs - nb * blk_.nv + (tail ? 1 : 0), tail ? tail : kL};
  }

  template <class Body, class Rem>
  void sweep(const Xbyak::Reg64& reg, int full, int step, Body body, bool rem, Rem rem_body) {
    emit_sweep(*this, reg, full, step, body, rem, rem_body);
  }

  void emit_m_sweep(int vecs, int n_last) {
    sweep(row0_, d_.m / blk_.mr, blk_.mr, [&] { emit_block(blk_.mr, vecs, n_last); },
          d_.m % blk_.mr, [&] { emit_block(d_.m % blk_.mr, vecs, n_last); });
  }

  void emit_n_sweep(int rows) {
    const columns c = column_blocks();
    sweep(col0_, c.full, blk_.nv * kL, [&] { emit_block(rows, blk_.nv, kL); },
          c.rem, [&] { emit_block(rows, c.rem, c.n_last); });
  }

  Xbyak::Address arg(std::size_t offset) { return qword[args_ + static_cast<int>(offset)]; }

  // One rows x vecs block; the last vector holds n_last columns.
  void emit_block(int rows, int vecs, int n_last) {
    using namespace Xbyak;
    using detail::brgemm_args;
    const auto lanes_of = [&](int v) { return v == vecs - 1 ? n_last : kL; };
    // accumulators
    if (d_.beta) {
      epi_->block_ptr(s0_, arg(offsetof(brgemm_args, c)), static_cast<long>(d_.ldc) * sc(), sc());
      for (int r = 0; r < rows; ++r)
        for (int v = 0; v < vecs; ++v)
          io_.load(acc(r, v), d_.c_type, s0_ + (static_cast<long>(r) * d_.ldc + v * kL) * sc(), lanes_of(v));
      reorder_pairs(rows, vecs, n_last);  // C in the column order of the bf16 B pairs
    } else {
      for (int r = 0; r < rows; ++r)
        for (int v = 0; v < vecs; ++v) vxorps(acc(r, v), acc(r, v), acc(r, v));
    }
    // block offsets inside every A_i and B_i
    const long a_row = d_.a_layout == gemm_layout::normal ? static_cast<long>(d_.lda) * sa() : sa();
    imul(aoff_, row0_, static_cast<int>(a_row));
    const int b_col = sb() * d_.vnni();
    if (b_col == 8) lea(boff_, ptr[col0_ * 8]);
    else if (b_col == 4) lea(boff_, ptr[col0_ * 4]);
    else lea(boff_, ptr[col0_ * 2]);

    emit_batch_loop(*this, d_, {args_, ai_, bi_, acur_, bcur_, idx_, s0_, s1_}, aoff_, boff_,
                    [&] { emit_k_loop(rows, vecs, n_last); });
    reorder_pairs(rows, vecs, n_last);  // back to C's column order
    emit_epilogue(rows, vecs, n_last);
  }

  // bf16 B (AVX2, normal layout) loads 16 columns at a time with io::load_bf16_pair: one load and
  // two in-lane unpacks against zero for two vectors, against two vpmovzxwd and two vpslld. The
  // pair holds columns 0-3 | 8-11 and 4-7 | 12-15, so its accumulators hold C in that order too;
  // a block puts its C (beta) into that order and back before the epilogue, one swap of 128-bit
  // halves per pair (the swap is its own inverse). Zen 3, bf16 x bf16 -> f32, both kernels built
  // in one process, three rounds: 64^3 1.01-1.07x, 128^3 1.09-1.10x, 64^3 x 16 1.07-1.08x, 23^3
  // 1.05-1.07x, 16^3 0.99-1.03x.
  bool pairs_b() const {
    return !avx512 && product_ == k_product::fma && d_.b_type == dtype::bf16 && d_.b_layout == gemm_layout::normal;
  }
  // whether vectors v and v + 1 of a block are such a pair: both full
  bool paired(int v, int vecs, int n_last) const {
    return pairs_b() && v % 2 == 0 && v + 1 < vecs && (v + 2 < vecs || n_last == kL);
  }
  void reorder_pairs(int rows, int vecs, int n_last) {
    const V t(blk_.mr * blk_.nv);  // a B register: free outside the k loop
    for (int v = 0; v < vecs; v += 2) {
      if (!paired(v, vecs, n_last)) continue;
      for (int r = 0; r < rows; ++r) {
        vperm2f128(t, acc(r, v), acc(r, v + 1), 0x31);          // the high halves
        vperm2f128(acc(r, v), acc(r, v), acc(r, v + 1), 0x20);  // the low halves
        vmovaps(acc(r, v + 1), t);
      }
    }
  }

  void add_imm(const Xbyak::Reg64& r, std::int64_t v) { emit_add(*this, r, v, s1_); }

  // ---- the k loop -----------------------------------------------------------------------------
  // 16-bit A (stage_a_) is widened 8 k at a time into a stack block, one vector per row, and
  // broadcast from there: each A value then costs 1/8 of a conversion instead of a shuffle and a
  // conversion at every use (once per column block). k steps outside whole groups of 8 broadcast
  // from A itself.
  void emit_k_loop(int rows, int vecs, int n_last) {
    using namespace Xbyak;
    const int steps = ksteps();
    const int ku = steps <= 16 ? steps : stage_k;
    const int iters = steps / ku, rem = steps % ku;
    if (iters >= 2) {
      Label kloop;
      mov(kcnt_, iters);
      L(kloop);
      if (stage_a_) stage_a(rows, 0);
      for (int s = 0; s < ku; ++s) emit_k_step(rows, vecs, n_last, kk_of(s), stage_a_ ? s : -1);
      const int kk = kk_of(ku);
      add_imm(acur_, a_disp(0, kk));
      add_imm(bcur_, b_disp(kk, 0));
      dec(kcnt_);
      jnz(kloop, T_NEAR);
      for (int s = 0; s < rem; ++s) emit_k_step(rows, vecs, n_last, kk_of(s), -1);
    } else {
      const int staged = stage_a_ ? steps / stage_k * stage_k : 0;
      for (int s = 0; s < steps; ++s) {
        if (s < staged && s % stage_k == 0) stage_a(rows, s);
        emit_k_step(rows, vecs, n_last, kk_of(s), s < staged ? s % stage_k : -1);
      }
    }
  }

  // A(r, kk0 .. kk0 + 8) as f32 -> stack row r, for the block's rows; a B register is free here.
  // The conversion is io::load's at 8 lanes, which zmm kernels use too (their k loop steps by 8).
  void stage_a(int rows, int kk0) {
    using namespace Xbyak;
    const Ymm t(blk_.mr * blk_.nv);
    for (int r = 0; r < rows; ++r) {
      const Address a = ptr[acur_ + a_disp(r, kk0)];
      if (d_.a_type == dtype::bf16) {
        vpmovzxwd(t, a);
        vpslld(t, t, 16);
      } else {
        vcvtph2ps(t, a);
      }
      vmovups(ptr[rsp + r * stage_k * 4], t);
    }
  }

  // B vectors and A broadcasts of one k step (kk relative to acur/bcur), and the FMAs; slot >= 0:
  // A comes from column `slot` of the staged block.
  void emit_k_step(int rows, int vecs, int n_last, int kk, int slot) {
    using namespace Xbyak;
    const int nv = blk_.nv;
    if (product_ == k_product::maddwd) {
      emit_widened_k_step(rows, vecs, n_last, kk);
      return;
    }
    const V bc0(nv * blk_.mr + nv);  // broadcast registers follow the B registers
    bool zeroed = false;
    for (int v = 0; v < vecs; ++v) {
      if (paired(v, vecs, n_last)) {  // bc0 is zero until the first broadcast
        if (!zeroed) vpxor(bc0, bc0, bc0);
        zeroed = true;
        io_.load_bf16_pair(V(blk_.mr * nv + v), V(blk_.mr * nv + v + 1), bcur_ + b_disp(kk, v), bc0);
        ++v;
      } else {
        load_b(V(blk_.mr * nv + v), bcur_ + b_disp(kk, v), v == vecs - 1 ? n_last : kL, kk);
      }
    }
    for (int r = 0; r < rows; ++r) {
      if (slot >= 0) vbroadcastss(bc0, ptr[rsp + (r * stage_k + slot) * 4]);
      else broadcast_a(bc0, acur_ + a_disp(r, kk));
      for (int v = 0; v < vecs; ++v) {
        const V b(blk_.mr * nv + v);
        if (product_ == k_product::dpbf16ps) vdpbf16ps(acc(r, v), b, bc0);
        else if (product_ == k_product::dpbusd)  // u8 (A) x i8 (B) quads; ymm: AVX-VNNI
          vpdpbusd(acc(r, v), bc0, b, avx512 ? Xbyak::EvexEncoding : Xbyak::VexEncoding);
        else vfmadd231ps(acc(r, v), bc0, b);
      }
    }
  }

  // u8*i8 quads on AVX2, per 32-bit lane: a0 b0 + a1 b1 + a2 b2 + a3 b3 as (a0 b0 + a2 b2) +
  // (a1 b1 + a3 b3): the even bytes and the odd bytes of A and B widened to 16-bit lanes, two
  // vpmaddwd. Registers after the accumulators: B even [nv], B odd [nv], A even, A odd, product.
  void emit_widened_k_step(int rows, int vecs, int n_last, int kk) {
    using namespace Xbyak;
    const int nv = blk_.nv, base = blk_.mr * nv;
    const auto b_even = [&](int v) { return V(base + v); };
    const auto b_odd = [&](int v) { return V(base + nv + v); };
    const V a_even(base + 2 * nv), a_odd(base + 2 * nv + 1), prod(base + 2 * nv + 2);
    for (int v = 0; v < vecs; ++v) {
      load_b(b_odd(v), bcur_ + b_disp(kk, v), v == vecs - 1 ? n_last : kL, kk);
      vpsllw(b_even(v), b_odd(v), 8);   // even byte to the high half,
      vpsraw(b_even(v), b_even(v), 8);  // then back down with its sign
      vpsraw(b_odd(v), b_odd(v), 8);    // odd byte, with its sign
    }
    for (int r = 0; r < rows; ++r) {
      vpbroadcastd(a_odd, ptr[acur_ + a_disp(r, kk)]);
      vpand(a_even, a_odd, consts_.u32(0x00FF00FFu));  // u8: zero-extended
      vpsrlw(a_odd, a_odd, 8);
      for (int v = 0; v < vecs; ++v) {
        vpmaddwd(prod, a_even, b_even(v));
        vpaddd(acc(r, v), acc(r, v), prod);
        vpmaddwd(prod, a_odd, b_odd(v));
        vpaddd(acc(r, v), acc(r, v), prod);
      }
    }
  }

  void load_b(const V& b, const Xbyak::RegExp& a, int n, int kk) {
    using namespace Xbyak;
    if (d_.b_layout != gemm_layout::vnni) {
      io_.load(b, d_.b_type, a, n);
      return;
    }
    // VNNI: one 32-bit lane holds B(kk.., j) of one k group
    if constexpr (avx512) {
      if (n == kL) vmovups(b, ptr[a]);
      else vmovups(b | Opmask(1) | util::T_z, ptr[a]);
    } else {
      if (n == kL) vmovups(b, ptr[a]);
      else vmaskmovps(b, V(vec<V>::count - 1), ptr[a]);
    }
    if (dot_ > 1) return;
    if (d_.b_type == dtype::f16) {  // f16 pairs: this k's halves packed, then converted
      const int idx = b.getIdx();
      if constexpr (avx512) {
        if (kk % 2) vpsrld(b, b, 16);
        vpmovdw(Ymm(idx), b);
        vcvtph2ps(b, Ymm(idx));
      } else {  // the halves of each 128-bit lane to its low 8 bytes, then the two lanes together
        const std::uint32_t lo = kk % 2 ? 0x07060302u : 0x05040100u, hi = kk % 2 ? 0x0F0E0B0Au : 0x0D0C0908u;
        const std::uint32_t zero = 0x80808080u;  // vpshufb writes 0
        vpshufb(b, b, consts_.lanes({lo, hi, zero, zero, lo, hi, zero, zero}));
        vpermq(b, b, 0x08);
        vcvtph2ps(b, Xmm(idx));
      }
      return;
    }
    // bf16 pairs converted to f32 (AVX2, or A transposed)
    if (kk % 2 == 0) vpslld(b, b, 16);
    else if constexpr (avx512) vpandd(b, b, consts_.u32(0xFFFF0000u));
    else vpand(b, b, consts_.u32(0xFFFF0000u));
  }

  void broadcast_a(const V& v, const Xbyak::RegExp& a) {
    using namespace Xbyak;
    if (dot_ > 1) {  // the k group of one A row: 2 bf16 or 4 u8
      vpbroadcastd(v, ptr[a]);
      return;
    }
    switch (d_.a_type) {
      case dtype::f32: vbroadcastss(v, ptr[a]); break;
      case dtype::bf16:
        vpbroadcastw(v, ptr[a]);
        vpslld(v, v, 16);
        break;
      default: {  // f16
        const typename vec<V>::half h(v.getIdx());
        vpbroadcastw(h, ptr[a]);
        vcvtph2ps(v, h);
      }
    }
  }

  // ---- epilogue -------------------------------------------------------------------------------
  void emit_epilogue(int rows, int vecs, int n_last) {
    epi_->set_block();
    // temporaries: every register that is not an accumulator or the AVX2 tail mask
    std::vector<V> free;
    const bool avx2_tail = !avx512 && d_.n % kL != 0;
    for (int i = blk_.mr * blk_.nv; i < vec<V>::count - (avx2_tail ? 1 : 0); ++i) free.push_back(V(i));
    std::vector<typename epilogue::cell> cells;
    for (int r = 0; r < rows; ++r)
      for (int v = 0; v < vecs; ++v) cells.push_back({r, v});
    epi_->emit(cells, [&](typename epilogue::cell c) { return acc(c.r, c.v); },
               [&](int v) { return v == vecs - 1 ? n_last : kL; }, free, false);
  }

  const desc d_;
  const_table consts_;
  unary_injector<V> inj_;
  io<V> io_;
  const k_product product_;  // brgemm_k_product
  const int dot_;             // k values per multiply step (k_group)
  const bool stage_a_;        // bf16 / f16 A widened through the stack (emit_k_loop)
  static constexpr int stage_k = 8, stage_rows = 32;
  using epilogue = brgemm_epilogue_emitter<V>;
  std::optional<epilogue> epi_;
  brgemm_block blk_;
  Xbyak::Reg64 args_, row0_, col0_, aoff_, boff_, ai_, bi_, acur_, bcur_, idx_, kcnt_, s0_, s1_, s2_;
};

}  // namespace tpp::jit::x86
