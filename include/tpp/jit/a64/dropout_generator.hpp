// The NEON dropout generator (AArch64), forward and backward: the definition of
// tpp/ops/dropout.hpp, bit for bit.
//
//   for each row, 16 columns a step (then the rest as one group of up to 4 vectors):
//     forward:  e = offset + i*cols + j + lane (one counter vector per 4 columns);
//               u = lowbias32(lowbias32(e + k0) ^ k1) >> 8 (ushr / eor / mul on .4s);
//               keep = threshold > u (cmhi);  y = keep ? x * scale : +0;  keep -> mask bits
//     backward: keep = the mask's bits (cmtst);  dx = keep ? dy * scale : +0
//
// Bits and tails as in a64/bitmask.hpp and a64/io.hpp: nothing outside an operand is touched.
// Registers: x0-x13; v0-v3 values, v4-v7 k0 + the lane offsets of each vector in a step (so
// e + k0 is one add), v16 the counter of the step's first column, v17 the step (16), v18 the
// seed's high half, v19 threshold, v20-v23 keep masks, v24-v27 bit weights, v28 scale, v29 hash
// temporary, v30 / v31 the hash multipliers. Constants are loaded once, before the rows.
// Nothing AAPCS64 asks to save.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/dropout_desc.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/bitmask.hpp"
#include "tpp/jit/a64/const_table.hpp"
#include "tpp/jit/a64/io.hpp"

namespace tpp::jit::a64 {

// bf16 out needs BF16 (bfcvtn); every other case has NEON code.
inline bool dropout_supports(const detail::dropout_desc& d) {
  return is_arm(d.level) && (d.out_type != dtype::bf16 || d.level >= isa::neon_bf16);
}

class dropout_generator {
 public:
  dropout_generator(const detail::dropout_desc& d, bool forward) : d_(d), forward_(forward) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  void emit() {
    using detail::dropout_args;
    consts_.bind_base(a_, x(9));
    a_.ldr(rin_, x(0), offsetof(dropout_args, in));
    a_.ldr(rout_, x(0), offsetof(dropout_args, out));
    a_.ldr(rm_, x(0), offsetof(dropout_args, mask));
    consts_.load(a_, v(28), d_.scale);
    if (forward_) {
      for (int h = 0; h < 2; ++h) {  // k0 (v17, for now), k1 (v18): the seed's halves in every lane
        a_.ldr_s(v(17 + h), x(0), static_cast<std::uint32_t>(offsetof(dropout_args, seed) + 4 * h));
        a_.dup(v(17 + h), v(17 + h), 0);
      }
      for (int j = 0; j < 4; ++j) {  // v4 + j: k0 + the offsets of vector j's lanes in a step
        const auto o = static_cast<std::uint32_t>(4 * j);
        consts_.load_lanes(a_, v(4 + j), {o, o + 1, o + 2, o + 3});
        a_.add(v(4 + j), v(4 + j), v(17));
      }
      consts_.load(a_, v(17), 16u);  // a step's columns
      consts_.load(a_, v(19), d_.threshold);
      consts_.load(a_, v(30), 0x7feb352du);
      consts_.load(a_, v(31), 0x846ca68bu);
      a_.ldr(ctr_, x(0), offsetof(dropout_args, offset));
    }
    const int esi = size_of(d_.in_type), eso = size_of(d_.out_type);
    a_.repeat(row_, static_cast<std::uint64_t>(d_.rows), [&] {
      a_.add(pin_, rin_, 0);
      a_.add(pout_, rout_, 0);
      a_.add(pm_, rm_, 0);
      if (forward_) a_.dup(v(16), ctr_);  // the counter of the step's first column
      const int blocks = d_.cols / 16, rest = d_.cols % 16;
      if (blocks)
        a_.repeat(cnt_, static_cast<std::uint64_t>(blocks), [&] {
          step(4, 4);
          a_.add(pin_, pin_, static_cast<std::uint32_t>(16 * esi));
          a_.add(pout_, pout_, static_cast<std::uint32_t>(16 * eso));
          a_.add(pm_, pm_, 2);
          if (forward_) a_.add(v(16), v(16), v(17));
        });
      if (rest) step((rest + 3) / 4, rest % 4 ? rest % 4 : 4);
      io_.add_imm(rin_, rin_, static_cast<long>(d_.ldi) * esi);
      io_.add_imm(rout_, rout_, static_cast<long>(d_.ldo) * eso);
      io_.add_imm(rm_, rm_, d_.ldm / 8);
      if (forward_) io_.add_imm(ctr_, ctr_, d_.cols);  // dup reads the low 32 bits: wraps at 2^32
    });
    a_.ret();
    consts_.emit(a_);
  }

  // n vectors at the step's columns, the last of `last` lanes
  void step(int n, int last) {
    const auto lanes = [&](int j) { return j == n - 1 ? last : 4; };
    if (forward_) {
      for (int j = 0; j < n; ++j) keep_mask(j);
    } else {
      bits_.load(20, n, last, pm_);
    }
    for (int j = 0; j < n; ++j) {
      io_.load(v(j), d_.in_type, pin_, 4L * j * size_of(d_.in_type), lanes(j));
      a_.fmul(v(j), v(j), v(28));
      a_.and_(v(j), v(j), v(20 + j));
      io_.store(v(j), d_.out_type, pout_, 4L * j * size_of(d_.out_type), lanes(j));
    }
    if (forward_) bits_.store(20, n, last, pm_);
  }

  // v[20 + j] = all-ones lanes where the draw of vector j's elements keeps them
  void keep_mask(int j) {
    const vreg h = v(20 + j);
    a_.add(h, v(16), v(4 + j));  // e + k0
    lowbias32(h);
    a_.eor(h, h, v(18));
    lowbias32(h);
    a_.ushr(h, h, 8);
    a_.cmhi(h, v(19), h);
  }
  // x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16
  void lowbias32(vreg h) {
    const vreg t = v(29);
    a_.ushr(t, h, 16);
    a_.eor(h, h, t);
    a_.mul(h, h, v(30));
    a_.ushr(t, h, 15);
    a_.eor(h, h, t);
    a_.mul(h, h, v(31));
    a_.ushr(t, h, 16);
    a_.eor(h, h, t);
  }

  const detail::dropout_desc d_;
  const bool forward_;
  assembler a_;
  const_table consts_;
  lane_io io_{a_, x(10), x(11)};
  bitmask_io bits_{a_, consts_, 24};
  const xreg rin_ = x(1), rout_ = x(2), rm_ = x(3), pin_ = x(4), pout_ = x(5), pm_ = x(6), row_ = x(7),
             cnt_ = x(8), ctr_ = x(12);
};

}  // namespace tpp::jit::a64
