// Dropout: the JIT against the reference bit for bit (mask and values), forward and backward, on a
// grid with tails, ld larger than needed and guard pages; the mask the same for the same seed and
// for 1 or 2 threads; the kept fraction within binomial bounds.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <random>

#include "catch.hpp"
#include "support.hpp"

using tpp::dtype;
using tpp_test::guarded;
using tpp_test::isa_scope;
using tpp_test::levels;

TEST_CASE("dropout: JIT equals the reference, forward and backward", "[dropout]") {
  std::mt19937 rng(51);
  int i = 0;
  for (int m : {1, 3, 17})
    for (int n : {1, 7, 8, 9, 15, 16, 17, 33, 100}) {
      ++i;
      tpp::dropout_params p;
      p.rows = m;
      p.cols = n;
      p.keep = i % 2 ? 0.5f : 0.9f;
      p.in.type = i % 3 ? dtype::f32 : dtype::bf16;
      p.out.type = i % 4 == 1 ? dtype::bf16 : dtype::f32;
      if (i % 5 == 2) {
        p.in.ld = n + 3;
        p.out.ld = n + 1;
        p.mask.ld = (n + 7) / 8 * 8 + 16;
      }
      const long ldi = p.in.ld ? p.in.ld : n, ldo = p.out.ld ? p.out.ld : n;
      const long ldm = p.mask.ld ? p.mask.ld : (n + 7) / 8 * 8;
      const std::size_t ib = ((m - 1) * ldi + n) * tpp::size_of(p.in.type), ob = ((m - 1) * ldo + n) * tpp::size_of(p.out.type);
      const std::size_t mb = ((m - 1) * ldm + (n + 7) / 8 * 8) / 8;
      const std::uint64_t seed = 0x1234567890ull * i, offset = 1000ull * i;
      for (tpp::isa level : levels()) {
        isa_scope cap(level);
        const bool flush_end = i % 2 == 0;
        guarded x(ib, flush_end), yj(ob, flush_end), yr(ob, flush_end), mj(mb, flush_end), mr(mb, flush_end);
        tpp_test::fill(x.data(), p.in.type, ib, -2, 2, rng);
        std::memset(yj.data(), 0x3C, ob);
        std::memset(yr.data(), 0x3C, ob);
        std::memset(mj.data(), 0x5A, mb);
        std::memset(mr.data(), 0x5A, mb);
        const tpp::dropout_kernel k = tpp::dropout(p);
        REQUIRE(k.jitted() == (tpp_test::x86_jit(level) || tpp_test::neon_jit_writing(level, p.out.type)));
        k.forward(x.data(), yj.data(), mj.data(), seed, offset);
        const auto d = tpp::detail::lower(p, tpp::isa::ref);
        tpp::detail::dropout_ref(d, {x.data(), yr.data(), mr.data(), seed, offset}, true);
        REQUIRE(std::memcmp(yj.data(), yr.data(), ob) == 0);
        REQUIRE(std::memcmp(mj.data(), mr.data(), mb) == 0);
        // the mask is the hash, independently of tpp's own loops
        for (int r = 0; r < m; ++r)
          for (int c = 0; c < n; ++c) {
            const long bit = r * ldm + c;
            const bool keep = tpp::detail::dropout_bits(seed, static_cast<std::uint32_t>(offset + r * n + c)) <
                              static_cast<std::uint32_t>(std::lround(p.keep * double(1 << 24)));
            REQUIRE(((mj.as<std::uint8_t>()[bit >> 3] >> (bit & 7)) & 1) == keep);
          }
        // backward through the same mask
        std::memset(yj.data(), 0x3C, ob);
        std::memset(yr.data(), 0x3C, ob);
        k.backward(x.data(), mj.data(), yj.data());
        tpp::detail::dropout_ref(d, {x.data(), yr.data(), mj.data(), 0, 0}, false);
        REQUIRE(std::memcmp(yj.data(), yr.data(), ob) == 0);
      }
    }
}

TEST_CASE("dropout: same mask for the same seed and any thread count; binomial keep rate", "[dropout]") {
  const int m = 1024, n = 1024;
  tpp::dropout_params p;
  p.rows = m;
  p.cols = n;
  p.keep = 0.9f;
  std::vector<float> x(static_cast<std::size_t>(m) * n, 1.0f), y1(x.size()), y2(x.size());
  std::vector<std::uint8_t> m1(x.size() / 8), m2(x.size() / 8), m3(x.size() / 8);
  omp_set_num_threads(1);
  tpp::dropout_forward(p, x.data(), y1.data(), m1.data(), 7);
  omp_set_num_threads(2);
  tpp::dropout_forward(p, x.data(), y2.data(), m2.data(), 7);
  REQUIRE(m1 == m2);
  REQUIRE(y1 == y2);
  tpp::dropout_forward(p, x.data(), y2.data(), m3.data(), 8);
  REQUIRE(m1 != m3);  // another seed, another mask
  omp_set_num_threads(1);
  long kept = 0;
  for (std::uint8_t b : m1) kept += __builtin_popcount(b);
  const double total = double(m) * n, mean = total * 0.9, sd = std::sqrt(total * 0.9 * 0.1);
  INFO("kept " << kept << " of " << total << ", expected " << mean << " +- 5 * " << sd);
  REQUIRE(std::fabs(kept - mean) <= 5 * sd);
  // rows of the mask are not shifted copies of each other: adjacent rows differ in ~18 % of bits
  long diff = 0;
  for (int c = 0; c < n / 8; ++c) diff += __builtin_popcount(m1[c] ^ m1[n / 8 + c]);
  REQUIRE(std::fabs(diff - n * 0.18) <= 5 * std::sqrt(n * 0.18 * 0.82));
}

TEST_CASE("dropout: bad params throw tpp::error", "[dropout][errors]") {
  const auto bad = [](tpp::dropout_params p) { REQUIRE_THROWS_AS(tpp::dropout(p), tpp::error); };
  tpp::dropout_params p;
  p.rows = 4;
  p.cols = 8;
  p.keep = 0;
  bad(p);
  p.keep = 1.5f;
  bad(p);
  p.keep = std::nanf("");
  bad(p);
  p.keep = 0.5f;
  p.mask.type = dtype::f32;
  bad(p);
  p.mask.type = dtype::bit;
  p.mask.ld = 12;  // not whole bytes
  bad(p);
  p.mask.ld = 0;
  p.in.type = dtype::i8;
  bad(p);
  p.in.type = dtype::f32;
  float v[32];
  REQUIRE_THROWS_AS(tpp::dropout(p).forward(v, v, nullptr, 1), tpp::error);
  REQUIRE_THROWS_AS(tpp::dropout_kernel().backward(v, v, v), tpp::error);
}
