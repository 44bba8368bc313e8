// The parameters and operands of tpp::gemm (loops/gemm.hpp), apart from its driver so that the
// B packing (loops/gemm_pack.hpp) can read them.
#pragma once

#include <optional>
#include <vector>

#include "tpp/ops/brgemm_params.hpp"
#include "tpp/ops/equation_expr.hpp"

namespace tpp {

class gemm_packed_b;

struct gemm_params {
  int m = 0, n = 0, k = 0;
  operand a, b, c;           // f32*f32, bf16*bf16, f16*f16 (c f32/bf16/f16), u8*i8 (c i32); ld 0 = packed
  // normal or transposed (A stored k x m, B stored n x k; brgemm_params' convention): a Linear
  // layer's backward takes dx = dy * W^T and dW = x^T * dy. A transposed operand is transposed
  // once into a row-major copy by the transform TPP, on the threads (O(m k) or O(k n) against
  // O(m n k)), and the normal path runs on the copy.
  gemm_layout a_layout = gemm_layout::normal, b_layout = gemm_layout::normal;
  float beta = 0;            // 0 or 1
  brgemm_epilogue epilogue;  // bias (n values), d (m x n, ld), unary, relu mask
  int block_m = 64, block_n = 64, block_k = 64;  // blocking; bk even for bf16, a multiple of 4 for u8
  // An equation as the epilogue (instead of `epilogue`; beta 0): each C block, still in cache,
  // goes through it with arg(0) = the GEMM result (f32) and arg(i) = equation_inputs[i - 1],
  // addressed like C (m x n) or broadcast. A tree with row reductions sees whole rows: it runs
  // once per row strip of block_m x n.   C = layernorm(A * B + bias) is one call.
  std::optional<expr> equation;
  std::vector<operand> equation_inputs;
  // Side outputs of the equation (equation_params::column_sums and row_outputs), given at the
  // call in gemm_operands::equation_side: column sums (1 x n f32 rows, added to: a Linear layer's
  // bias gradient as the GEMM makes dx) then row outputs (m x 1 f32 columns: LayerNorm's saved
  // mean and rstd; with them the equation runs per row strip). The column sums go through partial
  // rows per row block of block_m rows, added in block order, so they are the same bits for any
  // thread count.
  std::vector<expr> equation_column_sums;
  std::vector<expr> equation_row_outputs;
};

struct gemm_operands {
  const void* a = nullptr;
  const void* b = nullptr;
  void* c = nullptr;
  const void* bias = nullptr;
  const void* d = nullptr;
  void* mask = nullptr;
  std::vector<const void*> equation_inputs{};  // one per gemm_params::equation_inputs
  std::vector<void*> equation_side{};          // column sums, then row outputs (gemm_params)
  const gemm_packed_b* packed_b = nullptr;     // B packed ahead (gemm_pack.hpp): then b is null
};

}  // namespace tpp
