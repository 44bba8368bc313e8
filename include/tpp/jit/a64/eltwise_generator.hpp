// The NEON element-wise generator (AArch64): f32 operands without broadcast, the ops NEON does in
// one instruction. Everything else runs the reference on AArch64 for now.
//
//   for each row:  16 columns at a time (ld1 {v0-v3}, op, st1 {v0-v3}), then 4 at a time, then
//                  single elements (ldr s / str s), so no access leaves an operand
//
//   unary   copy, negate (fneg), abs (fabs), square (fmul x, x), sqrt (fsqrt), relu (fmax x, 0)
//   binary  add, sub, mul, div, max, min (fmax/fmin propagate NaN, as tpp::binary does)
//
// Uses x0-x9 and v0-v7, v31 only: nothing AAPCS64 asks to save.
#pragma once

#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/eltwise_desc.hpp"
#include "tpp/jit/a64/arith.hpp"
#include "tpp/jit/a64/assembler.hpp"

namespace tpp::jit::a64 {

inline bool eltwise_supports(const detail::eltwise_desc& d) {
  if (!is_arm(d.level)) return false;
  const auto plain_f32 = [](const detail::operand_desc& o) { return o.type == dtype::f32 && o.bcast == broadcast::none; };
  if (!plain_f32(d.dst) || d.mask.type != dtype::none || !plain_f32(d.src[0])) return false;
  if (d.fam == detail::family::unary) {
    switch (d.uop()) {
      case unary_op::copy: case unary_op::negate: case unary_op::abs: case unary_op::square:
      case unary_op::sqrt: case unary_op::relu: return d.src[1].type == dtype::none;
      default: return false;
    }
  }
  switch (d.bop()) {
    case binary_op::add: case binary_op::sub: case binary_op::mul: case binary_op::div:
    case binary_op::max: case binary_op::min: return plain_f32(d.src[1]);
    default: return false;
  }
}

class eltwise_generator {
 public:
  explicit eltwise_generator(const detail::eltwise_desc& d) : d_(d) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  bool binary() const { return d_.fam == detail::family::binary; }

  // v[first .. first+count) (op)= v[first+4 ..]
  void apply(int first, int count) {
    for (int k = first; k < first + count; ++k) {
      const vreg t = v(k), o = v(k + 4);
      if (binary()) {
        emit_binary(a_, d_.bop(), t, t, o);
        continue;
      }
      switch (d_.uop()) {
        case unary_op::negate: a_.fneg(t, t); break;
        case unary_op::abs: a_.fabs(t, t); break;
        case unary_op::square: a_.fmul(t, t, t); break;
        case unary_op::sqrt: a_.fsqrt(t, t); break;
        case unary_op::relu: a_.fmax(t, t, v(31)); break;  // NaN kept
        default: break;                                    // copy
      }
    }
  }

  void emit() {
    const xreg args = x(0), s0 = x(1), s1 = x(2), dst = x(3), rows = x(4), p0 = x(5), p1 = x(6), pd = x(7),
               cnt = x(8), tmp = x(9);
    a_.ldr(s0, args, 0);
    if (binary()) a_.ldr(s1, args, 8);
    a_.ldr(dst, args, 16);
    if (!binary() && d_.uop() == unary_op::relu) a_.movi_zero(v(31));
    a_.mov_imm(rows, static_cast<std::uint64_t>(d_.rows));
    label row;
    a_.bind(row);
    a_.add(p0, s0, 0);
    if (binary()) a_.add(p1, s1, 0);
    a_.add(pd, dst, 0);
    const int blocks = d_.cols / 16, vecs = (d_.cols % 16) / 4, tail = d_.cols % 4;
    if (blocks) {
      label loop;
      a_.mov_imm(cnt, static_cast<std::uint64_t>(blocks));
      a_.bind(loop);
      a_.ld1(v(0), p0, 64, 4);
      if (binary()) a_.ld1(v(4), p1, 64, 4);
      apply(0, 4);
      a_.st1(v(0), pd, 64, 4);
      a_.subs(cnt, cnt, 1);
      a_.b(cond::ne, loop);
    }
    for (int k = 0; k < vecs; ++k) {
      a_.ld1(v(0), p0, 16);
      if (binary()) a_.ld1(v(4), p1, 16);
      apply(0, 1);
      a_.st1(v(0), pd, 16);
    }
    for (int k = 0; k < tail; ++k) {
      a_.ldr_s(v(0), p0, static_cast<std::uint32_t>(4 * k));
      if (binary()) a_.ldr_s(v(4), p1, static_cast<std::uint32_t>(4 * k));
      apply(0, 1);
      a_.str_s(v(0), pd, static_cast<std::uint32_t>(4 * k));
    }
    // next row: + ld * 4 bytes on each operand (ld 0 when there is one row)
    const auto advance = [&](xreg base, int ld) {
      if (!ld) return;
      a_.mov_imm(tmp, static_cast<std::uint64_t>(ld) * 4);
      a_.add(base, base, tmp);
    };
    advance(s0, d_.src[0].ld);
    if (binary()) advance(s1, d_.src[1].ld);
    advance(dst, d_.dst.ld);
    a_.subs(rows, rows, 1);
    a_.b(cond::ne, row);
    a_.ret();
  }

  const detail::eltwise_desc d_;
  assembler a_;
};

}  // namespace tpp::jit::a64
