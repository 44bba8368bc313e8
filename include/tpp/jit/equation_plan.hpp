// What an equation kernel computes where, independent of the ISA: the x86 and the A64 equation
// generators both emit from this plan, so the two schedule a tree the same way.
//
//   for each row:
//     for pass q = 1 .. passes:
//       hoisted nodes of q (row-invariant) once, before the column loop
//       for column blocks: the nodes q needs, children first; reductions of q accumulate
//       reductions of q -> one float per row (a stack slot)
//
// Node i is a *leaf* in pass q when it is read from memory there rather than computed: a
// reduction finished in an earlier pass (its slot), or the materialized node in the last pass.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "tpp/core/cache.hpp"
#include "tpp/detail/eltwise_validate.hpp"
#include "tpp/detail/equation_desc.hpp"

namespace tpp::jit {

// Thrown while generating: pass `pass` does not fit the vector registers with its lane count
// (the builder retries with fewer lanes, and runs the reference when even one does not fit).
struct out_of_registers {
  int pass;
};

// How a generator lays out one equation, chosen by the builder (ops/equation.hpp), retried
// smaller when a pass runs out of registers:
//   u[q-1]      vectors per column step in pass q (1..4)
//   pins[q-1]   registers pass q may give to its activations' constants (x86; empty: none)
//   row_group   rows evaluated per column block (1: one row at a time; see equation_row_group)
struct equation_schedule {
  std::vector<int> u;
  std::vector<int> pins;
  int row_group = 1;
};

// The transcendental activations: the ones worth storing rather than computing twice.
constexpr bool is_transcendental(unary_op op) {
  return (op >= unary_op::exp && op <= unary_op::erf) || op == unary_op::elu || op == unary_op::elu_inv ||
         op == unary_op::gelu_tanh_inv || op == unary_op::gelu_erf_inv;
}

// Rows per column block for an equation with column sums: the block's nodes are evaluated for
// `group` rows in turn and each sum's node is added into registers that hold the sum row's
// columns (loaded before the first row, stored after the last), so the sum row is read and
// written once per group, not once per row. The same additions in the same order as one row
// at a time: the bits do not change. Only where every row runs the same code with only its
// addresses moved: one pass, no row reductions or row outputs, no column-broadcast operand (a
// value per row, hoisted out of the columns), and the group's displacements fit 32 bits.
// Zen 3, 1 thread, in-process against one row at a time (medians of 31):
//   column sums of (x - c)^2, 16 x 4096 f32 (BatchNorm training's block, L2)   4 rows: 2.8x
//   BatchNorm backward sums, 64 x 256 (2 streams: x, dy)                         4 rows: 2.7x
//   ... with relu and residual (4 streams: x, dy, y, dresidual out)              4 rows: 2.0x
// From memory a group reads (and writes) group x streams rows side by side, more than the
// prefetchers follow: 1024 x 4096, 2 streams, 4 rows 1.6x; 4 streams, 2 rows 1.24x, 3 rows
// 0.99x, 4 rows 0.86x. So there the group is cut to 8 streams in all. And a tree with a
// transcendental (bias + GELU backward: dx and dbias) is bound by it, not by the sum row: in
// cache 1.03-1.05x, from memory 0.93-0.96x in-process and 0.82x in the suite's run, so from
// memory it runs one row at a time.
constexpr int max_row_group = 4;
inline int equation_row_group(const detail::equation_desc& d) {
  if (d.sums == 0 || d.passes != 1 || d.root_is_reduction() || d.row_outs != 0 || d.m < 2) return 1;
  const auto fits = [](const detail::operand_desc& o) {
    return static_cast<long long>(max_row_group) * o.ld * size_of(o.type) <= std::numeric_limits<std::int32_t>::max();
  };
  int streams = d.out.type == dtype::none ? 0 : 1;
  double bytes = detail::operand_bytes(d.out, d.m, d.n);
  for (int k = 0; k < d.inputs; ++k) {
    if (d.in[k].bcast == broadcast::column || !fits(d.in[k])) return 1;
    streams += d.in[k].bcast == broadcast::none ? 1 : 0;
    bytes += detail::operand_bytes(d.in[k], d.m, d.n);
  }
  if (!fits(d.out)) return 1;
  for (int i = 0; i < d.count; ++i)
    if (d.nodes[i].kind == detail::expr_kind::reduce) return 1;
  if (!rows_from_memory(bytes)) return max_row_group;
  for (int i = 0; i < d.count; ++i)
    if (d.nodes[i].kind == detail::expr_kind::unary && is_transcendental(static_cast<unary_op>(d.nodes[i].op))) return 1;
  return std::max(1, std::min(max_row_group, 8 / std::max(streams, 1)));
}

// A pool of vector registers 0 .. size-1 for one pass; running dry throws out_of_registers.
class register_pool {
 public:
  static constexpr int max_lanes = 4;
  using regs = std::array<int, max_lanes>;

  void reset(int size, int pass) {
    size_ = size;
    pass_ = pass;
    in_use_ = peak_ = 0;
  }
  int alloc() {
    for (int r = 0; r < size_; ++r)
      if (!used_[r]) {
        used_[r] = true;
        peak_ = std::max(peak_, ++in_use_);
        return r;
      }
    throw out_of_registers{pass_};
  }
  void release(int r) {
    if (used_[r]) --in_use_;
    used_[r] = false;
  }
  int size() const { return size_; }
  int peak() const { return peak_; }  // the most registers in use at once since reset
  int available() const {
    int n = 0;
    for (int r = 0; r < size_; ++r) n += used_[r] ? 0 : 1;
    return n;
  }
  regs alloc_lanes(int lanes) {
    regs r{};
    for (int t = 0; t < lanes; ++t) r[t] = alloc();
    return r;
  }
  void release_lanes(const regs& r, int lanes) {
    for (int t = 0; t < lanes; ++t) release(r[t]);
  }

 private:
  int size_ = 0, pass_ = 0, in_use_ = 0, peak_ = 0;
  bool used_[32] = {};
};

// Pass q of the plan: which nodes it evaluates, when each dies, what is hoisted out of the columns.
struct equation_pass {
  int q = 0;
  std::vector<bool> need;      // evaluated (or loaded, for leaves) in this pass
  std::vector<int> last_use;   // the last node of the pass reading each node; -1: none (the root)
  std::vector<bool> hoisted;   // row-invariant: constants, column/scalar args, finished reductions, ops of those
  std::vector<bool> kept;      // hoisted and read per column (or the root): kept in a register for the sweep
};

class equation_plan {
  using kind = detail::expr_kind;

 public:
  explicit equation_plan(const detail::equation_desc& d) : d_(d) { choose_materialized(); }

  int passes() const { return d_.passes; }
  int root() const { return d_.root_node; }
  // the last pass stores the root's m x n values (not a row reduction, not out = none)
  bool stores_rows() const { return !d_.root_is_reduction() && d_.out.type != dtype::none; }
  std::vector<int> children(int i) const {
    const detail::eq_node& e = d_.nodes[i];
    switch (e.kind) {
      case kind::unary: return is_backward(static_cast<unary_op>(e.op)) ? std::vector<int>{e.a, e.b} : std::vector<int>{e.a};
      case kind::reduce: return {e.a};
      case kind::binary: return {e.a, e.b};
      case kind::ternary: return {e.a, e.b, e.c};
      default: return {};
    }
  }
  bool reduces_in(int i, int q) const { return d_.nodes[i].kind == kind::reduce && d_.nodes[i].pass == q; }
  bool loads_slot(int i, int q) const { return d_.nodes[i].kind == kind::reduce && d_.nodes[i].pass < q; }
  bool is_leaf_in(int i, int q) const { return loads_slot(i, q) || (i == mat_ && q == passes()); }
  // The materialized node (-1: none) and the pass that computes and stores it into out.
  int materialized() const { return mat_; }
  int materialized_in() const { return mat_pass_; }
  bool loads_materialized(int i, int q) const { return i == mat_ && q == passes(); }
  bool stores_materialized(int i, int q) const { return i == mat_ && q == mat_pass_; }
  // The pass that prefetches the next row (with several passes): the one that computes the
  // materialized node, which carries the transcendental work (softmax's exp), so the next row's
  // fetch overlaps the longest compute; else the last. Prefetching in softmax's short last pass
  // left the max pass waiting on memory and the exp pass on nothing: Zen 3, 1 thread, 1024 x 4096
  // f32 (DRAM-resident), 8.8 GB/s in + out there, 13.1 here, copy 20.4 in the same run.
  int prefetch_pass() const { return mat_ >= 0 ? mat_pass_ : passes(); }
  bool reads_broadcast(int k) const {
    return d_.in[k].bcast == broadcast::column || d_.in[k].bcast == broadcast::scalar;
  }

  // Node i is evaluated in pass q: it lies under a target of q, not under an earlier reduction.
  std::vector<bool> needed_in(int q) const {
    std::vector<bool> need(d_.count, false);
    for (int i = d_.count - 1; i >= 0; --i) {
      const bool last = q == passes();
      const bool target = reduces_in(i, q) || (last && i == root() && stores_rows()) ||
                          (last && (d_.summed(i) || d_.row_output(i)));
      if (!target && !need[i]) continue;
      need[i] = true;
      if (is_leaf_in(i, q)) continue;
      for (int c : children(i)) need[c] = true;
    }
    return need;
  }

  equation_pass pass(int q) const {
    equation_pass p;
    p.q = q;
    p.need = needed_in(q);
    p.last_use.assign(d_.count, -1);
    for (int i = 0; i < d_.count; ++i)
      if (p.need[i] && !is_leaf_in(i, q))
        for (int c : children(i)) p.last_use[c] = std::max(p.last_use[c], i);
    // the root is stored after the block's last node (a column sum's nodes may follow it): no
    // node takes over its registers, and it is freed with the block
    if (q == passes() && stores_rows()) p.last_use[root()] = d_.count;
    p.hoisted.assign(d_.count, false);
    for (int i = 0; i < d_.count; ++i) {
      if (!p.need[i]) continue;
      const detail::eq_node& e = d_.nodes[i];
      bool h = false;
      switch (e.kind) {
        case kind::constant: h = true; break;
        case kind::arg: h = reads_broadcast(e.op); break;
        case kind::reduce: h = e.pass < q; break;
        default: {
          h = true;
          for (int c : children(i)) h = h && p.hoisted[c];
        }
      }
      p.hoisted[i] = h;
    }
    p.kept.assign(d_.count, false);
    for (int i = 0; i < d_.count; ++i) {
      if (!p.need[i] || p.hoisted[i] || is_leaf_in(i, q)) continue;
      for (int c : children(i))
        if (p.hoisted[c]) p.kept[c] = true;
    }
    for (int i = 0; i < d_.count; ++i)  // the root and the column sums' nodes are read by the sweep
      if (p.hoisted[i] && q == passes() && ((i == root() && stores_rows()) || d_.summed(i))) p.kept[i] = true;
    return p;
  }

  float identity(int i) const {
    switch (static_cast<reduce_op>(d_.nodes[i].op)) {
      case reduce_op::max: return -std::numeric_limits<float>::infinity();
      case reduce_op::min: return std::numeric_limits<float>::infinity();
      default: return 0.0f;
    }
  }

  // Is node i `x - row_max(x)` (softmax's shift), so <= 0 or NaN, and exp needs no upper clamp?
  bool max_shifted(int i) const {
    const detail::eq_node& e = d_.nodes[i];
    if (e.kind != kind::binary || e.op != static_cast<int>(binary_op::sub)) return false;
    const detail::eq_node& m = d_.nodes[e.b];
    return m.kind == kind::reduce && m.op == static_cast<int>(reduce_op::max) && same_value(m.a, e.a);
  }
  // Is node i softmax's exp(x - row_max(x)) (its argument <= 0 or NaN)? Both generators emit it
  // by a shorter sequence, and the x86 one holds its constants in registers for its pass.
  bool softmax_exp(int i) const {
    const detail::eq_node& e = d_.nodes[i];
    return e.kind == kind::unary && e.op == static_cast<int>(unary_op::exp) && max_shifted(e.a);
  }
  // nodes i and j compute the same value (the same subtree, shared or written twice)
  bool same_value(int i, int j) const {
    if (i == j) return true;
    const detail::eq_node &a = d_.nodes[i], &b = d_.nodes[j];
    if (a.kind != b.kind || a.op != b.op || a.value != b.value) return false;
    if (a.kind == kind::constant || a.kind == kind::arg) return true;
    const std::vector<int> ca = children(i), cb = children(j);
    for (std::size_t k = 0; k < ca.size(); ++k)
      if (!same_value(ca[k], cb[k])) return false;
    return true;
  }

 private:
  // Materialization: a node with a transcendental inside that both an earlier pass and the last
  // one need (softmax's exp(x - max)) is stored into out when the earlier pass computes it, and
  // the last pass reads it back instead of computing it again. Only for an f32 m x n out, and
  // only when the last pass then reads no full input, so out may still alias an input.
  void choose_materialized() {
    const int P = passes();
    if (d_.root_is_reduction() || d_.out.type != dtype::f32 || P < 2) return;
    const auto costly = [&](int i) {
      std::vector<bool> seen(d_.count, false);
      std::vector<int> stack{i};
      bool full = false, transcendental = false;
      while (!stack.empty()) {
        const int k = stack.back();
        stack.pop_back();
        if (seen[k]) continue;
        seen[k] = true;
        const detail::eq_node& e = d_.nodes[k];
        if (e.kind == kind::reduce) continue;  // read from its slot
        if (e.kind == kind::arg && !reads_broadcast(e.op)) full = true;
        if (e.kind == kind::unary && is_transcendental(static_cast<unary_op>(e.op))) transcendental = true;
        for (int c : children(k)) stack.push_back(c);
      }
      return full && transcendental;
    };
    for (int i = d_.count - 1; i >= 0; --i) {
      const detail::eq_node& e = d_.nodes[i];
      if (i == root()) continue;
      if (e.kind != kind::unary && e.kind != kind::binary && e.kind != kind::ternary) continue;
      if (!needed_in(P)[i] || !costly(i)) continue;
      int earlier = 0;
      for (int q = 1; q < P; ++q)
        if (needed_in(q)[i]) earlier = q;
      if (!earlier) continue;
      mat_ = i;  // tentatively: the last pass must then read no full input
      const std::vector<bool> need = needed_in(P);
      bool reads_full = false;
      for (int k = 0; k < d_.count; ++k)
        if (need[k] && d_.nodes[k].kind == kind::arg && d_.in[d_.nodes[k].op].bcast == broadcast::none) reads_full = true;
      if (!reads_full) {
        mat_pass_ = earlier;
        return;
      }
      mat_ = -1;
    }
  }

  const detail::equation_desc& d_;
  int mat_ = -1, mat_pass_ = 0;
};

}  // namespace tpp::jit
