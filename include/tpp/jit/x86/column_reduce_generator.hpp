// The x86 column reduction generator (V = Ymm or Zmm): out[j] = reduce_i in[i][j].
//
//   for passes over 8 rows at a time (detail::column_reduce_pass_rows says why):
//     for column blocks of u vectors (then the remaining vectors, then the masked tail):
//       acc[u] (and sq[u] for sum_and_sum_squares) = identity in the first pass, else out[block]
//       for i in the pass's rows:  x = in[i][block];  acc op= x     (a pointer walks down by ld)
//       out[block] = acc (out[ld + block] = sq)
//
// max/min skip NaN (vmaxps(acc, x, acc) keeps acc when x is NaN), as the row reductions do.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/staging.hpp"
#include "tpp/jit/x86/vec.hpp"
#include "tpp/ops/reduce_params.hpp"

namespace tpp::jit::x86 {

// Row displacements stay in pointer arithmetic; only the column offsets are immediates.
inline bool column_reduce_supports(const detail::reduce_desc& d) {
  return static_cast<long long>(d.cols) * 4 * 2 < (1LL << 30) && static_cast<long long>(d.ldo) * 4 < (1LL << 30) &&
         static_cast<long long>(d.ldi) * size_of(d.in_type) < (1LL << 30);
}

template <class V>
class column_reduce_generator : public Xbyak::CodeGenerator {
  static constexpr int VL = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;
  static constexpr int U = 4;  // vectors per block: 4 independent chains per output vector

 public:
  explicit column_reduce_generator(const detail::reduce_desc& d)
      : Xbyak::CodeGenerator(1 << 16, Xbyak::DontSetProtectRWE, staging()),
        d_(d),
        consts_(vec<V>::bytes),
        io_(*this, consts_, false, V(vec<V>::count - 1)) {
    emit();
  }

 private:
  bool both() const { return d_.op == reduce_kind::sum_and_sum_squares; }

  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 6, 0, false);
    const Reg64 args = sf.p[0];
    in_ = sf.t[0];
    out_ = sf.t[1];
    p_ = sf.t[2];
    i_ = sf.t[3];
    in0_ = sf.t[4];
    out0_ = sf.t[5];
    mov(in0_, ptr[args]);
    mov(out0_, ptr[args + 8]);
    if (const int tail = d_.cols % VL) io_.set_tail(tail, i_.cvt32());
    const int chunk = detail::column_reduce_pass_rows(d_, U * VL);
    const int first = std::min(d_.rows, chunk), later = (d_.rows - first) / chunk, rem = (d_.rows - first) % chunk;
    // in0_ += n rows (through p_, free between passes: n * ld may pass 2^31 bytes)
    const auto skip_rows = [&](int n) {
      mov(p_, static_cast<std::uint64_t>(static_cast<long>(n) * d_.ldi * size_of(d_.in_type)));
      add(in0_, p_);
    };
    emit_pass(first, true);
    if (later || rem) skip_rows(first);
    if (later) {
      Label loop;
      mov(p_.cvt32(), later);
      push(p_);  // the chunk count lives on the stack
      L(loop);
      emit_pass(chunk, false);
      skip_rows(chunk);
      dec(qword[rsp]);
      jnz(loop, T_NEAR);
      pop(p_);
    }
    if (rem) emit_pass(rem, false);
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  // One pass over `rows` rows from in0_ into out0_: column blocks of U vectors, then the
  // remaining vectors, then the masked tail; `first` starts from the identity, later passes
  // from the partial results in out.
  void emit_pass(int rows, bool first) {
    using namespace Xbyak;
    mov(in_, in0_);
    mov(out_, out0_);
    const int full = d_.cols / VL, blocks = full / U, rest = full % U, tail = d_.cols % VL;
    if (blocks) {
      Label loop;
      mov(p_.cvt32(), blocks);
      push(p_);  // the block count lives on the stack; p_ walks the rows
      L(loop);
      emit_block(U, VL, rows, first);
      add(in_, U * VL * size_of(d_.in_type));
      add(out_, U * VL * 4);
      dec(qword[rsp]);
      jnz(loop, T_NEAR);
      pop(p_);
    }
    if (rest) {
      emit_block(rest, VL, rows, first);
      add(in_, rest * VL * size_of(d_.in_type));
      add(out_, rest * VL * 4);
    }
    if (tail) emit_block(1, tail, rows, first);
  }

  float identity() const {
    if (d_.op == reduce_kind::max) return -std::numeric_limits<float>::infinity();
    if (d_.op == reduce_kind::min) return std::numeric_limits<float>::infinity();
    return 0.0f;
  }

  // `lanes` vectors at in_/out_ over `rows` rows; the last holds n_last columns
  void emit_block(int lanes, int n_last, int rows, bool first) {
    using namespace Xbyak;
    const auto acc = [](int t) { return V(t); };
    const auto sq = [](int t) { return V(U + t); };
    const auto x = [](int t) { return V(2 * U + t); };
    const auto n_of = [&](int t) { return t == lanes - 1 ? n_last : VL; };
    const auto sq_at = [&](int t) { return out_ + static_cast<int>((static_cast<long>(d_.ldo) + t * VL) * 4); };
    for (int t = 0; t < lanes; ++t) {
      if (first) {
        vmovups(acc(t), consts_.f(identity()));
        if (both()) vxorps(sq(t), sq(t), sq(t));
      } else {
        io_.load(acc(t), dtype::f32, out_ + t * VL * 4, n_of(t));
        if (both()) io_.load(sq(t), dtype::f32, sq_at(t), n_of(t));
      }
    }
    Label row_loop;
    mov(p_, in_);
    mov(i_, rows);
    L(row_loop);
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
    jnz(row_loop, T_NEAR);
    for (int t = 0; t < lanes; ++t) {
      io_.store(acc(t), dtype::f32, out_ + t * VL * 4, n_of(t), x(0), x(1));
      if (both()) io_.store(sq(t), dtype::f32, sq_at(t), n_of(t), x(0), x(1));
    }
  }

  const detail::reduce_desc d_;
  const_table consts_;
  io<V> io_;
  Xbyak::Reg64 in_, out_, p_, i_, in0_, out0_;
};

}  // namespace tpp::jit::x86
