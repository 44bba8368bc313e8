// Reference of the layout transforms: element by element, by the index formulas of
// tpp/ops/transform_params.hpp (the oracle and the fallback). Elements are copied as bytes.
#pragma once

#include <cstring>

#include "tpp/detail/transform_desc.hpp"

namespace tpp::ref {

inline void transform(const detail::transform_desc& d, const detail::transform_args& a) {
  const auto* in = static_cast<const unsigned char*>(a.in);
  auto* out = static_cast<unsigned char*>(a.out);
  const long es = d.esize, g = d.g;
  const auto put = [&](long r, long c, const unsigned char* src) { std::memcpy(out + (r * d.ldo + c) * es, src, es); };
  const auto at = [&](long r, long c) { return in + (r * d.ldi + c) * es; };
  switch (d.op) {
    case transform_op::transpose:
      for (long i = 0; i < d.rows; ++i)
        for (long j = 0; j < d.cols; ++j) put(j, i, at(i, j));
      break;
    case transform_op::vnni_pack:
      for (long i = 0; i < d.rows; ++i)
        for (long j = 0; j < d.cols; ++j) put(i / g, j * g + i % g, at(i, j));
      break;
    case transform_op::vnni_unpack:
      for (long i = 0; i < d.rows; ++i)
        for (long j = 0; j < d.cols; ++j) put(i, j, at(i / g, j * g + i % g));
      break;
    case transform_op::vnni_transpose:
      for (long i = 0; i < d.rows; ++i)
        for (long j = 0; j < d.cols; ++j) put(j / g, i * g + j % g, at(i, j));
      break;
    case transform_op::pad:
      for (long r = 0; r < d.out_rows; ++r) {
        unsigned char* o = out + r * d.ldo * es;
        if (r < d.rows) {
          std::memcpy(o, at(r, 0), static_cast<std::size_t>(d.cols * es));
          std::memset(o + d.cols * es, 0, static_cast<std::size_t>((d.out_cols - d.cols) * es));
        } else {
          std::memset(o, 0, static_cast<std::size_t>(d.out_cols * es));
        }
      }
      break;
  }
}

}  // namespace tpp::ref
