// One training step of a two-layer MLP from tpp::gemm, its epilogues and one reduction, checked
// against a plain double-precision evaluation of the same formulas.
//
//   forward:  z1 = x W1 + b1      gemm, bias epilogue               x  [batch x d0], W1 [d0 x d1]
//             h1 = gelu(z1)       unary TPP
//             y  = h1 W2 + b2     gemm, bias epilogue               W2 [d1 x d2],  y  [batch x d2]
//   backward, given dy (= dL/dy):
//             db2 = sum of dy over the batch                        reduce, each column
//             dW2 = h1^T dy                                         gemm, A transposed
//             dz1 = (dy W2^T) * gelu'(z1), db1 = its column sums    ONE gemm: B transposed, an
//                                                                   equation epilogue with a column sum
//             dW1 = x^T dz1,  dx = dz1 W1^T                         gemm, A / B transposed
#include <tpp/tpp.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

using matrix = std::vector<float>;

// C = A B (+ bias) with A, B as stored (normal or transposed), f32, packed
void gemm(int m, int n, int k, const float* a, tpp::gemm_layout la, const float* b, tpp::gemm_layout lb, float* c,
          const float* bias = nullptr) {
  tpp::gemm_params p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a_layout = la;
  p.b_layout = lb;
  if (bias) p.epilogue.bias = tpp::dtype::f32;
  tpp::gemm(p, {a, b, c, bias});
}

double gelu(double z) { return 0.5 * z * (1 + std::tanh(0.7978845608028654 * (z + 0.044715 * z * z * z))); }
double gelu_slope(double z) {
  const double u = 0.7978845608028654 * (z + 0.044715 * z * z * z), t = std::tanh(u);
  return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * 0.7978845608028654 * (1 + 3 * 0.044715 * z * z);
}

// the largest |got - want| relative to the largest |want|
double rel_error(const matrix& got, const std::vector<double>& want) {
  double e = 0, w = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    e = std::max(e, std::fabs(got[i] - want[i]));
    w = std::max(w, std::fabs(want[i]));
  }
  return e / w;
}

}  // namespace

int main() {
  const int batch = 48, d0 = 40, d1 = 72, d2 = 24;
  using L = tpp::gemm_layout;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  const auto random = [&](std::size_t count) {
    matrix v(count);
    for (float& f : v) f = u(rng);
    return v;
  };
  const matrix x = random(batch * d0), w1 = random(d0 * d1), b1 = random(d1), w2 = random(d1 * d2), b2 = random(d2),
               dy = random(batch * d2);

  // forward
  matrix z1(batch * d1), h1(batch * d1), y(batch * d2);
  gemm(batch, d1, d0, x.data(), L::normal, w1.data(), L::normal, z1.data(), b1.data());
  tpp::unary_params g;
  g.op = tpp::unary_op::gelu_tanh;
  g.rows = batch;
  g.cols = d1;
  tpp::unary(g)(z1.data(), h1.data());
  gemm(batch, d2, d1, h1.data(), L::normal, w2.data(), L::normal, y.data(), b2.data());

  // backward
  matrix db2(d2), dw2(d1 * d2), dz1(batch * d1), db1(d1, 0.0f), dw1(d0 * d1), dx(batch * d0);
  tpp::reduce_params r;
  r.over = tpp::reduce_dim::each_column;
  r.rows = batch;
  r.cols = d2;
  tpp::reduce(r)(dy.data(), db2.data());
  gemm(d1, d2, batch, h1.data(), L::transposed, dy.data(), L::normal, dw2.data());
  tpp::gemm_params p;  // dz1 = (dy W2^T) * gelu'(z1), db1 += its column sums
  p.m = batch;
  p.n = d1;
  p.k = d2;
  p.b_layout = L::transposed;
  p.equation = tpp::unary_backward(tpp::unary_op::gelu_tanh_inv, tpp::arg(0), tpp::arg(1));
  p.equation_inputs = {{tpp::dtype::f32}};
  p.equation_column_sums = {*p.equation};
  tpp::gemm_operands o{dy.data(), w2.data(), dz1.data()};
  o.equation_inputs = {z1.data()};
  o.equation_side = {db1.data()};
  tpp::gemm(p, o);
  gemm(d0, d1, batch, x.data(), L::transposed, dz1.data(), L::normal, dw1.data());
  gemm(batch, d0, d1, dz1.data(), L::normal, w1.data(), L::transposed, dx.data());

  // the same in double
  std::vector<double> rz1(batch * d1), rh1(batch * d1), ry(batch * d2, 0), rdz1(batch * d1, 0), rdb1(d1, 0),
      rdb2(d2, 0), rdw1(d0 * d1, 0), rdw2(d1 * d2, 0), rdx(batch * d0, 0);
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < d1; ++j) {
      double s = b1[j];
      for (int k = 0; k < d0; ++k) s += double(x[i * d0 + k]) * w1[k * d1 + j];
      rz1[i * d1 + j] = s;
      rh1[i * d1 + j] = gelu(s);
    }
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < d2; ++j) {
      double s = b2[j];
      for (int k = 0; k < d1; ++k) s += rh1[i * d1 + k] * w2[k * d2 + j];
      ry[i * d2 + j] = s;
      rdb2[j] += dy[i * d2 + j];
      for (int k = 0; k < d1; ++k) rdw2[k * d2 + j] += rh1[i * d1 + k] * dy[i * d2 + j];
    }
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < d1; ++j) {
      double s = 0;
      for (int k = 0; k < d2; ++k) s += double(dy[i * d2 + k]) * w2[j * d2 + k];
      rdz1[i * d1 + j] = s * gelu_slope(rz1[i * d1 + j]);
      rdb1[j] += rdz1[i * d1 + j];
      for (int k = 0; k < d0; ++k) {
        rdw1[k * d1 + j] += double(x[i * d0 + k]) * rdz1[i * d1 + j];
        rdx[i * d0 + k] += rdz1[i * d1 + j] * w1[k * d1 + j];
      }
    }

  // f32 sums of at most 72 terms (72 u = 4.3e-6 of the terms' magnitudes, which stay near the
  // largest result here) and GELU's few ulps: within 1e-5 of the largest value of each result
  // (this run reads about 3e-7; a wrong formula reads O(1))
  const struct {
    const char* name;
    const matrix& got;
    const std::vector<double>& want;
  } results[] = {{"y", y, ry},       {"db2", db2, rdb2}, {"dW2", dw2, rdw2}, {"dz1", dz1, rdz1},
                 {"db1", db1, rdb1}, {"dW1", dw1, rdw1}, {"dx", dx, rdx}};
  bool ok = true;
  std::printf("ISA: %s\n", tpp::name(tpp::active_isa()));
  for (const auto& res : results) {
    const double e = rel_error(res.got, res.want);
    std::printf("  %-4s relative error %.2e\n", res.name, e);
    ok = ok && e < 1e-5;
  }
  std::printf(ok ? "ok\n" : "FAILED\n");
  return ok ? 0 : 1;
}
