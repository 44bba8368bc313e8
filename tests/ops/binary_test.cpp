// Every binary TPP vs the reference: ISA levels, dtypes, shape grid, all broadcast pairs,
// compares into bitmasks, NaN semantics of max/min and compares, guard pages.
#include <limits>
#include <sstream>

#include "eltwise_check.hpp"

using namespace tpp_test;
using tpp::binary_op;
using tpp::dtype;

namespace {

std::string describe(const tpp::binary_params& p, tpp::isa level, bool flush_end) {
  std::ostringstream os;
  os << tpp::name(p.op) << " " << tpp::name(p.a.type) << "," << tpp::name(p.b.type) << "->" << tpp::name(p.out.type)
     << " " << p.rows << "x" << p.cols << " a.bcast=" << tpp::name(p.a.bcast) << " b.bcast=" << tpp::name(p.b.bcast)
     << " level=" << tpp::name(level) << (flush_end ? " (guard after)" : " (guard before)");
  return os.str();
}

void check(const tpp::binary_params& p, std::mt19937& rng) {
  eltwise_case c;
  c.d = tpp::detail::lower(p, tpp::isa::ref);
  c.tol = {0, 0};  // binary ops are exact: bit-identical to the reference
  // Small integers make equal operands common, so eq/ne/ge/le see both outcomes.
  c.ranges[0] = tpp::is_compare(p.op) ? value_range{-2, 2} : value_range{-4, 4};
  c.ranges[1] = c.ranges[0];
  check_every_level(
      c, rng, [&] { return tpp::binary(p); },
      [](const tpp::binary_kernel& k, const void* a, const void* b, void* out, void*) { k(a, b, out); },
      [&](tpp::isa level, bool flush_end) { return describe(p, level, flush_end); });
}

tpp::binary_params make(binary_op op, shape s, dtype a, dtype b, dtype out) {
  tpp::binary_params p;
  p.op = op;
  p.rows = s.rows;
  p.cols = s.cols;
  p.a = {a, s.ld_pad ? s.cols + s.ld_pad : 0};
  p.b = {b, s.ld_pad ? s.cols + 2 * s.ld_pad : 0};
  if (tpp::is_compare(op)) p.out = {dtype::bit, s.ld_pad ? (s.cols + 7) / 8 * 8 + 8 : 0};
  else p.out = {out, s.ld_pad ? s.cols + s.ld_pad + 1 : 0};
  return p;
}

}  // namespace

TEST_CASE("binary ops match the reference on the shape grid", "[binary]") {
  std::mt19937 rng(42);
  const dtype triples[][3] = {{dtype::f32, dtype::f32, dtype::f32},   {dtype::bf16, dtype::bf16, dtype::bf16},
                              {dtype::f16, dtype::f16, dtype::f16},   {dtype::f32, dtype::bf16, dtype::f32},
                              {dtype::bf16, dtype::f16, dtype::bf16}, {dtype::f16, dtype::f32, dtype::f16}};
  for (int o = 0; o < tpp::binary_op_count; ++o)
    for (auto& t : triples)
      for (shape s : shape_grid()) check(make(static_cast<binary_op>(o), s, t[0], t[1], t[2]), rng);
}

TEST_CASE("binary ops broadcast either operand", "[binary][broadcast]") {
  std::mt19937 rng(43);
  const tpp::broadcast kinds[] = {tpp::broadcast::none, tpp::broadcast::row, tpp::broadcast::column,
                                  tpp::broadcast::scalar};
  for (int o = 0; o < tpp::binary_op_count; ++o)
    for (auto ba : kinds)
      for (auto bb : kinds)
        for (shape s : {shape{5, 19, 3}, shape{4, 16, 0}, shape{2, 40, 0}}) {
          auto p = make(static_cast<binary_op>(o), s, dtype::f32, dtype::bf16, dtype::f32);
          p.a.bcast = ba;
          p.b.bcast = bb;
          if (ba == tpp::broadcast::column) p.a.ld = 3;
          if (bb == tpp::broadcast::column) p.b.ld = 0;
          check(p, rng);
        }
}

TEST_CASE("max, min and compares follow the documented NaN rules", "[binary][nan]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const float a[8] = {nan, 1.0f, nan, -0.0f, inf, -inf, 2.0f, 3.0f};
  const float b[8] = {1.0f, nan, nan, 0.0f, 1.0f, -inf, 2.0f, -3.0f};
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    INFO("level " << tpp::name(level));
    tpp::binary_params p;
    p.rows = 1;
    p.cols = 8;
    float out[8];
    p.op = binary_op::max;
    tpp::binary(p)(a, b, out);
    CHECK(std::isnan(out[0]));
    CHECK(std::isnan(out[1]));
    CHECK(std::isnan(out[2]));
    CHECK(out[4] == inf);
    CHECK(out[7] == 3.0f);
    p.op = binary_op::min;
    tpp::binary(p)(a, b, out);
    CHECK(std::isnan(out[0]));
    CHECK(std::isnan(out[1]));
    CHECK(out[5] == -inf);
    CHECK(out[7] == -3.0f);
    p.out.type = dtype::bit;
    std::uint8_t m = 0;
    p.op = binary_op::cmp_ne;
    tpp::binary(p)(a, b, &m);
    CHECK(m == 0b10010111);  // NaN != anything; -0 == 0; -inf == -inf; 2 == 2; inf != 1; 3 != -3
    p.op = binary_op::cmp_eq;
    tpp::binary(p)(a, b, &m);
    CHECK(m == 0b01101000);
    p.op = binary_op::cmp_gt;
    tpp::binary(p)(a, b, &m);
    CHECK(m == 0b10010000);
  }
}

// store_hint::streaming (see the unary case): f32 out with rows 64 bytes apart streams where it
// is vector-aligned; results stay bit-identical to the reference. Compares write bits, never
// streamed.
TEST_CASE("binary ops with streaming stores match the reference", "[binary][stream]") {
  std::mt19937 rng(44);
  for (binary_op op : {binary_op::add, binary_op::mul, binary_op::max, binary_op::cmp_eq})
    for (shape s : shape_grid()) {
      auto p = make(op, s, dtype::f32, dtype::bf16, dtype::f32);
      if (s.ld_pad && !tpp::is_compare(op)) p.out.ld = (s.cols + 15) / 16 * 16 + 16;
      p.store = tpp::store_hint::streaming;
      check(p, rng);
      for (tpp::isa level : levels()) {
        isa_scope cap(level);
        const bool jit = x86_jit(level) || neon_jit_writing(level, dtype::f32);
        REQUIRE(tpp::binary(p).streams() == (jit && !tpp::is_compare(op)));
      }
    }
}
