// Hello TPP: dispatch a kernel once, call it many times.
//   out[4 x 10] = gelu_tanh(in), f32 in, bf16 out; then the residual add out2 = in + in.
#include <tpp/tpp.hpp>

#include <cstdio>
#include <vector>

int main() {
  const int rows = 4, cols = 10;
  std::vector<float> in(rows * cols);
  for (int i = 0; i < rows * cols; ++i) in[i] = (i - 20) * 0.25f;

  tpp::unary_params p;
  p.op = tpp::unary_op::gelu_tanh;
  p.rows = rows;
  p.cols = cols;
  p.out.type = tpp::dtype::bf16;
  const tpp::unary_kernel gelu = tpp::unary(p);  // JIT on first use, cached afterwards

  std::vector<std::uint16_t> out(rows * cols);
  gelu(in.data(), out.data());

  tpp::binary_params b;
  b.op = tpp::binary_op::add;
  b.rows = rows;
  b.cols = cols;
  std::vector<float> sum(rows * cols);
  tpp::binary(b)(in.data(), in.data(), sum.data());

  std::printf("ISA: %s\n", tpp::name(tpp::active_isa()));
  for (int j = 0; j < cols; ++j) std::printf("gelu(%5.2f) = %8.5f\n", in[j], tpp::from_bf16(out[j]));
  for (int i = 0; i < rows * cols; ++i)
    if (sum[i] != 2 * in[i]) return 1;
  return 0;
}
