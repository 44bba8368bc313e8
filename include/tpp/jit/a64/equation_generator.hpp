// The NEON equation generator (AArch64): a whole TPP tree as one kernel, scheduled by the same
// plan as on x86 (jit/equation_plan.hpp): passes over each row, row-invariant nodes hoisted out
// of the column loop, softmax's exp stored once, registers freed after their last use.
//
//   for each row:
//     for pass q = 1 .. passes:
//       acc[r] = identity for the reductions r of pass q
//       for column blocks of u vectors of 4 lanes (a loop), then single vectors, then the last
//       1..3 columns as one exact partial access (lane_io):
//         evaluate the nodes q needs into u registers each; reductions of earlier passes are
//         read from their stack slot; acc[r] (op)= its child; last pass: store the root and
//         add the column sums' nodes into their rows (row outputs: stored as they are hoisted)
//       acc[r] -> one float per row (ext + op twice), into r's stack slot
//
// Tails: a partial vector's unused lanes hold values computed from zeros; reductions mask them
// off with a lane mask from the constant table. Row max/min use fmaxnm/fminnm (NaN skipped, as
// tpp::ref does); binary max/min use fmax/fmin (NaN propagated, as tpp::binary does).
//
// Registers: x0 args, x1 rows, x2 column (elements), x3 out, x4-x11 the inputs, x12 / x16
// addresses (x12 also a side output's), x13 the constant table, x14-x15 lane_io scratch, x17 the
// column-block counter.
// Vectors v0-v29 are the pool (v8-v15 saved and restored: AAPCS64 asks for their low halves),
// v30 / v31 the constant and mask registers of a64::math. The stack holds the saved d8-d15 and
// one f32 slot per node for reductions.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/equation_desc.hpp"
#include "tpp/jit/a64/arith.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/const_table.hpp"
#include "tpp/jit/a64/io.hpp"
#include "tpp/jit/a64/math.hpp"
#include "tpp/jit/equation_walker.hpp"

namespace tpp::jit::a64 {

// Every node of an equation has NEON code; only bf16 output needs BF16 (bfcvtn).
inline bool equation_supports(const detail::equation_desc& d) {
  if (!is_arm(d.level)) return false;
  return d.out.type != dtype::bf16 || d.level >= isa::neon_bf16;
}

class equation_generator : public equation_walker<equation_generator> {
  friend class equation_walker<equation_generator>;
  using desc = detail::equation_desc;
  static constexpr int VL = 4;          // f32 lanes per vector
  static constexpr int pool_size = 30;  // v0-v29

 public:
  // Throws out_of_registers when a pass does not fit the vector registers with its s.u (s.pins:
  // x86 only).
  equation_generator(const desc& d, const equation_schedule& s) : equation_walker(d, s, VL, pool_size) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  // node i's stack slot, above the saved d8-d15
  std::uint32_t slot(int i) const { return static_cast<std::uint32_t>(64 + 4 * i); }
  std::uint32_t frame() const { return static_cast<std::uint32_t>((64 + 4 * d_.count + 15) / 16 * 16); }

  void emit() {
    a_.sub(sp, sp, frame());
    for (int i = 8; i < 16; i += 2) a_.stp_d(v(i), v(i + 1), sp, 8 * (i - 8));
    consts_.bind_base(a_, x(13));
    a_.ldr(x(12), args_, offsetof(detail::equation_args, inputs));
    for (int k = 0; k < d_.inputs; ++k) a_.ldr(in(k), x(12), static_cast<std::uint32_t>(8 * k));
    a_.ldr(out_, args_, offsetof(detail::equation_args, out));

    // every group of rows (one row, or row_group() with column sums), then the rows left over
    // (m % group) as one shorter group
    const int group = row_group(), groups = d_.m / group, rest = d_.m % group;
    if (groups) {
      label rows;
      a_.mov_imm(row_, static_cast<std::uint64_t>(groups));
      a_.bind(rows);
      for (int q = 1; q <= plan_.passes(); ++q) walk_pass(q, group);
      if (d_.root_is_reduction()) {  // f32 (checked when lowering): one float per row
        a_.ldr_s(v(0), sp, slot(plan_.root()));
        a_.str_s(v(0), out_, 0);
      }
      for (int k = 0; k < d_.inputs; ++k) io_.add_imm(in(k), in(k), rows_bytes(d_.in[k], group));
      io_.add_imm(out_, out_, rows_bytes(d_.out, group));
      a_.subs(row_, row_, 1);
      a_.b(cond::ne, rows);
    }
    if (rest)
      for (int q = 1; q <= plan_.passes(); ++q) walk_pass(q, rest);
    for (int i = 8; i < 16; i += 2) a_.ldp_d(v(i), v(i + 1), sp, 8 * (i - 8));
    a_.add(sp, sp, frame());
    a_.ret();
    consts_.emit(a_);
  }

  // ---- the walker's hooks ---------------------------------------------------------------------
  void set_identity(int r, float value) { consts_.load(a_, v(r), value); }
  template <class Body>
  void column_loop(int blocks, int step, Body body) {
    a_.mov_imm(col_, 0);
    if (blocks == 0) return;
    a_.repeat(cnt_, static_cast<std::uint64_t>(blocks), [&] {
      body();
      a_.add(col_, col_, static_cast<std::uint32_t>(step));
    });
  }
  void before_block(int, int) {}
  // r -> out (type t) at the block's columns; the narrowing store works in place, so a kept
  // register is copied first
  void store(const regs& r, int lanes, int first, int n_last, dtype t, bool keep) {
    const int es = size_of(t);
    const int copy = keep ? alloc() : -1;
    out_address(t);
    const bool stream = streams() && p_.q == plan_.passes() && t == dtype::f32 && copy < 0;
    for (int k = 0; k < lanes; ++k) {
      if (stream && k + 1 < lanes && n_of(k + 1, lanes, n_last) == VL) {  // two full vectors
        a_.stnp_q(v(r[k]), v(r[k + 1]), x(16), (first + k * VL) * 4);
        ++k;
        continue;
      }
      if (copy >= 0) a_.orr(v(copy), v(r[k]), v(r[k]));
      io_.store(v(copy >= 0 ? copy : r[k]), t, x(16), static_cast<long>(first + k * VL) * es, n_of(k, lanes, n_last));
    }
    if (copy >= 0) release(copy);
  }

  // x12 = side output k's address, read from the call's arguments each time
  void load_side(int k) {
    a_.ldr(x(12), args_, offsetof(detail::equation_args, side));
    a_.ldr(x(12), x(12), static_cast<std::uint32_t>(8 * k));
  }
  // column sum k's row at the block's columns += r (f32); one row at a time
  void add_to_sum(int k, const regs& r, int lanes, int first, int n_last) {
    sum_address(k);
    const int t = alloc();
    for (int l = 0; l < lanes; ++l) {
      const long at = 4L * (first + l * VL);
      io_.load(v(t), dtype::f32, x(16), at, n_of(l, lanes, n_last));
      a_.fadd(v(t), v(t), v(r[l]));
      io_.store(v(t), dtype::f32, x(16), at, n_of(l, lanes, n_last));
    }
    release(t);
  }
  // r <-> column sum k's row at the block's columns (f32); a row group's sums
  void load_sum(int k, const regs& r, int lanes, int first, int n_last) {
    sum_address(k);
    for (int l = 0; l < lanes; ++l) io_.load(v(r[l]), dtype::f32, x(16), 4L * (first + l * VL), n_of(l, lanes, n_last));
  }
  void store_sum(int k, const regs& r, int lanes, int first, int n_last) {
    sum_address(k);
    for (int l = 0; l < lanes; ++l) io_.store(v(r[l]), dtype::f32, x(16), 4L * (first + l * VL), n_of(l, lanes, n_last));
  }
  // x16 = column sum k's row at the current column
  void sum_address(int k) {
    load_side(k);
    a_.add(x(16), x(12), col_, 2);
  }
  void add_lanes(const regs& acc, const regs& r, int lanes) {
    for (int l = 0; l < lanes; ++l) a_.fadd(v(acc[l]), v(acc[l]), v(r[l]));
  }

  // row output k's value for this row (every lane holds it) -> its column at the row's index
  void store_row_output(int k, int r) {
    load_side(d_.sums + k);
    a_.mov_imm(x(16), static_cast<std::uint64_t>(d_.m));
    a_.sub(x(16), x(16), row_);
    a_.add(x(16), x(12), x(16), 2);
    a_.str_s(v(r), x(16), 0);
  }

  // x16 = this row's out at the current column (the row at hand, in a group)
  void out_address(dtype t) {
    a_.add(x(16), out_, col_, log2_of(size_of(t)));
    if (const long row = row_at_hand(d_.out)) io_.add_imm(x(16), x(16), row);
  }

  // The registers holding node i for `lanes` vectors.
  regs evaluate(int i, const std::vector<regs>& val, const std::vector<bool>& live, int lanes, int first, int n_last) {
    const detail::eq_node& e = d_.nodes[i];
    const auto n_of = [&](int t) { return equation_walker::n_of(t, lanes, n_last); };
    // a child that dies here lends its registers to the result (operations work in place)
    const auto dying = [&](int c) { return equation_walker::dying(i, c, live); };
    const auto take_or_copy = [&](int c) {
      if (dying(c)) return adopt(c, val);
      regs out = alloc_lanes(lanes);
      for (int t = 0; t < lanes; ++t) a_.orr(v(out[t]), v(val[c][t]), v(val[c][t]));
      return out;
    };
    regs out{};
    if (plan_.loads_materialized(i, p_.q)) {  // stored into out by an earlier pass
      out = alloc_lanes(lanes);
      out_address(dtype::f32);
      for (int t = 0; t < lanes; ++t) io_.load(v(out[t]), dtype::f32, x(16), 4L * (first + t * VL), n_of(t));
      return out;
    }
    switch (e.kind) {
      case kind::arg: {
        out = alloc_lanes(lanes);
        const detail::operand_desc& o = d_.in[e.op];
        const int es = size_of(o.type);
        if (plan_.reads_broadcast(e.op)) {
          io_.load(v(out[0]), o.type, in(e.op), 0, 1);
          a_.dup(v(out[0]), v(out[0]), 0);
          for (int t = 1; t < lanes; ++t) a_.orr(v(out[t]), v(out[0]), v(out[0]));
          break;
        }
        a_.add(x(12), in(e.op), col_, log2_of(es));
        for (int t = 0; t < lanes; ++t)
          io_.load(v(out[t]), o.type, x(12), static_cast<long>(first + t * VL) * es + row_at_hand(o), n_of(t));
        break;
      }
      case kind::constant:
        out = alloc_lanes(lanes);
        for (int t = 0; t < lanes; ++t) consts_.load(a_, v(out[t]), e.value);
        break;
      case kind::reduce:  // an earlier pass's result for this row
        out = alloc_lanes(lanes);
        a_.ldr_s(v(out[0]), sp, slot(i));
        a_.dup(v(out[0]), v(out[0]), 0);
        for (int t = 1; t < lanes; ++t) a_.orr(v(out[t]), v(out[0]), v(out[0]));
        break;
      case kind::unary: {
        const auto op = static_cast<unary_op>(e.op);
        out = take_or_copy(e.a);
        if (is_backward(op)) {  // dx from dy (in place) and a copy of the forward operand (clobbered)
          const int temps = math::backward_temps(op);
          const std::vector<int> held = alloc_list(lanes * (temps + 1));
          std::vector<vreg> dy, fwd, free;
          for (int t = 0; t < lanes; ++t) {
            dy.push_back(v(out[t]));
            fwd.push_back(v(held[t]));
            a_.orr(fwd.back(), v(val[e.b][t]), v(val[e.b][t]));
          }
          for (std::size_t k = lanes; k < held.size(); ++k) free.push_back(v(held[k]));
          math_.apply_backward(op, e.value, dy, fwd, free);
          release_list(held);
          break;
        }
        const int temps = math::temps(op);
        const std::vector<int> held = alloc_list(lanes * std::max(temps, 0));
        math::lanes_t ls;
        for (int t = 0; t < lanes; ++t) {
          lane l{v(out[t]), {}};
          for (int k = 0; k < 6; ++k) l.t[k] = k < temps ? v(held[t * temps + k]) : l.v;
          ls.push_back(l);
        }
        if (plan_.softmax_exp(i)) math_.exp(ls, true);
        else math_.apply(op, e.value, ls);
        release_list(held);
        break;
      }
      case kind::binary: {
        if (dying(e.a)) {
          out = adopt(e.a, val);
        } else if (dying(e.b) && e.b != e.a) {
          out = adopt(e.b, val);
        } else {
          out = alloc_lanes(lanes);
        }
        for (int t = 0; t < lanes; ++t)
          emit_binary(a_, static_cast<binary_op>(e.op), v(out[t]), v(val[e.a][t]), v(val[e.b][t]));
        break;
      }
      case kind::ternary: {
        if (e.op == static_cast<int>(ternary_op::select)) {  // a != 0 ? b : c (NaN counts as true)
          out = alloc_lanes(lanes);
          for (int t = 0; t < lanes; ++t) {
            a_.movi_zero(v(out[t]));
            a_.fcmeq(v(out[t]), v(val[e.a][t]), v(out[t]));  // a == 0
            a_.bsl(v(out[t]), v(val[e.c][t]), v(val[e.b][t]));
          }
          break;
        }
        // c (+/-) a * b with one rounding: fmla / fmls accumulate into c's register
        if (dying(e.c) && e.c != e.a && e.c != e.b) {
          out = adopt(e.c, val);
        } else {
          out = alloc_lanes(lanes);
          for (int t = 0; t < lanes; ++t) a_.orr(v(out[t]), v(val[e.c][t]), v(val[e.c][t]));
        }
        for (int t = 0; t < lanes; ++t) {
          if (e.op == static_cast<int>(ternary_op::muladd)) a_.fmla(v(out[t]), v(val[e.a][t]), v(val[e.b][t]));
          else a_.fmls(v(out[t]), v(val[e.a][t]), v(val[e.b][t]));
        }
        break;
      }
    }
    return out;
  }

  // acc (op)= x for a row reduction: NaN skipped by max/min, as tpp::ref
  void combine(reduce_op op, vreg acc, vreg x) {
    if (op == reduce_op::max) a_.fmaxnm(acc, acc, x);
    else if (op == reduce_op::min) a_.fminnm(acc, acc, x);
    else a_.fadd(acc, acc, x);
  }

  // acc[i] (op)= v over the lanes; the last lane's columns past n_last are masked off
  void accumulate(int i, const regs& x, int lanes, int n_last) {
    const auto op = static_cast<reduce_op>(d_.nodes[i].op);
    for (int t = 0; t < lanes; ++t) {
      const vreg acc = v(acc_of(i)[t]), val = v(x[t]);
      if (t < lanes - 1 || n_last == VL) {
        combine(op, acc, val);
        continue;
      }
      const vreg mask = v(alloc()), tmp = v(alloc());
      std::array<std::uint32_t, 4> bits{};
      for (int l = 0; l < n_last; ++l) bits[l] = 0xFFFFFFFFu;
      consts_.load_lanes(a_, mask, bits);
      if (op == reduce_op::max || op == reduce_op::min) {
        a_.orr(tmp, acc, acc);
        a_.bit(tmp, val, mask);  // the row's lanes from val, the rest acc itself
      } else {
        a_.and_(tmp, val, mask);
      }
      combine(op, acc, tmp);
      release(tmp.idx);
      release(mask.idx);
    }
  }

  // acc lanes -> one float in slot i
  void finish_reduction(int i, const regs& acc, int u) {
    const auto op = static_cast<reduce_op>(d_.nodes[i].op);
    for (int t = 1; t < u; ++t) combine(op, v(acc[0]), v(acc[t]));
    const vreg a = v(acc[0]), tmp = v(alloc());
    a_.ext(tmp, a, a, 8);
    combine(op, a, tmp);
    a_.ext(tmp, a, a, 4);
    combine(op, a, tmp);
    if (op == reduce_op::mean) {
      consts_.load(a_, tmp, static_cast<float>(d_.n));
      a_.fdiv(a, a, tmp);
    }
    a_.str_s(a, sp, slot(i));
    release(tmp.idx);
  }

  xreg in(int k) const { return x(4 + k); }

  assembler a_;
  const_table consts_;
  lane_io io_{a_, x(14), x(15)};
  math math_{a_, consts_, v(30), v(31)};
  const xreg args_ = x(0), row_ = x(1), col_ = x(2), out_ = x(3), cnt_ = x(17);
};

}  // namespace tpp::jit::a64
