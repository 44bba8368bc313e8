// Runs one element-wise case at one ISA level on guard-paged operands and compares every output
// element with the reference; bytes outside the rows x cols region must stay untouched.
#pragma once

#include <cfloat>
#include <memory>
#include <sstream>
#include <string>

#include "catch.hpp"
#include "support.hpp"
#include "tpp/ops/math_bounds.hpp"

namespace tpp_test {

struct value_range {
  float lo = -4, hi = 4;
};

struct outcome {
  bool ok = true;
  std::string why;
};

constexpr unsigned char sentinel = 0xA5;

// The first input's value at (i, j): x for forward ops, dy for backward ones.
inline float input_at(const void* p, const tpp::detail::operand_desc& o, long i, long j) {
  switch (o.bcast) {
    case tpp::broadcast::row: return tpp::load_as_f32(p, o.type, j);
    case tpp::broadcast::column: return tpp::load_as_f32(p, o.type, i * o.ld);
    case tpp::broadcast::scalar: return tpp::load_as_f32(p, o.type, 0);
    default: return tpp::load_as_f32(p, o.type, i * o.ld + j);
  }
}

// The documented bound of tpp/ops/math_bounds.hpp beyond plain ulps: the |dy| allowance of
// backward ops and the relative tail of the GELUs. `in` is x (forward) or dy (backward).
inline bool within(const tpp::accuracy& tol, float got, float want, float in, bool narrow) {
  const double ulp = std::fabs(double(std::nextafter(want, INFINITY)) - want);
  double allowed = tol.ulps * ulp + tol.abs_dy * std::fabs(in);
  if (in < tol.tail_below) allowed += tol.tail_rel * std::fabs(want);
  if (narrow) allowed += 256 * ulp;  // one bf16 / f16 unit of the f32 result (2^8 f32 ulps for bf16)
  return std::fabs(double(got) - want) <= allowed;
}

// Compares one output operand (jit vs ref). `dy` (may be null) gives |dy| for backward bounds.
inline outcome compare_output(const tpp::detail::eltwise_desc& d, const tpp::detail::operand_desc& o,
                              const guarded& jit, const guarded& ref, tpp::accuracy tol,
                              const void* dy, const tpp::detail::operand_desc* dy_op, bool bf16_ftz) {
  const auto* bj = static_cast<const unsigned char*>(jit.data());
  const auto* br = static_cast<const unsigned char*>(ref.data());
  std::vector<char> in_region(jit.bytes(), 0);
  std::ostringstream why;
  for (long i = 0; i < d.rows; ++i) {
    if (o.type == tpp::dtype::bit) {
      for (long b = 0; b < (d.cols + 7) / 8; ++b) {
        const long at = (i * o.ld) / 8 + b;
        in_region[at] = 1;
        if (bj[at] != br[at]) {
          why << "mask row " << i << " byte " << b << ": jit " << int(bj[at]) << " ref " << int(br[at]);
          return {false, why.str()};
        }
      }
      continue;
    }
    const int sz = tpp::size_of(o.type);
    for (long j = 0; j < d.cols; ++j) {
      const long e = i * o.ld + j;
      for (int k = 0; k < sz; ++k) in_region[e * sz + k] = 1;
      const std::int64_t ulps = ulp_diff(jit.data(), ref.data(), o.type, e);
      if (ulps == 0) continue;
      const float gj = tpp::load_as_f32(jit.data(), o.type, e), gr = tpp::load_as_f32(ref.data(), o.type, e);
      // f16 / bf16 outputs: both sides round an f32 that may differ within the op's bound, so
      // one unit of the narrow type is allowed where the f32 bound is non-zero.
      const bool narrow = o.type != tpp::dtype::f32;
      bool fine = narrow ? (tol.ulps > 0 && ulps <= 1) : ulps <= tol.ulps;
      if (!fine && dy) fine = within(tol, gj, gr, input_at(dy, *dy_op, i, j), narrow);
      // vcvtneps2bf16 (levels avx512_bf16 and up) flushes subnormal f32 results to zero; the
      // reference rounds them, and the largest round up to FLT_MIN itself.
      if (!fine && bf16_ftz && o.type == tpp::dtype::bf16 && std::fabs(gr) <= FLT_MIN && gj == 0) fine = true;
      if (!fine) {
        why << "(" << i << ", " << j << "): jit " << gj << " ref " << gr << " (" << ulps << " ulp)";
        return {false, why.str()};
      }
    }
  }
  for (std::size_t k = 0; k < jit.bytes(); ++k)
    if (!in_region[k] && bj[k] != sentinel) {
      why << "byte " << k << " outside the region was written";
      return {false, why.str()};
    }
  return {};
}

// The pointer-level runner shared by unary and binary cases.
struct eltwise_case {
  tpp::detail::eltwise_desc d;  // lowered at level ref: the layouts (ld resolved)
  value_range ranges[2];
  tpp::accuracy tol;
  bool bf16_ftz = false;  // the kernel converts to bf16 with vcvtneps2bf16
};

// A lowered operand as an operand, for sizing buffers in the descriptor's own terms (lowering
// may reshape: packed rows collapse into one, a 16-bit copy becomes an f32 copy of pairs).
inline tpp::operand as_operand(const tpp::detail::operand_desc& o) { return tpp::operand{o.type, o.ld, o.bcast}; }

template <class Call>
outcome run_case(const eltwise_case& c, bool flush_end, std::mt19937& rng, Call&& call_jit) {
  const auto& d = c.d;
  std::unique_ptr<guarded> src[2], out_j, out_r, mask_j, mask_r;
  for (int k = 0; k < 2; ++k) {
    if (d.src[k].type == tpp::dtype::none) continue;
    src[k] = std::make_unique<guarded>(span_bytes(as_operand(d.src[k]), d.rows, d.cols), flush_end);
    fill(src[k]->data(), d.src[k].type, src[k]->bytes(), c.ranges[k].lo, c.ranges[k].hi, rng);
  }
  const std::size_t ob = span_bytes(as_operand(d.dst), d.rows, d.cols);
  out_j = std::make_unique<guarded>(ob, flush_end);
  out_r = std::make_unique<guarded>(ob, flush_end);
  std::memset(out_j->data(), sentinel, ob);
  std::memset(out_r->data(), sentinel, ob);
  if (d.mask.type != tpp::dtype::none) {
    const std::size_t mb = span_bytes(as_operand(d.mask), d.rows, d.cols);
    mask_j = std::make_unique<guarded>(mb, flush_end);
    mask_r = std::make_unique<guarded>(mb, flush_end);
    std::memset(mask_j->data(), sentinel, mb);
    std::memset(mask_r->data(), sentinel, mb);
  }
  const void* s0 = src[0] ? src[0]->data() : nullptr;
  const void* s1 = src[1] ? src[1]->data() : nullptr;
  call_jit(s0, s1, out_j->data(), mask_j ? mask_j->data() : nullptr);
  tpp::ref::eltwise(d, {s0, s1, out_r->data(), mask_r ? mask_r->data() : nullptr});
  outcome r = compare_output(d, d.dst, *out_j, *out_r, c.tol, s0, &d.src[0], c.bf16_ftz);
  if (r.ok && mask_j) r = compare_output(d, d.mask, *mask_j, *mask_r, {0, 0}, nullptr, nullptr, false);
  return r;
}

// Runs case c at every ISA level this machine has, once with the guard page after each operand
// and once before. dispatch() -> kernel for the current cap; call(k, src0, src1, out, mask);
// describe(level, flush_end) -> a text naming the case.
template <class Dispatch, class Call, class Describe>
void check_every_level(eltwise_case c, std::mt19937& rng, Dispatch dispatch, Call call, Describe describe) {
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    const auto k = dispatch();
    REQUIRE(k.level() == level);
    tpp::detail::eltwise_desc at = c.d;
    at.level = level;
    REQUIRE(k.jitted() == (x86_jit(level) || tpp::jit::a64::eltwise_supports(at)));
    c.bf16_ftz = tpp::is_x86(level) && level >= tpp::isa::avx512_bf16;
    for (bool flush_end : {true, false}) {
      const outcome r = run_case(c, flush_end, rng, [&](const void* s0, const void* s1, void* out, void* mask) {
        call(k, s0, s1, out, mask);
      });
      if (!r.ok) FAIL_CHECK(describe(level, flush_end) << ": " << r.why);
    }
  }
}

// Shapes with tails around both vector widths (8 and 16 f32), single rows and columns, and a
// larger block; ld_pad > 0 makes every full operand's ld exceed cols. The 8-lane tails 1..7 all
// occur (AVX2 stores each length with its own sequence of moves: io.hpp's store_dwords).
struct shape {
  int rows, cols, ld_pad;
};
inline std::vector<shape> shape_grid() {
  return {{1, 1, 0},   {1, 37, 0},  {13, 1, 0},  {3, 7, 0},   {3, 8, 0},  {3, 9, 5},
          {2, 15, 0},  {2, 16, 0},  {2, 17, 3},  {2, 31, 0},  {2, 33, 7}, {64, 64, 0},
          {5, 100, 9}, {4, 129, 0}, {1, 7, 0},   {9, 40, 16}, {2, 19, 0}, {4, 22, 1},
          {3, 42, 2}};
}

}  // namespace tpp_test
