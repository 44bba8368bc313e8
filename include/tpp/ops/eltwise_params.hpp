// What a caller fills in to get an element-wise kernel: one params struct per family.
#pragma once

#include <optional>

#include "tpp/core/cache.hpp"
#include "tpp/core/operand.hpp"
#include "tpp/ops/eltwise_ops.hpp"

namespace tpp {

// out[rows x cols] = op(in). See unary_op for what `fwd`, `mask` and `alpha` mean per op.
struct unary_params {
  unary_op op = unary_op::copy;
  int rows = 0, cols = 0;
  operand in;                         // x (dy for backward ops); any broadcast
  operand out;                        // y (dx); no broadcast
  operand fwd{dtype::none};           // backward ops: saved x or y; relu_inv may take the bitmask
  operand mask{dtype::none};          // relu only: dtype::bit also writes the bitmask (x > 0)
  std::optional<float> alpha;         // leaky_relu / elu slope; default from default_alpha(op)
  store_hint store = store_hint::automatic;  // streaming stores of an f32 out (tpp/core/cache.hpp)
};

// out[rows x cols] = a (op) b, each input with its own broadcast; compares write out as a bitmask.
struct binary_params {
  binary_op op = binary_op::add;
  int rows = 0, cols = 0;
  operand a, b, out;
  store_hint store = store_hint::automatic;  // streaming stores of an f32 out (tpp/core/cache.hpp)
};

}  // namespace tpp
