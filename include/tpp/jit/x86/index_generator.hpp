// The x86 indexed-rows generator (V = Ymm or Zmm): gather, scatter and the embedding bag.
//
//   gather / scatter:  for k < count: row = idx[k]; copy the cols of one row (converting types)
//   bag_sum:           for column blocks of up to 4 vectors: acc = 0;
//                        for k < count: acc += table[idx[k]][block];  out[block] = acc
#pragma once

#include <algorithm>
#include <cstddef>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/index_desc.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/staging.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

// The column loop is unrolled into the code: rows up to 8192 columns (about 32 KiB of code).
inline bool index_supports(const detail::index_desc& d) { return d.cols <= 8192; }

template <class V>
class index_generator : public Xbyak::CodeGenerator {
  static constexpr int VL = vec<V>::lanes;
  static constexpr int U = 4;

 public:
  explicit index_generator(const detail::index_desc& d)
      : Xbyak::CodeGenerator(1 << 17, Xbyak::DontSetProtectRWE, staging()),
        d_(d),
        consts_(vec<V>::bytes),
        io_(*this, consts_, d.level >= isa::avx512_bf16, V(vec<V>::count - 1)) {
    emit();
  }

 private:
  void emit() {
    using namespace Xbyak;
    using detail::index_args;
    util::StackFrame sf(this, 1, 7, 0, false);
    const Reg64 args = sf.p[0];
    table_ = sf.t[0];
    idx_ = sf.t[1];
    count_ = sf.t[2];
    other_ = sf.t[3];
    k_ = sf.t[4];
    row_ = sf.t[5];
    s0_ = sf.t[6];
    mov(table_, ptr[args + offsetof(index_args, table)]);
    mov(idx_, ptr[args + offsetof(index_args, indices)]);
    mov(count_, ptr[args + offsetof(index_args, count)]);
    mov(other_, ptr[args + offsetof(index_args, other)]);
    if (const int tail = d_.cols % VL) io_.set_tail(tail, s0_.cvt32());
    if (d_.op == index_op::bag_sum) emit_bag();
    else emit_copy();
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  // row_ = table row address of idx[k_]
  void table_row() {
    using namespace Xbyak;
    if (d_.index_type == index_width::i32) movsxd(row_, dword[idx_ + k_ * 4]);
    else mov(row_, qword[idx_ + k_ * 8]);
    imul(row_, row_, static_cast<int>(static_cast<long>(d_.ld_table) * size_of(d_.table_type)));
    add(row_, table_);
  }

  // for k < count: row_ = the table row of idx[k]; body()
  template <class Body>
  void for_each_index(Body body) {
    using namespace Xbyak;
    Label loop, done;
    xor_(k_, k_);
    cmp(count_, 0);
    jle(done, T_NEAR);
    L(loop);
    table_row();
    body();
    inc(k_);
    cmp(k_, count_);
    jl(loop, T_NEAR);
    L(done);
  }

  void emit_copy() {
    using namespace Xbyak;
    const bool gather = d_.op == index_op::gather;
    const dtype src_t = gather ? d_.table_type : d_.other_type, dst_t = gather ? d_.other_type : d_.table_type;
    for_each_index([&] {
      // other row: other + k * ld_other * size
      imul(s0_, k_, static_cast<int>(static_cast<long>(d_.ld_other) * size_of(d_.other_type)));
      add(s0_, other_);
      const Reg64 &src = gather ? row_ : s0_, &dst = gather ? s0_ : row_;
      for (int j = 0; j < d_.cols; j += VL) {
        const int n = std::min(VL, d_.cols - j);
        io_.load(V(0), src_t, src + j * size_of(src_t), n);
        io_.store(V(0), dst_t, dst + j * size_of(dst_t), n, V(1), V(2));
      }
    });
  }

  void emit_bag() {
    using namespace Xbyak;
    for (int j0 = 0; j0 < d_.cols; j0 += U * VL) {
      const int lanes = std::min(U, (d_.cols - j0 + VL - 1) / VL);
      const auto n_of = [&](int t) { return std::min(VL, d_.cols - j0 - t * VL); };
      for (int t = 0; t < lanes; ++t) vxorps(V(t), V(t), V(t));
      for_each_index([&] {
        for (int t = 0; t < lanes; ++t) {
          io_.load(V(U + t), d_.table_type, row_ + (j0 + t * VL) * size_of(d_.table_type), n_of(t));
          vaddps(V(t), V(t), V(U + t));
        }
      });
      for (int t = 0; t < lanes; ++t)
        io_.store(V(t), d_.other_type, other_ + (j0 + t * VL) * size_of(d_.other_type), n_of(t), V(U), V(U + 1));
    }
  }

  const detail::index_desc d_;
  const_table consts_;
  io<V> io_;
  Xbyak::Reg64 table_, idx_, count_, other_, k_, row_, s0_;
};

}  // namespace tpp::jit::x86
