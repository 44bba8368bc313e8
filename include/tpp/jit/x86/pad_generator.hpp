// The x86 pad generator: in [rows x cols] -> out [R x C] (R, C: rows and cols rounded up to the
// pad multiples), zeros around, any element size (transform pad).
//
//   for each of the rows:   copy cols * esize bytes, then zero (C - cols) * esize bytes
//   for rows .. R:          zero C * esize bytes
//
// Byte runs move 128 bytes a loop step (four ymm), then exact 32/16/8/4/2/1-byte pieces, so no
// access leaves an operand and the gap between rows (ld > C) is never touched. Runs at every x86
// level (VEX ymm).
#pragma once

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/transform_desc.hpp"
#include "tpp/jit/x86/staging.hpp"

namespace tpp::jit::x86 {

class pad_generator : public Xbyak::CodeGenerator {
 public:
  static bool supports(const detail::transform_desc& d) {
    const long long lim = 1LL << 30;  // row steps and in-row displacements within 31 bits
    return d.op == transform_op::pad && static_cast<long long>(d.ldi) * d.esize < lim &&
           static_cast<long long>(d.ldo) * d.esize < lim;
  }

  explicit pad_generator(const detail::transform_desc& d)
      : Xbyak::CodeGenerator(1 << 14, Xbyak::DontSetProtectRWE, staging()), d_(d) {
    emit();
  }

 private:
  using Reg64 = Xbyak::Reg64;

  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 5, 0, false);
    const Reg64 args = sf.p[0];
    in_ = sf.t[0];
    out_ = sf.t[1];
    row_ = sf.t[2];
    off_ = sf.t[3];
    s_ = sf.t[4];
    mov(in_, ptr[args]);
    mov(out_, ptr[args + 8]);
    vpxor(Xbyak::Ymm(4), Xbyak::Ymm(4), Xbyak::Ymm(4));
    const long es = d_.esize;
    const long data = d_.cols * es, padded = static_cast<long>(d_.out_cols) * es;
    // rows that carry data
    Label copy_rows;
    mov(row_, d_.rows);
    L(copy_rows);
    run(data, true, 0);
    run(padded - data, false, data);
    add(in_, static_cast<int>(d_.ldi * es));
    add(out_, static_cast<int>(d_.ldo * es));
    dec(row_);
    jnz(copy_rows, T_NEAR);
    // rows of zeros
    if (d_.out_rows > d_.rows) {
      Label zero_rows;
      mov(row_, d_.out_rows - d_.rows);
      L(zero_rows);
      run(padded, false, 0);
      add(out_, static_cast<int>(d_.ldo * es));
      dec(row_);
      jnz(zero_rows, T_NEAR);
    }
    vzeroupper();
    sf.close();
  }

  // n bytes of the current row from byte `at`: copied from in (copy) or zeroed (ymm4 / s = 0)
  void run(long n, bool copy, long at) {
    using namespace Xbyak;
    if (n <= 0) return;
    long done = 0;
    if (n >= 256) {  // a loop over 128-byte steps: the run's length does not grow the code
      Label step;
      xor_(off_, off_);
      L(step);
      for (int v = 0; v < 4; ++v) piece(32, copy, out_ + off_ + static_cast<int>(at + 32 * v), in_ + off_ + static_cast<int>(at + 32 * v), v);
      add(off_, 128);
      cmp(off_, static_cast<int>(n / 128 * 128));
      jl(step, T_NEAR);
      done = n / 128 * 128;
    }
    if (!copy && (n - done) % 16) xor_(s_.cvt32(), s_.cvt32());  // the zero the 8..1-byte pieces store
    for (int size : {32, 16, 8, 4, 2, 1})
      while (n - done >= size) {
        const int o = static_cast<int>(at + done);
        piece(size, copy, out_ + o, in_ + o, 0);
        done += size;
      }
  }

  // one move of `size` bytes from `from` (copy) or of zeros to `to`; ymm v carries a 32-byte copy
  void piece(int size, bool copy, const Xbyak::RegExp& to, const Xbyak::RegExp& from, int v) {
    using namespace Xbyak;
    if (size == 32) {
      const Ymm y = copy ? Ymm(v) : Ymm(4);
      if (copy) vmovdqu(y, ptr[from]);
      vmovdqu(ptr[to], y);
      return;
    }
    if (size == 16) {
      const Xmm x = copy ? Xmm(0) : Xmm(4);
      if (copy) vmovdqu(x, ptr[from]);
      vmovdqu(ptr[to], x);
      return;
    }
    const Reg64 r = s_;
    if (copy) {
      if (size == 8) mov(r, qword[from]);
      else if (size == 4) mov(r.cvt32(), dword[from]);
      else if (size == 2) movzx(r.cvt32(), word[from]);
      else movzx(r.cvt32(), byte[from]);
    }
    if (size == 8) mov(qword[to], r);
    else if (size == 4) mov(dword[to], r.cvt32());
    else if (size == 2) mov(word[to], r.cvt16());
    else mov(byte[to], r.cvt8());
  }

  const detail::transform_desc d_;
  Reg64 in_, out_, row_, off_, s_;
};

}  // namespace tpp::jit::x86
