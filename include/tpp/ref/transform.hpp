// Reference of the layout transforms: element by element, by the index formulas of
// tpp/ops/transform_params.hpp (the oracle and the fallback). Elements are copied as integers.
#pragma once

#include <cstdint>

#include "tpp/detail/transform_desc.hpp"

namespace tpp::ref {

namespace detail_ {
// The transforms on elements of type E (the bytes of an element, copied as one integer)
template <class E>
void transform_typed(const detail::transform_desc& d, const E* in, E* out) {
  const long g = d.g, li = d.ldi, lo = d.ldo;
  switch (d.op) {
    case transform_op::transpose:
      for (long i = 0; i < d.rows; ++i)
        for (long j = 0; j < d.cols; ++j) out[j * lo + i] = in[i * li + j];
      break;
    case transform_op::vnni_pack:
      for (long i = 0; i < d.rows; ++i)
        for (long j = 0; j < d.cols; ++j) out[(i / g) * lo + j * g + i % g] = in[i * li + j];
      break;
    case transform_op::vnni_unpack:
      for (long i = 0; i < d.rows; ++i)
        for (long j = 0; j < d.cols; ++j) out[i * lo + j] = in[(i / g) * li + j * g + i % g];
      break;
    case transform_op::vnni_transpose:
      for (long i = 0; i < d.rows; ++i)
        for (long j = 0; j < d.cols; ++j) out[(j / g) * lo + i * g + j % g] = in[i * li + j];
      break;
    case transform_op::pad:
      for (long r = 0; r < d.out_rows; ++r)
        for (long c = 0; c < d.out_cols; ++c) out[r * lo + c] = r < d.rows && c < d.cols ? in[r * li + c] : E(0);
      break;
  }
}
}  // namespace detail_

inline void transform(const detail::transform_desc& d, const detail::transform_args& a) {
  switch (d.esize) {
    case 1: detail_::transform_typed(d, static_cast<const std::uint8_t*>(a.in), static_cast<std::uint8_t*>(a.out)); break;
    case 2: detail_::transform_typed(d, static_cast<const std::uint16_t*>(a.in), static_cast<std::uint16_t*>(a.out)); break;
    default: detail_::transform_typed(d, static_cast<const std::uint32_t*>(a.in), static_cast<std::uint32_t*>(a.out)); break;
  }
}

}  // namespace tpp::ref
