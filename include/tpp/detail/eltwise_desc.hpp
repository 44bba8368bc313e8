// The internal, canonical key of an element-wise kernel: both families lowered to one POD with
// every default resolved, so equal kernels have equal bytes (hashed and compared as bytes).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "tpp/core/cpu.hpp"
#include "tpp/core/operand.hpp"
#include "tpp/ops/eltwise_ops.hpp"

namespace tpp::detail {

enum class family : std::uint8_t { unary = 0, binary = 1 };

struct operand_desc {
  dtype type = dtype::none;
  broadcast bcast = broadcast::none;
  std::uint16_t pad = 0;
  std::int32_t ld = 0;  // resolved: elements (bits for dtype::bit) between rows; 0 if one row
};

// An operand as given by the caller, in one word: part of the front caches' raw-params keys.
inline std::uint64_t pack(const operand& o) {
  return static_cast<std::uint64_t>(o.type) | static_cast<std::uint64_t>(o.bcast) << 8 |
         static_cast<std::uint64_t>(static_cast<std::uint32_t>(o.ld)) << 32;
}

// src[0] = in / a, src[1] = fwd / b, dst = out, mask = relu's bitmask output (type none if off).
struct eltwise_desc {
  family fam = family::unary;
  std::uint8_t op = 0;
  isa level = isa::ref;
  std::uint8_t stream = 0;  // 1: full vectors of an f32 out are streaming stores (store_hint)
  std::int32_t rows = 0, cols = 0;
  operand_desc src[2], dst, mask;
  float alpha = 0;

  unary_op uop() const { return static_cast<unary_op>(op); }
  binary_op bop() const { return static_cast<binary_op>(op); }
  const char* op_name() const { return fam == family::unary ? name(uop()) : name(bop()); }
};

// A copy between operands of one 16-bit type (bf16 or f16) moves bits: the kernels and the
// reference widen each element to a 32-bit lane by zero extension and narrow it back by
// truncation, with no conversion, so signalling NaNs keep their payloads and, where a
// conversion would flush them (vcvtneps2bf16), subnormals stay. Shapes that copy_as_pairs
// turns into f32 copies never get here; this covers odd widths, odd lds and broadcasts.
inline bool copies_bits(const eltwise_desc& d) {
  const dtype t = d.dst.type;
  return d.fam == family::unary && d.uop() == unary_op::copy && d.src[0].type == t &&
         (t == dtype::bf16 || t == dtype::f16);
}
// Whether every value the op writes to a bf16 out is a bf16 input value, zero, or NaN: relu,
// abs, negate, relu_inv (dy or 0) and max / min of bf16 inputs. The f32 -> bf16 rounding then
// only has NaNs to quieten (io::set_exact_bf16), which is what tpp::to_bf16 does with them.
// Zen 3, relu bf16 64x64: ~15 -> ~10 instructions per vector.
inline bool stores_exact_bf16(const eltwise_desc& d) {
  if (d.dst.type != dtype::bf16 || d.src[0].type != dtype::bf16) return false;
  if (d.fam == family::binary)
    return d.src[1].type == dtype::bf16 && (d.bop() == binary_op::max || d.bop() == binary_op::min);
  if (d.fam != family::unary) return false;
  switch (d.uop()) {
    case unary_op::relu: case unary_op::abs: case unary_op::negate: case unary_op::relu_inv: return true;
    default: return false;
  }
}
static_assert(std::has_unique_object_representations_v<operand_desc>, "no padding in keys");
static_assert(sizeof(eltwise_desc) == 4 + 8 + 4 * sizeof(operand_desc) + 4, "no padding in keys");

// The pointers a kernel is called with (the JIT kernels read this struct through rdi / x0).
struct eltwise_args {
  const void* src0;
  const void* src1;
  void* dst;
  void* mask;
};

}  // namespace tpp::detail
