// Public API of the batch-reduce GEMM TPP: params -> cached kernel handle -> call.
//
//   tpp::brgemm_params p;                 // C[64 x 64] = sum_{i<16} A_i[64 x 64] * B_i[64 x 64]
//   p.m = p.n = p.k = 64;
//   p.stride_a = p.stride_b = 64 * 64;    // elements between consecutive A_i (B_i)
//   tpp::brgemm_kernel g = tpp::brgemm(p);
//   g(a, b, c, 16);
//
// Offset and address batches, and the epilogue's bias / D / bitmask operands, go through
// brgemm_call. The JIT covers f32, bf16 and f16 inputs with A normal or transposed and B normal or
// VNNI (bf16), and u8*i8 with VNNI B (vpdpbusd from avx512_bf16; on AVX2 widened to 16 bits and
// multiplied exactly by vpmaddwd, which the plain avx512 level runs too); at the amx level bf16 and u8
// with VNNI B run on AMX tiles when k allows 8+ VNNI groups per tile step (tiles() says so).
// B transposed is staged: each call transposes the count B_i with the transform TPP into a
// per-thread buffer, then runs the B-normal kernel on it (O(k n) per B_i against O(m n k) of
// work), or the VNNI kernel for bf16 where it multiplies pairs natively (vdpbf16ps under
// tpp::bf16_product dot, AMX, bfdot) and for u8*i8 (k and ldb
// in whole groups: stages_vnni). The transposes are JIT on x86 and NEON. f16 VNNI B is
// unpacked to f32 as it is loaded. u8*i8 with B normal, or transposed with k or ldb not a
// multiple of 4, runs the reference (jitted() says which).
// On AArch64 the NEON generator covers f32 / bf16 / f16 with A normal or transposed (bf16 VNNI B
// by bfdot at neon_bf16), the epilogue, and B transposed staged as above: see
// tpp/jit/a64/brgemm_generator.hpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/core/error.hpp"
#include "tpp/detail/brgemm_desc.hpp"
#include "tpp/detail/brgemm_validate.hpp"
#include "tpp/jit/code_buffer.hpp"
#include "tpp/jit/debug_hooks.hpp"
#include "tpp/jit/kernel_cache.hpp"
#include "tpp/ops/brgemm_params.hpp"
#include "tpp/ops/transform.hpp"
#include "tpp/ref/brgemm.hpp"

#if TPP_X86_64
#include "tpp/jit/x86/brgemm_amx_generator.hpp"
#include "tpp/jit/x86/brgemm_generator.hpp"
#endif
#include "tpp/jit/a64/brgemm_generator.hpp"  // plain C++: its supports() serves every host's tests

namespace tpp {

namespace detail {

struct brgemm_entry {
  brgemm_desc desc;
  void (*code)(const brgemm_args*) = nullptr;  // null: run the reference
  std::size_t code_size = 0;
  int block_m = 0, block_n = 0;                 // register block (rows, columns) of the JIT code
  bool tiles = false;                           // AMX tiles
  bool bf16_dot = false;                        // x86 vdpbf16ps multiplies the bf16 pairs
  const transform_entry* stage_b = nullptr;     // B transposed: B_i^T -> k x n (or VNNI), then code
};

inline std::string kernel_name(const brgemm_desc& d) {
  std::string n = std::string("tpp_brgemm_") + name(d.a_type) + "_" + name(d.c_type) + "_" +
                  std::to_string(d.m) + "x" + std::to_string(d.n) + "x" + std::to_string(d.k) + "_" +
                  name(d.batch) + "_" + name(d.level);
  char tag[20];
  std::snprintf(tag, sizeof tag, "_%08x", static_cast<unsigned>(jit::hash_bytes(d)));
  return n + tag;
}

#if TPP_X86_64
// Copies a finished generator's code (for d) into executable memory and records it in e.
template <class G>
void publish(brgemm_entry& e, const brgemm_desc& d, const G& g, int block_m, int block_n) {
  e.code_size = g.getSize();
  const void* code = jit::code_buffer::publish(g.getCode(), e.code_size);
  e.code = reinterpret_cast<void (*)(const brgemm_args*)>(const_cast<void*>(code));
  e.block_m = block_m;
  e.block_n = block_n;
  jit::announce_kernel(code, e.code_size, kernel_name(d));
}

template <class V>
void jit_brgemm(brgemm_entry& e, const brgemm_desc& d) {
  using G = jit::x86::brgemm_generator<V>;
  if (!G::supports(d)) return;
  G g(d);
  publish(e, d, g, g.block().mr, g.block().nv * jit::x86::vec<V>::lanes);
  e.bf16_dot = jit::x86::brgemm_k_product(d, jit::x86::vec<V>::avx512) == jit::x86::k_product::dpbf16ps;
}

inline void jit_brgemm_amx(brgemm_entry& e, const brgemm_desc& d) {
  jit::x86::brgemm_amx_generator g(d);
  publish(e, d, g, g.block_m(), g.block_n());
  e.tiles = true;
}
#endif

// The JIT code for d (B normal or VNNI) into e, if a generator takes d.
inline void generate_brgemm(brgemm_entry& e, const brgemm_desc& d) {
#if TPP_X86_64
  try {
    // zmm where its generator takes d, else ymm: u8 x i8 without AVX512_VNNI (the plain avx512
    // level) has no zmm product, and the exact widened one (vpmaddwd) is written for ymm
    const bool zmm = d.level >= isa::avx512 && jit::x86::brgemm_generator<Xbyak::Zmm>::supports(d);
    if (jit::x86::brgemm_amx_supports(d)) jit_brgemm_amx(e, d);
    else if (zmm) jit_brgemm<Xbyak::Zmm>(e, d);
    else jit_brgemm<Xbyak::Ymm>(e, d);
  } catch (const Xbyak::Error& x) {
    fail("tpp::jit: code generation failed for ", kernel_name(d), ": ", x.what());
  }
#elif defined(__aarch64__)
  if (!jit::a64::brgemm_supports(d)) return;
  const jit::a64::brgemm_generator g(d);
  e.code = jit::publish_words<void (*)(const brgemm_args*)>(g, kernel_name(d), e.code_size);
  e.block_m = g.block().mr;
  e.block_n = g.block().nv * 4;
#else
  (void)e;
  (void)d;
#endif
}

// Whether B transposed is staged in VNNI groups rather than as B normal: bf16 where the VNNI
// kernel multiplies pairs natively (vdpbf16ps where d.bf16_dot, AMX, bfdot at neon_bf16), and
// u8 x i8, whose every JIT product takes VNNI quads. k and ldb must be whole groups: B_i^T's rows
// are then rows of 32-bit groups, and staging them is the 32-bit transpose (vnni_transpose).
inline bool stages_vnni(const brgemm_desc& d) {
  const int g = size_of(d.b_type) == 1 ? 4 : 2;
  const bool bf16_dot = d.a_type == dtype::bf16 && d.a_layout == gemm_layout::normal &&
                        (is_arm(d.level) ? d.level >= isa::neon_bf16 : d.bf16_dot || d.level >= isa::amx);
  return (bf16_dot || d.a_type == dtype::u8) && d.k % g == 0 && d.ldb % g == 0;
}

// A stride batch with stride_b = 0 reads one B for every pair: B transposed stages it once and
// the staged kernel reads it at stride 0 (a staged stride would also make that kernel's block
// choice assume a streaming batch, brgemm_streams: 23^3 ran a 13 x 8 block at half the speed of
// the 3 x 24 one)
inline bool reads_one_b(const brgemm_desc& d) { return d.batch == batch_kind::stride && d.stride_b == 0; }

// B transposed: the kernel of the same product with B normal or VNNI (ldb = n, the staged B_i
// k * n elements apart), and the transform that stages each B_i^T [n x k] as B_i [k x n], or in
// VNNI groups [k/g x n*g] (JIT on x86 and NEON).
inline void stage_transposed_b(brgemm_entry& e, const brgemm_desc& d) {
  const bool vnni = stages_vnni(d);
  brgemm_desc nd = d;
  nd.b_layout = vnni ? gemm_layout::vnni : gemm_layout::normal;
  nd.ldb = nd.n;
  nd.stride_b = d.batch == batch_kind::stride && !reads_one_b(d) ? static_cast<std::int64_t>(d.k) * d.n : 0;
  generate_brgemm(e, nd);  // named as what runs; e.desc stays d
  if (!e.code) return;
  transform_params t;
  t.op = vnni ? transform_op::vnni_transpose : transform_op::transpose;
  t.rows = d.n;
  t.cols = d.k;
  t.in = operand{d.b_type, d.ldb};
  t.out = operand{d.b_type, d.n * (vnni ? nd.vnni() : 1)};
  e.stage_b = transform_cache().get(lower(t, d.level), build_transform);
}

inline brgemm_entry build_brgemm(const brgemm_desc& d) {
  brgemm_entry e;
  e.desc = d;
  if (d.level == isa::ref) return e;
  if (d.b_layout == gemm_layout::transposed) stage_transposed_b(e, d);
  else generate_brgemm(e, d);
  return e;
}

inline jit::kernel_cache<brgemm_desc, brgemm_entry>& brgemm_cache() {
  static jit::kernel_cache<brgemm_desc, brgemm_entry> cache;
  return cache;
}

// The params exactly as given, packed into words: the key of the per-thread front cache.
struct brgemm_raw_key {
  std::uint64_t w[12] = {};
};
inline brgemm_raw_key raw_key(const brgemm_params& p, isa level) {
  const brgemm_epilogue& e = p.epilogue;
  std::uint32_t beta, alpha = 0;
  std::memcpy(&beta, &p.beta, 4);
  if (e.alpha) std::memcpy(&alpha, &*e.alpha, 4);
  brgemm_raw_key k;
  k.w[0] = static_cast<std::uint32_t>(p.m) | static_cast<std::uint64_t>(static_cast<std::uint32_t>(p.n)) << 32;
  k.w[1] = static_cast<std::uint32_t>(p.k) | static_cast<std::uint64_t>(beta) << 32;
  k.w[2] = pack(p.a);
  k.w[3] = pack(p.b);
  k.w[4] = pack(p.c);
  k.w[5] = static_cast<std::uint64_t>(level) | static_cast<std::uint64_t>(p.a_layout) << 8 |
           static_cast<std::uint64_t>(p.b_layout) << 16 | static_cast<std::uint64_t>(p.batch) << 24 |
           static_cast<std::uint64_t>(e.bias) << 32 | static_cast<std::uint64_t>(e.binary) << 40 |
           static_cast<std::uint64_t>(e.unary) << 48 | (e.alpha ? 1ull << 56 : 0ull);
  k.w[6] = static_cast<std::uint64_t>(p.stride_a);
  k.w[7] = static_cast<std::uint64_t>(p.stride_b);
  k.w[8] = pack(e.d);
  k.w[9] = pack(e.mask);
  k.w[10] = alpha;
  k.w[11] = uses_bf16_dot(p, level);
  return k;
}

inline const brgemm_entry* dispatch_brgemm(const brgemm_params& p) {
  const isa level = active_isa();
  return jit::front_cache<brgemm_entry, brgemm_raw_key, const brgemm_entry*>::get(
      raw_key(p, level), [&] { return brgemm_cache().get(lower(p, level), build_brgemm); });
}

}  // namespace detail

// One call's operands. a/b: the base pointers (stride and offset batches); a_offsets/b_offsets:
// count int64 element offsets (offset batch); a_addresses/b_addresses: count pointers (address
// batch). bias, d and mask are read only when the epilogue names them.
struct brgemm_call {
  const void* a = nullptr;
  const void* b = nullptr;
  void* c = nullptr;
  std::int64_t count = 1;
  const std::int64_t* a_offsets = nullptr;
  const std::int64_t* b_offsets = nullptr;
  const void* const* a_addresses = nullptr;
  const void* const* b_addresses = nullptr;
  const void* bias = nullptr;
  const void* d = nullptr;
  void* mask = nullptr;
};

// A compiled BRGEMM: cheap to copy, valid for the life of the process, callable from any thread.
class brgemm_kernel {
 public:
  brgemm_kernel() = default;
  explicit brgemm_kernel(const detail::brgemm_entry* e) : e_(e) {}

  // Stride batch (or count = 1): C = beta*C + sum_{i<count} (a + i*stride_a) * (b + i*stride_b).
  void operator()(const void* a, const void* b, void* c, std::int64_t count = 1) const {
    brgemm_call call;
    call.a = a;
    call.b = b;
    call.c = c;
    call.count = count;
    (*this)(call);
  }

  void operator()(const brgemm_call& k) const {
    if (!e_) detail::fail("tpp::brgemm: the kernel handle is empty (default-constructed)");
    const auto& d = e_->desc;
    if (k.count < 0) detail::fail("tpp::brgemm: count = ", k.count, " is negative");
    if (!k.c) detail::fail("tpp::brgemm: c is null");
    detail::brgemm_args a{k.a, k.b, k.c, k.count, nullptr, nullptr, k.bias, k.d, k.mask};
    if (k.count > 0) {
      switch (d.batch) {
        case batch_kind::stride:
          if (!k.a || !k.b) detail::fail("tpp::brgemm: a or b is null");
          break;
        case batch_kind::offset:
          if (!k.a || !k.b) detail::fail("tpp::brgemm: a or b is null");
          if (!k.a_offsets || !k.b_offsets)
            detail::fail("tpp::brgemm: batch = offset, but a_offsets or b_offsets is null");
          a.batch_a = k.a_offsets;
          a.batch_b = k.b_offsets;
          break;
        case batch_kind::address:
          if (!k.a_addresses || !k.b_addresses)
            detail::fail("tpp::brgemm: batch = address, but a_addresses or b_addresses is null");
          a.batch_a = k.a_addresses;
          a.batch_b = k.b_addresses;
          break;
      }
    }
    if (d.bias != dtype::none && !k.bias) detail::fail("tpp::brgemm: the epilogue adds a bias, but bias is null");
    if (d.d.type != dtype::none && !k.d) detail::fail("tpp::brgemm: the epilogue reads d, but d is null");
    if (d.mask.type != dtype::none && !k.mask)
      detail::fail("tpp::brgemm: the epilogue writes a relu bitmask, but mask is null");
    if (e_->stage_b) run_staged(k, a);
    else if (e_->code) e_->code(&a);
    else ref::brgemm(d, a);
  }

  bool jitted() const { return e_ && e_->code != nullptr; }
  // Whether the kernel multiplies on AMX tiles.
  bool tiles() const { return e_ && e_->tiles; }
  // Whether the x86 zmm kernel multiplies bf16 pairs with vdpbf16ps (tpp::bf16_product).
  bool bf16_dot() const { return e_ && e_->bf16_dot; }
  isa level() const { return e_->desc.level; }
  // The register block of the JIT code (rows x columns of C per micro-kernel step); 0 if none.
  int block_m() const { return e_->block_m; }
  int block_n() const { return e_->block_n; }

 private:
  // B transposed: stage B_0 .. B_{count-1} (each n x k, ld = ldb) as k x n blocks (B normal or
  // VNNI) of a per-thread buffer, then run the code over them with the same batch kind (a stride
  // batch with stride_b = 0 stages its one B once)
  void run_staged(const brgemm_call& k, detail::brgemm_args a) const {
    const auto& d = e_->desc;
    const std::size_t block = static_cast<std::size_t>(d.k) * d.n;  // elements
    const std::size_t es = static_cast<std::size_t>(size_of(d.b_type));
    thread_local std::vector<char> staged;
    thread_local std::vector<std::int64_t> offsets;
    thread_local std::vector<const void*> addresses;
    const std::size_t count = detail::reads_one_b(d) ? std::min<std::size_t>(1, static_cast<std::size_t>(k.count))
                                                     : static_cast<std::size_t>(k.count);
    if (staged.size() < count * block * es) staged.resize(count * block * es);
    const auto* b = static_cast<const char*>(k.b);
    const auto bytes = [es](std::int64_t elements) { return elements * static_cast<std::int64_t>(es); };
    const transform_kernel transpose(e_->stage_b);  // its JIT code, or the transform reference
    for (std::size_t i = 0; i < count; ++i) {
      const void* bi = d.batch == batch_kind::stride   ? b + bytes(static_cast<std::int64_t>(i) * d.stride_b)
                       : d.batch == batch_kind::offset ? b + bytes(k.b_offsets[i])
                                                       : k.b_addresses[i];
      transpose(bi, staged.data() + i * block * es);
    }
    a.b = staged.data();
    if (d.batch == batch_kind::offset) {
      offsets.resize(count);
      for (std::size_t i = 0; i < count; ++i) offsets[i] = static_cast<std::int64_t>(i * block);
      a.batch_b = offsets.data();
    } else if (d.batch == batch_kind::address) {
      addresses.resize(count);
      for (std::size_t i = 0; i < count; ++i) addresses[i] = staged.data() + i * block * es;
      a.batch_b = addresses.data();
    }
    e_->code(&a);
  }

  const detail::brgemm_entry* e_ = nullptr;
};

// params -> kernel for the active ISA level (JIT once per distinct params, then cached).
inline brgemm_kernel brgemm(const brgemm_params& p) { return brgemm_kernel(detail::dispatch_brgemm(p)); }

}  // namespace tpp
