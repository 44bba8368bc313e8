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
