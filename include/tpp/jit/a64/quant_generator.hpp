// The NEON quantize / dequantize generator (AArch64), the definition of detail/quant_desc.hpp:
//
//   quantize:    y = x * inv_scale; NaN -> -2^24 (fcmeq + bif), clamped to +-2^24; fcvtns (nearest
//                even); + zero_point; saturating narrows s32 -> s16 -> i8 (sqxtn, sqxtn) or
//                s32 -> u16 -> u8 (sqxtun, uqxtn)
//   dequantize:  i8 / u8 widened to s32 (sxtl / uxtl twice), - zero_point, scvtf, * scale, stored
//                as f32 / f16 / bf16 (bf16 out needs BF16)
//
// Four elements a step; the last 1..3 bytes as exact lane_io accesses (b, h, h + one byte lane),
// so no access leaves an operand. Uses x0-x10 and v0-v7 only.
#pragma once

#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/quant_desc.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/const_table.hpp"
#include "tpp/jit/a64/io.hpp"

namespace tpp::jit::a64 {

inline bool quant_supports(const detail::quant_desc& d) {
  if (!is_arm(d.level)) return false;
  const dtype f = d.quantize ? d.in_type : d.out_type;
  return f == dtype::f32 || f == dtype::f16 || (f == dtype::bf16 && (d.quantize || d.level >= isa::neon_bf16));
}

class quant_generator {
 public:
  explicit quant_generator(const detail::quant_desc& d) : d_(d) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  bool u8() const { return (d_.quantize ? d_.out_type : d_.in_type) == dtype::u8; }

  void emit() {
    consts_.bind_base(a_, x(9));
    a_.ldr(rin_, x(0), 0);
    a_.ldr(rout_, x(0), 8);
    consts_.load(a_, v(4), d_.quantize ? d_.inv_scale : d_.scale);
    consts_.load(a_, v(5), static_cast<std::uint32_t>(d_.zero_point));
    if (d_.quantize) {
      consts_.load(a_, v(6), -16777216.0f);
      consts_.load(a_, v(7), 16777216.0f);
    }
    const int esi = size_of(d_.in_type), eso = size_of(d_.out_type);
    a_.repeat(row_, static_cast<std::uint64_t>(d_.rows), [&] {
      a_.add(pin_, rin_, 0);
      a_.add(pout_, rout_, 0);
      const int full = d_.cols / 4, tail = d_.cols % 4;
      if (full)
        a_.repeat(cnt_, static_cast<std::uint64_t>(full), [&] {
          emit_vector(4);
          a_.add(pin_, pin_, static_cast<std::uint32_t>(4 * esi));
          a_.add(pout_, pout_, static_cast<std::uint32_t>(4 * eso));
        });
      if (tail) emit_vector(tail);
      io_.add_imm(rin_, rin_, static_cast<long>(d_.ldi) * esi);
      io_.add_imm(rout_, rout_, static_cast<long>(d_.ldo) * eso);
    });
    a_.ret();
    consts_.emit(a_);
  }

  // n (1..4) elements at pin_ -> pout_
  void emit_vector(int n) {
    const vreg x0 = v(0), t = v(1);
    if (d_.quantize) {
      io_.load(x0, d_.in_type, pin_, 0, n);
      a_.fmul(x0, x0, v(4));
      a_.fcmeq(t, x0, x0);  // false for NaN: it becomes the lower bound
      a_.bif(x0, v(6), t);
      a_.fmax(x0, x0, v(6));
      a_.fmin(x0, x0, v(7));
      a_.fcvtns(x0, x0);
      a_.add(x0, x0, v(5));
      if (u8()) {
        a_.sqxtun_4h(x0, x0);
        a_.uqxtn_8b(x0, x0);
      } else {
        a_.sqxtn_4h(x0, x0);
        a_.sqxtn_8b(x0, x0);
      }
      io_.access(false, x0, 1, pout_, 0, n);
      return;
    }
    io_.access(true, x0, 1, pin_, 0, n);
    if (u8()) {
      a_.uxtl_8h(x0, x0);
      a_.uxtl_4s(x0, x0);
    } else {
      a_.sxtl_8h(x0, x0);
      a_.sxtl_4s(x0, x0);
    }
    a_.sub(x0, x0, v(5));
    a_.scvtf(x0, x0);
    a_.fmul(x0, x0, v(4));
    io_.store(x0, d_.out_type, pout_, 0, n);
  }

  const detail::quant_desc d_;
  assembler a_;
  const_table consts_;
  lane_io io_{a_, x(7), x(8)};
  const xreg rin_ = x(1), rout_ = x(2), pin_ = x(3), pout_ = x(4), row_ = x(5), cnt_ = x(6);
};

}  // namespace tpp::jit::a64
