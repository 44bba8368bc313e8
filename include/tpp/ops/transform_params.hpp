// What a caller fills in to get a layout transform TPP (DESIGN.md §4, "Transforms").
//
//   transpose       in rows x cols            -> out cols x rows          out(j, i) = in(i, j)
//   vnni_pack       in rows x cols            -> out rows/g x cols*g      out(i/g, j*g + i%g) = in(i, j)
//   vnni_unpack     in rows/g x cols*g        -> out rows x cols          (the inverse)
//   vnni_transpose  in rows x cols            -> out cols/g x rows*g      VNNI of the transpose:
//                                                                        out(j/g, i*g + j%g) = in(i, j)
//   pad             in rows x cols            -> out R x C, zeros outside; R, C = rows, cols rounded
//                                                up to pad_rows, pad_cols
//
// g = 2 for 16-bit types (bf16, f16), 4 for 8-bit (i8, u8); rows (vnni_transpose: cols) must be a
// multiple of g. `rows` and `cols` always name the logical matrix (the unpacked one). in and out
// have the same type; ld counts elements of the stored rows (0 = packed).
#pragma once

#include <cstdint>

#include "tpp/core/operand.hpp"

namespace tpp {

enum class transform_op : std::uint8_t { transpose = 0, vnni_pack, vnni_unpack, vnni_transpose, pad };

constexpr const char* name(transform_op t) {
  switch (t) {
    case transform_op::transpose: return "transpose";
    case transform_op::vnni_pack: return "vnni_pack";
    case transform_op::vnni_unpack: return "vnni_unpack";
    case transform_op::vnni_transpose: return "vnni_transpose";
    case transform_op::pad: return "pad";
  }
  return "?";
}

struct transform_params {
  transform_op op = transform_op::transpose;
  int rows = 0, cols = 0;
  operand in, out;                 // same type: f32, i32, bf16, f16, i8, u8
  int pad_rows = 1, pad_cols = 1;  // pad only
};

}  // namespace tpp
