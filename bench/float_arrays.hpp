// Benchmark operands: `count` arrays of n random floats in [-2, 2), each 64-byte aligned, their
// starts staggered by 1 KiB + 64 B so that streams walked together do not 4K-alias.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <random>
#include <vector>

namespace bench {

struct float_arrays {
  float_arrays(std::size_t n, int count) : n(n) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-2, 2);
    for (int k = 0; k < count; ++k) {
      raw.push_back(static_cast<char*>(std::aligned_alloc(4096, (n * 4 + 8192) / 4096 * 4096)));
      p.push_back(reinterpret_cast<float*>(raw.back() + k * (1024 + 64)));
      for (std::size_t i = 0; i < n; ++i) p.back()[i] = u(rng);
    }
  }
  float_arrays(const float_arrays&) = delete;
  float_arrays& operator=(const float_arrays&) = delete;
  ~float_arrays() {
    for (char* r : raw) std::free(r);
  }
  std::size_t n;
  std::vector<char*> raw;
  std::vector<float*> p;
};

}  // namespace bench
