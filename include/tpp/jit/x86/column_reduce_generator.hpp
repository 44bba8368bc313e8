// The x86 column reduction generator (V = Ymm or Zmm): out[j] = reduce_i in[i][j].
//
//   for column blocks of u vectors (then the remaining vectors, then the masked tail):
//     acc[u] (and sq[u] for sum_and_sum_squares) = identity
//     for i < rows:  x = in[i][block];  acc op= x        (a pointer walks down by ld)
//     out[block] = acc (out[ld + block] = sq)
//
// max/min skip NaN (vmaxps(acc, x, acc) keeps acc when x is NaN), as the row reductions do.
#pragma once

#include <algorithm>
#include <limits>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/vec.hpp"
#include "tpp/ops/reduce_params.hpp"

namespace tpp::jit::x86 {

// Row displacements stay in pointer arithmetic; only the column offsets are immediates.
inline bool column_reduce_supports(const detail::column_reduce_desc& d) {
  return static_cast<long long>(d.cols) * 4 * 2 < (1LL << 30) && static_cast<long long>(d.ldo) * 4 < (1LL << 30) &&
         static_cast<long long>(d.ldi) * size_of(d.in_type) < (1LL << 30);
}

template <class V>
class column_reduce_generator : public Xbyak::CodeGenerator {
  static constexpr int VL = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;
  static constexpr int U = 4;  // vectors per block: 4 independent chains per output vector

 public:
  explicit column_reduce_generator(const detail::column_reduce_desc& d)
      : Xbyak::CodeGenerator(1 << 16, Xbyak::DontSetProtectRWE),
        d_(d),
        consts_(vec<V>::bytes),
        io_(*this, consts_, false, V(vec<V>::count - 1)) {
    emit();
  }

 private:
  bool both() const { return d_.op == reduce_kind::sum_and_sum_squares; }

  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 4, 0, false);
    const Reg64 args = sf.p[0];
    in_ = sf.t[0];
    out_ = sf.t[1];
    p_ = sf.t[2];
    i_ = sf.t[3];
    mov(in_, ptr[args]);
    mov(out_, ptr[args + 8]);
    if (const int tail = d_.cols % VL) io_.set_tail(tail, i_.cvt32());
    const int full = d_.cols / VL, blocks = full / U, rest = full % U, tail = d_.cols % VL;
    if (blocks) {
      Label loop;
      mov(p_.cvt32(), blocks);
      push(p_);  // the block count lives on the stack; p_ walks the rows
      L(loop);
      emit_block(U, VL);
      add(in_, U * VL * size_of(d_.in_type));
      add(out_, U * VL * 4);
      dec(qword[rsp]);
      jnz(loop, T_NEAR);
      pop(p_);
    }
    if (rest) {
      emit_block(rest, VL);
      add(in_, rest * VL * size_of(d_.in_type));
      add(out_, rest * VL * 4);
    }
    if (tail) emit_block(1, tail);
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  float identity() const {
    if (d_.op == reduce_kind::max) return -std::numeric_limits<float>::infinity();
    if (d_.op == reduce_kind::min) return std::numeric_limits<float>::infinity();
    return 0.0f;
  }

  // `lanes` vectors at in_/out_; the last holds n_last columns
  void emit_block(int lanes, int n_last) {
    using namespace Xbyak;
    const auto acc = [](int t) { return V(t); };
    const auto sq = [](int t) { return V(U + t); };
    const auto x = [](int t) { return V(2 * U + t); };
    const auto n_of = [&](int t) { return t == lanes - 1 ? n_last : VL; };
    for (int t = 0; t < lanes; ++t) {
      vmovups(acc(t), consts_.f(identity()));
      if (both()) vxorps(sq(t), sq(t), sq(t));
    }
    Label rows;
    mov(p_, in_);
    mov(i_, d_.rows);
    L(rows);
    for (int t = 0; t < lanes; ++t) {
      io_.load(x(t), d_.in_type, p_ + t * VL * size_of(d_.in_type), n_of(t));
      switch (d_.op) {
        case reduce_kind::max: vmaxps(acc(t), x(t), acc(t)); break;
        case reduce_kind::min: vminps(acc(t), x(t), acc(t)); break;
        case reduce_kind::sum_squares: vfmadd231ps(acc(t), x(t), x(t)); break;
        case reduce_kind::sum_and_sum_squares:
          vaddps(acc(t), acc(t), x(t));
          vfmadd231ps(sq(t), x(t), x(t));
          break;
        default: vaddps(acc(t), acc(t), x(t));
      }
    }
    add(p_, static_cast<int>(static_cast<long>(d_.ldi) * size_of(d_.in_type)));
    dec(i_);
    jnz(rows, T_NEAR);
    for (int t = 0; t < lanes; ++t) {
      io_.store(acc(t), dtype::f32, out_ + t * VL * 4, n_of(t), x(0), x(1));
      if (both()) io_.store(sq(t), dtype::f32, out_ + static_cast<int>((static_cast<long>(d_.ldo) + t * VL) * 4), n_of(t), x(0), x(1));
    }
  }

  const detail::column_reduce_desc d_;
  const_table consts_;
  io<V> io_;
  Xbyak::Reg64 in_, out_, p_, i_;
};

}  // namespace tpp::jit::x86
