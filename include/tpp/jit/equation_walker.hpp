// The ISA-independent half of an equation generator: it walks the plan (jit/equation_plan.hpp)
// pass by pass and column block by column block, owns the register pool and the lifetimes, and
// asks the ISA's generator (Derived, CRTP) for instructions only:
//
//   set_identity(reg, value)                 reg = value in every lane (a reduction's start)
//   column_loop(blocks, step, body)          col = 0; `blocks` times: body(), col += step
//   before_block(lanes, first)               anything at the top of a block (x86: prefetch)
//   enter_columns() / leave_columns()        around a pass's column blocks (x86: pins constants
//                                            to spare registers); no-ops here
//   evaluate(i, val, live, lanes, first, n_last) -> regs   node i into registers
//   accumulate(i, x, lanes, n_last)          reduction i (op)= x, tail lanes left out
//   finish_reduction(i, acc, u)              acc -> node i's slot (one float per row)
//   store(r, lanes, first, n_last, type, keep)   r -> out at the block's columns; keep: r must
//                                            survive (a hoisted root), so copy before narrowing
//   add_to_sum(k, r, lanes, first, n_last)   column sum k's row at the block's columns += r
//   load_sum / store_sum(k, r, ...)          r <-> column sum k's row at the block's columns
//   add_lanes(acc, r, lanes)                 acc += r
//
// A block is `lanes` vectors from column col + first; the last holds n_last columns (1..VL).
// With a row group (equation_schedule::row_group) a block is evaluated for the group's rows in
// turn: the generator moves every full operand's address and out's by row_at_hand() bytes. The column sums then add up in registers over the group.
#pragma once

#include <algorithm>
#include <vector>

#include "tpp/jit/equation_plan.hpp"

namespace tpp::jit {

template <class Derived>
class equation_walker {
 public:
  int unroll() const { return *std::min_element(us_.begin(), us_.end()); }
  // rows per group of the row loop (the schedule's; walk_pass is given each group's count)
  int row_group() const { return group_; }
  // Registers pass q never used (its pool minus its peak): what a second build may pin.
  std::vector<int> spare_registers() const { return spare_; }
  // Whether the root is stored streaming: asked for (desc.stream, store_hint), and out is not read
  // back by the last pass (softmax's exp, materialized in out: on x86 a streaming store to a line
  // in L1 ran it 1.8x slower; a stack scratch row that let it stream gained nothing on Zen 3,
  // measured twice: 0.98-1.05x in A/B runs). x86 streams with vmovntps, NEON with stnp pairs.
  bool streams() const { return d_.stream && plan_.materialized() < 0; }

 protected:
  using regs = register_pool::regs;
  using kind = detail::expr_kind;

  // u[q-1]: vectors per column step in pass q; vl: f32 lanes per vector; pool: vector registers
  // 0 .. pool-1 are the generator's to hand out
  equation_walker(const detail::equation_desc& d, const equation_schedule& s, int vl, int pool)
      : d_(d), plan_(d_), us_(s.u), vl_(vl), pool_size_(pool), group_(s.row_group) {}

  int alloc() { return pool_.alloc(); }
  int available() const { return pool_.available(); }
  void release(int r) { pool_.release(r); }
  regs alloc_lanes(int lanes) { return pool_.alloc_lanes(lanes); }
  void release_lanes(const regs& r, int lanes) { pool_.release_lanes(r, lanes); }
  std::vector<int> alloc_list(int count) {
    std::vector<int> r;
    for (int k = 0; k < count; ++k) r.push_back(alloc());
    return r;
  }
  void release_list(const std::vector<int>& r) {
    for (int k : r) release(k);
  }
  int n_of(int t, int lanes, int n_last) const { return t == lanes - 1 ? n_last : vl_; }

  // Child c dies at node i (its last reader, and not a hoisted value kept for the sweep): its
  // registers may hold i's result.
  bool dying(int i, int c, const std::vector<bool>& live) const {
    return live[c] && p_.last_use[c] == i && !(keep_ && (*keep_)[c]);
  }
  // reduction i's accumulators in the current pass
  const regs& acc_of(int i) const { return acc_[i]; }
  // i's result takes over child c's registers
  regs adopt(int c, const std::vector<regs>& val) {
    reused_ = c;
    return val[c];
  }

  // bytes from a row of o to the row `rows` further (0 for a broadcast, whose ld is 0)
  static long rows_bytes(const detail::operand_desc& o, int rows) {
    return static_cast<long>(rows) * o.ld * size_of(o.type);
  }
  // bytes from the group's first row of o to the row the block's nodes are evaluated for
  long row_at_hand(const detail::operand_desc& o) const { return rows_bytes(o, g_); }

  void walk_pass(int q, int rows = 1) {
    rows_ = rows;
    pool_.reset(pool_size_, q);
    u_ = us_[q - 1];
    p_ = plan_.pass(q);
    acc_.assign(d_.count, regs{});
    for (int i = 0; i < d_.count; ++i)
      if (plan_.reduces_in(i, q)) {
        acc_[i] = alloc_lanes(u_);
        for (int t = 0; t < u_; ++t) self().set_identity(acc_[i][t], plan_.identity(i));
      }
    hoist();
    // columns: blocks of u vectors (a loop), the remaining full vectors, the tail
    const int full = d_.n / vl_, blocks = full / u_, rest = full % u_, tail = d_.n % vl_;
    self().enter_columns();
    self().column_loop(blocks, u_ * vl_, [&] { walk_block(u_, 0, vl_); });
    if (rest) walk_block(rest, 0, vl_);
    if (tail) walk_block(1, rest * vl_, tail);
    self().leave_columns();
    for (int i = 0; i < d_.count; ++i)
      if (hreg_[i] >= 0) release(hreg_[i]);
    for (int i = 0; i < d_.count; ++i)
      if (plan_.reduces_in(i, q)) {
        self().finish_reduction(i, acc_[i], u_);
        release_lanes(acc_[i], u_);
      }
    spare_.resize(plan_.passes(), pool_size_);
    spare_[q - 1] = std::min(spare_[q - 1], pool_.size() - pool_.peak());
  }

  void enter_columns() {}
  void leave_columns() {}

  const detail::equation_desc d_;
  const equation_plan plan_;
  equation_pass p_;  // the pass being emitted
  int u_ = 1;        // its vectors per step
  int reused_ = -1;  // set by evaluate: the child whose registers now hold the node

 private:
  Derived& self() { return static_cast<Derived&>(*this); }

  // Row-invariant nodes (constants, column/scalar args, finished reductions and ops of those only,
  // e.g. LayerNorm's rsqrt(var + eps)) are evaluated once per row and pass, before the column
  // loop; the ones a per-column node reads stay in a register (hreg_) for the whole sweep.
  void hoist() {
    hreg_.assign(d_.count, -1);
    std::vector<regs> val(d_.count);
    std::vector<bool> live(d_.count, false);
    keep_ = &p_.kept;
    for (int i = 0; i < d_.count; ++i) {
      if (!p_.hoisted[i]) continue;
      reused_ = -1;
      val[i] = self().evaluate(i, val, live, 1, 0, vl_);
      live[i] = true;
      if (reused_ >= 0) live[reused_] = false;
      // row outputs: written as soon as computed, before a parent may take over the register
      if (p_.q == plan_.passes())
        for (int k = 0; k < d_.row_outs; ++k)
          if (d_.row_node[k] == i) self().store_row_output(k, val[i][0]);
    }
    keep_ = nullptr;
    for (int i = 0; i < d_.count; ++i) {
      if (!live[i]) continue;
      if (p_.kept[i]) hreg_[i] = val[i][0];
      else release(val[i][0]);
    }
  }

  void walk_block(int lanes, int first, int n_last) {
    const int q = p_.q;
    const bool last = q == plan_.passes();
    self().before_block(lanes, first);
    // a group's column sums add up in registers: the sum rows' columns, loaded once
    std::vector<regs> sums(rows_ > 1 && last ? d_.sums : 0);
    for (std::size_t k = 0; k < sums.size(); ++k) {
      sums[k] = alloc_lanes(lanes);
      self().load_sum(static_cast<int>(k), sums[k], lanes, first, n_last);
    }
    for (g_ = 0; g_ < rows_; ++g_) walk_row(lanes, first, n_last, sums);
    g_ = 0;
    for (std::size_t k = 0; k < sums.size(); ++k) {
      self().store_sum(static_cast<int>(k), sums[k], lanes, first, n_last);
      release_lanes(sums[k], lanes);
    }
  }

  // the block's nodes for one row (the group's row at hand: row_at_hand())
  void walk_row(int lanes, int first, int n_last, const std::vector<regs>& sums) {
    const int q = p_.q;
    std::vector<regs> val(d_.count);
    std::vector<bool> live(d_.count, false);
    for (int i = 0; i < d_.count; ++i)
      if (hreg_[i] >= 0) val[i] = regs{hreg_[i], hreg_[i], hreg_[i], hreg_[i]};
    const bool last = q == plan_.passes();
    // column sums: each node is added in as soon as it is computed, before a parent may take
    // over its registers (a row-invariant one from its hoisted register)
    const auto add_sums = [&](int i) {
      for (int k = 0; k < d_.sums; ++k) {
        if (d_.sum_node[k] != i) continue;
        if (sums.empty()) self().add_to_sum(k, val[i], lanes, first, n_last);
        else self().add_lanes(sums[k], val[i], lanes);
      }
    };
    if (last)
      for (int i = 0; i < d_.count; ++i)
        if (p_.hoisted[i]) add_sums(i);
    for (int i = 0; i < d_.count; ++i) {
      if (!p_.need[i] || p_.hoisted[i]) continue;
      const detail::eq_node& e = d_.nodes[i];
      if (plan_.reduces_in(i, q)) {
        self().accumulate(i, val[e.a], lanes, n_last);
      } else {
        reused_ = -1;
        val[i] = self().evaluate(i, val, live, lanes, first, n_last);
        live[i] = true;
        if (reused_ >= 0) live[reused_] = false;
        if (plan_.stores_materialized(i, q)) self().store(val[i], lanes, first, n_last, dtype::f32, false);
        if (last) add_sums(i);
      }
      if (!plan_.is_leaf_in(i, q))
        for (int c : plan_.children(i))
          if (live[c] && p_.last_use[c] == i) {
            release_lanes(val[c], lanes);
            live[c] = false;
          }
    }
    if (last && plan_.stores_rows()) {
      const int r = plan_.root();
      self().store(val[r], lanes, first, n_last, d_.out.type, p_.hoisted[r]);
    }
    for (int i = 0; i < d_.count; ++i)
      if (live[i]) release_lanes(val[i], lanes);
  }

  const std::vector<int> us_;
  const int vl_, pool_size_;
  const int group_;                         // rows per group of the row loop (the schedule's)
  int rows_ = 1, g_ = 0;                    // rows in the group being emitted; the row at hand
  register_pool pool_;
  std::vector<regs> acc_;
  std::vector<int> hreg_;                   // hoisted nodes kept for the sweep: their register
  std::vector<int> spare_;                  // per pass: registers never in use (spare_registers)
  const std::vector<bool>* keep_ = nullptr;  // while hoisting: nodes that must survive it
};

}  // namespace tpp::jit
