// Reference executor for a lowered element-wise descriptor: plain loops over rows and columns.
#pragma once

#include <cstdint>

#include "tpp/detail/eltwise_desc.hpp"
#include "tpp/ref/scalar_math.hpp"

namespace tpp::ref {

namespace detail_ {
using tpp::detail::operand_desc;

// Linear element index of (i, j) in an input operand, after broadcast.
inline long index_of(const operand_desc& o, long i, long j) {
  switch (o.bcast) {
    case broadcast::row: return j;
    case broadcast::column: return i * o.ld;
    case broadcast::scalar: return 0;
    default: return i * o.ld + j;
  }
}
inline bool get_bit(const void* p, long idx) {
  return (static_cast<const std::uint8_t*>(p)[idx >> 3] >> (idx & 7)) & 1;
}
// Writes the bits of one row at once so that the unused high bits of the last byte are zero
// (kernels own whole mask bytes).
inline void set_bit(void* p, long idx, bool v) {
  auto* b = static_cast<std::uint8_t*>(p) + (idx >> 3);
  if ((idx & 7) == 0) *b = 0;
  if (v) *b = static_cast<std::uint8_t>(*b | (1u << (idx & 7)));
}
}  // namespace detail_

// Runs the element-wise op `d` on the pointers in `a` (same contract as the JIT kernels).
inline void eltwise(const tpp::detail::eltwise_desc& d, const tpp::detail::eltwise_args& a) {
  using namespace detail_;
  const operand_desc &s0 = d.src[0], &s1 = d.src[1], &o = d.dst, &m = d.mask;
  if (tpp::detail::copies_bits(d)) {  // a same-type 16-bit copy moves bits, as the kernels do
    for (long i = 0; i < d.rows; ++i)
      for (long j = 0; j < d.cols; ++j)
        static_cast<std::uint16_t*>(a.dst)[i * o.ld + j] =
            static_cast<const std::uint16_t*>(a.src0)[index_of(s0, i, j)];
    return;
  }
  for (long i = 0; i < d.rows; ++i) {
    for (long j = 0; j < d.cols; ++j) {
      const float x = s0.type == dtype::none ? 0.0f : load_as_f32(a.src0, s0.type, index_of(s0, i, j));
      float y;
      if (d.fam == tpp::detail::family::binary) {
        const float b = load_as_f32(a.src1, s1.type, index_of(s1, i, j));
        y = binary_value(d.bop(), x, b);
        if (o.type == dtype::bit) {
          set_bit(a.dst, i * o.ld + j, y != 0.0f);
          continue;
        }
      } else if (is_backward(d.uop())) {
        const float f = s1.type == dtype::bit ? static_cast<float>(get_bit(a.src1, index_of(s1, i, j)))
                                              : load_as_f32(a.src1, s1.type, index_of(s1, i, j));
        y = unary_backward(d.uop(), x, f, d.alpha);
      } else {
        y = unary_forward(d.uop(), x, d.alpha);
        if (m.type == dtype::bit) set_bit(a.mask, i * m.ld + j, x > 0);
      }
      store_from_f32(a.dst, o.type, i * o.ld + j, y);
    }
  }
}

}  // namespace tpp::ref
