// tpp::gemm with an equation epilogue and its side outputs (gemm_params::equation_column_sums,
// equation_row_outputs) as one call, against the best the calls did without them. m x n x k =
// 1024 x 1024 x 256: the epilogue's operands (4 MiB each) outgrow L2, so a second sweep over C
// costs DRAM or L3 traffic, while the GEMM stays the larger part. 1 thread; time per call.
// Names: eq/<tpp|calls>/gemm_<case>/f32/<m>x<n>x<k>; bench/report.py prints them with the
// other fused cases.
//   gelu_backward_dbias     a Linear layer's dx GEMM in an MLP's backward: dy = A * B, then
//                           dz = dy * gelu_tanh'(z) and dbias = the column sums of dz.
//                           calls: the GEMM with dz's equation, then tpp::reduce's column sum of dz.
//   layernorm_saved_stats   y = LayerNorm(A * B) * gamma + beta, saving each row's mean and rstd
//                           for the backward. calls: plain GEMM into an f32 temporary, then
//                           layernorm_forward(norm_stats::save) over it (tpp::equation_rows).
#include "gemm_epilogue_bench.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "float_arrays.hpp"
#include "tpp/tpp.hpp"

namespace bench {

namespace {

struct mnk {
  int m, n, k;
};

tpp::gemm_params plain_gemm(mnk s) {
  tpp::gemm_params p;
  p.m = s.m;
  p.n = s.n;
  p.k = s.k;
  p.a = p.b = p.c = tpp::operand{tpp::dtype::f32};
  return p;
}

// A (m x k), B (k x n), two m x n, two of n (gamma, beta), two of max(m, n) (side outputs)
struct operands {
  explicit operands(mnk s)
      : a(static_cast<std::size_t>(s.m) * s.k, 1), b(static_cast<std::size_t>(s.k) * s.n, 1),
        mn(static_cast<std::size_t>(s.m) * s.n, 2), v(static_cast<std::size_t>(s.n), 2),
        side(static_cast<std::size_t>(std::max(s.m, s.n)), 2) {}
  float_arrays a, b, mn, v, side;
};

// times `call` (one GEMM with its epilogue, or the calls it replaces); GFLOP/s counts the GEMM
template <class F>
void time_calls(benchmark::State& st, mnk s, F&& call) {
  for (auto _ : st) {
    call();
    benchmark::ClobberMemory();
  }
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * s.m * s.n * s.k * static_cast<double>(st.iterations()) * 1e-9,
                                              benchmark::Counter::kIsRate);
}

// args of the epilogue: arg(0) = A * B, arg(1) = z (m x n)
tpp::gemm_params gelu_backward_gemm(mnk s) {
  tpp::gemm_params p = plain_gemm(s);
  p.equation = tpp::unary_backward(tpp::unary_op::gelu_tanh_inv, tpp::arg(0), tpp::arg(1));
  p.equation_inputs = {{tpp::dtype::f32}};
  return p;
}

void gelu_backward_fused(benchmark::State& st, mnk s) {
  operands o(s);
  tpp::gemm_params p = gelu_backward_gemm(s);
  p.equation_column_sums = {*p.equation};
  tpp::gemm_operands x{o.a.p[0], o.b.p[0], o.mn.p[1]};
  x.equation_inputs = {o.mn.p[0]};
  x.equation_side = {o.side.p[0]};
  time_calls(st, s, [&] {
    std::memset(o.side.p[0], 0, s.n * sizeof(float));
    tpp::gemm(p, x);
  });
}

void gelu_backward_calls(benchmark::State& st, mnk s) {
  operands o(s);
  const tpp::gemm_params p = gelu_backward_gemm(s);
  tpp::gemm_operands x{o.a.p[0], o.b.p[0], o.mn.p[1]};
  x.equation_inputs = {o.mn.p[0]};
  tpp::reduce_params r;
  r.op = tpp::reduce_kind::sum;
  r.over = tpp::reduce_dim::each_column;
  r.rows = s.m;
  r.cols = s.n;
  const tpp::reduce_kernel column_sum = tpp::reduce(r);
  time_calls(st, s, [&] {
    tpp::gemm(p, x);
    column_sum(o.mn.p[1], o.side.p[0]);
  });
}

// args of the LayerNorm: x (= A * B), gamma[n], beta[n]; row outputs mean, rstd
void layernorm_stats_fused(benchmark::State& st, mnk s) {
  operands o(s);
  const tpp::equation_params ln = tpp::layernorm_forward(s.m, s.n, tpp::dtype::f32, 1e-5f, tpp::norm_stats::save);
  tpp::gemm_params p = plain_gemm(s);
  p.equation = ln.root;
  p.equation_inputs = {ln.inputs[1], ln.inputs[2]};
  p.equation_row_outputs = ln.row_outputs;
  tpp::gemm_operands x{o.a.p[0], o.b.p[0], o.mn.p[0]};
  x.equation_inputs = {o.v.p[0], o.v.p[1]};
  x.equation_side = {o.side.p[0], o.side.p[1]};
  time_calls(st, s, [&] { tpp::gemm(p, x); });
}

void layernorm_stats_calls(benchmark::State& st, mnk s) {
  operands o(s);
  const tpp::gemm_params p = plain_gemm(s);
  const tpp::equation_params ln = tpp::layernorm_forward(s.m, s.n, tpp::dtype::f32, 1e-5f, tpp::norm_stats::save);
  time_calls(st, s, [&] {
    tpp::gemm(p, {o.a.p[0], o.b.p[0], o.mn.p[0]});
    tpp::equation_rows(ln, {o.mn.p[0], o.v.p[0], o.v.p[1]}, o.mn.p[1], {o.side.p[0], o.side.p[1]});
  });
}

}  // namespace

void register_gemm_epilogue() {
  const mnk s{1024, 1024, 256};
  const std::string n = "/f32/" + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k);
  benchmark::RegisterBenchmark(("eq/tpp/gemm_gelu_backward_dbias" + n).c_str(), gelu_backward_fused, s);
  benchmark::RegisterBenchmark(("eq/calls/gemm_gelu_backward_dbias" + n).c_str(), gelu_backward_calls, s);
  benchmark::RegisterBenchmark(("eq/tpp/gemm_layernorm_saved_stats" + n).c_str(), layernorm_stats_fused, s);
  benchmark::RegisterBenchmark(("eq/calls/gemm_layernorm_saved_stats" + n).c_str(), layernorm_stats_calls, s);
}

}  // namespace bench
