// The canonical key of a BRGEMM kernel: brgemm_params lowered to a POD with every default
// resolved (ld of packed operands, alpha), so equal kernels have equal bytes.
#pragma once

#include <cstdint>
#include <type_traits>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/eltwise_desc.hpp"
#include "tpp/ops/brgemm_params.hpp"

namespace tpp::detail {

struct brgemm_desc {
  isa level = isa::ref;
  dtype a_type = dtype::f32, b_type = dtype::f32, c_type = dtype::f32;
  gemm_layout a_layout = gemm_layout::normal, b_layout = gemm_layout::normal;
  batch_kind batch = batch_kind::stride;
  std::uint8_t beta = 0;  // 0 or 1
  std::int32_t m = 0, n = 0, k = 0;
  std::int32_t lda = 0, ldb = 0, ldc = 0;
  std::int64_t stride_a = 0, stride_b = 0;  // elements; 0 unless batch == stride
  // epilogue
  dtype bias = dtype::none;
  binary_op binary = binary_op::add;
  unary_op unary = unary_op::copy;
  std::uint8_t bf16_dot = 0;  // bf16 A: 1 where VNNI pairs multiply with vdpbf16ps (bf16_dot_at)
  operand_desc d, mask;
  float alpha = 0;

  bool has_epilogue() const {
    return bias != dtype::none || d.type != dtype::none || unary != unary_op::copy;
  }
  // k values per VNNI group of B (1 unless b_layout == vnni)
  int vnni() const {
    if (b_layout != gemm_layout::vnni) return 1;
    return size_of(b_type) == 1 ? 4 : 2;
  }
};
static_assert(sizeof(brgemm_desc) == 72, "no padding in keys (hashed and compared as bytes)");

// What a kernel is called with (the JIT kernels read it through rdi).
struct brgemm_args {
  const void* a;
  const void* b;
  void* c;
  std::int64_t count;
  const void* batch_a;  // offset: const int64_t*; address: const void* const*; stride: unused
  const void* batch_b;
  const void* bias;
  const void* d;
  void* mask;
};

}  // namespace tpp::detail
