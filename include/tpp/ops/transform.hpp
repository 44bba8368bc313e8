// Public API of the layout transforms (tpp/ops/transform_params.hpp): params -> cached kernel.
//
//   tpp::transform_params p;               // out[4096 x 1024] = in[1024 x 4096] transposed
//   p.op = tpp::transform_op::transpose; p.rows = 1024; p.cols = 4096;
//   tpp::transform_kernel t = tpp::transform(p);
//   t(in, out);
//
// The JIT covers 32-bit transpose (x86: 8 x 8 ymm tiles; AArch64: 4 x 4 NEON blocks) and, on x86,
// 16-bit VNNI pack; the other transforms and element sizes run typed reference loops for now
// (jitted() says which).
#pragma once

#include <string>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/transform_desc.hpp"
#include "tpp/jit/code_buffer.hpp"
#include "tpp/jit/debug_hooks.hpp"
#include "tpp/jit/kernel_cache.hpp"
#include "tpp/ref/transform.hpp"

#include "tpp/jit/a64/transpose_generator.hpp"  // plain C++: its supports() serves every host's tests
#include "tpp/jit/a64/vnni_pack_generator.hpp"
#if TPP_X86_64
#include "tpp/jit/x86/transpose_generator.hpp"
#include "tpp/jit/x86/vnni_pack_generator.hpp"
#endif

namespace tpp {

namespace detail {

struct transform_entry {
  transform_desc desc;
  void (*code)(const transform_args*) = nullptr;  // null: run the reference
  std::size_t code_size = 0;
};

inline transform_entry build_transform(const transform_desc& d) {
  transform_entry e;
  e.desc = d;
#if TPP_X86_64
  if (d.level == isa::ref) return e;
  using fn = void (*)(const transform_args*);
  const std::string shape = std::to_string(d.rows) + "x" + std::to_string(d.cols);
  try {
    if (jit::x86::transpose_generator::supports(d)) {
      jit::x86::transpose_generator g(d);
      e.code = jit::publish_generated<fn>(g, "tpp_transpose_" + shape);
    } else if (jit::x86::vnni_pack_generator::supports(d)) {
      jit::x86::vnni_pack_generator g(d);
      e.code = jit::publish_generated<fn>(g, "tpp_vnni_pack_" + shape);
    }
  } catch (const Xbyak::Error& x) {
    fail("tpp::jit: code generation failed for a ", name(d.op), ": ", x.what());
  }
#elif defined(__aarch64__)
  using fn = void (*)(const transform_args*);
  const std::string shape = std::to_string(d.rows) + "x" + std::to_string(d.cols);
  if (jit::a64::transpose_generator::supports(d))
    e.code = jit::publish_words<fn>(jit::a64::transpose_generator(d), "tpp_transpose_" + shape, e.code_size);
  else if (jit::a64::vnni_pack_generator::supports(d))
    e.code = jit::publish_words<fn>(jit::a64::vnni_pack_generator(d), "tpp_vnni_pack_" + shape, e.code_size);
#endif
  return e;
}

inline jit::kernel_cache<transform_desc, transform_entry>& transform_cache() {
  static jit::kernel_cache<transform_desc, transform_entry> cache;
  return cache;
}

}  // namespace detail

class transform_kernel {
 public:
  transform_kernel() = default;
  explicit transform_kernel(const detail::transform_entry* e) : e_(e) {}

  void operator()(const void* in, void* out) const {
    if (!e_) detail::fail("tpp::transform: the kernel handle is empty (default-constructed)");
    if (!in || !out) detail::fail("tpp::transform: in or out is null");
    const detail::transform_args a{in, out};
    if (e_->code) e_->code(&a);
    else ref::transform(e_->desc, a);
  }
  bool jitted() const { return e_ && e_->code != nullptr; }

 private:
  const detail::transform_entry* e_ = nullptr;
};

inline transform_kernel transform(const transform_params& p) {
  return transform_kernel(detail::transform_cache().get(detail::lower(p, active_isa()), detail::build_transform));
}

}  // namespace tpp
