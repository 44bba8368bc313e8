// The NEON BRGEMM generator (AArch64): one kernel per descriptor, the same loop nest as the x86
// vector generator, sized for 32 vector registers of four f32 lanes.
//
//   for row0 in m-blocks of mr rows (then the m remainder):
//     for col0 in n-blocks of nv vectors (then the n remainder + tail):
//       acc[mr x nv] = beta ? C : 0                                      v0 .. v(mr*nv - 1)
//       for i < count:  A_i, B_i from the stride / offsets / addresses
//         a_r = A_i row (row0 + r) pointers                              x19 .. x26
//         for each quad of k units:  A[r] = 4 units of row r (one ldr q, post-indexed)
//           for u < 4:  B[v] = B_i unit row (col0 + 4v ..);  acc[r][v] += B[v] * A[r].s[u]
//       epilogue on acc (bias, binary with D, activation), convert, store
//
// A unit is one k value (fmla by element), or a bf16 pair at neon_bf16 with VNNI B (bfdot by
// element: acc += B pair . A pair). bf16 / f16 A and B without VNNI are widened to f32 as they
// load (shll / fcvtl). Column and k tails load and store exactly their lanes (ldr d / s / h and
// ld1 / st1 of one lane), so no access leaves an operand.
//
// Covered: A normal or transposed (per k, one load of the block's rows from the A^T row, fmla
// by their lanes); B normal (f32, bf16, f16) or VNNI (bf16, bfdot at neon_bf16); C f32, f16,
// bf16 (bfcvtn, neon_bf16); epilogue bias, binary add/sub/mul/div/max/min with D, relu and the
// transcendental activations of a64/math.hpp (exp, tanh, sigmoid, gelu_tanh, gelu_erf, erf, elu;
// their constants in a table after the code), the relu bitmask (c > 0 before the activation; with
// a mask the blocks start on whole mask bytes). B transposed is staged into this generator's
// B-normal kernel (bf16 at neon_bf16 with k and ldb even: its VNNI kernel) by tpp/ops/brgemm.hpp;
// u8*i8 runs the reference.
//
// AAPCS64: the kernel saves the x19-x28 and d8-d15 it uses (in pairs), and touches nothing else.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tpp/core/cpu.hpp"
#include "tpp/detail/brgemm_block.hpp"
#include "tpp/detail/brgemm_desc.hpp"
#include "tpp/jit/a64/arith.hpp"
#include "tpp/jit/a64/assembler.hpp"
#include "tpp/jit/a64/io.hpp"
#include "tpp/jit/a64/math.hpp"

namespace tpp::jit::a64 {

// k values per multiply unit: 2 for bfdot (bf16 A normal, bf16 VNNI B, BF16 present), else 1.
inline int brgemm_unit(const detail::brgemm_desc& d) {
  return d.level >= isa::neon_bf16 && d.a_type == dtype::bf16 && d.a_layout == gemm_layout::normal &&
                 d.b_layout == gemm_layout::vnni
             ? 2
             : 1;
}

inline bool brgemm_supports(const detail::brgemm_desc& d) {
  if (!is_arm(d.level)) return false;
  const auto float_io = [&](dtype t) {
    return t == dtype::f32 || t == dtype::f16 || (t == dtype::bf16 && d.level >= isa::neon_bf16) ||
           t == dtype::none;
  };
  if (d.a_type == dtype::u8 || d.b_layout == gemm_layout::transposed) return false;
  if (d.b_layout == gemm_layout::vnni && brgemm_unit(d) != 2) return false;
  // bf16 output needs bfcvtn; bf16 inputs only widen (shll), so any level reads them
  if (!float_io(d.c_type) || !float_io(d.d.type)) return false;
  if (math::temps(d.unary) < 0) return false;
  if (d.d.type != dtype::none && static_cast<int>(d.binary) > static_cast<int>(binary_op::min)) return false;
  return true;
}

// Registers for an mr x nv block: accumulators, mr A quads and nv B vectors; after the k loop
// the epilogue needs two temporaries (bias, D), which are also a64::math's constant and mask
// registers, plus one lane's temporaries of the activation, and for the relu bitmask four more
// (zero, weights, a lane mask, the byte being built).
inline int epilogue_registers(unary_op act, bool bitmask) { return std::max(2 + math::temps(act), bitmask ? 6 : 0); }
inline bool brgemm_fits(int mr, int nv, unary_op act, bool bitmask) {
  return mr * nv + mr + nv <= 32 && 32 - mr * nv >= epilogue_registers(act, bitmask);
}

// Cycles per k unit of a rows x vecs block on a core with two 4-cycle FMA pipes and two loads per
// cycle (Neoverse N1 / V1 class): rows*vecs fmla, vecs B loads plus a quarter A load per row, and
// each accumulator one dependent chain (the latency floor, 5 when the operands stream from L2).
inline detail::brgemm_block choose_neon_block(const detail::brgemm_desc& d) {
  const double floor = detail::brgemm_streams(d) ? 5.0 : 4.0;
  // with a bitmask, blocks start on whole mask bytes: nv even, or one block spanning n
  const bool bits = d.mask.type == dtype::bit;
  const int vecs = (d.n + 3) / 4;
  const auto fits = [&](int mr, int nv) {
    return brgemm_fits(mr, nv, d.unary, bits) && (!bits || nv % 2 == 0 || nv == vecs);
  };
  return detail::choose_brgemm_block(d, 4, 8, 8, fits, [floor](int rows, int v) {
    return std::max({rows * v / 2.0, (v + rows / 4.0) / 2.0, floor});
  });
}

class brgemm_generator {
  using desc = detail::brgemm_desc;

 public:
  explicit brgemm_generator(const desc& d) : d_(d), unit_(brgemm_unit(d)), blk_(choose_neon_block(d)) { emit(); }
  const std::vector<std::uint32_t>& words() const { return a_.words(); }
  detail::brgemm_block block() const { return blk_; }

 private:
  // ---- registers --------------------------------------------------------------------------------
  const xreg args_ = x(0), crow_ = x(1), aoff_ = x(2), col_ = x(3), rowcnt_ = x(4), colcnt_ = x(5),
             idx_ = x(6), tab_a_ = x(7), tab_b_ = x(8), acur_ = x(9), brow_ = x(10), kcnt_ = x(11),
             cblk_ = x(12), t0_ = x(13), lda_ = x(14), bstep_ = x(15), s0_ = x(16), s1_ = x(17), drow_ = x(27),
             mrow_ = x(28);
  xreg arow(int r) const { return x(19 + r); }
  vreg acc(int r, int c) const { return v(r * blk_.nv + c); }
  vreg areg(int r) const { return v(blk_.mr * blk_.nv + r); }
  vreg breg(int c) const { return v(blk_.mr * blk_.nv + blk_.mr + c); }

  // ---- sizes ----------------------------------------------------------------------------------
  int sa() const { return size_of(d_.a_type); }
  int sb() const { return size_of(d_.b_type); }
  int sc() const { return size_of(d_.c_type); }
  int b_col_bytes() const { return sb() * d_.vnni(); }  // bytes per column of one B (group) row
  bool vnni_b() const { return d_.b_layout == gemm_layout::vnni; }
  bool a_transposed() const { return d_.a_layout == gemm_layout::transposed; }

  // ---- emission -------------------------------------------------------------------------------
  // Callee-saved x registers the kernel uses, an even count (x28 pads an odd one: ldp may not
  // load one register twice).
  std::vector<int> saved_x() const {
    std::vector<int> r;
    for (int i = 0; i < blk_.mr; ++i) r.push_back(19 + i);
    if (d_.d.type != dtype::none) r.push_back(27);
    if (bitmask()) r.push_back(28);
    for (int pad = 28; r.size() % 2; --pad)
      if (std::find(r.begin(), r.end(), pad) == r.end()) r.push_back(pad);
    return r;
  }
  bool bitmask() const { return d_.mask.type == dtype::bit; }
  // Whether the loop's vector registers (accumulators, A quads, B vectors) reach v8.
  bool saves_d8() const { return blk_.mr * blk_.nv + blk_.mr + blk_.nv > 8; }

  void prologue() {
    const auto xs = saved_x();
    for (std::size_t i = 0; i < xs.size(); i += 2) a_.stp(x(xs[i]), x(xs[i + 1]), sp, -16, assembler::index::pre);
    if (saves_d8())
      for (int i = 8; i < 16; i += 2) a_.stp_d(v(i), v(i + 1), sp, -16, assembler::index::pre);
  }
  void epilogue_restore() {
    if (saves_d8())
      for (int i = 14; i >= 8; i -= 2) a_.ldp_d(v(i), v(i + 1), sp, 16, assembler::index::post);
    const auto xs = saved_x();
    for (std::size_t i = xs.size(); i >= 2; i -= 2) a_.ldp(x(xs[i - 2]), x(xs[i - 1]), sp, 16, assembler::index::post);
  }

  void emit() {
    using detail::brgemm_args;
    prologue();
    a_.ldr(crow_, args_, offsetof(brgemm_args, c));
    if (d_.d.type != dtype::none) a_.ldr(drow_, args_, offsetof(brgemm_args, d));
    if (bitmask()) a_.ldr(mrow_, args_, offsetof(brgemm_args, mask));
    a_.movz(aoff_, 0);
    a_.mov_imm(lda_, static_cast<std::uint64_t>(d_.lda) * sa());
    // bytes from one unit row of B to the next: a k row, or a VNNI group row under bfdot
    a_.mov_imm(bstep_, static_cast<std::uint64_t>(d_.ldb) * b_col_bytes());
    const int mb = d_.m / blk_.mr, mrem = d_.m % blk_.mr;
    if (mb) {
      label rows;
      a_.mov_imm(rowcnt_, static_cast<std::uint64_t>(mb));
      a_.bind(rows);
      emit_row_block(blk_.mr);
      a_.subs(rowcnt_, rowcnt_, 1);
      a_.b(cond::ne, rows);
    }
    if (mrem) emit_row_block(mrem);
    epilogue_restore();
    a_.ret();
    consts_.emit(a_);
  }

  void emit_row_block(int rows) {
    const int full_vecs = d_.n / 4, tail = d_.n % 4, nb = full_vecs / blk_.nv;
    const int rem = full_vecs - nb * blk_.nv + (tail ? 1 : 0);
    a_.movz(col_, 0);
    if (nb) {
      label cols;
      a_.mov_imm(colcnt_, static_cast<std::uint64_t>(nb));
      a_.bind(cols);
      emit_block(rows, blk_.nv, 4);
      a_.add(col_, col_, static_cast<std::uint32_t>(4 * blk_.nv));
      a_.subs(colcnt_, colcnt_, 1);
      a_.b(cond::ne, cols);
    }
    if (rem) emit_block(rows, rem, tail ? tail : 4);
    io_.add_imm(crow_, crow_, static_cast<long>(rows) * d_.ldc * sc());
    io_.add_imm(aoff_, aoff_, static_cast<long>(rows) * (a_transposed() ? 1 : d_.lda) * sa());
    if (d_.d.type != dtype::none) io_.add_imm(drow_, drow_, static_cast<long>(rows) * d_.d.ld * size_of(d_.d.type));
    if (bitmask()) io_.add_imm(mrow_, mrow_, static_cast<long>(rows) * d_.mask.ld / 8);
  }

  // One rows x vecs block at (row block, col_); the last vector holds n_last columns.
  void emit_block(int rows, int vecs, int n_last) {
    const auto lanes_of = [&](int v) { return v == vecs - 1 ? n_last : 4; };
    const int vbytes_c = 4 * sc();
    a_.add(cblk_, crow_, col_, log2_of(sc()));
    for (int r = 0; r < rows; ++r)
      for (int v = 0; v < vecs; ++v) {
        if (d_.beta) io_.load(acc(r, v), d_.c_type, cblk_, static_cast<long>(r) * d_.ldc * sc() + v * vbytes_c, lanes_of(v));
        else a_.movi_zero(acc(r, v));
      }
    emit_batch_loop(rows, vecs, n_last);
    emit_epilogue(rows, vecs, n_last);
  }

  void emit_batch_loop(int rows, int vecs, int n_last) {
    using detail::brgemm_args;
    label done, pair;
    a_.ldr(idx_, args_, offsetof(brgemm_args, count));
    a_.subs(xzr, idx_, 0);
    a_.b(cond::le, done);
    if (d_.batch == batch_kind::stride) {
      a_.ldr(tab_a_, args_, offsetof(brgemm_args, a));
      a_.ldr(tab_b_, args_, offsetof(brgemm_args, b));
    } else {
      a_.ldr(tab_a_, args_, offsetof(brgemm_args, batch_a));
      a_.ldr(tab_b_, args_, offsetof(brgemm_args, batch_b));
    }
    a_.bind(pair);
    switch (d_.batch) {
      case batch_kind::stride:
        a_.add(acur_, tab_a_, 0);
        a_.add(brow_, tab_b_, 0);
        io_.add_imm(tab_a_, tab_a_, d_.stride_a * sa());
        io_.add_imm(tab_b_, tab_b_, d_.stride_b * sb());
        break;
      case batch_kind::offset:
        a_.ldr_post(t0_, tab_a_, 8);
        a_.ldr(acur_, args_, offsetof(brgemm_args, a));
        a_.add(acur_, acur_, t0_, log2_of(sa()));
        a_.ldr_post(t0_, tab_b_, 8);
        a_.ldr(brow_, args_, offsetof(brgemm_args, b));
        a_.add(brow_, brow_, t0_, log2_of(sb()));
        break;
      case batch_kind::address:
        a_.ldr_post(acur_, tab_a_, 8);
        a_.ldr_post(brow_, tab_b_, 8);
        break;
    }
    a_.add(arow(0), acur_, aoff_);
    if (!a_transposed())
      for (int r = 1; r < rows; ++r) a_.add(arow(r), arow(r - 1), lda_);
    a_.add(brow_, brow_, col_, log2_of(b_col_bytes()));
    emit_k_loop(rows, vecs, n_last);
    a_.subs(idx_, idx_, 1);
    a_.b(cond::ne, pair);
    a_.bind(done);
  }

  // ---- the k loop -----------------------------------------------------------------------------
  void emit_k_loop(int rows, int vecs, int n_last) {
    const int units = d_.k / unit_, quads = units / 4, tail = units % 4;
    const int unroll = quads >= 4 && quads % 2 == 0 ? 2 : 1;  // quads per loop iteration
    if (quads / unroll >= 2) {
      label loop;
      a_.mov_imm(kcnt_, static_cast<std::uint64_t>(quads / unroll));
      a_.bind(loop);
      for (int q = 0; q < unroll; ++q) emit_units(rows, vecs, n_last, 4);
      a_.subs(kcnt_, kcnt_, 1);
      a_.b(cond::ne, loop);
      for (int q = 0; q < quads % unroll; ++q) emit_units(rows, vecs, n_last, 4);
    } else {
      for (int q = 0; q < quads; ++q) emit_units(rows, vecs, n_last, 4);
    }
    if (tail) emit_units(rows, vecs, n_last, tail);
  }

  // `count` (1..4) units: A rows (advancing the row pointers), then per unit the B row and the
  // multiplies.
  void emit_units(int rows, int vecs, int n_last, int count) {
    if (a_transposed()) return emit_units_at(rows, vecs, n_last, count);
    for (int r = 0; r < rows; ++r) load_a(areg(r), arow(r), count);
    for (int u = 0; u < count; ++u) {
      for (int v = 0; v < vecs; ++v) load_b(breg(v), v, v == vecs - 1 ? n_last : 4);
      a_.add(brow_, brow_, bstep_);
      for (int r = 0; r < rows; ++r)
        for (int v = 0; v < vecs; ++v) {
          if (unit_ == 2) a_.bfdot(acc(r, v), breg(v), areg(r), u);
          else a_.fmla(acc(r, v), breg(v), areg(r), u);
        }
    }
  }

  // A transposed (k x m, stored row-major): per k, the block's rows are contiguous in one A^T
  // row, so ceil(rows / 4) loads put row r in lane r % 4 of areg(r / 4); fmla by that lane.
  void emit_units_at(int rows, int vecs, int n_last, int count) {
    for (int u = 0; u < count; ++u) {
      for (int q = 0; 4 * q < rows; ++q) io_.load(areg(q), d_.a_type, arow(0), 4L * q * sa(), std::min(4, rows - 4 * q));
      a_.add(arow(0), arow(0), lda_);
      for (int v = 0; v < vecs; ++v) load_b(breg(v), v, v == vecs - 1 ? n_last : 4);
      a_.add(brow_, brow_, bstep_);
      for (int r = 0; r < rows; ++r)
        for (int v = 0; v < vecs; ++v) a_.fmla(acc(r, v), breg(v), areg(r / 4), r % 4);
    }
  }

  // `count` units of one A row into the lanes of a (as f32, or as bf16 pairs for bfdot).
  void load_a(vreg a, xreg row, int count) {
    if (unit_ == 2 || d_.a_type == dtype::f32) {
      if (count == 4) a_.ldr_q_post(a, row, 16);
      else {
        io_.load32(a, row, 0, count);
        io_.add_imm(row, row, 4 * count);
      }
      return;
    }
    if (count == 4) {
      a_.ldr_d_post(a, row, 8);
      io_.widen(a, d_.a_type);
    } else {
      io_.load(a, d_.a_type, row, 0, count);
      io_.add_imm(row, row, 2 * count);
    }
  }

  void load_b(vreg b, int v, int lanes) {
    if (unit_ == 2 || d_.b_type == dtype::f32) io_.load32(b, brow_, 16L * v, lanes);
    else io_.load(b, d_.b_type, brow_, 8L * v, lanes);
  }

  // ---- epilogue -------------------------------------------------------------------------------
  void emit_epilogue(int rows, int vecs, int n_last) {
    using detail::brgemm_args;
    const vreg tb = v(31), td = v(30);  // free: the block leaves >= 2 registers
    const auto lanes_of = [&](int v) { return v == vecs - 1 ? n_last : 4; };
    const int bias_size = d_.bias != dtype::none ? size_of(d_.bias) : 0;
    const int dsize = d_.d.type != dtype::none ? size_of(d_.d.type) : 0;
    if (bias_size) {
      a_.ldr(t0_, args_, offsetof(brgemm_args, bias));
      a_.add(t0_, t0_, col_, log2_of(bias_size));
    }
    if (dsize) a_.add(kcnt_, drow_, col_, log2_of(dsize));
    // constants (mask weights, the activation's) from the table after the code; acur_ is free
    // until the next block's k loop
    if (bitmask() || d_.unary != unary_op::copy) consts_.bind_base(a_, acur_);
    if (bitmask()) {  // x7: the block's first mask byte (col_ is a multiple of 8 here)
      a_.lsr(tab_a_, col_, 3);
      a_.add(tab_a_, tab_a_, mrow_);
      a_.movi_zero(v(29));
    }
    for (int r = 0; r < rows; ++r)
      for (int v = 0; v < vecs; ++v) {
        const vreg c = acc(r, v);
        if (bias_size) {
          io_.load(tb, d_.bias, t0_, 4L * v * bias_size, lanes_of(v));
          a_.fadd(c, c, tb);
        }
        if (dsize) {
          io_.load(td, d_.d.type, kcnt_, (static_cast<long>(r) * d_.d.ld + 4L * v) * dsize, lanes_of(v));
          emit_binary(a_, d_.binary, c, c, td);
        }
        if (bitmask()) relu_bits(r, v, vecs, lanes_of(v));
        if (d_.unary == unary_op::copy) store(r, v, lanes_of(v));
      }
    if (d_.unary == unary_op::copy) return;
    // the activation: over all accumulators, as many at a time as the free registers allow
    // (those above the accumulators, less math's constant and mask registers v31 / v30)
    std::vector<vreg> values, free;
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < vecs; ++c) values.push_back(acc(r, c));
    for (int r = blk_.mr * blk_.nv; r < 30; ++r) free.push_back(v(r));
    math_.apply(d_.unary, d_.alpha, values, free);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < vecs; ++c) store(r, c, lanes_of(c));
  }
  // Bits (c > 0) of vector v of row r: vectors 2p and 2p+1 make mask byte p of the row (bits
  // past the lanes zero). v29 zero, v28 weights, v27 lane mask, v26 the byte; x8 the row's bytes.
  void relu_bits(int r, int vec, int vecs, int lanes) {
    const vreg zero = v(29), w = v(28), m = v(27), byte = v(26);
    std::array<std::uint32_t, 4> bits{};
    for (int l = 0; l < lanes; ++l) bits[l] = 1u << (4 * (vec % 2) + l);
    consts_.load_lanes(a_, w, bits);
    a_.fcmgt(m, acc(r, vec), zero);
    if (vec % 2 == 0) {
      a_.and_(byte, m, w);
    } else {
      a_.and_(m, m, w);
      a_.add(byte, byte, m);
    }
    if (vec % 2 == 0 && vec < vecs - 1) return;  // the pair's second half comes next
    a_.addv(byte, byte);
    io_.add_imm(tab_b_, tab_a_, static_cast<long>(r) * d_.mask.ld / 8);
    a_.str_b(byte, tab_b_, static_cast<std::uint32_t>(vec / 2));
  }
  void store(int r, int v, int lanes) {
    io_.store(acc(r, v), d_.c_type, cblk_, static_cast<long>(r) * d_.ldc * sc() + 4L * v * sc(), lanes);
  }

  const desc d_;
  const int unit_;
  const detail::brgemm_block blk_;
  assembler a_;
  lane_io io_{a_, s0_, s1_};
  const_table consts_;
  math math_{a_, consts_, v(31), v(30)};
};

}  // namespace tpp::jit::a64
