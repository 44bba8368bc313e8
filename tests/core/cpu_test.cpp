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
  for (int l = 0; l <= static_cast<int>(tpp::isa_top); ++l)
    CHECK(tpp::parse_isa(tpp::name(static_cast<tpp::isa>(l))) == static_cast<tpp::isa>(l));
}
