// Checks brgemm_params and lowers them to brgemm_desc; every violation throws tpp::error naming
// the field, the value and the rule.
#pragma once

#include <cmath>

#include "tpp/core/error.hpp"
#include "tpp/detail/brgemm_desc.hpp"
#include "tpp/detail/eltwise_validate.hpp"

namespace tpp::detail {

// The element types BRGEMM multiplies: (a, b) pairs and the c types each allows.
inline bool valid_input_pair(dtype a, dtype b) {
  return (a == dtype::f32 && b == dtype::f32) || (a == dtype::bf16 && b == dtype::bf16) ||
         (a == dtype::f16 && b == dtype::f16) || (a == dtype::u8 && b == dtype::i8);
}

// ld of a stored rows x cols matrix: 0 means packed; otherwise at least cols.
inline int resolve_ld(const char* field, int ld, int cols) {
  if (ld < 0) fail("tpp::brgemm: ", field, ".ld = ", ld, " is negative");
  if (ld > max_extent) fail("tpp::brgemm: ", field, ".ld = ", ld, " is larger than 2^30");
  const int r = ld == 0 ? cols : ld;
  if (r < cols) fail("tpp::brgemm: ", field, ".ld = ", r, " is less than ", cols, ", the ", field,
                     " row length");
  return r;
}

inline void check_no_broadcast(const char* field, const operand& o) {
  if (o.bcast != broadcast::none)
    fail("tpp::brgemm: ", field, ".bcast = ", name(o.bcast), ", but GEMM operands cannot broadcast");
}

// The bf16 product key of p at `level`: set for bf16 A where pairs multiply with vdpbf16ps.
// Both the descriptor and the front-cache key carry it, so a changed setting never hits a stale
// kernel.
inline bool uses_bf16_dot(const brgemm_params& p, isa level) {
  return p.a.type == dtype::bf16 && bf16_dot_at(level);
}

inline brgemm_desc lower(const brgemm_params& p, isa level) {
  const call_ctx ctx{"brgemm", "gemm"};
  check_extent(ctx, "m", p.m);
  check_extent(ctx, "n", p.n);
  check_extent(ctx, "k", p.k);
  brgemm_desc d;
  d.level = level;
  d.m = p.m;
  d.n = p.n;
  d.k = p.k;
  if (!valid_input_pair(p.a.type, p.b.type))
    fail("tpp::brgemm: a.type = ", name(p.a.type), " with b.type = ", name(p.b.type),
         " is not supported; allowed: f32*f32, bf16*bf16, f16*f16, u8*i8");
  d.a_type = p.a.type;
  d.b_type = p.b.type;
  d.bf16_dot = uses_bf16_dot(p, level);
  const bool integer = p.a.type == dtype::u8;
  if (integer ? p.c.type != dtype::i32 : !is_float_type(p.c.type))
    fail("tpp::brgemm: c.type = ", name(p.c.type), " is not supported for ", name(p.a.type),
         " inputs; allowed: ", integer ? "i32" : "f32, bf16, f16");
  d.c_type = p.c.type;
  check_no_broadcast("a", p.a);
  check_no_broadcast("b", p.b);
  check_no_broadcast("c", p.c);

  if (static_cast<int>(p.a_layout) > 1)
    fail("tpp::brgemm: a_layout = ", name(p.a_layout), " is not supported; allowed: normal, transposed");
  if (static_cast<int>(p.b_layout) > 2)
    fail("tpp::brgemm: b_layout = ", static_cast<int>(p.b_layout), " is not a gemm_layout");
  d.a_layout = p.a_layout;
  d.b_layout = p.b_layout;
  if (p.b_layout == gemm_layout::vnni) {
    if (p.b.type == dtype::f32)
      fail("tpp::brgemm: b_layout = vnni needs 16-bit or 8-bit B; b.type = f32");
    const int v = d.vnni();
    if (p.k % v != 0)
      fail("tpp::brgemm: k = ", p.k, " is not a multiple of ", v, ", the VNNI group of ",
           name(p.b.type), " B");
  }
  d.lda = resolve_ld("a", p.a.ld, p.a_layout == gemm_layout::normal ? p.k : p.m);
  d.ldb = resolve_ld("b", p.b.ld, p.b_layout == gemm_layout::transposed ? p.k : p.n);
  d.ldc = resolve_ld("c", p.c.ld, p.n);

  if (!(p.beta == 0.0f || p.beta == 1.0f))
    fail("tpp::brgemm: beta = ", p.beta, " is not supported; allowed: 0, 1");
  d.beta = p.beta == 1.0f ? 1 : 0;
  if (static_cast<int>(p.batch) > 2)
    fail("tpp::brgemm: batch = ", static_cast<int>(p.batch), " is not a batch_kind");
  d.batch = p.batch;
  if (p.batch == batch_kind::stride) {
    d.stride_a = p.stride_a;
    d.stride_b = p.stride_b;
  } else if (p.stride_a != 0 || p.stride_b != 0) {
    fail("tpp::brgemm: stride_a/stride_b are set, but batch = ", name(p.batch),
         " (strides apply to batch_kind::stride only)");
  }

  const brgemm_epilogue& e = p.epilogue;
  const bool any_epilogue = e.bias != dtype::none || e.d.type != dtype::none ||
                            e.unary != unary_op::copy || e.mask.type != dtype::none;
  if (integer && any_epilogue)
    fail("tpp::brgemm: an epilogue is not supported for u8*i8 -> i32 (dequantize first)");
  if (e.bias != dtype::none && !is_float_type(e.bias))
    fail("tpp::brgemm: epilogue.bias = ", name(e.bias), " is not supported; allowed: f32, bf16, f16");
  d.bias = e.bias;
  if (e.d.type != dtype::none) {
    if (static_cast<int>(e.binary) >= binary_op_count)
      fail("tpp::brgemm: epilogue.binary = ", static_cast<int>(e.binary), " is not a binary_op");
    if (is_compare(e.binary))
      fail("tpp::brgemm: epilogue.binary = ", name(e.binary), ", but a compare writes a bitmask");
    const call_ctx ectx{"brgemm", "epilogue"};
    d.d = lower_operand(ectx, "epilogue.d", e.d, p.m, p.n, {false, false, true, false});
    if (p.m == 1) d.d.ld = e.d.ld == 0 ? p.n : e.d.ld;
    d.binary = e.binary;
  }
  if (static_cast<int>(e.unary) >= unary_op_count)
    fail("tpp::brgemm: epilogue.unary = ", static_cast<int>(e.unary), " is not a unary_op");
  if (e.unary != unary_op::copy && !is_activation(e.unary))
    fail("tpp::brgemm: epilogue.unary = ", name(e.unary),
         " is not supported; allowed: forward ops that read only x (not zero or backward ops)");
  d.unary = e.unary;
  if (has_alpha(e.unary)) {
    d.alpha = e.alpha.value_or(default_alpha(e.unary));
    if (!std::isfinite(d.alpha)) fail("tpp::brgemm: epilogue.alpha = ", d.alpha, " is not finite");
  } else if (e.alpha) {
    fail("tpp::brgemm: epilogue.alpha = ", *e.alpha, ", but epilogue.unary = ", name(e.unary),
         " takes no alpha");
  }
  if (e.mask.type != dtype::none) {
    if (e.unary != unary_op::relu)
      fail("tpp::brgemm: epilogue.mask is set, but epilogue.unary = ", name(e.unary),
           " (only relu writes a bitmask)");
    const call_ctx ectx{"brgemm", "epilogue"};
    d.mask = lower_operand(ectx, "epilogue.mask", e.mask, p.m, p.n, {false, true, false, false});
    if (p.m == 1) d.mask.ld = e.mask.ld == 0 ? (p.n + 7) / 8 * 8 : e.mask.ld;
  }
  return d;
}

}  // namespace tpp::detail
