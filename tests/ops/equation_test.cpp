// TPP equations against an oracle evaluated here, in double, from the expression tree itself (not
// from tpp's flattened form), carrying a bound on the error an f32 evaluation may make at every
// node. The kernel and tpp::ref::equation must both land within that bound, at every ISA level,
// with every operand flush against a guard page.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include "catch.hpp"
#include "support.hpp"
#include "tpp/jit/a64/equation_generator.hpp"  // plain C++: read on every host (stnp test)

using tpp::dtype;
using tpp_test::guarded;
using tpp_test::isa_scope;
using tpp_test::levels;

namespace {

constexpr double u32 = 1.0 / (1 << 24);  // unit roundoff of f32

// |error| bound of a correctly rounded f32 result near x, plus a floor for subnormals
double ulp(double x) { return std::max(std::fabs(x), std::ldexp(1.0, -126)) * std::ldexp(1.0, -23); }

struct value {  // one node over m x n: exact value and the error an f32 evaluation may add
  std::vector<double> v, e;
};

struct operand_data {
  tpp::operand op;
  std::unique_ptr<guarded> mem;
  int n = 0;
  double at(int i, int j) const {
    long idx = 0;
    const long ld = op.ld ? op.ld : (op.bcast == tpp::broadcast::column ? 1 : n);
    switch (op.bcast) {
      case tpp::broadcast::none: idx = static_cast<long>(i) * ld + j; break;
      case tpp::broadcast::row: idx = j; break;
      case tpp::broadcast::column: idx = static_cast<long>(i) * ld; break;
      case tpp::broadcast::scalar: idx = 0; break;
    }
    return tpp::load_as_f32(mem->data(), op.type, idx);
  }
};

// The oracle: value and error bound of every node, memoized by node (shared subtrees once).
class oracle {
 public:
  oracle(int m, int n, const std::vector<operand_data>& in) : m_(m), n_(n), in_(in) {}

  const value& eval(const std::shared_ptr<const tpp::detail::expr_node>& p) {
    auto it = memo_.find(p.get());
    if (it != memo_.end()) return it->second;
    using K = tpp::detail::expr_kind;
    const std::size_t sz = static_cast<std::size_t>(m_) * n_;
    value r{std::vector<double>(sz), std::vector<double>(sz)};
    const value* a = p->a ? &eval(p->a) : nullptr;
    const value* b = p->b ? &eval(p->b) : nullptr;
    const value* c = p->c ? &eval(p->c) : nullptr;
    for (int i = 0; i < m_; ++i) {
      double row_v = 0, row_e = 0, row_abs = 0;
      if (p->kind == K::reduce) {  // the row's reduction, then broadcast along it
        const auto op = static_cast<tpp::reduce_op>(p->op);
        double mx = -INFINITY, mn = INFINITY;
        for (int j = 0; j < n_; ++j) {
          const std::size_t k = static_cast<std::size_t>(i) * n_ + j;
          row_v += a->v[k];
          row_e = op == tpp::reduce_op::sum || op == tpp::reduce_op::mean ? row_e + a->e[k] : std::max(row_e, a->e[k]);
          row_abs += std::fabs(a->v[k]) + a->e[k];
          mx = std::max(mx, a->v[k]);
          mn = std::min(mn, a->v[k]);
        }
        if (op == tpp::reduce_op::sum || op == tpp::reduce_op::mean) {
          row_e += (n_ + 1) * u32 * row_abs;  // f32 summation in any order
          if (op == tpp::reduce_op::mean) {
            row_v /= n_;
            row_e = row_e / n_ + u32 * (std::fabs(row_v) + row_e / n_);
          }
        } else {
          row_v = op == tpp::reduce_op::max ? mx : mn;
        }
      }
      for (int j = 0; j < n_; ++j) {
        const std::size_t k = static_cast<std::size_t>(i) * n_ + j;
        double& v = r.v[k];
        double& e = r.e[k];
        switch (p->kind) {
          case K::arg: v = in_[p->op].at(i, j); e = 0; break;
          case K::constant: v = static_cast<float>(p->value); e = 0; break;
          case K::reduce: v = row_v; e = row_e; break;
          case K::unary:
            if (b) backward(static_cast<tpp::unary_op>(p->op), a->v[k], a->e[k], b->v[k], b->e[k], v, e);
            else unary(static_cast<tpp::unary_op>(p->op), a->v[k], a->e[k], v, e);
            break;
          case K::binary: {
            const double x = a->v[k], y = b->v[k], ex = a->e[k], ey = b->e[k];
            switch (static_cast<tpp::binary_op>(p->op)) {
              case tpp::binary_op::add: v = x + y; e = ex + ey + u32 * (std::fabs(x) + std::fabs(y) + ex + ey); break;
              case tpp::binary_op::sub: v = x - y; e = ex + ey + u32 * (std::fabs(x) + std::fabs(y) + ex + ey); break;
              case tpp::binary_op::mul:
                v = x * y;
                e = std::fabs(x) * ey + std::fabs(y) * ex + ex * ey + u32 * (std::fabs(x) + ex) * (std::fabs(y) + ey);
                break;
              case tpp::binary_op::div:
                v = x / y;
                e = std::fabs(y) > ey ? (ex + std::fabs(v) * ey) / (std::fabs(y) - ey) + ulp(v) : INFINITY;
                break;
              case tpp::binary_op::max: v = std::max(x, y); e = std::max(ex, ey); break;
              case tpp::binary_op::min: v = std::min(x, y); e = std::max(ex, ey); break;
              default: FAIL("the oracle has no other binary op");
            }
            break;
          }
          case K::ternary: {
            const double x = a->v[k], y = b->v[k], z = c->v[k], ex = a->e[k], ey = b->e[k], ez = c->e[k];
            if (p->op == 2) {  // select: an inexact condition near 0 may pick either side
              v = x != 0 ? y : z;
              e = (std::fabs(x) <= ex) ? std::max(ey, ez) + std::fabs(y - z) : (x != 0 ? ey : ez);
              break;
            }
            v = p->op == 0 ? x * y + z : z - x * y;
            const double pe = std::fabs(x) * ey + std::fabs(y) * ex + ex * ey;
            e = pe + ez + u32 * ((std::fabs(x) + ex) * (std::fabs(y) + ey) + std::fabs(z) + ez);
            break;
          }
        }
      }
    }
    return memo_.emplace(p.get(), std::move(r)).first->second;
  }

 private:
  // f(x) and its bound: slope over [x - ex, x + ex] times ex, plus the op's documented ulps
  static void unary(tpp::unary_op op, double x, double ex, double& v, double& e) {
    const auto acc = tpp::jit_accuracy(op);
    switch (op) {
      case tpp::unary_op::relu: v = x > 0 ? x : 0; e = ex; return;
      case tpp::unary_op::abs: v = std::fabs(x); e = ex; return;
      case tpp::unary_op::negate: v = -x; e = ex; return;
      case tpp::unary_op::tanh: v = std::tanh(x); e = ex + (acc.ulps + 1) * ulp(v); return;
      case tpp::unary_op::sigmoid: v = 1 / (1 + std::exp(-x)); e = 0.25 * ex + (acc.ulps + 1) * ulp(v); return;
      case tpp::unary_op::exp: v = std::exp(x); e = v * std::expm1(ex) + (acc.ulps + 1) * ulp(v * std::exp(ex)); return;
      case tpp::unary_op::reciprocal:
        v = 1 / x;
        e = std::fabs(x) > ex ? ex / ((std::fabs(x) - ex) * (std::fabs(x) - ex)) + ulp(v) : INFINITY;
        return;
      case tpp::unary_op::rsqrt:  // sqrt then a division: two roundings
        v = 1 / std::sqrt(x);
        e = x - ex > 0 ? 0.5 * std::pow(x - ex, -1.5) * ex + 2 * ulp(v) : INFINITY;
        return;
      case tpp::unary_op::gelu_tanh: {  // slope within [-0.13, 1.13]; far tail relative error
        v = 0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
        e = 1.13 * ex + (acc.ulps + 1) * ulp(v) + (x - ex < acc.tail_below ? acc.tail_rel * std::fabs(v) : 0);
        return;
      }
      default: FAIL("the oracle has no other unary op");
    }
  }

  // dx = dy f'(x) and its bound: f' within [-0.17, 1.13] and its slope |f''| <= 0.80 (at x = 0,
  // 2 sigmoid'(0) sqrt(2/pi)) carry the inputs' errors; the op's documented bound adds its own
  static void backward(tpp::unary_op op, double dy, double edy, double x, double ex, double& v, double& e) {
    if (op == tpp::unary_op::relu_inv) {  // dy where x > 0; an x within its error of 0 may mask either way
      v = x > 0 ? dy : 0;
      e = edy + (std::fabs(x) <= ex ? std::fabs(dy) : 0);
      return;
    }
    const auto acc = tpp::jit_accuracy(op);
    if (op != tpp::unary_op::gelu_tanh_inv) FAIL("the oracle has no other backward op");
    const double k0 = 0.7978845608028654, k1 = 0.044715;
    const double s = 1 / (1 + std::exp(-2 * k0 * (x + k1 * x * x * x)));
    const double d = s + 2 * k0 * x * s * (1 - s) * (1 + 3 * k1 * x * x);
    v = dy * d;
    e = (std::fabs(d) + 0.8 * ex) * edy + std::fabs(dy) * 0.8 * ex + (acc.ulps + 1) * ulp(v) +
        acc.abs_dy * (std::fabs(dy) + edy);
  }

  int m_, n_;
  const std::vector<operand_data>& in_;
  std::map<const tpp::detail::expr_node*, value> memo_;
};

double store_error(dtype t, double v) {
  switch (t) {  // bf16: vcvtneps2bf16 (avx512_bf16 and up) flushes subnormal f32 to zero
    case dtype::bf16: return std::ldexp(std::fabs(v), -8) + FLT_MIN;
    case dtype::f16: return std::ldexp(std::fabs(v), -11) + std::ldexp(1.0, -25);
    default: return 0;
  }
}

// Allocates and fills the operands (values in [-1, 1]) flush against guard pages.
std::vector<operand_data> make_inputs(const std::vector<tpp::operand>& ops, int m, int n, bool flush_end,
                                      std::mt19937& rng) {
  std::vector<operand_data> in;
  for (const auto& o : ops) {
    operand_data d{o, nullptr, n};
    const std::size_t bytes = tpp_test::span_bytes(o, m, n);
    d.mem = std::make_unique<guarded>(bytes, flush_end);
    tpp_test::fill(d.mem->data(), o.type, bytes, -1, 1, rng);
    in.push_back(std::move(d));
  }
  return in;
}

struct check_result {
  bool ok = true;
  std::string why;
};

// A value outside its bound: which side (kernel or tpp::ref), where, and the shape and level.
check_result mismatch(bool kernel, const std::string& where, double got, double want, double tol,
                      const tpp::equation_params& p, const char* extra = "") {
  std::ostringstream s;
  s << (kernel ? "kernel" : "tpp::ref") << " " << where << ": got " << got << ", want " << want << " +- " << tol
    << " (m=" << p.m << " n=" << p.n << " level=" << tpp::name(tpp::active_isa()) << extra << ")";
  return {false, s.str()};
}

// Runs p through the kernel and tpp::ref at the current level; compares both with the oracle.
check_result run_equation(const tpp::equation_params& p, bool flush_end, std::mt19937& rng, bool* jitted = nullptr) {
  const tpp::equation_kernel k = tpp::equation(p);
  if (jitted) *jitted = k.jitted();
  auto in = make_inputs(p.inputs, p.m, p.n, flush_end, rng);
  const bool column_out = p.root.node()->kind == tpp::detail::expr_kind::reduce;
  const int cols = column_out ? 1 : p.n;
  const std::size_t obytes = tpp_test::span_bytes(p.out, p.m, cols);
  guarded out(obytes, flush_end), outr(obytes, flush_end);
  std::memset(out.data(), 0x7F, obytes);
  std::memset(outr.data(), 0x7F, obytes);
  std::vector<const void*> ptrs;
  for (const auto& d : in) ptrs.push_back(d.mem->data());
  // column sums: 1 x n f32 rows holding values to add to, the same for the kernel and tpp::ref
  const std::size_t sums = p.column_sums.size(), sbytes = sizeof(float) * p.n;
  std::vector<std::unique_ptr<guarded>> srow, srowr;
  std::vector<void*> sp, spr;
  std::vector<float> init(sums * p.n);
  for (std::size_t s = 0; s < sums; ++s) {
    srow.push_back(std::make_unique<guarded>(sbytes, flush_end));
    srowr.push_back(std::make_unique<guarded>(sbytes, flush_end));
    tpp_test::fill(init.data() + s * p.n, dtype::f32, sbytes, -1, 1, rng);
    std::memcpy(srow[s]->data(), init.data() + s * p.n, sbytes);
    std::memcpy(srowr[s]->data(), init.data() + s * p.n, sbytes);
    sp.push_back(srow[s]->data());
    spr.push_back(srowr[s]->data());
  }
  // row outputs: m x 1 f32 columns against guard pages, after the column sums
  const std::size_t routs = p.row_outputs.size(), rbytes = sizeof(float) * p.m;
  for (std::size_t r = 0; r < routs; ++r) {
    srow.push_back(std::make_unique<guarded>(rbytes, flush_end));
    srowr.push_back(std::make_unique<guarded>(rbytes, flush_end));
    sp.push_back(srow.back()->data());
    spr.push_back(srowr.back()->data());
  }
  const bool rows_out = p.out.type != dtype::none;  // none: side outputs only, out null
  k(ptrs.size(), ptrs.data(), rows_out ? out.data() : nullptr, sp.size(), sp.data());
  const auto d = tpp::detail::lower(p, tpp::isa::ref);
  tpp::ref::equation(d, {ptrs.data(), rows_out ? outr.data() : nullptr, spr.data()});
  oracle o(p.m, p.n, in);
  for (std::size_t r = 0; r < routs; ++r) {
    const value& c = o.eval(p.row_outputs[r].node());
    for (int i = 0; i < p.m; ++i) {
      const std::size_t k2 = static_cast<std::size_t>(i) * p.n;  // every column holds the row's value
      const double want = c.v[k2], tol = c.e[k2] + 1e-30;
      for (const auto* col : {&srow, &srowr}) {
        const double got = static_cast<const float*>((*col)[sums + r]->data())[i];
        if (!(std::fabs(got - want) <= tol))
          return mismatch(col == &srow, "row output " + std::to_string(r) + " at row " + std::to_string(i), got, want,
                          tol, p);
      }
    }
  }
  for (std::size_t s = 0; s < sums; ++s) {
    const value& c = o.eval(p.column_sums[s].node());
    for (int j = 0; j < p.n; ++j) {
      const double start = init[s * p.n + j];
      double want = start, err = 0, mag = std::fabs(start);
      for (int i = 0; i < p.m; ++i) {
        const std::size_t k2 = static_cast<std::size_t>(i) * p.n + j;
        want += c.v[k2];
        err += c.e[k2];
        mag += std::fabs(c.v[k2]) + c.e[k2];
      }
      const double tol = err + (p.m + 1) * u32 * mag + 1e-30;  // the terms' errors and m f32 additions
      for (const auto* row : {&srow, &srowr}) {
        const double got = static_cast<const float*>((*row)[s]->data())[j];
        if (!(std::fabs(got - want) <= tol))
          return mismatch(row == &srow, "column sum " + std::to_string(s) + " at " + std::to_string(j), got, want, tol,
                          p);
      }
    }
  }
  if (!rows_out) return {};
  const value& r = o.eval(p.root.node());
  const long ld = p.out.ld ? p.out.ld : cols;
  for (int i = 0; i < p.m; ++i)
    for (int j = 0; j < cols; ++j) {
      const std::size_t k2 = static_cast<std::size_t>(i) * p.n + j;
      const double want = r.v[k2], tol = r.e[k2] + store_error(p.out.type, want) + 1e-30;
      for (const guarded* g : {&out, &outr}) {
        const double got = tpp::load_as_f32(g->data(), p.out.type, i * ld + j);
        if (!(std::fabs(got - want) <= tol))
          return mismatch(g == &out, "at (" + std::to_string(i) + ", " + std::to_string(j) + ")", got, want, tol, p,
                          flush_end ? " guard after" : " guard before");
      }
    }
  return {};
}

// ---- random trees -------------------------------------------------------------------------------
class tree_maker {
 public:
  tree_maker(std::mt19937& rng, int inputs) : rng_(rng), inputs_(inputs) {}
  tpp::expr make(int depth) {
    const int pick = static_cast<int>(rng_() % 100);
    if (depth == 0 || pick < 15) return leaf();
    if (pick < 35) {
      static const tpp::unary_op ops[] = {tpp::unary_op::relu, tpp::unary_op::abs, tpp::unary_op::negate,
                                          tpp::unary_op::tanh, tpp::unary_op::sigmoid, tpp::unary_op::gelu_tanh};
      return tpp::unary(ops[rng_() % 6], make(depth - 1));
    }
    if (pick < 75) {
      static const tpp::binary_op ops[] = {tpp::binary_op::add, tpp::binary_op::sub, tpp::binary_op::mul,
                                           tpp::binary_op::max, tpp::binary_op::min};
      tpp::expr a = make(depth - 1);
      // a shared subtree now and then: the same node read twice
      tpp::expr b = rng_() % 5 == 0 ? a : make(depth - 1);
      return tpp::binary(ops[rng_() % 5], a, b);
    }
    if (pick < 80)
      return tpp::ternary(static_cast<tpp::ternary_op>(rng_() % 2), make(depth - 1), make(depth - 1), make(depth - 1));
    if (pick < 85)  // the condition exactly 0 for about half the elements
      return tpp::select(tpp::relu(leaf()), make(depth - 1), make(depth - 1));
    return tpp::reduce_rows(static_cast<tpp::reduce_op>(rng_() % 4), make(depth - 1));
  }

 private:
  tpp::expr leaf() {
    if (rng_() % 4 == 0) return tpp::expr(static_cast<float>(static_cast<int>(rng_() % 17) - 8) / 4);
    return tpp::arg(static_cast<int>(rng_() % inputs_));
  }
  std::mt19937& rng_;
  int inputs_;
};

using node_ptr = std::shared_ptr<const tpp::detail::expr_node>;

// every distinct node of the tree under root
std::vector<node_ptr> nodes_of(const tpp::expr& root) {
  std::vector<node_ptr> nodes, todo{root.node()};
  while (!todo.empty()) {
    node_ptr n = todo.back();
    todo.pop_back();
    if (std::find(nodes.begin(), nodes.end(), n) != nodes.end()) continue;
    nodes.push_back(n);
    for (const auto& c : {n->a, n->b, n->c})
      if (c) todo.push_back(c);
  }
  return nodes;
}

// 1..3 column sums over nodes of the tree (the root, row-invariant nodes and reductions included,
// so a node may be summed and read again), one of them now and then a new node over one of those.
std::vector<tpp::expr> pick_column_sums(const tpp::expr& root, std::mt19937& rng) {
  const std::vector<node_ptr> nodes = nodes_of(root);
  std::vector<tpp::expr> sums;
  const int count = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < count; ++k) {
    tpp::expr e(nodes[rng() % nodes.size()]);
    if (nodes.size() < 40 && rng() % 4 == 0) e = tpp::sigmoid(e) * 2.0f;
    sums.push_back(e);
  }
  return sums;
}

// 1..3 row outputs over row-invariant nodes of the tree (reductions and ops of them), now and
// then a new op over one; none where the tree has no such node.
std::vector<tpp::expr> pick_row_outputs(const tpp::expr& root, const std::vector<tpp::operand>& in, std::mt19937& rng) {
  using K = tpp::detail::expr_kind;
  std::map<const tpp::detail::expr_node*, bool> memo;
  std::function<bool(const node_ptr&)> invariant = [&](const node_ptr& n) {
    auto it = memo.find(n.get());
    if (it != memo.end()) return it->second;
    bool r = true;
    if (n->kind == K::arg) r = in[n->op].bcast == tpp::broadcast::column || in[n->op].bcast == tpp::broadcast::scalar;
    else if (n->kind != K::reduce && n->kind != K::constant)
      for (const auto& c : {n->a, n->b, n->c}) r = r && (!c || invariant(c));
    return memo[n.get()] = r;
  };
  const std::vector<node_ptr> nodes = nodes_of(root);
  std::vector<node_ptr> picks;
  for (const auto& n : nodes)
    if (n->kind != K::arg && n->kind != K::constant && invariant(n)) picks.push_back(n);
  std::vector<tpp::expr> outs;
  if (picks.empty()) return outs;
  const int count = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < count; ++k) {
    tpp::expr e(picks[rng() % picks.size()]);
    if (nodes.size() < 40 && rng() % 3 == 0) e = tpp::tanh(e) + 1.0f;
    outs.push_back(e);
  }
  return outs;
}

// Every level but ref JITs an equation; on AArch64 a bf16 out also needs BF16.
bool expect_jit(tpp::isa level, dtype out) { return tpp_test::x86_jit(level) || tpp_test::neon_jit_writing(level, out); }

const int shapes[][2] = {{1, 1}, {3, 7}, {2, 8}, {4, 9}, {1, 15}, {3, 16}, {2, 17}, {5, 33}, {3, 100}};

}  // namespace

TEST_CASE("equation: random trees (depth <= 6, mixed broadcasts) against the oracle", "[equation]") {
  std::mt19937 rng(21);
  int trees = 0, jitted_trees = 0, jit_levels = 0;
  for (int t = 0; t < 120; ++t) {
    const auto& s = shapes[t % 9];
    tpp::equation_params p;
    p.m = s[0];
    p.n = s[1];
    const int inputs = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < inputs; ++i) {
      tpp::operand o{rng() % 3 == 0 ? dtype::bf16 : dtype::f32};
      o.bcast = i == 0 ? tpp::broadcast::none : static_cast<tpp::broadcast>(rng() % 4);
      if (o.bcast == tpp::broadcast::none && rng() % 2) o.ld = p.n + 3;
      if (o.bcast == tpp::broadcast::column) o.ld = 2;
      p.inputs.push_back(o);
    }
    for (;;) {  // trees past the 48-node limit (a documented error) are drawn again
      p.root = tree_maker(rng, inputs).make(1 + static_cast<int>(rng() % 6));
      tpp::detail::equation_desc d;
      d.inputs = static_cast<std::uint8_t>(inputs);
      try {
        tpp::detail::equation_flattener(d).add(p.root.node());
        break;
      } catch (const tpp::error&) {
      }
    }
    if (p.root.node()->kind == tpp::detail::expr_kind::reduce) {
      p.out = tpp::operand{dtype::f32, t % 2 ? 3 : 0};
    } else {
      p.out = tpp::operand{t % 4 == 3 ? dtype::bf16 : (t % 4 == 1 ? dtype::f16 : dtype::f32), t % 3 ? 0 : p.n + 1};
      if (t % 3 == 1) p.column_sums = pick_column_sums(p.root, rng);
      if (t % 2 == 0) p.row_outputs = pick_row_outputs(p.root, p.inputs, rng);
      if (t % 9 == 4) p.out = tpp::operand{dtype::none};  // the side outputs alone
    }
    ++trees;
    for (tpp::isa level : levels()) {
      isa_scope cap(level);
      for (bool flush_end : {true, false}) {
        bool jitted = false;
        const check_result r = run_equation(p, flush_end, rng, &jitted);
        if (!r.ok) FAIL_CHECK("tree " << t << ": " << r.why);
        if (expect_jit(level, p.out.type) && flush_end) {
          ++jit_levels;
          jitted_trees += jitted;
        }
      }
    }
  }
  INFO("trees JIT-compiled at JIT levels: " << jitted_trees << " of " << jit_levels);
  REQUIRE(trees == 120);
  // a tree falls back to the reference only when one vector of it exceeds the registers
  if (jit_levels) REQUIRE(jitted_trees * 10 >= jit_levels * 9);
}

TEST_CASE("equation: LayerNorm, softmax, bias + GELU (forward, backward, parameter gradients), BatchNorm",
          "[equation]") {
  std::mt19937 rng(22);
  const int ns[] = {1, 7, 8, 9, 15, 16, 17, 33, 100};
  for (int n : ns)
    for (int m : {1, 3}) {
      std::vector<tpp::equation_params> ps = {
          tpp::layernorm_forward(m, n), tpp::layernorm_backward(m, n), tpp::softmax_forward(m, n),
          tpp::softmax_backward(m, n), tpp::bias_gelu(m, n), tpp::bias_gelu_backward(m, n),
          tpp::bias_gelu_backward(m, n, dtype::bf16), tpp::batchnorm_forward(m, n),
          tpp::batchnorm_forward(m, n, dtype::bf16, {true, true}), tpp::layernorm_forward(m, n, dtype::bf16),
          tpp::softmax_forward(m, n, dtype::f16),
          // and with their parameter gradients as column sums
          tpp::layernorm_backward(m, n, dtype::f32, 1e-5f, tpp::param_grads::column_sums),
          tpp::layernorm_backward(m, n, dtype::bf16, 1e-5f, tpp::param_grads::column_sums),
          tpp::bias_gelu_backward(m, n, dtype::f32, tpp::param_grads::column_sums),
          tpp::bias_gelu_backward(m, n, dtype::bf16, tpp::param_grads::column_sums),
          tpp::batchnorm_backward_sums(m, n, dtype::f32, {false, false}),
          tpp::batchnorm_backward_sums(m, n, dtype::bf16, {false, false}),
          tpp::batchnorm_backward(m, n, dtype::f32, 0, {false, false}),
          tpp::batchnorm_backward(m, n, dtype::bf16, 1000, {false, false}),
          // ... behind a relu (dy masked by the forward's y), and with a residual (its gradient out)
          tpp::batchnorm_backward_sums(m, n), tpp::batchnorm_backward_sums(m, n, dtype::bf16, {true, true}),
          tpp::batchnorm_backward(m, n), tpp::batchnorm_backward(m, n, dtype::bf16, 1000, {true, true}),
          // LayerNorm's statistics written by the forward and read by the backward
          tpp::layernorm_forward(m, n, dtype::f32, 1e-5f, tpp::norm_stats::save),
          tpp::layernorm_forward(m, n, dtype::bf16, 1e-5f, tpp::norm_stats::save),
          tpp::layernorm_backward(m, n, dtype::f32, 0, tpp::param_grads::column_sums, tpp::norm_stats::saved),
          tpp::layernorm_backward(m, n, dtype::bf16, 0, tpp::param_grads::none, tpp::norm_stats::saved)};
      ps[0].inputs[0].ld = n + 5;  // ld > n on an input and the output
      ps[0].out.ld = n + 2;
      for (const auto& p : ps)
        for (tpp::isa level : levels()) {
          isa_scope cap(level);
          for (bool flush_end : {true, false}) {
            bool jitted = false;
            const check_result r = run_equation(p, flush_end, rng, &jitted);
            if (!r.ok) FAIL_CHECK(r.why);
            REQUIRE(jitted == expect_jit(level, p.out.type));
          }
        }
    }
}

// Column sums add up over groups of rows in registers (jit::equation_row_group): every row of a
// group must read and write its own addresses (ld > n on an input and on out), the rows left
// over (m % 4) run as a shorter group, and the sums must be the bits of one row at a time (the
// same f32 additions in the same order), as well as within the oracle's bound.
TEST_CASE("equation: column sums over groups of rows", "[equation][sums]") {
  // which equations group their rows, and how many (jit::equation_row_group)
  const auto group = [](const tpp::equation_params& p) {
    return tpp::jit::equation_row_group(tpp::detail::lower(p, tpp::isa::ref));
  };
  tpp::equation_params rowwise = tpp::batchnorm_square_sums(64, 256);
  CHECK(group(rowwise) == 4);
  rowwise.inputs[1].bcast = tpp::broadcast::column;  // a value per row: hoisted, so one row at a time
  CHECK(group(rowwise) == 1);
  CHECK(group(tpp::batchnorm_square_sums(1, 256)) == 1);
  CHECK(group(tpp::layernorm_backward(64, 256, dtype::f32, 1e-5f, tpp::param_grads::column_sums)) == 1);  // row reductions
  CHECK(group(tpp::layernorm_forward(64, 256, dtype::f32, 1e-5f, tpp::norm_stats::save)) == 1);  // no sums
  // from memory: at most 8 row streams (x, dy, y and dresidual: 4 each)
  CHECK(group(tpp::batchnorm_backward_sums(4096, 4096, dtype::f32, {true, true})) == 2);
  CHECK(group(tpp::batchnorm_backward_sums(4096, 4096, dtype::f32, {false, false})) == 4);
  // a transcendental bounds it, not the sum row: grouped in cache, one row at a time from memory
  CHECK(group(tpp::bias_gelu_backward(64, 256, dtype::f32, tpp::param_grads::column_sums)) == 4);
  CHECK(group(tpp::bias_gelu_backward(4096, 4096, dtype::f32, tpp::param_grads::column_sums)) == 1);

  std::mt19937 rng(57);
  for (int m : {2, 3, 4, 5, 8, 9, 17})
    for (int n : {1, 7, 9, 33}) {
      tpp::equation_params own;  // three sums, a scalar, a row broadcast, lds past n
      own.m = m;
      own.n = n;
      own.inputs = {{dtype::f32, n + 3}, {dtype::f32, 0, tpp::broadcast::row}, {dtype::bf16, 0, tpp::broadcast::scalar}};
      own.out = {dtype::f32, n + 2};
      own.root = tpp::arg(0) * tpp::arg(2) + tpp::arg(1);
      own.column_sums = {own.root, tpp::arg(0), tpp::arg(0) * tpp::arg(0)};
      const std::vector<tpp::equation_params> ps = {
          own, tpp::batchnorm_square_sums(m, n), tpp::batchnorm_backward_sums(m, n, dtype::bf16, {true, true}),
          tpp::bias_gelu_backward(m, n, dtype::f32, tpp::param_grads::column_sums)};
      for (const auto& p : ps)
        for (tpp::isa level : levels()) {
          isa_scope cap(level);
          for (bool flush_end : {true, false}) {
            const check_result r = run_equation(p, flush_end, rng);
            if (!r.ok) FAIL_CHECK(r.why);
          }
          if (!expect_jit(level, p.out.type)) continue;
          const tpp::detail::equation_desc d = tpp::detail::lower(p, level);
          const tpp::detail::equation_entry grouped = tpp::detail::build_equation(d),
                                            single = tpp::detail::build_equation(d, 1);
          INFO("m " << m << ", n " << n << ", level " << tpp::name(level) << ", sums " << p.column_sums.size());
          REQUIRE(grouped.code);
          REQUIRE(single.code);
          REQUIRE(grouped.row_group == 4);
          REQUIRE(single.row_group == 1);
          auto in = make_inputs(p.inputs, m, n, true, rng);
          std::vector<const void*> ptrs;
          for (const auto& o : in) ptrs.push_back(o.mem->data());
          const std::size_t obytes = p.out.type == dtype::none ? 0 : tpp_test::span_bytes(p.out, m, n);
          const std::size_t sums = p.column_sums.size();
          std::vector<float> start(sums * n);
          tpp_test::fill(start.data(), dtype::f32, start.size() * sizeof(float), -1, 1, rng);
          std::vector<std::vector<float>> side[2];
          std::vector<unsigned char> out[2];
          for (int b = 0; b < 2; ++b) {
            out[b].assign(obytes + 1, 0x7F);
            std::vector<void*> sp;
            for (std::size_t k = 0; k < sums; ++k) {
              side[b].emplace_back(start.begin() + k * n, start.begin() + (k + 1) * n);
              sp.push_back(side[b][k].data());
            }
            const tpp::detail::equation_args a{ptrs.data(), obytes ? out[b].data() : nullptr, sp.data()};
            (b ? single : grouped).code(&a);
          }
          REQUIRE(out[0] == out[1]);
          for (std::size_t k = 0; k < sums; ++k)
            REQUIRE(std::memcmp(side[0][k].data(), side[1][k].data(), sizeof(float) * n) == 0);
        }
    }
}

// Backward ops as nodes read dy and the forward operand straight from two inputs here, so the
// result must be what the backward TPP gives: within the op's documented bound (math_bounds.hpp)
// of tpp::ref's value, and exactly it for the relu family. The fwd node is also read by a second
// consumer (dx + fwd * 0) in half the cases, so the op must not clobber it.
TEST_CASE("equation: backward ops as nodes match the backward TPPs", "[equation]") {
  std::mt19937 rng(41);
  const tpp::unary_op ops[] = {tpp::unary_op::relu_inv,      tpp::unary_op::leaky_relu_inv, tpp::unary_op::elu_inv,
                               tpp::unary_op::gelu_tanh_inv, tpp::unary_op::gelu_erf_inv,   tpp::unary_op::tanh_inv,
                               tpp::unary_op::sigmoid_inv};
  for (tpp::unary_op op : ops)
    for (const auto& s : shapes)
      for (dtype t : {dtype::f32, dtype::bf16})
        for (bool shared : {false, true}) {
          const int m = s[0], n = s[1];
          tpp::equation_params p;
          p.m = m;
          p.n = n;
          p.inputs = {{t, n + 3}, {t}};
          p.out = {dtype::f32, n + 1};
          const std::optional<float> alpha = has_alpha(op) ? std::optional<float>(0.3f) : std::nullopt;
          const tpp::expr dx = tpp::unary_backward(op, tpp::arg(0), tpp::arg(1), alpha);
          p.root = shared ? dx + tpp::arg(1) * 0.0f : dx;
          for (tpp::isa level : levels()) {
            isa_scope cap(level);
            const tpp::equation_kernel kl = tpp::equation(p);
            REQUIRE(kl.jitted() == expect_jit(level, p.out.type));
            auto in = make_inputs(p.inputs, m, n, level == levels().back(), rng);
            guarded out(tpp_test::span_bytes(p.out, m, n), true);
            const void* ptrs[2] = {in[0].mem->data(), in[1].mem->data()};
            kl({ptrs[0], ptrs[1]}, out.data());
            const tpp::accuracy acc = tpp::jit_accuracy(op);
            for (int i = 0; i < m; ++i)
              for (int j = 0; j < n; ++j) {
                const float dy = static_cast<float>(in[0].at(i, j)), f = static_cast<float>(in[1].at(i, j));
                const float want = tpp::ref::unary_backward(op, dy, f, has_alpha(op) ? 0.3f : 0.0f);
                const float got = static_cast<const float*>(out.data())[static_cast<long>(i) * (n + 1) + j];
                const double tol = acc.ulps ? acc.ulps * ulp(want) + acc.abs_dy * std::fabs(dy) : 0;
                if (!(std::fabs(got - want) <= tol))
                  FAIL_CHECK(tpp::name(op) << " at (" << i << ", " << j << "): got " << got << ", want " << want
                                           << " +- " << tol << " (dy " << dy << ", fwd " << f
                                           << ", level " << tpp::name(level) << ", n " << n << ")");
              }
          }
        }
}

// The activations as equation nodes against tpp::ref's correctly rounded value, within the ulp
// bound the element-wise TPP documents (math_bounds.hpp). x = 8 a, a in [-1, 1] (exact: a power
// of two), so gelu_erf and erf reach their tails. The equation takes gelu_erf and erf's faster
// form where its register pool has room at the node (6 temps, Estrin) and the 4-temp form
// otherwise; the extra live inputs of `crowded` take registers from the pool at that node.
TEST_CASE("equation: activations as nodes stay within their ulp bounds", "[equation]") {
  std::mt19937 rng(43);
  const tpp::unary_op ops[] = {tpp::unary_op::gelu_erf, tpp::unary_op::erf, tpp::unary_op::sigmoid,
                               tpp::unary_op::tanh, tpp::unary_op::exp};
  for (tpp::unary_op op : ops)
    for (const auto& s : shapes)
      for (bool crowded : {false, true}) {
        const int m = s[0], n = s[1];
        tpp::equation_params p;
        p.m = m;
        p.n = n;
        p.inputs = std::vector<tpp::operand>(crowded ? 5 : 1, tpp::operand{dtype::f32, n + 3});
        p.out = {dtype::f32, n + 1};
        const tpp::expr act = tpp::unary(op, tpp::arg(0) * 8.0f);
        // crowded: four inputs live across the activation, each added back times 0 after it
        p.root = crowded ? (tpp::arg(1) + tpp::arg(2)) * 0.0f + act + (tpp::arg(3) + tpp::arg(4)) * 0.0f : act;
        for (tpp::isa level : levels()) {
          isa_scope cap(level);
          const tpp::equation_kernel kl = tpp::equation(p);
          auto in = make_inputs(p.inputs, m, n, level == levels().back(), rng);
          guarded out(tpp_test::span_bytes(p.out, m, n), true);
          std::vector<const void*> ptrs;
          for (const auto& d : in) ptrs.push_back(d.mem->data());
          kl(ptrs.size(), ptrs.data(), out.data());
          const int ulps = tpp::jit_accuracy(op).ulps;
          long bad = 0;
          for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
              const float x = 8.0f * static_cast<float>(in[0].at(i, j));
              const float want = tpp::ref::unary_forward(op, x, 0.0f);
              const float got = static_cast<const float*>(out.data())[static_cast<long>(i) * (n + 1) + j];
              // the oracle is correctly rounded (double, then one rounding): ulps of the kernel's
              // bound, and 0 where the oracle itself runs (the reference level)
              const double tol = kl.jitted() ? ulps * ulp(want) : 0;
              if (!(std::fabs(got - want) <= tol) && bad++ < 3)
                UNSCOPED_INFO(tpp::name(op) << " at (" << i << ", " << j << "): got " << got << ", want "
                                            << want << " +- " << tol << " (x " << x << ")");
            }
          INFO(tpp::name(op) << " at " << tpp::name(level) << ", " << m << " x " << n << (crowded ? ", crowded" : ""));
          CHECK(bad == 0);
        }
      }
}

// store_hint::streaming: an f32 root whose rows start 64 bytes apart is stored with streaming
// stores by the x86 JIT when out is vector-aligned, and through the cache otherwise; both copies
// of the row loop must give the oracle's answer. With the guard page after, out starts wherever
// its size puts it (aligned or not across this grid), before it starts on a page; ld = 16k
// (aligned rows) or n (aligned rows only where n is, or where the chain's packed rows collapse). Softmax keeps its exp in out, which its
// last pass reads: that root is never streamed, nor a bf16 one. In place, the cached copy runs.
TEST_CASE("equation: streaming stores (store_hint) keep every result", "[equation]") {
  std::mt19937 rng(31);
  for (int n : {1, 7, 8, 9, 15, 16, 17, 33, 100})
    for (int m : {1, 3})
      for (int ld : {n, (n + 15) / 16 * 16 + 16}) {
        tpp::equation_params chain;
        chain.m = m;
        chain.n = n;
        chain.inputs = std::vector<tpp::operand>(4, tpp::operand{dtype::f32});
        chain.root = tpp::relu(tpp::arg(0) * tpp::arg(1) + tpp::arg(2)) + tpp::arg(3);
        std::vector<tpp::equation_params> ps = {chain, tpp::layernorm_forward(m, n), tpp::softmax_forward(m, n),
                                                tpp::layernorm_forward(m, n, dtype::bf16)};
        for (auto& p : ps) {
          p.store = tpp::store_hint::streaming;
          p.out.ld = ld;
        }
        for (const auto& p : ps)
          for (tpp::isa level : levels()) {
            isa_scope cap(level);
            const bool collapses = &p == &ps[0] && ld == n;  // packed, no reduction: one long row
            const bool rows_aligned = m == 1 || ld % 16 == 0 || collapses;
            const bool softmax = &p == &ps[2];
            const bool jit = tpp_test::x86_jit(level) || tpp_test::neon_jit_writing(level, p.out.type);
            const bool want = jit && p.out.type == dtype::f32 && rows_aligned && !softmax;
            REQUIRE(tpp::equation(p).streams() == want);
            for (bool flush_end : {true, false}) {
              const check_result r = run_equation(p, flush_end, rng);
              if (!r.ok) FAIL_CHECK(r.why);
            }
          }
      }
  // In place (out is input 0, vector-aligned on its page): the kernel takes the cached copy, and
  // adds and relu round as the scalar loop here does, so the results are equal.
  {
    const int m = 3, n = 40, ld = 48;
    tpp::equation_params p;
    p.m = m;
    p.n = n;
    p.inputs = {{dtype::f32, ld}, {dtype::f32}, {dtype::f32}};
    p.out.ld = ld;
    p.root = tpp::relu(tpp::arg(0) + tpp::arg(1)) + tpp::arg(2);
    p.store = tpp::store_hint::streaming;
    guarded x(m * ld * 4, false), b(m * n * 4, true), r(m * n * 4, true);
    tpp_test::fill(b.data(), dtype::f32, b.bytes(), -1, 1, rng);
    tpp_test::fill(r.data(), dtype::f32, r.bytes(), -1, 1, rng);
    for (tpp::isa level : levels()) {
      isa_scope cap(level);
      tpp_test::fill(x.data(), dtype::f32, x.bytes(), -1, 1, rng);
      std::vector<float> want(static_cast<std::size_t>(m) * n);
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j)
          want[i * n + j] = std::max(x.as<float>()[i * ld + j] + b.as<float>()[i * n + j], 0.0f) + r.as<float>()[i * n + j];
      tpp::equation(p)({x.data(), b.data(), r.data()}, x.data());
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) REQUIRE(x.as<float>()[i * ld + j] == want[i * n + j]);
    }
  }
  // cached, and automatic on data far below the last-level cache, never stream
  for (tpp::store_hint h : {tpp::store_hint::cached, tpp::store_hint::automatic}) {
    tpp::equation_params p = tpp::layernorm_forward(64, 256);
    p.store = h;
    REQUIRE_FALSE(tpp::equation(p).streams());
  }
}

// Softmax's exp(x - max) may flush results below 2^-126 to zero (x86: math::exp_domain::nonpositive_ftz);
// normal results keep their accuracy. A row spanning the whole exp range, shifts -87..-110 among
// them: each output is within (|x - max| + 4) ulp + 2^-126 of the double-precision softmax, and
// none is negative. 2^-126 covers the flush; the f32 shift x - max rounds by up to half an ulp of
// |x - max|, which exp turns into a relative error of |x - max| 2^-24; 4 ulp cover exp's bound
// (2 ulp), the sum and the division.
TEST_CASE("equation: softmax over a row spanning the exp range flushes only below 2^-126", "[equation]") {
  const float shifts[] = {0, -1, -10, -50, -86.9f, -87.3f, -87.4f, -87.7f, -88, -90, -100, -103.5f, -110, -0.5f};
  const int n = 35;
  std::vector<float> x(n);
  for (int j = 0; j < n; ++j) x[j] = 3.0f + shifts[j % 14] + (j / 14) * 1e-3f;
  double mx = -INFINITY, sum = 0;
  for (float v : x) mx = std::max(mx, double(v));
  for (float v : x) sum += std::exp(double(v) - mx);
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    std::vector<float> y(n, -1.0f);
    tpp::equation(tpp::softmax_forward(1, n))({x.data()}, y.data());
    for (int j = 0; j < n; ++j) {
      const double want = std::exp(double(x[j]) - mx) / sum;
      INFO(tpp::name(level) << " x - max = " << double(x[j]) - mx << ": " << y[j] << " vs " << want);
      REQUIRE(y[j] >= 0.0f);
      const double shift = std::fabs(double(x[j]) - mx);
      REQUIRE(std::fabs(y[j] - want) <= (shift + 4) * want * FLT_EPSILON + std::ldexp(1.0, -126));
    }
  }
}

TEST_CASE("equation: a reduction root writes one f32 per row; passes and sharing", "[equation]") {
  std::mt19937 rng(23);
  const tpp::expr x = tpp::arg(0);
  tpp::equation_params p;
  p.m = 5;
  p.n = 19;
  p.inputs = {{dtype::f32}};
  p.root = tpp::row_sum(x * x);  // sum of squares
  p.out = {dtype::f32, 2};
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    const check_result r = run_equation(p, true, rng);
    if (!r.ok) FAIL_CHECK(r.why);
    const tpp::equation_kernel k = tpp::equation(p);
    REQUIRE(k.passes() == 1);
    REQUIRE(k.nodes() == 3);  // x read once: arg, mul, reduce
  }
  const auto sm = tpp::equation(tpp::softmax_forward(4, 64));
  REQUIRE(sm.passes() == 3);  // max, sum of exp, the quotient

  // a row output over a chain of 40 nodes that each read one child twice: lowering visits each
  // node once (a walk down both edges would visit 2^40), and doubling is exact in f32
  tpp::equation_params c;
  c.m = 3;
  c.n = 8;
  c.inputs = {{dtype::f32}};
  tpp::expr e = tpp::row_sum(x);
  for (int i = 0; i < 40; ++i) e = e + e;
  c.root = x + e;
  c.row_outputs = {e};
  const tpp::equation_kernel kc = tpp::equation(c);
  REQUIRE(kc.nodes() == 43);
  std::vector<float> in(24), y(24), col(3);
  for (int i = 0; i < 24; ++i) in[i] = static_cast<float>(i % 5) - 2;
  kc({in.data()}, y.data(), {col.data()});
  for (int r = 0; r < 3; ++r) {
    float sum = 0;
    for (int j = 0; j < 8; ++j) sum += in[r * 8 + j];  // small integers: exact in any order
    REQUIRE(col[r] == std::ldexp(sum, 40));
  }
}

TEST_CASE("equation: bad trees and calls throw tpp::error", "[equation][errors]") {
  using tpp::expr;
  const auto bad = [](tpp::equation_params p) { REQUIRE_THROWS_AS(tpp::equation(p), tpp::error); };
  tpp::equation_params p;
  p.m = 4;
  p.n = 8;
  p.inputs = {{dtype::f32}};
  p.root = tpp::arg(1);  // only one input
  bad(p);
  p.root = tpp::unary(tpp::unary_op::relu_inv, tpp::arg(0));  // a backward op without its forward operand
  bad(p);
  p.root = tpp::unary_backward(tpp::unary_op::gelu_tanh, tpp::arg(0), tpp::arg(0));  // not a backward op
  bad(p);
  p.root = tpp::binary(tpp::binary_op::cmp_gt, tpp::arg(0), tpp::arg(0));  // writes a mask
  bad(p);
  p.root = tpp::row_sum(tpp::arg(0));
  p.out = {dtype::bf16};  // reduction roots write f32
  bad(p);
  p.out = {dtype::f32};
  p.m = 0;
  bad(p);
  p.m = 4;
  p.inputs = {{dtype::i8}};
  bad(p);
  p.inputs = std::vector<tpp::operand>(9, tpp::operand{dtype::f32});
  bad(p);
  p.inputs = {{dtype::f32, 4}};  // ld 4 < n 8
  bad(p);
  p.inputs = {{dtype::f32}};
  expr chain = tpp::arg(0);
  for (int i = 0; i < 60; ++i) chain = chain + static_cast<float>(i);  // > 48 distinct nodes
  p.root = chain;
  bad(p);
  p.root = tpp::relu(tpp::arg(0));
  p.out = {dtype::f32, 0, tpp::broadcast::row};
  bad(p);
  p.out = {dtype::f32};
  const tpp::equation_kernel k = tpp::equation(p);
  float x[32] = {}, y[32] = {};
  REQUIRE_THROWS_AS(k({x, x}, y), tpp::error);       // two pointers for one input
  REQUIRE_THROWS_AS(k({nullptr}, y), tpp::error);
  REQUIRE_THROWS_AS(k({x}, nullptr), tpp::error);
  REQUIRE_THROWS_AS(tpp::equation_kernel()({x}, y), tpp::error);
  REQUIRE_THROWS_AS(k({x}, y, {y}), tpp::error);  // a column-sum row it does not have
  p.column_sums = {tpp::arg(0), tpp::arg(0) * 2.0f};
  const tpp::equation_kernel ks = tpp::equation(p);
  REQUIRE(ks.column_sums() == 2);
  REQUIRE_THROWS_AS(ks({x}, y), tpp::error);             // without its column-sum rows
  REQUIRE_THROWS_AS(ks({x}, y, {y, nullptr}), tpp::error);
  p.row_outputs = {tpp::row_sum(tpp::arg(0)), tpp::arg(0) * 2.0f};  // the second varies along the row
  bad(p);
  p.row_outputs = std::vector<expr>(4, tpp::row_sum(tpp::arg(0)));  // more than 3
  bad(p);
  p.row_outputs = {tpp::row_max(tpp::arg(0))};
  p.root = tpp::row_sum(tpp::arg(0));  // a reduction root is a row output already
  bad(p);
  p.root = tpp::relu(tpp::arg(0));
  const tpp::equation_kernel kr = tpp::equation(p);
  REQUIRE(kr.row_outputs() == 1);
  REQUIRE_THROWS_AS(kr({x}, y), tpp::error);  // without its row-output column
  p.row_outputs.clear();
  REQUIRE_THROWS_AS(tpp::layernorm_forward(4, 8, dtype::f32, 1e-5f, tpp::norm_stats::saved), tpp::error);
  REQUIRE_THROWS_AS(tpp::layernorm_backward(4, 8, dtype::f32, 1e-5f, tpp::param_grads::none, tpp::norm_stats::save),
                    tpp::error);
  p.out = {dtype::none};  // no rows and no side outputs: nothing to write
  p.column_sums.clear();
  bad(p);
  p.out = {dtype::f32};
  p.column_sums = std::vector<expr>(5, tpp::arg(0));  // more than 4
  bad(p);
  p.column_sums = {tpp::arg(0)};
  p.root = tpp::row_sum(tpp::arg(0));  // a reduction root writes no m x n rows to sum along
  bad(p);
  p.column_sums = {tpp::arg(2)};  // an unknown operand in a column sum
  p.root = tpp::relu(tpp::arg(0));
  bad(p);
  p.column_sums.clear();
  try {
    p.root = tpp::arg(3);
    tpp::equation(p);
    FAIL("no error");
  } catch (const tpp::error& e) {
    REQUIRE(std::string(e.what()).find("arg(3)") != std::string::npos);
  }
}

TEST_CASE("ternary TPPs (one-node equations) with per-operand broadcast", "[equation][ternary]") {
  std::mt19937 rng(24);
  int i = 0;
  for (tpp::ternary_op op : {tpp::ternary_op::muladd, tpp::ternary_op::nmuladd, tpp::ternary_op::select})
    for (int m : {1, 7, 16})
      for (int n : {1, 8, 9, 17, 33}) {
        ++i;
        tpp::equation_params p;  // the oracle takes the equation form; ternary() builds the same
        p.m = m;
        p.n = n;
        p.inputs = {{dtype::f32, 0, static_cast<tpp::broadcast>(i % 4)}, {i % 2 ? dtype::bf16 : dtype::f32},
                    {dtype::f32, 0, static_cast<tpp::broadcast>((i / 4) % 4)}};
        p.out = {i % 3 ? dtype::f32 : dtype::bf16};
        p.root = tpp::ternary(op, tpp::arg(0), tpp::arg(1), tpp::arg(2));  // what tpp::ternary builds
        for (tpp::isa level : levels()) {
          isa_scope cap(level);
          const check_result r = run_equation(p, i % 2 == 0, rng);
          if (!r.ok) FAIL_CHECK(name(op) << ": " << r.why);
          tpp::ternary_params t;
          t.op = op;
          t.rows = m;
          t.cols = n;
          t.a = p.inputs[0];
          t.b = p.inputs[1];
          t.c = p.inputs[2];
          t.out = p.out;
          REQUIRE(tpp::ternary(t).jitted() == expect_jit(level, p.out.type));
        }
      }
}

// The NEON generators are plain C++, so every host can read their code: qemu runs stnp as a plain
// store pair, and the hint shows only there. STNP (q registers, offset form) is 0xAC000000 under
// the mask 0xFFC00000; it appears exactly when the descriptor streams (store_hint::streaming on
// an f32 out whose rows start 64 bytes apart), and never for softmax, whose exp lives in out.
TEST_CASE("NEON code stores streaming outputs with stnp pairs", "[equation][unary][stream]") {
  const auto stnp_words = [](const std::vector<std::uint32_t>& w) {
    return std::count_if(w.begin(), w.end(), [](std::uint32_t x) { return (x & 0xFFC00000u) == 0xAC000000u; });
  };
  for (tpp::store_hint h : {tpp::store_hint::cached, tpp::store_hint::streaming}) {
    const bool streaming = h == tpp::store_hint::streaming;
    tpp::unary_params u;
    u.op = tpp::unary_op::relu;
    u.rows = 4;
    u.cols = 64;
    u.store = h;
    const tpp::jit::a64::eltwise_generator eg(tpp::detail::lower(u, tpp::isa::neon));
    INFO(tpp::name(h));
    REQUIRE((stnp_words(eg.words()) > 0) == streaming);
    for (bool softmax : {false, true}) {
      tpp::equation_params p = softmax ? tpp::softmax_forward(4, 64) : tpp::layernorm_forward(4, 64);
      p.store = h;
      const tpp::detail::equation_desc d = tpp::detail::lower(p, tpp::isa::neon);
      long words = -1;
      tpp::detail::build_with_retries(d, [&](const tpp::jit::equation_schedule& s) {
        words = stnp_words(tpp::jit::a64::equation_generator(d, s).words());
      });
      INFO((softmax ? "softmax" : "layernorm"));
      REQUIRE(words >= 0);
      REQUIRE((words > 0) == (streaming && !softmax));
    }
  }
}
