// The kernel cache under concurrency (one JIT per descriptor, right results everywhere), the
// W^X rule on the process's mappings, and the cost of a cache hit being a lookup.
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support.hpp"

namespace {

tpp::unary_params params_for(int variant) {
  tpp::unary_params p;
  p.op = tpp::unary_op::negate;
  p.rows = 3;
  p.cols = 1000 + variant;  // a shape no other test uses
  return p;
}

}  // namespace

TEST_CASE("concurrent dispatch compiles each descriptor once and every result is right", "[jit][cache]") {
  constexpr int threads = 8, variants = 16, rounds = 200;
  const std::size_t before = tpp::eltwise_kernels_built();
  std::atomic<int> wrong{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      while (!go.load()) {
      }
      std::vector<float> in(3 * 1100), out(3 * 1100);
      for (int r = 0; r < rounds; ++r) {
        const int v = (r + t) % variants;
        const auto p = params_for(v);
        for (int i = 0; i < p.rows * p.cols; ++i) in[i] = static_cast<float>(i + r);
        tpp::unary(p)(in.data(), out.data());
        for (int i = 0; i < p.rows * p.cols; ++i)
          if (out[i] != -in[i]) wrong.fetch_add(1);
      }
    });
  go = true;
  for (auto& th : pool) th.join();
  CHECK(wrong.load() == 0);
  CHECK(tpp::eltwise_kernels_built() - before == variants);
}

TEST_CASE("no mapping is writable and executable after JIT", "[jit][wx]") {
  auto p = params_for(99);
  float in[3 * 1099] = {}, out[3 * 1099];
  tpp::unary(p)(in, out);
  REQUIRE(tpp::eltwise_kernels_built() > 0);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int checked = 0;
  while (std::getline(maps, line)) {
    std::istringstream ls(line);
    std::string range, perms;
    ls >> range >> perms;
    ++checked;
    INFO(line);
    CHECK_FALSE((perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x'));
  }
  CHECK(checked > 0);
}

TEST_CASE("the ISA cap selects the level kernels are built for", "[jit][isa]") {
  for (tpp::isa level : tpp_test::levels()) {
    tpp_test::isa_scope cap(level);
    CHECK(tpp::active_isa() == level);
    const auto k = tpp::unary(params_for(7));
    CHECK(k.level() == level);
    CHECK(k.jitted() == (tpp_test::x86_jit(level) || tpp::jit::a64::eltwise_supports(tpp::detail::lower(params_for(7), level))));
  }
}
