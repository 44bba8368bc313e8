// Vector constants of an A64 kernel, kept in a table after its code (as on x86): each distinct
// 16-byte vector is one entry (mostly a 32-bit pattern in all four lanes; lane masks for tails),
// read with one `ldr q` from a base register that `adr` points at the table on entry.
//
//   bind_base(a, x13) ... load(a, v30, 1.0f) ... ret ... emit(a)   ->   code | nop pad | entries
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tpp/jit/a64/assembler.hpp"

namespace tpp::jit::a64 {

class const_table {
 public:
  // base = the table's address; emitted where the kernel starts
  void bind_base(assembler& a, xreg base) {
    base_ = base;
    a.adr(base, table_);
  }
  // r = the pattern in every lane
  void load(assembler& a, vreg r, std::uint32_t bits) { load_lanes(a, r, {bits, bits, bits, bits}); }
  // r = four lanes as given (lane 0 first)
  void load_lanes(assembler& a, vreg r, const std::array<std::uint32_t, 4>& lanes) {
    a.ldr_q(r, base_, 16 * index(lanes));
  }
  void load(assembler& a, vreg r, float f) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    load(a, r, bits);
  }
  // after the code: pad to 16 bytes (the code buffer starts page-aligned), then the entries
  void emit(assembler& a) {
    while (a.size_bytes() % 16) a.nop();
    a.bind(table_);
    for (const auto& v : values_)
      for (std::uint32_t b : v) a.word(b);
  }

 private:
  std::uint32_t index(const std::array<std::uint32_t, 4>& v) {
    for (std::size_t i = 0; i < values_.size(); ++i)
      if (values_[i] == v) return static_cast<std::uint32_t>(i);
    values_.push_back(v);
    return static_cast<std::uint32_t>(values_.size() - 1);
  }
  xreg base_{13};
  label table_;
  std::vector<std::array<std::uint32_t, 4>> values_;
};

}  // namespace tpp::jit::a64
