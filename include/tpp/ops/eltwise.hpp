// Public API of the element-wise TPPs: params -> cached kernel handle -> call.
//
//   tpp::unary_params p;                       // out[64 x 100] = gelu_tanh(in), f32 -> bf16
//   p.op = tpp::unary_op::gelu_tanh; p.rows = 64; p.cols = 100;
//   p.out.type = tpp::dtype::bf16;
//   tpp::unary_kernel k = tpp::unary(p);       // validates, JITs on first use, then cached
//   k(in, out);
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "tpp/core/cpu.hpp"
#include "tpp/core/error.hpp"
#include "tpp/detail/eltwise_desc.hpp"
#include "tpp/detail/eltwise_validate.hpp"
#include "tpp/jit/code_buffer.hpp"
#include "tpp/jit/debug_hooks.hpp"
#include "tpp/jit/kernel_cache.hpp"
#include "tpp/ops/eltwise_params.hpp"
#include "tpp/ref/eltwise.hpp"

#if TPP_X86_64
#include "tpp/jit/x86/eltwise_generator.hpp"
#endif
#include "tpp/jit/a64/eltwise_generator.hpp"  // plain C++: its supports() serves every host's tests

namespace tpp {

namespace detail {

// A cached kernel: its descriptor and, where a JIT backend exists, its code.
struct eltwise_entry {
  eltwise_desc desc;
  void (*code)(const eltwise_args*) = nullptr;  // null: run the reference
  std::size_t code_size = 0;
  bool streams = false;  // the code writes out with streaming stores (desc.stream: x86 vmovntps, NEON stnp)
};

inline std::string kernel_name(const eltwise_desc& d) {
  std::string n = std::string("tpp_") + (d.fam == family::unary ? "unary_" : "binary_") +
                  d.op_name() + "_" + name(d.src[0].type) + "_" + name(d.dst.type) + "_" +
                  std::to_string(d.rows) + "x" + std::to_string(d.cols) + "_" + name(d.level);
  char tag[20];  // lds, broadcasts and masks differ between kernels of one name: add a key hash
  std::snprintf(tag, sizeof tag, "_%08x", static_cast<unsigned>(jit::hash_bytes(d)));
  return n + tag;
}

inline eltwise_entry build_eltwise(const eltwise_desc& d) {
  eltwise_entry e;
  e.desc = d;
#if TPP_X86_64
  if (d.level == isa::ref) return e;
  try {
    const void* code;
    std::size_t size;
    if (d.level >= isa::avx512) {
      jit::x86::eltwise_generator<Xbyak::Zmm> g(d);
      size = g.getSize();
      code = jit::code_buffer::publish(g.getCode(), size);
    } else {
      jit::x86::eltwise_generator<Xbyak::Ymm> g(d);
      size = g.getSize();
      code = jit::code_buffer::publish(g.getCode(), size);
    }
    e.code = reinterpret_cast<void (*)(const eltwise_args*)>(const_cast<void*>(code));
    e.code_size = size;
    e.streams = d.stream != 0;
    jit::announce_kernel(code, size, kernel_name(d));
  } catch (const Xbyak::Error& x) {
    fail("tpp::jit: code generation failed for ", kernel_name(d), ": ", x.what());
  }
#elif defined(__aarch64__)
  if (!jit::a64::eltwise_supports(d)) return e;
  e.code = jit::publish_words<void (*)(const eltwise_args*)>(jit::a64::eltwise_generator(d), kernel_name(d), e.code_size);
  e.streams = d.stream != 0;
#endif
  return e;
}

inline jit::kernel_cache<eltwise_desc, eltwise_entry>& eltwise_cache() {
  static jit::kernel_cache<eltwise_desc, eltwise_entry> cache;
  return cache;
}

inline const eltwise_entry* dispatch_eltwise(const eltwise_desc& d) {
  return eltwise_cache().get(d, build_eltwise);
}

inline void run(const eltwise_entry* e, const eltwise_args& a) {
  if (e->code) e->code(&a);
  else ref::eltwise(e->desc, a);
}

}  // namespace detail

// Arguments of a unary call; see unary_op for which ops read fwd and write mask.
struct unary_args {
  const void* in = nullptr;
  void* out = nullptr;
  const void* fwd = nullptr;
  void* mask = nullptr;
};

// A compiled unary TPP: cheap to copy, valid for the life of the process, callable from any
// thread. Null pointers for operands the kernel uses throw tpp::error.
class unary_kernel {
 public:
  unary_kernel() = default;
  explicit unary_kernel(const detail::eltwise_entry* e) : e_(e) {}

  void operator()(const void* in, void* out) const { (*this)(unary_args{in, out}); }
  void operator()(const unary_args& a) const {
    const auto& d = e_->desc;
    if (!a.in && d.src[0].type != dtype::none) detail::fail(what(), ": in is null");
    if (!a.out) detail::fail(what(), ": out is null");
    if (!a.fwd && d.src[1].type != dtype::none) detail::fail(what(), ": fwd is null");
    if (!a.mask && d.mask.type != dtype::none) detail::fail(what(), ": mask is null");
    detail::run(e_, {a.in, a.fwd, a.out, a.mask});
  }
  bool jitted() const { return e_->code != nullptr; }
  bool streams() const { return e_->streams; }  // out written with streaming stores (store_hint)
  isa level() const { return e_->desc.level; }

 private:
  std::string what() const { return std::string("tpp::unary(") + e_->desc.op_name() + ")"; }
  const detail::eltwise_entry* e_ = nullptr;
};

class binary_kernel {
 public:
  binary_kernel() = default;
  explicit binary_kernel(const detail::eltwise_entry* e) : e_(e) {}

  void operator()(const void* a, const void* b, void* out) const {
    if (!a) detail::fail(what(), ": a is null");
    if (!b) detail::fail(what(), ": b is null");
    if (!out) detail::fail(what(), ": out is null");
    detail::run(e_, {a, b, out, nullptr});
  }
  bool jitted() const { return e_->code != nullptr; }
  bool streams() const { return e_->streams; }  // out written with streaming stores (store_hint)
  isa level() const { return e_->desc.level; }

 private:
  std::string what() const { return std::string("tpp::binary(") + e_->desc.op_name() + ")"; }
  const detail::eltwise_entry* e_ = nullptr;
};

namespace detail {

// The params exactly as given, packed into six words, plus the level: the key of the per-thread
// front cache. Params that were valid once are valid again, so a hit skips lower().
struct raw_params_key {
  std::uint64_t w[6] = {};
};
inline std::uint64_t pack_shape(int rows, int cols) {
  return static_cast<std::uint32_t>(rows) | static_cast<std::uint64_t>(static_cast<std::uint32_t>(cols)) << 32;
}
// Two bits: a value past `streaming` becomes 3, which no valid params has, so it misses and
// lower() rejects it (never a hit on another key's kernel)
inline std::uint64_t store_bits(store_hint h) { return std::min(static_cast<unsigned>(h), 3u); }
inline raw_params_key raw_key(const unary_params& p, isa level) {
  std::uint32_t alpha = 0;
  if (p.alpha) std::memcpy(&alpha, &*p.alpha, 4);
  const std::uint64_t head = 1u | static_cast<std::uint64_t>(p.op) << 8 | static_cast<std::uint64_t>(level) << 16 |
                             (p.alpha ? 1ull << 24 : 0ull) | store_bits(p.store) << 25 |
                             static_cast<std::uint64_t>(alpha) << 32;
  return {{head, pack_shape(p.rows, p.cols), pack(p.in), pack(p.out), pack(p.fwd), pack(p.mask)}};
}
inline raw_params_key raw_key(const binary_params& p, isa level) {
  const std::uint64_t head = 2u | static_cast<std::uint64_t>(p.op) << 8 | static_cast<std::uint64_t>(level) << 16 |
                             store_bits(p.store) << 24;
  return {{head, pack_shape(p.rows, p.cols), pack(p.a), pack(p.b), pack(p.out), 0}};
}

template <class Params>
const eltwise_entry* dispatch(const Params& p) {
  const isa level = active_isa();
  return jit::front_cache<eltwise_entry, raw_params_key, const eltwise_entry*>::get(
      raw_key(p, level), [&] { return dispatch_eltwise(lower(p, level)); });
}

}  // namespace detail

// params -> kernel for the active ISA level (JIT once per distinct params, then cached).
inline unary_kernel unary(const unary_params& p) { return unary_kernel(detail::dispatch(p)); }
inline binary_kernel binary(const binary_params& p) { return binary_kernel(detail::dispatch(p)); }

// Kernels compiled (or, at level ref, registered) so far, over all element-wise descriptors.
inline std::size_t eltwise_kernels_built() { return detail::eltwise_cache().built(); }

}  // namespace tpp
