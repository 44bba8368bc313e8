// Reference BRGEMM: the oracle of the JIT kernels and the fallback where no JIT exists. Products
// are summed in double (int64 for u8*i8) over the whole batch, then rounded once, so the
// reference is closer to the exact result than any f32 kernel; tests bound the kernels' error.
#pragma once

#include <cstdint>
#include <vector>

#include "tpp/detail/brgemm_desc.hpp"
#include "tpp/ref/eltwise.hpp"
#include "tpp/ref/scalar_math.hpp"

namespace tpp::ref {

namespace detail_ {
// Linear index of A(r, kk) and B(kk, j) in their stored layouts.
inline long a_index(const tpp::detail::brgemm_desc& d, long r, long kk) {
  return d.a_layout == gemm_layout::transposed ? kk * d.lda + r : r * d.lda + kk;
}
inline long b_index(const tpp::detail::brgemm_desc& d, long kk, long j) {
  switch (d.b_layout) {
    case gemm_layout::transposed: return j * d.ldb + kk;
    case gemm_layout::vnni: {
      const long v = d.vnni();
      return (kk / v) * d.ldb * v + j * v + kk % v;
    }
    default: return kk * d.ldb + j;
  }
}
inline double int_at(const void* p, dtype t, long i) {
  return t == dtype::u8 ? static_cast<const std::uint8_t*>(p)[i] : static_cast<const std::int8_t*>(p)[i];
}
// The i-th batch pair's base pointers.
inline const char* batch_ptr(const tpp::detail::brgemm_desc& d, const void* base, const void* table,
                             std::int64_t stride, dtype t, long i) {
  const char* b = static_cast<const char*>(base);
  switch (d.batch) {
    case batch_kind::offset: return b + static_cast<const std::int64_t*>(table)[i] * size_of(t);
    case batch_kind::address: return static_cast<const char* const*>(table)[i];
    default: return b + i * stride * size_of(t);
  }
}
}  // namespace detail_

inline void brgemm(const tpp::detail::brgemm_desc& d, const tpp::detail::brgemm_args& a) {
  using namespace detail_;
  const bool integer = d.a_type == dtype::u8;
  std::vector<double> acc(static_cast<std::size_t>(d.m) * d.n, 0.0);
  for (long i = 0; i < a.count; ++i) {
    const char* ai = batch_ptr(d, a.a, a.batch_a, d.stride_a, d.a_type, i);
    const char* bi = batch_ptr(d, a.b, a.batch_b, d.stride_b, d.b_type, i);
    for (long r = 0; r < d.m; ++r)
      for (long kk = 0; kk < d.k; ++kk) {
        const long ia = a_index(d, r, kk);
        const double x = integer ? int_at(ai, d.a_type, ia) : load_as_f32(ai, d.a_type, ia);
        for (long j = 0; j < d.n; ++j) {
          const long ib = b_index(d, kk, j);
          const double y = integer ? int_at(bi, d.b_type, ib) : load_as_f32(bi, d.b_type, ib);
          acc[r * d.n + j] += x * y;
        }
      }
  }
  for (long r = 0; r < d.m; ++r)
    for (long j = 0; j < d.n; ++j) {
      const long ic = r * d.ldc + j;
      if (integer) {  // exact: |sums| stay far below 2^53; i32 wraps like the hardware
        auto* c = static_cast<std::int32_t*>(a.c);
        const std::int64_t s = static_cast<std::int64_t>(acc[r * d.n + j]) + (d.beta ? c[ic] : 0);
        c[ic] = static_cast<std::int32_t>(static_cast<std::uint32_t>(s));
        continue;
      }
      double s = acc[r * d.n + j];
      if (d.beta) s += load_as_f32(a.c, d.c_type, ic);
      float v = static_cast<float>(s);
      if (d.bias != dtype::none) v += load_as_f32(a.bias, d.bias, j);
      if (d.d.type != dtype::none) v = binary_value(d.binary, v, load_as_f32(a.d, d.d.type, r * d.d.ld + j));
      if (d.mask.type == dtype::bit) set_bit(a.mask, r * d.mask.ld + j, v > 0);
      if (d.unary != unary_op::copy) v = unary_forward(d.unary, v, d.alpha);
      store_from_f32(a.c, d.c_type, ic, v);
    }
}

}  // namespace tpp::ref
