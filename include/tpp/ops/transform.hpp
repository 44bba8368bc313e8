// Public API of the layout transforms (tpp/ops/transform_params.hpp): params -> cached kernel.
//
//   tpp::transform_params p;               // out[4096 x 1024] = in[1024 x 4096] transposed
//   p.op = tpp::transform_op::transpose; p.rows = 1024; p.cols = 4096;
//   tpp::transform_kernel t = tpp::transform(p);
//   t(in, out);
//
// The JIT covers transpose (x86: 32-, 16- and 8-bit; AArch64: the same in 4 x 4 / 8 x 8 NEON
// blocks), VNNI transpose where both lds hold whole groups (it is the 32-bit transpose of the
// groups, below), VNNI pack (x86: pairs and quads; NEON: pairs), VNNI unpack and pad (x86);
// the rest runs typed reference loops (jitted() says which).
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
#include "tpp/jit/x86/pad_generator.hpp"
#include "tpp/jit/x86/vnni_generator.hpp"
#endif

namespace tpp {

namespace detail {

struct transform_entry {
  transform_desc desc;
  void (*code)(const transform_args*) = nullptr;  // null: run the reference
  std::size_t code_size = 0;
};

// A VNNI group is g elements of 4 / g bytes, one 32-bit unit, and VNNI transpose moves whole
// groups: where both lds hold whole groups it is the 32-bit transpose of the groups.
//   in [rows x cols] (ld ldi)  ==  groups [rows x cols/g] (ld ldi/g)
//   out [cols/g x rows*g]      ==  groups [cols/g x rows] (ld ldo/g) = the groups transposed
inline transform_desc as_group_transpose(const transform_desc& d) {
  if (d.op != transform_op::vnni_transpose || d.ldi % d.g || d.ldo % d.g) return d;
  transform_desc t = d;
  t.op = transform_op::transpose;
  t.esize = 4;
  t.g = 1;
  t.cols = t.in_cols = t.out_rows = d.cols / d.g;
  t.out_cols = d.rows;
  t.ldi = d.ldi / d.g;
  t.ldo = d.ldo / d.g;
  return t;
}

inline transform_entry build_transform(const transform_desc& given) {
  transform_entry e;
  e.desc = given;  // the reference runs what was asked; the code may run its 32-bit equivalent
  const transform_desc d = as_group_transpose(given);
  const std::string op = name(given.op);
#if TPP_X86_64
  if (d.level == isa::ref) return e;
  using fn = void (*)(const transform_args*);
  const std::string shape = std::to_string(given.rows) + "x" + std::to_string(given.cols);
  try {
    if (jit::x86::transpose_generator::supports(d)) {
      jit::x86::transpose_generator g(d);
      e.code = jit::publish_generated<fn>(g, "tpp_" + op + "_" + shape);
    } else if (jit::x86::vnni_generator::supports(d)) {
      jit::x86::vnni_generator g(d);
      e.code = jit::publish_generated<fn>(g, "tpp_" + op + "_" + shape);
    } else if (jit::x86::pad_generator::supports(d)) {
      jit::x86::pad_generator g(d);
      e.code = jit::publish_generated<fn>(g, "tpp_" + op + "_" + shape);
    }
  } catch (const Xbyak::Error& x) {
    fail("tpp::jit: code generation failed for a ", op, ": ", x.what());
  }
#elif defined(__aarch64__)
  using fn = void (*)(const transform_args*);
  const std::string shape = std::to_string(given.rows) + "x" + std::to_string(given.cols);
  if (jit::a64::transpose_generator::supports(d))
    e.code = jit::publish_words<fn>(jit::a64::transpose_generator(d), "tpp_" + op + "_" + shape, e.code_size);
  else if (jit::a64::vnni_pack_generator::supports(d))
    e.code = jit::publish_words<fn>(jit::a64::vnni_pack_generator(d), "tpp_" + op + "_" + shape, e.code_size);
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
