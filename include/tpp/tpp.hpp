// tpp: Tensor Processing Primitives. Include this one header.
#pragma once

// core: types, operands, errors, CPU levels
#include "tpp/version.hpp"
#include "tpp/core/cpu.hpp"
#include "tpp/core/dtype.hpp"
#include "tpp/core/error.hpp"
#include "tpp/core/operand.hpp"

// element-wise TPPs: unary and binary ops
#include "tpp/loops/batchnorm.hpp"
#include "tpp/loops/equation_rows.hpp"
#include "tpp/loops/gemm.hpp"
#include "tpp/ops/brgemm.hpp"
#include "tpp/ops/brgemm_params.hpp"
#include "tpp/ops/eltwise.hpp"
#include "tpp/ops/eltwise_ops.hpp"
#include "tpp/ops/eltwise_params.hpp"
#include "tpp/ops/equation.hpp"
#include "tpp/ops/equation_expr.hpp"
#include "tpp/ops/equation_library.hpp"
#include "tpp/ops/math_bounds.hpp"
#include "tpp/ops/transform.hpp"
#include "tpp/ops/transform_params.hpp"
#include "tpp/ops/ternary.hpp"
#include "tpp/ops/reduce.hpp"
#include "tpp/ops/reduce_params.hpp"
#include "tpp/ops/dropout.hpp"
#include "tpp/ops/quant.hpp"
#include "tpp/ops/index.hpp"
