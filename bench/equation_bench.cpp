// Equations: LayerNorm and softmax forward over rows (tpp equations vs oneDNN's primitives vs
// memcpy of the same bytes, the limit) and a 4-op element-wise chain as one equation vs the same
// four TPP calls. GB/s counts the rows read and written once (x in, y out). Also the layout
// transforms and the reductions (tpp::reduce vs oneDNN's reduction primitive: GB/s counts the
// operand read and the f32 results written).
// Names: eq/<impl>/<case>/f32/<rows>x<cols>; bench/report.py prints the table and the targets.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "float_arrays.hpp"
#include "gemm_epilogue_bench.hpp"
#include "tpp/tpp.hpp"
#if TPP_BENCH_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace {

struct shape {
  int rows, cols;
};

using arrays = bench::float_arrays;

void set_bytes(benchmark::State& st, const shape& s, int streams) {
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * s.rows * s.cols * 4 * streams);
}

void memcpy_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 2);
  for (auto _ : st) {
    std::memcpy(a.p[1], a.p[0], a.n * 4);
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 2);
}

// LayerNorm: args x, gamma, beta; softmax: x
void tpp_row_bench(benchmark::State& st, shape s, bool layernorm, tpp::store_hint store) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 2);
  arrays gb(static_cast<std::size_t>(s.cols), 2);
  tpp::equation_params p = layernorm ? tpp::layernorm_forward(s.rows, s.cols) : tpp::softmax_forward(s.rows, s.cols);
  p.store = store;
  const tpp::equation_kernel k = tpp::equation(p);
  for (auto _ : st) {
    if (layernorm) k({a.p[0], gb.p[0], gb.p[1]}, a.p[1]);
    else k({a.p[0]}, a.p[1]);
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 2);
  st.counters["jit"] = k.jitted();
  st.counters["unroll"] = k.unroll();
  st.counters["stream"] = k.streams();  // streaming stores (store_hint::automatic chose them)
}

#if TPP_BENCH_ONEDNN
void onednn_row_bench(benchmark::State& st, shape s, bool layernorm) {
  using namespace dnnl;
  static engine eng(engine::kind::cpu, 0);
  static stream strm(eng);
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 2);
  arrays gb(static_cast<std::size_t>(s.cols), 2);
  const memory::desc md({s.rows, s.cols}, memory::data_type::f32, memory::format_tag::ab);
  const memory::desc vd({s.cols}, memory::data_type::f32, memory::format_tag::a);
  memory src(md, eng, a.p[0]), dst(md, eng, a.p[1]), g(vd, eng, gb.p[0]), b(vd, eng, gb.p[1]);
  primitive prim;
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  if (layernorm) {
    const auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
    layer_normalization_forward::desc d(prop_kind::forward_inference, md, 1e-5f, flags);
    prim = layer_normalization_forward(layer_normalization_forward::primitive_desc(d, eng));
    args[DNNL_ARG_SCALE] = g;
    args[DNNL_ARG_SHIFT] = b;
  } else {
    softmax_forward::desc d(prop_kind::forward_inference, md, 1);
    prim = softmax_forward(softmax_forward::primitive_desc(d, eng));
  }
  for (auto _ : st) {
    prim.execute(strm, args);
    strm.wait();
  }
  set_bytes(st, s, 2);
}
#endif

// Layout transforms: 1024 x 1024 transpose (f32, bf16) and VNNI pack (bf16); bytes in + out
// pad_cols: 1 for every op but pad; for pad, each row padded with zeros to a multiple of it (the
// bytes counted are those read and written)
void transform_bench(benchmark::State& st, shape s, tpp::transform_op op, tpp::dtype t, int pad_cols) {
  const long out_cols = (s.cols + pad_cols - 1) / pad_cols * pad_cols;
  arrays a(static_cast<std::size_t>(s.rows) * out_cols, 2);
  tpp::transform_params p;
  p.op = op;
  p.rows = s.rows;
  p.cols = s.cols;
  p.pad_cols = pad_cols;
  p.in.type = p.out.type = t;
  const tpp::transform_kernel k = tpp::transform(p);
  for (auto _ : st) {
    k(a.p[0], a.p[1]);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * s.rows * (s.cols + out_cols) * tpp::size_of(t));
  st.counters["jit"] = k.jitted();
}

// A reduction reads the rows x cols f32 operand and writes `results` f32 values
void set_reduce_bytes(benchmark::State& st, const shape& s, long results) {
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * (static_cast<long>(s.rows) * s.cols + results) * 4);
}

// One reduction of each row (rows x 1 results; sum_and_sum_squares: rows x 2) or of each column
// (1 x cols; 2 x cols) of an f32 operand
void tpp_reduce_bench(benchmark::State& st, shape s, tpp::reduce_kind op, tpp::reduce_dim over) {
  const int per_line = op == tpp::reduce_kind::sum_and_sum_squares ? 2 : 1;
  const long results = static_cast<long>(over == tpp::reduce_dim::each_row ? s.rows : s.cols) * per_line;
  arrays in(static_cast<std::size_t>(s.rows) * s.cols, 1);
  arrays out(static_cast<std::size_t>(results), 1);
  tpp::reduce_params p;
  p.op = op;
  p.over = over;
  p.rows = s.rows;
  p.cols = s.cols;
  const tpp::reduce_kernel k = tpp::reduce(p);
  for (auto _ : st) {
    k(in.p[0], out.p[0]);
    benchmark::ClobberMemory();
  }
  set_reduce_bytes(st, s, results);
  st.counters["jit"] = k.jitted();
}

#if TPP_BENCH_ONEDNN
// oneDNN's reduction primitive: sum or max over the columns (each row) or the rows (each column)
void onednn_reduce_bench(benchmark::State& st, shape s, bool max, tpp::reduce_dim over) {
  using namespace dnnl;
  static engine eng(engine::kind::cpu, 0);
  static stream strm(eng);
  const bool each_row = over == tpp::reduce_dim::each_row;
  const long results = each_row ? s.rows : s.cols;
  arrays in(static_cast<std::size_t>(s.rows) * s.cols, 1);
  arrays out(static_cast<std::size_t>(results), 1);
  const memory::desc sd({s.rows, s.cols}, memory::data_type::f32, memory::format_tag::ab);
  const memory::dims dd_dims = each_row ? memory::dims{s.rows, 1} : memory::dims{1, s.cols};
  const memory::desc dd(dd_dims, memory::data_type::f32, memory::format_tag::ab);
  reduction::desc d(max ? algorithm::reduction_max : algorithm::reduction_sum, sd, dd, 0.0f, 0.0f);
  reduction prim(reduction::primitive_desc(d, eng));
  memory src(sd, eng, in.p[0]), dst(dd, eng, out.p[0]);
  const std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  for (auto _ : st) {
    prim.execute(strm, args);
    strm.wait();
  }
  set_reduce_bytes(st, s, results);
}
#endif

// y = act(x * s + b) + r on full m x n operands, act = relu or gelu_tanh: one equation (4 reads,
// 1 write) ...
void chain_equation_bench(benchmark::State& st, shape s, tpp::unary_op act) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 5);
  tpp::equation_params p;
  p.m = s.rows;
  p.n = s.cols;
  p.inputs = std::vector<tpp::operand>(4, tpp::operand{tpp::dtype::f32});
  p.root = tpp::unary(act, tpp::arg(0) * tpp::arg(1) + tpp::arg(2)) + tpp::arg(3);
  const tpp::equation_kernel k = tpp::equation(p);
  for (auto _ : st) {
    k({a.p[0], a.p[1], a.p[2], a.p[3]}, a.p[4]);
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 5);
  st.counters["stream"] = k.streams();
}

// ... or four TPP calls through a temporary (the same bytes of useful work counted)
void chain_calls_bench(benchmark::State& st, shape s, tpp::unary_op act) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 6);
  const auto bin = [&](tpp::binary_op op) {
    tpp::binary_params q;
    q.op = op;
    q.rows = s.rows;
    q.cols = s.cols;
    return tpp::binary(q);
  };
  tpp::unary_params g;
  g.op = act;
  g.rows = s.rows;
  g.cols = s.cols;
  const auto mul = bin(tpp::binary_op::mul), add = bin(tpp::binary_op::add);
  const auto gelu = tpp::unary(g);
  float* t = a.p[5];
  for (auto _ : st) {
    mul(a.p[0], a.p[1], t);
    add(t, a.p[2], t);
    gelu(t, t);
    add(t, a.p[3], a.p[4]);
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 5);
}

// dx = dy * gelu_tanh'(x + bias) (the backward of bias + GELU): one equation (tpp::bias_gelu_backward,
// reads dy and x, writes dx) ...
void bias_gelu_bwd_equation_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 4);
  const tpp::equation_kernel k = tpp::equation(tpp::bias_gelu_backward(s.rows, s.cols));
  for (auto _ : st) {
    k({a.p[0], a.p[1], a.p[2]}, a.p[3]);
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 3);
}

// ... or two TPP calls: x + bias (row broadcast) into a temporary, then gelu_tanh_inv(dy, it)
void bias_gelu_bwd_calls_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 5);
  tpp::binary_params q;
  q.op = tpp::binary_op::add;
  q.rows = s.rows;
  q.cols = s.cols;
  q.b.bcast = tpp::broadcast::row;
  tpp::unary_params g;
  g.op = tpp::unary_op::gelu_tanh_inv;
  g.rows = s.rows;
  g.cols = s.cols;
  g.fwd.type = tpp::dtype::f32;
  const auto add = tpp::binary(q);
  const auto inv = tpp::unary(g);
  float* t = a.p[4];
  for (auto _ : st) {
    add(a.p[1], a.p[2], t);
    inv(tpp::unary_args{a.p[0], a.p[3], t});
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 3);
}

// The parameter gradients in the same sweep as dx (equation_params::column_sums) against dx's
// equation and the column sums as their own TPP calls: LayerNorm (dgamma = sum dy * xhat over the
// rows, dbeta = sum dy) and bias + GELU (dbias = sum dx). GB/s counts the m x n operands once.
tpp::reduce_kernel column_sum_kernel(shape s) {
  tpp::reduce_params r;
  r.op = tpp::reduce_kind::sum;
  r.over = tpp::reduce_dim::each_column;
  r.rows = s.rows;
  r.cols = s.cols;
  return tpp::reduce(r);
}

// args x, gamma, dy -> dx, {dgamma, dbeta}
void ln_grads_equation_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 3), v(static_cast<std::size_t>(s.cols), 3);
  const tpp::equation_kernel k =
      tpp::equation(tpp::layernorm_backward(s.rows, s.cols, tpp::dtype::f32, 1e-5f, tpp::param_grads::column_sums));
  for (auto _ : st) {
    std::memset(v.p[1], 0, s.cols * 4);
    std::memset(v.p[2], 0, s.cols * 4);
    k({a.p[0], v.p[0], a.p[1]}, a.p[2], {v.p[1], v.p[2]});
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 3);
}

// ... the same from the statistics the forward saved (norm_stats::saved): two passes instead of
// four, and the inputs oneDNN's primitive gets.   args x, gamma, dy, mean, rstd
void ln_grads_saved_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 3), v(static_cast<std::size_t>(s.cols), 3),
      r(static_cast<std::size_t>(s.rows), 2);
  const tpp::equation_kernel k = tpp::equation(tpp::layernorm_backward(
      s.rows, s.cols, tpp::dtype::f32, 1e-5f, tpp::param_grads::column_sums, tpp::norm_stats::saved));
  for (auto _ : st) {
    std::memset(v.p[1], 0, s.cols * 4);
    std::memset(v.p[2], 0, s.cols * 4);
    k({a.p[0], v.p[0], a.p[1], r.p[0], r.p[1]}, a.p[2], {v.p[1], v.p[2]});
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 3);
}

// ... dx's equation, dy * xhat into a temporary by a second equation, two column sums
void ln_grads_calls_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 4), v(static_cast<std::size_t>(s.cols), 3);
  const tpp::equation_kernel dx = tpp::equation(tpp::layernorm_backward(s.rows, s.cols));
  tpp::equation_params q = tpp::layernorm_backward(s.rows, s.cols, tpp::dtype::f32, 1e-5f, tpp::param_grads::column_sums);
  q.root = q.column_sums[0];  // dy * xhat
  q.column_sums.clear();
  const tpp::equation_kernel dy_xhat = tpp::equation(q);
  const tpp::reduce_kernel sum = column_sum_kernel(s);
  for (auto _ : st) {
    dx({a.p[0], v.p[0], a.p[1]}, a.p[2]);
    dy_xhat({a.p[0], v.p[0], a.p[1]}, a.p[3]);
    sum(a.p[3], v.p[1]);
    sum(a.p[1], v.p[2]);
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 3);
}

// args dy, x, bias -> dx, {dbias}
void bias_gelu_grads_equation_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 3), v(static_cast<std::size_t>(s.cols), 2);
  const tpp::equation_kernel k =
      tpp::equation(tpp::bias_gelu_backward(s.rows, s.cols, tpp::dtype::f32, tpp::param_grads::column_sums));
  for (auto _ : st) {
    std::memset(v.p[1], 0, s.cols * 4);
    k({a.p[0], a.p[1], v.p[0]}, a.p[2], {v.p[1]});
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 3);
}

// ... dx's equation, then dx's column sum
void bias_gelu_grads_calls_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 3), v(static_cast<std::size_t>(s.cols), 2);
  const tpp::equation_kernel k = tpp::equation(tpp::bias_gelu_backward(s.rows, s.cols));
  const tpp::reduce_kernel sum = column_sum_kernel(s);
  for (auto _ : st) {
    k({a.p[0], a.p[1], v.p[0]}, a.p[2]);
    sum(a.p[2], v.p[1]);
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 3);
}

// BatchNorm backward (rows = N*H*W, columns = channels): the column sums, then dx; mean and rstd
// (the forward's batch statistics) are inputs.   args x, dy -> dx, {dgamma, dbeta}
void bn_grads_equation_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 3), v(static_cast<std::size_t>(s.cols), 5);
  for (int j = 0; j < s.cols; ++j) v.p[1][j] = 1.0f + 0.1f * v.p[1][j];  // rstd > 0
  const tpp::batchnorm_options plain{false, false};  // as oneDNN's primitive runs: no relu, no residual
  const tpp::equation_kernel sums = tpp::equation(tpp::batchnorm_backward_sums(s.rows, s.cols, tpp::dtype::f32, plain));
  const tpp::equation_kernel dx = tpp::equation(tpp::batchnorm_backward(s.rows, s.cols, tpp::dtype::f32, 0, plain));
  float *mean = v.p[0], *rstd = v.p[1], *gamma = v.p[2], *dgamma = v.p[3], *dbeta = v.p[4];
  for (auto _ : st) {
    std::memset(dgamma, 0, s.cols * 4);
    std::memset(dbeta, 0, s.cols * 4);
    sums({a.p[0], mean, rstd, a.p[1]}, nullptr, {dgamma, dbeta});
    dx({a.p[0], mean, rstd, a.p[1], gamma, dgamma, dbeta}, a.p[2]);
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 3);
}

// BatchNorm forward in training (rows = N*H*W, columns = channels): the batch statistics, then
// y; tpp::batchnorm_training_forward's three sweeps (no relu, no residual, as oneDNN's primitive
// runs).   x -> y, mean, rstd
void bn_training_forward_bench(benchmark::State& st, shape s) {
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 2), v(static_cast<std::size_t>(s.cols), 4);
  tpp::batchnorm_training_params p;
  p.m = s.rows;
  p.n = s.cols;
  p.options = {false, false};
  tpp::batchnorm_training_operands o;
  o.x = a.p[0];
  o.y = a.p[1];
  o.gamma = v.p[0];
  o.beta = v.p[1];
  o.mean = v.p[2];
  o.rstd = v.p[3];
  for (auto _ : st) {
    tpp::batchnorm_training_forward(p, o);
    benchmark::ClobberMemory();
  }
  set_bytes(st, s, 2);
}

#if TPP_BENCH_ONEDNN
// oneDNN's layer- or batch-normalization backward (diff scale and shift too), from the forward's
// mean and variance: reads x and dy, writes dx, dgamma, dbeta
void onednn_norm_backward_bench(benchmark::State& st, shape s, bool layernorm) {
  using namespace dnnl;
  static engine eng(engine::kind::cpu, 0);
  static stream strm(eng);
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 3), v(static_cast<std::size_t>(std::max(s.rows, s.cols)), 6);
  for (std::size_t i = 0; i < v.n; ++i) v.p[1][i] = 1.0f + 0.1f * v.p[1][i];  // variance > 0
  // BatchNorm: N = rows, C = cols, H = W = 1 in nhwc, which oneDNN's jit kernels take (its 2D nc
  // path ran its reference code, 10-30x slower)
  const memory::desc md = layernorm ? memory::desc({s.rows, s.cols}, memory::data_type::f32, memory::format_tag::ab)
                                    : memory::desc({s.rows, s.cols, 1, 1}, memory::data_type::f32, memory::format_tag::nhwc);
  const memory::desc sd({layernorm ? s.rows : s.cols}, memory::data_type::f32, memory::format_tag::a);
  const memory::desc cd({s.cols}, memory::data_type::f32, memory::format_tag::a);
  const auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
  primitive prim;
  if (layernorm) {
    layer_normalization_forward::primitive_desc fwd(
        layer_normalization_forward::desc(prop_kind::forward_training, md, 1e-5f, flags), eng);
    prim = layer_normalization_backward(layer_normalization_backward::primitive_desc(
        layer_normalization_backward::desc(prop_kind::backward, md, md, 1e-5f, flags), eng, fwd));
  } else {
    batch_normalization_forward::primitive_desc fwd(
        batch_normalization_forward::desc(prop_kind::forward_training, md, 1e-5f, flags), eng);
    prim = batch_normalization_backward(batch_normalization_backward::primitive_desc(
        batch_normalization_backward::desc(prop_kind::backward, md, md, 1e-5f, flags), eng, fwd));
  }
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory(md, eng, a.p[0])},       {DNNL_ARG_DIFF_DST, memory(md, eng, a.p[1])},
      {DNNL_ARG_DIFF_SRC, memory(md, eng, a.p[2])},  {DNNL_ARG_MEAN, memory(sd, eng, v.p[0])},
      {DNNL_ARG_VARIANCE, memory(sd, eng, v.p[1])},  {DNNL_ARG_SCALE, memory(cd, eng, v.p[2])},
      {DNNL_ARG_DIFF_SCALE, memory(cd, eng, v.p[3])}, {DNNL_ARG_DIFF_SHIFT, memory(cd, eng, v.p[4])},
      {DNNL_ARG_SHIFT, memory(cd, eng, v.p[5])}};  // unread, but execute asks for it
  for (auto _ : st) {
    prim.execute(strm, args);
    strm.wait();
  }
  set_bytes(st, s, 3);
}
// oneDNN's batch-normalization forward in training (nhwc, its jit path): x -> y, mean, variance
void onednn_bn_training_forward_bench(benchmark::State& st, shape s) {
  using namespace dnnl;
  static engine eng(engine::kind::cpu, 0);
  static stream strm(eng);
  arrays a(static_cast<std::size_t>(s.rows) * s.cols, 2), v(static_cast<std::size_t>(s.cols), 4);
  const memory::desc md({s.rows, s.cols, 1, 1}, memory::data_type::f32, memory::format_tag::nhwc);
  const memory::desc cd({s.cols}, memory::data_type::f32, memory::format_tag::a);
  const auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
  batch_normalization_forward prim(batch_normalization_forward::primitive_desc(
      batch_normalization_forward::desc(prop_kind::forward_training, md, 1e-5f, flags), eng));
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(md, eng, a.p[0])},   {DNNL_ARG_DST, memory(md, eng, a.p[1])},
                                       {DNNL_ARG_SCALE, memory(cd, eng, v.p[0])}, {DNNL_ARG_SHIFT, memory(cd, eng, v.p[1])},
                                       {DNNL_ARG_MEAN, memory(cd, eng, v.p[2])},  {DNNL_ARG_VARIANCE, memory(cd, eng, v.p[3])}};
  for (auto _ : st) {
    prim.execute(strm, args);
    strm.wait();
  }
  set_bytes(st, s, 2);
}
#endif

void register_all() {
  for (shape s : {shape{64, 4096}, shape{1024, 4096}}) {
    const std::string n = "/f32/" + std::to_string(s.rows) + "x" + std::to_string(s.cols);
    benchmark::RegisterBenchmark(("eq/memcpy/copy" + n).c_str(), memcpy_bench, s);
    benchmark::RegisterBenchmark(("eq/tpp/layernorm" + n).c_str(), tpp_row_bench, s, true, tpp::store_hint::automatic);
    benchmark::RegisterBenchmark(("eq/tpp/softmax" + n).c_str(), tpp_row_bench, s, false, tpp::store_hint::automatic);
    if (s.rows == 1024)  // the same LayerNorm through the cache (the row above streams its out)
      benchmark::RegisterBenchmark(("eq/tpp/layernorm_cached" + n).c_str(), tpp_row_bench, s, true,
                                   tpp::store_hint::cached);
#if TPP_BENCH_ONEDNN
    benchmark::RegisterBenchmark(("eq/onednn/layernorm" + n).c_str(), onednn_row_bench, s, true);
    benchmark::RegisterBenchmark(("eq/onednn/softmax" + n).c_str(), onednn_row_bench, s, false);
#endif
  }
  const shape sq{1024, 1024};
  benchmark::RegisterBenchmark("eq/memcpy/copy/f32/1024x1024", memcpy_bench, sq);
  benchmark::RegisterBenchmark("eq/tpp/transpose/f32/1024x1024", transform_bench, sq, tpp::transform_op::transpose,
                               tpp::dtype::f32, 1);
  benchmark::RegisterBenchmark("eq/memcpy/copy/f32/1024x512", memcpy_bench, shape{1024, 512});  // = bf16 1024^2
  benchmark::RegisterBenchmark("eq/tpp/transpose/bf16/1024x1024", transform_bench, sq, tpp::transform_op::transpose,
                               tpp::dtype::bf16, 1);
  benchmark::RegisterBenchmark("eq/tpp/vnni_pack/bf16/1024x1024", transform_bench, sq, tpp::transform_op::vnni_pack,
                               tpp::dtype::bf16, 1);
  benchmark::RegisterBenchmark("eq/tpp/vnni_unpack/bf16/1024x1024", transform_bench, sq, tpp::transform_op::vnni_unpack,
                               tpp::dtype::bf16, 1);
  benchmark::RegisterBenchmark("eq/memcpy/copy/f32/1024x256", memcpy_bench, shape{1024, 256});  // = i8 1024^2
  benchmark::RegisterBenchmark("eq/tpp/transpose/i8/1024x1024", transform_bench, sq, tpp::transform_op::transpose,
                               tpp::dtype::i8, 1);
  benchmark::RegisterBenchmark("eq/tpp/vnni_pack/i8/1024x1024", transform_bench, sq, tpp::transform_op::vnni_pack,
                               tpp::dtype::i8, 1);
  benchmark::RegisterBenchmark("eq/tpp/vnni_unpack/i8/1024x1024", transform_bench, sq, tpp::transform_op::vnni_unpack,
                               tpp::dtype::i8, 1);
  // rows of 1000 padded to 1024 (no memcpy row of these bytes: GB/s only)
  benchmark::RegisterBenchmark("eq/tpp/pad/f32/1024x1000", transform_bench, shape{1024, 1000}, tpp::transform_op::pad,
                               tpp::dtype::f32, 64);
  // reductions of each row and of each column, L3- and DRAM-resident
  for (shape s : {shape{64, 4096}, shape{1024, 4096}}) {
    const std::string n = "/f32/" + std::to_string(s.rows) + "x" + std::to_string(s.cols);
    for (auto over : {tpp::reduce_dim::each_row, tpp::reduce_dim::each_column}) {
      const std::string dim = over == tpp::reduce_dim::each_row ? "reduce_rows_" : "reduce_cols_";
      for (auto op : {tpp::reduce_kind::sum, tpp::reduce_kind::max, tpp::reduce_kind::sum_and_sum_squares}) {
        const std::string c = dim + tpp::name(op);
        benchmark::RegisterBenchmark(("eq/tpp/" + c + n).c_str(), tpp_reduce_bench, s, op, over);
#if TPP_BENCH_ONEDNN
        if (op != tpp::reduce_kind::sum_and_sum_squares)
          benchmark::RegisterBenchmark(("eq/onednn/" + c + n).c_str(), onednn_reduce_bench, s,
                                       op == tpp::reduce_kind::max, over);
#endif
      }
    }
  }
  // L2-resident (5 x 64 KiB) and DRAM-resident (5 x 16 MiB)
  for (shape s : {shape{64, 256}, shape{1024, 4096}}) {
    const std::string n = "/f32/" + std::to_string(s.rows) + "x" + std::to_string(s.cols);
    for (auto act : {tpp::unary_op::relu, tpp::unary_op::gelu_tanh}) {
      const std::string c = std::string("chain_") + tpp::name(act);
      benchmark::RegisterBenchmark(("eq/tpp/" + c + n).c_str(), chain_equation_bench, s, act);
      benchmark::RegisterBenchmark(("eq/calls/" + c + n).c_str(), chain_calls_bench, s, act);
    }
    benchmark::RegisterBenchmark(("eq/tpp/fused_bias_gelu_backward" + n).c_str(), bias_gelu_bwd_equation_bench, s);
    benchmark::RegisterBenchmark(("eq/calls/fused_bias_gelu_backward" + n).c_str(), bias_gelu_bwd_calls_bench, s);
    benchmark::RegisterBenchmark(("eq/tpp/grads_bias_gelu_backward" + n).c_str(), bias_gelu_grads_equation_bench, s);
    benchmark::RegisterBenchmark(("eq/calls/grads_bias_gelu_backward" + n).c_str(), bias_gelu_grads_calls_bench, s);
    benchmark::RegisterBenchmark(("eq/tpp/grads_layernorm_backward" + n).c_str(), ln_grads_equation_bench, s);
    benchmark::RegisterBenchmark(("eq/calls/grads_layernorm_backward" + n).c_str(), ln_grads_calls_bench, s);
    benchmark::RegisterBenchmark(("eq/tpp/grads_layernorm_backward_saved_stats" + n).c_str(), ln_grads_saved_bench, s);
    benchmark::RegisterBenchmark(("eq/tpp/grads_batchnorm_backward" + n).c_str(), bn_grads_equation_bench, s);
    benchmark::RegisterBenchmark(("eq/tpp/batchnorm_training_forward" + n).c_str(), bn_training_forward_bench, s);
#if TPP_BENCH_ONEDNN
    benchmark::RegisterBenchmark(("eq/onednn/grads_layernorm_backward" + n).c_str(), onednn_norm_backward_bench, s, true);
    benchmark::RegisterBenchmark(("eq/onednn/grads_batchnorm_backward" + n).c_str(), onednn_norm_backward_bench, s, false);
    benchmark::RegisterBenchmark(("eq/onednn/batchnorm_training_forward" + n).c_str(), onednn_bn_training_forward_bench,
                                 s);
#endif
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("tpp_isa", tpp::name(tpp::active_isa()));
  register_all();
  bench::register_gemm_epilogue();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
