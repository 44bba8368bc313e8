// The NEON VNNI pack generator (AArch64) for 16-bit elements (bf16, f16): two rows interleave
// into one.
//
//   out[q][2j + t] = in[2q + t][j]      (t = 0, 1)
//
//   per 8 columns: a = row 2q, b = row 2q+1 (ldr q, post-index); zip1 / zip2 .8h give columns
//   0-3 and 4-7 as pairs: st1 of both, 32 bytes out. The last cols % 8 columns move one element
//   at a time (ldr h / str h), so no access leaves an operand. Uses x0-x7 and v0-v3 only.
#pragma once

#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/transform_desc.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/io.hpp"

namespace tpp::jit::a64 {

class vnni_pack_generator {
 public:
  static bool supports(const detail::transform_desc& d) {
    return is_arm(d.level) && d.op == transform_op::vnni_pack && d.esize == 2;
  }
  explicit vnni_pack_generator(const detail::transform_desc& d) : d_(d) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }

 private:
  void emit() {
    const xreg args = x(0), in = x(1), out = x(2), q = x(3), a = x(4), b = x(5), o = x(6), j = x(7);
    a_.ldr(in, args, 0);
    a_.ldr(out, args, 8);
    const long row = static_cast<long>(d_.ldi) * 2;  // bytes per input row
    const int full = d_.cols / 8, tail = d_.cols % 8;
    a_.repeat(q, static_cast<std::uint64_t>(d_.rows / 2), [&] {
      a_.add(a, in, 0);
      io_.add_imm(b, in, row);
      a_.add(o, out, 0);
      if (full)
        a_.repeat(j, static_cast<std::uint64_t>(full), [&] {
          a_.ldr_q_post(v(0), a, 16);
          a_.ldr_q_post(v(1), b, 16);
          a_.zip1_8h(v(2), v(0), v(1));
          a_.zip2_8h(v(3), v(0), v(1));
          a_.st1(v(2), o, 32, 2);
        });
      for (int c = 0; c < tail; ++c) {  // a and b point at the tail, o at its pairs
        a_.ldr_h(v(0), a, static_cast<std::uint32_t>(2 * c));
        a_.ldr_h(v(1), b, static_cast<std::uint32_t>(2 * c));
        a_.str_h(v(0), o, static_cast<std::uint32_t>(4 * c));
        a_.str_h(v(1), o, static_cast<std::uint32_t>(4 * c + 2));
      }
      io_.add_imm(in, in, 2 * row);
      io_.add_imm(out, out, static_cast<long>(d_.ldo) * 2);
    });
    a_.ret();
  }

  const detail::transform_desc d_;
  assembler a_;
  lane_io io_{a_, x(9), x(10)};
};

}  // namespace tpp::jit::a64
