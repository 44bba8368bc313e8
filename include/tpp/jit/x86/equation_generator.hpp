// The x86 equation generator (V = Ymm for AVX2, Zmm for AVX-512): a whole TPP tree as one kernel.
//
//   for each row:
//     for pass q = 1 .. passes:                     (the row stays in L1 between passes)
//       acc[r] = identity for the reductions r of pass q
//       for column blocks of u vectors (then single vectors, then the masked tail):
//         evaluate the nodes pass q needs, children first, each into u registers;
//         reductions of earlier passes are broadcast from their stack slot;
//         acc[r] (op)= value of r's child;   last pass: store the root
//       acc[r] -> one float per row (horizontal), into r's stack slot
//
// Registers are allocated from a pool as nodes are evaluated and freed after their last use in
// the pass; a unary op (the shared injector) or muladd reuses a child's register when that child
// dies there. The generator is built with u = 4 lanes and retried with 2 and 1 when the pool runs
// out; when even u = 1 does not fit, the equation runs the reference. The schedule (passes,
// hoisting, materialization, register lifetimes) comes from jit/equation_plan.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <vector>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/equation_desc.hpp"
#include "tpp/jit/equation_plan.hpp"
#include "tpp/jit/x86/binary_injector.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/unary_injector.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

template <class V>
class equation_generator : public Xbyak::CodeGenerator {
  static constexpr int VL = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;
  using desc = detail::equation_desc;
  using kind = detail::expr_kind;
  using regs = register_pool::regs;

 public:
  // u[q-1]: vectors per column step in pass q (1..4). Throws out_of_registers when a pass does
  // not fit the vector registers with its u.
  equation_generator(const desc& d, std::vector<int> u)
      : Xbyak::CodeGenerator(1 << 17, Xbyak::DontSetProtectRWE),
        d_(d),
        plan_(d_),
        us_(std::move(u)),
        consts_(vec<V>::bytes),
        inj_(*this, consts_),
        io_(*this, consts_, d.level >= isa::avx512_bf16, V(vec<V>::count - 1)) {
    emit();
  }
  int unroll() const { return *std::min_element(us_.begin(), us_.end()); }

 private:
  int alloc() { return pool_.alloc(); }
  void release(int r) { pool_.release(r); }
  regs alloc_lanes(int lanes) { return pool_.alloc_lanes(lanes); }
  void release_lanes(const regs& r, int lanes) { pool_.release_lanes(r, lanes); }
  int passes() const { return plan_.passes(); }
  std::vector<int> children(int i) const { return plan_.children(i); }
  bool is_leaf_in(int i, int q) const { return plan_.is_leaf_in(i, q); }

  // ---- emission -----------------------------------------------------------------------------
  void emit() {
    using namespace Xbyak;
    const bool tail_reg = !avx512 && d_.n % VL != 0;
    pool_size_ = vec<V>::count - (tail_reg ? 1 : 0);
    util::StackFrame sf(this, 1, 4 + d_.inputs, 4 * detail::equation_max_nodes, false);
    args_ = sf.p[0];
    row_ = sf.t[0];
    col_ = sf.t[1];
    out_ = sf.t[2];
    s0_ = sf.t[3];
    for (int k = 0; k < d_.inputs; ++k) in_[k] = sf.t[4 + k];

    if (const int tail = d_.n % VL) io_.set_tail(tail, s0_.cvt32());
    mov(s0_, ptr[args_ + static_cast<int>(offsetof(detail::equation_args, inputs))]);
    for (int k = 0; k < d_.inputs; ++k) mov(in_[k], ptr[s0_ + 8 * k]);
    mov(out_, ptr[args_ + static_cast<int>(offsetof(detail::equation_args, out))]);

    Label rows;
    mov(row_, d_.m);
    L(rows);
    for (int q = 1; q <= passes(); ++q) emit_pass(q);
    if (d_.root_is_reduction()) {  // f32 (checked when lowering): one float per row
      const Xbyak::Xmm x(alloc());
      vmovss(x, dword[rsp + 4 * (d_.count - 1)]);
      vmovss(dword[out_], x);
      release(x.getIdx());
    }
    for (int k = 0; k < d_.inputs; ++k) {
      const long step = static_cast<long>(d_.in[k].ld) * size_of(d_.in[k].type);
      if (step) add(in_[k], static_cast<int>(step));
    }
    if (const long step = static_cast<long>(d_.out.ld) * size_of(d_.out.type)) add(out_, static_cast<int>(step));
    dec(row_);
    jnz(rows, T_NEAR);
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  void emit_pass(int q) {
    using namespace Xbyak;
    pool_.reset(pool_size_, q);
    u_ = us_[q - 1];
    p_ = plan_.pass(q);
    // accumulators of this pass's reductions
    acc_.assign(d_.count, regs{});
    for (int i = 0; i < d_.count; ++i)
      if (plan_.reduces_in(i, q)) {
        acc_[i] = alloc_lanes(u_);
        for (int t = 0; t < u_; ++t) vmovups(V(acc_[i][t]), consts_.f(plan_.identity(i)));
      }
    hoist();
    // columns: blocks of u vectors (a loop), the remaining full vectors, the tail
    const int full = d_.n / VL, blocks = full / u_, rest = full % u_, tail = d_.n % VL;
    xor_(col_, col_);
    if (blocks > 0) {
      Label loop;
      L(loop);
      emit_block(q, u_, 0, VL);
      add(col_, u_ * VL);
      if (blocks > 1) {
        cmp(col_, blocks * u_ * VL);
        jl(loop, T_NEAR);
      }
    }
    if (rest) emit_block(q, rest, 0, VL);
    if (tail) emit_block(q, 1, rest * VL, tail);
    for (int i = 0; i < d_.count; ++i)
      if (hreg_[i] >= 0) release(hreg_[i]);
    // reductions -> slots
    for (int i = 0; i < d_.count; ++i)
      if (plan_.reduces_in(i, q)) {
        finish_reduction(i);
        release_lanes(acc_[i], u_);
      }
  }

  // Row-invariant nodes (constants, column/scalar args, finished reductions and ops of those only,
  // e.g. LayerNorm's rsqrt(var + eps)) are evaluated once per row and pass, before the column
  // loop; the ones a per-column node reads stay in a register (hreg_) for the whole sweep.
  void hoist() {
    hreg_.assign(d_.count, -1);
    const std::vector<bool>& kept = p_.kept;
    std::vector<regs> val(d_.count);
    std::vector<bool> live(d_.count, false);
    keep_ = &kept;
    for (int i = 0; i < d_.count; ++i) {
      if (!p_.hoisted[i]) continue;
      reused_ = -1;
      val[i] = evaluate(i, val, live, 1, 0, [](int) { return VL; });
      live[i] = true;
      if (reused_ >= 0) live[reused_] = false;
    }
    keep_ = nullptr;
    for (int i = 0; i < d_.count; ++i) {
      if (!live[i]) continue;
      if (kept[i]) hreg_[i] = val[i][0];
      else release(val[i][0]);
    }
  }

  // `lanes` vectors from column col + first (elements); the last lane holds n_last columns.
  void emit_block(int q, int lanes, int first, int n_last) {
    std::vector<regs> val(d_.count);
    std::vector<bool> live(d_.count, false);
    const auto n_of = [&](int t) { return t == lanes - 1 ? n_last : VL; };
    for (int i = 0; i < d_.count; ++i)
      if (hreg_[i] >= 0) val[i] = regs{hreg_[i], hreg_[i], hreg_[i], hreg_[i]};
    // With several passes the first one reads a row cold; the last pass (the row is in L1
    // by then) prefetches the next row of every full input, one line per 64 bytes.
    if (q == passes() && passes() > 1 && d_.m > 1)
      for (int k = 0; k < d_.inputs; ++k) {
        const detail::operand_desc& o = d_.in[k];
        if (o.bcast != broadcast::none) continue;
        const int es = size_of(o.type);
        for (int b = 0; b < lanes * VL * es; b += 64)
          prefetcht0(ptr[in_[k] + col_ * es + (static_cast<long>(o.ld) + first) * es + b]);
      }
    for (int i = 0; i < d_.count; ++i) {
      if (!p_.need[i] || p_.hoisted[i]) continue;
      const detail::eq_node& e = d_.nodes[i];
      if (e.kind == kind::reduce && e.pass == q) {
        accumulate(i, val[e.a], lanes, n_of);
      } else {
        reused_ = -1;
        val[i] = evaluate(i, val, live, lanes, first, n_of);
        live[i] = true;
        if (reused_ >= 0) live[reused_] = false;  // its registers now hold node i
        if (plan_.stores_materialized(i, q))
          for (int t = 0; t < lanes; ++t)
            io_.store(V(val[i][t]), dtype::f32, out_ + col_ * 4 + (first + t * VL) * 4, n_of(t), V(0), V(0));
      }
      // children whose last reader is i
      if (!is_leaf_in(i, q))
        for (int c : children(i))
          if (live[c] && p_.last_use[c] == i) {
            release_lanes(val[c], lanes);
            live[c] = false;
          }
    }
    if (q == passes() && !d_.root_is_reduction()) {
      const int r = d_.count - 1;
      const int t0 = alloc(), t1 = alloc();
      const int copy = p_.hoisted[r] ? alloc() : -1;
      for (int t = 0; t < lanes; ++t) {
        if (copy >= 0) vmovaps(V(copy), V(hreg_[r]));  // the store may clobber what it stores
        io_.store(V(copy >= 0 ? copy : val[r][t]), d_.out.type, out_ + col_ * size_of(d_.out.type) + (first + t * VL) * size_of(d_.out.type),
                  n_of(t), V(t0), V(t1));
      }
      if (copy >= 0) release(copy);
      release(t0);
      release(t1);
    }
    for (int i = 0; i < d_.count; ++i)
      if (live[i]) release_lanes(val[i], lanes);
  }

  // The registers holding node i for `lanes` vectors.
  template <class NOf>
  regs evaluate(int i, std::vector<regs>& val, const std::vector<bool>& live, int lanes, int first, NOf n_of) {
    using namespace Xbyak;
    const detail::eq_node& e = d_.nodes[i];
    // a child that dies here lends its registers to the result (operations work in place)
    const auto dying = [&](int c) { return live[c] && p_.last_use[c] == i && !(keep_ && (*keep_)[c]); };
    regs out{};
    if (plan_.loads_materialized(i, p_.q)) {  // stored into out by an earlier pass
      out = alloc_lanes(lanes);
      for (int t = 0; t < lanes; ++t) io_.load(V(out[t]), dtype::f32, out_ + col_ * 4 + (first + t * VL) * 4, n_of(t));
      return out;
    }
    switch (e.kind) {
      case kind::arg: {
        out = alloc_lanes(lanes);
        const detail::operand_desc& o = d_.in[e.op];
        const int es = size_of(o.type);
        for (int t = 0; t < lanes; ++t) {
          if (o.bcast == broadcast::column || o.bcast == broadcast::scalar)
            io_.load_broadcast(V(out[t]), o.type, in_[e.op], s0_.cvt32());
          else
            io_.load(V(out[t]), o.type, in_[e.op] + col_ * es + (first + t * VL) * es, n_of(t));
        }
        break;
      }
      case kind::constant:
        out = alloc_lanes(lanes);
        for (int t = 0; t < lanes; ++t) vmovups(V(out[t]), consts_.f(e.value));
        break;
      case kind::reduce:  // an earlier pass's result for this row
        out = alloc_lanes(lanes);
        for (int t = 0; t < lanes; ++t) vbroadcastss(V(out[t]), dword[rsp + 4 * i]);
        break;
      case kind::unary: {
        if (dying(e.a)) {
          out = val[e.a];
          reused_ = e.a;
        } else {
          out = alloc_lanes(lanes);
          for (int t = 0; t < lanes; ++t) vmovaps(V(out[t]), V(val[e.a][t]));
        }
        const int temps = injector_temps(static_cast<unary_op>(e.op));
        typename math<V>::lanes_t ls;
        std::vector<int> held;
        for (int t = 0; t < lanes; ++t) {
          lane<V> l = math<V>::make_lane(V(out[t]), {});
          for (int k = 0; k < 6; ++k) {
            if (k < temps) {
              held.push_back(alloc());
              l.t[k] = V(held.back());
            } else {
              l.t[k] = l.v;
            }
          }
          ls.push_back(l);
        }
        if (e.op == static_cast<int>(unary_op::exp) && plan_.max_shifted(e.a)) inj_.maths().exp(ls, true);
        else inj_.apply(static_cast<unary_op>(e.op), e.value, ls);
        for (int r : held) release(r);
        break;
      }
      case kind::binary: {
        const auto op = static_cast<binary_op>(e.op);
        if (dying(e.a)) {
          out = val[e.a];
          reused_ = e.a;
        } else if (dying(e.b) && e.b != e.a) {
          out = val[e.b];
          reused_ = e.b;
        } else {
          out = alloc_lanes(lanes);
        }
        const int temps = binary_temps(op);
        const int t1 = temps ? alloc() : 0, t2 = temps ? alloc() : 0;
        for (int t = 0; t < lanes; ++t)
          emit_binary<V>(*this, op, V(out[t]), V(val[e.a][t]), V(val[e.b][t]), V(t1), V(t2));
        if (temps) {
          release(t1);
          release(t2);
        }
        break;
      }
      case kind::ternary: {  // out = c (+/-) a * b with one rounding, or a != 0 ? b : c
        if (e.op == static_cast<int>(ternary_op::select)) {
          out = alloc_lanes(lanes);
          const V t(alloc());
          for (int l = 0; l < lanes; ++l) {
            vxorps(t, t, t);
            if constexpr (avx512) {
              vcmpps(Opmask(2), V(val[e.a][l]), t, 0x04 /*NEQ_UQ: NaN counts as true*/);
              vblendmps(V(out[l]) | Opmask(2), V(val[e.c][l]), V(val[e.b][l]));
            } else {
              vcmpps(t, V(val[e.a][l]), t, 0x04);
              vblendvps(V(out[l]), V(val[e.c][l]), V(val[e.b][l]), t);
            }
          }
          release(t.getIdx());
          break;
        }
        if (dying(e.c) && e.c != e.a && e.c != e.b) {
          out = val[e.c];
          reused_ = e.c;
        } else {
          out = alloc_lanes(lanes);
          for (int t = 0; t < lanes; ++t) vmovaps(V(out[t]), V(val[e.c][t]));
        }
        for (int t = 0; t < lanes; ++t) {
          if (e.op == static_cast<int>(ternary_op::muladd)) vfmadd231ps(V(out[t]), V(val[e.a][t]), V(val[e.b][t]));
          else vfnmadd231ps(V(out[t]), V(val[e.a][t]), V(val[e.b][t]));
        }
        break;
      }
    }
    return out;
  }

  // acc[i] (op)= v over the lanes; tail lanes keep the identity
  template <class NOf>
  void accumulate(int i, const regs& v, int lanes, NOf n_of) {
    using namespace Xbyak;
    const auto op = static_cast<reduce_op>(d_.nodes[i].op);
    for (int t = 0; t < lanes; ++t) {
      const V acc(acc_[i][t]), x(v[t]);
      const bool part = n_of(t) < VL;
      if constexpr (avx512) {
        const V a = part ? V(acc | Opmask(1)) : acc;
        if (op == reduce_op::max) vmaxps(a, x, acc);  // a NaN x leaves acc (NaN skipped)
        else if (op == reduce_op::min) vminps(a, x, acc);
        else vaddps(a, acc, x);
      } else {
        if (!part) {
          if (op == reduce_op::max) vmaxps(acc, x, acc);
          else if (op == reduce_op::min) vminps(acc, x, acc);
          else vaddps(acc, acc, x);
          continue;
        }
        const V tmp(alloc()), mask(vec<V>::count - 1);
        if (op == reduce_op::max || op == reduce_op::min) {
          vblendvps(tmp, acc, x, mask);  // tail lanes: acc itself
          if (op == reduce_op::max) vmaxps(acc, tmp, acc);
          else vminps(acc, tmp, acc);
        } else {
          vandps(tmp, x, mask);
          vaddps(acc, acc, tmp);
        }
        release(tmp.getIdx());
      }
    }
  }

  // acc lanes -> one float in slot i
  void finish_reduction(int i) {
    using namespace Xbyak;
    const auto op = static_cast<reduce_op>(d_.nodes[i].op);
    const auto combine = [&](const Xmm& a, const Xmm& b) {
      if (op == reduce_op::max) vmaxps(a, b, a);
      else if (op == reduce_op::min) vminps(a, b, a);
      else vaddps(a, a, b);
    };
    const regs& acc = acc_[i];
    for (int t = 1; t < u_; ++t) combine(V(acc[0]), V(acc[t]));
    const int tmp = alloc();
    if constexpr (avx512) {
      vextractf32x8(Ymm(tmp), Zmm(acc[0]), 1);
      combine(Ymm(acc[0]), Ymm(tmp));
      vextractf32x4(Xmm(tmp), Ymm(acc[0]), 1);
    } else {
      vextractf128(Xmm(tmp), Ymm(acc[0]), 1);
    }
    const Xmm x(acc[0]), y(tmp);
    combine(x, y);
    vmovhlps(y, y, x);
    combine(x, y);
    vmovshdup(y, x);
    combine(x, y);
    if (op == reduce_op::mean) vdivss(x, x, consts_.f(static_cast<float>(d_.n)));
    vmovss(dword[rsp + 4 * i], x);
    release(tmp);
  }

  const desc d_;
  const equation_plan plan_;
  const std::vector<int> us_;
  int u_ = 1;  // the current pass's
  const_table consts_;
  unary_injector<V> inj_;
  io<V> io_;
  equation_pass p_;  // the pass being emitted
  register_pool pool_;
  int pool_size_ = 0;
  std::vector<regs> acc_;
  int reused_ = -1;
  std::vector<int> hreg_;                   // hoisted nodes kept for the sweep: their register
  const std::vector<bool>* keep_ = nullptr;  // while hoisting: nodes that must survive it
  Xbyak::Reg64 args_, row_, col_, out_, s0_, in_[detail::equation_max_inputs];
};

}  // namespace tpp::jit::x86
