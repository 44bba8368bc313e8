// TPP equations: a tree of TPPs (tpp/ops/equation_expr.hpp) JIT-compiled as one kernel over an
// m x n block, intermediates in registers, reductions per row in extra passes over the row.
//
//   tpp::equation_params p;
//   p.m = 1024; p.n = 4096;
//   p.inputs = {{tpp::dtype::f32}, {tpp::dtype::f32, 0, tpp::broadcast::row}};   // x, bias
//   p.out = {tpp::dtype::bf16};
//   p.root = tpp::gelu_tanh(tpp::arg(0) + tpp::arg(1));
//   tpp::equation_kernel k = tpp::equation(p);     // JIT once, cached like every TPP
//   k({x, bias}, y);
//
// The output is m x n, or m x 1 (f32) when the root is a row reduction; side outputs (column
// sums, row outputs) may come with an m x n root, or alone (out = none). Inputs are f32, bf16 or
// f16 with any broadcast; values are f32 inside. Keep the kernel handle: dispatch flattens the
// tree and looks the result up (about 0.4 us for LayerNorm's tree on Zen 3), where the raw-params
// front caches of unary/binary/brgemm answer in about 12 ns.
#pragma once

#include <algorithm>
#include <array>
#include <initializer_list>
#include <type_traits>
#include <vector>

#include "tpp/core/cache.hpp"
#include "tpp/core/cpu.hpp"
#include "tpp/core/error.hpp"
#include "tpp/detail/equation_desc.hpp"
#include "tpp/jit/code_buffer.hpp"
#include "tpp/jit/debug_hooks.hpp"
#include "tpp/jit/kernel_cache.hpp"
#include "tpp/ops/equation_expr.hpp"
#include "tpp/ref/equation.hpp"

#if TPP_X86_64
#include "tpp/jit/x86/equation_generator.hpp"
#elif defined(__aarch64__)
#include "tpp/jit/a64/equation_generator.hpp"
#endif

namespace tpp {

struct equation_params {
  int m = 0, n = 0;
  std::vector<operand> inputs;  // arg(i) is inputs[i]; at most 8
  operand out{dtype::f32};      // m x n, or m x 1 (f32) for a reduction root; no broadcast;
                                // none: only the column sums are written (out may be null)
  expr root{0.0f};
  // Column sums of nodes of the tree, for parameter gradients (LayerNorm's dgamma and dbeta, a
  // bias's gradient) in the same sweep:   sums[k][j] += sum over rows i of column_sums[k](i, j)
  // Each is added in f32 (the node's value before out's conversion), row after row, into a 1 x n
  // f32 row given at the call: k(inputs, out, {sums ...}). Zero them first for a plain sum; with
  // row blocks on threads give each thread its own rows and add them up after. At most 4; not
  // with a reduction root.
  std::vector<expr> column_sums;
  // Row outputs: row-invariant nodes (a row reduction, or ops of reductions, constants and
  // column-broadcast operands, e.g. LayerNorm's mean and rsqrt(var + eps)) written once per row
  // into an m x 1 f32 column: k(inputs, out, {column sums ..., row outputs ...}). At most 3; not
  // with a reduction root (it is one).
  std::vector<expr> row_outputs;
  // Streaming stores (tpp/core/cache.hpp) for an f32 root whose rows start 64 bytes apart (or
  // one packed block); the x86 JIT honours it, where the output's address is vector-aligned.
  store_hint store = store_hint::automatic;
};

namespace detail {

// Without row reductions, m packed rows are one row of m*n (scalar inputs aside): one long
// column loop instead of m short ones, as the element-wise TPPs do.
inline void collapse_rows(equation_desc& d) {
  if (d.m == 1 || d.sums || d.row_outs || static_cast<long long>(d.m) * d.n > max_extent) return;
  for (int i = 0; i < d.count; ++i)
    if (d.nodes[i].kind == expr_kind::reduce) return;
  for (int k = 0; k < d.inputs; ++k)
    if (d.in[k].bcast != broadcast::scalar && (d.in[k].bcast != broadcast::none || d.in[k].ld != d.n)) return;
  if (d.out.ld != d.n) return;
  d.n *= d.m;
  d.m = 1;
  for (int k = 0; k < d.inputs; ++k) d.in[k].ld = 0;
  d.out.ld = 0;
}

// Whether the root is stored with streaming stores: an f32 m x n root whose rows start on
// 64-byte steps (so the row starts keep the first row's vector alignment), as the hint and the
// bytes read and written say.
inline bool streams_root(const equation_desc& d, store_hint hint) {
  if (d.root_is_reduction() || d.out.type != dtype::f32) return false;
  if (d.m > 1 && static_cast<long long>(d.out.ld) * 4 % 64 != 0) return false;
  double bytes = operand_bytes(d.out, d.m, d.n);
  for (int k = 0; k < d.inputs; ++k) bytes += operand_bytes(d.in[k], d.m, d.n);
  return streams_output(hint, bytes);
}

// Whether a one-pass row reduction prefetches each next row: where its input outgrows half the
// cache one core can count on, the rows come from memory, and the prefetches give the hardware
// a second stream to fetch ahead on. Over cache-resident rows they only cost. Zen 3, 1 thread,
// f32 row sums and maxima, three alternating runs of the two builds: 1024 x 4096 (16 MiB) 24-36
// -> 37-44 GB/s; 64 x 4096 (1 MiB, L3) 66-67 -> 50-58 with the prefetches.
inline bool prefetches_rows(const equation_desc& d) {
  if (!d.root_is_reduction() || d.passes != 1 || d.m == 1) return false;
  double bytes = 0;
  for (int k = 0; k < d.inputs; ++k) bytes += operand_bytes(d.in[k], d.m, d.n);
  return rows_from_memory(bytes);
}

// Elements from an equation operand's start (as the caller gave it: ld 0 = packed) to the element
// of block row row0, column col0, as its broadcast reads it: for loops that call a kernel on a
// block of the operand's rows and columns (tpp::gemm's equation epilogue, tpp::equation_rows).
inline long operand_offset(const operand& o, int n, long row0, long col0) {
  switch (o.bcast) {
    case broadcast::none: return row0 * (o.ld ? o.ld : n) + col0;
    case broadcast::row: return col0;
    case broadcast::column: return row0 * (o.ld ? o.ld : 1);
    default: return 0;
  }
}

// Which nodes have one value per row: reductions, constants, column or scalar operands, and ops
// of those only. One pass in node order (children come first), so shared subtrees cost nothing.
inline std::array<bool, equation_max_nodes> row_invariant_nodes(const equation_desc& d) {
  std::array<bool, equation_max_nodes> inv{};
  for (int i = 0; i < d.count; ++i) {
    const eq_node& e = d.nodes[i];
    switch (e.kind) {
      case expr_kind::reduce:
      case expr_kind::constant: inv[i] = true; break;
      case expr_kind::arg: inv[i] = d.in[e.op].bcast == broadcast::column || d.in[e.op].bcast == broadcast::scalar; break;
      case expr_kind::unary: inv[i] = inv[e.a] && (!is_backward(static_cast<unary_op>(e.op)) || inv[e.b]); break;
      case expr_kind::binary: inv[i] = inv[e.a] && inv[e.b]; break;
      case expr_kind::ternary: inv[i] = inv[e.a] && inv[e.b] && inv[e.c]; break;
    }
  }
  return inv;
}

// Flattens the side outputs of one kind (column sums or row outputs) into d after the root:
// their node indices into `nodes`; returns the largest pass of a reduction they read.
inline int lower_side_outputs(equation_desc& d, equation_flattener& flat, const std::vector<expr>& exprs,
                              std::uint8_t* nodes, int most, const char* field) {
  if (exprs.size() > static_cast<std::size_t>(most))
    fail("tpp::equation: ", field, " has ", exprs.size(), " expressions; at most ", most);
  if (!exprs.empty() && d.root_is_reduction())
    fail("tpp::equation: ", field, " needs an m x n root; this root is a row reduction (one value per row)");
  int last = 0;
  for (std::size_t k = 0; k < exprs.size(); ++k) {
    const int i = flat.add(exprs[k].node());
    nodes[k] = static_cast<std::uint8_t>(i);
    last = std::max(last, static_cast<int>(d.nodes[i].pass));
  }
  return last;
}

inline equation_desc lower(const equation_params& p, isa level) {
  const call_ctx ctx{"equation", "tree"};
  check_extent(ctx, "m", p.m);
  check_extent(ctx, "n", p.n);
  if (p.inputs.size() > static_cast<std::size_t>(equation_max_inputs))
    fail("tpp::equation: inputs has ", p.inputs.size(), " operands; at most ", equation_max_inputs);
  equation_desc d;
  d.level = level;
  d.m = p.m;
  d.n = p.n;
  d.inputs = static_cast<std::uint8_t>(p.inputs.size());
  static const char* const fields[equation_max_inputs] = {"inputs[0]", "inputs[1]", "inputs[2]", "inputs[3]",
                                                          "inputs[4]", "inputs[5]", "inputs[6]", "inputs[7]"};
  for (std::size_t i = 0; i < p.inputs.size(); ++i) d.in[i] = lower_operand(ctx, fields[i], p.inputs[i], p.m, p.n, {});
  equation_flattener flat(d);
  d.root_node = static_cast<std::uint8_t>(flat.add(p.root.node()));
  // the largest pass of a reduction the last pass reads (out = none: the root is not computed)
  int last = p.out.type == dtype::none ? 0 : d.root().pass;
  last = std::max(last, lower_side_outputs(d, flat, p.column_sums, d.sum_node, equation_max_sums, "column_sums"));
  d.sums = static_cast<std::uint8_t>(p.column_sums.size());
  last = std::max(last,
                  lower_side_outputs(d, flat, p.row_outputs, d.row_node, equation_max_row_outputs, "row_outputs"));
  d.row_outs = static_cast<std::uint8_t>(p.row_outputs.size());
  if (d.row_outs) {
    const auto invariant = row_invariant_nodes(d);
    for (int k = 0; k < d.row_outs; ++k)
      if (!invariant[d.row_node[k]])
        fail("tpp::equation: row_outputs[", k, "] is not row-invariant: it reads an operand that varies along the row");
  }
  d.passes = static_cast<std::uint8_t>(d.root_is_reduction() ? last : last + 1);
  if (p.out.type == dtype::none) {  // side outputs only: no m x n rows are written
    if (p.column_sums.empty() && p.row_outputs.empty())
      fail("tpp::equation: out.type = none, but column_sums and row_outputs are empty: nothing to write");
    d.out = operand_desc{};
  } else if (d.root_is_reduction()) {
    if (p.out.type != dtype::f32)
      fail("tpp::equation: out.type = ", name(p.out.type), ", but a reduction root writes f32 (m x 1)");
    d.out = lower_operand(ctx, "out", p.out, p.m, 1, {false, false, true, false});
  } else {
    d.out = lower_operand(ctx, "out", p.out, p.m, p.n, {false, false, true, false});
  }
  check_store_hint(ctx, p.store);
  collapse_rows(d);
  d.stream = streams_root(d, p.store);
  d.prefetch = prefetches_rows(d);
  return d;
}

struct equation_entry {
  equation_desc desc;
  void (*code)(const equation_args*) = nullptr;  // null: run the reference
  int unroll = 0;
  int row_group = 1;     // rows per column block (jit::equation_row_group)
  bool streams = false;  // the code stores the root with streaming stores (desc.stream: x86, NEON)
};

// Builds with u = 4 vectors per column step in every pass and the row group the plan allows
// (jit::equation_row_group); a pass that runs out of registers is retried with one fewer vector
// (three lanes fit where four do not: softmax's exp on AVX2), then, at one, with one row at a
// time (the group's column sums hold registers); when nothing fits, the entry keeps no code and
// the reference runs it.
// row_group: at most this many rows per group (tests build 1 to compare).
template <class Build>
void build_with_retries(const equation_desc& d, Build build, int row_group = jit::max_row_group) {
  jit::equation_schedule s;
  s.u.assign(d.passes, 4);
  s.row_group = std::min(row_group, jit::equation_row_group(d));
  for (;;) {
    try {
      build(s);
      return;
    } catch (const jit::out_of_registers& oor) {
      int& q = s.u[static_cast<std::size_t>(std::max(oor.pass, 1) - 1)];
      if (q > 1) {
        --q;
      } else if (s.row_group > 1) {
        s.row_group = 1;
        s.u.assign(d.passes, 4);
      } else {
        return;
      }
    }
  }
}

inline equation_entry build_equation(const equation_desc& d, int row_group = jit::max_row_group) {
  equation_entry e;
  e.desc = d;
  const std::string name = "tpp_equation_" + std::to_string(jit::hash_bytes(d));
#if TPP_X86_64
  if (d.level == isa::ref) return e;
  const auto jit = [&](auto tag) {
    using V = decltype(tag);
    build_with_retries(d, [&](const jit::equation_schedule& s) {
      jit::x86::equation_generator<V> g(d, s);
      // AVX-512: a second build pins activation constants in the registers the first left
      // unused (AVX2 at its lanes leaves next to none)
      e.code = nullptr;
      if (std::is_same_v<V, Xbyak::Zmm> && g.has_pinnable_activations()) {
        try {
          jit::equation_schedule with_pins = s;
          with_pins.pins = g.spare_registers();
          jit::x86::equation_generator<V> pinned(d, with_pins);
          e.code = jit::publish_generated<void (*)(const equation_args*)>(pinned, name);
        } catch (const jit::out_of_registers&) {  // softmax's own pins did not fit beside: keep g
        }
      }
      if (!e.code) e.code = jit::publish_generated<void (*)(const equation_args*)>(g, name);
      e.unroll = g.unroll();
      e.row_group = g.row_group();
      e.streams = g.streams();
    }, row_group);
  };
  try {
    if (d.level >= isa::avx512) jit(Xbyak::Zmm());
    else jit(Xbyak::Ymm());
  } catch (const Xbyak::Error& x) {
    // a row group repeats the column blocks' code for each of its rows (and for the rest group):
    // a tree too long for the code buffer that way is built one row at a time
    if (row_group > 1 && jit::equation_row_group(d) > 1) return build_equation(d, 1);
    fail("tpp::jit: code generation failed for an equation: ", x.what());
  }
#elif defined(__aarch64__)
  if (!jit::a64::equation_supports(d)) return e;
  build_with_retries(d, [&](const jit::equation_schedule& s) {
    const jit::a64::equation_generator g(d, s);
    std::size_t size = 0;
    e.code = jit::publish_words<void (*)(const equation_args*)>(g, name, size);
    e.unroll = g.unroll();
    e.row_group = g.row_group();
    e.streams = g.streams();
  }, row_group);
#endif
  return e;
}

inline jit::kernel_cache<equation_desc, equation_entry>& equation_cache() {
  static jit::kernel_cache<equation_desc, equation_entry> cache;
  return cache;
}

}  // namespace detail

// A compiled equation: cheap to copy, valid for the life of the process, callable from any thread.
class equation_kernel {
 public:
  equation_kernel() = default;
  explicit equation_kernel(const detail::equation_entry* e) : e_(e) {}

  void operator()(std::initializer_list<const void*> inputs, void* out) const {
    (*this)(inputs.size(), inputs.begin(), out);
  }
  // with side outputs: the column sums' 1 x n f32 rows, then the row outputs' m x 1 f32 columns,
  // in the order of equation_params::column_sums and row_outputs
  void operator()(std::initializer_list<const void*> inputs, void* out, std::initializer_list<void*> side) const {
    (*this)(inputs.size(), inputs.begin(), out, side.size(), side.begin());
  }
  void operator()(std::size_t count, const void* const* inputs, void* out, std::size_t side_count = 0,
                  void* const* side = nullptr) const {
    if (!e_) detail::fail("tpp::equation: the kernel handle is empty (default-constructed)");
    const auto& d = e_->desc;
    if (count != d.inputs)
      detail::fail("tpp::equation: called with ", count, " input pointers; the equation has ", static_cast<int>(d.inputs));
    for (std::size_t i = 0; i < count; ++i)
      if (!inputs[i]) detail::fail("tpp::equation: input ", i, " is null");
    if (!out && d.out.type != dtype::none) detail::fail("tpp::equation: out is null");
    if (side_count != static_cast<std::size_t>(d.sums + d.row_outs))
      detail::fail("tpp::equation: called with ", side_count, " side-output pointers; the equation has ",
                   static_cast<int>(d.sums), " column sums and ", static_cast<int>(d.row_outs), " row outputs");
    for (std::size_t k = 0; k < side_count; ++k)
      if (!side[k])
        detail::fail("tpp::equation: ", k < d.sums ? "column sum " : "row output ", k < d.sums ? k : k - d.sums,
                     " is null");
    const detail::equation_args a{inputs, out, side};
    if (e_->code) e_->code(&a);
    else ref::equation(d, a);
  }

  bool jitted() const { return e_ && e_->code != nullptr; }
  bool empty() const { return e_ == nullptr; }
  isa level() const { return e_->desc.level; }
  int passes() const { return e_->desc.passes; }      // sweeps over each row
  int nodes() const { return e_->desc.count; }         // distinct nodes after sharing
  int column_sums() const { return e_->desc.sums; }    // column-sum rows a call takes
  int row_outputs() const { return e_->desc.row_outs; }  // row-output columns after them
  int unroll() const { return e_->unroll; }            // vectors per column step (JIT; least over passes)
  int row_group() const { return e_->row_group; }      // rows per column block (JIT; column sums)
  bool streams() const { return e_->streams; }          // root stored streaming (store_hint)

 private:
  const detail::equation_entry* e_ = nullptr;
};

inline equation_kernel equation(const equation_params& p) {
  const isa level = active_isa();
  return equation_kernel(
      detail::equation_cache().get(detail::lower(p, level), [](const detail::equation_desc& d) { return detail::build_equation(d); }));
}

}  // namespace tpp
