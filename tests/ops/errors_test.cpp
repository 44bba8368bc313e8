// Bad input throws tpp::error whose message names the field and the value.
#include <string>

#include "catch.hpp"
#include "support.hpp"

using tpp::dtype;
using tpp::unary_op;

using tpp_test::has;
using tpp_test::message_of;

namespace {

tpp::unary_params ok_unary() {
  tpp::unary_params p;
  p.op = unary_op::relu;
  p.rows = 4;
  p.cols = 10;
  return p;
}

}  // namespace

TEST_CASE("bad shapes and leading dimensions are rejected", "[errors]") {
  auto p = ok_unary();
  p.rows = 0;
  CHECK(has(message_of([&] { tpp::unary(p); }), "rows = 0"));
  p = ok_unary();
  p.cols = -3;
  CHECK(has(message_of([&] { tpp::unary(p); }), "cols = -3"));
  p = ok_unary();
  p.in.ld = 7;
  CHECK(has(message_of([&] { tpp::unary(p); }), "in.ld = 7 is less than cols = 10"));
  p = ok_unary();
  p.out.ld = -1;
  CHECK(has(message_of([&] { tpp::unary(p); }), "out.ld = -1"));
  p = ok_unary();
  p.mask = {dtype::bit, 12};
  CHECK(has(message_of([&] { tpp::unary(p); }), "mask.ld = 12 is not a multiple of 8"));
  tpp::binary_params b;
  b.rows = 2;
  b.cols = 5;
  b.b.ld = 4;
  CHECK(has(message_of([&] { tpp::binary(b); }), "b.ld = 4 is less than cols = 5"));
}

TEST_CASE("unsupported dtypes and flag combinations are rejected", "[errors]") {
  auto p = ok_unary();
  p.store = static_cast<tpp::store_hint>(7);
  CHECK(has(message_of([&] { tpp::unary(p); }), "tpp::unary(relu): store = 7 is not a store_hint"));
  // past the key's two store bits, next to a cached kernel whose alpha's low bit it would alias
  p = ok_unary();
  p.op = unary_op::leaky_relu;
  p.alpha = 0x1.000002p-3f;  // mantissa ends in 1
  tpp::unary(p);
  p.alpha = 0.125f;
  p.store = static_cast<tpp::store_hint>(128);
  CHECK(has(message_of([&] { tpp::unary(p); }), "store = 128 is not a store_hint"));
  p = ok_unary();
  tpp::binary_params bp;
  bp.rows = bp.cols = 4;
  bp.store = static_cast<tpp::store_hint>(3);
  CHECK(has(message_of([&] { tpp::binary(bp); }), "store = 3 is not a store_hint"));
  tpp::equation_params e = tpp::layernorm_forward(2, 8);
  e.store = static_cast<tpp::store_hint>(9);
  CHECK(has(message_of([&] { tpp::equation(e); }), "tpp::equation(tree): store = 9 is not a store_hint"));
  p = ok_unary();
  p.in.type = dtype::i32;
  CHECK(has(message_of([&] { tpp::unary(p); }), "in.type = i32"));
  p = ok_unary();
  p.out.bcast = tpp::broadcast::row;
  CHECK(has(message_of([&] { tpp::unary(p); }), "out.bcast = row"));
  p = ok_unary();
  p.op = unary_op::gelu_tanh_inv;
  CHECK(has(message_of([&] { tpp::unary(p); }), "fwd.type = none"));
  p = ok_unary();
  p.op = unary_op::exp;
  p.fwd.type = dtype::f32;
  CHECK(has(message_of([&] { tpp::unary(p); }), "only backward ops read fwd"));
  p = ok_unary();
  p.op = unary_op::tanh;
  p.mask.type = dtype::bit;
  CHECK(has(message_of([&] { tpp::unary(p); }), "only relu writes a mask"));
  p = ok_unary();
  p.alpha = 0.5f;
  CHECK(has(message_of([&] { tpp::unary(p); }), "takes no alpha"));
  p = ok_unary();
  p.op = unary_op::elu;
  p.alpha = std::numeric_limits<float>::infinity();
  CHECK(has(message_of([&] { tpp::unary(p); }), "alpha = inf"));
  p = ok_unary();
  p.op = static_cast<unary_op>(200);
  CHECK(has(message_of([&] { tpp::unary(p); }), "op = 200"));
  tpp::binary_params b;
  b.rows = b.cols = 3;
  b.op = tpp::binary_op::cmp_lt;
  CHECK(has(message_of([&] { tpp::binary(b); }), "out.type = f32, but a compare writes a bitmask"));
  b.op = tpp::binary_op::add;
  b.out.type = dtype::bit;
  CHECK(has(message_of([&] { tpp::binary(b); }), "out.type = bit"));
  b.out.type = dtype::f32;
  b.a.type = dtype::none;
  CHECK(has(message_of([&] { tpp::binary(b); }), "a.type = none"));
}

TEST_CASE("null operand pointers are rejected at the call", "[errors]") {
  float x[40] = {}, y[40] = {};
  const auto k = tpp::unary(ok_unary());
  CHECK(has(message_of([&] { k(nullptr, y); }), "in is null"));
  CHECK(has(message_of([&] { k(x, nullptr); }), "out is null"));
  auto p = ok_unary();
  p.mask.type = dtype::bit;
  const auto km = tpp::unary(p);
  CHECK(has(message_of([&] { km(x, y); }), "mask is null"));
  tpp::binary_params b;
  b.rows = 4;
  b.cols = 10;
  const auto kb = tpp::binary(b);
  CHECK(has(message_of([&] { kb(x, nullptr, y); }), "b is null"));
}

TEST_CASE("a bad TPP_ISA value names the accepted levels", "[errors]") {
  CHECK(has(message_of([] { tpp::parse_isa("sse9"); }), "TPP_ISA = \"sse9\""));
  CHECK(tpp::parse_isa("avx2") == tpp::isa::avx2);
}
