// Blocked GEMM on plain row-major matrices, built only from BRGEMM, packing and an OpenMP loop:
//
//   C[m x n] = beta * C + A[m x k] * B[k x n], then the BRGEMM epilogue per block
//
//   A or B transposed -> row-major copies first (transform TPP, in bands on the threads)
//   B -> panels [Kb][bk][bn] (VNNI: pairs for bf16 under vdpbf16ps, AMX or bfdot, quads for u8 x i8);  A in place
//        columns outer: each thread packs a panel when its blocks come to it, into its own buffer
//        rows outer (m > n, whole-row equations, fewer strips than threads): all ahead, Bp [Nb][Kb][bk][bn]
//        or packed by the caller ahead of many calls (gemm_packed_b, loops/gemm_pack.hpp): none
//   for (nb, mb) in parallel:
//     C block (mb, nb) = brgemm(A[mb rows][whole k blocks], Bp[nb][..], stride batch)   in chunks
//                      + brgemm(A[mb rows][k tail], Bp[nb][last])                        if k % bk
//     equation epilogue: per block, or per row strip (all nb of one mb) where it needs whole rows
//     (fewer strips than threads: every block into one shared m x n result first, then the
//     equation over row chunks, one per thread); its column sums into per-mb partial rows,
//     added in mb order after the sweep
//
// Only B is packed: its vector loads walk down k, and in place each k row of a block would sit
// on its own page and, at a power-of-two ld, in the same L1 set (read in place, f32 ran at
// 0.5-0.7x of packed from 32 to 1024 rows, Zen 3). A is broadcast one element per
// row and k step, so each of its cache lines serves 16 k steps whatever its ld. In place it saves
// the copy (about 2 % of 1024^3) and the compute alone ran 2 % faster (Zen 3). The k tail is its
// own call because a stride batch needs equal blocks; for VNNI a tail that is not whole groups is
// padded with zero k in both operands, so its A rows are then copied. m and n edges use kernels of
// the edge size. Packs live in a per-thread scratch that only grows.
//
// bf16 and f16 that no instruction at the active level multiplies natively (bf16 below
// avx512_bf16 or where tpp::bf16_product is fma, and at neon; f16 at every level) are widened to
// f32 once: A into the scratch, B as it is packed, both by the element-wise copy TPP; then the
// f32 kernels run. A converting kernel widens every B value once per row block (and A in groups
// of 8 once per column block), and those shifts and shuffles compete with the FMAs for the
// vector ports. Zen 3, 1 thread, 1024^3, three alternating runs of the two builds: bf16 48-62 ->
// 65-77 GFLOP/s, f16 41-46 -> 68-79, with f32 at 65-70 in the same runs; Xeon (two runs): avx512
// level bf16 75-76 -> 136, f16 57 -> 136-137, amx level f16 52-57 -> 111-133. The cost: scratch
// for an f32 copy of A besides B's.
// AArch64 follows the same rule (bfdot on VNNI pairs at neon_bf16, widened otherwise) by
// analogy: no Arm hardware here to time it; qemu runs its tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "tpp/core/error.hpp"
#include "tpp/loops/equation_rows.hpp"
#include "tpp/loops/gemm_pack.hpp"
#include "tpp/loops/gemm_params.hpp"
#include "tpp/ops/brgemm.hpp"
#include "tpp/ops/eltwise.hpp"
#include "tpp/ops/equation.hpp"
#include "tpp/ops/transform.hpp"

namespace tpp {
namespace detail {

inline std::vector<char>& gemm_scratch() {
  thread_local std::vector<char> s;
  return s;
}


// The equation of gemm_params over a rows x cols block: arg(0) f32 with ld bn, then the inputs.
inline equation_params gemm_equation(const gemm_params& p, int rows, int cols, int bn = 0) {
  equation_params e;
  e.m = rows;
  e.n = cols;
  e.inputs.push_back(operand{dtype::f32, bn ? bn : cols});
  for (operand o : p.equation_inputs) {
    if (o.bcast == broadcast::none && o.ld == 0) o.ld = p.n;  // a block of the m x n operand
    e.inputs.push_back(o);
  }
  e.out = operand{p.c.type, p.c.ld ? p.c.ld : p.n};
  e.root = *p.equation;
  e.column_sums = p.equation_column_sums;
  e.row_outputs = p.equation_row_outputs;
  return e;
}

// A B panel packed by the thread that uses it: bytes, 64-byte aligned, in a buffer that only grows
inline char* thread_panel(std::size_t bytes) {
  thread_local std::vector<char> s;
  if (s.size() < bytes + 64) s.resize(bytes + 64);
  return align64(s.data());
}

// f32 scratch of the calling thread that only grows; Slot keeps its users apart
template <int Slot>
inline float* thread_floats(std::size_t floats) {
  thread_local std::vector<float> s;
  if (s.size() < floats) s.resize(floats);
  return s.data();
}
// a block or row strip of the GEMM result, per thread
inline float* gemm_equation_scratch(std::size_t floats) { return thread_floats<0>(floats); }
// the whole m x n result, shared by the threads, where there are fewer row strips than threads
inline float* gemm_shared_result(std::size_t floats) { return thread_floats<1>(floats); }

// The equation kernel `k` over the C block (or row strip) at (row0, col0): the GEMM result in
// `block` (f32, the ld k was built for) -> C at `cblock`; the other operands are offset to the block as their broadcast says,
// the column sums go to the block's partial rows `sums` ([sum][n]), row outputs to its rows.
inline void run_gemm_equation(const gemm_params& p, const gemm_operands& x, const equation_kernel& k, long row0,
                              long col0, const void* block, void* cblock, float* sums) {
  const void* in[1 + equation_max_inputs] = {block};
  for (std::size_t i = 0; i < p.equation_inputs.size(); ++i) {
    const operand& o = p.equation_inputs[i];
    in[1 + i] = static_cast<const char*>(x.equation_inputs[i]) + operand_offset(o, p.n, row0, col0) * size_of(o.type);
  }
  const std::size_t nsums = p.equation_column_sums.size(), nside = x.equation_side.size();
  void* side[equation_max_sums + equation_max_row_outputs];
  for (std::size_t s = 0; s < nsums; ++s) side[s] = sums + s * p.n + col0;
  for (std::size_t s = nsums; s < nside; ++s) side[s] = static_cast<float*>(x.equation_side[s]) + row0;
  k(1 + p.equation_inputs.size(), in, cblock, nside, side);
}

}  // namespace detail

// Runs the blocked GEMM; threads from the enclosing OpenMP setting (OMP_NUM_THREADS).
inline void gemm(const gemm_params& p, const gemm_operands& x) {
  const detail::brgemm_desc d = detail::check_gemm(p);
  const bool bf16 = p.a.type == dtype::bf16, int8 = p.a.type == dtype::u8;
  if (!x.a || !x.c) detail::fail("tpp::gemm: a or c is null");
  if (!x.b == !x.packed_b) detail::fail("tpp::gemm: give b or packed_b, ", x.b ? "not both" : "one of them");
  if (d.bias != dtype::none && !x.bias) detail::fail("tpp::gemm: the epilogue adds a bias, but bias is null");
  if (d.d.type != dtype::none && !x.d) detail::fail("tpp::gemm: the epilogue reads d, but d is null");
  if (d.mask.type != dtype::none && !x.mask) detail::fail("tpp::gemm: the epilogue writes a mask, but mask is null");

  // the equation epilogue: validated on the whole C; whole rows when it reduces them
  const bool eq = p.equation.has_value();
  bool eq_reduces = false;
  if (eq) {
    if (d.has_epilogue() || d.mask.type != dtype::none)
      detail::fail("tpp::gemm: equation and epilogue are both set; use one");
    if (p.beta != 0.0f) detail::fail("tpp::gemm: beta = ", p.beta, ", but an equation epilogue needs beta = 0");
    if (int8) detail::fail("tpp::gemm: an equation epilogue takes float results; a.type = u8 gives i32");
    if (x.equation_inputs.size() != p.equation_inputs.size())
      detail::fail("tpp::gemm: ", x.equation_inputs.size(), " equation input pointers for ", p.equation_inputs.size(),
                   " equation inputs");
    for (const void* ptr : x.equation_inputs)
      if (!ptr) detail::fail("tpp::gemm: an equation input pointer is null");
    const std::size_t nside = p.equation_column_sums.size() + p.equation_row_outputs.size();
    if (x.equation_side.size() != nside)
      detail::fail("tpp::gemm: ", x.equation_side.size(), " equation side-output pointers for ",
                   p.equation_column_sums.size(), " column sums and ", p.equation_row_outputs.size(), " row outputs");
    for (std::size_t s = 0; s < nside; ++s)
      if (!x.equation_side[s]) detail::fail("tpp::gemm: equation side output ", s, " is null");
    const detail::equation_desc ed = detail::lower(detail::gemm_equation(p, p.m, p.n), isa::ref);
    for (int i = 0; i < ed.count; ++i) eq_reduces = eq_reduces || ed.nodes[i].kind == detail::expr_kind::reduce;
    eq_reduces = eq_reduces || ed.row_outs;  // a row output is written once per row: whole rows
  } else if (!p.equation_column_sums.empty() || !p.equation_row_outputs.empty()) {
    detail::fail("tpp::gemm: equation side outputs are set, but there is no equation");
  }
  // B in VNNI groups of g k values: quads for u8 x i8 (every JIT product takes them), pairs for
  // bf16 where vdpbf16ps (tpp::bf16_product), AMX or bfdot (neon_bf16) multiply them; k blocks:
  // Kf whole ones of bk, then a tail of kt (ktp: padded with zero k to whole groups)
  const isa level = active_isa();
  const detail::gemm_b_layout L = detail::gemm_b_layout_of(p, level);
  const bool packed = x.packed_b != nullptr;
  if (packed) detail::check_packed_b(x.packed_b->layout(), L);
  const int g = L.g, bk = L.bk, bn = L.bn, Kf = L.Kf, kt = L.kt, ktp = L.ktp, Kb = L.Kb, Nb = L.Nb;
  const bool vnni = g > 1, widen = L.widen;
  const dtype kt_type = widen ? dtype::f32 : p.a.type;  // what the kernels multiply
  const int es = L.es, es_in = size_of(p.a.type);
  const int bm = std::min(p.block_m, p.m);
  // An equation that needs whole rows (row reductions, row outputs) runs once per row strip of
  // bm x n, after the GEMM's blocks have filled it; else once per block, in the block's scratch.
  // (Blocks of bm x n instead streamed a B panel of k x n per strip: 1024 x 1024 x 256 with
  // LayerNorm ran at 41 GFLOP/s against 82 for plain GEMM then the LayerNorm, Zen 3.)
  const bool strips = eq && eq_reduces;
  const int eq_ld = strips ? p.n : bn;  // the ld of the GEMM result the equation reads
  const int Mb = (p.m + bm - 1) / bm;
  const std::size_t bblk = L.bblk;

  // One BRGEMM call covers `chunk` k blocks: its B panel (chunk*bk x bn) stays within 64 KiB, so
  // it survives in L2 while the kernel streams it once per row strip (the whole k at once, 256
  // KiB at 1024 x 64 f32, shares the 512 KiB Zen 3 L2 with A and ran 20 % slower).
  const int chunk = std::max(1, static_cast<int>((64 * 1024) / bblk));
  // kernel for a rows x cols block over k (A with ld lda, B blocks packed); the first call of a
  // block applies beta, the last the epilogue
  const auto kernel = [&](int rows, int cols, int k, long lda, bool first, bool last) {
    brgemm_params q;
    q.m = rows;
    q.n = cols;
    q.k = k;
    q.a = operand{kt_type, static_cast<int>(lda)};
    q.b = operand{widen ? kt_type : p.b.type, bn};
    q.c = eq ? operand{dtype::f32, eq_ld} : operand{p.c.type, d.ldc};  // equation: f32 scratch
    q.b_layout = vnni ? gemm_layout::vnni : gemm_layout::normal;
    q.beta = first ? p.beta : 1.0f;
    q.stride_a = bk;
    q.stride_b = static_cast<std::int64_t>(bk) * bn;
    if (last && !eq) {
      q.epilogue = p.epilogue;
      if (q.epilogue.d.type != dtype::none) q.epilogue.d.ld = d.d.ld ? d.d.ld : p.n;
      if (q.epilogue.mask.type != dtype::none) q.epilogue.mask.ld = d.mask.ld ? d.mask.ld : (p.n + 7) / 8 * 8;
    }  // earlier calls store partial sums in c.type (bf16/f16 C rounds between calls)
    return brgemm(q);  // cached: a per-thread front-cache hit after the first call
  };
  // transposed operands: row-major copies (A m x k, B k x n) made first, read from then on
  const bool a_t = p.a_layout == gemm_layout::transposed;
  const bool b_t = !packed && p.b_layout == gemm_layout::transposed;
  const detail::band_transpose a_transpose = a_t ? detail::band_transpose(p.a.type, d.lda, p.m, p.k, bm)
                                                 : detail::band_transpose();
  const detail::band_transpose b_transpose = b_t ? detail::band_transpose(p.b.type, d.ldb, p.k, p.n, 64)
                                                 : detail::band_transpose();
  const long lda_rm = a_t ? p.k : d.lda;  // A row-major: the copy or the caller's
  const long lda = widen ? p.k : lda_rm, ldb = b_t ? p.n : d.ldb;
  // A's k tail is copied (m x ktp, zero k at ktp - 1) only where VNNI pads it
  const bool copy_tail = ktp != kt;
#if defined(_OPENMP)
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  const int threads = 1;
#endif
  const bool shared = strips && Mb < threads;  // fewer row strips than threads (below)
  // The larger of A and B is streamed once: its panel is the outer index, so each panel of it
  // is reused by the whole sweep over the other (4096x1024x1024: 71 -> 88 GFLOP/s on Zen 3).
  const bool m_outer = static_cast<long>(p.m) > static_cast<long>(p.n);
  // Columns outer, each thread packs the B panels (k x bn) its blocks use as it comes to them,
  // into its own buffer, and the row blocks read the panel while it is in L2; packed ahead, all
  // of B went to memory and came back (Zen 3, in-process A/B, medians of 11: 32x1024x1024
  // 1.14x, 64x4096x1024 1.20x, 256x1024x1024 1.05x, 1024^3 1.02x at 1 and 2 threads). Rows
  // outer (m > n, whole-row equations, fewer strips than threads), every strip sweeps all of B,
  // so it is packed ahead into Bp, shared. AMX tiles too (bf16, u8): there panels ran 0.94-0.99x
  // of packing ahead (Xeon, bf16, 1 thread, three alternating runs of both builds), while f32 on
  // the same host gained 1.0-1.3x and bf16 at avx512_bf16 1.0-2x.
  const bool tiles = level == isa::amx && (bf16 || int8);
  const bool panels = !packed && !m_outer && !strips && !shared && !tiles;
  const bool ahead = !packed && !panels;  // all of B packed before the blocks, into Bp
  std::vector<char>& scratch = detail::gemm_scratch();
  // blocks start on 64-byte boundaries: a B row split across cache lines costs ~15 % (measured)
  const auto round64 = [](std::size_t b) { return (b + 63) / 64 * 64; };
  const std::size_t tail_bytes = copy_tail ? static_cast<std::size_t>(p.m) * ktp * es : 0;
  const std::size_t widened_bytes = widen ? round64(static_cast<std::size_t>(p.m) * p.k * es) : 0;
  const std::size_t a_t_bytes = a_t ? round64(static_cast<std::size_t>(p.m) * p.k * es_in) : 0;
  const std::size_t b_t_bytes = b_t ? round64(static_cast<std::size_t>(p.k) * p.n * es_in) : 0;
  const std::size_t need =
      (ahead ? round64(bblk * Nb * Kb) : 0) + round64(tail_bytes) + widened_bytes + a_t_bytes + b_t_bytes + 64;
  if (scratch.size() < need) scratch.resize(need);
  char* const Bw = detail::align64(scratch.data());  // B packed ahead here
  const char* const Bp = packed ? x.packed_b->data() : Bw;
  char* At = Bw + (ahead ? round64(bblk * Nb * Kb) : 0);
  char* const Aw = At + round64(tail_bytes);  // A widened to f32 (m x k, ld k)
  char* const Ar = Aw + widened_bytes;        // A transposed back to row-major (m x k, ld k)
  char* const Br = Ar + a_t_bytes;            // B transposed back to row-major (k x n, ld n)
  const char* const a_rm = a_t ? Ar : static_cast<const char*>(x.a);
  const char* A = widen ? Aw : a_rm;
  // B's blocks packed here as they are needed (none where the caller packed them)
  std::optional<detail::gemm_b_packer> pack_b;
  if (!packed) pack_b.emplace(L, b_t ? Br : x.b, ldb);

  // Equation kernels for the (at most) four block shapes, dispatched here and not per block:
  // [full rows / edge rows][full columns / edge columns]
  equation_kernel eq_kernels[2][2];
  if (eq)
    for (int er = 0; er < 2; ++er)
      for (int ec = 0; ec < 2; ++ec) {
        const int rows = er ? p.m % bm : bm, cols = strips ? (ec ? 0 : p.n) : ec ? p.n % bn : bn;
        if (rows && cols) eq_kernels[er][ec] = equation(detail::gemm_equation(p, rows, cols, eq_ld));
      }
  // A's widening copies, dispatched here like the equation kernels: row blocks [whole / edge]
  unary_kernel widen_a[2];
  for (int edge = 0; widen && edge < 2; ++edge)
    if (const int rows = edge ? p.m % bm : bm) widen_a[edge] = detail::widen_kernel(p.a.type, lda_rm, rows, p.k, p.k);
  const long ldd = d.d.ld ? d.d.ld : p.n, ldm = d.mask.ld ? d.mask.ld : (p.n + 7) / 8 * 8;
  // the equation's column sums: partial rows per row block, zeroed, summed into the caller's
  // rows after the sweep in row-block order
  const std::size_t nsums = p.equation_column_sums.size(), sums_row = nsums * p.n;
  float* const partial = detail::zeroed_partial_sums(sums_row * Mb);
  // Fewer row strips than threads (m <= block_m: an inference batch): the strips' blocks go to
  // every thread, into one shared m x n f32 result, then the equation runs over row chunks, one
  // per thread (rows are independent: the same bits as per strip), or per strip where it sums
  // columns, whose partials are per strip. Per strip, m <= block_m ran on one thread.
  float* const result = shared ? detail::gemm_shared_result(static_cast<std::size_t>(p.m) * p.n) : nullptr;
  const int chunk_rows = shared && !nsums ? (p.m + threads - 1) / threads : bm;
  const int chunks = (p.m + chunk_rows - 1) / chunk_rows;
  equation_kernel chunk_kernels[2];  // [whole chunk / the last]
  if (shared && !nsums) {
    chunk_kernels[0] = equation(detail::gemm_equation(p, chunk_rows, p.n, eq_ld));
    const int last = p.m - (chunks - 1) * chunk_rows;
    chunk_kernels[1] = last == chunk_rows ? chunk_kernels[0] : equation(detail::gemm_equation(p, last, p.n, eq_ld));
  }

#pragma omp parallel
  {
    if (a_t || b_t) {
#pragma omp for schedule(static)
      for (int i = 0; i < a_transpose.bands() + b_transpose.bands(); ++i) {
        if (i < a_transpose.bands()) a_transpose(i, x.a, Ar);
        else b_transpose(i - a_transpose.bands(), x.b, Br);
      }
    }
    if (ahead) pack_b->all(Bw);
    if (widen) {
#pragma omp for schedule(static) nowait
      for (int mb = 0; mb < Mb; ++mb) {
        const long row0 = static_cast<long>(mb) * bm;
        widen_a[p.m - row0 < bm](a_rm + row0 * lda_rm * es_in, Aw + row0 * p.k * es);
      }
    }
    if (copy_tail) {
#pragma omp for schedule(static)
      for (int mb = 0; mb < Mb; ++mb) {
        const int rows = std::min(bm, p.m - mb * bm);
        detail::pack_block(At + static_cast<std::size_t>(mb) * bm * ktp * es,
                           A + (static_cast<long>(mb) * bm * lda + static_cast<long>(Kf) * bk) * es, lda, es,
                           rows, kt, rows, ktp, 1);
      }
    } else {
#pragma omp barrier
    }
    char* const panel = panels ? detail::thread_panel(bblk * Kb) : nullptr;  // this thread's B panel
    int panel_nb = -1;                                                        // the one it holds
    // the GEMM's block (mb, nb) -> c (ld as the kernels were built)
    const auto gemm_block = [&](int mb, int nb, void* c) {
      const int rows = std::min(bm, p.m - mb * bm), cols = std::min(bn, p.n - nb * bn);
      const long row0 = static_cast<long>(mb) * bm, col0 = static_cast<long>(nb) * bn;
      brgemm_call call;
      call.c = c;
      if (x.bias) call.bias = static_cast<const char*>(x.bias) + col0 * size_of(d.bias);
      if (x.d) call.d = static_cast<const char*>(x.d) + (row0 * ldd + col0) * size_of(d.d.type);
      if (x.mask) call.mask = static_cast<char*>(x.mask) + (row0 * ldm + col0) / 8;
      if (panels && nb != panel_nb) {
        for (int kb = 0; kb < Kb; ++kb) (*pack_b)(nb, kb, panel + static_cast<std::size_t>(kb) * bblk);
        panel_nb = nb;
      }
      const char* const bpanel = panels ? panel : Bp + static_cast<std::size_t>(nb) * Kb * bblk;
      for (int k0 = 0; k0 < Kf; k0 += chunk) {
        call.a = A + (row0 * lda + static_cast<long>(k0) * bk) * es;
        call.b = bpanel + static_cast<std::size_t>(k0) * bblk;
        call.count = std::min(chunk, Kf - k0);
        kernel(rows, cols, bk, lda, k0 == 0, k0 + chunk >= Kf && !kt)(call);
      }
      if (kt) {
        call.a = copy_tail ? At + static_cast<std::size_t>(row0) * ktp * es
                           : A + (row0 * lda + static_cast<long>(Kf) * bk) * es;
        call.b = bpanel + static_cast<std::size_t>(Kf) * bblk;
        call.count = 1;
        kernel(rows, cols, ktp, copy_tail ? ktp : lda, Kf == 0, true)(call);
      }
    };
    const auto cblock = [&](long row0, long col0) {
      return static_cast<char*>(x.c) + (row0 * d.ldc + col0) * size_of(p.c.type);
    };
    if (shared) {  // every block of the few strips on the threads, then the equation in chunks
#pragma omp for schedule(static) collapse(2)
      for (int mb = 0; mb < Mb; ++mb)
        for (int nb = 0; nb < Nb; ++nb)
          gemm_block(mb, nb, result + static_cast<long>(mb) * bm * p.n + static_cast<long>(nb) * bn);
#pragma omp for schedule(static)
      for (int c = 0; c < chunks; ++c) {
        const long row0 = static_cast<long>(c) * chunk_rows;
        const equation_kernel& k = nsums ? eq_kernels[p.m - row0 < bm][0] : chunk_kernels[c == chunks - 1];
        detail::run_gemm_equation(p, x, k, row0, 0, result + row0 * p.n, cblock(row0, 0), partial + c * sums_row);
      }
    } else if (strips) {  // whole rows: the strip's blocks, then the equation over the strip
#pragma omp for schedule(static)
      for (int mb = 0; mb < Mb; ++mb) {
        float* const strip = detail::gemm_equation_scratch(static_cast<std::size_t>(bm) * eq_ld);
        for (int nb = 0; nb < Nb; ++nb) gemm_block(mb, nb, strip + static_cast<long>(nb) * bn);
        const long row0 = static_cast<long>(mb) * bm;
        detail::run_gemm_equation(p, x, eq_kernels[p.m - row0 < bm][0], row0, 0, strip, cblock(row0, 0),
                                  partial + mb * sums_row);
      }
    } else {
#pragma omp for schedule(static)
      for (long t = 0; t < static_cast<long>(Mb) * Nb; ++t) {
        const int mb = static_cast<int>(m_outer ? t / Nb : t % Mb);
        const int nb = static_cast<int>(m_outer ? t % Nb : t / Mb);
        const long row0 = static_cast<long>(mb) * bm, col0 = static_cast<long>(nb) * bn;
        if (!eq) {
          gemm_block(mb, nb, cblock(row0, col0));
          continue;
        }
        float* const block = detail::gemm_equation_scratch(static_cast<std::size_t>(bm) * eq_ld);
        gemm_block(mb, nb, block);
        detail::run_gemm_equation(p, x, eq_kernels[p.m - row0 < bm][p.n - col0 < bn], row0, col0, block,
                                  cblock(row0, col0), partial + mb * sums_row);
      }
    }  // the implied barrier: every block's partial sums are in
    if (nsums) detail::add_partial_sums(x.equation_side.data(), nsums, p.n, partial, Mb);
  }
}

}  // namespace tpp
