// The BRGEMM epilogue as an injector: it transforms accumulator registers of one C block in place
// and stores them. Both BRGEMM generators (vector FMA and AMX tiles) call it, so the bias, the
// binary op with D, the relu bitmask, the unary injector and the conversion to C's type exist once.
//
//   cell (r, v) of the block at (row0, col0): C[row0 + r][col0 + v*L .. + lanes)
//   acc = acc (+ C if add_c) + bias[col] (op) D[row][col]  -> relu bits -> unary -> C's type -> C
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <vector>

#include <xbyak/xbyak.h>

#include "tpp/detail/brgemm_desc.hpp"
#include "tpp/jit/x86/binary_injector.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/math.hpp"
#include "tpp/jit/x86/unary_injector.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

// Vector temporaries the epilogue needs per accumulator it transforms.
inline int brgemm_epilogue_temps(const detail::brgemm_desc& d, bool add_c = false) {
  int t = injector_temps(d.unary);
  if (add_c || d.bias != dtype::none || d.d.type != dtype::none || d.mask.type != dtype::none)
    t = std::max(t, 1);
  if (d.d.type != dtype::none && (d.binary == binary_op::max || d.binary == binary_op::min))
    t = std::max(t, 3);
  if (d.c_type == dtype::bf16 && d.level < isa::avx512_bf16) t = std::max(t, 2);  // emulated RNE
  return t;
}

template <class V>
class brgemm_epilogue_emitter {
  static constexpr int kL = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;
  using lanes_t = typename math<V>::lanes_t;

 public:
  // The general registers it uses while it runs: the kernel's args pointer, the block origin,
  // four pointers (C, bias, D, bitmask) and one scratch; all but args/row0/col0 are clobbered.
  struct registers {
    Xbyak::Reg64 args, row0, col0, c, bias, d, mask, scratch;
  };
  struct cell {
    int r, v;
  };

  brgemm_epilogue_emitter(Xbyak::CodeGenerator& g, const detail::brgemm_desc& d, io<V>& io,
                          unary_injector<V>& inj, const registers& regs)
      : g_(g), d_(d), io_(io), inj_(inj), x_(regs) {}

  // Points the C, bias, D and bitmask registers at the block (row0, col0).
  void set_block() {
    using detail::brgemm_args;
    block_ptr(x_.c, arg(offsetof(brgemm_args, c)), static_cast<long>(d_.ldc) * size_of(d_.c_type),
              size_of(d_.c_type));
    if (d_.bias != dtype::none) block_ptr(x_.bias, arg(offsetof(brgemm_args, bias)), 0, size_of(d_.bias));
    if (d_.d.type != dtype::none)
      block_ptr(x_.d, arg(offsetof(brgemm_args, d)), static_cast<long>(d_.d.ld) * size_of(d_.d.type),
                size_of(d_.d.type));
    if (d_.mask.type == dtype::bit) {
      g_.mov(x_.mask, arg(offsetof(brgemm_args, mask)));
      g_.imul(x_.scratch, x_.row0, d_.mask.ld / 8);
      g_.add(x_.mask, x_.scratch);
      g_.mov(x_.scratch, x_.col0);
      g_.shr(x_.scratch, 3);
      g_.add(x_.mask, x_.scratch);
    }
  }

  // Transforms and stores the cells; reg(cell) holds each, lanes(v) is the columns vector v
  // covers, free are the vector registers it may use as temporaries (at least temps() of them).
  void emit(const std::vector<cell>& cells, const std::function<V(cell)>& reg,
            const std::function<int(int)>& lanes, const std::vector<V>& free, bool add_c) {
    using namespace Xbyak;
    const int temps = brgemm_epilogue_temps(d_, add_c);
    const std::size_t group =
        temps == 0 ? cells.size() : std::max<std::size_t>(1, free.size() / static_cast<std::size_t>(temps));
    for (std::size_t g0 = 0; g0 < cells.size(); g0 += group) {
      const std::size_t g1 = std::min(cells.size(), g0 + group);
      lanes_t ls;
      for (std::size_t c = g0; c < g1; ++c) {
        lane<V> l = math<V>::make_lane(reg(cells[c]), {});
        for (int t = 0; t < 6; ++t) l.t[t] = t < temps ? free[(c - g0) * temps + t] : l.v;
        ls.push_back(l);
      }
      for (std::size_t c = g0; c < g1; ++c) {
        const auto [r, v] = cells[c];
        const lane<V>& l = ls[c - g0];
        const int n = lanes(v);
        if (add_c) {
          const long e = static_cast<long>(r) * d_.ldc + static_cast<long>(v) * kL;
          io_.load(l.t[0], d_.c_type, x_.c + e * size_of(d_.c_type), n);
          g_.vaddps(l.v, l.v, l.t[0]);
        }
        if (d_.bias != dtype::none) {
          io_.load(l.t[0], d_.bias, x_.bias + static_cast<long>(v) * kL * size_of(d_.bias), n);
          g_.vaddps(l.v, l.v, l.t[0]);
        }
        if (d_.d.type != dtype::none) {
          const long e = static_cast<long>(r) * d_.d.ld + static_cast<long>(v) * kL;
          io_.load(l.t[0], d_.d.type, x_.d + e * size_of(d_.d.type), n);
          apply_binary(l);
        }
        if (d_.mask.type == dtype::bit)
          store_relu_bits(l, x_.mask + (static_cast<long>(r) * d_.mask.ld + static_cast<long>(v) * kL) / 8, n);
      }
      if (d_.unary != unary_op::copy) inj_.apply(d_.unary, d_.alpha, ls);
      for (std::size_t c = g0; c < g1; ++c) {
        const auto [r, v] = cells[c];
        const lane<V>& l = ls[c - g0];
        const long e = static_cast<long>(r) * d_.ldc + static_cast<long>(v) * kL;
        io_.store(l.v, d_.c_type, x_.c + e * size_of(d_.c_type), lanes(v), l.t[0], l.t[1]);
      }
    }
  }

  // dst = base + row0 * row_bytes + col0 * col_bytes (col_bytes in 1, 2, 4, 8)
  void block_ptr(const Xbyak::Reg64& dst, const Xbyak::Address& base, long row_bytes, int col_bytes) {
    g_.mov(dst, base);
    if (row_bytes) {
      g_.imul(x_.scratch, x_.row0, static_cast<int>(row_bytes));
      g_.add(dst, x_.scratch);
    }
    g_.lea(dst, g_.ptr[dst + x_.col0 * col_bytes]);
  }

 private:
  Xbyak::Address arg(std::size_t offset) { return g_.qword[x_.args + static_cast<int>(offset)]; }

  // l.v = l.v (op) l.t[0]
  void apply_binary(const lane<V>& l) { emit_binary<V>(g_, d_.binary, l.v, l.v, l.t[0], l.t[1], l.t[2]); }

  // bits (v > 0) of n lanes -> the bitmask at a (bits past n in the byte written as 0)
  void store_relu_bits(const lane<V>& l, const Xbyak::RegExp& a, int n) {
    using namespace Xbyak;
    const Reg32 s = x_.scratch.cvt32();
    g_.vxorps(l.t[0], l.t[0], l.t[0]);
    if constexpr (avx512) {
      g_.vcmpps(Opmask(2), l.v, l.t[0], 0x1E /*GT_OQ*/);
      g_.kmovw(s, Opmask(2));
    } else {
      g_.vcmpps(l.t[0], l.v, l.t[0], 0x1E);
      g_.vmovmskps(s, l.t[0]);
    }
    io_.store_bits(a, n, s);
  }

  Xbyak::CodeGenerator& g_;
  const detail::brgemm_desc& d_;
  io<V>& io_;
  unary_injector<V>& inj_;
  registers x_;
};

}  // namespace tpp::jit::x86
