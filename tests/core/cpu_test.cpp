// ISA detection and the cap.
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
