// What a caller fills in to get a batch-reduce GEMM kernel (DESIGN.md §4):
//
//   C[m x n] = beta * C + sum_{i < count} A_i[m x k] * B_i[k x n]      (row-major)
//
// then, while the C block is still in registers, the epilogue:
//
//   C = unary( binary( C + bias[row broadcast], D ) )   -> converted to c.type, stored
//
// Plain GEMM is count = 1. count is given at call time; the batch is addressed by a stride, by
// offset arrays or by address arrays (batch_kind).
#pragma once

#include <cstdint>
#include <optional>

#include "tpp/core/operand.hpp"
#include "tpp/ops/eltwise_ops.hpp"

namespace tpp {

// How A or B is stored.
//   normal      A: m x k, element (r, kk) at a[r*lda + kk]   B: k x n, (kk, j) at b[kk*ldb + j]
//   transposed  A: k x m, element (r, kk) at a[kk*lda + r]   B: n x k, (kk, j) at b[j*ldb + kk]
//   vnni        B only: k/v rows of n groups of v consecutive k values, v = 2 for bf16/f16 and
//               4 for int8; (kk, j) at b[(kk/v)*ldb*v + j*v + kk%v]. ldb counts columns (>= n).
enum class gemm_layout : std::uint8_t { normal = 0, transposed, vnni };

// How the call names the batch of (A_i, B_i) pairs.
//   stride   A_i = a + i*stride_a, B_i = b + i*stride_b (elements, fixed in the params)
//   offset   A_i = a + a_offsets[i], B_i = b + b_offsets[i] (elements, int64 arrays at call time)
//   address  A_i = a_addresses[i], B_i = b_addresses[i] (pointer arrays at call time)
enum class batch_kind : std::uint8_t { stride = 0, offset, address };

constexpr const char* name(gemm_layout l) {
  switch (l) {
    case gemm_layout::normal: return "normal";
    case gemm_layout::transposed: return "transposed";
    case gemm_layout::vnni: return "vnni";
  }
  return "?";
}
constexpr const char* name(batch_kind b) {
  switch (b) {
    case batch_kind::stride: return "stride";
    case batch_kind::offset: return "offset";
    case batch_kind::address: return "address";
  }
  return "?";
}

// Applied to the accumulated block before it is stored, in this order: bias, binary, unary.
struct brgemm_epilogue {
  dtype bias = dtype::none;            // n values added to every row (f32, bf16, f16)
  binary_op binary = binary_op::add;   // C = C (binary) D, when d.type != none
  operand d{dtype::none};              // m x n second operand (e.g. a residual), ld >= n
  unary_op unary = unary_op::copy;     // any forward unary TPP (copy = none)
  std::optional<float> alpha;          // the unary's alpha (leaky_relu, elu)
  operand mask{dtype::none};           // unary == relu only: dtype::bit writes the relu bitmask
};

struct brgemm_params {
  int m = 0, n = 0, k = 0;
  operand a, b, c;                     // type and ld (0 = packed); no broadcast
  gemm_layout a_layout = gemm_layout::normal, b_layout = gemm_layout::normal;
  float beta = 0;                      // 0: C is overwritten; 1: C is accumulated into
  batch_kind batch = batch_kind::stride;
  std::int64_t stride_a = 0, stride_b = 0;  // batch_kind::stride: elements between pairs
  brgemm_epilogue epilogue;
};

}  // namespace tpp
