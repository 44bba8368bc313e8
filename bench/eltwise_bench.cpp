// Element-wise TPPs: GB/s of every unary and binary op on L1-, L2- and DRAM-resident shapes,
// next to memcpy of the same size (the limit) and oneDNN's primitive for the same op, all in
// one process and one run. Also the JIT time of one kernel and the cost of a cache-hit dispatch.
// Names: eltwise/<impl>/<op>/<dtypes>/<rows>x<cols>; bench/report.py turns the JSON into tables.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#if TPP_BENCH_ONEDNN
#include "onednn_anchor.hpp"
#endif
#include "tpp/tpp.hpp"

namespace {

struct shape {
  int rows, cols;
};
const shape shapes[] = {{64, 64}, {256, 256}, {1024, 4096}};  // 16 KiB, 256 KiB, 16 MiB per f32 operand

// Three operands of n elements of type t, 64-byte aligned, filled once with values of that
// type. Their starts differ by 1 KiB + 64 B mod 4 KiB, so loads and stores at equal offsets do
// not alias in the L1 (4K aliasing would slow every streaming kernel, tpp, oneDNN and memcpy).
struct buffers {
  buffers(std::size_t n, tpp::dtype t) : n(n), t(t) {
    const std::size_t bytes = n * tpp::size_of(t);
    for (int k = 0; k < 3; ++k) {
      raw[k] = static_cast<char*>(std::aligned_alloc(4096, (bytes + 4096 * 2) / 4096 * 4096));
      ptr[k] = raw[k] + k * (1024 + 64);
    }
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-4, 4), pos(0.01f, 1);
    for (std::size_t i = 0; i < n; ++i) {
      tpp::store_from_f32(ptr[0], t, static_cast<long>(i), u(rng));
      tpp::store_from_f32(ptr[1], t, static_cast<long>(i), pos(rng));  // y of tanh/sigmoid, divisors
      tpp::store_from_f32(ptr[2], t, static_cast<long>(i), 0.0f);
    }
    a = reinterpret_cast<float*>(ptr[0]);
    b = reinterpret_cast<float*>(ptr[1]);
    c = reinterpret_cast<float*>(ptr[2]);
  }
  ~buffers() {
    for (char* r : raw) std::free(r);
  }
  std::size_t n;
  tpp::dtype t;
  char* raw[3];
  char* ptr[3];
  float *a, *b, *c;  // typed as f32 for the f32 benches; raw bytes of type t otherwise
};

buffers& buffers_for(std::size_t n, tpp::dtype t = tpp::dtype::f32) {
  static std::vector<std::unique_ptr<buffers>> pool;
  for (auto& p : pool)
    if (p->n == n && p->t == t) return *p;
  pool.push_back(std::make_unique<buffers>(n, t));
  return *pool.back();
}

std::string size_name(shape s) { return std::to_string(s.rows) + "x" + std::to_string(s.cols); }

void memcpy_bench(benchmark::State& st, shape s) {
  auto& buf = buffers_for(static_cast<std::size_t>(s.rows) * s.cols);
  const std::size_t bytes = buf.n * 4;
  for (auto _ : st) {
    std::memcpy(buf.c, buf.a, bytes);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * 2 * bytes));
}

void unary_bench(benchmark::State& st, tpp::unary_op op, tpp::dtype t, shape s, tpp::store_hint store) {
  auto& buf = buffers_for(static_cast<std::size_t>(s.rows) * s.cols, t);
  tpp::unary_params p;
  p.op = op;
  p.rows = s.rows;
  p.cols = s.cols;
  p.in.type = p.out.type = t;
  if (tpp::is_backward(op)) p.fwd.type = t;
  p.store = store;
  const auto k = tpp::unary(p);
  const tpp::unary_args args{buf.a, buf.c, buf.b, nullptr};
  for (auto _ : st) {
    k(args);
    benchmark::ClobberMemory();
  }
  const int streams = (tpp::reads_input(op) ? 1 : 0) + 1 + (tpp::is_backward(op) ? 1 : 0);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * streams * buf.n * tpp::size_of(t)));
}

void binary_bench(benchmark::State& st, tpp::binary_op op, tpp::dtype t, shape s, tpp::store_hint store) {
  auto& buf = buffers_for(static_cast<std::size_t>(s.rows) * s.cols, t);
  tpp::binary_params p;
  p.op = op;
  p.rows = s.rows;
  p.cols = s.cols;
  p.a.type = p.b.type = p.out.type = t;
  if (tpp::is_compare(op)) p.out.type = tpp::dtype::bit;
  p.store = store;
  const auto k = tpp::binary(p);
  for (auto _ : st) {
    k(buf.a, buf.b, buf.c);
    benchmark::ClobberMemory();
  }
  const double out_bytes = tpp::is_compare(op) ? buf.n / 8.0 : buf.n * tpp::size_of(t);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * (2.0 * buf.n * tpp::size_of(t) + out_bytes)));
}

#if TPP_BENCH_ONEDNN
void onednn_unary_bench(benchmark::State& st, tpp::unary_op op, shape s) {
  auto& buf = buffers_for(static_cast<std::size_t>(s.rows) * s.cols);
  auto c = bench::make_onednn_unary(*bench::onednn_eltwise(op), s.rows, s.cols, buf.a, buf.b, buf.c);
  for (auto _ : st) bench::run(c);
  const int streams = 2 + (tpp::is_backward(op) ? 1 : 0);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * streams * buf.n * 4));
}

void onednn_binary_bench(benchmark::State& st, tpp::binary_op op, shape s) {
  auto& buf = buffers_for(static_cast<std::size_t>(s.rows) * s.cols);
  auto c = bench::make_onednn_binary(*bench::onednn_binary(op), s.rows, s.cols, buf.a, buf.b, buf.c);
  for (auto _ : st) bench::run(c);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * 3 * buf.n * 4));
}

#endif

// A new descriptor every iteration: each iteration is one JIT (validation, generation, mmap,
// mprotect, cache insert).
void jit_bench(benchmark::State& st, tpp::unary_op op) {
  static int next_cols = 100000;
  tpp::unary_params p;
  p.op = op;
  p.rows = 64;
  // 64 x 100000+ moves > 16 MiB, where automatic would stream and so emit the row loop twice
  // (about 2x the JIT time; once per shape, against calls of milliseconds): time the usual kernel
  p.store = tpp::store_hint::cached;
  for (auto _ : st) {
    p.cols = next_cols++;
    benchmark::DoNotOptimize(tpp::unary(p));
  }
}

// The same descriptor every iteration: validation + hash + thread-local cache hit.
void dispatch_bench(benchmark::State& st) {
  tpp::unary_params p;
  p.op = tpp::unary_op::relu;
  p.rows = 64;
  p.cols = 64;
  tpp::unary(p);
  for (auto _ : st) benchmark::DoNotOptimize(tpp::unary(p));
}

void register_all() {
  using tpp::dtype;
  const tpp::store_hint auto_store = tpp::store_hint::automatic;
  for (shape s : shapes) {
    const std::string sz = size_name(s);
    benchmark::RegisterBenchmark(("eltwise/memcpy/copy/f32/" + sz).c_str(), memcpy_bench, s);
    for (int o = 0; o < tpp::unary_op_count; ++o) {
      const auto op = static_cast<tpp::unary_op>(o);
      benchmark::RegisterBenchmark(("eltwise/tpp/" + std::string(tpp::name(op)) + "/f32/" + sz).c_str(), unary_bench,
                                   op, dtype::f32, s, auto_store);
#if TPP_BENCH_ONEDNN
      if (bench::onednn_eltwise(op))
        benchmark::RegisterBenchmark(("eltwise/onednn/" + std::string(tpp::name(op)) + "/f32/" + sz).c_str(),
                                     onednn_unary_bench, op, s);
#endif
    }
    for (int o = 0; o < tpp::binary_op_count; ++o) {
      const auto op = static_cast<tpp::binary_op>(o);
      benchmark::RegisterBenchmark(("eltwise/tpp/" + std::string(tpp::name(op)) + "/f32/" + sz).c_str(), binary_bench,
                                   op, dtype::f32, s, auto_store);
#if TPP_BENCH_ONEDNN
      if (bench::onednn_binary(op))
        benchmark::RegisterBenchmark(("eltwise/onednn/" + std::string(tpp::name(op)) + "/f32/" + sz).c_str(),
                                     onednn_binary_bench, op, s);
#endif
    }
    for (auto op : {tpp::unary_op::copy, tpp::unary_op::relu, tpp::unary_op::gelu_tanh})
      benchmark::RegisterBenchmark(("eltwise/tpp/" + std::string(tpp::name(op)) + "/bf16/" + sz).c_str(), unary_bench,
                                   op, dtype::bf16, s, auto_store);
    benchmark::RegisterBenchmark(("eltwise/tpp/add/bf16/" + sz).c_str(), binary_bench, tpp::binary_op::add,
                                 dtype::bf16, s, auto_store);
  }
  // The DRAM-sized rows above stream their f32 outputs (store_hint::automatic); these run the
  // same calls through the cache, for the ratio in the same run
  const shape big = shapes[2];
  for (auto op : {tpp::unary_op::copy, tpp::unary_op::relu})
    benchmark::RegisterBenchmark(("eltwise/tpp/" + std::string(tpp::name(op)) + "_cached/f32/" + size_name(big)).c_str(),
                                 unary_bench, op, dtype::f32, big, tpp::store_hint::cached);
  benchmark::RegisterBenchmark(("eltwise/tpp/add_cached/f32/" + size_name(big)).c_str(), binary_bench,
                               tpp::binary_op::add, dtype::f32, big, tpp::store_hint::cached);
  benchmark::RegisterBenchmark("jit/tpp/relu/compile", jit_bench, tpp::unary_op::relu)->Iterations(300);
  benchmark::RegisterBenchmark("jit/tpp/gelu_tanh/compile", jit_bench, tpp::unary_op::gelu_tanh)->Iterations(300);
  benchmark::RegisterBenchmark("jit/tpp/dispatch/cache_hit", dispatch_bench);
}

}  // namespace

int main(int argc, char** argv) {
  omp_set_num_threads(1);  // one thread for oneDNN too: these are single-core kernels
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("tpp_isa", tpp::name(tpp::active_isa()));
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
