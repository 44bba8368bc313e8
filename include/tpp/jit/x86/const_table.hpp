// Constants a kernel needs, kept in a table after its code and addressed rip-relative. Every
// entry is one full vector, so any instruction can take it as a memory operand.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include <xbyak/xbyak.h>

namespace tpp::jit::x86 {

class const_table {
 public:
  explicit const_table(int vector_bytes) : words_(vector_bytes / 4) {}

  // float -> address of a vector holding it in every lane
  Xbyak::Address f(float v) {
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    return u32(u);
  }
  // 32-bit pattern -> address of a vector holding it in every lane
  Xbyak::Address u32(std::uint32_t bits) { return lanes(std::vector<std::uint32_t>(words_, bits)); }
  // per-lane values (missing lanes are 0) -> address of that vector
  Xbyak::Address lanes(std::vector<std::uint32_t> v) {
    v.resize(words_, 0u);
    std::size_t k = 0;
    while (k < entries_.size() && entries_[k] != v) ++k;
    if (k == entries_.size()) entries_.push_back(std::move(v));
    return Xbyak::util::ptr[Xbyak::util::rip + label_ + static_cast<int>(k * words_ * 4)];
  }

  // Emits the table; call once, after the kernel's last instruction.
  void emit(Xbyak::CodeGenerator& g) {
    if (entries_.empty()) return;
    g.align(64);
    g.L(label_);
    for (const auto& e : entries_)
      for (std::uint32_t w : e) g.dd(w);
  }

 private:
  std::size_t words_;
  std::vector<std::vector<std::uint32_t>> entries_;
  Xbyak::Label label_;
};

}  // namespace tpp::jit::x86
