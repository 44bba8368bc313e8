// The canonical key of an equation kernel: the expression flattened into a DAG of nodes in
// evaluation order (children first; a subtree shared by pointer is one node), with the operands.
//
//   relu(arg(0) * arg(1) + 0.5f)  ->  [arg 0] [arg 1] [mul 0 1] [const 0.5] [add 2 3] [relu 4]
//
// Each row reduction also gets its pass: 1 + the largest pass of a reduction below it. Pass p
// computes the reductions of pass p over the row; the last pass evaluates the root and stores it,
// adds the nodes of the column sums into their rows, and writes the row outputs once per row.
// The root is the last node unless the nodes of a column sum or row output follow it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/eltwise_desc.hpp"
#include "tpp/detail/eltwise_validate.hpp"
#include "tpp/ops/equation_expr.hpp"

namespace tpp::detail {

constexpr int equation_max_nodes = 48;
constexpr int equation_max_inputs = 8;
constexpr int equation_max_sums = 4;
constexpr int equation_max_row_outputs = 3;
static_assert(equation_max_sums + 1 + equation_max_row_outputs == 8, "the desc's header stays 24 bytes");

struct eq_node {
  expr_kind kind = expr_kind::constant;
  std::uint8_t op = 0;              // arg index or the op
  std::uint8_t a = 0, b = 0, c = 0;  // children (node indices)
  std::uint8_t pass = 0;            // reduce: the pass computing it (1-based); other nodes: the
                                    // last pass of a reduction below (computable after it)
  std::uint8_t pad[2] = {};
  float value = 0;                  // constant value or unary alpha
};

struct equation_desc {
  isa level = isa::ref;
  std::uint8_t count = 0, inputs = 0, passes = 0;  // nodes, operands, passes over a row
  std::uint8_t stream = 0;                         // 1: the root's full vectors are streaming stores
  std::uint8_t prefetch = 0;                       // 1: a one-pass row reduction prefetches the next row
  std::uint8_t root_node = 0;                      // the root's index (column sums may follow it)
  std::uint8_t sums = 0;                           // column sums (equation_params::column_sums)
  std::uint8_t sum_node[equation_max_sums] = {};   // the node each column sum adds up
  std::uint8_t row_outs = 0;                       // row outputs (equation_params::row_outputs)
  std::uint8_t row_node[equation_max_row_outputs] = {};  // the row-invariant node each writes
  std::int32_t m = 0, n = 0;
  operand_desc out;
  operand_desc in[equation_max_inputs];
  eq_node nodes[equation_max_nodes];

  const eq_node& root() const { return nodes[root_node]; }
  bool root_is_reduction() const { return root().kind == expr_kind::reduce; }
  // node i is written once per row into some row output
  bool row_output(int i) const {
    for (int k = 0; k < row_outs; ++k)
      if (row_node[k] == i) return true;
    return false;
  }
  // node i is added up over the rows into some column sum
  bool summed(int i) const {
    for (int k = 0; k < sums; ++k)
      if (sum_node[k] == i) return true;
    return false;
  }
};
static_assert(sizeof(eq_node) == 12, "no padding in keys");
static_assert(sizeof(equation_desc) == 24 + 8 + 8 * equation_max_inputs + 12 * equation_max_nodes,
              "no padding in keys (hashed and compared as bytes)");

// The bytes of d that kernel caches hash (jit::hash_bytes): the nodes past count are zeros.
inline std::size_t hashed_size(const equation_desc& d) {
  return offsetof(equation_desc, nodes) + sizeof(eq_node) * d.count;
}

// What a kernel is called with. side: the column sums' 1 x n f32 rows (added to), then the row
// outputs' m x 1 f32 columns.
struct equation_args {
  const void* const* inputs;
  void* out;
  void* const* side = nullptr;
};

// tree -> nodes; throws tpp::error for bad trees (unknown args, ops, too many nodes).
class equation_flattener {
 public:
  explicit equation_flattener(equation_desc& d) : d_(d) {}

  int add(const std::shared_ptr<const expr_node>& n) {
    if (!n) fail("tpp::equation: the expression has an empty operand (a default expr?)");
    // a node met before (a shared subtree): its index. A scan of at most 48 pointers, on the
    // dispatch path of every tpp::equation call (a std::map cost a heap node per node)
    for (int i = 0; i < d_.count; ++i)
      if (seen_[i] == n.get()) return i;
    eq_node e;
    e.kind = n->kind;
    e.op = n->op;
    e.value = n->value;
    int pass = 0;
    const auto child = [&](const std::shared_ptr<const expr_node>& c) {
      const int i = add(c);
      pass = std::max(pass, static_cast<int>(d_.nodes[i].pass));
      return static_cast<std::uint8_t>(i);
    };
    switch (n->kind) {
      case expr_kind::arg:
        if (n->op >= d_.inputs)
          fail("tpp::equation: arg(", static_cast<int>(n->op) == 255 ? -1 : static_cast<int>(n->op),
               ") is used, but inputs has ", static_cast<int>(d_.inputs), " operands");
        break;
      case expr_kind::constant: break;
      case expr_kind::unary: {
        const auto op = static_cast<unary_op>(n->op);
        if (n->op >= unary_op_count || !(is_activation(op) || is_backward(op)))
          fail("tpp::equation: unary op ", n->op < unary_op_count ? name(op) : "?",
               " is not supported in equations; allowed: forward ops that read x, and backward ops");
        if (!has_alpha(op) && n->value != 0)
          fail("tpp::equation: unary op ", name(op), " takes no alpha, but alpha = ", n->value);
        if (is_backward(op) != (n->b != nullptr))
          fail("tpp::equation: unary op ", name(op),
               is_backward(op) ? " needs the forward operand: build it with tpp::unary_backward(op, dy, fwd)"
                               : " takes one operand");
        e.a = child(n->a);
        if (is_backward(op)) e.b = child(n->b);  // the forward operand
        break;
      }
      case expr_kind::binary:
        if (n->op >= binary_op_count || is_compare(static_cast<binary_op>(n->op)))
          fail("tpp::equation: binary op ", static_cast<int>(n->op),
               " is not supported in equations; allowed: add, sub, mul, div, max, min");
        e.a = child(n->a);
        e.b = child(n->b);
        break;
      case expr_kind::ternary:
        if (n->op > 2) fail("tpp::equation: ternary op ", static_cast<int>(n->op), " is not a ternary_op");
        e.a = child(n->a);
        e.b = child(n->b);
        e.c = child(n->c);
        break;
      case expr_kind::reduce:
        if (n->op > 3) fail("tpp::equation: reduce op ", static_cast<int>(n->op), " is not a reduce_op");
        e.a = child(n->a);
        ++pass;
        break;
      default: fail("tpp::equation: node kind ", static_cast<int>(n->kind), " is unknown");
    }
    e.pass = static_cast<std::uint8_t>(pass);
    if (d_.count >= equation_max_nodes)
      fail("tpp::equation: the expression has more than ", equation_max_nodes, " distinct nodes");
    d_.nodes[d_.count] = e;
    seen_[d_.count] = n.get();
    return d_.count++;
  }

 private:
  equation_desc& d_;
  const expr_node* seen_[equation_max_nodes] = {};  // node i's expression
};

}  // namespace tpp::detail
