// bf16 / f16 conversions: round to nearest even, NaN stays NaN, subnormals, overflow.
#include <limits>

#include "catch.hpp"
#include "support.hpp"

TEST_CASE("bf16 rounds to nearest even and keeps NaN", "[dtype]") {
  CHECK(tpp::to_bf16(1.0f) == 0x3F80);
  CHECK(tpp::to_bf16(tpp::float_of(0x3F808000u)) == 0x3F80);  // tie, even below
  CHECK(tpp::to_bf16(tpp::float_of(0x3F818000u)) == 0x3F82);  // tie, even above
  CHECK(tpp::to_bf16(tpp::float_of(0x3F808001u)) == 0x3F81);  // above the tie
  CHECK(tpp::to_bf16(tpp::float_of(0x7F7FFFFFu)) == 0x7F80);  // FLT_MAX rounds to Inf
  const std::uint16_t n = tpp::to_bf16(tpp::float_of(0x7F800001u));  // signalling NaN, low payload
  CHECK(std::isnan(tpp::from_bf16(n)));
  CHECK(std::isnan(tpp::from_bf16(tpp::to_bf16(-std::numeric_limits<float>::quiet_NaN()))));
  for (std::uint32_t h = 0; h < 0x10000; ++h) {  // every bf16 survives a round trip
    const float f = tpp::from_bf16(static_cast<std::uint16_t>(h));
    if (!std::isnan(f)) REQUIRE(tpp::to_bf16(f) == h);
  }
}

TEST_CASE("f16 rounds to nearest even, subnormals included", "[dtype]") {
  CHECK(tpp::to_f16(1.0f) == 0x3C00);
  CHECK(tpp::to_f16(65504.0f) == 0x7BFF);
  CHECK(tpp::to_f16(65520.0f) == 0x7C00);       // rounds up to Inf
  CHECK(tpp::to_f16(65519.99f) == 0x7BFF);
  CHECK(tpp::to_f16(5.9604645e-8f) == 0x0001);  // smallest subnormal
  CHECK(tpp::to_f16(2.9802322e-8f) == 0x0000);  // exactly half of it: ties to even (0)
  CHECK(tpp::to_f16(2.9802326e-8f) == 0x0001);  // just above half
  CHECK(tpp::to_f16(-0.0f) == 0x8000);
  CHECK(std::isnan(tpp::from_f16(tpp::to_f16(std::numeric_limits<float>::quiet_NaN()))));
  for (std::uint32_t h = 0; h < 0x10000; ++h) {  // every f16 survives a round trip
    const float f = tpp::from_f16(static_cast<std::uint16_t>(h));
    if (!std::isnan(f)) REQUIRE(tpp::to_f16(f) == h);
  }
  // Midpoints between neighbouring f16 values round to the even one.
  for (std::uint32_t h = 0; h < 0x7BFF; ++h) {
    const double a = tpp::from_f16(static_cast<std::uint16_t>(h)), b = tpp::from_f16(static_cast<std::uint16_t>(h + 1));
    const float mid = static_cast<float>((a + b) / 2);
    if (static_cast<double>(mid) != (a + b) / 2) continue;  // midpoint not representable in f32
    REQUIRE(tpp::to_f16(mid) == ((h & 1) ? h + 1 : h));
  }
}

#if defined(__F16C__) || defined(__x86_64__)
TEST_CASE("f16 conversion agrees with the JIT's F16C rounding", "[dtype]") {
  if (tpp::detected_isa() < tpp::isa::avx2) return;
  tpp::unary_params p;
  p.rows = 1;
  p.cols = 4096;
  p.out.type = tpp::dtype::f16;
  std::vector<float> in(4096);
  std::vector<std::uint16_t> out(4096);
  for (std::uint32_t base = 0; base < 0x80000000u; base += 4096u * 257u) {
    for (std::uint32_t i = 0; i < 4096; ++i) in[i] = tpp::float_of(base + i * 257u);
    tpp::unary(p)(in.data(), out.data());
    for (std::uint32_t i = 0; i < 4096; ++i) {
      if (std::isnan(in[i])) continue;
      INFO("x = " << in[i]);
      REQUIRE(out[i] == tpp::to_f16(in[i]));
    }
  }
}
#endif
