// The x86 generator of each row's sum and sum of squares in one pass (V = Ymm or Zmm):
//
//   for each row i:
//     s[t] = q[t] = 0                                  t < U: U independent chains each
//     for column blocks of U vectors (then the remaining vectors, then the masked tail):
//       x = in[i][block + t];  s[t] += x;  q[t] += x * x
//     fold s[1..U) into s[0] and q likewise, then each across its lanes
//     out[i * ldo] = sum s, out[i * ldo + 1] = sum q       (one 8-byte store)
// The order of the additions is the row-sum equations' (equation_generator's accumulate, and
// fold_lanes), so both results equal the sum and sum_squares reductions bit for bit.
//
// One pass reads each row once. The two reduction equations it replaces (sums, then squares over
// the same block of rows read back from L2) ran at 41 % (64 x 4096) and 75 % (1024 x 4096) of
// memcpy on Zen 3, against 97 % and 128 % for a plain row sum. Where the operand outgrows half
// of the cache one core can count on (rows_from_memory), each row prefetches the next one, as
// the row-sum equations do.
#pragma once

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/lane_fold.hpp"
#include "tpp/jit/x86/staging.hpp"
#include "tpp/jit/x86/vec.hpp"
#include "tpp/ops/reduce_params.hpp"

namespace tpp::jit::x86 {

// Column offsets and the row step are immediates.
inline bool row_sums_supports(const detail::reduce_desc& d) {
  return d.over == reduce_dim::each_row && d.op == reduce_kind::sum_and_sum_squares &&
         2LL * d.ldi * size_of(d.in_type) < (1LL << 30) && static_cast<long long>(d.ldo) * 4 < (1LL << 30);
}

template <class V>
class row_sums_generator : public Xbyak::CodeGenerator {
  static constexpr int VL = vec<V>::lanes;
  static constexpr int U = 4;  // vectors per column block, as the equations' u (the same sums)

 public:
  explicit row_sums_generator(const detail::reduce_desc& d)
      : Xbyak::CodeGenerator(1 << 16, Xbyak::DontSetProtectRWE, staging()),
        d_(d),
        es_(size_of(d.in_type)),
        consts_(vec<V>::bytes),
        io_(*this, consts_, false, V(vec<V>::count - 1)) {
    emit();
  }

 private:
  // registers: sums V(0..U), squares V(U..2U), loaded values V(2U..3U); AVX2's tail mask last
  static V s(int t) { return V(t); }
  static V q(int t) { return V(U + t); }
  static V x(int t) { return V(2 * U + t); }

  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 4, 0, false);
    const Reg64 args = sf.p[0];
    in_ = sf.t[0];
    out_ = sf.t[1];
    row_ = sf.t[2];
    col_ = sf.t[3];
    mov(in_, ptr[args]);
    mov(out_, ptr[args + 8]);
    if (const int tail = d_.cols % VL) io_.set_tail(tail, row_.cvt32());
    Label rows;
    mov(row_, d_.rows);
    L(rows);
    emit_row();
    add(in_, static_cast<int>(static_cast<long>(d_.ldi) * es_));
    add(out_, d_.ldo * 4);
    dec(row_);
    jnz(rows, T_NEAR);
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  void emit_row() {
    using namespace Xbyak;
    const int full = d_.cols / VL, blocks = full / U, rest = full % U, tail = d_.cols % VL;
    for (int t = 0; t < U; ++t) {
      vxorps(s(t), s(t), s(t));
      vxorps(q(t), q(t), q(t));
    }
    xor_(col_, col_);  // byte offset of the column block
    if (blocks) {
      Label loop;
      L(loop);
      emit_block(U, VL);
      add(col_, U * VL * es_);
      if (blocks > 1) {
        cmp(col_, blocks * U * VL * es_);
        jl(loop, T_NEAR);
      }
    }
    if (rest) {
      emit_block(rest, VL);
      if (tail) add(col_, rest * VL * es_);
    }
    if (tail) emit_block(1, tail);
    for (int t = 1; t < U; ++t) {
      vaddps(s(0), s(0), s(t));
      vaddps(q(0), q(0), q(t));
    }
    store_sums();
  }

  // `lanes` vectors at column offset col_; the last holds n_last columns
  void emit_block(int lanes, int n_last) {
    using namespace Xbyak;
    if (d_.prefetch)  // set for rows > 1 only
      for (int b = 0; b < lanes * VL * es_; b += 64)
        prefetcht0(ptr[in_ + col_ + static_cast<int>(static_cast<long>(d_.ldi) * es_) + b]);
    for (int t = 0; t < lanes; ++t) {
      io_.load(x(t), d_.in_type, in_ + col_ + t * VL * es_, t == lanes - 1 ? n_last : VL);
      vaddps(s(t), s(t), x(t));
      vmulps(x(t), x(t), x(t));  // not an FMA: the square rounds first, as in row_sum(x * x)
      vaddps(q(t), q(t), x(t));
    }
  }

  // s(0), q(0) -> out[0], out[1], each folded as the row-sum equations fold (lane_fold.hpp)
  void store_sums() {
    using namespace Xbyak;
    const auto add = [this](const auto& a, const auto& b) { vaddps(a, a, b); };
    fold_lanes<V>(*this, s(0).getIdx(), x(0).getIdx(), add);
    fold_lanes<V>(*this, q(0).getIdx(), x(1).getIdx(), add);
    const Xmm sx(s(0).getIdx()), qx(q(0).getIdx());
    vunpcklps(sx, sx, qx);
    vmovlps(ptr[out_], sx);
  }

  const detail::reduce_desc d_;
  const int es_;  // input element bytes
  const_table consts_;
  io<V> io_;
  Xbyak::Reg64 in_, out_, row_, col_;
};

}  // namespace tpp::jit::x86
