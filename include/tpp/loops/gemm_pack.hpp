// How tpp::gemm packs B, and B packed ahead for many calls:
//
//   B[k x n] (row-major, or transposed: first copied back to row-major by the transform TPP)
//     -> blocks [Nb][Kb][bk][bn], each bk x bn, zero-padded at the edges; VNNI groups of g k
//        values where the level multiplies them (pairs for bf16 under vdpbf16ps, AMX or bfdot,
//        quads for u8 x i8); bf16 / f16 that nothing multiplies natively widened to f32
//
// gemm_b_layout is that layout as a value (the level, dtype, shape and blocking it follows),
// gemm_b_packer fills one block of it, and gemm_packed_b holds a whole packed B that tpp::gemm
// reads instead of packing its own: a layer's weights, packed once for every inference call.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "tpp/core/error.hpp"
#include "tpp/loops/gemm_params.hpp"
#include "tpp/ops/brgemm.hpp"
#include "tpp/ops/eltwise.hpp"
#include "tpp/ops/transform.hpp"

namespace tpp {
namespace detail {

// VNNI groups of G rows (G = 2: 16-bit pairs; 4: 8-bit quads): G source rows interleave into one
// dst row of pcols * G elements; a row past `rows` reads as zeros (prows is a multiple of G).
template <int G, class E>
void pack_vnni(E* dst, const E* src, long ld, int rows, int cols, int prows, int pcols) {
  for (int r = 0; r < prows; r += G) {
    E* o = dst + static_cast<long>(r / G) * pcols * G;
    const E* s[G];
    bool whole = true;
    for (int q = 0; q < G; ++q) {
      s[q] = r + q < rows ? src + (r + q) * ld : nullptr;
      whole = whole && s[q];
    }
    if (whole) {
      for (int j = 0; j < cols; ++j)  // the common case: a loop the compiler vectorizes
        for (int q = 0; q < G; ++q) o[G * j + q] = s[q][j];
    } else {
      for (int j = 0; j < cols; ++j)
        for (int q = 0; q < G; ++q) o[G * j + q] = s[q] ? s[q][j] : E{};
    }
    std::memset(o + G * cols, 0, static_cast<std::size_t>(pcols - cols) * G * sizeof(E));
  }
}

// rows x cols block of a row-major source (ld, element size es) -> dense dst, zero-padded to
// prows x pcols. g > 1: dst holds VNNI groups (prows / g, pcols, g) instead of (rows, cols).
inline void pack_block(char* dst, const char* src, long ld, int es, int rows, int cols, int prows,
                       int pcols, int g) {
  if (g == 2)
    return pack_vnni<2>(reinterpret_cast<std::uint16_t*>(dst), reinterpret_cast<const std::uint16_t*>(src), ld, rows,
                        cols, prows, pcols);
  if (g == 4)
    return pack_vnni<4>(reinterpret_cast<std::uint8_t*>(dst), reinterpret_cast<const std::uint8_t*>(src), ld, rows,
                        cols, prows, pcols);
  for (int r = 0; r < prows; ++r) {
    char* out = dst + static_cast<long>(r) * pcols * es;
    if (r < rows) {
      std::memcpy(out, src + r * ld * es, static_cast<std::size_t>(cols) * es);
      std::memset(out + static_cast<long>(cols) * es, 0, static_cast<std::size_t>(pcols - cols) * es);
    } else {
      std::memset(out, 0, static_cast<std::size_t>(pcols) * es);
    }
  }
}

// The copy TPP that widens rows x cols of a row-major bf16 / f16 source (ld) to f32 (ld dst_ld).
// Edge blocks are not padded: their kernels read only the rows and columns they have.
inline unary_kernel widen_kernel(dtype from, long ld, int rows, int cols, int dst_ld) {
  unary_params u;
  u.rows = rows;
  u.cols = cols;
  u.in = operand{from, static_cast<int>(ld)};
  u.out = operand{dtype::f32, dst_ld};
  u.store = store_hint::cached;  // read back at once by the GEMM
  return unary(u);
}

// dst (rows x cols, packed) = the transpose of src (cols x rows, ld), in bands of `band` dst rows
// that the threads share out: the transform TPP's transpose for a full band and for the edge
class band_transpose {
 public:
  band_transpose() = default;
  band_transpose(dtype t, long ld, int rows, int cols, int band)
      : es_(size_of(t)), rows_(rows), cols_(cols), band_(std::min(band, rows)) {
    full_ = make(t, ld, band_);
    if (rows % band_) edge_ = make(t, ld, rows % band_);
  }
  int bands() const { return band_ ? (rows_ + band_ - 1) / band_ : 0; }
  void operator()(int i, const void* src, void* dst) const {
    const long r0 = static_cast<long>(i) * band_;
    (rows_ - r0 < band_ ? edge_ : full_)(static_cast<const char*>(src) + r0 * es_,
                                        static_cast<char*>(dst) + r0 * cols_ * es_);
  }

 private:
  transform_kernel make(dtype t, long ld, int band) const {
    transform_params q;
    q.op = transform_op::transpose;
    q.rows = cols_;  // the stored source: cols_ rows of (a band of) rows_ elements
    q.cols = band;
    q.in = operand{t, static_cast<int>(ld)};
    q.out = operand{t, cols_};
    return transform(q);
  }
  int es_ = 0, rows_ = 0, cols_ = 0, band_ = 0;
  transform_kernel full_, edge_;
};

// the first 64-byte boundary at or after p (scratch holds 64 bytes more than it hands out)
inline char* align64(char* p) { return p + (64 - reinterpret_cast<std::uintptr_t>(p) % 64) % 64; }
inline const char* align64(const char* p) { return p + (64 - reinterpret_cast<std::uintptr_t>(p) % 64) % 64; }

// B as tpp::gemm packs it at one ISA level: what it follows (level, dtype, k, n, blocking) and
// what follows from that
struct gemm_b_layout {
  isa level = isa::ref;
  dtype type = dtype::f32;  // B's dtype as the caller gives it
  int k = 0, n = 0;
  int g = 1;                // k values per VNNI group (1: plain rows)
  bool widen = false;       // bf16 / f16 widened to f32 as it is packed
  int bk = 0, bn = 0;       // the k block and the column block
  int es = 0;               // bytes per packed element
  int Kf = 0, kt = 0, ktp = 0, Kb = 0, Nb = 0;  // whole k blocks, the k tail (ktp: padded to whole groups), k blocks, column blocks
  std::size_t bblk = 0;     // bytes per packed block (bk x bn)
  std::size_t bytes() const { return bblk * Nb * Kb; }
};

inline gemm_b_layout gemm_b_layout_of(const gemm_params& p, isa level) {
  gemm_b_layout L;
  const bool bf16 = p.a.type == dtype::bf16, int8 = p.a.type == dtype::u8;
  const bool pairs = bf16_dot_at(level) || level == isa::amx || level == isa::neon_bf16;
  L.level = level;
  L.type = p.b.type;
  L.k = p.k;
  L.n = p.n;
  L.g = int8 ? 4 : bf16 && pairs ? 2 : 1;
  L.widen = L.g == 1 && (bf16 || p.a.type == dtype::f16) && level != isa::ref;
  L.es = L.widen ? 4 : size_of(p.a.type);
  L.bk = std::min(p.block_k, p.k);
  if (L.g > 1) L.bk = std::max(L.g, L.bk - L.bk % L.g);
  L.bn = std::min(p.block_n, p.n);
  L.Kf = p.k / L.bk;
  L.kt = p.k % L.bk;
  L.ktp = (L.kt + L.g - 1) / L.g * L.g;
  L.Kb = L.Kf + (L.kt ? 1 : 0);
  L.Nb = (p.n + L.bn - 1) / L.bn;
  L.bblk = static_cast<std::size_t>(L.bk) * L.bn * L.es;
  return L;
}

// A call laid out as `want` reading B packed as `have`: a tpp::error naming what differs
inline void check_packed_b(const gemm_b_layout& have, const gemm_b_layout& want) {
  const char* const pre = "tpp::gemm: packed_b was packed ";
  if (have.level != want.level)
    fail(pre, "at isa ", name(have.level), ", but the active isa is ", name(want.level));
  if (have.type != want.type) fail(pre, "from b.type = ", name(have.type), ", but b.type = ", name(want.type));
  if (have.k != want.k) fail(pre, "for k = ", have.k, ", but k = ", want.k);
  if (have.n != want.n) fail(pre, "for n = ", have.n, ", but n = ", want.n);
  if (have.bk != want.bk) fail(pre, "in k blocks of ", have.bk, ", but block_k gives ", want.bk);
  if (have.bn != want.bn) fail(pre, "in column blocks of ", have.bn, ", but block_n gives ", want.bn);
  if (have.g != want.g || have.widen != want.widen)
    fail(pre, "in k groups of ", have.g, have.widen ? " widened to f32" : "", ", but this call multiplies groups of ",
         want.g, want.widen ? " widened to f32" : "", " (a.type or tpp::bf16_product changed)");
}

// Packs block (nb, kb) of a row-major B (ld) as layout L says: the copy TPP widens bf16 / f16,
// pack_block copies or groups the rest.
class gemm_b_packer {
 public:
  gemm_b_packer(const gemm_b_layout& L, const void* b, long ld) : L_(L), b_(static_cast<const char*>(b)), ld_(ld) {
    for (int tail = 0; L.widen && tail < 2; ++tail)
      for (int edge = 0; edge < 2; ++edge) {
        const int rows = tail ? L.kt : L.bk, cols = edge ? L.n % L.bn : L.bn;
        if (rows && cols) widen_[tail][edge] = widen_kernel(L.type, ld, rows, cols, L.bn);
      }
  }
  void operator()(int nb, int kb, char* dst) const {
    const int rows = std::min(L_.bk, L_.k - kb * L_.bk), cols = std::min(L_.bn, L_.n - nb * L_.bn);
    const char* const src = b_ + (static_cast<long>(kb) * L_.bk * ld_ + static_cast<long>(nb) * L_.bn) * size_of(L_.type);
    if (L_.widen)
      widen_[kb == L_.Kf][cols < L_.bn](src, dst);
    else
      pack_block(dst, src, ld_, L_.es, rows, cols, kb < L_.Kf ? L_.bk : L_.ktp, L_.bn, L_.g);
  }
  // Every block into dst ([Nb][Kb] blocks of bblk bytes), shared out over the threads of the
  // enclosing parallel region (every thread calls it); no barrier after it
  void all(char* dst) const {
#pragma omp for schedule(static) collapse(2) nowait
    for (int nb = 0; nb < L_.Nb; ++nb)
      for (int kb = 0; kb < L_.Kb; ++kb) (*this)(nb, kb, dst + (static_cast<std::size_t>(nb) * L_.Kb + kb) * L_.bblk);
  }

 private:
  gemm_b_layout L_;
  const char* b_;
  long ld_;
  unary_kernel widen_[2][2];  // [whole k block / k tail][whole columns / edge columns]
};

// The checks tpp::gemm makes before anything else: blocking, then the whole problem (shape,
// types, lds, epilogue) through brgemm's rules; returns it lowered.
inline brgemm_desc check_gemm(const gemm_params& p) {
  if (p.block_m < 1 || p.block_n < 1 || p.block_k < 1)
    fail("tpp::gemm: block sizes ", p.block_m, " x ", p.block_n, " x ", p.block_k, " must be positive");
  if (p.a.type == dtype::bf16 && p.block_k % 2) fail("tpp::gemm: block_k = ", p.block_k, " must be even for bf16");
  if (p.a.type == dtype::u8 && p.block_k % 4)
    fail("tpp::gemm: block_k = ", p.block_k, " must be a multiple of 4 for u8");
  brgemm_params whole;
  whole.m = p.m;
  whole.n = p.n;
  whole.k = p.k;
  whole.a = p.a;
  whole.b = p.b;
  whole.c = p.c;
  whole.a_layout = p.a_layout;
  whole.b_layout = p.b_layout;
  whole.beta = p.beta;
  whole.epilogue = p.epilogue;
  if (p.b_layout == gemm_layout::vnni)
    fail("tpp::gemm: b_layout = vnni; tpp::gemm packs B itself: give it normal or transposed");
  const brgemm_desc d = lower(whole, isa::ref);
  if (d.mask.type != dtype::none && p.block_n % 8)
    fail("tpp::gemm: block_n = ", p.block_n, " must be a multiple of 8 with a relu bitmask");
  return d;
}

}  // namespace detail

// B packed once for many tpp::gemm calls that multiply by the same B (a layer's weights in
// inference): the blocks tpp::gemm otherwise packs on every call, made here on the threads.
//   tpp::gemm_params p; ...                 // as the calls will pass it
//   tpp::gemm_packed_b w(p, weights);       // weights: B as p.b and p.b_layout describe it
//   tpp::gemm_operands x{a, nullptr, c};
//   x.packed_b = &w;                        // tpp::gemm(p, x) reads w, B as it was when packed
// The layout follows the active ISA level, so a call whose level, B dtype, k, n, block_k or
// block_n (or, for bf16, tpp::bf16_product) differs from the packing's gets a tpp::error; m,
// A, C and the epilogue may change between calls. Movable, not copyable (the blocks sit at a
// 64-byte boundary inside the buffer).
class gemm_packed_b {
 public:
  gemm_packed_b() = default;
  gemm_packed_b(const gemm_params& p, const void* b) {
    const detail::brgemm_desc d = detail::check_gemm(p);
    if (!b) detail::fail("tpp::gemm_packed_b: b is null");
    layout_ = detail::gemm_b_layout_of(p, active_isa());
    buf_.resize(layout_.bytes() + 64);
    char* const dst = data_mut();
    const bool b_t = p.b_layout == gemm_layout::transposed;
    std::vector<char> rm;  // a transposed B copied back to row-major (k x n, ld n)
    const detail::band_transpose t = b_t ? detail::band_transpose(p.b.type, d.ldb, p.k, p.n, 64)
                                         : detail::band_transpose();
    if (b_t) rm.resize(static_cast<std::size_t>(p.k) * p.n * size_of(p.b.type));
    const detail::gemm_b_packer pack(layout_, b_t ? static_cast<const void*>(rm.data()) : b, b_t ? p.n : d.ldb);
#pragma omp parallel
    {
      if (b_t) {
#pragma omp for schedule(static)
        for (int i = 0; i < t.bands(); ++i) t(i, b, rm.data());
      }
      pack.all(dst);
    }
  }
  gemm_packed_b(gemm_packed_b&&) = default;
  gemm_packed_b& operator=(gemm_packed_b&&) = default;
  gemm_packed_b(const gemm_packed_b&) = delete;
  gemm_packed_b& operator=(const gemm_packed_b&) = delete;

  bool empty() const { return buf_.empty(); }
  std::size_t bytes() const { return layout_.bytes(); }
  const detail::gemm_b_layout& layout() const { return layout_; }
  // the blocks [Nb][Kb][bk][bn], 64-byte aligned
  const char* data() const { return detail::align64(buf_.data()); }

 private:
  char* data_mut() { return detail::align64(buf_.data()); }
  detail::gemm_b_layout layout_;
  std::vector<char> buf_;
};

}  // namespace tpp
