// The canonical key of a transform kernel, and the checks that build it from transform_params.
#pragma once

#include <cstdint>

#include "tpp/core/cpu.hpp"
#include "tpp/core/error.hpp"
#include "tpp/detail/eltwise_validate.hpp"
#include "tpp/ops/transform_params.hpp"

namespace tpp::detail {

struct transform_desc {
  isa level = isa::ref;
  transform_op op = transform_op::transpose;
  std::uint8_t esize = 4, g = 1;  // element bytes; VNNI group
  std::int32_t rows = 0, cols = 0;           // the logical (unpacked) matrix
  std::int32_t in_rows = 0, in_cols = 0;     // as stored
  std::int32_t out_rows = 0, out_cols = 0;
  std::int32_t ldi = 0, ldo = 0;             // elements
};
static_assert(sizeof(transform_desc) == 4 + 8 * 4, "no padding in keys");

struct transform_args {
  const void* in;
  void* out;
};

inline bool is_transform_type(dtype t) {
  return t == dtype::f32 || t == dtype::i32 || t == dtype::bf16 || t == dtype::f16 || t == dtype::i8 ||
         t == dtype::u8;
}

inline transform_desc lower(const transform_params& p, isa level) {
  const call_ctx ctx{"transform", name(p.op)};
  if (static_cast<int>(p.op) > 4) fail("tpp::transform: op = ", static_cast<int>(p.op), " is not a transform_op");
  check_extent(ctx, "rows", p.rows);
  check_extent(ctx, "cols", p.cols);
  if (!is_transform_type(p.in.type))
    fail(ctx, ": in.type = ", name(p.in.type), " is not supported; allowed: f32, i32, bf16, f16, i8, u8");
  if (p.out.type != p.in.type)
    fail(ctx, ": out.type = ", name(p.out.type), " differs from in.type = ", name(p.in.type));
  if (p.in.bcast != broadcast::none || p.out.bcast != broadcast::none)
    fail(ctx, ": transforms take no broadcast");
  transform_desc d;
  d.level = level;
  d.op = p.op;
  d.esize = static_cast<std::uint8_t>(size_of(p.in.type));
  d.rows = p.rows;
  d.cols = p.cols;
  const bool vnni = p.op == transform_op::vnni_pack || p.op == transform_op::vnni_unpack ||
                    p.op == transform_op::vnni_transpose;
  if (vnni) {
    if (d.esize == 4) fail(ctx, ": in.type = ", name(p.in.type), ", but VNNI groups 16-bit or 8-bit values");
    d.g = d.esize == 2 ? 2 : 4;
    const int grouped = p.op == transform_op::vnni_transpose ? p.cols : p.rows;
    if (grouped % d.g)
      fail(ctx, ": ", p.op == transform_op::vnni_transpose ? "cols" : "rows", " = ", grouped,
           " is not a multiple of ", static_cast<int>(d.g), ", the VNNI group of ", name(p.in.type));
  }
  const int g = d.g;
  switch (p.op) {
    case transform_op::transpose: d.in_rows = p.rows; d.in_cols = p.cols; d.out_rows = p.cols; d.out_cols = p.rows; break;
    case transform_op::vnni_pack: d.in_rows = p.rows; d.in_cols = p.cols; d.out_rows = p.rows / g; d.out_cols = p.cols * g; break;
    case transform_op::vnni_unpack: d.in_rows = p.rows / g; d.in_cols = p.cols * g; d.out_rows = p.rows; d.out_cols = p.cols; break;
    case transform_op::vnni_transpose: d.in_rows = p.rows; d.in_cols = p.cols; d.out_rows = p.cols / g; d.out_cols = p.rows * g; break;
    case transform_op::pad: {
      if (p.pad_rows < 1 || p.pad_rows > max_extent) fail(ctx, ": pad_rows = ", p.pad_rows, " must be in [1, 2^30]");
      if (p.pad_cols < 1 || p.pad_cols > max_extent) fail(ctx, ": pad_cols = ", p.pad_cols, " must be in [1, 2^30]");
      const long long R = (static_cast<long long>(p.rows) + p.pad_rows - 1) / p.pad_rows * p.pad_rows;
      const long long C = (static_cast<long long>(p.cols) + p.pad_cols - 1) / p.pad_cols * p.pad_cols;
      if (R > max_extent || C > max_extent) fail(ctx, ": the padded shape ", R, " x ", C, " is larger than 2^30");
      d.in_rows = p.rows;
      d.in_cols = p.cols;
      d.out_rows = static_cast<std::int32_t>(R);
      d.out_cols = static_cast<std::int32_t>(C);
      break;
    }
  }
  if (static_cast<long long>(d.out_cols) > max_extent || static_cast<long long>(d.in_cols) > max_extent)
    fail(ctx, ": a stored row of ", static_cast<long long>(std::max(d.in_cols, d.out_cols)), " elements is larger than 2^30");
  const auto ld = [&](const char* field, int given, int cols) {
    if (given < 0) fail(ctx, ": ", field, ".ld = ", given, " is negative");
    const int r = given == 0 ? cols : given;
    if (r < cols) fail(ctx, ": ", field, ".ld = ", r, " is less than ", cols, ", the stored row length");
    return r;
  };
  d.ldi = ld("in", p.in.ld, d.in_cols);
  d.ldo = ld("out", p.out.ld, d.out_cols);
  return d;
}

}  // namespace tpp::detail
