// Reference for TPP equations: the DAG evaluated node by node over the whole m x n block in f32,
// each node through the scalar reference of its TPP (the oracle and the fallback).
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "tpp/core/dtype.hpp"
#include "tpp/detail/equation_desc.hpp"
#include "tpp/ref/eltwise.hpp"
#include "tpp/ref/scalar_math.hpp"

namespace tpp::ref {

// One row reduction of f32 values, as the JIT defines it: sums in double (the JIT's f32 sums are
// within the tolerance the tests derive), max/min skipping NaN.
inline float reduce_row(reduce_op op, const float* v, int n) {
  if (op == reduce_op::sum || op == reduce_op::mean) {
    double s = 0;
    for (int j = 0; j < n; ++j) s += v[j];
    return op == reduce_op::sum ? static_cast<float>(s) : static_cast<float>(s) / static_cast<float>(n);
  }
  float r = op == reduce_op::max ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  for (int j = 0; j < n; ++j) r = op == reduce_op::max ? std::fmax(r, v[j]) : std::fmin(r, v[j]);
  return r;
}

inline void equation(const detail::equation_desc& d, const detail::equation_args& a) {
  using detail::expr_kind;
  const long m = d.m, n = d.n;
  std::vector<std::vector<float>> val(d.count, std::vector<float>(static_cast<std::size_t>(m * n)));
  for (int i = 0; i < d.count; ++i) {
    const detail::eq_node& e = d.nodes[i];
    std::vector<float>& out = val[i];
    for (long r = 0; r < m; ++r) {
      float* o = out.data() + r * n;
      const float* x = val[e.a].data() + r * n;
      const float* y = val[e.b].data() + r * n;
      const float* z = val[e.c].data() + r * n;
      switch (e.kind) {
        case expr_kind::arg: {
          const detail::operand_desc& od = d.in[e.op];
          for (long j = 0; j < n; ++j) o[j] = load_as_f32(a.inputs[e.op], od.type, detail_::index_of(od, r, j));
          break;
        }
        case expr_kind::constant:
          for (long j = 0; j < n; ++j) o[j] = e.value;
          break;
        case expr_kind::unary:
          if (is_backward(static_cast<unary_op>(e.op)))
            for (long j = 0; j < n; ++j) o[j] = unary_backward(static_cast<unary_op>(e.op), x[j], y[j], e.value);
          else
            for (long j = 0; j < n; ++j) o[j] = unary_forward(static_cast<unary_op>(e.op), x[j], e.value);
          break;
        case expr_kind::binary:
          for (long j = 0; j < n; ++j) o[j] = binary_value(static_cast<binary_op>(e.op), x[j], y[j]);
          break;
        case expr_kind::ternary:  // muladd/nmuladd: one rounding, as the JIT's FMA
          for (long j = 0; j < n; ++j)
            o[j] = e.op == 0 ? std::fma(x[j], y[j], z[j]) : e.op == 1 ? std::fma(-x[j], y[j], z[j]) : (x[j] != 0 ? y[j] : z[j]);
          break;
        case expr_kind::reduce: {
          const float v = reduce_row(static_cast<reduce_op>(e.op), x, static_cast<int>(n));
          for (long j = 0; j < n; ++j) o[j] = v;
          break;
        }
      }
    }
  }
  // column sums: f32, row after row, added to what the rows hold (as the JIT adds them)
  for (int k = 0; k < d.sums; ++k) {
    float* s = static_cast<float*>(a.side[k]);
    const std::vector<float>& v = val[d.sum_node[k]];
    for (long r = 0; r < m; ++r)
      for (long j = 0; j < n; ++j) s[j] += v[r * n + j];
  }
  const std::vector<float>& root = val[d.root_node];
  // row outputs: each row's (row-invariant) value, one f32 per row
  for (int k = 0; k < d.row_outs; ++k)
    for (long r = 0; r < m; ++r) static_cast<float*>(a.side[d.sums + k])[r] = val[d.row_node[k]][r * n];
  if (d.out.type == dtype::none) return;  // side outputs only
  if (d.root_is_reduction()) {
    for (long r = 0; r < m; ++r) store_from_f32(a.out, d.out.type, r * d.out.ld, root[r * n]);
  } else {
    for (long r = 0; r < m; ++r)
      for (long j = 0; j < n; ++j) store_from_f32(a.out, d.out.type, r * d.out.ld + j, root[r * n + j]);
  }
}

}  // namespace tpp::ref
