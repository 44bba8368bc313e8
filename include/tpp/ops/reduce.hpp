// Reduction TPPs (DESIGN.md §4): sum, max, min, sum of squares, or sum and sum of squares together,
// of each row or of each column of a rows x cols operand, into f32.
//
//   over each_row     out rows x 1 (ld >= 1), or rows x 2 for sum_and_sum_squares: [sum, sumsq]
//   over each_column  out 1 x cols, or 2 x cols (ld >= cols): row 0 the sums, row 1 the squares
//
// Rows run as reduction-root equations (the equation generator), except each row's sum and sum
// of squares, which on x86 has a one-pass generator of its own (elsewhere: two equations, block
// by block); columns have a generator of their own (x86 and NEON) that keeps a block of column
// sums in registers while it walks down 8 rows at a time. max and
// min skip NaN elements, like std::fmax / fmin (a line of only NaNs gives -Inf / +Inf, the identity);
// sums accumulate in f32.
//
//   tpp::reduce_params p;
//   p.op = tpp::reduce_kind::sum_and_sum_squares; p.over = tpp::reduce_dim::each_column;
//   p.rows = 1024; p.cols = 256; p.out.ld = 256;
//   tpp::reduce(p)(in, out);                  // out[0][j] = sum_i in[i][j], out[1][j] = sum_i in^2
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "tpp/core/cache.hpp"
#include "tpp/core/cpu.hpp"
#include "tpp/detail/eltwise_validate.hpp"
#include "tpp/jit/code_buffer.hpp"
#include "tpp/jit/debug_hooks.hpp"
#include "tpp/jit/kernel_cache.hpp"
#include "tpp/ops/equation.hpp"
#include "tpp/ops/reduce_params.hpp"

#if TPP_X86_64
#include "tpp/jit/x86/column_reduce_generator.hpp"
#include "tpp/jit/x86/generate.hpp"
#include "tpp/jit/x86/row_sums_generator.hpp"
#elif defined(__aarch64__)
#include "tpp/jit/a64/column_reduce_generator.hpp"
#endif

namespace tpp {

namespace detail {

struct reduce_entry {
  reduce_desc desc;
  void (*code)(const void* const*) = nullptr;  // args {in, out}; null: the reference
};

// out[j] (and out[ldo + j]) over the rows of column j, as the JIT defines it. Row entries
// exist only where the row-sums generator built their code (row_sums_generated); elsewhere rows
// run as equations, whose reference is the equation reference.
inline void column_reduce_ref(const reduce_desc& d, const void* in, float* out) {
  if (d.over != reduce_dim::each_column) fail("tpp::reduce: internal: a row entry without code");
  for (long j = 0; j < d.cols; ++j) {
    float s = d.op == reduce_kind::max ? -std::numeric_limits<float>::infinity()
              : d.op == reduce_kind::min ? std::numeric_limits<float>::infinity() : 0.0f;
    float q = 0;
    for (long i = 0; i < d.rows; ++i) {
      const float x = load_as_f32(in, d.in_type, i * d.ldi + j);
      switch (d.op) {
        case reduce_kind::max: s = std::fmax(s, x); break;
        case reduce_kind::min: s = std::fmin(s, x); break;
        case reduce_kind::sum_squares: s = std::fma(x, x, s); break;
        case reduce_kind::sum_and_sum_squares: s += x; q = std::fma(x, x, q); break;
        default: s += x;
      }
    }
    out[j] = s;
    if (d.op == reduce_kind::sum_and_sum_squares) out[d.ldo + j] = q;
  }
}

// Whether each row's sum and sum of squares runs the one-pass generator (x86) rather than two
// equations.
inline bool row_sums_generated(const reduce_desc& d) {
#if TPP_X86_64
  return d.level != isa::ref && jit::x86::row_sums_supports(d);
#else
  (void)d;
  return false;
#endif
}

inline reduce_entry build_reduce(const reduce_desc& d) {
  reduce_entry e;
  e.desc = d;
#if TPP_X86_64
  if (d.over == reduce_dim::each_row) {
    if (row_sums_generated(d))
      e.code = jit::x86::generate<jit::x86::row_sums_generator, void (*)(const void* const*)>(
          d.level, "tpp_reduce_rows_sum_and_sum_squares", d);
    return e;
  }
  if (d.level == isa::ref || !jit::x86::column_reduce_supports(d)) return e;
  e.code = jit::x86::generate<jit::x86::column_reduce_generator, void (*)(const void* const*)>(
      d.level, std::string("tpp_reduce_columns_") + name(d.op), d);
#elif defined(__aarch64__)
  std::size_t bytes = 0;
  if (d.level != isa::ref && d.over == reduce_dim::each_column)
    e.code = jit::publish_words<void (*)(const void* const*)>(jit::a64::column_reduce_generator(d),
                                                              std::string("tpp_reduce_columns_") + name(d.op), bytes);
#endif
  return e;
}

inline jit::kernel_cache<reduce_desc, reduce_entry>& reduce_cache() {
  static jit::kernel_cache<reduce_desc, reduce_entry> cache;
  return cache;
}

}  // namespace detail

class reduce_kernel {
 public:
  reduce_kernel() = default;
  explicit reduce_kernel(const detail::reduce_entry* e) : entry_(e) {}
  // rows: one equation (r1), or for sum_and_sum_squares the sums (r1) and the squares (r2) over
  // blocks of `block` rows, the second equation reading each block back from cache
  struct row_blocks {
    equation_kernel r1, r2, r1_tail, r2_tail;
    int rows = 0, block = 0;
    long in_bytes = 0, out_floats = 0;  // per block: bytes of in, floats of out
  };
  explicit reduce_kernel(const row_blocks& r) : rows_(r) {}

  void operator()(const void* in, void* out) const {
    if (!in || !out) detail::fail("tpp::reduce: in or out is null");
    if (entry_) {
      const void* args[2] = {in, out};
      if (entry_->code) entry_->code(args);
      else detail::column_reduce_ref(entry_->desc, in, static_cast<float*>(out));
      return;
    }
    if (rows_.r1.empty()) detail::fail("tpp::reduce: the kernel handle is empty (default-constructed)");
    if (rows_.r2.empty()) {
      rows_.r1({in}, out);
      return;
    }
    const char* x = static_cast<const char*>(in);
    float* y = static_cast<float*>(out);
    int r = 0;
    for (; r + rows_.block <= rows_.rows; r += rows_.block, x += rows_.in_bytes, y += rows_.out_floats) {
      rows_.r1({x}, y);
      rows_.r2({x}, y + 1);  // sum of squares: the second column
    }
    if (r < rows_.rows) {
      rows_.r1_tail({x}, y);
      rows_.r2_tail({x}, y + 1);
    }
  }
  bool jitted() const { return entry_ ? entry_->code != nullptr : rows_.r1.jitted(); }

 private:
  const detail::reduce_entry* entry_ = nullptr;
  row_blocks rows_;
};

inline reduce_kernel reduce(const reduce_params& p) {
  const detail::call_ctx ctx{"reduce", name(p.op)};
  if (static_cast<int>(p.op) > 4) detail::fail("tpp::reduce: op = ", static_cast<int>(p.op), " is not a reduce_kind");
  if (static_cast<int>(p.over) > 1) detail::fail("tpp::reduce: over = ", static_cast<int>(p.over), " is not a reduce_dim");
  detail::check_extent(ctx, "rows", p.rows);
  detail::check_extent(ctx, "cols", p.cols);
  detail::lower_operand(ctx, "in", p.in, p.rows, p.cols, {false, false, true, false});  // type, ld, no broadcast
  if (p.out.type != dtype::f32) detail::fail(ctx, ": out.type = ", name(p.out.type), "; reductions write f32");
  if (p.out.bcast != broadcast::none) detail::fail(ctx, ": out.bcast must be none");
  const bool both = p.op == reduce_kind::sum_and_sum_squares;
  const long ldi = p.in.ld ? p.in.ld : p.cols, row_bytes = ldi * size_of(p.in.type);
  // the key of a generator's kernel (columns; rows' sums and squares), over the given dim
  const auto desc_over = [&](reduce_dim over, int ldo) {
    detail::reduce_desc d;
    d.level = active_isa();
    d.op = p.op;
    d.in_type = p.in.type;
    d.over = over;
    d.rows = p.rows;
    d.cols = p.cols;
    d.ldi = static_cast<std::int32_t>(ldi);
    d.ldo = ldo;
    return d;
  };
  if (p.over == reduce_dim::each_column) {
    const detail::reduce_desc d = desc_over(reduce_dim::each_column, p.out.ld ? p.out.ld : p.cols);
    if (p.out.ld < 0 || (both && d.ldo < p.cols))
      detail::fail(ctx, ": out.ld = ", p.out.ld, " is less than cols = ", p.cols, " (two output rows)");
    return reduce_kernel(detail::reduce_cache().get(d, detail::build_reduce));
  }
  const int ldo = p.out.ld ? p.out.ld : (both ? 2 : 1);
  if (p.out.ld < 0 || ldo < (both ? 2 : 1))
    detail::fail(ctx, ": out.ld = ", p.out.ld, " is less than ", both ? 2 : 1, ", the values per row");
  if (both) {
    detail::reduce_desc d = desc_over(reduce_dim::each_row, ldo);
    // the rule of the row-sum equations (prefetches_rows): rows from memory prefetch the next
    d.prefetch = p.rows > 1 && rows_from_memory(static_cast<double>(row_bytes) * p.rows);
    if (detail::row_sums_generated(d)) return reduce_kernel(detail::reduce_cache().get(d, detail::build_reduce));
  }
  const expr x = arg(0);
  const auto rows_equation = [&](int rows, const expr& root) {
    equation_params e;
    e.m = rows;
    e.n = p.cols;
    e.inputs = {p.in};
    e.out = operand{dtype::f32, ldo};
    e.root = root;
    return equation(e);
  };
  reduce_kernel::row_blocks r;
  if (!both) {
    switch (p.op) {
      case reduce_kind::max: r.r1 = rows_equation(p.rows, row_max(x)); break;
      case reduce_kind::min: r.r1 = rows_equation(p.rows, row_min(x)); break;
      case reduce_kind::sum_squares: r.r1 = rows_equation(p.rows, row_sum(x * x)); break;
      default: r.r1 = rows_equation(p.rows, row_sum(x));
    }
    return reduce_kernel(r);
  }
  // Without the generator, sums and squares are two equations, each one pass. Over the whole
  // operand the second pass would read it again from memory; over blocks of about 64 KiB it
  // reads each block from L2.
  r.rows = p.rows;
  r.block = static_cast<int>(std::clamp<long>(64 * 1024 / row_bytes, 1, p.rows));
  r.in_bytes = r.block * row_bytes;
  r.out_floats = static_cast<long>(r.block) * ldo;
  r.r1 = rows_equation(r.block, row_sum(x));
  r.r2 = rows_equation(r.block, row_sum(x * x));
  if (const int tail = p.rows % r.block) {
    r.r1_tail = rows_equation(tail, row_sum(x));
    r.r2_tail = rows_equation(tail, row_sum(x * x));
  }
  return reduce_kernel(r);
}

}  // namespace tpp
