// The memory a generator writes its code into before publish_generated copies it to fresh
// read+execute pages (jit/code_buffer.hpp): page-aligned heap blocks, never executable, kept
// per thread for the next generator. Xbyak's default allocator on Linux maps and unmaps pages
// for each generator, and the unmap shoots down TLB entries: on Zen 3 that was ~9 us of the
// ~17 us a relu kernel took to JIT, and a 256 KiB block through malloc is mapped afresh each
// time as well (~10 us). Page alignment keeps align() directives (constant tables read by
// aligned loads) true after the copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <xbyak/xbyak.h>

namespace tpp::jit::x86 {

class staging_allocator final : public Xbyak::Allocator {
 public:
  std::uint8_t* alloc(std::size_t size) override {
    blocks& b = mine();
    for (std::size_t i = 0; i < b.spare.size(); ++i)
      if (b.spare[i].size == size) {
        const block k = b.spare[i];
        b.spare.erase(b.spare.begin() + static_cast<long>(i));
        b.live.push_back(k);
        return k.p;
      }
    std::uint8_t* p = Xbyak::Allocator::alloc(size);  // page-aligned (AlignedMalloc)
    if (p) b.live.push_back({p, size});
    return p;
  }
  void free(std::uint8_t* p) override {
    blocks& b = mine();
    for (std::size_t i = 0; i < b.live.size(); ++i)
      if (b.live[i].p == p) {
        b.spare.push_back(b.live[i]);
        b.live.erase(b.live.begin() + static_cast<long>(i));
        if (b.spare.size() > kept) {  // the oldest spare goes
          Xbyak::AlignedFree(b.spare.front().p);
          b.spare.erase(b.spare.begin());
        }
        return;
      }
    Xbyak::AlignedFree(p);  // not this thread's: generators die where they were built
  }
  bool useProtect() const override { return false; }  // a staging copy: never executed

 private:
  static constexpr std::size_t kept = 4;  // one of each generator size a thread uses
  struct block {
    std::uint8_t* p;
    std::size_t size;
  };
  struct blocks {
    std::vector<block> live, spare;
    ~blocks() {
      for (const block& k : spare) Xbyak::AlignedFree(k.p);
    }
  };
  static blocks& mine() {
    thread_local blocks b;
    return b;
  }
};

// The allocator every x86 generator passes to Xbyak::CodeGenerator.
inline Xbyak::Allocator* staging() {
  static staging_allocator a;
  return &a;
}

}  // namespace tpp::jit::x86
