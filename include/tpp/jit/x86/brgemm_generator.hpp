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
// f32 multiplies with FMA; bf16 VNNI B at avx512_bf16 with vdpbf16ps on k pairs; other bf16 and
// f16 inputs are converted to f32 as they are loaded. Column tails use k1 (AVX-512) or ymm15
// (vmaskmovps on AVX2), so no access leaves an operand.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/brgemm_desc.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/unary_injector.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

// vdpbf16ps on pairs of k: bf16 A (normal) times bf16 VNNI B, AVX512_BF16 and zmm.
inline bool brgemm_native_bf16(const detail::brgemm_desc& d) {
  return d.level >= isa::avx512_bf16 && d.a_type == dtype::bf16 && d.b_layout == gemm_layout::vnni &&
         d.a_layout == gemm_layout::normal;
}

// Vector temporaries the epilogue needs per accumulator it transforms.
inline int brgemm_epilogue_temps(const detail::brgemm_desc& d) {
  int t = injector_temps(d.unary);
  if (d.bias != dtype::none || d.d.type != dtype::none || d.mask.type != dtype::none) t = std::max(t, 1);
  if (d.d.type != dtype::none && (d.binary == binary_op::max || d.binary == binary_op::min))
    t = std::max(t, 3);
  if (d.c_type == dtype::bf16 && d.level < isa::avx512_bf16) t = std::max(t, 2);  // emulated RNE
  return t;
}

struct brgemm_block {
  int mr = 1, nv = 1;  // rows, vectors
};

// Registers for an mr x nv block: accumulators, nv B vectors, one A broadcast, the AVX2 tail
// mask; after the k loop the B/broadcast registers serve the epilogue's temporaries.
inline int brgemm_registers(const detail::brgemm_desc& d, int lanes, int mr, int nv) {
  const bool avx2_tail = lanes == 8 && d.n % lanes != 0;
  const int loop = nv + 1;
  return mr * nv + (avx2_tail ? 1 : 0) + std::max(loop, brgemm_epilogue_temps(d));
}

// Estimated cycles per k step, summed over the blocks that tile m x n: two FMAs and two loads per
// cycle, and each accumulator is one chain of 4-cycle FMAs. When the operands outgrow the 32 KiB
// L1 (or a batch streams them) loads hit L2 and 8 chains no longer hide the latency: measured on
// Zen 3, 128^3 runs 4x16 at 85 GFLOP/s and 5x16 at 97, while L1-resident 32^3 runs 4x16 at 97
// and 6x16 at 87. So the latency floor is 4 cycles for L1-resident operands and 5 otherwise.
inline brgemm_block choose_block(const detail::brgemm_desc& d, int lanes, int vregs) {
  const int full_vecs = d.n / lanes, vecs = full_vecs + (d.n % lanes ? 1 : 0);
  const bool batched = d.batch != batch_kind::stride || d.stride_a != 0 || d.stride_b != 0;
  const double bytes = (static_cast<double>(d.m) * d.k + static_cast<double>(d.k) * d.n) * size_of(d.a_type) +
                       static_cast<double>(d.m) * d.n * 4;
  const double floor = (batched || bytes > 32 * 1024) ? 5.0 : 4.0;
  const auto step_cycles = [floor](int rows, int v) {
    return std::max({rows * v / 2.0, (rows + v) / 2.0, floor});
  };
  brgemm_block best;
  double best_cost = 1e300;
  for (int nv = 1; nv <= std::min(vecs, 8); ++nv)
    for (int mr = 1; mr <= std::min(d.m, 28); ++mr) {
      if (brgemm_registers(d, lanes, mr, nv) > vregs) continue;
      const int mb = d.m / mr, mrem = d.m % mr;
      const int nb = full_vecs / nv, nrem = vecs - nb * nv;
      double cost = 0;
      for (auto [rows, nrows] : {std::pair{mr, mb}, std::pair{mrem, 1}})
        for (auto [v, nvb] : {std::pair{nv, nb}, std::pair{nrem, 1}})
          if (rows && v && nrows && nvb) cost += nrows * nvb * step_cycles(rows, v);
      if (cost < best_cost - 1e-9 || (cost < best_cost + 1e-9 && mr * nv > best.mr * best.nv)) {
        best_cost = cost;
        best = {mr, nv};
      }
    }
  return best;
}

template <class V>
class brgemm_generator : public Xbyak::CodeGenerator {
  static constexpr int kL = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;
  using desc = detail::brgemm_desc;
  using lanes_t = typename math<V>::lanes_t;

 public:
  // Whether this generator handles d (otherwise the reference runs): float inputs, B not
  // transposed, f16 B not VNNI, and every in-block displacement within 31 bits.
  static bool supports(const desc& d) {
    if (d.a_type == dtype::u8 || d.b_layout == gemm_layout::transposed) return false;
    if (d.b_layout == gemm_layout::vnni && d.b_type == dtype::f16) return false;
    const long long lim = 1LL << 30;
    const long long sa = size_of(d.a_type), sc = 4;
    const long long rows = 32, steps = 32;
    return (rows + steps) * d.lda * sa < lim && steps * 2 * d.ldb * size_of(d.b_type) < lim &&
           rows * d.ldc * sc < lim && rows * d.d.ld * sc < lim && rows * d.mask.ld / 8 < lim;
  }

  explicit brgemm_generator(const desc& d)
      : Xbyak::CodeGenerator(1 << 18, Xbyak::DontSetProtectRWE),
        d_(d),
        consts_(vec<V>::bytes),
        inj_(*this, consts_),
        io_(*this, consts_, d.level >= isa::avx512_bf16, V(vec<V>::count - 1)),
        native_(avx512 && brgemm_native_bf16(d)) {
    blk_ = choose_block(d, kL, vec<V>::count);
    emit();
  }

  brgemm_block block() const { return blk_; }

 private:
  // ---- sizes and displacements --------------------------------------------------------------
  int sa() const { return size_of(d_.a_type); }
  int sb() const { return size_of(d_.b_type); }
  int sc() const { return size_of(d_.c_type); }
  int ksteps() const { return native_ ? d_.k / 2 : d_.k; }  // native: one step per k pair
  int kk_of(int step) const { return native_ ? 2 * step : step; }
  long a_disp(int r, int kk) const {
    const long e = d_.a_layout == gemm_layout::normal ? static_cast<long>(r) * d_.lda + kk
                                                     : static_cast<long>(kk) * d_.lda + r;
    return e * sa();
  }
  // Column vector v of row kk of B (VNNI: of the group holding kk).
  long b_disp(int kk, int v) const {
    if (d_.b_layout == gemm_layout::vnni)
      return (static_cast<long>(kk / 2) * d_.ldb * 2 + static_cast<long>(v) * kL * 2) * sb();
    return (static_cast<long>(kk) * d_.ldb + static_cast<long>(v) * kL) * sb();
  }

  V acc(int r, int v) const { return V(r * blk_.nv + v); }

  // ---- emission -----------------------------------------------------------------------------
  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 13, 0, false);
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

    const int tail = d_.n % kL;
    if (tail) {
      if constexpr (avx512) {
        mov(s0_.cvt32(), (1u << tail) - 1);
        kmovw(Opmask(1), s0_.cvt32());
      } else {
        std::vector<std::uint32_t> m(kL, 0);
        for (int j = 0; j < tail; ++j) m[j] = 0xFFFFFFFFu;
        vmovups(V(vec<V>::count - 1), consts_.lanes(m));
      }
    }
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

  // reg = 0; `full` times: body(), reg += step (a loop from two on); then rem_body() if rem.
  template <class Body, class Rem>
  void sweep(const Xbyak::Reg64& reg, int full, int step, Body body, int rem, Rem rem_body) {
    using namespace Xbyak;
    xor_(reg, reg);
    if (full > 0) {
      Label loop;
      L(loop);
      body();
      add(reg, step);
      if (full > 1) {
        cmp(reg, full * step);
        jl(loop, T_NEAR);
      }
    }
    if (rem) rem_body();
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

  // dst = base + row0 * row_bytes + col0 * col_bytes (col_bytes in 1, 2, 4, 8)
  void block_ptr(const Xbyak::Reg64& dst, const Xbyak::Address& base, long row_bytes, int col_bytes) {
    mov(dst, base);
    if (row_bytes) {
      imul(s2_, row0_, static_cast<int>(row_bytes));
      add(dst, s2_);
    }
    lea(dst, ptr[dst + col0_ * col_bytes]);
  }
  Xbyak::Address arg(std::size_t offset) { return qword[args_ + static_cast<int>(offset)]; }

  // One rows x vecs block; the last vector holds n_last columns.
  void emit_block(int rows, int vecs, int n_last) {
    using namespace Xbyak;
    using detail::brgemm_args;
    const auto lanes_of = [&](int v) { return v == vecs - 1 ? n_last : kL; };
    // accumulators
    if (d_.beta) {
      block_ptr(s0_, arg(offsetof(brgemm_args, c)), static_cast<long>(d_.ldc) * sc(), sc());
      for (int r = 0; r < rows; ++r)
        for (int v = 0; v < vecs; ++v)
          io_.load(acc(r, v), d_.c_type, s0_ + (static_cast<long>(r) * d_.ldc + v * kL) * sc(), lanes_of(v));
    } else {
      for (int r = 0; r < rows; ++r)
        for (int v = 0; v < vecs; ++v) vxorps(acc(r, v), acc(r, v), acc(r, v));
    }
    // block offsets inside every A_i and B_i
    const long a_row = d_.a_layout == gemm_layout::normal ? static_cast<long>(d_.lda) * sa() : sa();
    imul(aoff_, row0_, static_cast<int>(a_row));
    const int b_col = sb() * (d_.b_layout == gemm_layout::vnni ? 2 : 1);
    if (b_col == 8) lea(boff_, ptr[col0_ * 8]);
    else if (b_col == 4) lea(boff_, ptr[col0_ * 4]);
    else lea(boff_, ptr[col0_ * 2]);

    Label done, batch;
    mov(s0_, arg(offsetof(brgemm_args, count)));
    test(s0_, s0_);
    jle(done, T_NEAR);
    if (d_.batch == batch_kind::stride) {
      mov(ai_, arg(offsetof(brgemm_args, a)));
      mov(bi_, arg(offsetof(brgemm_args, b)));
    }
    xor_(idx_, idx_);
    L(batch);
    batch_pointers();
    emit_k_loop(rows, vecs, n_last);
    inc(idx_);
    cmp(idx_, arg(offsetof(brgemm_args, count)));
    jl(batch, T_NEAR);
    L(done);
    emit_epilogue(rows, vecs, n_last);
  }

  // acur/bcur <- the idx-th pair's block pointers
  void batch_pointers() {
    using namespace Xbyak;
    using detail::brgemm_args;
    switch (d_.batch) {
      case batch_kind::stride:
        lea(acur_, ptr[ai_ + aoff_]);
        lea(bcur_, ptr[bi_ + boff_]);
        add_imm(ai_, d_.stride_a * sa());
        add_imm(bi_, d_.stride_b * sb());
        break;
      case batch_kind::offset:
        mov(s0_, arg(offsetof(brgemm_args, batch_a)));
        mov(acur_, ptr[s0_ + idx_ * 8]);
        mov(s0_, arg(offsetof(brgemm_args, a)));
        scaled_add(acur_, s0_, sa());
        add(acur_, aoff_);
        mov(s0_, arg(offsetof(brgemm_args, batch_b)));
        mov(bcur_, ptr[s0_ + idx_ * 8]);
        mov(s0_, arg(offsetof(brgemm_args, b)));
        scaled_add(bcur_, s0_, sb());
        add(bcur_, boff_);
        break;
      case batch_kind::address:
        mov(s0_, arg(offsetof(brgemm_args, batch_a)));
        mov(acur_, ptr[s0_ + idx_ * 8]);
        add(acur_, aoff_);
        mov(s0_, arg(offsetof(brgemm_args, batch_b)));
        mov(bcur_, ptr[s0_ + idx_ * 8]);
        add(bcur_, boff_);
        break;
    }
  }
  // r = base + r * scale
  void scaled_add(const Xbyak::Reg64& r, const Xbyak::Reg64& base, int scale) {
    if (scale == 4) lea(r, ptr[base + r * 4]);
    else if (scale == 2) lea(r, ptr[base + r * 2]);
    else lea(r, ptr[base + r]);
  }
  void add_imm(const Xbyak::Reg64& r, std::int64_t v) {
    if (v == 0) return;
    if (v >= INT32_MIN && v <= INT32_MAX) {
      add(r, static_cast<std::int32_t>(v));
    } else {
      mov(s1_, v);
      add(r, s1_);
    }
  }

  // ---- the k loop -----------------------------------------------------------------------------
  void emit_k_loop(int rows, int vecs, int n_last) {
    using namespace Xbyak;
    const int steps = ksteps();
    const int ku = steps <= 16 ? steps : 8;
    const int iters = steps / ku, rem = steps % ku;
    if (iters >= 2) {
      Label kloop;
      mov(kcnt_, iters);
      L(kloop);
      for (int s = 0; s < ku; ++s) emit_k_step(rows, vecs, n_last, kk_of(s));
      const int kk = kk_of(ku);
      add_imm(acur_, a_disp(0, kk));
      add_imm(bcur_, b_disp(kk, 0));
      dec(kcnt_);
      jnz(kloop, T_NEAR);
      for (int s = 0; s < rem; ++s) emit_k_step(rows, vecs, n_last, kk_of(s));
    } else {
      for (int s = 0; s < steps; ++s) emit_k_step(rows, vecs, n_last, kk_of(s));
    }
  }

  // B vectors and A broadcasts of one k step (kk relative to acur/bcur), and the FMAs.
  void emit_k_step(int rows, int vecs, int n_last, int kk) {
    using namespace Xbyak;
    const int nv = blk_.nv;
    const V bc0(nv * blk_.mr + nv);  // broadcast registers follow the B registers
    for (int v = 0; v < vecs; ++v) load_b(V(blk_.mr * nv + v), bcur_ + b_disp(kk, v), v == vecs - 1 ? n_last : kL, kk);
    for (int r = 0; r < rows; ++r) {
      broadcast_a(bc0, acur_ + a_disp(r, kk));
      for (int v = 0; v < vecs; ++v) {
        const V b(blk_.mr * nv + v);
        if (native_) vdpbf16ps(acc(r, v), b, bc0);
        else vfmadd231ps(acc(r, v), bc0, b);
      }
    }
  }

  void load_b(const V& b, const Xbyak::RegExp& a, int n, int kk) {
    using namespace Xbyak;
    if (d_.b_layout != gemm_layout::vnni) {
      io_.load(b, d_.b_type, a, n);
      return;
    }
    // VNNI bf16: one 32-bit lane holds (B(kk, j), B(kk+1, j)) for kk even
    if constexpr (avx512) {
      if (n == kL) vmovups(b, ptr[a]);
      else vmovups(b | Opmask(1) | util::T_z, ptr[a]);
    } else {
      if (n == kL) vmovups(b, ptr[a]);
      else vmaskmovps(b, V(vec<V>::count - 1), ptr[a]);
    }
    if (native_) return;
    if (kk % 2 == 0) vpslld(b, b, 16);
    else if constexpr (avx512) vpandd(b, b, consts_.u32(0xFFFF0000u));
    else vpand(b, b, consts_.u32(0xFFFF0000u));
  }

  void broadcast_a(const V& v, const Xbyak::RegExp& a) {
    using namespace Xbyak;
    if (native_) {
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
    using namespace Xbyak;
    using detail::brgemm_args;
    const auto lanes_of = [&](int v) { return v == vecs - 1 ? n_last : kL; };
    const Reg64 &cptr = acur_, &bias = bcur_, &dptr = ai_, &mptr = bi_;
    block_ptr(cptr, arg(offsetof(brgemm_args, c)), static_cast<long>(d_.ldc) * sc(), sc());
    if (d_.bias != dtype::none) block_ptr(bias, arg(offsetof(brgemm_args, bias)), 0, size_of(d_.bias));
    if (d_.d.type != dtype::none)
      block_ptr(dptr, arg(offsetof(brgemm_args, d)), static_cast<long>(d_.d.ld) * size_of(d_.d.type),
                size_of(d_.d.type));
    if (d_.mask.type == dtype::bit) {
      mov(mptr, arg(offsetof(brgemm_args, mask)));
      imul(s2_, row0_, d_.mask.ld / 8);
      add(mptr, s2_);
      mov(s2_, col0_);
      shr(s2_, 3);
      add(mptr, s2_);
    }
    // temporaries: every register that is not an accumulator or the AVX2 tail mask
    std::vector<V> free;
    const bool avx2_tail = !avx512 && d_.n % kL != 0;
    for (int i = blk_.mr * blk_.nv; i < vec<V>::count - (avx2_tail ? 1 : 0); ++i) free.push_back(V(i));
    const int temps = brgemm_epilogue_temps(d_);
    const int group = temps == 0 ? rows * vecs : std::max<int>(1, static_cast<int>(free.size()) / temps);
    std::vector<std::pair<int, int>> cells;
    for (int r = 0; r < rows; ++r)
      for (int v = 0; v < vecs; ++v) cells.push_back({r, v});
    for (std::size_t g0 = 0; g0 < cells.size(); g0 += group) {
      const std::size_t g1 = std::min(cells.size(), g0 + group);
      lanes_t ls;
      for (std::size_t c = g0; c < g1; ++c) {
        lane<V> l = math<V>::make_lane(acc(cells[c].first, cells[c].second), {});
        for (int t = 0; t < 6; ++t)
          l.t[t] = t < temps ? free[(c - g0) * temps + t] : l.v;
        ls.push_back(l);
      }
      for (std::size_t c = g0; c < g1; ++c) {
        const auto [r, v] = cells[c];
        const lane<V>& l = ls[c - g0];
        const int n = lanes_of(v);
        if (d_.bias != dtype::none) {
          io_.load(l.t[0], d_.bias, bias + static_cast<long>(v) * kL * size_of(d_.bias), n);
          vaddps(l.v, l.v, l.t[0]);
        }
        if (d_.d.type != dtype::none) {
          const long e = static_cast<long>(r) * d_.d.ld + static_cast<long>(v) * kL;
          io_.load(l.t[0], d_.d.type, dptr + e * size_of(d_.d.type), n);
          apply_binary(l);
        }
        if (d_.mask.type == dtype::bit)
          store_relu_bits(l, mptr + (static_cast<long>(r) * d_.mask.ld + static_cast<long>(v) * kL) / 8, n);
      }
      if (d_.unary != unary_op::copy) inj_.apply(d_.unary, d_.alpha, ls);
      for (std::size_t c = g0; c < g1; ++c) {
        const auto [r, v] = cells[c];
        const lane<V>& l = ls[c - g0];
        const long e = static_cast<long>(r) * d_.ldc + static_cast<long>(v) * kL;
        io_.store(l.v, d_.c_type, cptr + e * sc(), lanes_of(v), l.t[0], l.t[1]);
      }
    }
  }

  // l.v = l.v (op) l.t[0]
  void apply_binary(const lane<V>& l) {
    using namespace Xbyak;
    switch (d_.binary) {
      case binary_op::add: vaddps(l.v, l.v, l.t[0]); break;
      case binary_op::sub: vsubps(l.v, l.v, l.t[0]); break;
      case binary_op::mul: vmulps(l.v, l.v, l.t[0]); break;
      case binary_op::div: vdivps(l.v, l.v, l.t[0]); break;
      case binary_op::max:
      case binary_op::min:  // NaN in either input propagates, as in tpp::binary
        if (d_.binary == binary_op::max) vmaxps(l.t[1], l.v, l.t[0]);
        else vminps(l.t[1], l.v, l.t[0]);
        if constexpr (avx512) {
          vcmpps(Opmask(2), l.v, l.v, 0x03);
          vblendmps(l.v | Opmask(2), l.t[1], l.v);
        } else {
          vcmpps(l.t[2], l.v, l.v, 0x03);
          vblendvps(l.v, l.t[1], l.v, l.t[2]);
        }
        break;
      default: break;
    }
  }

  // bits (v > 0) of n lanes -> the bitmask at a (bits past n in the byte written as 0)
  void store_relu_bits(const lane<V>& l, const Xbyak::RegExp& a, int n) {
    using namespace Xbyak;
    vxorps(l.t[0], l.t[0], l.t[0]);
    if constexpr (avx512) {
      vcmpps(Opmask(2), l.v, l.t[0], 0x1E /*GT_OQ*/);
      kmovw(s2_.cvt32(), Opmask(2));
    } else {
      vcmpps(l.t[0], l.v, l.t[0], 0x1E);
      vmovmskps(s2_.cvt32(), l.t[0]);
    }
    if (n < 32) and_(s2_.cvt32(), static_cast<int>((1u << n) - 1));
    if (n <= 8) mov(byte[a], s2_.cvt8());
    else mov(word[a], s2_.cvt16());
  }

  const desc d_;
  const_table consts_;
  unary_injector<V> inj_;
  io<V> io_;
  const bool native_;
  brgemm_block blk_;
  Xbyak::Reg64 args_, row0_, col0_, aoff_, boff_, ai_, bi_, acur_, bcur_, idx_, kcnt_, s0_, s1_, s2_;
};

}  // namespace tpp::jit::x86
