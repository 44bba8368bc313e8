// Quantize / dequantize against the scalar definition (detail::quantize_value / dequantize_value)
// element by element, exactly: ties, saturation, NaN and infinities included; grid with tails,
// ld larger than needed, guard pages, every level.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "catch.hpp"
#include "support.hpp"

using tpp::dtype;
using tpp_test::guarded;
using tpp_test::isa_scope;
using tpp_test::levels;

TEST_CASE("quantize and dequantize match the scalar definition exactly", "[quant]") {
  std::mt19937 rng(61);
  int i = 0;
  for (dtype ft : {dtype::f32, dtype::bf16})
    for (dtype qt : {dtype::i8, dtype::u8})
      for (int m : {1, 3, 9})
        for (int n : {1, 7, 8, 9, 15, 16, 17, 33, 100}) {
          ++i;
          const float scale = i % 2 ? 0.05f : 0.25f;  // 0.25: x * 4 lands on exact .5 ties
          const int zp = qt == dtype::u8 ? 128 - (i % 7) : (i % 5) - 2;
          const long ld = i % 3 ? n : n + 5;
          for (bool quantize : {true, false}) {
            tpp::quant_params p;
            p.rows = m;
            p.cols = n;
            p.in.type = quantize ? ft : qt;
            p.out.type = quantize ? qt : ft;
            p.in.ld = p.out.ld = static_cast<int>(ld);
            p.scale = scale;
            p.zero_point = zp;
            const int ei = tpp::size_of(p.in.type), eo = tpp::size_of(p.out.type);
            const std::size_t ib = ((m - 1) * ld + n) * ei, ob = ((m - 1) * ld + n) * eo;
            for (tpp::isa level : levels()) {
              isa_scope cap(level);
              guarded in(ib, i % 2), out(ob, i % 2);
              if (quantize) {
                tpp_test::fill(in.data(), ft, ib, -40, 40, rng);
                const float specials[] = {std::numeric_limits<float>::quiet_NaN(), INFINITY, -INFINITY, 0.125f, -0.375f,
                                          1e30f, -1e30f, 31.75f};
                for (int s = 0; s < 8 && s < m * n; ++s)
                  tpp::store_from_f32(in.data(), ft, (s % m) * ld + (s * 7) % n, specials[s]);
              } else {
                for (std::size_t k = 0; k < ib; ++k) in.as<unsigned char>()[k] = static_cast<unsigned char>(rng());
              }
              std::memset(out.data(), 0x77, ob);
              const tpp::quant_kernel k = tpp::quant(p);
              REQUIRE(k.jitted() == (tpp_test::x86_jit(level) || tpp_test::neon_jit_writing(level, p.out.type)));
              k(in.data(), out.data());
              const auto d = tpp::detail::lower(p, tpp::isa::ref);
              for (int r = 0; r < m; ++r)
                for (int c = 0; c < n; ++c) {
                  const long at = r * ld + c;
                  if (quantize) {
                    const int want = tpp::detail::quantize_value(tpp::load_as_f32(in.data(), ft, at), d.inv_scale, zp, qt);
                    const int got = qt == dtype::u8 ? out.as<std::uint8_t>()[at] : out.as<std::int8_t>()[at];
                    REQUIRE(got == want);
                  } else {
                    const int q = qt == dtype::u8 ? in.as<std::uint8_t>()[at] : in.as<std::int8_t>()[at];
                    std::uint32_t want = 0, got = 0;
                    guarded one(4, true);
                    tpp::store_from_f32(one.data(), ft, 0, tpp::detail::dequantize_value(q, scale, zp));
                    std::memcpy(&want, one.data(), eo);
                    std::memcpy(&got, out.as<char>() + at * eo, eo);
                    REQUIRE(got == want);
                  }
                }
            }
          }
        }
}

TEST_CASE("quant: bad params throw tpp::error", "[quant][errors]") {
  const auto bad = [](tpp::quant_params p) { REQUIRE_THROWS_AS(tpp::quant(p), tpp::error); };
  tpp::quant_params p;
  p.rows = 2;
  p.cols = 8;
  p.scale = 0;
  bad(p);
  p.scale = INFINITY;
  bad(p);
  p.scale = 1e-45f;  // 1/scale overflows
  bad(p);
  p.scale = 1;
  p.zero_point = 128;  // outside i8
  bad(p);
  p.zero_point = 0;
  p.out.type = dtype::f32;  // float -> float
  bad(p);
  p.out.type = dtype::i8;
  p.in.type = dtype::i8;  // int -> int
  bad(p);
  p.in.type = dtype::f32;
  p.in.ld = 4;
  bad(p);
  p.in.ld = 0;
  REQUIRE_THROWS_AS(tpp::quant(p)(nullptr, nullptr), tpp::error);
}
