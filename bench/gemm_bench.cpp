// GEMM and BRGEMM: GFLOP/s of tpp next to the FMA peak measured in the same run and the anchors
// (LIBXSMM 1.17, OpenBLAS, oneDNN sgemm) on the same buffers in the same process.
// Names: gemm/<impl>/<dtype>/<m>x<n>x<k>[xcount]/threads:<t>; bench/report.py makes the tables.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "peak.hpp"
#include "tpp/tpp.hpp"
#if TPP_BENCH_LIBXSMM
#include <libxsmm.h>
#endif
#if TPP_BENCH_OPENBLAS
#include <cblas.h>
#endif
#if TPP_BENCH_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

namespace {

struct gemm_shape {
  int m, n, k, count;
};
std::string shape_name(const gemm_shape& s) {
  std::string r = std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k);
  return s.count > 1 ? r + "x" + std::to_string(s.count) : r;
}

// A (count x m x k), B (count x k x n) and C (m x n), 64-byte aligned, values in [-1, 1]
// rounded to type t. bf16/f16 B is also kept in VNNI pairs.
struct operands {
  operands(const gemm_shape& s, tpp::dtype t) {
    const std::size_t na = static_cast<std::size_t>(s.m) * s.k * s.count;
    const std::size_t nb = static_cast<std::size_t>(s.k) * s.n * s.count;
    const std::size_t es = tpp::size_of(t);
    a = alloc(na * es);
    b = alloc(nb * es);
    c = alloc(static_cast<std::size_t>(s.m) * s.n * 4);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1, 1);
    if (t == tpp::dtype::u8) {  // u8 A, i8 B: any bytes
      for (std::size_t i = 0; i < na; ++i) static_cast<unsigned char*>(a)[i] = static_cast<unsigned char>(rng());
      for (std::size_t i = 0; i < nb; ++i) static_cast<unsigned char*>(b)[i] = static_cast<unsigned char>(rng());
    } else {
      for (std::size_t i = 0; i < na; ++i) tpp::store_from_f32(a, t, static_cast<long>(i), u(rng));
      for (std::size_t i = 0; i < nb; ++i) tpp::store_from_f32(b, t, static_cast<long>(i), u(rng));
    }
    std::memset(c, 0, static_cast<std::size_t>(s.m) * s.n * 4);
  }
  static void* alloc(std::size_t bytes) { return std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64); }
  ~operands() {
    std::free(a);
    std::free(b);
    std::free(c);
  }
  void *a, *b, *c;
};

void set_flops(benchmark::State& st, const gemm_shape& s) {
  const double flops = 2.0 * s.m * s.n * s.k * s.count;
  st.counters["FLOPS"] = benchmark::Counter(flops * static_cast<double>(st.iterations()),
                                            benchmark::Counter::kIsRate);
}

// The multiply loop on `threads` cores at once: at 2 threads both cores are busy, as in the
// GEMM rows it limits (a busy neighbour core lowers this VM's boost clock). Each parallel
// region runs ~0.4 ms, so its fork and join cost well under 1 %.
void peak_bench(benchmark::State& st, bench::peak_kind kind, int threads) {
  const bench::peak_loop loop(kind);
  const long iters = threads > 1 ? 200000 : 20000;
  for (auto _ : st) {
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
      loop.run(iters);
    } else {
      loop.run(iters);
    }
  }
  st.counters["FLOPS"] = benchmark::Counter(
      loop.flops_per_iteration() * iters * threads * static_cast<double>(st.iterations()), benchmark::Counter::kIsRate);
}

// b_layout transposed (f32, bf16, u8 x i8): each B_i is read as n x k and staged by the transform
// TPP (as B normal, or in VNNI groups where the kernel multiplies groups natively)
void tpp_bench(benchmark::State& st, gemm_shape s, tpp::dtype t, tpp::gemm_layout b_layout) {
  operands o(s, t);
  tpp::brgemm_params p;
  p.m = s.m;
  p.n = s.n;
  p.k = s.k;
  p.a.type = p.b.type = t;
  p.b_layout = b_layout;
  if (t == tpp::dtype::u8) {  // u8 x i8 -> i32 with VNNI quads of B (or B transposed, staged as them)
    p.b.type = tpp::dtype::i8;
    p.c.type = tpp::dtype::i32;
    if (b_layout == tpp::gemm_layout::normal) p.b_layout = tpp::gemm_layout::vnni;
  }
  if (s.count > 1) {  // a plain GEMM leaves the strides 0, which tells tpp to tune for count = 1
    p.stride_a = static_cast<std::int64_t>(s.m) * s.k;
    p.stride_b = static_cast<std::int64_t>(s.k) * s.n;
  }
  if (t == tpp::dtype::bf16 && b_layout == tpp::gemm_layout::normal && s.k % 2 == 0 &&
      tpp::active_isa() >= tpp::isa::avx512_bf16)
    p.b_layout = tpp::gemm_layout::vnni;  // the native vdpbf16ps path; same bytes, other order
  const tpp::brgemm_kernel g = tpp::brgemm(p);
  for (auto _ : st) {
    g(o.a, o.b, o.c, s.count);
    benchmark::ClobberMemory();
  }
  set_flops(st, s);
  st.counters["jit"] = g.jitted();
  st.counters["block_m"] = g.block_m();
  st.counters["block_n"] = g.block_n();
  st.counters["tiles"] = g.tiles();
}

#if TPP_BENCH_LIBXSMM
// LIBXSMM is column-major: row-major C = A*B is column-major C' = B' * A' with B first.
void libxsmm_bench(benchmark::State& st, gemm_shape s) {
  operands o(s, tpp::dtype::f32);
  const int flags = LIBXSMM_GEMM_FLAG_NONE, prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
  const float alpha = 1, beta = 0;
  const auto* a = static_cast<const float*>(o.a);
  const auto* b = static_cast<const float*>(o.b);
  auto* c = static_cast<float*>(o.c);
  if (s.count == 1) {
    const libxsmm_smmfunction f =
        libxsmm_smmdispatch(s.n, s.m, s.k, &s.n, &s.k, &s.n, &alpha, &beta, &flags, &prefetch);
    if (!f) return st.SkipWithError("libxsmm_smmdispatch returned NULL");
    for (auto _ : st) {
      f(b, a, c);
      benchmark::ClobberMemory();
    }
  } else {
    const libxsmm_blasint sa = static_cast<libxsmm_blasint>(s.k) * s.n * 4;  // bytes; B' first
    const libxsmm_blasint sb = static_cast<libxsmm_blasint>(s.m) * s.k * 4;
    const libxsmm_smmfunction_reducebatch_strd f = libxsmm_smmdispatch_reducebatch_strd(
        s.n, s.m, s.k, sa, sb, &s.n, &s.k, &s.n, &alpha, &beta, &flags, &prefetch);
    if (!f) return st.SkipWithError("libxsmm_smmdispatch_reducebatch_strd returned NULL");
    const unsigned long long count = static_cast<unsigned long long>(s.count);
    for (auto _ : st) {
      f(b, a, c, &count);
      benchmark::ClobberMemory();
    }
  }
  set_flops(st, s);
}
#endif

#if TPP_BENCH_OPENBLAS
void openblas_bench(benchmark::State& st, gemm_shape s, int threads) {
  operands o(s, tpp::dtype::f32);
  openblas_set_num_threads(threads);
  omp_set_num_threads(threads);
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.0f,
                static_cast<const float*>(o.a), s.k, static_cast<const float*>(o.b), s.n, 0.0f,
                static_cast<float*>(o.c), s.n);
    benchmark::ClobberMemory();
  }
  openblas_set_num_threads(1);
  omp_set_num_threads(1);
  set_flops(st, s);
}
#endif

#if TPP_BENCH_ONEDNN
void onednn_bench(benchmark::State& st, gemm_shape s, int threads) {
  operands o(s, tpp::dtype::f32);
  omp_set_num_threads(threads);
  for (auto _ : st) {
    dnnl_sgemm('N', 'N', s.m, s.n, s.k, 1.0f, static_cast<const float*>(o.a), s.k,
               static_cast<const float*>(o.b), s.n, 0.0f, static_cast<float*>(o.c), s.n);
    benchmark::ClobberMemory();
  }
  omp_set_num_threads(1);
  set_flops(st, s);
}
#endif

// Large GEMM through tpp::gemm (packing + BRGEMM + OpenMP) at `threads` threads; B packed in
// each call, or once ahead of them (tpp::gemm_packed_b: fixed weights, as in inference)
enum class b_packing { per_call, ahead };
void tpp_gemm_bench(benchmark::State& st, gemm_shape s, tpp::dtype t, int threads, b_packing bp) {
  operands o(s, t);
  tpp::gemm_params p;
  p.m = s.m;
  p.n = s.n;
  p.k = s.k;
  p.a.type = p.b.type = t;
  if (t == tpp::dtype::u8) {  // u8 x i8 -> i32 (B packed in VNNI quads)
    p.b.type = tpp::dtype::i8;
    p.c.type = tpp::dtype::i32;
  }
  omp_set_num_threads(threads);
  tpp::gemm_packed_b w;
  tpp::gemm_operands x{o.a, o.b, o.c};
  if (bp == b_packing::ahead) {
    w = tpp::gemm_packed_b(p, o.b);
    x.b = nullptr;
    x.packed_b = &w;
  }
  for (auto _ : st) {
    tpp::gemm(p, x);
    benchmark::ClobberMemory();
  }
  omp_set_num_threads(1);
  set_flops(st, s);
}

const gemm_shape small_shapes[] = {{16, 16, 16, 1}, {32, 32, 32, 1}, {64, 64, 64, 1}, {23, 23, 23, 1},
                                   {64, 64, 256, 1}, {128, 128, 128, 1}, {64, 64, 64, 16}};

// The thread counts of the multi-threaded rows: 1 and 2 (as far as the machine has cores), or
// only TPP_BENCH_THREADS=<t>. scripts/bench.sh runs t = 1 pinned to one core and t = 2 on all,
// so no one-thread row runs while the other core is still busy from a two-thread row.
std::vector<int> thread_counts() {
  const int max_threads = std::min(2, omp_get_num_procs());
  std::vector<int> counts;
  for (int t = 1; t <= max_threads; ++t) counts.push_back(t);
  const char* only = std::getenv("TPP_BENCH_THREADS");
  if (only && *only) {
    const int t = std::atoi(only);
    if (t < 1 || t > max_threads) {
      std::fprintf(stderr, "TPP_BENCH_THREADS=%s: want 1..%d\n", only, max_threads);
      std::exit(2);
    }
    counts.assign(1, t);
  }
  return counts;
}

void register_all() {
  using bench::peak_kind;
  const tpp::isa level = tpp::active_isa();
  const bool vnni = level >= tpp::isa::avx512_bf16;

  const std::vector<int> counts = thread_counts();
  const bool one = std::find(counts.begin(), counts.end(), 1) != counts.end();
  // gemm/peak/<dtype>/<instruction>/threads:<t>, one per thread count the rows below use
  for (int t : counts) {
    const auto peak = [t](const char* what, peak_kind k) {
      const std::string n = std::string("gemm/peak/") + what + "/threads:" + std::to_string(t);
      benchmark::RegisterBenchmark(n.c_str(), peak_bench, k, t)->UseRealTime();
    };
    if (level >= tpp::isa::avx512) peak("f32/fma_zmm", peak_kind::fma_zmm);
    else peak("f32/fma_ymm", peak_kind::fma_ymm);
    if (vnni) {
      peak("bf16/vdpbf16ps", peak_kind::dpbf16);
      peak("int8/vpdpbusd", peak_kind::dpbusd);
    }
    if (level >= tpp::isa::amx) {
      peak("bf16/tdpbf16ps", peak_kind::amx_bf16);
      peak("int8/tdpbusd", peak_kind::amx_int8);
    }
  }
  const tpp::gemm_layout normal = tpp::gemm_layout::normal;
  for (const gemm_shape& s : small_shapes) {
    if (!one) break;
    const std::string n = shape_name(s) + "/threads:1";
    benchmark::RegisterBenchmark(("gemm/tpp/f32/" + n).c_str(), tpp_bench, s, tpp::dtype::f32, normal);
    benchmark::RegisterBenchmark(("gemm/tpp/bf16/" + n).c_str(), tpp_bench, s, tpp::dtype::bf16, normal);
    benchmark::RegisterBenchmark(("gemm/tpp/f16/" + n).c_str(), tpp_bench, s, tpp::dtype::f16, normal);
    benchmark::RegisterBenchmark(("gemm/tpp/f32_bt/" + n).c_str(), tpp_bench, s, tpp::dtype::f32,
                                 tpp::gemm_layout::transposed);
    benchmark::RegisterBenchmark(("gemm/tpp/bf16_bt/" + n).c_str(), tpp_bench, s, tpp::dtype::bf16,
                                 tpp::gemm_layout::transposed);
    if (s.k % 4 == 0) {  // int8: vpdpbusd (zmm, or ymm with AVX-VNNI) / AMX, or widened to vpmaddwd in ymm
      benchmark::RegisterBenchmark(("gemm/tpp/int8/" + n).c_str(), tpp_bench, s, tpp::dtype::u8, normal);
      benchmark::RegisterBenchmark(("gemm/tpp/int8_bt/" + n).c_str(), tpp_bench, s, tpp::dtype::u8,
                                   tpp::gemm_layout::transposed);
    }
#if TPP_BENCH_LIBXSMM
    benchmark::RegisterBenchmark(("gemm/libxsmm/f32/" + n).c_str(), libxsmm_bench, s);
#endif
    if (s.count > 1) continue;  // BLAS has no batch-reduce call
#if TPP_BENCH_OPENBLAS
    benchmark::RegisterBenchmark(("gemm/openblas/f32/" + n).c_str(), openblas_bench, s, 1);
#endif
#if TPP_BENCH_ONEDNN
    benchmark::RegisterBenchmark(("gemm/onednn/f32/" + n).c_str(), onednn_bench, s, 1);
#endif
  }
  for (const gemm_shape& s : {gemm_shape{1024, 1024, 1024, 1}, gemm_shape{4096, 1024, 1024, 1}})
    for (int t : counts) {
      const std::string n = shape_name(s) + "/threads:" + std::to_string(t);
      benchmark::RegisterBenchmark(("gemm/tpp/f32/" + n).c_str(), tpp_gemm_bench, s, tpp::dtype::f32, t,
                                   b_packing::per_call)
          ->UseRealTime();
      // bf16 and f16: natively multiplied (vdpbf16ps, AMX) or widened to f32 once, as the level has it
      for (tpp::dtype h : {tpp::dtype::bf16, tpp::dtype::f16})
        benchmark::RegisterBenchmark(("gemm/tpp/" + std::string(tpp::name(h)) + "/" + n).c_str(), tpp_gemm_bench, s,
                                     h, t, b_packing::per_call)
            ->UseRealTime();
      benchmark::RegisterBenchmark(("gemm/tpp/int8/" + n).c_str(), tpp_gemm_bench, s, tpp::dtype::u8, t,
                                   b_packing::per_call)
          ->UseRealTime();
#if TPP_BENCH_OPENBLAS
      benchmark::RegisterBenchmark(("gemm/openblas/f32/" + n).c_str(), openblas_bench, s, t)->UseRealTime();
#endif
#if TPP_BENCH_ONEDNN
      benchmark::RegisterBenchmark(("gemm/onednn/f32/" + n).c_str(), onednn_bench, s, t)->UseRealTime();
#endif
    }
  // Inference-sized products (a batch of 32 or 64 rows through a layer's weights): B packed in
  // each call, or once ahead ("_packed": tpp::gemm_packed_b)
  for (const gemm_shape& s : {gemm_shape{32, 1024, 1024, 1}, gemm_shape{64, 4096, 1024, 1}})
    for (int t : counts) {
      const std::string n = shape_name(s) + "/threads:" + std::to_string(t);
      for (tpp::dtype h : {tpp::dtype::f32, tpp::dtype::bf16}) {
        const std::string dt = tpp::name(h);
        benchmark::RegisterBenchmark(("gemm/tpp/" + dt + "/" + n).c_str(), tpp_gemm_bench, s, h, t,
                                     b_packing::per_call)
            ->UseRealTime();
        benchmark::RegisterBenchmark(("gemm/tpp/" + dt + "_packed/" + n).c_str(), tpp_gemm_bench, s, h, t,
                                     b_packing::ahead)
            ->UseRealTime();
      }
#if TPP_BENCH_OPENBLAS
      benchmark::RegisterBenchmark(("gemm/openblas/f32/" + n).c_str(), openblas_bench, s, t)->UseRealTime();
#endif
#if TPP_BENCH_ONEDNN
      benchmark::RegisterBenchmark(("gemm/onednn/f32/" + n).c_str(), onednn_bench, s, t)->UseRealTime();
#endif
    }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("tpp_isa", tpp::name(tpp::active_isa()));
  // what the bf16 rows multiply with where the level has vdpbf16ps (tpp::bf16_product)
  if (tpp::is_x86(tpp::active_isa()) && tpp::active_isa() >= tpp::isa::avx512_bf16)
    benchmark::AddCustomContext("tpp_bf16_product", tpp::bf16_dot_at(tpp::active_isa()) ? "dot" : "fma");
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
