// Checks user params and lowers them to the canonical eltwise_desc; every violation throws
// tpp::error naming the field, the value and the rule.
#pragma once

#include <cmath>
#include <ostream>

#include "tpp/core/error.hpp"
#include "tpp/detail/eltwise_desc.hpp"
#include "tpp/ops/eltwise_params.hpp"

namespace tpp::detail {

// Names the call in messages ("tpp::unary(relu)") without building a string unless one is thrown.
struct call_ctx {
  const char* family;
  const char* op;
};
inline std::ostream& operator<<(std::ostream& os, const call_ctx& c) {
  return os << "tpp::" << c.family << "(" << c.op << ")";
}

// Sizes up to 2^30 keep every byte offset the kernels compute inside 63 bits.
constexpr int max_extent = 1 << 30;

inline void check_extent(const call_ctx& ctx, const char* field, int v) {
  if (v < 1 || v > max_extent)
    fail(ctx, ": ", field, " = ", v, " is out of range; it must be in [1, 2^30]");
}

inline bool is_float_type(dtype t) {
  return t == dtype::f32 || t == dtype::bf16 || t == dtype::f16;
}

// Lowers one operand. `input` operands may broadcast; a bitmask operand is allowed only where
// `allow_bit`. An operand of type none is allowed only where `optional`.
struct operand_rule {
  bool input = true, allow_bit = false, allow_float = true, optional = false;
};

inline operand_desc lower_operand(const call_ctx& ctx, const char* field, const operand& o, int rows,
                                  int cols, operand_rule rule) {
  operand_desc d;
  d.type = o.type;
  d.bcast = o.bcast;
  if (o.type == dtype::none) {
    if (!rule.optional) fail(ctx, ": ", field, ".type = none, but this op needs the operand");
    return operand_desc{};
  }
  const bool ok_type = (o.type == dtype::bit && rule.allow_bit) ||
                       (is_float_type(o.type) && rule.allow_float);
  if (!ok_type)
    fail(ctx, ": ", field, ".type = ", name(o.type), " is not supported here; allowed: ",
         rule.allow_float ? "f32, bf16, f16" : "", rule.allow_float && rule.allow_bit ? ", " : "",
         rule.allow_bit ? "bit" : "");
  if (static_cast<int>(o.bcast) > 3)
    fail(ctx, ": ", field, ".bcast = ", static_cast<int>(o.bcast), " is not a broadcast kind");
  if (o.bcast != broadcast::none && (!rule.input || o.type == dtype::bit))
    fail(ctx, ": ", field, ".bcast = ", name(o.bcast), ", but this operand cannot broadcast");
  if (o.ld < 0) fail(ctx, ": ", field, ".ld = ", o.ld, " is negative");
  if (o.ld > max_extent) fail(ctx, ": ", field, ".ld = ", o.ld, " is larger than 2^30");
  switch (o.bcast) {
    case broadcast::none: {
      const int packed = o.type == dtype::bit ? (cols + 7) / 8 * 8 : cols;
      d.ld = o.ld == 0 ? packed : o.ld;
      if (d.ld < cols) fail(ctx, ": ", field, ".ld = ", d.ld, " is less than cols = ", cols);
      if (o.type == dtype::bit && d.ld % 8 != 0)
        fail(ctx, ": ", field, ".ld = ", d.ld, " is not a multiple of 8 (bitmask rows are bytes)");
      if (rows == 1) d.ld = 0;  // one row: ld never used, so equal kernels share a key
      break;
    }
    case broadcast::column: d.ld = rows == 1 ? 0 : (o.ld == 0 ? 1 : o.ld); break;
    case broadcast::row:
    case broadcast::scalar: d.ld = 0; break;
  }
  return d;
}

// rows x cols with every operand packed (ld == cols, or a scalar) is the same memory as one row
// of rows*cols: kernels then run one long column loop instead of many short rows, which is what
// keeps small L1-resident calls at memcpy speed. Row and column broadcasts keep their rows.
inline void collapse_rows(eltwise_desc& d) {
  if (d.rows == 1 || static_cast<long long>(d.rows) * d.cols > max_extent) return;
  for (const operand_desc* o : {&d.src[0], &d.src[1], &d.dst, &d.mask}) {
    if (o->type == dtype::none || o->bcast == broadcast::scalar) continue;
    if (o->bcast != broadcast::none || o->ld != d.cols) return;
  }
  d.cols *= d.rows;
  d.rows = 1;
  for (operand_desc* o : {&d.src[0], &d.src[1], &d.dst, &d.mask})
    if (o->type != dtype::none) o->ld = 0;
}

// A copy between operands of one 16-bit type moves bits: with an even count of elements per row
// (and even row strides), each pair is one 32-bit lane of an f32 copy, which loads and stores
// without arithmetic (Zen 3, bf16 64 x 64: 21.5 -> 169 GB/s). Other shapes (odd widths or lds,
// broadcasts) stay 16-bit, and copies_bits moves their bits one element per 32-bit lane; either
// way NaN payloads and subnormals stay as they were. The reference runs the same descriptor.
inline void copy_as_pairs(eltwise_desc& d) {
  const dtype t = d.dst.type;
  if (d.fam != family::unary || d.uop() != unary_op::copy || d.src[0].type != t) return;
  if ((t != dtype::bf16 && t != dtype::f16) || d.src[0].bcast != broadcast::none || d.cols % 2) return;
  if (d.rows > 1 && (d.src[0].ld % 2 || d.dst.ld % 2)) return;
  d.src[0].type = d.dst.type = dtype::f32;
  d.cols /= 2;
  d.src[0].ld /= 2;
  d.dst.ld /= 2;
}

// The bytes a call reads or writes of operand o over rows x cols, as its broadcast says.
inline double operand_bytes(const operand_desc& o, int rows, int cols) {
  if (o.type == dtype::none) return 0;
  const double count = o.bcast == broadcast::none     ? static_cast<double>(rows) * cols
                       : o.bcast == broadcast::row    ? cols
                       : o.bcast == broadcast::column ? rows
                                                      : 1;
  return o.type == dtype::bit ? count / 8 : count * size_of(o.type);
}

inline void check_store_hint(const call_ctx& ctx, store_hint h) {
  if (static_cast<int>(h) > static_cast<int>(store_hint::streaming))
    fail(ctx, ": store = ", static_cast<int>(h), " is not a store_hint (automatic, cached, streaming)");
}

// Whether an f32 out is written with streaming stores (rows 64 bytes apart: one row after
// collapse_rows, or ld a multiple of 16), as the hint and the bytes read and written say.
inline bool streams_out(const eltwise_desc& d, store_hint hint) {
  if (d.dst.type != dtype::f32) return false;
  if (d.rows > 1 && static_cast<long long>(d.dst.ld) * 4 % 64 != 0) return false;
  double bytes = 0;
  for (const operand_desc* o : {&d.src[0], &d.src[1], &d.dst, &d.mask}) bytes += operand_bytes(*o, d.rows, d.cols);
  return streams_output(hint, bytes);
}

inline eltwise_desc lower(const unary_params& p, isa level) {
  eltwise_desc d;
  const call_ctx ctx{"unary", name(p.op)};
  if (static_cast<int>(p.op) >= unary_op_count)
    fail("tpp::unary: op = ", static_cast<int>(p.op), " is not a unary_op");
  check_extent(ctx, "rows", p.rows);
  check_extent(ctx, "cols", p.cols);
  d.fam = family::unary;
  d.op = static_cast<std::uint8_t>(p.op);
  d.level = level;
  d.rows = p.rows;
  d.cols = p.cols;
  if (reads_input(p.op)) d.src[0] = lower_operand(ctx, "in", p.in, p.rows, p.cols, {});
  else if (p.in.type != dtype::none && !is_float_type(p.in.type))
    fail(ctx, ": in.type = ", name(p.in.type), " is not supported; allowed: f32, bf16, f16");
  d.dst = lower_operand(ctx, "out", p.out, p.rows, p.cols, {false, false, true, false});
  if (is_backward(p.op)) {
    operand_rule r{true, p.op == unary_op::relu_inv, true, false};
    d.src[1] = lower_operand(ctx, "fwd", p.fwd, p.rows, p.cols, r);
  } else if (p.fwd.type != dtype::none) {
    fail(ctx, ": fwd.type = ", name(p.fwd.type), ", but only backward ops read fwd");
  }
  if (p.op == unary_op::relu)
    d.mask = lower_operand(ctx, "mask", p.mask, p.rows, p.cols, {false, true, false, true});
  else if (p.mask.type != dtype::none)
    fail(ctx, ": mask.type = ", name(p.mask.type), ", but only relu writes a mask");
  if (has_alpha(p.op)) {
    d.alpha = p.alpha.value_or(default_alpha(p.op));
    if (!std::isfinite(d.alpha)) fail(ctx, ": alpha = ", d.alpha, " is not finite");
  } else if (p.alpha) {
    fail(ctx, ": alpha = ", *p.alpha, ", but this op takes no alpha");
  }
  check_store_hint(ctx, p.store);
  collapse_rows(d);
  copy_as_pairs(d);
  d.stream = streams_out(d, p.store);
  return d;
}

inline eltwise_desc lower(const binary_params& p, isa level) {
  eltwise_desc d;
  const call_ctx ctx{"binary", name(p.op)};
  if (static_cast<int>(p.op) >= binary_op_count)
    fail("tpp::binary: op = ", static_cast<int>(p.op), " is not a binary_op");
  check_extent(ctx, "rows", p.rows);
  check_extent(ctx, "cols", p.cols);
  d.fam = family::binary;
  d.op = static_cast<std::uint8_t>(p.op);
  d.level = level;
  d.rows = p.rows;
  d.cols = p.cols;
  d.src[0] = lower_operand(ctx, "a", p.a, p.rows, p.cols, {});
  d.src[1] = lower_operand(ctx, "b", p.b, p.rows, p.cols, {});
  const bool cmp = is_compare(p.op);
  if (cmp && p.out.type != dtype::bit)
    fail(ctx, ": out.type = ", name(p.out.type), ", but a compare writes a bitmask (dtype::bit)");
  d.dst = lower_operand(ctx, "out", p.out, p.rows, p.cols, {false, cmp, !cmp, false});
  check_store_hint(ctx, p.store);
  collapse_rows(d);
  d.stream = streams_out(d, p.store);
  return d;
}

}  // namespace tpp::detail
