// The x86 equation generator (V = Ymm for AVX2, Zmm for AVX-512): a whole TPP tree as one kernel.
//
//   for each row:
//     for pass q = 1 .. passes:                     (the row stays in L1 between passes)
//       acc[r] = identity for the reductions r of pass q
//       for column blocks of u vectors (then single vectors, then the masked tail):
//         evaluate the nodes pass q needs, children first, each into u registers;
//         reductions of earlier passes are broadcast from their stack slot;
//         acc[r] (op)= value of r's child;   last pass: store the root, add the column
//         sums' nodes into their rows (load, add, store)
//       acc[r] -> one float per row (horizontal), into r's stack slot
//     (last pass, before its columns: the row outputs, one float each, as they are hoisted)
//
// A streaming root (desc.stream, store_hint; not when out holds a materialized node) stores the
// last pass's full vectors with vmovntps, in the streaming copy of the row loop that
// emit_streaming_split (loops.hpp) picks at run time (rows start 64 bytes apart: lower() checks).
//
// Registers are allocated from a pool as nodes are evaluated and freed after their last use in
// the pass; a unary op (the shared injector) or muladd reuses a child's register when that child
// dies there. The generator is built with u = 4 lanes and retried with 2 and 1 when the pool runs
// out; when even u = 1 does not fit, the equation runs the reference. The schedule (passes,
// hoisting, materialization) and the register lifetimes are the walker's (jit/equation_walker.hpp,
// shared with the A64 generator); this file holds the x86 instructions only.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/equation_desc.hpp"
#include "tpp/jit/equation_walker.hpp"
#include "tpp/jit/x86/binary_injector.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/lane_fold.hpp"
#include "tpp/jit/x86/loops.hpp"
#include "tpp/jit/x86/staging.hpp"
#include "tpp/jit/x86/unary_injector.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

template <class V>
class equation_generator : public Xbyak::CodeGenerator, public equation_walker<equation_generator<V>> {
  using walker = equation_walker<equation_generator<V>>;
  friend walker;
  static constexpr int VL = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;
  using desc = detail::equation_desc;
  using kind = detail::expr_kind;
  using regs = register_pool::regs;
  using walker::d_, walker::plan_, walker::p_, walker::alloc, walker::u_, walker::release, walker::alloc_lanes,
      walker::adopt, walker::walk_pass, walker::rows_bytes, walker::row_at_hand;

 public:
  // Throws out_of_registers when a pass does not fit the vector registers with its s.u. s.pins
  // (empty: none): a first build's spare_registers() are safe to give.
  equation_generator(const desc& d, const equation_schedule& s)
      : Xbyak::CodeGenerator(1 << 17, Xbyak::DontSetProtectRWE, staging()),
        walker(d, s, VL, pool_size(d)),
        pins_(s.pins),
        consts_(vec<V>::bytes),
        inj_(*this, consts_),
        io_(*this, consts_, d.level >= isa::avx512_bf16, V(vec<V>::count - 1)) {
    emit();
  }
  // Whether some pass has activation constants that spare registers could hold.
  bool has_pinnable_activations() const { return pinnable_; }

 private:
  // AVX2 keeps the tail's lane mask in the last register
  static int pool_size(const desc& d) { return vec<V>::count - (!avx512 && d.n % VL != 0 ? 1 : 0); }

  // ---- emission -----------------------------------------------------------------------------
  void emit() {
    using namespace Xbyak;
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
    emit_streaming_split(*this, walker::streams(), out_, std::vector<Reg64>(in_, in_ + d_.inputs), vec<V>::bytes,
                         stream_, [&] { emit_rows(); });
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  // every group of rows (one row, or row_group() with column sums): its passes, then the
  // pointers move past it; the rows left over (m % group) as one shorter group at the end
  void emit_rows() {
    using namespace Xbyak;
    const int group = walker::row_group(), groups = d_.m / group, rest = d_.m % group;
    if (groups) {
      Label rows;
      mov(row_, groups);
      L(rows);
      for (int q = 1; q <= plan_.passes(); ++q) walk_pass(q, group);
      if (d_.root_is_reduction()) {  // f32 (checked when lowering): one float per row
        const Xbyak::Xmm x(alloc());
        vmovss(x, dword[rsp + 4 * plan_.root()]);
        vmovss(dword[out_], x);
        release(x.getIdx());
      }
      for (int k = 0; k < d_.inputs; ++k)
        if (const long step = rows_bytes(d_.in[k], group)) add(in_[k], static_cast<int>(step));
      if (const long step = rows_bytes(d_.out, group)) add(out_, static_cast<int>(step));
      dec(row_);
      jnz(rows, T_NEAR);
    }
    if (rest)
      for (int q = 1; q <= plan_.passes(); ++q) walk_pass(q, rest);
  }

  // ---- the walker's hooks ---------------------------------------------------------------------
  void set_identity(int r, float value) { vmovups(V(r), consts_.f(value)); }
  template <class Body>
  void column_loop(int blocks, int step, Body body) {
    xor_(col_, col_);
    if (blocks == 0) return;
    Xbyak::Label loop;
    L(loop);
    body();
    add(col_, step);
    if (blocks > 1) {
      cmp(col_, blocks * step);
      jl(loop, T_NEAR);
    }
  }
  // With several passes the first one reads a row cold; a later pass (the row is in L1 by then;
  // plan_.prefetch_pass() says which) prefetches the next row of every full input, one line per
  // 64 bytes. A one-pass row reduction does so where its rows come from memory (desc.prefetch).
  void before_block(int lanes, int first) {
    if (p_.q != plan_.prefetch_pass() || (plan_.passes() == 1 && !d_.prefetch) || d_.m == 1) return;
    for (int k = 0; k < d_.inputs; ++k) {
      const detail::operand_desc& o = d_.in[k];
      if (o.bcast != broadcast::none) continue;
      const int es = size_of(o.type);
      for (int b = 0; b < lanes * VL * es; b += 64)
        prefetcht0(ptr[in_[k] + col_ * es + (static_cast<long>(o.ld) + first) * es + b]);
    }
  }
  // Softmax's exp pass keeps the exp's constants in registers for its column blocks (math::pin):
  // as memory operands they were 12 of the 15 loads per vector, and the load ports bounded the
  // pass (Zen 3). The registers left once the exp's lanes (value + temporaries) are counted hold
  // as many as fit; where not all fit and the pass has more than 2 lanes it retries with one
  // fewer (out_of_registers): on AVX2 2 lanes and 6-7 constants run 6-13 % faster than 3 lanes
  // and none (softmax 1024 x 4096 and 64 x 4096, in-process A/B). AVX-512 pins all 10 at 4 lanes.
  // On AVX2 the exp's 2^(j/8) table takes the first register (the table and 6 constants, c2
  // read from memory): Zen 3, in-process A/B against 7 constants and the table as vpermps'
  // memory operand, 1024 x 4096 1.01-1.02x, 64 x 4096 1.03x; the Xeon's avx2 level the same
  // within its noise. zmm keeps the memory operand: pinned, the Xeon's avx512 level read 1024 x
  // 4096 about 4 % slower over six ABBA rounds (64 x 4096 the same), and there is no Zen zmm here.
  //
  // Activations (gelu, sigmoid, erf ...) pin the constants math<V>::pinnable_constants lists in
  // the registers `pins_` grants the pass: those its first build never used, so the lanes stay.
  // Xeon, act(x * s + b) + r on 64 x 256, three alternating runs at the avx512 and amx levels:
  // gelu_tanh 1.07-1.39x, sigmoid 1.10-1.39x, gelu_erf 0.93-1.07x, erf 0.73-1.08x (relu, which
  // pins nothing, moved 0.75-1.0x between the same runs: a noisy host).
  void enter_columns() {
    pin_softmax_exp();
    pin_activations();
  }
  void pin_softmax_exp() {
    bool exp_pass = false;
    for (int i = 0; i < d_.count; ++i)
      exp_pass = exp_pass || (p_.need[i] && !p_.hoisted[i] && plan_.softmax_exp(i));
    if (!exp_pass) return;
    const std::vector<float> constants = math<V>::exp_nonpositive_ftz_constants();
    const int room = walker::available() - (1 + injector_temps(unary_op::exp)) * u_;
    const int tables = std::is_same<V, Xbyak::Ymm>::value ? 1 : 0;  // the 2^(j/8) table first (above)
    if (room < tables + static_cast<int>(constants.size()) && u_ > 2) throw out_of_registers{p_.q};
    if (tables && room > 0) {
      const int table = alloc();
      inj_.maths().load_table_pin(V(table));
      pinned_.push_back(table);
    }
    for (int c = 0; c < std::min(room - tables, static_cast<int>(constants.size())); ++c) {
      const int r = alloc();
      inj_.maths().load_pin(constants[c], V(r));
      pinned_.push_back(r);
    }
  }
  void pin_activations() {
    std::vector<float> constants;
    for (int i = 0; i < d_.count; ++i) {
      const detail::eq_node& e = d_.nodes[i];
      if (!p_.need[i] || p_.hoisted[i] || plan_.is_leaf_in(i, p_.q) || e.kind != kind::unary || plan_.softmax_exp(i))
        continue;
      for (float c : math<V>::pinnable_constants(static_cast<unary_op>(e.op))) {
        const auto same = [c](float x) { return std::memcmp(&x, &c, sizeof c) == 0; };  // -0 is not 0
        if (std::none_of(constants.begin(), constants.end(), same)) constants.push_back(c);
      }
    }
    pinnable_ = pinnable_ || !constants.empty();
    const int room = pins_.empty() ? 0 : pins_[p_.q - 1];
    for (std::size_t c = 0; c < constants.size() && static_cast<int>(c) < room; ++c) {
      const int r = alloc();
      inj_.maths().load_pin(constants[c], V(r));
      pinned_.push_back(r);
    }
  }
  void leave_columns() {
    for (int r : pinned_) release(r);
    pinned_.clear();
    inj_.maths().unpin();
  }

  // r -> out (type t) at the block's columns; the converting store may clobber what it stores,
  // so a kept register is copied first
  void store(const regs& r, int lanes, int first, int n_last, dtype t, bool keep) {
    const int es = size_of(t);
    const bool converts = t != dtype::f32;
    const int t0 = converts ? alloc() : 0, t1 = converts ? alloc() : 0;
    const int copy = keep ? alloc() : -1;
    // the root of the last pass (earlier passes store only what a later one reads back)
    const bool stream = stream_ && p_.q == plan_.passes() && t == dtype::f32;
    for (int k = 0; k < lanes; ++k) {
      if (stream && walker::n_of(k, lanes, n_last) == VL) {  // the masked tail stays cached
        vmovntps(ptr[out_ + col_ * es + (first + k * VL) * es + out_row()], V(r[k]));
        continue;
      }
      if (copy >= 0) vmovaps(V(copy), V(r[k]));
      io_.store(V(copy >= 0 ? copy : r[k]), t, out_ + col_ * es + (first + k * VL) * es + out_row(),
                walker::n_of(k, lanes, n_last), V(t0), V(t1));
    }
    if (copy >= 0) release(copy);
    if (converts) {
      release(t1);
      release(t0);
    }
  }

  // s0_ = side output k's address, read from the call's arguments each time (s0_ is scratch), so
  // side outputs take no register for the sweep
  void load_side(int k) {
    mov(s0_, ptr[args_ + static_cast<int>(offsetof(detail::equation_args, side))]);
    mov(s0_, ptr[s0_ + 8 * k]);
  }
  // column sum k's row at the block's columns += r (f32); one row at a time
  void add_to_sum(int k, const regs& r, int lanes, int first, int n_last) {
    const V t(alloc());
    load_side(k);
    for (int l = 0; l < lanes; ++l) {
      io_.load(t, dtype::f32, sum_at(l, first), walker::n_of(l, lanes, n_last));
      vaddps(t, t, V(r[l]));
      io_.store(t, dtype::f32, sum_at(l, first), walker::n_of(l, lanes, n_last), t, t);
    }
    release(t.getIdx());
  }
  // r <-> column sum k's row at the block's columns (f32); a row group's sums
  void load_sum(int k, const regs& r, int lanes, int first, int n_last) {
    load_side(k);
    for (int l = 0; l < lanes; ++l) io_.load(V(r[l]), dtype::f32, sum_at(l, first), walker::n_of(l, lanes, n_last));
  }
  void store_sum(int k, const regs& r, int lanes, int first, int n_last) {
    load_side(k);
    for (int l = 0; l < lanes; ++l)
      io_.store(V(r[l]), dtype::f32, sum_at(l, first), walker::n_of(l, lanes, n_last), V(r[l]), V(r[l]));
  }
  // lane l of the block in the side output whose address load_side put in s0_
  Xbyak::RegExp sum_at(int l, int first) const { return s0_ + col_ * 4 + (first + l * VL) * 4; }
  void add_lanes(const regs& acc, const regs& r, int lanes) {
    for (int l = 0; l < lanes; ++l) vaddps(V(acc[l]), V(acc[l]), V(r[l]));
  }
  // row_at_hand() as a displacement (32 bits: the ld checks of lower() and equation_row_group)
  int out_row() const { return static_cast<int>(row_at_hand(d_.out)); }
  int in_row(int k) const { return static_cast<int>(row_at_hand(d_.in[k])); }

  // row output k's value for this row (every lane holds it) -> its column at the row's index,
  // m - row_; col_ is free before the column loop
  void store_row_output(int k, int r) {
    mov(col_, d_.m);
    sub(col_, row_);
    load_side(d_.sums + k);
    vmovss(dword[s0_ + col_ * 4], Xbyak::Xmm(r));
  }

  // The registers holding node i for `lanes` vectors.
  regs evaluate(int i, const std::vector<regs>& val, const std::vector<bool>& live, int lanes, int first, int n_last) {
    using namespace Xbyak;
    const detail::eq_node& e = d_.nodes[i];
    const auto n_of = [&](int t) { return walker::n_of(t, lanes, n_last); };
    // a child that dies here lends its registers to the result (operations work in place)
    const auto dying = [&](int c) { return walker::dying(i, c, live); };
    regs out{};
    if (plan_.loads_materialized(i, p_.q)) {  // stored into out by an earlier pass
      out = alloc_lanes(lanes);
      for (int t = 0; t < lanes; ++t)
        io_.load(V(out[t]), dtype::f32, out_ + col_ * 4 + (first + t * VL) * 4 + out_row(), n_of(t));
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
            io_.load(V(out[t]), o.type, in_[e.op] + col_ * es + (first + t * VL) * es + in_row(e.op), n_of(t));
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
        const auto op = static_cast<unary_op>(e.op);
        if (dying(e.a)) {
          out = adopt(e.a, val);
        } else {
          out = alloc_lanes(lanes);
          for (int t = 0; t < lanes; ++t) vmovaps(V(out[t]), V(val[e.a][t]));
        }
        // a backward op (dx from dy, in place) reads the forward operand from t[4], which it
        // clobbers: a copy, since the node may be read again (its temps around it)
        const bool backward = is_backward(op);
        int temps = backward ? backward_temps(op) : injector_temps(op);
        // the faster form where the pool has room for it (gelu_erf, erf: math.hpp, erfc_scaled)
        if (!backward && walker::available() >= lanes * injector_temps_fast(op)) temps = injector_temps_fast(op);
        const int per_lane = temps + (backward ? 1 : 0);
        const std::vector<int> held = walker::alloc_list(lanes * per_lane);
        typename math<V>::lanes_t ls;
        for (int t = 0; t < lanes; ++t) {
          const int* h = held.data() + t * per_lane;
          lane<V> l = math<V>::make_lane(V(out[t]), {});
          for (int k = 0; k < temps; ++k) l.t[backward ? backward_temp_slot(k) : k] = V(h[k]);
          if (backward) {
            l.t[4] = V(h[temps]);
            vmovaps(l.t[4], V(val[e.b][t]));
          }
          ls.push_back(l);
        }
        if (backward)
          inj_.apply_backward(op, e.value, ls);
        else if (plan_.softmax_exp(i))
          inj_.maths().exp(ls, math<V>::exp_domain::nonpositive_ftz);
        else
          inj_.apply(op, e.value, ls);
        walker::release_list(held);
        break;
      }
      case kind::binary: {
        const auto op = static_cast<binary_op>(e.op);
        if (dying(e.a)) {
          out = adopt(e.a, val);
        } else if (dying(e.b) && e.b != e.a) {
          out = adopt(e.b, val);
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
          out = adopt(e.c, val);
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
  void accumulate(int i, const regs& v, int lanes, int n_last) {
    using namespace Xbyak;
    const auto op = static_cast<reduce_op>(d_.nodes[i].op);
    for (int t = 0; t < lanes; ++t) {
      const V acc(walker::acc_of(i)[t]), x(v[t]);
      const bool part = walker::n_of(t, lanes, n_last) < VL;
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
  void finish_reduction(int i, const regs& acc, int u) {
    using namespace Xbyak;
    const auto op = static_cast<reduce_op>(d_.nodes[i].op);
    const auto combine = [&](const Xmm& a, const Xmm& b) {
      if (op == reduce_op::max) vmaxps(a, b, a);
      else if (op == reduce_op::min) vminps(a, b, a);
      else vaddps(a, a, b);
    };
    for (int t = 1; t < u; ++t) combine(V(acc[0]), V(acc[t]));
    const int tmp = alloc();
    fold_lanes<V>(*this, acc[0], tmp, combine);
    const Xmm x(acc[0]);
    if (op == reduce_op::mean) vdivss(x, x, consts_.f(static_cast<float>(d_.n)));
    vmovss(dword[rsp + 4 * i], x);
    release(tmp);
  }

  const std::vector<int> pins_;  // per pass: registers for activation constants
  bool pinnable_ = false;        // some pass has activation constants to pin
  bool stream_ = false;      // emitting the streaming copy of the row loop
  std::vector<int> pinned_;  // registers holding pinned constants (enter_columns)
  const_table consts_;
  unary_injector<V> inj_;
  io<V> io_;
  Xbyak::Reg64 args_, row_, col_, out_, s0_, in_[detail::equation_max_inputs];
};

}  // namespace tpp::jit::x86
