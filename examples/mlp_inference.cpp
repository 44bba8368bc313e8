// Inference through a two-layer MLP whose weights are packed once (tpp::gemm_packed_b) and then
// serve batches of any size, with each layer's epilogue fused into its GEMM as an equation;
// checked against a plain double-precision evaluation of the same formulas.
//
//   h = gelu(x W1 + b1)                         gemm on packed W1, equation epilogue (per block)
//   y = layernorm(h W2 + b2) * gamma + beta     gemm on packed W2, equation epilogue (whole rows)
//
//   x [batch x d0], W1 [d0 x d1], h [batch x d1], W2 [d1 x d2], y [batch x d2]
#include <tpp/tpp.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

using matrix = std::vector<float>;
constexpr int d0 = 96, d1 = 256, d2 = 80;

// The parameters of one layer's GEMM (m is set per batch) with its equation epilogue
tpp::gemm_params layer(int n, int k, const tpp::expr& epilogue, std::vector<tpp::operand> inputs) {
  tpp::gemm_params p;
  p.n = n;
  p.k = k;
  p.equation = epilogue;
  p.equation_inputs = std::move(inputs);
  return p;
}

double gelu(double z) { return 0.5 * z * (1 + std::tanh(0.7978845608028654 * (z + 0.044715 * z * z * z))); }

}  // namespace

int main() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  const auto random = [&](std::size_t size, float scale) {
    matrix v(size);
    for (float& e : v) e = u(rng) * scale;
    return v;
  };
  const matrix w1 = random(d0 * d1, 0.1f), b1 = random(d1, 0.1f);
  const matrix w2 = random(d1 * d2, 0.1f), b2 = random(d2, 0.1f), gamma = random(d2, 1), beta = random(d2, 1);

  const tpp::operand row{tpp::dtype::f32, 0, tpp::broadcast::row};  // an n-vector, one value per column
  const tpp::expr z = tpp::arg(0) + tpp::arg(1);                    // the GEMM result + bias
  const tpp::expr dz = z - tpp::row_mean(z);
  tpp::gemm_params p1 = layer(d1, d0, tpp::gelu_tanh(z), {row});
  tpp::gemm_params p2 =
      layer(d2, d1, dz * tpp::rsqrt(tpp::row_mean(dz * dz) + 1e-5f) * tpp::arg(2) + tpp::arg(3), {row, row, row});
  p1.m = p2.m = 1;  // the packing does not depend on m
  const tpp::gemm_packed_b packed_w1(p1, w1.data()), packed_w2(p2, w2.data());

  double worst = 0;
  for (int batch : {1, 7, 32, 100}) {
    const matrix x = random(static_cast<std::size_t>(batch) * d0, 1);
    matrix h(static_cast<std::size_t>(batch) * d1), y(static_cast<std::size_t>(batch) * d2);
    p1.m = p2.m = batch;
    tpp::gemm_operands l1{x.data(), nullptr, h.data()}, l2{h.data(), nullptr, y.data()};
    l1.packed_b = &packed_w1;
    l1.equation_inputs = {b1.data()};
    l2.packed_b = &packed_w2;
    l2.equation_inputs = {b2.data(), gamma.data(), beta.data()};
    tpp::gemm(p1, l1);
    tpp::gemm(p2, l2);

    // the same formulas in double
    for (int r = 0; r < batch; ++r) {
      std::vector<double> hr(d1), zr(d2);
      for (int j = 0; j < d1; ++j) {
        double s = b1[j];
        for (int i = 0; i < d0; ++i) s += double(x[r * d0 + i]) * w1[i * d1 + j];
        hr[j] = gelu(s);
      }
      double mean = 0, var = 0;
      for (int j = 0; j < d2; ++j) {
        double s = b2[j];
        for (int i = 0; i < d1; ++i) s += hr[i] * w2[i * d2 + j];
        zr[j] = s;
        mean += s / d2;
      }
      for (int j = 0; j < d2; ++j) var += (zr[j] - mean) * (zr[j] - mean) / d2;
      for (int j = 0; j < d2; ++j) {
        const double want = (zr[j] - mean) / std::sqrt(var + 1e-5) * gamma[j] + beta[j];
        worst = std::max(worst, std::fabs(y[r * d2 + j] - want) / (1 + std::fabs(want)));
      }
    }
  }
  // A worst-case bound, not the typical error (~1e-6): f32 sums of k = 256 products err by up to
  // gamma_k u = 1.5e-5 of the sum of their magnitudes, a few times z's spread here, and LayerNorm
  // divides by that spread (the first layer's error, GELU's 10 ulp and rsqrt's 2^-22 add less)
  const double tolerance = 1e-4;
  std::printf("MLP inference, packed weights, batches 1, 7, 32, 100: worst error %.2e (tolerance %.0e)\n", worst,
              tolerance);
  return worst <= tolerance ? 0 : 1;
}
