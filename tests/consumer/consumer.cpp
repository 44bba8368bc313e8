// A program outside the tpp tree: includes the umbrella header and calls a kernel.
#include <tpp/tpp.hpp>

#include <cstdio>

int main() {
  tpp::binary_params p;
  p.op = tpp::binary_op::add;
  p.rows = 2;
  p.cols = 3;
  const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {10, 20, 30, 40, 50, 60};
  float c[6];
  tpp::binary(p)(a, b, c);
  for (int i = 0; i < 6; ++i)
    if (c[i] != a[i] + b[i]) return 1;
  std::printf("tpp %d.%d.%d consumer ok (%s)\n", tpp::version_major, tpp::version_minor, tpp::version_patch,
              tpp::name(tpp::active_isa()));
  return 0;
}
