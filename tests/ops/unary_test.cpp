// Every unary TPP vs the reference: every ISA level this machine has, every dtype pair, the
// shape grid (tails, ld > cols), broadcast inputs, guard pages on both sides of every operand.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "eltwise_check.hpp"

using namespace tpp_test;
using tpp::broadcast;
using tpp::dtype;
using tpp::unary_op;

namespace {

value_range input_range(unary_op op) {
  switch (op) {
    case unary_op::sqrt: case unary_op::rsqrt: return {-1, 9};
    case unary_op::exp: return {-90, 90};  // reaches overflow and the subnormal range
    case unary_op::elu: case unary_op::gelu_tanh: case unary_op::gelu_erf: case unary_op::erf: return {-6, 6};
    default: return {-4, 4};
  }
}
value_range fwd_range(unary_op op) {
  switch (op) {
    case unary_op::tanh_inv: return {-1, 1};
    case unary_op::sigmoid_inv: return {0, 1};
    default: return {-6, 6};
  }
}

const std::pair<dtype, dtype> dtype_pairs[] = {
    {dtype::f32, dtype::f32},  {dtype::bf16, dtype::bf16}, {dtype::f16, dtype::f16},
    {dtype::f32, dtype::bf16}, {dtype::bf16, dtype::f32},  {dtype::f16, dtype::f32},
    {dtype::f32, dtype::f16}};

std::string describe(const tpp::unary_params& p, tpp::isa level, bool flush_end) {
  std::ostringstream os;
  os << tpp::name(p.op) << " " << tpp::name(p.in.type) << "->" << tpp::name(p.out.type) << " " << p.rows
     << "x" << p.cols << " in.ld=" << p.in.ld << " in.bcast=" << tpp::name(p.in.bcast)
     << " fwd=" << tpp::name(p.fwd.type) << " mask=" << tpp::name(p.mask.type) << " level=" << tpp::name(level)
     << (flush_end ? " (guard after)" : " (guard before)");
  return os.str();
}

void check(const tpp::unary_params& p, std::mt19937& rng) {
  eltwise_case c;
  c.d = tpp::detail::lower(p, tpp::isa::ref);
  c.ranges[0] = input_range(p.op);
  c.ranges[1] = fwd_range(p.op);
  c.tol = tpp::jit_accuracy(p.op);
  check_every_level(
      c, rng, [&] { return tpp::unary(p); },
      [](const tpp::unary_kernel& k, const void* s0, const void* s1, void* out, void* mask) { k({s0, out, s1, mask}); },
      [&](tpp::isa level, bool flush_end) { return describe(p, level, flush_end); });
}

tpp::unary_params make(unary_op op, shape s, dtype in, dtype out) {
  tpp::unary_params p;
  p.op = op;
  p.rows = s.rows;
  p.cols = s.cols;
  p.in = {in, s.ld_pad ? s.cols + s.ld_pad : 0};
  p.out = {out, s.ld_pad ? s.cols + s.ld_pad + 1 : 0};
  if (tpp::is_backward(op)) p.fwd = {in, s.ld_pad ? s.cols + s.ld_pad + 2 : 0};
  return p;
}

}  // namespace

TEST_CASE("unary ops match the reference on the shape grid", "[unary]") {
  std::mt19937 rng(1234);
  for (int o = 0; o < tpp::unary_op_count; ++o) {
    const auto op = static_cast<unary_op>(o);
    for (auto [in, out] : dtype_pairs)
      for (shape s : shape_grid()) check(make(op, s, in, out), rng);
  }
}

TEST_CASE("unary ops read broadcast inputs", "[unary][broadcast]") {
  std::mt19937 rng(99);
  for (int o = 0; o < tpp::unary_op_count; ++o) {
    const auto op = static_cast<unary_op>(o);
    for (auto b : {tpp::broadcast::row, tpp::broadcast::column, tpp::broadcast::scalar})
      for (shape s : {shape{5, 19, 3}, shape{3, 16, 0}, shape{1, 9, 0}})
        for (dtype t : {dtype::f32, dtype::bf16}) {
          auto p = make(op, s, t, dtype::f32);
          p.in.bcast = b;
          if (b == tpp::broadcast::column) p.in.ld = s.ld_pad ? 4 : 0;
          if (tpp::is_backward(op)) p.fwd.bcast = b == tpp::broadcast::row ? tpp::broadcast::column : tpp::broadcast::row;
          check(p, rng);
        }
  }
}

TEST_CASE("relu writes its bitmask and relu_inv reads it", "[unary][mask]") {
  std::mt19937 rng(7);
  for (shape s : shape_grid())
    for (auto [in, out] : dtype_pairs) {
      auto p = make(unary_op::relu, s, in, out);
      p.mask = {dtype::bit, s.ld_pad ? (s.cols + 7) / 8 * 8 + 16 : 0};
      check(p, rng);
      auto b = make(unary_op::relu_inv, s, in, out);
      b.fwd = {dtype::bit, s.ld_pad ? (s.cols + 7) / 8 * 8 + 8 : 0};
      check(b, rng);
    }
}

// A copy between operands of one 16-bit type moves bits: every one of the 65536 patterns,
// signalling NaNs and subnormals included, comes out as it went in, at every level (at
// avx512_bf16 a conversion would flush bf16 subnormals, and any conversion quiets NaNs). Even
// rows with even lds run as f32 pairs (copy_as_pairs); odd widths, odd lds and broadcasts move one
// element per 32-bit lane (copies_bits). Operands against guard pages on both sides.
TEST_CASE("a same-type 16-bit copy keeps every bit pattern", "[unary]") {
  struct copy_case {
    int rows, cols, ldi, ldo;
    broadcast bcast;
  };
  const copy_case cases[] = {
      {256, 256, 256, 256, broadcast::none},    // packed: one row of pairs
      {256, 256, 262, 268, broadcast::none},    // even lds: pairs row by row
      {257, 255, 255, 255, broadcast::none},    // packed, odd: one row of 65535
      {256, 257, 257, 259, broadcast::none},    // odd width and lds
      {256, 256, 257, 256, broadcast::none},    // even width, odd in ld
      {65536, 3, 1, 3, broadcast::column},      // one value per row
      {2, 65535, 0, 65535, broadcast::row},     // one row for all rows
      {3, 5, 0, 5, broadcast::scalar},          // one value (patterns below)
  };
  for (dtype t : {dtype::bf16, dtype::f16})
    for (const copy_case& k : cases)
      for (tpp::isa level : levels()) {
        isa_scope cap(level);
        tpp::unary_params p;
        p.rows = k.rows;
        p.cols = k.cols;
        p.in = {t, k.bcast == broadcast::none && k.ldi != k.cols ? k.ldi : 0, k.bcast};
        p.out = {t, k.ldo != k.cols ? k.ldo : 0};
        const long in_count = k.bcast == broadcast::none     ? static_cast<long>(k.rows - 1) * k.ldi + k.cols
                              : k.bcast == broadcast::column ? k.rows
                              : k.bcast == broadcast::row    ? k.cols
                                                             : 1;
        const auto in_index = [&](long r, long c) {
          return k.bcast == broadcast::none     ? r * k.ldi + c
                 : k.bcast == broadcast::column ? r
                 : k.bcast == broadcast::row    ? c
                                                : 0L;
        };
        const tpp::unary_kernel kern = tpp::unary(p);
        // moving bits needs no conversion instruction: every x86 and AArch64 level JITs it
        REQUIRE(kern.jitted() == (x86_jit(level) || tpp::is_arm(level)));
        // a scalar takes a few patterns that a conversion would change, one call each
        const std::vector<std::uint16_t> firsts =
            k.bcast == broadcast::scalar ? std::vector<std::uint16_t>{0x7F81, 0xFF81, 0x7C01, 0x0001, 0x8003, 0x7FFF}
                                         : std::vector<std::uint16_t>{0};
        for (std::uint16_t first : firsts)
          for (bool flush_end : {true, false}) {
            guarded in(static_cast<std::size_t>(in_count) * 2, flush_end);
            guarded out(static_cast<std::size_t>(static_cast<long>(k.rows - 1) * k.ldo + k.cols) * 2, flush_end);
            auto* x = in.as<std::uint16_t>();
            auto* y = out.as<std::uint16_t>();
            for (long i = 0; i < in_count; ++i) x[i] = static_cast<std::uint16_t>(first + i);
            kern(x, y);
            long wrong = 0;
            for (long r = 0; r < k.rows; ++r)
              for (long c = 0; c < k.cols; ++c) wrong += y[r * k.ldo + c] != x[in_index(r, c)];
            INFO(tpp::name(t) << " copy " << k.rows << " x " << k.cols << ", ld " << k.ldi << " -> " << k.ldo
                              << ", broadcast " << static_cast<int>(k.bcast) << ", first pattern " << first
                              << ", level " << tpp::name(level) << ": " << wrong << " elements changed");
            CHECK(wrong == 0);
          }
      }
}

TEST_CASE("leaky_relu and elu take alpha", "[unary]") {
  std::mt19937 rng(5);
  for (auto op : {unary_op::leaky_relu, unary_op::elu, unary_op::leaky_relu_inv, unary_op::elu_inv}) {
    auto p = make(op, {3, 21, 2}, dtype::f32, dtype::f32);
    p.alpha = 0.37f;
    check(p, rng);
  }
}

// store_hint::streaming: an f32 out whose rows start 64 bytes apart (packed rows collapse into
// one; padded ones get ld = 16k here) is written with streaming stores where out is
// vector-aligned, which the guard placement makes so for some shapes and not others; the cached
// copy runs elsewhere. Every result must match either way; a bf16 out never streams.
TEST_CASE("unary ops with streaming stores match the reference", "[unary][stream]") {
  std::mt19937 rng(17);
  for (unary_op op : {unary_op::copy, unary_op::relu, unary_op::gelu_tanh, unary_op::relu_inv})
    for (dtype out : {dtype::f32, dtype::bf16})
      for (shape s : shape_grid()) {
        auto p = make(op, s, dtype::f32, out);
        if (s.ld_pad) p.out.ld = (s.cols + 15) / 16 * 16 + 16;
        if (op == unary_op::relu) p.mask = {dtype::bit, 0};
        p.store = tpp::store_hint::streaming;
        check(p, rng);
        const auto d = tpp::detail::lower(p, tpp::isa::ref);  // rows after collapsing packed ones
        const bool rows_aligned = d.rows == 1 || d.dst.ld % 16 == 0;  // relu's packed mask keeps rows
        for (tpp::isa level : levels()) {
          isa_scope cap(level);
          const bool jit = x86_jit(level) || neon_jit_writing(level, out);
          REQUIRE(tpp::unary(p).streams() == (jit && out == dtype::f32 && rows_aligned));
        }
      }
}

// In place (out == in, vector-aligned): the kernel takes the cached copy; relu is exact.
TEST_CASE("a streaming unary op called in place", "[unary][stream]") {
  std::mt19937 rng(18);
  const int rows = 3, cols = 40, ld = 48;
  tpp::unary_params p;
  p.op = unary_op::relu;
  p.rows = rows;
  p.cols = cols;
  p.in = p.out = {dtype::f32, ld};
  p.store = tpp::store_hint::streaming;
  guarded x(rows * ld * 4, false);
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    fill(x.data(), dtype::f32, x.bytes(), -1, 1, rng);
    std::vector<float> want(x.as<float>(), x.as<float>() + rows * ld);
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) want[i * ld + j] = std::max(want[i * ld + j], 0.0f);
    tpp::unary(p)(x.data(), x.data());
    for (int k = 0; k < rows * ld; ++k) REQUIRE(x.as<float>()[k] == want[k]);
  }
}

// relu, abs, negate, relu_inv and max / min of bf16 inputs write bf16 values, zero or NaN, so
// below avx512_bf16 the kernels skip the rounding and only quieten NaNs (io::set_exact_bf16).
// Every one of the 65536 bf16 patterns (b: the patterns in another order) must come out bit for
// bit as the reference writes it; at avx512_bf16 and up, where vcvtneps2bf16 converts, the
// documented difference of tpp::to_bf16 (subnormal results become zero of the same sign) is the
// only one allowed. Operands against guard pages.
TEST_CASE("bf16 ops that write input values round only NaNs", "[unary][binary][bf16]") {
  const int rows = 256, cols = 256;
  const std::size_t bytes = static_cast<std::size_t>(rows) * cols * 2;
  guarded a(bytes, true), b(bytes, false), fwd(bytes, true);
  for (int i = 0; i < rows * cols; ++i) {
    a.as<std::uint16_t>()[i] = static_cast<std::uint16_t>(i);
    b.as<std::uint16_t>()[i] = static_cast<std::uint16_t>(i * 40503u + 12345u);  // odd multiplier: all patterns
    fwd.as<std::uint16_t>()[i] = static_cast<std::uint16_t>(i * 3u + 7u);
  }
  // one kernel per op at one level, called on a, b, fwd
  using call = std::function<void(void*)>;
  const auto unary_at = [&](unary_op op) {
    return [&, op]() -> call {
      tpp::unary_params p;
      p.op = op;
      p.rows = rows;
      p.cols = cols;
      p.in.type = p.out.type = dtype::bf16;
      if (op == unary_op::relu_inv) p.fwd.type = dtype::bf16;
      const tpp::unary_kernel k = tpp::unary(p);
      return [&, k, op](void* out) {
        if (op == unary_op::relu_inv) k(tpp::unary_args{a.data(), out, fwd.data()});
        else k(a.data(), out);
      };
    };
  };
  const auto binary_at = [&](tpp::binary_op op) {
    return [&, op]() -> call {
      tpp::binary_params p;
      p.op = op;
      p.rows = rows;
      p.cols = cols;
      p.a.type = p.b.type = p.out.type = dtype::bf16;
      const tpp::binary_kernel k = tpp::binary(p);
      return [&, k](void* out) { k(a.data(), b.data(), out); };
    };
  };
  const std::pair<const char*, std::function<call()>> ops[] = {
      {"relu", unary_at(unary_op::relu)},           {"abs", unary_at(unary_op::abs)},
      {"negate", unary_at(unary_op::negate)},       {"relu_inv", unary_at(unary_op::relu_inv)},
      {"max", binary_at(tpp::binary_op::max)},      {"min", binary_at(tpp::binary_op::min)}};
  for (const auto& [name, build] : ops) {
    std::vector<std::uint16_t> want(static_cast<std::size_t>(rows) * cols);
    {
      isa_scope cap(tpp::isa::ref);
      build()(want.data());
    }
    for (tpp::isa level : levels()) {
      isa_scope cap(level);
      guarded out(bytes, true);
      build()(out.data());
      const bool flushes = tpp::is_x86(level) && level >= tpp::isa::avx512_bf16;
      long wrong = 0;
      for (std::size_t i = 0; i < want.size(); ++i) {
        const std::uint16_t got = out.as<std::uint16_t>()[i], w = want[i];
        const bool subnormal = (w & 0x7F80) == 0 && (w & 0x007F) != 0;
        wrong += got != w && !(flushes && subnormal && got == (w & 0x8000));
      }
      INFO(name << " at " << tpp::name(level) << ": " << wrong << " of 65536 differ from the reference");
      CHECK(wrong == 0);
    }
  }
}
