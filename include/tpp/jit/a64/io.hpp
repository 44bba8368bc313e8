// Loads and stores of 1..4 lanes for the NEON generators: f32 lanes from f32, bf16 or f16
// memory (widened with shll / fcvtl) and back (narrowed with bfcvtn / fcvtn), with exact tails:
// a 3-lane access is a 2-lane one plus one lane (ld1 / st1 {v.s}[2]), so nothing outside the
// lanes is touched. Offsets that the immediate forms cannot hold go through scratch registers.
#pragma once

#include <cstdint>
#include <utility>

#include "tpp/core/dtype.hpp"
#include "tpp/jit/a64/assembler.hpp"

namespace tpp::jit::a64 {

// log2 of an element size (1, 2 or 4 bytes): the shift of a register-scaled address
inline int log2_of(int bytes) { return bytes == 4 ? 2 : bytes == 2 ? 1 : 0; }

class lane_io {
 public:
  // s0, s1: scratch x registers this helper may clobber at any call
  lane_io(assembler& a, xreg s0, xreg s1) : a_(a), s0_(s0), s1_(s1) {}

  // Bit moves for 16-bit types (detail::copies_bits): load zero-extends each element into its
  // 32-bit lane (uxtl) and store truncates it back (xtn), with no conversion either way.
  void set_raw16(bool raw) { raw16_ = raw; }

  // d = n + v (any v; through s1 when it is not an add immediate)
  void add_imm(xreg d, xreg n, long v) {
    if (v == 0) {
      if (d.idx != n.idx) a_.add(d, n, 0);
      return;
    }
    if (v > 0 && v < 4096) {
      a_.add(d, n, static_cast<std::uint32_t>(v));
      return;
    }
    a_.mov_imm(s1_, static_cast<std::uint64_t>(v));
    a_.add(d, n, s1_);
  }

  // `lanes` elements of es (4, 2 or 1) bytes at base + off <-> the low lanes of r (at most 16
  // bytes): the largest power-of-two head in one q/d/s/h/b access, then each smaller power of two
  // the count still holds as one lane (ld1/st1; its offset is a multiple of its size). A load
  // leaves the rest of r zero.   7 x 2 bytes -> ldr d (lanes 0-3), ld1 .s[2], ld1 .h[6]
  void access(bool load, vreg r, int es, xreg base, long off, int lanes) {
    const int total = lanes * es;
    int head = 16;
    while (head > total) head /= 2;
    const auto [b, o] = address(base, off, head);
    switch (head) {
      case 16: load ? a_.ldr_q(r, b, o) : a_.str_q(r, b, o); break;
      case 8: load ? a_.ldr_d(r, b, o) : a_.str_d(r, b, o); break;
      case 4: load ? a_.ldr_s(r, b, o) : a_.str_s(r, b, o); break;
      case 2: load ? a_.ldr_h(r, b, o) : a_.str_h(r, b, o); break;
      default: load ? a_.ldr_b(r, b, o) : a_.str_b(r, b, o); break;
    }
    for (int done = head, part = head / 2; done < total; part /= 2) {
      if (total - done < part) continue;
      const xreg l = lane_address(b, static_cast<long>(o) + done);
      load ? a_.ld1_lane(r, done / part, part, l) : a_.st1_lane(r, done / part, part, l);
      done += part;
    }
  }
  // Raw lanes of 4 bytes (f32, or a bf16 pair) into dst.
  void load32(vreg dst, xreg base, long off, int lanes) { access(true, dst, 4, base, off, lanes); }
  // Elements of type t as f32 lanes of dst (16-bit ones widened).
  void load(vreg dst, dtype t, xreg base, long off, int lanes) {
    access(true, dst, size_of(t), base, off, lanes);
    widen(dst, t);
  }
  void widen(vreg r, dtype t) {
    if (raw16_ && size_of(t) == 2) a_.uxtl_4s(r, r);
    else if (t == dtype::bf16) a_.shll16(r, r);
    else if (t == dtype::f16) a_.fcvtl(r, r);
  }
  // f32 lanes of src stored as type t (src is narrowed in place for 16-bit types; bf16 needs
  // BF16).
  void store(vreg src, dtype t, xreg base, long off, int lanes) {
    if (raw16_ && size_of(t) == 2) a_.xtn_4h(src, src);
    else if (t == dtype::bf16) a_.bfcvtn(src, src);
    else if (t == dtype::f16) a_.fcvtn(src, src);
    access(false, src, size_of(t), base, off, lanes);
  }

 private:
  // base + off in a form whose immediate scales by `scale` bytes (else in s0)
  std::pair<xreg, std::uint32_t> address(xreg base, long off, int scale) {
    if (off >= 0 && off % scale == 0 && off / scale < 4096) return {base, static_cast<std::uint32_t>(off)};
    a_.mov_imm(s0_, static_cast<std::uint64_t>(off));
    a_.add(s0_, base, s0_);
    return {s0_, 0};
  }
  // s1 = base + off (the lane forms take no offset)
  xreg lane_address(xreg base, long off) {
    if (off == 0) return base;
    add_imm(s1_, base, off);
    return s1_;
  }

  assembler& a_;
  xreg s0_, s1_;
  bool raw16_ = false;
};

}  // namespace tpp::jit::a64
