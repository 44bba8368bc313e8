// Gather, scatter and the embedding bag against loops written here: i32 and i64 indices (repeats
// included), tails, ld larger than needed, bf16 tables, guard pages, every level; checked indices.
#include <cmath>
#include <cstring>
#include <random>

#include "catch.hpp"
#include "support.hpp"

using tpp::dtype;
using tpp::index_op;
using tpp_test::guarded;
using tpp_test::isa_scope;
using tpp_test::levels;

TEST_CASE("gather, scatter and bag_sum match direct loops", "[index]") {
  std::mt19937 rng(71);
  const int table_rows = 37;
  int i = 0;
  for (index_op op : {index_op::gather, index_op::scatter, index_op::bag_sum})
    for (tpp::index_width it : {tpp::index_width::i32, tpp::index_width::i64})
      for (int cols : {1, 7, 8, 9, 17, 33, 100})
        for (int count : {0, 1, 5, 16}) {
          ++i;
          tpp::index_params p;
          p.op = op;
          p.cols = cols;
          p.table_rows = table_rows;
          p.index = it;
          p.table.type = i % 3 ? dtype::f32 : dtype::bf16;
          p.other.type = i % 4 == 1 ? dtype::bf16 : dtype::f32;
          if (i % 5 == 2) {
            p.table.ld = cols + 3;
            p.other.ld = cols + 2;
          }
          const long ldt = p.table.ld ? p.table.ld : cols, ldo = p.other.ld ? p.other.ld : cols;
          const int et = tpp::size_of(p.table.type), eo = tpp::size_of(p.other.type);
          const long other_rows = op == index_op::bag_sum ? 1 : std::max(count, 1);
          std::vector<long long> idx(count);
          for (auto& r : idx) r = static_cast<long long>(rng() % table_rows);  // repeats happen
          for (tpp::isa level : levels()) {
            isa_scope cap(level);
            const bool flush = i % 2;
            guarded table(((table_rows - 1) * ldt + cols) * et, flush), other(((other_rows - 1) * ldo + cols) * eo, flush);
            guarded ix(std::max<std::size_t>(1, count * static_cast<std::size_t>(it)), flush);
            for (int k = 0; k < count; ++k) {
              if (it == tpp::index_width::i32) ix.as<std::int32_t>()[k] = static_cast<std::int32_t>(idx[k]);
              else ix.as<std::int64_t>()[k] = idx[k];
            }
            tpp_test::fill(table.data(), p.table.type, table.bytes(), -1, 1, rng);
            tpp_test::fill(other.data(), p.other.type, other.bytes(), -1, 1, rng);
            std::vector<unsigned char> t0(table.as<unsigned char>(), table.as<unsigned char>() + table.bytes());
            std::vector<unsigned char> o0(other.as<unsigned char>(), other.as<unsigned char>() + other.bytes());
            const tpp::index_kernel k = tpp::index_rows(p);
            const dtype written = op == index_op::scatter ? p.table.type : p.other.type;
            REQUIRE(k.jitted() == (tpp_test::x86_jit(level) || tpp_test::neon_jit_writing(level, written)));
            k(table.data(), ix.data(), count, other.data());
            const auto tv = [&](const void* base, long r, long j) { return tpp::load_as_f32(base, p.table.type, r * ldt + j); };
            const auto ov = [&](const void* base, long r, long j) { return tpp::load_as_f32(base, p.other.type, r * ldo + j); };
            const auto round_to = [](dtype t, float v) { return t == dtype::bf16 ? tpp::from_bf16(tpp::to_bf16(v)) : v; };
            for (int j = 0; j < cols; ++j) {
              if (op == index_op::bag_sum) {
                double s = 0, a = 0;
                for (int q = 0; q < count; ++q) {
                  s += tv(t0.data(), idx[q], j);
                  a += std::fabs(tv(t0.data(), idx[q], j));
                }
                const double tol = (count + 1) * std::ldexp(a, -24) + (p.other.type == dtype::bf16 ? std::ldexp(std::fabs(s), -8) : 0);
                REQUIRE(std::fabs(ov(other.data(), 0, j) - s) <= tol + 1e-30);
              } else if (op == index_op::gather) {
                for (int q = 0; q < count; ++q) REQUIRE(ov(other.data(), q, j) == round_to(p.other.type, tv(t0.data(), idx[q], j)));
              }
            }
            if (op == index_op::scatter)
              for (int r = 0; r < table_rows; ++r) {
                int last = -1;  // the last k naming row r wins
                for (int q = 0; q < count; ++q)
                  if (idx[q] == r) last = q;
                for (int j = 0; j < cols; ++j) {
                  const float want = last < 0 ? tv(t0.data(), r, j) : round_to(p.table.type, ov(o0.data(), last, j));
                  REQUIRE(tv(table.data(), r, j) == want);
                }
              }
          }
        }
}

TEST_CASE("index_rows: checked indices and bad params throw tpp::error", "[index][errors]") {
  tpp::index_params p;
  p.op = index_op::bag_sum;
  p.cols = 8;
  p.table_rows = 4;
  p.check = true;
  std::vector<float> table(32, 1.0f), out(8);
  const std::int32_t good[] = {0, 3, 1}, bad_idx[] = {0, 4, 1}, negative[] = {-1};
  const tpp::index_kernel k = tpp::index_rows(p);
  k(table.data(), good, 3, out.data());
  REQUIRE(out[0] == 3.0f);
  try {
    k(table.data(), bad_idx, 3, out.data());
    FAIL("no error");
  } catch (const tpp::error& e) {
    REQUIRE(std::string(e.what()).find("indices[1] = 4") != std::string::npos);
  }
  REQUIRE_THROWS_AS(k(table.data(), negative, 1, out.data()), tpp::error);
  REQUIRE_THROWS_AS(k(table.data(), good, -1, out.data()), tpp::error);
  REQUIRE_THROWS_AS(k(nullptr, good, 3, out.data()), tpp::error);
  const auto bad = [](tpp::index_params q) { REQUIRE_THROWS_AS(tpp::index_rows(q), tpp::error); };
  tpp::index_params q = p;
  q.index = static_cast<tpp::index_width>(2);
  bad(q);
  q = p;
  q.table_rows = 0;  // check without a range
  bad(q);
  q = p;
  q.table.type = dtype::i32;
  bad(q);
  q = p;
  q.other.ld = 3;
  bad(q);
  q = p;
  q.cols = 0;
  bad(q);
}
