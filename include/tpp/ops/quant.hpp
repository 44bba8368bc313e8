// Quantize (f32/bf16/f16 -> i8/u8) and dequantize (i8/u8 -> f32/bf16/f16) TPPs with a scale and a
// zero point; the direction follows the operand types.
//
//   quantize    q = saturate(round_to_nearest_even(x * (1/scale)) + zero_point); NaN -> lowest
//   dequantize  x = (q - zero_point) * scale
//
//   tpp::quant_params p; p.rows = 64; p.cols = 100;
//   p.in.type = tpp::dtype::f32; p.out.type = tpp::dtype::i8; p.scale = 0.05f;
//   tpp::quant(p)(x, q);
#pragma once

#include <cmath>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/eltwise_validate.hpp"
#include "tpp/detail/quant_desc.hpp"
#include "tpp/jit/code_buffer.hpp"
#include "tpp/jit/debug_hooks.hpp"
#include "tpp/jit/kernel_cache.hpp"

#if TPP_X86_64
#include "tpp/jit/x86/quant_generator.hpp"
#include "tpp/jit/x86/generate.hpp"
#elif defined(__aarch64__)
#include "tpp/jit/a64/quant_generator.hpp"
#endif

namespace tpp {

struct quant_params {
  int rows = 0, cols = 0;
  operand in, out{dtype::i8};  // one float type and one of i8, u8; no broadcast
  float scale = 1;             // finite, > 0
  int zero_point = 0;          // within the integer type's range
};

namespace detail {

inline void quant_ref(const quant_desc& d, const quant_args& a) {
  for (long i = 0; i < d.rows; ++i)
    for (long j = 0; j < d.cols; ++j) {
      if (d.quantize) {
        const int q = quantize_value(load_as_f32(a.in, d.in_type, i * d.ldi + j), d.inv_scale, d.zero_point, d.out_type);
        if (d.out_type == dtype::u8) static_cast<std::uint8_t*>(a.out)[i * d.ldo + j] = static_cast<std::uint8_t>(q);
        else static_cast<std::int8_t*>(a.out)[i * d.ldo + j] = static_cast<std::int8_t>(q);
      } else {
        const long k = i * d.ldi + j;
        const int q = d.in_type == dtype::u8 ? static_cast<const std::uint8_t*>(a.in)[k] : static_cast<const std::int8_t*>(a.in)[k];
        store_from_f32(a.out, d.out_type, i * d.ldo + j, dequantize_value(q, d.scale, d.zero_point));
      }
    }
}

struct quant_entry {
  quant_desc desc;
  void (*code)(const quant_args*) = nullptr;  // null: the reference
};

inline quant_entry build_quant(const quant_desc& d) {
  quant_entry e;
  e.desc = d;
#if TPP_X86_64
  if (d.level == isa::ref) return e;
  e.code = jit::x86::generate<jit::x86::quant_generator, void (*)(const quant_args*)>(
      d.level, d.quantize ? "tpp_quantize" : "tpp_dequantize", d);
#elif defined(__aarch64__)
  if (!jit::a64::quant_supports(d)) return e;
  std::size_t size = 0;
  e.code = jit::publish_words<void (*)(const quant_args*)>(jit::a64::quant_generator(d),
                                                          d.quantize ? "tpp_quantize" : "tpp_dequantize", size);
#endif
  return e;
}

inline jit::kernel_cache<quant_desc, quant_entry>& quant_cache() {
  static jit::kernel_cache<quant_desc, quant_entry> cache;
  return cache;
}

inline quant_desc lower(const quant_params& p, isa level) {
  const call_ctx ctx{"quant", "scale"};
  check_extent(ctx, "rows", p.rows);
  check_extent(ctx, "cols", p.cols);
  const auto is_int8 = [](dtype t) { return t == dtype::i8 || t == dtype::u8; };
  quant_desc d;
  d.level = level;
  d.rows = p.rows;
  d.cols = p.cols;
  if (is_float_type(p.in.type) && is_int8(p.out.type)) d.quantize = 1;
  else if (is_int8(p.in.type) && is_float_type(p.out.type)) d.quantize = 0;
  else
    fail(ctx, ": in.type = ", name(p.in.type), " with out.type = ", name(p.out.type),
         " is not supported; allowed: f32/bf16/f16 -> i8/u8 (quantize) or i8/u8 -> f32/bf16/f16 (dequantize)");
  d.in_type = p.in.type;
  d.out_type = p.out.type;
  if (!(std::isfinite(p.scale) && p.scale > 0)) fail(ctx, ": scale = ", p.scale, " must be finite and > 0");
  d.scale = p.scale;
  d.inv_scale = 1.0f / p.scale;
  if (!std::isfinite(d.inv_scale)) fail(ctx, ": scale = ", p.scale, " is too small (1/scale overflows)");
  const dtype it = d.quantize ? d.out_type : d.in_type;
  const int lo = it == dtype::u8 ? 0 : -128, hi = it == dtype::u8 ? 255 : 127;
  if (p.zero_point < lo || p.zero_point > hi)
    fail(ctx, ": zero_point = ", p.zero_point, " is outside [", lo, ", ", hi, "], the range of ", name(it));
  d.zero_point = p.zero_point;
  const auto ld = [&](const char* field, const operand& o) {
    if (o.bcast != broadcast::none) fail(ctx, ": ", field, ".bcast must be none");
    if (o.ld < 0 || (o.ld != 0 && o.ld < p.cols)) fail(ctx, ": ", field, ".ld = ", o.ld, " is less than cols = ", p.cols);
    return o.ld ? o.ld : p.cols;
  };
  d.ldi = ld("in", p.in);
  d.ldo = ld("out", p.out);
  return d;
}

}  // namespace detail

class quant_kernel {
 public:
  quant_kernel() = default;
  explicit quant_kernel(const detail::quant_entry* e) : e_(e) {}
  void operator()(const void* in, void* out) const {
    if (!e_) detail::fail("tpp::quant: the kernel handle is empty (default-constructed)");
    if (!in || !out) detail::fail("tpp::quant: in or out is null");
    const detail::quant_args a{in, out};
    if (e_->code) e_->code(&a);
    else detail::quant_ref(e_->desc, a);
  }
  bool jitted() const { return e_ && e_->code != nullptr; }

 private:
  const detail::quant_entry* e_ = nullptr;
};

inline quant_kernel quant(const quant_params& p) {
  return quant_kernel(detail::quant_cache().get(detail::lower(p, active_isa()), detail::build_quant));
}

}  // namespace tpp
