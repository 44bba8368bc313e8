// Bitmasks (dtype::bit) <-> lane masks for the NEON generators. A group of n vectors (n <= 4,
// the last one holding `last` lanes) is 4(n-1) + last bits: bit 4j + l is lane l of vector j, so
// 16 columns are two whole bytes and a row's last group one or two bytes, its unused bits zero.
//
//   store: and each all-ones/zero lane with its weight 1 << (4j + l) (0 past the group), add the
//          vectors, addv the four lanes -> str b / str h
//   load:  ldr b / ldr h, dup to every lane of each vector, cmtst against the weights
#pragma once

#include <array>
#include <cstdint>

#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/const_table.hpp"

namespace tpp::jit::a64 {

class bitmask_io {
 public:
  // weights: the first of four registers the weights are loaded into
  bitmask_io(assembler& a, const_table& c, int weights) : a_(a), c_(c), w_(weights) {}

  static int group_bits(int n, int last) { return 4 * (n - 1) + last; }

  // lane masks v[first .. first+n) -> their bits at p (the masks are clobbered)
  void store(int first, int n, int last, xreg p) {
    for (int j = 0; j < n; ++j) {
      c_.load_lanes(a_, v(w_ + j), weight(j, j == n - 1 ? last : 4));
      a_.and_(v(first + j), v(first + j), v(w_ + j));
      if (j) a_.add(v(first), v(first), v(first + j));
    }
    a_.addv(v(first), v(first));
    if (group_bits(n, last) <= 8) a_.str_b(v(first), p, 0);
    else a_.str_h(v(first), p, 0);
  }
  // the bits at p -> lane masks v[first .. first+n)
  void load(int first, int n, int last, xreg p) {
    if (group_bits(n, last) <= 8) a_.ldr_b(v(first), p, 0);
    else a_.ldr_h(v(first), p, 0);
    for (int j = n - 1; j >= 0; --j) {
      a_.dup(v(first + j), v(first), 0);
      c_.load_lanes(a_, v(w_ + j), weight(j, 4));
      a_.cmtst(v(first + j), v(first + j), v(w_ + j));
    }
  }

 private:
  // lane l: 1 << (4j + l), 0 past `lanes`
  static std::array<std::uint32_t, 4> weight(int j, int lanes) {
    std::array<std::uint32_t, 4> w{};
    for (int l = 0; l < lanes; ++l) w[l] = 1u << (4 * j + l);
    return w;
  }

  assembler& a_;
  const_table& c_;
  int w_;
};

}  // namespace tpp::jit::a64
