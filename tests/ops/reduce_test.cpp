// Reduction TPPs against sums computed here in double: each row and each column, every op, f32
// and bf16 inputs, tails, ld larger than needed, operands flush against guard pages, every level.
// Tolerance: an f32 sum of t terms in any order is within (t + 1) * 2^-24 * sum|terms| of the
// exact one; max and min are exact.
#include <cmath>
#include <limits>
#include <vector>
#include <random>
#include <tuple>

#include "catch.hpp"
#include "support.hpp"

using tpp::dtype;
using tpp::reduce_dim;
using tpp::reduce_kind;
using tpp_test::guarded;
using tpp_test::isa_scope;
using tpp_test::levels;

TEST_CASE("reductions of each row and each column match double sums", "[reduce]") {
  std::mt19937 rng(41);
  int i = 0;
  for (reduce_dim over : {reduce_dim::each_row, reduce_dim::each_column})
    for (reduce_kind op : {reduce_kind::sum, reduce_kind::max, reduce_kind::min, reduce_kind::sum_squares,
                           reduce_kind::sum_and_sum_squares})
      // m past 8 with n past one column block: the column generator's passes of 8 rows (12: one
      // pass and a remainder; 17: a second pass and a remainder; 40: passes only)
      for (int m : {1, 3, 12, 17, 40})
        for (int n : {1, 7, 8, 9, 15, 16, 17, 33, 100}) {
          ++i;
          tpp::reduce_params p;
          p.op = op;
          p.over = over;
          p.rows = m;
          p.cols = n;
          p.in.type = i % 3 ? dtype::f32 : dtype::bf16;
          if (i % 4 == 1) p.in.ld = n + 3;
          const bool both = op == reduce_kind::sum_and_sum_squares, rows = over == reduce_dim::each_row;
          const int outs = rows ? m : n, per = both ? 2 : 1;
          if (i % 5 == 2) p.out.ld = rows ? per + 2 : n + 4;
          const long ldi = p.in.ld ? p.in.ld : n;
          const long ldo = p.out.ld ? p.out.ld : (rows ? per : n);
          for (tpp::isa level : levels()) {
            isa_scope cap(level);
            const bool flush_end = i % 2;
            guarded in(((m - 1) * ldi + n) * tpp::size_of(p.in.type), flush_end);
            tpp_test::fill(in.data(), p.in.type, in.bytes(), -2, 2, rng);
            const std::size_t ob = (rows ? (m - 1) * ldo + per : (per - 1) * ldo + n) * 4;
            guarded out(ob, flush_end);
            const tpp::reduce_kernel k = tpp::reduce(p);
            // rows run as equations, columns have a generator of their own: both JIT on every ISA
            REQUIRE(k.jitted() == (level != tpp::isa::ref));
            k(in.data(), out.data());
            for (int o = 0; o < outs; ++o) {
              double s = 0, a = 0, q = 0, mx = -INFINITY, mn = INFINITY;
              const int terms = rows ? n : m;
              for (int t = 0; t < terms; ++t) {
                const double x = tpp::load_as_f32(in.data(), p.in.type, rows ? o * ldi + t : t * ldi + o);
                s += x;
                a += std::fabs(x);
                q += x * x;
                mx = std::max(mx, x);
                mn = std::min(mn, x);
              }
              const double tol = (terms + 1) * std::ldexp(1.0, -24);
              const auto at = [&](int which) {
                return static_cast<double>(out.as<float>()[rows ? o * ldo + which : which * ldo + o]);
              };
              switch (op) {
                case reduce_kind::max: REQUIRE(at(0) == mx); break;
                case reduce_kind::min: REQUIRE(at(0) == mn); break;
                case reduce_kind::sum_squares: REQUIRE(std::fabs(at(0) - q) <= tol * q + 1e-30); break;
                case reduce_kind::sum_and_sum_squares:
                  REQUIRE(std::fabs(at(1) - q) <= tol * q + 1e-30);
                  [[fallthrough]];
                default: REQUIRE(std::fabs(at(0) - s) <= tol * a + 1e-30);
              }
            }
          }
        }
}

// max and min skip NaN elements (std::fmax / fmin), documented in tpp/ops/reduce.hpp: a kernel
// that lets a NaN win (x86 vmaxps with the operands swapped, A64 fmax for fmaxnm) fails here.
// Each line (row or column) holds NaNs at seeded places; a line of only NaNs has nothing left
// and reduces to the identity (-Inf for max, +Inf for min).
TEST_CASE("reduce: max and min skip NaN elements", "[reduce][nan]") {
  std::mt19937 rng(43);
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  for (reduce_dim over : {reduce_dim::each_row, reduce_dim::each_column})
    for (reduce_kind op : {reduce_kind::max, reduce_kind::min})
      // 1 x 1: one NaN; 19 x 70: columns in passes of 8 rows
      for (auto [m, n] : {std::pair{5, 19}, std::pair{17, 6}, std::pair{1, 1}, std::pair{19, 70}}) {
        const bool rows = over == reduce_dim::each_row;
        std::vector<float> in(static_cast<std::size_t>(m) * n);
        tpp_test::fill(in.data(), dtype::f32, in.size() * 4, -2, 2, rng);
        for (std::size_t e = 0; e < in.size(); ++e)
          if (rng() % 3 == 0 || in.size() == 1) in[e] = qnan;
        tpp::reduce_params p;
        p.op = op;
        p.over = over;
        p.rows = m;
        p.cols = n;
        const int outs = rows ? m : n, terms = rows ? n : m;
        for (tpp::isa level : levels()) {
          isa_scope cap(level);
          std::vector<float> out(static_cast<std::size_t>(outs), 0.0f);
          tpp::reduce(p)(in.data(), out.data());
          for (int o = 0; o < outs; ++o) {
            const float inf = std::numeric_limits<float>::infinity();
            float want = op == reduce_kind::max ? -inf : inf;
            for (int t = 0; t < terms; ++t) {
              const float x = in[static_cast<std::size_t>(rows ? o * n + t : t * n + o)];
              if (!std::isnan(x)) want = op == reduce_kind::max ? std::max(want, x) : std::min(want, x);
            }
            INFO(tpp::name(level) << (rows ? " row " : " column ") << o << " of " << m << "x" << n);
            REQUIRE(out[static_cast<std::size_t>(o)] == want);
          }
        }
      }
}

// Each row's sum and sum of squares together run in one pass on x86 (row_sums_generator, which
// adds in the equations' order) and elsewhere as two equations over blocks of rows of about 64
// KiB (the second reads its block from cache): rows of 20 000 or 40 000 bytes make blocks of 3 or
// 1 rows, with a remainder. Every row's pair must be bit for bit what the sum and the
// sum-of-squares reductions give alone, at every level, with operands against guard pages.
TEST_CASE("reduce: rows' sums and squares in blocks equal the separate reductions", "[reduce]") {
  std::mt19937 rng(44);
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (auto [m, n, ld, t] : {std::tuple{7, 5000, 5000, dtype::f32}, std::tuple{4, 9999, 10000, dtype::f32},
                               std::tuple{5, 10000, 10007, dtype::bf16}}) {
      tpp::reduce_params p;
      p.over = reduce_dim::each_row;
      p.rows = m;
      p.cols = n;
      p.in = {t, ld};
      const std::size_t in_bytes = (static_cast<std::size_t>(m - 1) * ld + n) * tpp::size_of(t);
      guarded in(in_bytes, true);
      tpp_test::fill(in.data(), t, in_bytes, -2, 2, rng);
      guarded both(static_cast<std::size_t>(m) * 2 * 4, true), sums(m * 4u, false), squares(m * 4u, true);
      p.op = reduce_kind::sum_and_sum_squares;
      tpp::reduce(p)(in.data(), both.data());
      p.op = reduce_kind::sum;
      tpp::reduce(p)(in.data(), sums.data());
      p.op = reduce_kind::sum_squares;
      tpp::reduce(p)(in.data(), squares.data());
      for (int r = 0; r < m; ++r) {
        INFO(tpp::name(level) << " " << m << " x " << n << " (ld " << ld << ") " << tpp::name(t) << ", row " << r);
        CHECK(both.as<float>()[2 * r] == sums.as<float>()[r]);
        CHECK(both.as<float>()[2 * r + 1] == squares.as<float>()[r]);
      }
    }
  }
}

// A row reduction whose input outgrows half the cache one core can count on reads its rows from
// memory, and its kernel prefetches each next row (equation_desc::prefetch; reduce_desc::prefetch
// for the sums and squares, by the same rule). The rows are sized from this machine's caches so
// that the big call prefetches; its results must be bit for bit those of the same rows reduced 8
// at a time (small calls, no prefetch; the same per-row code).
TEST_CASE("reduce: rows read from memory equal the same rows in small calls", "[reduce]") {
  std::mt19937 rng(45);
  const int cols = 1024;
  const int rows = static_cast<int>(tpp::core_cache_bytes() / 2 / (cols * 4)) + 40;
  std::vector<float> in(static_cast<std::size_t>(rows) * cols);
  tpp_test::fill(in.data(), dtype::f32, in.size() * 4, -2, 2, rng);
  for (tpp::isa level : levels()) {
    isa_scope cap(level);
    for (reduce_kind op : {reduce_kind::sum, reduce_kind::max, reduce_kind::sum_and_sum_squares}) {
      const int per = op == reduce_kind::sum_and_sum_squares ? 2 : 1;  // results per row
      if (per == 1) {
        tpp::equation_params e;  // the equation tpp::reduce builds for these rows
        e.m = rows;
        e.n = cols;
        e.inputs = {tpp::operand{dtype::f32}};
        e.root = op == reduce_kind::max ? tpp::row_max(tpp::arg(0)) : tpp::row_sum(tpp::arg(0));
        REQUIRE(tpp::detail::lower(e, level).prefetch == 1);
      }
      tpp::reduce_params p;
      p.op = op;
      p.rows = rows;
      p.cols = cols;
      std::vector<float> big(static_cast<std::size_t>(rows) * per), small(big.size());
      tpp::reduce(p)(in.data(), big.data());
      p.rows = 8;
      const tpp::reduce_kernel eight = tpp::reduce(p);
      p.rows = rows % 8;
      for (int r = 0; r + 8 <= rows; r += 8)
        eight(in.data() + static_cast<std::size_t>(r) * cols, small.data() + static_cast<std::size_t>(r) * per);
      if (const int r = rows / 8 * 8; rows % 8)
        tpp::reduce(p)(in.data() + static_cast<std::size_t>(r) * cols, small.data() + static_cast<std::size_t>(r) * per);
      int wrong = 0;
      for (std::size_t r = 0; r < big.size(); ++r) wrong += big[r] != small[r];
      INFO(tpp::name(level) << " " << tpp::name(op) << " of " << rows << " rows: " << wrong << " differ");
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("reduce: bad params throw tpp::error", "[reduce][errors]") {
  const auto bad = [](tpp::reduce_params p) { REQUIRE_THROWS_AS(tpp::reduce(p), tpp::error); };
  tpp::reduce_params p;
  p.rows = 4;
  p.cols = 8;
  p.out.type = dtype::bf16;
  bad(p);
  p.out.type = dtype::f32;
  p.in.type = dtype::i8;
  bad(p);
  p.in.type = dtype::f32;
  p.in.ld = 4;
  bad(p);
  p.in.ld = 0;
  p.op = reduce_kind::sum_and_sum_squares;
  p.out.ld = 1;  // two values per row
  bad(p);
  p.over = reduce_dim::each_column;
  p.out.ld = 7;  // two rows of 8
  bad(p);
  p.out.ld = 0;
  p.cols = 0;
  bad(p);
  p.cols = 8;
  REQUIRE_THROWS_AS(tpp::reduce(p)(nullptr, nullptr), tpp::error);
  REQUIRE_THROWS_AS(tpp::reduce_kernel()(&p, &p), tpp::error);
}
