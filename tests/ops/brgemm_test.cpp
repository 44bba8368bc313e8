// BRGEMM against an oracle computed here from the logical matrices (double sums of the stored
// values), for every ISA level this machine has, with operands flush against guard pages. Each
// layout (A transposed, B transposed / VNNI) is written by this file's own index formulas, so the
// reference's layout code is checked as well: tpp::ref::brgemm must match the oracle too.
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <vector>

#include "catch.hpp"
#include "support.hpp"
#include "tpp/ops/math_bounds.hpp"

using namespace tpp_test;

namespace {

using tpp::dtype;

struct gemm_case {
  tpp::brgemm_params p;
  int count = 1;
};

std::string describe(const gemm_case& c, tpp::isa level, bool flush_end) {
  const auto& p = c.p;
  std::ostringstream s;
  s << "m=" << p.m << " n=" << p.n << " k=" << p.k << " count=" << c.count << " a=" << name(p.a.type)
    << "/" << name(p.a_layout) << " lda=" << p.a.ld << " b=" << name(p.b.type) << "/" << name(p.b_layout)
    << " ldb=" << p.b.ld << " c=" << name(p.c.type) << " ldc=" << p.c.ld << " beta=" << p.beta
    << " batch=" << name(p.batch) << " bias=" << name(p.epilogue.bias) << " d=" << name(p.epilogue.d.type)
    << " unary=" << name(p.epilogue.unary) << " mask=" << name(p.epilogue.mask.type)
    << " level=" << name(level) << (flush_end ? " guard after" : " guard before");
  return s.str();
}

bool integer(const gemm_case& c) { return c.p.a.type == dtype::u8; }
int vnni_of(const tpp::brgemm_params& p) {
  if (p.b_layout != tpp::gemm_layout::vnni) return 1;
  return tpp::size_of(p.b.type) == 1 ? 4 : 2;
}
// resolved leading dimensions (0 = packed)
int lda(const tpp::brgemm_params& p) { return p.a.ld ? p.a.ld : (p.a_layout == tpp::gemm_layout::normal ? p.k : p.m); }
int ldb(const tpp::brgemm_params& p) { return p.b.ld ? p.b.ld : (p.b_layout == tpp::gemm_layout::transposed ? p.k : p.n); }
int ldc(const tpp::brgemm_params& p) { return p.c.ld ? p.c.ld : p.n; }

// This test's own layout formulas (element index of A(r, kk), B(kk, j)).
long a_at(const tpp::brgemm_params& p, long r, long kk) {
  return p.a_layout == tpp::gemm_layout::transposed ? kk * lda(p) + r : r * lda(p) + kk;
}
long b_at(const tpp::brgemm_params& p, long kk, long j) {
  const long v = vnni_of(p);
  if (p.b_layout == tpp::gemm_layout::transposed) return j * ldb(p) + kk;
  if (p.b_layout == tpp::gemm_layout::vnni) return (kk / v) * ldb(p) * v + j * v + kk % v;
  return kk * ldb(p) + j;
}
long a_span(const tpp::brgemm_params& p) { return a_at(p, p.m - 1, p.k - 1) + 1; }
long b_span(const tpp::brgemm_params& p) {
  long s = 0;
  for (long kk : {0L, static_cast<long>(p.k - 1)})
    for (long j : {0L, static_cast<long>(p.n - 1)}) s = std::max(s, b_at(p, kk, j) + 1);
  return s;
}

void store(void* base, dtype t, long i, float v) {
  if (t == dtype::u8) static_cast<std::uint8_t*>(base)[i] = static_cast<std::uint8_t>(v);
  else if (t == dtype::i8) static_cast<std::int8_t*>(base)[i] = static_cast<std::int8_t>(v);
  else if (t == dtype::i32) static_cast<std::int32_t*>(base)[i] = static_cast<std::int32_t>(v);
  else tpp::store_from_f32(base, t, i, v);
}
float load(const void* base, dtype t, long i) {
  if (t == dtype::i32) return static_cast<float>(static_cast<const std::int32_t*>(base)[i]);
  return tpp::load_as_f32(base, t, i);
}
// A value of type t: small integers for int8 (so i32 sums are exact and far from overflow),
// otherwise uniform in [-1, 1] rounded to t.
float draw(dtype t, std::mt19937& rng) {
  if (t == dtype::u8) return static_cast<float>(rng() % 256);
  if (t == dtype::i8) return static_cast<float>(static_cast<int>(rng() % 256) - 128);
  if (t == dtype::i32) return static_cast<float>(static_cast<int>(rng() % 20001) - 10000);
  std::uniform_real_distribution<float> u(-1, 1);
  float v = u(rng);
  std::uint8_t buf[4];
  tpp::store_from_f32(buf, t, 0, v);
  return tpp::load_as_f32(buf, t, 0);
}

// Slope bound of the activations the epilogue tests use, so a pre-activation error e moves the
// result by at most slope * e (exp: its slope is y itself).
double slope(tpp::unary_op op, double y) {
  return op == tpp::unary_op::exp ? std::max(1.0, std::fabs(y)) : 1.2;  // gelu's max slope ~1.13
}
// One unit in the last place of y in type t (what two independent roundings to t can differ by).
double out_ulp(dtype t, double y) {
  const double a = std::fabs(y);
  switch (t) {
    case dtype::bf16: return a * std::ldexp(1.0, -7) + 1e-38;
    case dtype::f16: return a * std::ldexp(1.0, -10) + std::ldexp(1.0, -24);
    default: return a * std::ldexp(1.0, -23) + 1e-45;
  }
}

struct outcome {
  bool ok = true;
  std::string why;
};

// A stride batch laid out as run_case lays out the others: pair i at slot i.
void with_strides(gemm_case& c) {
  c.p.batch = tpp::batch_kind::stride;
  c.p.stride_a = a_span(c.p) + 3;
  c.p.stride_b = b_span(c.p) + 5;
}

template <class Run>
outcome run_case(const gemm_case& c, bool flush_end, std::mt19937& rng, Run&& run) {
  const auto& p = c.p;
  const int cnt = c.count;
  const bool ints = integer(c);
  const tpp::isa level = tpp::active_isa();  // the level the kernel under test was built for
  // logical values
  std::vector<float> A(static_cast<std::size_t>(cnt) * p.m * p.k), B(static_cast<std::size_t>(cnt) * p.k * p.n);
  for (auto& v : A) v = draw(p.a.type, rng);
  for (auto& v : B) v = draw(p.b.type, rng);
  // stored operands: stride/offset batches share one buffer, address batches get one each
  const long sa = a_span(p) + 3, sb = b_span(p) + 5;  // strides leave gaps between pairs
  const bool shared = p.batch != tpp::batch_kind::address;
  if (p.batch == tpp::batch_kind::stride && (p.stride_a != sa || p.stride_b != sb))
    return {false, "test bug: a stride batch needs stride_a/stride_b from with_strides()"};
  std::vector<std::unique_ptr<guarded>> abuf, bbuf;
  const auto esa = static_cast<std::size_t>(tpp::size_of(p.a.type)), esb = static_cast<std::size_t>(tpp::size_of(p.b.type));
  if (shared) {
    abuf.push_back(std::make_unique<guarded>(((cnt - 1) * sa + a_span(p)) * esa, flush_end));
    bbuf.push_back(std::make_unique<guarded>(((cnt - 1) * sb + b_span(p)) * esb, flush_end));
  } else {
    for (int i = 0; i < cnt; ++i) {
      abuf.push_back(std::make_unique<guarded>(a_span(p) * esa, flush_end));
      bbuf.push_back(std::make_unique<guarded>(b_span(p) * esb, flush_end));
    }
  }
  std::vector<const void*> aaddr(cnt), baddr(cnt);
  std::vector<std::int64_t> aoff(cnt), boff(cnt);
  for (int i = 0; i < cnt; ++i) {
    // offset batches visit the pairs in reverse storage order
    const long slot = p.batch == tpp::batch_kind::offset ? cnt - 1 - i : i;
    char* ab = shared ? abuf[0]->as<char>() + slot * sa * esa : abuf[i]->as<char>();
    char* bb = shared ? bbuf[0]->as<char>() + slot * sb * esb : bbuf[i]->as<char>();
    aaddr[i] = ab;
    baddr[i] = bb;
    aoff[i] = slot * sa;
    boff[i] = slot * sb;
    for (long r = 0; r < p.m; ++r)
      for (long kk = 0; kk < p.k; ++kk) store(ab, p.a.type, a_at(p, r, kk), A[(i * p.m + r) * p.k + kk]);
    for (long kk = 0; kk < p.k; ++kk)
      for (long j = 0; j < p.n; ++j) store(bb, p.b.type, b_at(p, kk, j), B[(i * p.k + kk) * p.n + j]);
  }
  // C (random where beta = 1), bias, d
  const long cspan = static_cast<long>(p.m - 1) * ldc(p) + p.n;
  const std::size_t cbytes = cspan * tpp::size_of(p.c.type);
  guarded cj(cbytes, flush_end), cr(cbytes, flush_end);
  std::vector<unsigned char> init(cbytes);
  for (auto& b : init) b = static_cast<unsigned char>(rng());
  for (long r = 0; r < p.m; ++r)
    for (long j = 0; j < p.n; ++j) store(init.data(), p.c.type, r * ldc(p) + j, draw(p.c.type, rng));
  std::memcpy(cj.data(), init.data(), cbytes);
  std::memcpy(cr.data(), init.data(), cbytes);
  const auto& e = p.epilogue;
  std::unique_ptr<guarded> bias, dbuf, mj, mr;
  if (e.bias != dtype::none) {
    bias = std::make_unique<guarded>(p.n * tpp::size_of(e.bias), flush_end);
    for (long j = 0; j < p.n; ++j) store(bias->data(), e.bias, j, draw(e.bias, rng));
  }
  const int ldd = e.d.ld ? e.d.ld : p.n;
  if (e.d.type != dtype::none) {
    dbuf = std::make_unique<guarded>(((p.m - 1) * ldd + p.n) * tpp::size_of(e.d.type), flush_end);
    for (long i = 0; i < (p.m - 1) * ldd + p.n; ++i) store(dbuf->data(), e.d.type, i, draw(e.d.type, rng) + 0.25f);
  }
  const int ldm = e.mask.ld ? e.mask.ld : (p.n + 7) / 8 * 8;
  const std::size_t mbytes = static_cast<std::size_t>(((p.m - 1) * ldm + (p.n + 7) / 8 * 8) / 8);
  if (e.mask.type == dtype::bit) {
    mj = std::make_unique<guarded>(mbytes, flush_end);
    mr = std::make_unique<guarded>(mbytes, flush_end);
    std::memset(mj->data(), 0x5A, mbytes);
    std::memset(mr->data(), 0x5A, mbytes);
  }

  tpp::brgemm_call call;
  call.count = cnt;
  call.a = shared ? abuf[0]->data() : nullptr;
  call.b = shared ? bbuf[0]->data() : nullptr;
  call.a_offsets = aoff.data();
  call.b_offsets = boff.data();
  call.a_addresses = aaddr.data();
  call.b_addresses = baddr.data();
  call.bias = bias ? bias->data() : nullptr;
  call.d = dbuf ? dbuf->data() : nullptr;
  call.c = cj.data();
  call.mask = mj ? mj->data() : nullptr;
  run(call);
  call.c = cr.data();
  call.mask = mr ? mr->data() : nullptr;
  tpp::detail::brgemm_args ra{call.a, call.b, call.c, cnt,
                              p.batch == tpp::batch_kind::offset ? static_cast<const void*>(aoff.data()) : aaddr.data(),
                              p.batch == tpp::batch_kind::offset ? static_cast<const void*>(boff.data()) : baddr.data(),
                              call.bias, call.d, call.mask};
  tpp::ref::brgemm(tpp::detail::lower(p, tpp::isa::ref), ra);

  // oracle, element by element; both the kernel and the reference must be within tolerance
  outcome out;
  const auto check = [&](const guarded& got, const char* who, const void* mask) {
    for (long r = 0; r < p.m && out.ok; ++r)
      for (long j = 0; j < p.n && out.ok; ++j) {
        double sum = 0, mag = 0;
        for (int i = 0; i < cnt; ++i)
          for (long kk = 0; kk < p.k; ++kk) {
            const double x = A[(i * p.m + r) * p.k + kk], y = B[(i * p.k + kk) * p.n + j];
            sum += x * y;
            mag += std::fabs(x * y);
          }
        const long ic = r * ldc(p) + j;
        const double c0 = load(init.data(), p.c.type, ic);
        if (p.beta == 1) {
          sum += c0;
          mag += std::fabs(c0);
        }
        const double got_v = load(got.data(), p.c.type, ic);
        if (ints) {
          if (got_v != static_cast<double>(static_cast<std::int32_t>(sum))) {
            out = {false, std::string(who) + " i32 mismatch at (" + std::to_string(r) + "," + std::to_string(j) +
                              "): got " + std::to_string(got_v) + ", want " + std::to_string(sum)};
          }
          continue;
        }
        // f32 accumulation of K terms: |error| <= (K + 2) u sum|terms| (Higham, gamma_K), u = 2^-24.
        // AArch64 BFDOT (bf16 VNNI at neon_bf16) rounds each pair sum and each accumulation to
        // odd, not to nearest: up to one ulp (2u) per rounding, so twice the bound.
        const double K = static_cast<double>(p.k) * cnt + 2;
        const bool bfdot = level == tpp::isa::neon_bf16 && p.b_layout == tpp::gemm_layout::vnni && p.a.type == dtype::bf16;
        double err = K * std::ldexp(1.0, bfdot ? -23 : -24) * mag;
        double v = sum;
        if (e.bias != dtype::none) v += load(bias->data(), e.bias, j);
        if (e.d.type != dtype::none) {
          const double dv = load(dbuf->data(), e.d.type, r * ldd + j);
          if (e.binary == tpp::binary_op::add) v += dv;
          else if (e.binary == tpp::binary_op::mul) {
            v *= dv;
            err *= std::fabs(dv);
          }
        }
        err += 4 * std::ldexp(std::fabs(v), -24);  // the f32 roundings of the bias and d steps
        if (mask && std::fabs(v) > err) {
          const bool bit = (static_cast<const std::uint8_t*>(mask)[(r * ldm + j) / 8] >> ((r * ldm + j) % 8)) & 1;
          if (bit != (v > 0))
            out = {false, std::string(who) + " relu bit wrong at (" + std::to_string(r) + "," + std::to_string(j) + ")"};
        }
        double want = v, tol = err;
        if (e.unary != tpp::unary_op::copy) {
          want = tpp::ref::unary_forward(e.unary, static_cast<float>(v), e.alpha.value_or(tpp::default_alpha(e.unary)));
          // activation error: slope * input error, plus the JIT's documented ulps (math_bounds)
          tol = slope(e.unary, want) * err + (tpp::jit_accuracy(e.unary).ulps + 1) * out_ulp(dtype::f32, want) + 1e-30;
        }
        tol += out_ulp(p.c.type, want);  // the final rounding to c.type
        if (!(std::fabs(got_v - want) <= tol)) {
          std::ostringstream s;
          s << who << " at (" << r << "," << j << "): got " << got_v << ", want " << want << " (tol " << tol << ")";
          out = {false, s.str()};
        }
      }
    // padding between rows of C must be untouched
    const std::size_t es = tpp::size_of(p.c.type);
    for (long r = 0; r + 1 < p.m && out.ok; ++r)
      for (long j = p.n; j < ldc(p); ++j)
        if (std::memcmp(got.as<char>() + (r * ldc(p) + j) * es, init.data() + (r * ldc(p) + j) * es, es) != 0)
          out = {false, std::string(who) + " wrote C padding at row " + std::to_string(r)};
  };
  check(cj, "kernel", mj ? mj->data() : nullptr);
  if (out.ok) check(cr, "tpp::ref", mr ? mr->data() : nullptr);
  return out;
}

// The NEON generator's coverage (documented in tpp/jit/a64/brgemm_generator.hpp): B normal,
// B transposed (staged, any input type), or bf16 VNNI by bfdot at neon_bf16; no u8; bf16 output
// (C or D) only with BFCVTN; every forward activation.
bool expect_neon_jit(const tpp::brgemm_params& p, tpp::isa level) {
  const bool bf16_level = level >= tpp::isa::neon_bf16;
  const auto& e = p.epilogue;
  if (p.a.type == dtype::u8) return false;
  // VNNI B only through bfdot: bf16 A, not transposed, BF16 present
  if (p.b_layout == tpp::gemm_layout::vnni &&
      !(bf16_level && p.a.type == dtype::bf16 && p.a_layout == tpp::gemm_layout::normal))
    return false;
  if (!bf16_level && (p.c.type == dtype::bf16 || e.d.type == dtype::bf16)) return false;
  // every forward activation, through the NEON math injector
  if (!tpp::is_activation(e.unary)) return false;
  return e.d.type == dtype::none || static_cast<int>(e.binary) <= static_cast<int>(tpp::binary_op::min);
}

// The JIT covers every case except these (documented in tpp/ops/brgemm.hpp).
// B transposed with k and ldb in whole VNNI groups: staged in VNNI groups for u8 x i8, and for
// bf16 where pairs multiply natively (vdpbf16ps under bf16_product::dot from avx512_bf16, AMX);
// otherwise as B normal
bool staged_vnni(const tpp::brgemm_params& p, tpp::isa level) {
  if (p.b_layout != tpp::gemm_layout::transposed || !tpp::is_x86(level)) return false;
  const int g = p.a.type == dtype::u8 ? 4 : 2, ldb = p.b.ld ? p.b.ld : p.k;
  const bool native = level == tpp::isa::amx || tpp::bf16_dot_at(level);
  const bool kind = p.a.type == dtype::u8 ||
                    (p.a.type == dtype::bf16 && p.a_layout == tpp::gemm_layout::normal && native);
  return kind && p.k % g == 0 && ldb % g == 0;
}

bool expect_jit(const tpp::brgemm_params& p, tpp::isa level) {
  if (tpp::is_arm(level)) return expect_neon_jit(p, level);
  if (!tpp_test::x86_jit(level)) return false;
  // B transposed (f32, bf16, f16) is staged through the transpose into the B-normal kernel
  // u8 x i8, VNNI B (or B transposed staged as VNNI) and A normal only: vpdpbusd from avx512_bf16
  // (with AVX512_VNNI), in ymm on AVX2 and at the plain avx512 level: vpdpbusd where the CPU has
  // AVX-VNNI, else widened to vpmaddwd
  if (p.a.type == dtype::u8)
    return (p.b_layout == tpp::gemm_layout::vnni || staged_vnni(p, level)) && p.a_layout == tpp::gemm_layout::normal;
  return true;
}

// AMX takes bf16 / u8 A (normal) with VNNI B (given, or staged from B transposed) when k/g (g = 2
// or 4 k values per VNNI group) has a divisor in 8..16: a tile step of at least 8 groups and no k
// tail.
bool expect_tiles(const tpp::brgemm_params& p, tpp::isa level) {
  if (!tpp::is_x86(level) || level < tpp::isa::amx || p.a_layout != tpp::gemm_layout::normal ||
      (p.b_layout != tpp::gemm_layout::vnni && !staged_vnni(p, level)))
    return false;
  if (p.a.type != dtype::bf16 && p.a.type != dtype::u8) return false;
  const int groups = p.k / (p.a.type == dtype::u8 ? 4 : 2);
  for (int q = 8; q <= 16; ++q)
    if (groups % q == 0) return true;
  return false;
}

// vdpbf16ps runs for bf16 A normal with B in VNNI pairs (given or staged) outside AMX tiles
// where the level has it and the bf16 product is dot (bf16_dot_at; its rule has its own test)
bool expect_bf16_dot(const tpp::brgemm_params& p, tpp::isa level) {
  return tpp::bf16_dot_at(level) && p.a.type == dtype::bf16 && p.a_layout == tpp::gemm_layout::normal &&
         (p.b_layout == tpp::gemm_layout::vnni || staged_vnni(p, level)) && !expect_tiles(p, level);
}

// Every level, and for bf16 A at levels with vdpbf16ps both bf16 products (other types ignore
// the setting, so their kernels would only repeat).
void check_every_level(const gemm_case& c, std::mt19937& rng) {
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    const auto products = c.p.a.type == dtype::bf16 ? bf16_products(level)
                                                    : std::vector<tpp::bf16_product>{tpp::get_bf16_product()};
    for (tpp::bf16_product product : products) {
      bf16_product_scope use(product);
      const tpp::brgemm_kernel k = tpp::brgemm(c.p);
      REQUIRE(k.level() == level);
      REQUIRE(k.jitted() == expect_jit(c.p, level));
      REQUIRE(k.tiles() == expect_tiles(c.p, level));
      REQUIRE(k.bf16_dot() == expect_bf16_dot(c.p, level));
      for (bool flush_end : {true, false}) {
        const outcome r = run_case(c, flush_end, rng, [&](const tpp::brgemm_call& call) { k(call); });
        if (!r.ok) FAIL_CHECK(describe(c, level, flush_end) << " (bf16 product " << tpp::name(product) << "): " << r.why);
      }
    }
  }
}

const int grid[] = {1, 3, 8, 15, 16, 17, 23, 64};

gemm_case f32_case(int m, int n, int k, int count) {
  gemm_case c;
  c.p.m = m;
  c.p.n = n;
  c.p.k = k;
  c.count = count;
  return c;
}

}  // namespace

TEST_CASE("brgemm f32: m x n grid with tails, k cycling, stride batch", "[brgemm]") {
  std::mt19937 rng(11);
  int i = 0;
  for (int m : grid)
    for (int n : grid) {
      ++i;
      gemm_case c = f32_case(m, n, grid[i % 8], 1 + (i % 3 == 0));
      if (i % 4 == 1) {  // ld larger than needed
        c.p.a.ld = c.p.k + 3;
        c.p.b.ld = c.p.n + 5;
        c.p.c.ld = c.p.n + 2;
      }
      // run_case lays pairs out itself, so it names them by offsets or addresses
      c.p.batch = (i % 2) ? tpp::batch_kind::offset : tpp::batch_kind::address;
      check_every_level(c, rng);
    }
}

// Every column tail of both vector widths: AVX2 stores each tail length with its own sequence of
// plain moves (io.hpp's store_dwords), AVX-512 with a mask; beta = 1 and ldc > n, so a store
// past the tail would change a checked neighbour or hit a guard page.
TEST_CASE("brgemm f32: every column tail length", "[brgemm]") {
  std::mt19937 rng(13);
  for (int n = 1; n <= 17; ++n) {
    gemm_case c = f32_case(5, n, 7, 2);
    c.p.beta = 1.0f;
    c.p.c.ld = n + (n % 3);
    c.p.batch = tpp::batch_kind::address;
    check_every_level(c, rng);
  }
}

TEST_CASE("brgemm f32: batch kinds, counts 0/1/2/16, beta, A and B transposed", "[brgemm]") {
  std::mt19937 rng(12);
  for (auto batch : {tpp::batch_kind::offset, tpp::batch_kind::address})
    for (int count : {1, 2, 16})
      for (float beta : {0.0f, 1.0f})
        for (auto al : {tpp::gemm_layout::normal, tpp::gemm_layout::transposed})
          for (auto bl : {tpp::gemm_layout::normal, tpp::gemm_layout::transposed}) {
            gemm_case c = f32_case(17, 33, 23, count);
            c.p.batch = batch;
            c.p.beta = beta;
            c.p.a_layout = al;
            c.p.b_layout = bl;
            if (al == tpp::gemm_layout::transposed) c.p.a.ld = 19;
            if (bl == tpp::gemm_layout::transposed && beta == 1.0f) c.p.b.ld = 29;  // > k
            if (bl == tpp::gemm_layout::transposed && count == 2) c.p.epilogue.unary = tpp::unary_op::relu;
            check_every_level(c, rng);
          }
  // larger shapes: several register blocks in both directions, k loop with a remainder
  for (auto [m, n, k] : {std::tuple{100, 70, 45}, std::tuple{129, 33, 130}, std::tuple{64, 64, 64}}) {
    gemm_case c = f32_case(m, n, k, 2);
    c.p.batch = tpp::batch_kind::address;
    check_every_level(c, rng);
  }
}

TEST_CASE("brgemm: stride batch walks the pairs by the descriptor's strides", "[brgemm]") {
  // the stride kind cannot use run_case's layout: pairs at a + i*stride_a, b + i*stride_b
  // (elements: bf16 pairs are half as many bytes apart, which the staged B transposed must scale)
  std::mt19937 rng(13);
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    // one_b: stride_b = 0, every pair reads the same B (B transposed stages it once)
    for (auto [m, n, k, count, b_transposed, t, one_b] :
         {std::tuple{7, 9, 5, 3, false, dtype::f32, false}, std::tuple{16, 24, 17, 16, false, dtype::f32, false},
          std::tuple{23, 23, 23, 1, false, dtype::f32, false}, std::tuple{7, 9, 5, 3, true, dtype::f32, false},
          std::tuple{16, 24, 17, 16, true, dtype::f32, false}, std::tuple{7, 9, 5, 3, true, dtype::bf16, false},
          std::tuple{16, 24, 17, 16, true, dtype::f16, false}, std::tuple{16, 24, 18, 16, true, dtype::bf16, false},
          std::tuple{7, 9, 5, 3, true, dtype::f32, true}, std::tuple{23, 23, 23, 2, true, dtype::f32, true},
          std::tuple{16, 24, 18, 4, true, dtype::bf16, true}, std::tuple{7, 9, 5, 3, false, dtype::f32, true}}) {
      tpp::brgemm_params p;
      p.m = m;
      p.n = n;
      p.k = k;
      p.a.type = p.b.type = t;
      if (b_transposed) p.b_layout = tpp::gemm_layout::transposed;  // B_i^T: n x k, ld = k
      p.stride_a = m * k + 4;
      p.stride_b = one_b ? 0 : k * n + 8;
      const int es = tpp::size_of(t);
      const long abytes = ((count - 1) * p.stride_a + m * k) * es, bbytes = ((count - 1) * p.stride_b + k * n) * es;
      guarded a(abytes, true), b(bbytes, false), c(m * n * 4, true);
      fill(a.data(), t, abytes, -1, 1, rng);
      fill(b.data(), t, bbytes, -1, 1, rng);
      const tpp::brgemm_kernel g = tpp::brgemm(p);
      REQUIRE(g.jitted() == expect_jit(p, level));
      g(a.data(), b.data(), c.data(), count);
      for (int r = 0; r < m; ++r)
        for (int j = 0; j < n; ++j) {
          double s = 0, mag = 0;
          for (int i = 0; i < count; ++i)
            for (int kk = 0; kk < k; ++kk) {
              const long bk = i * p.stride_b + (b_transposed ? j * k + kk : kk * n + j);
              const double x =
                  double(tpp::load_as_f32(a.data(), t, i * p.stride_a + r * k + kk)) * tpp::load_as_f32(b.data(), t, bk);
              s += x;
              mag += std::fabs(x);
            }
          // f32 sums of k * count products, each exact in f32 (16-bit inputs have <= 11-bit significands)
          REQUIRE(std::fabs(reinterpret_cast<float*>(c.data())[r * n + j] - s) <= (k * count + 2) * std::ldexp(mag, -24));
        }
    }
  }
}

TEST_CASE("brgemm: count = 0 leaves beta * C, then the epilogue", "[brgemm]") {
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    tpp::brgemm_params p;
    p.m = 3;
    p.n = 9;
    p.k = 4;
    std::vector<float> c(27, 5.0f);
    tpp::brgemm(p)(nullptr, nullptr, c.data(), 0);
    for (float v : c) REQUIRE(v == 0.0f);
    p.beta = 1;
    p.epilogue.unary = tpp::unary_op::negate;
    std::fill(c.begin(), c.end(), 5.0f);
    tpp::brgemm(p)(nullptr, nullptr, c.data(), 0);
    for (float v : c) REQUIRE(v == -5.0f);
    p.b_layout = tpp::gemm_layout::transposed;  // the staged path with nothing to stage
    std::fill(c.begin(), c.end(), 5.0f);
    tpp::brgemm(p)(nullptr, nullptr, c.data(), 0);
    for (float v : c) REQUIRE(v == -5.0f);
  }
}

TEST_CASE("brgemm 16-bit and int8 inputs, layouts, output types", "[brgemm]") {
  std::mt19937 rng(14);
  struct combo {
    dtype ab, c;
    tpp::gemm_layout bl;
  };
  const combo combos[] = {{dtype::bf16, dtype::f32, tpp::gemm_layout::normal},
                          {dtype::bf16, dtype::f32, tpp::gemm_layout::vnni},
                          {dtype::bf16, dtype::bf16, tpp::gemm_layout::vnni},
                          {dtype::f16, dtype::f32, tpp::gemm_layout::normal},
                          {dtype::f16, dtype::f16, tpp::gemm_layout::vnni},
                          {dtype::f32, dtype::f32, tpp::gemm_layout::transposed},
                          {dtype::bf16, dtype::f32, tpp::gemm_layout::transposed},
                          {dtype::f16, dtype::f32, tpp::gemm_layout::transposed},
                          {dtype::u8, dtype::i32, tpp::gemm_layout::normal},
                          {dtype::u8, dtype::i32, tpp::gemm_layout::vnni},
                          {dtype::u8, dtype::i32, tpp::gemm_layout::transposed}};
  for (const combo& cb : combos)
    for (auto [m, n, k] : {std::tuple{1, 1, 4}, std::tuple{7, 17, 8}, std::tuple{15, 33, 24}, std::tuple{23, 16, 64}}) {
      gemm_case c = f32_case(m, n, k, 2);
      c.p.a.type = cb.ab;
      c.p.b.type = cb.ab == dtype::u8 ? dtype::i8 : cb.ab;
      c.p.c.type = cb.c;
      c.p.b_layout = cb.bl;
      c.p.batch = tpp::batch_kind::offset;
      if (m == 15) c.p.b.ld = n + 3;
      if (m == 7) c.p.beta = 1;
      if (m == 7 && cb.bl == tpp::gemm_layout::transposed) c.p.b.ld = k + 1;  // not whole VNNI groups
      check_every_level(c, rng);
    }
}

// Shapes for the AMX path (tiles of 16 x 16, k steps of 8-16 VNNI groups): tile tails in m and n,
// one and several blocks each way, k with 1, 2 and 3+ tile steps (a looped k), every batch kind,
// beta, an epilogue that forces the scratch pass, and bf16 C. Other levels run them too.
TEST_CASE("brgemm bf16 and u8 with VNNI B or B transposed: AMX-shaped grid", "[brgemm]") {
  std::mt19937 rng(17);
  int i = 0;
  for (dtype ab : {dtype::bf16, dtype::u8})
    for (int m : {1, 7, 16, 17, 33, 64})
      for (int n : {1, 16, 20, 48}) {
        ++i;
        const int ks[] = {32, 48, 64, 96, 160, 288};
        gemm_case c = f32_case(m, n, ks[i % 6] * (ab == dtype::u8 ? 2 : 1), 1 + (i % 4 == 0) * 15);
        c.p.a.type = ab;
        c.p.b.type = ab == dtype::u8 ? dtype::i8 : ab;
        c.p.c.type = ab == dtype::u8 ? dtype::i32 : (i % 4 == 3 ? dtype::bf16 : dtype::f32);
        // B transposed is staged in VNNI groups, so it takes the same kernels
        c.p.b_layout = i % 5 == 3 ? tpp::gemm_layout::transposed : tpp::gemm_layout::vnni;
        c.p.beta = (i % 5 == 2) ? 1.0f : 0.0f;
        if (i % 4 == 1) {
          c.p.a.ld = c.p.k + 32;
          c.p.b.ld = c.p.b_layout == tpp::gemm_layout::transposed ? c.p.k + 8 : n + 3;
          c.p.c.ld = n + 5;
        }
        c.p.batch = (i % 3 == 1) ? tpp::batch_kind::offset : tpp::batch_kind::address;
        if (i % 3 == 2) with_strides(c);
        if (ab == dtype::bf16 && i % 3 == 1) {
          c.p.epilogue.bias = dtype::f32;
          c.p.epilogue.unary = tpp::unary_op::relu;
          c.p.epilogue.mask.type = dtype::bit;
        }
        check_every_level(c, rng);
#if TPP_X86_64
        // the AMX code is generated on every x86 machine (only run where the CPU has tiles)
        if (expect_tiles(c.p, tpp::isa::amx)) {
          const tpp::jit::x86::brgemm_amx_generator g(tpp::detail::lower(c.p, tpp::isa::amx));
          REQUIRE(g.getSize() > 0);
        }
#endif
      }
}

TEST_CASE("brgemm epilogue: bias, binary with d, activations, relu bitmask, conversion", "[brgemm]") {
  std::mt19937 rng(15);
  using tpp::unary_op;
  for (unary_op u : {unary_op::copy, unary_op::relu, unary_op::gelu_tanh, unary_op::gelu_erf, unary_op::tanh,
                     unary_op::sigmoid, unary_op::exp, unary_op::elu, unary_op::leaky_relu, unary_op::abs})
    for (auto [m, n, k] : {std::tuple{5, 19, 7}, std::tuple{13, 40, 16}}) {
      gemm_case c = f32_case(m, n, k, 2);
      c.p.batch = tpp::batch_kind::address;
      c.p.epilogue.unary = u;
      c.p.epilogue.bias = m == 5 ? dtype::f32 : dtype::bf16;
      c.p.epilogue.d.type = m == 5 ? dtype::f32 : dtype::bf16;
      c.p.epilogue.d.ld = n + 1;
      c.p.epilogue.binary = m == 5 ? tpp::binary_op::add : tpp::binary_op::mul;
      if (u == unary_op::relu) c.p.epilogue.mask.type = dtype::bit;
      if (u == unary_op::gelu_tanh) c.p.c.type = dtype::bf16;
      if (u == unary_op::sigmoid) c.p.c.type = dtype::f16;
      if (u == unary_op::elu) c.p.beta = 1;
      check_every_level(c, rng);
    }
}

TEST_CASE("brgemm: bad descriptors and calls throw tpp::error naming the field", "[brgemm][errors]") {
  const auto throws_with = [](tpp::brgemm_params p, const std::string& text) {
    try {
      tpp::brgemm(p);
    } catch (const tpp::error& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(text) != std::string::npos);
      return;
    }
    FAIL_CHECK("no tpp::error for " << text);
  };
  tpp::brgemm_params ok;
  ok.m = ok.n = ok.k = 8;
  auto p = ok;
  p.k = 0;
  throws_with(p, "k = 0");
  p = ok;
  p.a.ld = 5;
  throws_with(p, "a.ld = 5");
  p = ok;
  p.c.ld = 7;
  throws_with(p, "c.ld = 7");
  p = ok;
  p.a.type = p.b.type = dtype::bf16;
  p.b_layout = tpp::gemm_layout::vnni;
  p.k = 7;
  throws_with(p, "k = 7 is not a multiple of 2");
  p = ok;
  p.b_layout = tpp::gemm_layout::vnni;
  throws_with(p, "b.type = f32");
  p = ok;
  p.beta = 0.5f;
  throws_with(p, "beta = 0.5");
  p = ok;
  p.b.type = dtype::bf16;
  throws_with(p, "a.type = f32 with b.type = bf16");
  p = ok;
  p.epilogue.unary = tpp::unary_op::relu_inv;
  throws_with(p, "epilogue.unary = relu_inv");
  p = ok;
  p.epilogue.mask.type = dtype::bit;
  throws_with(p, "epilogue.mask");
  p = ok;
  p.batch = tpp::batch_kind::address;
  p.stride_a = 4;
  throws_with(p, "stride_a");
  p = ok;
  p.a_layout = tpp::gemm_layout::vnni;
  throws_with(p, "a_layout = vnni");
  p = ok;
  p.a.type = dtype::u8;
  p.b.type = dtype::i8;
  p.c.type = dtype::f32;
  throws_with(p, "c.type = f32");

  // calls
  ok.batch = tpp::batch_kind::offset;
  const auto k = tpp::brgemm(ok);
  std::vector<float> buf(64);
  tpp::brgemm_call call;
  call.a = call.b = buf.data();
  call.c = buf.data();
  call.count = 2;
  REQUIRE_THROWS_AS(k(call), tpp::error);  // offsets missing
  call.count = -1;
  REQUIRE_THROWS_AS(k(call), tpp::error);
  REQUIRE_THROWS_AS(tpp::brgemm_kernel()(buf.data(), buf.data(), buf.data()), tpp::error);
}
