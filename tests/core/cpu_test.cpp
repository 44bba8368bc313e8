// ISA detection and the cap.
#include <cstring>
#include <string>

#include "catch.hpp"
#include "support.hpp"

TEST_CASE("the cap never raises the level above what the CPU has", "[cpu]") {
  tpp_test::isa_scope cap(tpp::isa_top);
  CHECK(tpp::active_isa() == tpp::detected_isa());
  tpp::set_isa_cap(tpp::isa::ref);
  CHECK(tpp::active_isa() == tpp::isa::ref);
}

TEST_CASE("level names round-trip", "[cpu]") {
  for (tpp::isa l : tpp::all_isas) CHECK(tpp::parse_isa(tpp::name(l)) == l);
  CHECK_THROWS_AS(tpp::parse_isa("sse2"), tpp::error);
}

TEST_CASE("a cap from the other architecture's chain does not apply", "[cpu]") {
  const tpp::isa d = tpp::detected_isa();
  tpp_test::isa_scope cap(tpp::is_x86(d) ? tpp::isa::neon : tpp::isa::avx2);
  CHECK(tpp::active_isa() == d);
  const auto v = tpp::available_isas();
  CHECK(v.front() == tpp::isa::ref);
  CHECK(v.back() == d);
  for (tpp::isa l : v) CHECK((l == tpp::isa::ref || tpp::is_x86(l) == tpp::is_x86(d)));
}

// The cache probe behind store_hint::automatic: a last level of at least 64 KiB (CPUID, sysconf
// or the 32 MiB default), a per-core share no larger than it plus a private level of at most its
// size; hints other than automatic decide alone, automatic by the bytes against that share.
TEST_CASE("cache sizes and the store-hint decision", "[cpu][stream]") {
  const std::size_t llc = tpp::last_level_cache_bytes(), core = tpp::core_cache_bytes();
  CHECK(llc >= (std::size_t{1} << 16));
  CHECK(core > 0);
  CHECK(core <= 2 * llc);
  CHECK(tpp::streams_output(tpp::store_hint::streaming, 0));
  CHECK_FALSE(tpp::streams_output(tpp::store_hint::cached, 1e15));
  CHECK_FALSE(tpp::streams_output(tpp::store_hint::automatic, static_cast<double>(core)));
  CHECK(tpp::streams_output(tpp::store_hint::automatic, static_cast<double>(core) + 1));
}

TEST_CASE("the bf16 product applies where x86 has vdpbf16ps, and automatic follows the vendor", "[cpu]") {
  tpp_test::bf16_product_scope keep(tpp::get_bf16_product());
  const auto has_dot = [](tpp::isa l) { return tpp::is_x86(l) && l >= tpp::isa::avx512_bf16; };
  tpp::set_bf16_product(tpp::bf16_product::dot);
  for (tpp::isa l : tpp::all_isas) CHECK(tpp::bf16_dot_at(l) == has_dot(l));
  tpp::set_bf16_product(tpp::bf16_product::fma);
  for (tpp::isa l : tpp::all_isas) CHECK_FALSE(tpp::bf16_dot_at(l));
  tpp::set_bf16_product(tpp::bf16_product::automatic);
#if TPP_X86_64
  unsigned a = 0, b = 0, c = 0, d = 0;
  REQUIRE(__get_cpuid(0, &a, &b, &c, &d));
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  const bool intel = std::string(vendor) == "GenuineIntel";
  for (tpp::isa l : tpp::all_isas) CHECK(tpp::bf16_dot_at(l) == (has_dot(l) && !intel));
#else
  for (tpp::isa l : tpp::all_isas) CHECK(tpp::bf16_dot_at(l) == has_dot(l));
#endif
}
