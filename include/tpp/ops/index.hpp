// Indexed-row TPPs (DESIGN.md §4): gather, scatter and the embedding bag (an indexed column
// reduction), with 32- or 64-bit indices. See tpp/detail/index_desc.hpp for the three ops.
//
//   tpp::index_params p;                    // out[1 x 64] = sum of the table rows named by idx
//   p.op = tpp::index_op::bag_sum; p.cols = 64; p.table_rows = 100000;
//   p.check = true;                          // reject indices outside [0, table_rows)
//   tpp::index_kernel k = tpp::index_rows(p);
//   k(table, idx, count, out);               // scatter: k(table, idx, count, in) writes the table
//
// Without check, an index outside the table is undefined behaviour (no per-element branch in the
// kernel); with it, every index is validated first and the first bad one is named in the error.
#pragma once

#include <cstdint>
#include <string>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/eltwise_validate.hpp"
#include "tpp/detail/index_desc.hpp"
#include "tpp/jit/debug_hooks.hpp"
#include "tpp/jit/kernel_cache.hpp"

#if TPP_X86_64
#include "tpp/jit/x86/index_generator.hpp"
#include "tpp/jit/x86/generate.hpp"
#elif defined(__aarch64__)
#include "tpp/jit/a64/index_generator.hpp"
#endif

namespace tpp {

struct index_params {
  index_op op = index_op::gather;
  int cols = 0;
  long long table_rows = 0;  // rows of the table: the valid index range, checked when check
  operand table;             // f32, bf16, f16; ld = its row stride
  operand other;             // out (gather: count x cols, bag: 1 x cols) or in (scatter)
  index_width index = index_width::i32;
  bool check = false;        // validate every index at call time
};

namespace detail {

inline void index_ref(const index_desc& d, const index_args& a) {
  const auto row_of = [&](std::int64_t k) -> std::int64_t {
    return d.index_type == index_width::i32 ? static_cast<const std::int32_t*>(a.indices)[k]
                                      : static_cast<const std::int64_t*>(a.indices)[k];
  };
  if (d.op == index_op::bag_sum) {
    for (long j = 0; j < d.cols; ++j) {
      float s = 0;
      for (std::int64_t k = 0; k < a.count; ++k) s += load_as_f32(a.table, d.table_type, row_of(k) * d.ld_table + j);
      store_from_f32(a.other, d.other_type, j, s);
    }
    return;
  }
  for (std::int64_t k = 0; k < a.count; ++k)
    for (long j = 0; j < d.cols; ++j) {
      const long t = static_cast<long>(row_of(k) * d.ld_table + j), o = static_cast<long>(k * d.ld_other + j);
      if (d.op == index_op::gather) store_from_f32(a.other, d.other_type, o, load_as_f32(a.table, d.table_type, t));
      else store_from_f32(a.table, d.table_type, t, load_as_f32(a.other, d.other_type, o));
    }
}

struct index_entry {
  index_desc desc;
  void (*code)(const index_args*) = nullptr;
};

inline index_entry build_index(const index_desc& d) {
  index_entry e;
  e.desc = d;
#if TPP_X86_64
  if (d.level == isa::ref || !jit::x86::index_supports(d)) return e;
  e.code = jit::x86::generate<jit::x86::index_generator, void (*)(const index_args*)>(d.level, "tpp_index_rows", d);
#elif defined(__aarch64__)
  if (!jit::a64::index_supports(d)) return e;
  std::size_t size = 0;
  e.code = jit::publish_words<void (*)(const index_args*)>(jit::a64::index_generator(d), "tpp_index_rows", size);
#endif
  return e;
}

inline jit::kernel_cache<index_desc, index_entry>& index_cache() {
  static jit::kernel_cache<index_desc, index_entry> cache;
  return cache;
}

}  // namespace detail

class index_kernel {
 public:
  index_kernel() = default;
  index_kernel(const detail::index_entry* e, long long table_rows, bool check)
      : e_(e), table_rows_(table_rows), check_(check) {}

  void operator()(void* table, const void* indices, std::int64_t count, void* other) const {
    if (!e_) detail::fail("tpp::index_rows: the kernel handle is empty (default-constructed)");
    if (count < 0) detail::fail("tpp::index_rows: count = ", count, " is negative");
    if (!other || (count > 0 && (!table || !indices)))
      detail::fail("tpp::index_rows: table, indices or ", e_->desc.op == index_op::scatter ? "in" : "out", " is null");
    if (check_)
      for (std::int64_t k = 0; k < count; ++k) {
        const long long r = e_->desc.index_type == index_width::i32 ? static_cast<const std::int32_t*>(indices)[k]
                                                              : static_cast<const std::int64_t*>(indices)[k];
        if (r < 0 || r >= table_rows_)
          detail::fail("tpp::index_rows: indices[", k, "] = ", r, " is outside the table's rows [0, ", table_rows_, ")");
      }
    const detail::index_args a{table, indices, count, other};
    if (e_->code) e_->code(&a);
    else detail::index_ref(e_->desc, a);
  }
  bool jitted() const { return e_ && e_->code != nullptr; }

 private:
  const detail::index_entry* e_ = nullptr;
  long long table_rows_ = 0;
  bool check_ = false;
};

inline index_kernel index_rows(const index_params& p) {
  const detail::call_ctx ctx{"index_rows", p.op == index_op::gather ? "gather" : p.op == index_op::scatter ? "scatter" : "bag_sum"};
  if (static_cast<int>(p.op) > 2) detail::fail("tpp::index_rows: op = ", static_cast<int>(p.op), " is not an index_op");
  detail::check_extent(ctx, "cols", p.cols);
  if (p.index != index_width::i32 && p.index != index_width::i64)
    detail::fail(ctx, ": index = ", static_cast<int>(p.index), " is not an index_width (i32, i64)");
  if (p.check && p.table_rows < 1) detail::fail(ctx, ": check is set, but table_rows = ", p.table_rows);
  const auto ld = [&](const char* field, const operand& o) {
    if (!detail::is_float_type(o.type))
      detail::fail(ctx, ": ", field, ".type = ", name(o.type), " is not supported; allowed: f32, bf16, f16");
    if (o.bcast != broadcast::none) detail::fail(ctx, ": ", field, ".bcast must be none");
    if (o.ld < 0 || (o.ld && o.ld < p.cols)) detail::fail(ctx, ": ", field, ".ld = ", o.ld, " is less than cols = ", p.cols);
    return o.ld ? o.ld : p.cols;
  };
  detail::index_desc d;
  d.level = active_isa();
  d.op = p.op;
  d.table_type = p.table.type;
  d.other_type = p.other.type;
  d.index_type = p.index;
  d.cols = p.cols;
  d.ld_table = ld("table", p.table);
  d.ld_other = ld(p.op == index_op::scatter ? "in" : "out", p.other);
  return index_kernel(detail::index_cache().get(d, detail::build_index), p.table_rows, p.check);
}

}  // namespace tpp
