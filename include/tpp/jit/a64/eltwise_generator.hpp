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
//   compares  gt, ge, lt, le, eq, ne into a bitmask (fcm* lane masks, weighted, summed by addv)
//   bitmasks  relu's mask out (x > 0) and relu_inv's mask in (cmtst against the lane weights)
// bf16 inputs widen at any level; bf16 output needs BF16 (bfcvtn, round to nearest even), except
// in a same-type 16-bit copy, which moves bits (uxtl in, xtn out) at every level.
// desc.stream (store_hint; set only for f32 out): each full 16-column block of out is two stnp
// (store pair, non-temporal hint); the rest of a row stays ordinary stores.
// Uses x0-x15, v0-v7 and v16-v31 only: nothing AAPCS64 asks to save.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/eltwise_desc.hpp"
#include "tpp/jit/a64/arith.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/bitmask.hpp"
#include "tpp/jit/a64/io.hpp"
#include "tpp/jit/a64/math.hpp"

namespace tpp::jit::a64 {

inline bool eltwise_supports(const detail::eltwise_desc& d) {
  if (!is_arm(d.level)) return false;
  const auto io_type = [&](dtype t) {
    return t == dtype::f32 || t == dtype::f16 || t == dtype::bf16;
  };
  const bool compare = d.fam == detail::family::binary && is_compare(d.bop());
  if (compare) return d.dst.type == dtype::bit && io_type(d.src[0].type) && io_type(d.src[1].type);
  // a bf16 out is rounded by bfcvtn (BF16), except a same-type copy, which moves bits
  if (!io_type(d.dst.type) || (d.dst.type == dtype::bf16 && d.level < isa::neon_bf16 && !detail::copies_bits(d)))
    return false;
  if (d.fam == detail::family::unary) {
    if (d.mask.type != dtype::none && d.uop() != unary_op::relu) return false;
    if (d.uop() == unary_op::zero) return true;
    if (!io_type(d.src[0].type)) return false;
    // backward: dy and the saved forward operand (relu_inv also from the forward bitmask)
    if (is_backward(d.uop()))
      return (io_type(d.src[1].type) || (d.uop() == unary_op::relu_inv && d.src[1].type == dtype::bit)) &&
             math::backward_temps(d.uop()) >= 0;
    return d.src[1].type == dtype::none && math::temps(d.uop()) >= 0;
  }
  return io_type(d.src[0].type) && io_type(d.src[1].type) && d.mask.type == dtype::none;
}

class eltwise_generator {
 public:
  explicit eltwise_generator(const detail::eltwise_desc& d) : d_(d) {
    io_.set_raw16(detail::copies_bits(d));
    emit();
  }
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
    if (d_.src[1].type == dtype::bit) {  // relu_inv: v4.. hold the bits as lane masks
      for (int k = first; k < first + count; ++k) a_.and_(v(k), v(k), v(k + 4));
      return;
    }
    if (d_.mask.type == dtype::bit) {  // relu's mask, x > 0, into v20..
      a_.movi_zero(v(28));
      for (int k = first; k < first + count; ++k) a_.fcmgt(v(20 + k), v(k), v(28));
    }
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
      if (!is_compare(d_.bop())) {
        emit_binary(a_, d_.bop(), t, a, b);
        continue;
      }
      switch (d_.bop()) {  // all-ones lanes where it holds; false for NaN except ne
        case binary_op::cmp_gt: a_.fcmgt(t, a, b); break;
        case binary_op::cmp_ge: a_.fcmge(t, a, b); break;
        case binary_op::cmp_lt: a_.fcmgt(t, b, a); break;
        case binary_op::cmp_le: a_.fcmge(t, b, a); break;
        case binary_op::cmp_eq: a_.fcmeq(t, a, b); break;
        default:
          a_.fcmeq(t, a, b);
          a_.not_(t, t);
      }
    }
  }

  void emit() {
    const xreg args = x(0), base[2] = {x(1), x(2)}, dst = x(3), rows = x(4), p[2] = {x(5), x(6)}, pd = x(7),
               cnt = x(8), mask = x(14), pm = x(15);
    const bool mask_out = d_.mask.type == dtype::bit;
    consts_.bind_base(a_, x(13));
    for (int k = 0; k < inputs(); ++k) a_.ldr(base[k], args, 8 * k);
    a_.ldr(dst, args, 16);
    if (mask_out) a_.ldr(mask, args, 24);
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
    if (mask_out) a_.add(pm, mask, 0);
    // bytes that n vectors span in an operand of type t (bitmasks: 4 bits a vector)
    const auto span = [](dtype t, int n) { return t == dtype::bit ? n / 2L : 4L * n * size_of(t); };
    // `n` vectors, the last of `last` columns: load, apply, store, advance the row pointers
    const auto step = [&](int n, int last, bool advance) {
      const auto lanes = [&](int j) { return j == n - 1 ? last : 4; };
      for (int k = 0; k < inputs(); ++k) {
        if (held(k)) continue;
        const dtype t = d_.src[k].type;
        if (t == dtype::bit) bits_.load(4 * k, n, last, p[k]);
        else
          for (int j = 0; j < n; ++j) io_.load(v(4 * k + j), t, p[k], 4L * j * size_of(t), lanes(j));
      }
      apply(0, n);
      if (d_.dst.type == dtype::bit) bits_.store(0, n, last, pd);
      else if (d_.stream && n == 4 && last == 4)  // a full block of an f32 out (store_hint): stnp pairs
        for (int j = 0; j < n; j += 2) a_.stnp_q(v(j), v(j + 1), pd, 16 * j);
      else
        for (int j = 0; j < n; ++j) io_.store(v(j), d_.dst.type, pd, 4L * j * size_of(d_.dst.type), lanes(j));
      if (mask_out) bits_.store(20, n, last, pm);
      if (!advance) return;
      for (int k = 0; k < inputs(); ++k)
        if (!held(k)) io_.add_imm(p[k], p[k], span(d_.src[k].type, n));
      io_.add_imm(pd, pd, span(d_.dst.type, n));
      if (mask_out) io_.add_imm(pm, pm, span(dtype::bit, n));
    };
    // 16 columns a step (2 mask bytes), then the rest as one group of up to 4 vectors
    const int blocks = d_.cols / 16, rest = d_.cols % 16;
    if (blocks) {
      label loop;
      a_.mov_imm(cnt, static_cast<std::uint64_t>(blocks));
      a_.bind(loop);
      step(4, 4, true);
      a_.subs(cnt, cnt, 1);
      a_.b(cond::ne, loop);
    }
    if (rest) step((rest + 3) / 4, rest % 4 ? rest % 4 : 4, false);
    // next row: + ld elements on each operand that advances (ld 0 when there is one row)
    const auto advance = [&](xreg b, int ld, dtype t) {
      if (ld) io_.add_imm(b, b, t == dtype::bit ? ld / 8L : static_cast<long>(ld) * size_of(t));
    };
    for (int k = 0; k < inputs(); ++k)
      if (d_.src[k].bcast == broadcast::none || d_.src[k].bcast == broadcast::column)
        advance(base[k], d_.src[k].ld, d_.src[k].type);
    advance(dst, d_.dst.ld, d_.dst.type);
    if (mask_out) advance(mask, d_.mask.ld, dtype::bit);
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
  bitmask_io bits_{a_, consts_, 24};  // weights in v24-v27
};

}  // namespace tpp::jit::a64
