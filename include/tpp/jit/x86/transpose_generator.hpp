// The x86 transpose generator for 32-bit (f32, i32), 16-bit (bf16, f16) and 8-bit elements, in ymm
// registers. One loop nest for every size, in 16 x 16 blocks:
//
//   for j0 in column panels of 16 g.cols:              whole 16 x 16 blocks, g = super_blocks()
//     for i0 in row blocks of 16 g.rows:   the g.rows x g.cols blocks of the super-block at
//                                          (i0, j0), in[i0..][j0..] -> out[j0..][i0..], in an
//                                          order that moves to other L1 sets block by block
//     then the rows left over, as 1 x g.cols super-blocks
//   then the panels left over one block wide (g 1 x 1: the same walk as the first loop),
//   then the right strip (cols % 16) and the bottom strip (rows % 16), block by block.
//
// 32-bit blocks are four 8 x 8 tiles:
//       ymm r = in[i0 + r][j0 .. j0+8)          (rows past the edge: zero; columns masked)
//       8 x 8 transpose: unpck{l,h}ps -> shufps -> vperm2f128
//       out[j0 + c][i0 .. i0+8) = ymm c          (rows past the edge masked)
// Where a block's rows alias in L1 (staged(): row strides of a multiple of 2 KiB), a whole block
// is staged so that each of its 16 input lines and 16 output lines is touched in one burst: the
// left tiles read input lines whole (two loads back to back) and park the right halves in a
// stack buffer for the right tiles; the top tiles park their half output lines, and the bottom
// tiles write each output line whole, the parked half and their own back to back.
// With a power-of-two ld a block's 16 lines share one 8-way L1 set, and a line touched in two
// visits came in twice. Zen 3, 1024^2 f32, GB/s in + out (memcpy in the same run ~55-63):
// unstaged 13.7, staged ~22-30 (at other strides staging only costs: staged()). Before the
// super-blocks (super_blocks(): blocks back to back in other L1 sets, which did gain), panels 32
// or 64 wide walked block by block, super-rows of 32..256, a diagonal block order, software
// prefetch of the next block's lines (either side, any hint) and non-temporal stores were each
// tried and were slower or no better; so were (C++ prototypes) blocks of 8..64 x 8..64 through
// padded L1 buffers, output rows written 2..16 per burst, prefetch 1..8 blocks ahead, and huge
// pages. Bursts to the lines of one set are the slow part: writing 16 rows x 64 bytes of one
// column ran at ~22 GB/s, 8 rows x 128 bytes at ~40.
//
// 16-bit blocks are two 8 x 16 halves (transpose16): ymm r = in[i0 + r][j0 .. j0+16) holds columns
// 0-7 in lane 0 and 8-15 in lane 1; unpacks of words, dwords and qwords leave column c of the
// half's 8 rows in lane 0 of one register and column c+8 in its lane 1. The top half is parked on
// the stack and vperm2i128 joins it with the bottom half into whole 32-byte output lines, so each
// output line of a block is written once. 16-bit tail blocks go through the stack: their rows are
// copied in (masked dwords and an odd word), transposed as a whole block and their columns copied
// out the same way.
//
// 8-bit blocks are 16 x 16 bytes (transpose8): ymm r holds input rows r and r+8 in its lanes, three
// unpack stages (bytes, words, dwords) and a vpermq leave two output rows per register, one per
// lane. Tail blocks go through the stack like the 16-bit ones (copy_lines: masked dwords, then a
// word and a byte as the count needs).
// Runs at every x86 level (VEX ymm); partial rows are loaded with vmaskmovps and stored by
// store_dwords (plain moves: a masked store is slow on Zen 3), so no access leaves an operand.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/core/cache.hpp"
#include "tpp/core/cpu.hpp"
#include "tpp/detail/transform_desc.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/staging.hpp"

namespace tpp::jit::x86 {

class transpose_generator : public Xbyak::CodeGenerator {
 public:
  // 32-, 16- or 8-bit transpose whose 16-row displacements fit in 31 bits
  static bool supports(const detail::transform_desc& d) {
    return d.op == transform_op::transpose && (d.esize == 4 || d.esize == 2 || d.esize == 1) &&
           16LL * d.ldi * d.esize < (1LL << 30) && 16LL * d.ldo * d.esize < (1LL << 30);
  }

  explicit transpose_generator(const detail::transform_desc& d)
      : Xbyak::CodeGenerator(1 << 16, Xbyak::DontSetProtectRWE, staging()), d_(d), es_(d.esize), consts_(32) {
    emit();
  }

 private:
  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 10, stage_bytes + 64, false);
    const Reg64 args = sf.p[0];
    in_ = sf.t[0];
    out_ = sf.t[1];
    pi_ = sf.t[2];
    po_ = sf.t[3];
    i_ = sf.t[4];
    j_ = sf.t[5];
    di_ = sf.t[6];
    do_ = sf.t[7];
    big_ = sf.t[8];
    stage_ = sf.t[9];
    lea(stage_, ptr[rsp + 63]);  // 64-byte aligned: each parked row is one L1 line
    and_(stage_, -64);
    mov(in_, ptr[args]);
    mov(out_, ptr[args + 8]);
    const int ni = d_.rows / 16, nj = d_.cols / 16, ir = d_.rows % 16, jr = d_.cols % 16;
    if (ni && nj) {  // whole blocks: panels of super-blocks, then the panels left over, one wide
      mov(di_, in_);
      mov(do_, out_);
      const super_shape g = super_blocks();
      panels(nj / g.cols, g);
      panels(nj % g.cols, super_shape{1, 1});
    }
    if (jr && ni) {  // the right strip: rows [0, 16 ni) x cols [16 nj, cols)
      lea(pi_, ptr[in_ + nj * 16 * es_]);
      mov(po_, out_);
      add_big(po_, nj * 16L * d_.ldo * es_);
      walk(ni, 16L * d_.ldi * es_, 16 * es_, [&] { emit_block(16, jr); });
    }
    if (ir) {  // the bottom strip: rows [16 ni, rows) x every column
      mov(pi_, in_);
      add_big(pi_, ni * 16L * d_.ldi * es_);
      lea(po_, ptr[out_ + ni * 16 * es_]);
      if (nj) walk(nj, 16 * es_, 16L * d_.ldo * es_, [&] { emit_block(ir, 16); });
      if (jr) emit_block(ir, jr);
    }
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  // ---- whole 16 x 16 blocks in super-blocks -----------------------------------------------------
  // A super-block is rows x cols blocks, visited so that blocks back to back differ in their
  // block column and, where it has more than one row, in their block row too: block
  // (r, (r + t) % cols) for t, then r. A block's 16 input lines share the L1 sets of its column
  // and its 16 output lines those of its row, and Zen 3 fills the lines of one set nearly one at
  // a time: 4 KiB apart, reading 1024 rows x 64 bytes down a column ran at 19 GB/s and 4 lines of
  // each row back to back at 34 (writes 15 and 31). Blocks back to back in other sets overlap
  // their misses. Zen 3, n^2, medians of 400 calls (4000 at 256^2 and below) against one-block
  // panels, alternating runs, GB/s in + out:
  //   f32 1 x 2:    768^2 37-50 -> 44-57, 1024^2 22-27 -> 26-30 (in a slow hour; 28-29 -> 30
  //                 in a faster one). 4 x 2 and 4 x 4 read as high at best (1024^2 32-33.5) but
  //                 fell into slow spells in some processes (13-21 GB/s for a whole suite
  //                 repetition); they touch 96 and 128 pages a super-block, past the 64 entries of
  //                 Zen 3's L1 DTLB, where 1 x 2 touches 48. 8 x 8 (128 KiB) lost.
  //   16-bit 4 x 4: 768^2 35 -> 44, 1024^2 22.5 -> 25.6 (4 x 2 and 1 x 2 less); 64 pages
  //   8-bit 1 x 2:  768^2 31 -> 35, 1024^2 16.2-16.5 -> 21.1-21.4 (each 64-byte input line is
  //                 then read by 2 panels instead of 4; 4 x 4 lost 10 %)
  // The suite's rows (1024^2, means over 0.1 s; two sets of three alternating runs of the two
  // builds): bf16 17.2-20.6 -> 20.8-23.2, i8 13.5-14.7 -> 17.3-19.3; f32 (1 x 2, one set)
  // 21.6-24.3 -> 22.8-25.1, inside its noise.
  // Where in + out fit the private L2 they lost or tied (64^2 f32 106-142 -> 86-108, 128^2 and
  // 256^2 even within the noise), and past the cache one core can count on the wider sweep
  // lost too (2048^2 f32 0.89-0.93x, 1536^2 0.8-1.0x): those keep one-block panels.
  // Intel keeps them everywhere: on the Sapphire-Rapids-class device host (2 MiB L2), two
  // alternating runs of each, the same shapes read f32 768^2 1.15-1.4x but 1024^2 1.0x, 16-bit
  // 768^2 0.73-0.96x and 2048^2 1.15x, 8-bit 768^2 0.9x and 2048^2 1.2x: no rule to ship.
  struct super_shape {
    int rows, cols;
  };
  super_shape super_blocks() const {
    const double bytes = 2.0 * d_.rows * d_.cols * es_;
    if (detail::detected_features().intel || bytes <= static_cast<double>(detail::caches().private_bytes) ||
        bytes > static_cast<double>(core_cache_bytes()))
      return {1, 1};
    return es_ == 2 ? super_shape{4, 4} : super_shape{1, 2};
  }

  // n panels of g.cols blocks from di_ / do_ (which end past them): super-blocks down the rows,
  // then the rows left over as 1 x g.cols super-blocks
  void panels(int n, super_shape g) {
    using namespace Xbyak;
    if (n == 0) return;
    const int ni = d_.rows / 16;
    Label panel;
    mov(j_, n);
    L(panel);
    mov(pi_, di_);
    mov(po_, do_);
    if (ni / g.rows) walk(ni / g.rows, 16L * g.rows * d_.ldi * es_, 16 * g.rows * es_, [&] { super_block(g); });
    if (ni % g.rows) walk(ni % g.rows, 16L * d_.ldi * es_, 16 * es_, [&] { super_block({1, g.cols}); });
    add(di_, 16 * es_ * g.cols);
    add_big(do_, 16L * d_.ldo * es_ * g.cols);
    dec(j_);
    jnz(panel, T_NEAR);
  }

  void super_block(super_shape g) {
    for (int t = 0; t < g.cols; ++t)
      for (int r = 0; r < g.rows; ++r) {
        const int c = (r + t) % g.cols;
        const long in = (16L * r * d_.ldi + 16L * c) * es_, out = (16L * c * d_.ldo + 16L * r) * es_;
        add_big(pi_, in);
        add_big(po_, out);
        emit_block(16, 16);
        add_big(pi_, -in);
        add_big(po_, -out);
      }
  }

  // n steps of body(), moving pi_ / po_ by the given bytes after each
  template <class Body>
  void walk(int n, long in_step, long out_step, Body body) {
    using namespace Xbyak;
    Label loop;
    mov(i_, n);
    L(loop);
    body();
    add_big(pi_, in_step);
    add_big(po_, out_step);
    dec(i_);
    jnz(loop, T_NEAR);
  }

  // r += bytes, through a register where bytes does not fit an imm32
  void add_big(const Xbyak::Reg64& r, long bytes) {
    if (bytes == 0) return;
    if (bytes == static_cast<int>(bytes)) {
      add(r, static_cast<int>(bytes));
    } else {
      mov(big_, bytes);
      add(r, big_);
    }
  }

  void emit_block(int rows, int cols) {
    if (es_ < 4) return narrow_block(rows, cols);
    if (rows == 16 && cols == 16 && staged()) {  // see the header
      for (int r0 = 0; r0 < 16; r0 += 8)
        for (int c0 = 0; c0 < 16; c0 += 8)
          emit_tile(8, 8, c0, r0,
                    {c0 == 0 ? source::in_park_rest : source::parked, r0 == 0 ? sink::park : sink::lines});
      return;
    }
    for (int c0 = 0; c0 < cols; c0 += 8)
      for (int r0 = 0; r0 < rows; r0 += 8)
        emit_tile(std::min(8, rows - r0), std::min(8, cols - c0), c0, r0, {source::in, sink::out});
  }

  // Whether whole 32-bit blocks are staged: only where a block's 16 rows share at most two L1
  // sets on the input or the output side (row strides of a multiple of 2 KiB), the aliasing the
  // staging is for. Elsewhere it only adds stack traffic. Zen 3, f32 n x n, GB/s in + out,
  // staged / plain, in-process A/B, three runs: 64^2 50-53 / 88-94, 256^2 29-40 / 35-43, 384^2
  // 27-42 / 32-45, 768^2 25-37 / 29-39, 1000^2 26-42 / 35-50; 512^2 23-30 / 22-28, 1024^2 13-17 /
  // 10-12.
  bool staged() const {
    const auto sets = [](long stride) {  // distinct L1 sets (64 of 64-byte lines) of 16 rows
      std::uint64_t seen = 0;
      for (long r = 0; r < 16; ++r) seen |= 1ull << ((r * stride / 64) % 64);
      return __builtin_popcountll(seen);
    };
    return sets(static_cast<long>(es_) * d_.ldi) <= 2 || sets(static_cast<long>(es_) * d_.ldo) <= 2;
  }

  // ---- 16- and 8-bit blocks (see the header) --------------------------------------------------
  // Whole blocks in place; tail blocks through the stack: rows copied in, the whole block
  // transposed there, its columns copied out.
  void narrow_block(int rows, int cols) {
    const long ls = es_ * d_.ldi, lo = es_ * d_.ldo, st = 16 * es_;  // staged rows: 16 elements
    const auto transpose = [&](auto src, long s, auto dst, long o) {
      if (es_ == 2) transpose16(src, s, dst, o);
      else transpose8(src, s, dst, o);
    };
    if (rows == 16 && cols == 16) return transpose(pi_, ls, po_, lo);
    copy_lines(rows, cols * es_, pi_, ls, stage_ + tail_in, st);
    transpose(stage_ + tail_in, st, stage_ + tail_out, st);
    copy_lines(cols, rows * es_, stage_ + tail_out, st, po_, lo);
  }

  // lines of `bytes` bytes, from_stride / to_stride apart: one 32- or 16-byte copy, or masked
  // dwords, then a word and a byte as the count needs, so nothing past the bytes is touched
  template <class From, class To>
  void copy_lines(int lines, int bytes, From from, long from_stride, To to, long to_stride) {
    using namespace Xbyak;
    const Ymm v(0), m(15);
    const int dwords = bytes / 4;
    if (dwords && bytes != 32 && bytes != 16) vmovups(m, mask(dwords));
    for (int l = 0; l < lines; ++l) {
      const int src = static_cast<int>(l * from_stride), dst = static_cast<int>(l * to_stride);
      if (bytes == 32) {
        vmovdqu(v, ptr[from + src]);
        vmovdqu(ptr[to + dst], v);
        continue;
      }
      if (bytes == 16) {
        vmovdqu(Xmm(0), ptr[from + src]);
        vmovdqu(ptr[to + dst], Xmm(0));
        continue;
      }
      if (dwords) {
        vmaskmovps(v, m, ptr[from + src]);
        store_dwords(*this, v, to + dst, dwords);
      }
      int b = 4 * dwords;
      if (bytes - b >= 2) {
        movzx(big_.cvt32(), word[from + src + b]);
        mov(word[to + dst + b], big_.cvt16());
        b += 2;
      }
      if (b < bytes) {
        movzx(big_.cvt32(), byte[from + src + b]);
        mov(byte[to + dst + b], big_.cvt8());
      }
    }
  }

  // the 16 x 16 block at src (rows ls bytes apart) -> dst (rows lo bytes apart)
  template <class Src, class Dst>
  void transpose16(Src src, long ls, Dst dst, long lo) {
    using namespace Xbyak;
    const auto Y = [](int i) { return Ymm(i); };
    for (int h = 0; h < 2; ++h) {
      for (int r = 0; r < 8; ++r) vmovdqu(Y(r), ptr[src + static_cast<int>((8 * h + r) * ls)]);
      for (int q = 0; q < 4; ++q) {  // words: rows 2q, 2q+1 interleaved, columns 0-3 | 4-7
        vpunpcklwd(Y(8 + 2 * q), Y(2 * q), Y(2 * q + 1));
        vpunpckhwd(Y(9 + 2 * q), Y(2 * q), Y(2 * q + 1));
      }
      for (int q = 0; q < 2; ++q) {  // dwords: rows 4q..4q+3, column pairs 01 | 23 | 45 | 67
        const int t = 8 + 4 * q, o = 4 * q;
        vpunpckldq(Y(o + 0), Y(t + 0), Y(t + 2));
        vpunpckhdq(Y(o + 1), Y(t + 0), Y(t + 2));
        vpunpckldq(Y(o + 2), Y(t + 1), Y(t + 3));
        vpunpckhdq(Y(o + 3), Y(t + 1), Y(t + 3));
      }
      for (int p = 0; p < 4; ++p) {  // qwords: rows 0-7 of columns 2p | 2p+1 (and +8 in lane 1)
        vpunpcklqdq(Y(8 + 2 * p), Y(p), Y(4 + p));
        vpunpckhqdq(Y(9 + 2 * p), Y(p), Y(4 + p));
      }
      for (int c = 0; c < 8; ++c) {
        const Address parked = ptr[stage_ + park16 + c * 32];
        if (h == 0) {
          vmovdqa(parked, Y(8 + c));
          continue;
        }
        const Ymm t = Y(c % 2);
        vperm2i128(t, Y(8 + c), parked, 0x02);  // lane 0: top rows, lane 1: bottom rows of column c
        vmovdqu(ptr[dst + static_cast<int>(c * lo)], t);
        vperm2i128(t, Y(8 + c), parked, 0x13);  // the same for column c + 8
        vmovdqu(ptr[dst + static_cast<int>((c + 8) * lo)], t);
      }
    }
  }

  // the 16 x 16 byte block at src (rows ls bytes apart) -> dst (rows lo bytes apart). ymm r holds
  // rows r (lane 0) and r + 8 (lane 1); byte, word and dword unpacks leave columns 2p and 2p+1 of
  // both halves in ymm 8+p (a qword each per lane), and vpermq 0xD8 makes lane 0 output row 2p
  // and lane 1 output row 2p+1.
  template <class Src, class Dst>
  void transpose8(Src src, long ls, Dst dst, long lo) {
    using namespace Xbyak;
    const auto Y = [](int i) { return Ymm(i); };
    for (int r = 0; r < 8; ++r) {
      vmovdqu(Xmm(r), ptr[src + static_cast<int>(r * ls)]);
      vinserti128(Y(r), Y(r), ptr[src + static_cast<int>((r + 8) * ls)], 1);
    }
    for (int q = 0; q < 4; ++q) {  // bytes: rows 2q, 2q+1 interleaved, columns 0-7 | 8-15
      vpunpcklbw(Y(8 + 2 * q), Y(2 * q), Y(2 * q + 1));
      vpunpckhbw(Y(9 + 2 * q), Y(2 * q), Y(2 * q + 1));
    }
    for (int h = 0; h < 2; ++h) {  // words: rows 4h..4h+3, columns 0-3 | 4-7 | 8-11 | 12-15
      const int t = 8 + 4 * h, o = 4 * h;
      vpunpcklwd(Y(o + 0), Y(t + 0), Y(t + 2));
      vpunpckhwd(Y(o + 1), Y(t + 0), Y(t + 2));
      vpunpcklwd(Y(o + 2), Y(t + 1), Y(t + 3));
      vpunpckhwd(Y(o + 3), Y(t + 1), Y(t + 3));
    }
    for (int g = 0; g < 4; ++g) {  // dwords: rows 0-7 of columns 4g, 4g+1 | 4g+2, 4g+3
      vpunpckldq(Y(8 + 2 * g), Y(g), Y(4 + g));
      vpunpckhdq(Y(9 + 2 * g), Y(g), Y(4 + g));
    }
    for (int p = 0; p < 8; ++p) {
      vpermq(Y(8 + p), Y(8 + p), 0xD8);
      vmovdqu(ptr[dst + static_cast<int>(2 * p * lo)], Xmm(8 + p));
      vextracti128(ptr[dst + static_cast<int>((2 * p + 1) * lo)], Y(8 + p), 1);
    }
  }

  Xbyak::Address mask(int n) {
    std::vector<std::uint32_t> m(8, 0);
    for (int k = 0; k < n; ++k) m[k] = 0xFFFFFFFFu;
    return consts_.lanes(m);
  }

  // A staged block's tiles (see the header) read their rows straight from the input (tails), read
  // whole input lines and park the right halves (left tiles), or read the parked halves (right
  // tiles); and they write straight out (tails), park their half output lines (top tiles), or
  // write whole output lines, parked half first (bottom tiles).
  enum class source { in, in_park_rest, parked };
  enum class sink { out, park, lines };
  struct route {
    source from;
    sink to;
  };
  static constexpr int out_stage = 0, in_stage = 16 * 32;   // 16 half output lines, 8 half input lines
  // 16-bit: the top half's 8 registers, and a tail block's rows in and columns out
  static constexpr int park16 = 0, tail_in = 8 * 32, tail_out = tail_in + 16 * 32;
  static constexpr int stage_bytes = tail_out + 16 * 32;

  // rs x cs tile at (row0, col0) of the block at pi_ / po_
  void emit_tile(int rs, int cs, int col0, int row0, route rt) {
    using namespace Xbyak;
    const auto Y = [](int i) { return Ymm(i); };
    if (cs < 8) vmovups(Y(15), mask(cs));
    for (int r = 0; r < 8; ++r) {
      const Address a = ptr[pi_ + static_cast<int>(static_cast<long>(row0 + r) * d_.ldi * 4 + col0 * 4)];
      if (rt.from == source::parked) {
        vmovaps(Y(r), ptr[stage_ + in_stage + r * 32]);
      } else if (rt.from == source::in_park_rest) {
        vmovups(Y(r), a);
        vmovups(Y(8), ptr[pi_ + static_cast<int>(static_cast<long>(row0 + r) * d_.ldi * 4 + 32)]);
        vmovaps(ptr[stage_ + in_stage + r * 32], Y(8));
      } else if (r >= rs) {
        vxorps(Y(r), Y(r), Y(r));
      } else if (cs < 8) {
        vmaskmovps(Y(r), Y(15), a);
      } else {
        vmovups(Y(r), a);
      }
    }
    // rows 0..7 in ymm0..7 -> columns 0..7 in ymm8..15
    for (int k = 0; k < 4; ++k) {
      vunpcklps(Y(8 + 2 * k), Y(2 * k), Y(2 * k + 1));
      vunpckhps(Y(9 + 2 * k), Y(2 * k), Y(2 * k + 1));
    }
    for (int h = 0; h < 2; ++h) {  // rows 0-3 (h = 0) and 4-7 into ymm 0-3 / 4-7
      const int t = 8 + 4 * h, s = 4 * h;
      vshufps(Y(s + 0), Y(t + 0), Y(t + 2), 0x44);  // columns 0 | 4
      vshufps(Y(s + 1), Y(t + 0), Y(t + 2), 0xEE);  // 1 | 5
      vshufps(Y(s + 2), Y(t + 1), Y(t + 3), 0x44);  // 2 | 6
      vshufps(Y(s + 3), Y(t + 1), Y(t + 3), 0xEE);  // 3 | 7
    }
    for (int c = 0; c < 4; ++c) {
      vperm2f128(Y(8 + c), Y(c), Y(4 + c), 0x20);
      vperm2f128(Y(12 + c), Y(c), Y(4 + c), 0x31);
    }
    if (rt.to != sink::out) {
      for (int c = 0; c < 8; ++c) {
        const Address parked = ptr[stage_ + out_stage + (col0 + c) * 32];
        const int line = static_cast<int>(static_cast<long>(col0 + c) * d_.ldo * 4);
        if (rt.to == sink::park) {
          vmovaps(parked, Y(8 + c));
        } else {
          vmovaps(Y(c), parked);
          vmovups(ptr[po_ + line], Y(c));
          vmovups(ptr[po_ + line + 32], Y(8 + c));
        }
      }
      return;
    }
    for (int c = 0; c < cs; ++c) {
      const RegExp a = po_ + static_cast<int>(static_cast<long>(col0 + c) * d_.ldo * 4 + row0 * 4);
      if (rs < 8) store_dwords(*this, Y(8 + c), a, rs);
      else vmovups(ptr[a], Y(8 + c));
    }
  }

  const detail::transform_desc d_;
  const int es_;  // element bytes: 4 or 2
  const_table consts_;
  Xbyak::Reg64 in_, out_, di_, do_, pi_, po_, i_, j_, big_, stage_;
};

}  // namespace tpp::jit::x86
