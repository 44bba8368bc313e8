// tpp::gemm (packing + BRGEMM + OpenMP) against a double-precision oracle: edges in m, n and k,
// lds larger than needed, beta 1, an epilogue, bf16, f16 and u8 x i8 inputs, 1 or 2 threads,
// small blocks and the default ones. A, B and C end against guard pages (A is read in place, or
// widened to f32 for bf16 / f16 where the level has no native product for them).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "catch.hpp"
#include "support.hpp"

using namespace tpp_test;

namespace {

// blocks: small (32 x 48 x 16) or the defaults (64 x 64 x 64)
enum class blocks { small, defaults };
void set_blocks(tpp::gemm_params& p, blocks bl) {
  if (bl == blocks::defaults) return;
  p.block_m = 32;
  p.block_n = 48;
  p.block_k = 16;
}

// A and B as stored: normal, or transposed (A k x m, B n x k); lds 3 and 1 past the stored rows
struct layouts {
  tpp::gemm_layout a = tpp::gemm_layout::normal, b = tpp::gemm_layout::normal;
  bool a_t() const { return a == tpp::gemm_layout::transposed; }
  bool b_t() const { return b == tpp::gemm_layout::transposed; }
  // where A(r, kk) and B(kk, j) are, and the guarded spans
  long at(const tpp::gemm_params& p, int r, int kk) const { return a_t() ? kk * p.a.ld + r : r * p.a.ld + kk; }
  long bt(const tpp::gemm_params& p, int kk, int j) const { return b_t() ? j * p.b.ld + kk : kk * p.b.ld + j; }
  void set(tpp::gemm_params& p, tpp::dtype ta, tpp::dtype tb) const {
    p.a_layout = a;
    p.b_layout = b;
    p.a = {ta, (a_t() ? p.m : p.k) + 3};
    p.b = {tb, (b_t() ? p.k : p.n) + 1};
  }
  std::size_t a_bytes(const tpp::gemm_params& p) const { return a_t() ? span_bytes(p.a, p.k, p.m) : span_bytes(p.a, p.m, p.k); }
  std::size_t b_bytes(const tpp::gemm_params& p) const { return b_t() ? span_bytes(p.b, p.n, p.k) : span_bytes(p.b, p.k, p.n); }
};

void check_gemm(int m, int n, int k, tpp::dtype t, float beta, bool epilogue, int threads, blocks bl,
                std::mt19937& rng, layouts lay = {}) {
  tpp::gemm_params p;
  p.m = m;
  p.n = n;
  p.k = k;
  lay.set(p, t, t);
  p.c = {tpp::dtype::f32, n + 2};
  p.beta = beta;
  set_blocks(p, bl);
  if (epilogue) {
    p.epilogue.bias = tpp::dtype::f32;
    p.epilogue.unary = tpp::unary_op::relu;
  }
  guarded ga(lay.a_bytes(p), true), gb(lay.b_bytes(p), true);
  guarded gc(static_cast<std::size_t>(m) * p.c.ld * 4, true);  // whole rows: the padding is checked
  const char* a = ga.as<char>();
  const char* b = gb.as<char>();
  float* c = gc.as<float>();
  std::vector<float> bias(n);
  fill(ga.data(), t, ga.bytes(), -1, 1, rng);
  fill(gb.data(), t, gb.bytes(), -1, 1, rng);
  fill(c, tpp::dtype::f32, gc.bytes(), -1, 1, rng);
  fill(bias.data(), tpp::dtype::f32, bias.size() * 4, -1, 1, rng);
  const std::vector<float> c0(c, c + gc.bytes() / 4);
#if defined(_OPENMP)
  omp_set_num_threads(threads);
#endif
  tpp::gemm(p, {a, b, c, epilogue ? bias.data() : nullptr});
#if defined(_OPENMP)
  omp_set_num_threads(1);
#endif
  for (int r = 0; r < m; ++r)
    for (int j = 0; j < p.c.ld; ++j) {
      const float got = c[r * p.c.ld + j];
      if (j >= n) {  // padding untouched
        REQUIRE(got == c0[r * p.c.ld + j]);
        continue;
      }
      double s = beta * c0[r * p.c.ld + j], mag = std::fabs(s);
      for (int kk = 0; kk < k; ++kk) {
        const double x = tpp::load_as_f32(a, t, lay.at(p, r, kk)) * double(tpp::load_as_f32(b, t, lay.bt(p, kk, j)));
        s += x;
        mag += std::fabs(x);
      }
      // f32 sums of k + 1 terms (Higham's gamma), u = 2^-24; the bias add rounds once more
      double tol = (k + 3) * std::ldexp(mag, -24);
      if (epilogue) {
        s += bias[j];
        tol += std::ldexp(std::fabs(s), -23);
        s = s > 0 ? s : 0;
      }
      if (!(std::fabs(got - s) <= tol))
        FAIL_CHECK("m=" << m << " n=" << n << " k=" << k << " " << name(t) << " threads=" << threads
                        << " a " << name(lay.a) << " b " << name(lay.b)
                        << (bl == blocks::small ? " small" : " default") << " blocks at (" << r << "," << j
                        << "): got " << got << ", want " << s);
    }
}

// random bytes for 8-bit integers (fill stores floats), values in [-1, 1] for the float types
void fill_any(void* p, tpp::dtype t, std::size_t bytes, std::mt19937& rng) {
  if (tpp::size_of(t) > 1) return fill(p, t, bytes, -1, 1, rng);
  for (std::size_t i = 0; i < bytes; ++i) static_cast<unsigned char*>(p)[i] = static_cast<unsigned char>(rng());
}

// u8 x i8 -> i32: B packed in VNNI quads, a k tail padded to whole quads; exact integer sums
void check_gemm_int8(int m, int n, int k, float beta, int threads, blocks bl, std::mt19937& rng, layouts lay = {}) {
  tpp::gemm_params p;
  p.m = m;
  p.n = n;
  p.k = k;
  lay.set(p, tpp::dtype::u8, tpp::dtype::i8);
  p.c = {tpp::dtype::i32, n + 2};
  p.beta = beta;
  set_blocks(p, bl);
  guarded ga(lay.a_bytes(p), true), gb(lay.b_bytes(p), true);
  guarded gc(static_cast<std::size_t>(m) * p.c.ld * 4, true);
  auto* a = ga.as<std::uint8_t>();
  auto* b = gb.as<std::int8_t>();
  auto* c = gc.as<std::int32_t>();
  fill_any(a, tpp::dtype::u8, ga.bytes(), rng);
  fill_any(b, tpp::dtype::i8, gb.bytes(), rng);
  for (std::size_t i = 0; i < gc.bytes() / 4; ++i) c[i] = static_cast<std::int32_t>(rng() % 20001) - 10000;
  const std::vector<std::int32_t> c0(c, c + gc.bytes() / 4);
#if defined(_OPENMP)
  omp_set_num_threads(threads);
#endif
  tpp::gemm(p, {a, b, c});
#if defined(_OPENMP)
  omp_set_num_threads(1);
#endif
  for (int r = 0; r < m; ++r)
    for (int j = 0; j < p.c.ld; ++j) {
      std::int64_t want = c0[r * p.c.ld + j];  // padding columns: untouched
      if (j < n) {
        want = beta == 1.0f ? want : 0;
        for (int kk = 0; kk < k; ++kk) want += a[lay.at(p, r, kk)] * b[lay.bt(p, kk, j)];
      }
      if (c[r * p.c.ld + j] != want)
        FAIL_CHECK("u8 m=" << m << " n=" << n << " k=" << k << " threads=" << threads << " at (" << r << "," << j
                           << "): got " << c[r * p.c.ld + j] << ", want " << want);
    }
}

}  // namespace

TEST_CASE("gemm: blocked GEMM with edges, beta, epilogue, bf16, f16, threads", "[gemm]") {
  std::mt19937 rng(21);
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (int threads : {1, 2})
      for (auto [m, n, k] : {std::tuple{1, 1, 1}, std::tuple{32, 48, 16}, std::tuple{70, 100, 37}, std::tuple{65, 97, 130}}) {
        check_gemm(m, n, k, tpp::dtype::f32, 0, false, threads, blocks::small, rng);
        check_gemm(m, n, k, tpp::dtype::f32, 1, true, threads, blocks::small, rng);
        for (tpp::bf16_product product : bf16_products(level)) {  // VNNI with vdpbf16ps, or widened
          bf16_product_scope use(product);
          check_gemm(m, n, k, tpp::dtype::bf16, 0, false, threads, blocks::small, rng);
        }
        check_gemm(m, n, k, tpp::dtype::f16, 1, true, threads, blocks::small, rng);
        check_gemm_int8(m, n, k, 1, threads, blocks::small, rng);
      }
  }
}

// The default blocks of 64: m and n edges (200, 130), k blocks with a tail of 3 (odd: padded for
// VNNI bf16), a k below one block, and k = 1 (no whole k block for VNNI bf16).
TEST_CASE("gemm: default blocks with m, n and k edges", "[gemm]") {
  std::mt19937 rng(22);
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (int threads : {1, 2})
      for (auto [m, n, k] : {std::tuple{200, 130, 131}, std::tuple{97, 64, 50}, std::tuple{7, 9, 1}}) {
        for (tpp::dtype t : {tpp::dtype::f32, tpp::dtype::bf16, tpp::dtype::f16}) {
          check_gemm(m, n, k, t, 0, false, threads, blocks::defaults, rng);
          check_gemm(m, n, k, t, 1, true, threads, blocks::defaults, rng);
        }
        for (tpp::bf16_product product : bf16_products(level)) {  // both bf16 paths where x86 has both
          bf16_product_scope use(product);
          check_gemm(m, n, k, tpp::dtype::bf16, 1, true, threads, blocks::defaults, rng);
        }
        check_gemm_int8(m, n, k, 0, threads, blocks::defaults, rng);  // k tails of 3, 2 and 1: padded quads
      }
  }
}

// A and B stored transposed (a Linear layer's backward: dy * W^T and x^T * dy) in every pairing,
// for every dtype; both are transposed to row-major copies first, with edges in the bands
TEST_CASE("gemm: A or B transposed", "[gemm]") {
  std::mt19937 rng(23);
  using L = tpp::gemm_layout;
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (int threads : {1, 2})
      for (auto [m, n, k] : {std::tuple{1, 1, 1}, std::tuple{70, 100, 37}, std::tuple{130, 65, 97}})
        for (layouts lay : {layouts{L::transposed, L::normal}, layouts{L::normal, L::transposed},
                            layouts{L::transposed, L::transposed}}) {
          check_gemm(m, n, k, tpp::dtype::f32, 0, false, threads, blocks::small, rng, lay);
          check_gemm(m, n, k, tpp::dtype::f32, 1, true, threads, blocks::defaults, rng, lay);
          for (tpp::bf16_product product : bf16_products(level)) {
            bf16_product_scope use(product);
            check_gemm(m, n, k, tpp::dtype::bf16, 0, false, threads, blocks::defaults, rng, lay);
          }
          check_gemm(m, n, k, tpp::dtype::f16, 1, true, threads, blocks::small, rng, lay);
          check_gemm_int8(m, n, k, 1, threads, blocks::defaults, rng, lay);
        }
  }
}

// B packed ahead (tpp::gemm_packed_b) for calls of several m: each call must give the bits of
// the same call that packs B itself (the same blocks reach the same kernels), through every path
// of the driver: columns outer (m <= n, per-thread panels otherwise), rows outer (m > n), a row-
// reducing equation per strip and, at 2 threads with m below one strip, into the shared result;
// B stored normal or transposed; every dtype and, for bf16, both products. B sits against a
// guard page while it is packed.
TEST_CASE("gemm: B packed ahead gives the bits of B packed per call", "[gemm]") {
  std::mt19937 rng(24);
  using tpp::dtype;
  using L = tpp::gemm_layout;
  struct kind { dtype a, b, c; };
  const int n = 70, k = 45;
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (kind t : {kind{dtype::f32, dtype::f32, dtype::f32}, kind{dtype::bf16, dtype::bf16, dtype::f32},
                   kind{dtype::f16, dtype::f16, dtype::f32}, kind{dtype::u8, dtype::i8, dtype::i32}})
      for (tpp::bf16_product product : bf16_products(level))
        for (L bl : {L::normal, L::transposed})
          for (bool equation : {false, true}) {
            if (equation && t.a == dtype::u8) continue;  // an equation takes float results
            bf16_product_scope use(product);
            tpp::gemm_params p;
            p.n = n;
            p.k = k;
            p.a = {t.a};
            p.b = {t.b, bl == L::transposed ? k + 1 : n + 1};
            p.b_layout = bl;
            p.c = {t.c};
            p.block_m = 16;
            p.block_n = 32;
            p.block_k = 16;
            if (equation) {  // a row reduction: per strip, or into the shared result
              const tpp::expr d = tpp::arg(0) - tpp::row_mean(tpp::arg(0));
              p.equation = d * tpp::rsqrt(tpp::row_mean(d * d) + 1e-5f);
            } else if (t.a != dtype::u8) {  // u8 x i8 -> i32 takes no epilogue
              p.epilogue.bias = dtype::f32;
              p.epilogue.unary = tpp::unary_op::relu;
            }
            guarded gb(bl == L::transposed ? span_bytes(p.b, n, k) : span_bytes(p.b, k, n), true);
            fill_any(gb.data(), t.b, gb.bytes(), rng);
            p.m = 1;  // m plays no part in the packing
            const tpp::gemm_packed_b w(p, gb.data());
            REQUIRE(w.bytes() >= static_cast<std::size_t>(k) * n * tpp::size_of(t.b));
            std::vector<float> bias(n);
            fill(bias.data(), dtype::f32, bias.size() * 4, -1, 1, rng);
            for (int m : {1, 13, 37, 130})
              for (int threads : {1, 2}) {
                p.m = m;
                std::vector<unsigned char> a(static_cast<std::size_t>(m) * k * tpp::size_of(t.a));
                fill_any(a.data(), t.a, a.size(), rng);
                const std::size_t cbytes = static_cast<std::size_t>(m) * n * tpp::size_of(t.c);
                std::vector<unsigned char> per_call(cbytes, 0x11), ahead(cbytes, 0x22);
                const void* bias_p = p.epilogue.bias == dtype::none ? nullptr : bias.data();
                omp_set_num_threads(threads);
                tpp::gemm(p, {a.data(), gb.data(), per_call.data(), bias_p});
                tpp::gemm_operands x{a.data(), nullptr, ahead.data(), bias_p};
                x.packed_b = &w;
                tpp::gemm(p, x);
                omp_set_num_threads(1);
                INFO(tpp::name(level) << " " << tpp::name(t.a) << " b " << tpp::name(bl) << " equation=" << equation
                                      << " m=" << m << " threads=" << threads);
                REQUIRE(ahead == per_call);
              }
          }
  }
}

// A packed B serves only calls laid out as it was: each difference is a tpp::error that names it
TEST_CASE("gemm: a packed B that does not match the call throws tpp::error", "[gemm][errors]") {
  tpp::gemm_params p;
  p.m = p.n = p.k = 32;
  std::vector<float> x(32 * 32), c(32 * 32);
  const tpp::gemm_packed_b w(p, x.data());
  tpp::gemm_operands ok{x.data(), nullptr, c.data()};
  ok.packed_b = &w;
  REQUIRE_NOTHROW(tpp::gemm(p, ok));
  tpp::gemm_operands both = ok;  // b and packed_b
  both.b = x.data();
  CHECK(has(message_of([&] { tpp::gemm(p, both); }), "not both"));
  CHECK(has(message_of([&] { tpp::gemm(p, {x.data(), nullptr, c.data()}); }), "one of them"));
  using change = void (*)(tpp::gemm_params&);
  const std::pair<change, const char*> changes[] = {
      {[](tpp::gemm_params& q) { q.k = 16; }, "for k = 32, but k = 16"},
      {[](tpp::gemm_params& q) { q.n = 16; }, "for n = 32, but n = 16"},
      {[](tpp::gemm_params& q) { q.block_n = 16; }, "column blocks of 32, but block_n gives 16"},
      {[](tpp::gemm_params& q) { q.block_k = 8; }, "k blocks of 32, but block_k gives 8"},
      {[](tpp::gemm_params& q) { q.a.type = q.b.type = tpp::dtype::f16; }, "from b.type = f32, but b.type = f16"}};
  const auto mismatch = [&](const tpp::gemm_params& q, const char* what) {
    INFO(what);
    CHECK(has(message_of([&] { tpp::gemm(q, ok); }), what));
  };
  for (const auto& [apply, what] : changes) {
    tpp::gemm_params q = p;
    apply(q);
    mismatch(q, what);
  }
  if (levels().size() > 1) {  // packed at the top level, called at ref
    isa_scope cap(tpp::isa::ref);
    mismatch(p, "but the active isa is ref");
  }
  REQUIRE_THROWS_AS(tpp::gemm_packed_b(p, nullptr), tpp::error);
  p.block_k = 0;
  REQUIRE_THROWS_AS(tpp::gemm_packed_b(p, x.data()), tpp::error);
}

TEST_CASE("gemm: bad input throws tpp::error", "[gemm][errors]") {
  tpp::gemm_params p;
  p.m = p.n = p.k = 8;
  std::vector<float> x(64);
  p.block_k = 0;
  REQUIRE_THROWS_AS(tpp::gemm(p, {x.data(), x.data(), x.data()}), tpp::error);
  p.block_k = 8;
  p.k = 0;
  REQUIRE_THROWS_AS(tpp::gemm(p, {x.data(), x.data(), x.data()}), tpp::error);
  p.k = 8;
  REQUIRE_THROWS_AS(tpp::gemm(p, {nullptr, x.data(), x.data()}), tpp::error);
  p.a.type = p.b.type = tpp::dtype::bf16;
  p.block_k = 7;
  REQUIRE_THROWS_AS(tpp::gemm(p, {x.data(), x.data(), x.data()}), tpp::error);
  p.a.type = tpp::dtype::u8;  // u8 x i8 -> i32: block_k must hold whole quads
  p.b.type = tpp::dtype::i8;
  p.c.type = tpp::dtype::i32;
  p.block_k = 6;
  REQUIRE_THROWS_AS(tpp::gemm(p, {x.data(), x.data(), x.data()}), tpp::error);
  p.block_k = 8;
  p.c.type = tpp::dtype::f32;  // u8 x i8 accumulates in i32
  REQUIRE_THROWS_AS(tpp::gemm(p, {x.data(), x.data(), x.data()}), tpp::error);
  tpp::gemm_params q;  // B given in VNNI: tpp::gemm packs B itself
  q.m = q.n = q.k = 8;
  q.b_layout = tpp::gemm_layout::vnni;
  REQUIRE_THROWS_AS(tpp::gemm(q, {x.data(), x.data(), x.data()}), tpp::error);
  q.b_layout = tpp::gemm_layout::transposed;  // B stored 8 x 8 transposed: ld below k
  q.b.ld = 7;
  REQUIRE_THROWS_AS(tpp::gemm(q, {x.data(), x.data(), x.data()}), tpp::error);
}

// m x n x k in blocks of 16 x 32 x 16 (edges in m and n for the shapes below), f32 A and B
// packed, C of type c with ld n + 3
tpp::gemm_params small_blocks(int m, int n, int k, tpp::dtype c) {
  tpp::gemm_params p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.block_m = 16;
  p.block_n = 32;
  p.block_k = 16;
  p.c = {c, n + 3};
  return p;
}

// What a gemm with an equation epilogue composes: the plain f32 GEMM of a and b into c (m x n),
// and the equation (side outputs included) over all of C with arg(0) = c, which it returns
tpp::equation_params gemm_then_equation(const tpp::gemm_params& p, const std::vector<float>& a,
                                        const std::vector<float>& b, std::vector<float>& c) {
  tpp::gemm_params g = small_blocks(p.m, p.n, p.k, tpp::dtype::f32);
  g.block_m = p.block_m;
  g.block_n = p.block_n;
  g.block_k = p.block_k;
  g.c.ld = p.n;
  c.assign(static_cast<std::size_t>(p.m) * p.n, 0.0f);
  tpp::gemm(g, {a.data(), b.data(), c.data()});
  tpp::equation_params e;
  e.m = p.m;
  e.n = p.n;
  e.inputs = {{tpp::dtype::f32}};
  for (const auto& o : p.equation_inputs) e.inputs.push_back(o);
  e.out = p.c;
  e.root = *p.equation;
  e.column_sums = p.equation_column_sums;
  e.row_outputs = p.equation_row_outputs;
  return e;
}

// The equation epilogue is the composition of the two TPPs, block by block: the fused call must
// equal tpp::gemm (f32 C) followed by the same equation over all of C, bit for bit (both run the
// same BRGEMM blocks and the same per-row equation code).
TEST_CASE("gemm with an equation epilogue equals gemm then the equation", "[gemm][equation]") {
  std::mt19937 rng(81);
  using tpp::dtype;
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (bool reduces : {false, true})
      for (auto [m, n, k] : {std::tuple{37, 50, 20}, std::tuple{64, 96, 64}, std::tuple{13, 70, 20}}) {
        tpp::gemm_params p = small_blocks(m, n, k, reduces ? dtype::bf16 : dtype::f32);
        const tpp::expr y = tpp::arg(0) + tpp::arg(1);  // + bias[n] (row broadcast)
        if (reduces) {  // LayerNorm of (A*B + bias) with gamma, beta: whole rows per block
          const tpp::expr d = y - tpp::row_mean(y);
          p.equation = d * tpp::rsqrt(tpp::row_mean(d * d) + 1e-5f) * tpp::arg(2) + tpp::arg(3);
          p.equation_inputs = {{dtype::f32, 0, tpp::broadcast::row}, {dtype::f32, 0, tpp::broadcast::row},
                               {dtype::f32, 0, tpp::broadcast::row}};
        } else {  // GELU(A*B + bias) + residual
          p.equation = tpp::gelu_tanh(y) + tpp::arg(2);
          p.equation_inputs = {{dtype::f32, 0, tpp::broadcast::row}, {dtype::f32, n + 1}};
        }
        std::vector<float> a(static_cast<std::size_t>(m) * k), b(static_cast<std::size_t>(k) * n), v1(n), v2(n), v3(n);
        std::vector<float> res(static_cast<std::size_t>(m) * (n + 1));
        for (auto* vec : {&a, &b, &v1, &v2, &v3, &res}) fill(vec->data(), dtype::f32, vec->size() * 4, -1, 1, rng);
        const std::size_t cbytes = static_cast<std::size_t>(m) * (n + 3) * tpp::size_of(p.c.type);
        std::vector<unsigned char> fused(cbytes, 0x11), composed(cbytes, 0x11);
        tpp::gemm_operands x{a.data(), b.data(), fused.data()};
        x.equation_inputs = reduces ? std::vector<const void*>{v1.data(), v2.data(), v3.data()}
                                    : std::vector<const void*>{v1.data(), res.data()};
        // composed: plain f32 gemm, then the equation over all of C
        std::vector<float> c;
        const tpp::equation_params e = gemm_then_equation(p, a, b, c);
        std::vector<const void*> in{c.data()};
        for (const void* ptr : x.equation_inputs) in.push_back(ptr);
        tpp::equation(e)(in.size(), in.data(), composed.data());
        // 2 threads: m = 13 is one row strip of block_m = 16, fewer than the threads: its blocks
        // go to both threads, then the rows of a reducing equation in two chunks
        for (int threads : {1, 2}) {
          std::fill(fused.begin(), fused.end(), 0x11);
          omp_set_num_threads(threads);
          tpp::gemm(p, x);
          omp_set_num_threads(1);
          INFO(tpp::name(level) << " reduces=" << reduces << " m=" << m << " threads=" << threads);
          REQUIRE(fused == composed);
        }
      }
  }
  // errors: both epilogues, beta 1, a missing input pointer
  tpp::gemm_params p;
  p.m = p.n = p.k = 8;
  p.equation = tpp::relu(tpp::arg(0));
  std::vector<float> z(64);
  p.epilogue.unary = tpp::unary_op::relu;
  REQUIRE_THROWS_AS(tpp::gemm(p, {z.data(), z.data(), z.data()}), tpp::error);
  p.epilogue.unary = tpp::unary_op::copy;
  p.beta = 1;
  REQUIRE_THROWS_AS(tpp::gemm(p, {z.data(), z.data(), z.data()}), tpp::error);
  p.beta = 0;
  p.equation = tpp::arg(0) + tpp::arg(1);
  p.equation_inputs = {{dtype::f32}};
  REQUIRE_THROWS_AS(tpp::gemm(p, {z.data(), z.data(), z.data()}), tpp::error);
}

// Side outputs of the equation epilogue: column sums through partial rows per row block of
// block_m rows, and row outputs at each block's rows, must be what tpp::equation_rows gives over
// the plain GEMM's C in blocks of block_m rows (the same kernels on the same rows, the partials
// added in the same order): bit for bit, for 1 and 2 threads. Side outputs sit against guard
// pages; the column sums start from random values (they are added to).
TEST_CASE("gemm: equation column sums and row outputs equal equation_rows over the plain GEMM",
          "[gemm][equation][loops]") {
  std::mt19937 rng(83);
  using tpp::dtype;
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (bool layernorm : {false, true})
      for (auto [m, n, k] : {std::tuple{37, 50, 20}, std::tuple{96, 64, 33}, std::tuple{11, 50, 20}}) {
        tpp::gemm_params p = small_blocks(m, n, k, dtype::f32);
        if (layernorm) {  // y = LayerNorm(A*B) * gamma; rows save mean and rstd, dgamma-like sum of y
          const tpp::expr d = tpp::arg(0) - tpp::row_mean(tpp::arg(0));
          const tpp::expr rstd = tpp::rsqrt(tpp::row_mean(d * d) + 1e-5f);
          p.equation = d * rstd * tpp::arg(1);
          p.equation_inputs = {{dtype::f32, 0, tpp::broadcast::row}};
          p.equation_column_sums = {*p.equation};
          p.equation_row_outputs = {tpp::row_mean(tpp::arg(0)), rstd};
        } else {  // MLP backward: dz = dy * gelu_tanh'(z), dbias = sum of dz, and sum of dy
          p.equation = tpp::unary_backward(tpp::unary_op::gelu_tanh_inv, tpp::arg(0), tpp::arg(1));
          p.equation_inputs = {{dtype::f32, n + 1}};
          p.equation_column_sums = {*p.equation, tpp::arg(0)};
        }
        const std::size_t nsums = p.equation_column_sums.size(), nrows = p.equation_row_outputs.size();
        std::vector<float> a(static_cast<std::size_t>(m) * k), b(static_cast<std::size_t>(k) * n), v(n);
        std::vector<float> z(static_cast<std::size_t>(m) * (n + 1)), sums0(nsums * n);
        for (auto* vec : {&a, &b, &v, &z, &sums0}) fill(vec->data(), dtype::f32, vec->size() * 4, -1, 1, rng);
        const std::vector<const void*> inputs = layernorm ? std::vector<const void*>{v.data()}
                                                          : std::vector<const void*>{z.data()};
        // composed: plain f32 gemm, then equation_rows in blocks of block_m rows
        std::vector<float> c;
        const tpp::equation_params e = gemm_then_equation(p, a, b, c);
        std::vector<const void*> in{c.data()};
        in.insert(in.end(), inputs.begin(), inputs.end());
        std::vector<float> want_c(static_cast<std::size_t>(m) * (n + 3), 7.0f), want_side = sums0;
        want_side.resize(nsums * n + nrows * m, 0.0f);
        std::vector<void*> want_ptrs;
        for (std::size_t s = 0; s < nsums; ++s) want_ptrs.push_back(want_side.data() + s * n);
        for (std::size_t s = 0; s < nrows; ++s) want_ptrs.push_back(want_side.data() + nsums * n + s * m);
        tpp::equation_rows(e, in, want_c.data(), want_ptrs, p.block_m);
        for (int threads : {1, 2}) {
          std::vector<std::unique_ptr<guarded>> side;
          std::vector<void*> ptrs;
          for (std::size_t s = 0; s < nsums + nrows; ++s) {
            side.push_back(std::make_unique<guarded>((s < nsums ? n : m) * sizeof(float), s % 2 == 0));
            if (s < nsums) std::memcpy(side.back()->data(), sums0.data() + s * n, n * sizeof(float));
            ptrs.push_back(side.back()->data());
          }
          std::vector<float> got_c(want_c.size(), 7.0f);
          tpp::gemm_operands x{a.data(), b.data(), got_c.data()};
          x.equation_inputs = inputs;
          x.equation_side = ptrs;
          omp_set_num_threads(threads);
          tpp::gemm(p, x);
          omp_set_num_threads(1);
          INFO(tpp::name(level) << " layernorm=" << layernorm << " m=" << m << " n=" << n << " threads=" << threads);
          REQUIRE(std::memcmp(got_c.data(), want_c.data(), want_c.size() * sizeof(float)) == 0);
          for (std::size_t s = 0; s < nsums + nrows; ++s)
            REQUIRE(std::memcmp(ptrs[s], want_ptrs[s], (s < nsums ? n : m) * sizeof(float)) == 0);
        }
      }
  }
  // errors: side outputs without an equation, a missing or null side pointer, a row output that
  // is not row-invariant
  tpp::gemm_params p;
  p.m = p.n = p.k = 8;
  std::vector<float> z(64), s(8);
  p.equation_column_sums = {tpp::arg(0)};
  REQUIRE_THROWS_AS(tpp::gemm(p, {z.data(), z.data(), z.data()}), tpp::error);
  p.equation = tpp::relu(tpp::arg(0));
  REQUIRE_THROWS_AS(tpp::gemm(p, {z.data(), z.data(), z.data()}), tpp::error);
  tpp::gemm_operands x{z.data(), z.data(), z.data()};
  x.equation_side = {nullptr};
  REQUIRE_THROWS_AS(tpp::gemm(p, x), tpp::error);
  x.equation_side = {s.data()};
  REQUIRE_NOTHROW(tpp::gemm(p, x));  // well-formed
  p.equation_row_outputs = {tpp::arg(0)};
  x.equation_side = {s.data(), s.data()};
  REQUIRE_THROWS_AS(tpp::gemm(p, x), tpp::error);
}
