// The ternary TPPs (DESIGN.md §4): muladd a*b + c, nmuladd c - a*b, select a != 0 ? b : c, each
// operand with its own broadcast. They are one-node equations, so they share the equation
// generator (and its tests) instead of a generator of their own.
//
//   tpp::ternary_params p;                 // out = x * scale[row broadcast] + y
//   p.op = tpp::ternary_op::muladd; p.rows = 64; p.cols = 100;
//   p.b.bcast = tpp::broadcast::row;
//   tpp::ternary_kernel k = tpp::ternary(p);
//   k(x, scale, y, out);
#pragma once

#include "tpp/ops/equation.hpp"

namespace tpp {

struct ternary_params {
  ternary_op op = ternary_op::muladd;
  int rows = 0, cols = 0;
  operand a, b, c, out;  // float types, any broadcast for a, b, c
};

class ternary_kernel {
 public:
  ternary_kernel() = default;
  explicit ternary_kernel(equation_kernel k) : k_(k) {}
  void operator()(const void* a, const void* b, const void* c, void* out) const { k_({a, b, c}, out); }
  bool jitted() const { return k_.jitted(); }

 private:
  equation_kernel k_;
};

inline ternary_kernel ternary(const ternary_params& p) {
  if (static_cast<int>(p.op) > 2) detail::fail("tpp::ternary: op = ", static_cast<int>(p.op), " is not a ternary_op");
  equation_params e;
  e.m = p.rows;
  e.n = p.cols;
  e.inputs = {p.a, p.b, p.c};
  e.out = p.out;
  e.root = ternary(p.op, arg(0), arg(1), arg(2));
  return ternary_kernel(equation(e));
}

}  // namespace tpp
