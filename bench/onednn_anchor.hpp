// oneDNN (2.x API) eltwise and binary primitives, run on the same buffers as tpp in the same
// process, for the ops it has.
#pragma once

#include <memory>
#include <optional>

#include <oneapi/dnnl/dnnl.hpp>

#include "tpp/tpp.hpp"

namespace bench {

struct onednn_case {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;
};

inline dnnl::engine& onednn_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
inline dnnl::stream& onednn_stream() {
  static dnnl::stream s(onednn_engine());
  return s;
}

// tpp unary op -> oneDNN algorithm, alpha, beta and whether it is a backward primitive.
struct eltwise_map {
  dnnl::algorithm alg;
  float alpha = 0, beta = 0;
  bool backward = false;
};

inline std::optional<eltwise_map> onednn_eltwise(tpp::unary_op op) {
  using a = dnnl::algorithm;
  switch (op) {
    case tpp::unary_op::copy: return eltwise_map{a::eltwise_linear, 1, 0};
    case tpp::unary_op::abs: return eltwise_map{a::eltwise_abs};
    case tpp::unary_op::square: return eltwise_map{a::eltwise_square};
    case tpp::unary_op::sqrt: return eltwise_map{a::eltwise_sqrt};
    case tpp::unary_op::exp: return eltwise_map{a::eltwise_exp};
    case tpp::unary_op::tanh: return eltwise_map{a::eltwise_tanh};
    case tpp::unary_op::sigmoid: return eltwise_map{a::eltwise_logistic};
    case tpp::unary_op::gelu_tanh: return eltwise_map{a::eltwise_gelu_tanh};
    case tpp::unary_op::gelu_erf: return eltwise_map{a::eltwise_gelu_erf};
    case tpp::unary_op::relu: return eltwise_map{a::eltwise_relu, 0};
    case tpp::unary_op::leaky_relu: return eltwise_map{a::eltwise_relu, 0.01f};
    case tpp::unary_op::elu: return eltwise_map{a::eltwise_elu, 1};
    case tpp::unary_op::relu_inv: return eltwise_map{a::eltwise_relu, 0, 0, true};
    case tpp::unary_op::leaky_relu_inv: return eltwise_map{a::eltwise_relu, 0.01f, 0, true};
    case tpp::unary_op::elu_inv: return eltwise_map{a::eltwise_elu, 1, 0, true};
    case tpp::unary_op::gelu_tanh_inv: return eltwise_map{a::eltwise_gelu_tanh, 0, 0, true};
    case tpp::unary_op::gelu_erf_inv: return eltwise_map{a::eltwise_gelu_erf, 0, 0, true};
    case tpp::unary_op::tanh_inv: return eltwise_map{a::eltwise_tanh_use_dst_for_bwd, 0, 0, true};
    case tpp::unary_op::sigmoid_inv: return eltwise_map{a::eltwise_logistic_use_dst_for_bwd, 0, 0, true};
    default: return std::nullopt;
  }
}

inline std::optional<dnnl::algorithm> onednn_binary(tpp::binary_op op) {
  using a = dnnl::algorithm;
  switch (op) {
    case tpp::binary_op::add: return a::binary_add;
    case tpp::binary_op::sub: return a::binary_sub;
    case tpp::binary_op::mul: return a::binary_mul;
    case tpp::binary_op::div: return a::binary_div;
    case tpp::binary_op::max: return a::binary_max;
    case tpp::binary_op::min: return a::binary_min;
    default: return std::nullopt;  // compares write u8 there, a bitmask here: not the same op
  }
}

// in, fwd, out are rows x cols f32 (packed).
inline onednn_case make_onednn_unary(const eltwise_map& m, int rows, int cols, float* in, float* fwd, float* out) {
  using namespace dnnl;
  auto& eng = onednn_engine();
  const memory::desc md({rows, cols}, memory::data_type::f32, memory::format_tag::ab);
  onednn_case c;
  const auto fwd_kind = m.backward ? prop_kind::forward_training : prop_kind::forward_inference;
  eltwise_forward::primitive_desc fpd(eltwise_forward::desc(fwd_kind, m.alg, md, m.alpha, m.beta), eng);
  if (!m.backward) {
    c.prim = eltwise_forward(fpd);
    c.args = {{DNNL_ARG_SRC, memory(md, eng, in)}, {DNNL_ARG_DST, memory(md, eng, out)}};
    return c;
  }
  eltwise_backward::primitive_desc bpd(eltwise_backward::desc(m.alg, md, md, m.alpha, m.beta), eng, fpd);
  c.prim = eltwise_backward(bpd);
  const bool use_dst = m.alg == algorithm::eltwise_tanh_use_dst_for_bwd ||
                       m.alg == algorithm::eltwise_logistic_use_dst_for_bwd;
  c.args = {{DNNL_ARG_DIFF_DST, memory(md, eng, in)},
            {use_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, memory(md, eng, fwd)},
            {DNNL_ARG_DIFF_SRC, memory(md, eng, out)}};
  return c;
}

inline onednn_case make_onednn_binary(dnnl::algorithm alg, int rows, int cols, float* a, float* b, float* out) {
  using namespace dnnl;
  auto& eng = onednn_engine();
  const memory::desc md({rows, cols}, memory::data_type::f32, memory::format_tag::ab);
  binary::primitive_desc pd(binary::desc(alg, md, md, md), eng);
  onednn_case c;
  c.prim = binary(pd);
  c.args = {{DNNL_ARG_SRC_0, memory(md, eng, a)}, {DNNL_ARG_SRC_1, memory(md, eng, b)}, {DNNL_ARG_DST, memory(md, eng, out)}};
  return c;
}

inline void run(onednn_case& c) {
  c.prim.execute(onednn_stream(), c.args);
  onednn_stream().wait();
}

}  // namespace bench
