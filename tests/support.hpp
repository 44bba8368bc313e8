// Test helpers: operands placed against PROT_NONE guard pages, ISA levels to fan out over,
// random fills, and ulp distances.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "tpp/tpp.hpp"

namespace tpp_test {

// `bytes` of memory with an inaccessible page right before and right after. With flush_end the
// data ends exactly where the trailing guard page starts (an over-read or over-write by even one
// byte faults); otherwise it starts exactly at the end of the leading guard page.
class guarded {
 public:
  guarded(std::size_t bytes, bool flush_end) : bytes_(bytes) {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t body = (bytes + page - 1) / page * page;
    len_ = body + 2 * page;
    base_ = static_cast<char*>(mmap(nullptr, len_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED) throw std::runtime_error("mmap failed");
    if (body && mprotect(base_ + page, body, PROT_READ | PROT_WRITE) != 0)  // qemu rejects a length of 0
      throw std::runtime_error("mprotect failed");
    data_ = flush_end ? base_ + page + body - bytes : base_ + page;
  }
  guarded(const guarded&) = delete;
  guarded& operator=(const guarded&) = delete;
  ~guarded() { munmap(base_, len_); }
  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  template <class T>
  T* as() const { return reinterpret_cast<T*>(data_); }

 private:
  char* base_;
  char* data_;
  std::size_t len_, bytes_;
};

// The message of the tpp::error that f throws (a marker where it throws none)
template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const tpp::error& e) {
    return e.what();
  }
  return "<no tpp::error thrown>";
}
inline bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The levels this machine can run, from ref up to the detected one.
inline std::vector<tpp::isa> levels() { return tpp::available_isas(); }

// Whether the x86 generators cover a family at this level (every x86 level but ref). AArch64
// levels JIT only what a NEON generator exists for: the families' tests say which.
inline bool x86_jit(tpp::isa level) { return tpp::is_x86(level); }
// An AArch64 level JITs a family that has a NEON generator, except where it writes bf16 without
// BF16 (no bfcvtn): `written` is the type the kernel stores.
inline bool neon_jit_writing(tpp::isa level, tpp::dtype written) {
  return tpp::is_arm(level) && (written != tpp::dtype::bf16 || level >= tpp::isa::neon_bf16);
}

// Sets the ISA cap for a scope.
struct isa_scope {
  explicit isa_scope(tpp::isa l) : saved(tpp::isa_cap()) { tpp::set_isa_cap(l); }
  ~isa_scope() { tpp::set_isa_cap(saved); }
  tpp::isa saved;
};

// Sets tpp::bf16_product for a scope.
struct bf16_product_scope {
  explicit bf16_product_scope(tpp::bf16_product p) : saved(tpp::get_bf16_product()) { tpp::set_bf16_product(p); }
  ~bf16_product_scope() { tpp::set_bf16_product(saved); }
  tpp::bf16_product saved;
};

// The bf16 products to test at a level: dot and fma where x86 has vdpbf16ps, else the default
// (the setting changes nothing there).
inline std::vector<tpp::bf16_product> bf16_products(tpp::isa level) {
  if (tpp::is_x86(level) && level >= tpp::isa::avx512_bf16) return {tpp::bf16_product::dot, tpp::bf16_product::fma};
  return {tpp::get_bf16_product()};
}

// Elements (bits for dtype::bit, rounded to bytes) an operand spans in memory.
inline std::size_t span_bytes(const tpp::operand& o, int rows, int cols) {
  const long ld = o.ld ? o.ld : (o.type == tpp::dtype::bit ? (cols + 7) / 8 * 8 : cols);
  if (o.type == tpp::dtype::bit) return static_cast<std::size_t>(((rows - 1) * ld + (cols + 7) / 8 * 8) / 8);
  long elems = 0;
  switch (o.bcast) {
    case tpp::broadcast::none: elems = (rows - 1) * ld + cols; break;
    case tpp::broadcast::row: elems = cols; break;
    case tpp::broadcast::column: elems = (rows - 1) * (o.ld ? o.ld : 1) + 1; break;
    case tpp::broadcast::scalar: elems = 1; break;
  }
  return static_cast<std::size_t>(elems) * tpp::size_of(o.type);
}

// Fills a buffer of type t with values uniform in [lo, hi], rounded to t.
inline void fill(void* p, tpp::dtype t, std::size_t bytes, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(lo, hi);
  if (t == tpp::dtype::bit) {
    for (std::size_t i = 0; i < bytes; ++i) static_cast<std::uint8_t*>(p)[i] = static_cast<std::uint8_t>(rng());
    return;
  }
  const std::size_t n = bytes / tpp::size_of(t);
  for (std::size_t i = 0; i < n; ++i) tpp::store_from_f32(p, t, static_cast<long>(i), u(rng));
}

// Monotonic integer image of a float's bits, so ulp distance is a difference.
inline std::int64_t ordered(std::uint32_t bits) {
  return (bits & 0x80000000u) ? -static_cast<std::int64_t>(bits & 0x7FFFFFFFu) : static_cast<std::int64_t>(bits);
}
inline std::int64_t ordered16(std::uint16_t bits) {
  return (bits & 0x8000u) ? -static_cast<std::int64_t>(bits & 0x7FFFu) : static_cast<std::int64_t>(bits);
}

// ulps between element i of two buffers of type t; 0 if both NaN, huge if exactly one is.
inline std::int64_t ulp_diff(const void* a, const void* b, tpp::dtype t, long i) {
  const float fa = tpp::load_as_f32(a, t, i), fb = tpp::load_as_f32(b, t, i);
  if (std::isnan(fa) || std::isnan(fb)) return std::isnan(fa) && std::isnan(fb) ? 0 : INT64_MAX / 2;
  if (t == tpp::dtype::f32) {
    std::uint32_t ua, ub;
    std::memcpy(&ua, static_cast<const float*>(a) + i, 4);
    std::memcpy(&ub, static_cast<const float*>(b) + i, 4);
    return std::llabs(ordered(ua) - ordered(ub));
  }
  const auto* ha = static_cast<const std::uint16_t*>(a);
  const auto* hb = static_cast<const std::uint16_t*>(b);
  return std::llabs(ordered16(ha[i]) - ordered16(hb[i]));
}

}  // namespace tpp_test
