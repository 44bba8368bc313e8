// Dropout TPPs with a counter-based random generator, so a mask depends only on (seed, element
// index) and is the same for any thread count or blocking.
//
//   forward   keep element e when u(seed, e) < keep:  y = x * (1/keep), bit e of mask = 1
//             else y = 0, bit = 0.   e = offset + i * cols + j (offset given per call)
//   backward  dx = bit ? dy * (1/keep) : 0
//
// u(seed, e) is 24 bits of a keyed integer hash of e (two rounds of a 32-bit mixer, lowbias32,
// with the seed's halves as keys), compared with round(keep * 2^24): keep is exact to 2^-24.
// Element indices wrap at 2^32.
//
//   tpp::dropout_params p; p.rows = 64; p.cols = 1024; p.keep = 0.9f;
//   tpp::dropout_kernel k = tpp::dropout(p);
//   k.forward(x, y, mask, seed, offset);    k.backward(dy, mask, dx);
//   tpp::dropout_forward(p, x, y, mask, seed);   // whole matrix, OpenMP over row blocks
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/dropout_desc.hpp"
#include "tpp/detail/eltwise_validate.hpp"
#include "tpp/jit/code_buffer.hpp"
#include "tpp/jit/debug_hooks.hpp"
#include "tpp/jit/kernel_cache.hpp"

#if TPP_X86_64
#include "tpp/jit/x86/dropout_generator.hpp"
#include "tpp/jit/x86/generate.hpp"
#elif defined(__aarch64__)
#include "tpp/jit/a64/dropout_generator.hpp"
#endif

namespace tpp {

struct dropout_params {
  int rows = 0, cols = 0;
  float keep = 0.5f;            // keep probability, in (0, 1]
  operand in, out;              // x / y (forward), dy / dx (backward): float types
  operand mask{dtype::bit};     // the bitmask: ld in bits, a multiple of 8 (0 = packed)
};

namespace detail {

// The generator's hash, in scalar form: the reference and the oracle.
inline std::uint32_t lowbias32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
inline std::uint32_t dropout_bits(std::uint64_t seed, std::uint32_t e) {
  return lowbias32(lowbias32(e + static_cast<std::uint32_t>(seed)) ^ static_cast<std::uint32_t>(seed >> 32)) >> 8;
}

inline void dropout_ref(const dropout_desc& d, const dropout_args& a, bool forward) {
  for (long i = 0; i < d.rows; ++i)
    for (long j = 0; j < d.cols; ++j) {
      const long bit = i * d.ldm + j;
      auto* m = static_cast<std::uint8_t*>(const_cast<void*>(a.mask));
      bool keep;
      if (forward) {
        const auto e = static_cast<std::uint32_t>(a.offset + static_cast<std::uint64_t>(i) * d.cols + j);
        keep = dropout_bits(a.seed, e) < d.threshold;
        if (j % 8 == 0) m[bit >> 3] = 0;  // whole bytes; bits past cols stay 0
        if (keep) m[bit >> 3] = static_cast<std::uint8_t>(m[bit >> 3] | 1u << (bit & 7));
      } else {
        keep = (m[bit >> 3] >> (bit & 7)) & 1;
      }
      const float x = load_as_f32(a.in, d.in_type, i * d.ldi + j);
      store_from_f32(a.out, d.out_type, i * d.ldo + j, keep ? x * d.scale : 0.0f);
    }
}

struct dropout_entry {
  dropout_desc desc;
  void (*forward)(const dropout_args*) = nullptr;   // null: the reference
  void (*backward)(const dropout_args*) = nullptr;
};

inline dropout_entry build_dropout(const dropout_desc& d) {
  dropout_entry e;
  e.desc = d;
#if TPP_X86_64
  if (d.level == isa::ref) return e;
  using fn = void (*)(const dropout_args*);
  e.forward = jit::x86::generate<jit::x86::dropout_generator, fn>(d.level, "tpp_dropout", d, true);
  e.backward = jit::x86::generate<jit::x86::dropout_generator, fn>(d.level, "tpp_dropout_inv", d, false);
#elif defined(__aarch64__)
  if (!jit::a64::dropout_supports(d)) return e;
  using fn = void (*)(const dropout_args*);
  std::size_t size = 0;
  e.forward = jit::publish_words<fn>(jit::a64::dropout_generator(d, true), "tpp_dropout", size);
  e.backward = jit::publish_words<fn>(jit::a64::dropout_generator(d, false), "tpp_dropout_inv", size);
#endif
  return e;
}

inline jit::kernel_cache<dropout_desc, dropout_entry>& dropout_cache() {
  static jit::kernel_cache<dropout_desc, dropout_entry> cache;
  return cache;
}

inline dropout_desc lower(const dropout_params& p, isa level) {
  const call_ctx ctx{"dropout", "dropout"};
  check_extent(ctx, "rows", p.rows);
  check_extent(ctx, "cols", p.cols);
  if (!(p.keep > 0.0f && p.keep <= 1.0f)) fail(ctx, ": keep = ", p.keep, " is not in (0, 1]");
  dropout_desc d;
  d.level = level;
  d.rows = p.rows;
  d.cols = p.cols;
  const operand_desc in = lower_operand(ctx, "in", p.in, p.rows, p.cols, {false, false, true, false});
  const operand_desc out = lower_operand(ctx, "out", p.out, p.rows, p.cols, {false, false, true, false});
  if (p.mask.type != dtype::bit) fail(ctx, ": mask.type = ", name(p.mask.type), "; the mask is dtype::bit");
  const operand_desc m = lower_operand(ctx, "mask", p.mask, p.rows, p.cols, {false, true, false, false});
  d.in_type = in.type;
  d.out_type = out.type;
  d.ldi = p.rows == 1 ? p.cols : in.ld;
  d.ldo = p.rows == 1 ? p.cols : out.ld;
  d.ldm = p.rows == 1 ? (p.cols + 7) / 8 * 8 : m.ld;
  d.threshold = static_cast<std::uint32_t>(std::lround(static_cast<double>(p.keep) * (1 << 24)));
  d.scale = 1.0f / p.keep;
  return d;
}

}  // namespace detail

class dropout_kernel {
 public:
  dropout_kernel() = default;
  explicit dropout_kernel(const detail::dropout_entry* e) : e_(e) {}

  // y = dropout(x); writes the mask. offset: the counter of element (0, 0).
  void forward(const void* x, void* y, void* mask, std::uint64_t seed, std::uint64_t offset = 0) const {
    run(x, y, mask, seed, offset, true);
  }
  // dx = dy where the mask kept the element (scaled by 1/keep), 0 elsewhere.
  void backward(const void* dy, const void* mask, void* dx) const { run(dy, dx, const_cast<void*>(mask), 0, 0, false); }
  bool jitted() const { return e_ && e_->forward != nullptr; }

 private:
  void run(const void* in, void* out, void* mask, std::uint64_t seed, std::uint64_t offset, bool forward) const {
    if (!e_) detail::fail("tpp::dropout: the kernel handle is empty (default-constructed)");
    if (!in || !out || !mask) detail::fail("tpp::dropout: in, out or mask is null");
    const detail::dropout_args a{in, out, mask, seed, offset};
    auto* code = forward ? e_->forward : e_->backward;
    if (code) code(&a);
    else detail::dropout_ref(e_->desc, a, forward);
  }
  const detail::dropout_entry* e_ = nullptr;
};

inline dropout_kernel dropout(const dropout_params& p) {
  return dropout_kernel(detail::dropout_cache().get(detail::lower(p, active_isa()), detail::build_dropout));
}

// Forward over the whole matrix, OpenMP over blocks of rows; each block's offset is its first
// element's index, so the mask is the same for any thread count.
inline void dropout_forward(const dropout_params& p, const void* x, void* y, void* mask, std::uint64_t seed) {
  const detail::dropout_desc whole = detail::lower(p, isa::ref);
  const int block = 16;
  dropout_params q = p;
  q.in.ld = whole.ldi;
  q.out.ld = whole.ldo;
  q.mask.ld = whole.ldm;
  const auto ex = static_cast<const char*>(x);
  const auto ey = static_cast<char*>(y);
  const auto em = static_cast<char*>(mask);
  // two kernels at most (full blocks, the last one), dispatched before the loop
  q.rows = std::min(block, p.rows);
  const dropout_kernel full = dropout(q);
  q.rows = p.rows % block ? p.rows % block : q.rows;
  const dropout_kernel last = dropout(q);
#pragma omp parallel for schedule(static)
  for (int r0 = 0; r0 < p.rows; r0 += block) {
    const dropout_kernel& k = r0 + block <= p.rows ? full : last;
    k.forward(ex + static_cast<long>(r0) * whole.ldi * size_of(whole.in_type),
              ey + static_cast<long>(r0) * whole.ldo * size_of(whole.out_type),
              em + static_cast<long>(r0) * whole.ldm / 8, seed, static_cast<std::uint64_t>(r0) * p.cols);
  }
}

}  // namespace tpp
