// The NEON element-wise generator (AArch64): the unary and binary TPPs that NEON does in a few
// exact instructions, on f32, bf16 and f16 operands with any input broadcast.
//
//   for each row:  16 columns at a time (4 vectors: load, op, store), then 4 at a time, then
//                  the last 1..3 columns as one exact partial access (lane_io), so no access
//                  leaves an operand
//   broadcasts:    row     the same pointer every row
//                  column  one value per row, loaded and duplicated before the row's columns
//                  scalar  one value, duplicated once before the rows
//
//   unary   zero, and every activation through the shared injector (a64/math.hpp): copy, negate,
//           abs, square, sqrt, rsqrt (fsqrt + fdiv), reciprocal (fdiv), relu, leaky_relu are
//           IEEE-exact, so bit-identical to tpp::ref; exp, tanh, sigmoid, gelu_tanh, gelu_erf,
//           erf, elu are within the bounds of tpp/ops/math_bounds.hpp. Constants in a table
//           after the code.
//   binary  add, sub, mul, div, max, min (fmax / fmin propagate NaN, as tpp::binary does)
//
//   backward  relu_inv .. sigmoid_inv from dy and the saved forward operand (f32/bf16/f16; the
//           x86 formulas in the same op order)
// bf16 inputs widen at any level; bf16 output needs BF16 (bfcvtn, round to nearest even). The
// rest (compares, the relu bitmask in and out) runs the reference.
// Uses x0-x13, v0-v7 and v16-v31 only: nothing AAPCS64 asks to save.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/eltwise_desc.hpp"
#include "tpp/jit/a64/arith.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/io.hpp"
#include "tpp/jit/a64/math.hpp"

namespace tpp::jit::a64 {

inline bool eltwise_supports(const detail::eltwise_desc& d) {
  if (!is_arm(d.level) || d.mask.type != dtype::none) return false;
  const auto io_type = [&](dtype t) {
    return t == dtype::f32 || t == dtype::f16 || t == dtype::bf16;
  };
  if (!io_type(d.dst.type) || (d.dst.type == dtype::bf16 && d.level < isa::neon_bf16)) return false;
  if (d.fam == detail::family::unary) {
    if (d.uop() == unary_op::zero) return true;
    if (!io_type(d.src[0].type)) return false;
    // backward: dy and the saved forward operand (a relu bitmask runs the reference)
    if (is_backward(d.uop())) return io_type(d.src[1].type) && math::backward_temps(d.uop()) >= 0;
    return d.src[1].type == dtype::none && math::temps(d.uop()) >= 0;
  }
  if (!io_type(d.src[0].type) || !io_type(d.src[1].type)) return false;
  return static_cast<int>(d.bop()) <= static_cast<int>(binary_op::min);
}

class eltwise_generator {
 public:
  explicit eltwise_generator(const detail::eltwise_desc& d) : d_(d) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  bool binary() const { return d_.fam == detail::family::binary; }
  int inputs() const {
    if (binary() || is_backward(d_.uop())) return 2;
    return d_.uop() == unary_op::zero ? 0 : 1;
  }
  // input k held in a register for the whole row (column broadcast) or kernel (scalar)
  bool held(int k) const {
    return d_.src[k].bcast == broadcast::column || d_.src[k].bcast == broadcast::scalar;
  }
  vreg held_reg(int k) const { return v(16 + k); }

  // v[first .. first+count) = the activation of themselves (a64::math), in groups of lanes
  // whose temporaries fit the free registers (v4-v7, v17-v29; v16 may hold the broadcast input)
  void apply_unary(int first, int count) {
    std::vector<vreg> values, fwd, free;
    for (int k = first; k < first + count; ++k) {
      if (d_.uop() == unary_op::zero) a_.movi_zero(v(k));
      else if (held(0)) a_.orr(v(k), held_reg(0), held_reg(0));
      values.push_back(v(k));
    }
    if (d_.uop() == unary_op::zero) return;
    if (is_backward(d_.uop())) {  // the forward operand in v4-v7 (clobbered, so a held one is copied)
      for (int k = first; k < first + count; ++k) {
        if (held(1)) a_.orr(v(k + 4), held_reg(1), held_reg(1));
        fwd.push_back(v(k + 4));
      }
      for (int r = 18; r <= 29; ++r) free.push_back(v(r));
      math_.apply_backward(d_.uop(), d_.alpha, values, fwd, free);
      return;
    }
    for (int r : {4, 5, 6, 7}) free.push_back(v(r));
    for (int r = 17; r <= 29; ++r) free.push_back(v(r));
    math_.apply(d_.uop(), d_.alpha, values, free);
  }

  // v[first .. first+count) (op)= the second operand (v[k + 4] or its held register)
  void apply(int first, int count) {
    if (!binary()) return apply_unary(first, count);
    for (int k = first; k < first + count; ++k) {
      const vreg t = v(k);
      const vreg a = held(0) ? held_reg(0) : t, b = held(1) ? held_reg(1) : v(k + 4);
      emit_binary(a_, d_.bop(), t, a, b);
    }
  }

  // input k: `vecs` full vectors (lanes 4) or one partial vector into v[dst..], from p at
  // column offset `col` (elements) of the current row
  void load_input(int k, int dst, int vecs, int lanes, xreg p) {
    const dtype t = d_.src[k].type;
    for (int j = 0; j < vecs; ++j) io_.load(v(dst + j), t, p, 4L * j * size_of(t), lanes);
  }

  void emit() {
    const xreg args = x(0), base[2] = {x(1), x(2)}, dst = x(3), rows = x(4), p[2] = {x(5), x(6)}, pd = x(7),
               cnt = x(8);
    consts_.bind_base(a_, x(13));
    for (int k = 0; k < inputs(); ++k) a_.ldr(base[k], args, 8 * k);
    a_.ldr(dst, args, 16);
    const auto hold = [&](int k) {  // column / scalar value -> every lane of its register
      io_.load(held_reg(k), d_.src[k].type, base[k], 0, 1);
      a_.dup(held_reg(k), held_reg(k), 0);
    };
    for (int k = 0; k < inputs(); ++k)
      if (d_.src[k].bcast == broadcast::scalar) hold(k);
    a_.mov_imm(rows, static_cast<std::uint64_t>(d_.rows));
    label row;
    a_.bind(row);
    for (int k = 0; k < inputs(); ++k) {
      if (d_.src[k].bcast == broadcast::column) hold(k);
      else if (!held(k)) a_.add(p[k], base[k], 0);
    }
    a_.add(pd, dst, 0);
    const int blocks = d_.cols / 16, vecs = (d_.cols % 16) / 4, tail = d_.cols % 4;
    // `n` vectors of `lanes` columns: load, apply, store, advance the row pointers
    const auto step = [&](int n, int lanes) {
      for (int k = 0; k < inputs(); ++k)
        if (!held(k)) load_input(k, 4 * k, n, lanes, p[k]);
      apply(0, n);
      for (int j = 0; j < n; ++j) io_.store(v(j), d_.dst.type, pd, 4L * j * size_of(d_.dst.type), lanes);
      if (lanes < 4) return;  // the row's last access
      for (int k = 0; k < inputs(); ++k)
        if (!held(k)) io_.add_imm(p[k], p[k], 4L * n * size_of(d_.src[k].type));
      io_.add_imm(pd, pd, 4L * n * size_of(d_.dst.type));
    };
    if (blocks) {
      label loop;
      a_.mov_imm(cnt, static_cast<std::uint64_t>(blocks));
      a_.bind(loop);
      step(4, 4);
      a_.subs(cnt, cnt, 1);
      a_.b(cond::ne, loop);
    }
    for (int j = 0; j < vecs; ++j) step(1, 4);
    if (tail) step(1, tail);
    // next row: + ld elements on each operand that advances (ld 0 when there is one row)
    const auto advance = [&](xreg b, int ld, dtype t) {
      if (ld) io_.add_imm(b, b, static_cast<long>(ld) * size_of(t));
    };
    for (int k = 0; k < inputs(); ++k)
      if (d_.src[k].bcast == broadcast::none || d_.src[k].bcast == broadcast::column)
        advance(base[k], d_.src[k].ld, d_.src[k].type);
    advance(dst, d_.dst.ld, d_.dst.type);
    a_.subs(rows, rows, 1);
    a_.b(cond::ne, row);
    a_.ret();
    consts_.emit(a_);
  }

  const detail::eltwise_desc d_;
  assembler a_;
  lane_io io_{a_, x(10), x(11)};
  const_table consts_;
  math math_{a_, consts_, v(30), v(31)};
};

}  // namespace tpp::jit::a64
