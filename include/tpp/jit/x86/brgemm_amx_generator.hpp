// The AMX BRGEMM generator: bf16 x bf16 -> f32 (tdpbf16ps) and u8 x i8 -> i32 (tdpbusd) on tiles.
//
//   tiles: C(i,j) = tmm[2i+j] (up to 2 x 2, 16 rows x 16 columns each), A(i) = tmm[4+i],
//          B(j) = tmm[6+j]; a tile step covers kg VNNI groups of B (kg <= 16, 16-64 bytes of A row)
//
//   for row0 in blocks of 32 rows (16 when m <= 16), then the remainder block:
//     for col0 in blocks of 32 columns (16 when n <= 16), then the remainder block:
//       C tiles = beta && direct ? C : 0
//       for i < count:  for each tile step: load A(i), B(j); C(i,j) += A(i) * B(j)
//       direct: store the C tiles into C
//       else:   store them to stack scratch, then zmm rows: + beta*C, epilogue, convert, store
//
// "direct" = f32 or i32 C without an epilogue: tiles load and store C themselves. Tails are exact:
// a tile is configured with the rows and bytes it covers, so no access leaves an operand. Each
// distinct (row tiles, column tiles) shape has its own palette in the constant table; a kernel
// with one shape loads it once per call, others reload it per block (ldtilecfg zeroes tiles).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/brgemm_desc.hpp"
#include "tpp/jit/x86/brgemm_batch.hpp"
#include "tpp/jit/x86/brgemm_epilogue.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/loops.hpp"
#include "tpp/jit/x86/staging.hpp"
#include "tpp/jit/x86/unary_injector.hpp"

namespace tpp::jit::x86 {

// VNNI groups of B per tile step: the largest divisor of k/g up to 16 (no k tail, exact tiles).
inline int amx_k_groups(const detail::brgemm_desc& d) {
  const int groups = d.k / d.vnni();
  for (int q = 16; q > 1; --q)
    if (groups % q == 0) return q;
  return 1;
}

// Tiles take bf16 or u8 A (normal) with VNNI B. Below 8 groups per step (k/g with no divisor in
// 8..16, e.g. k = 46 bf16) a tile multiply does under half its work, and the zmm dot-product
// generator is the better choice.
inline bool brgemm_amx_supports(const detail::brgemm_desc& d) {
  if (d.level < isa::amx || d.a_layout != gemm_layout::normal || d.b_layout != gemm_layout::vnni) return false;
  if (d.a_type != dtype::bf16 && d.a_type != dtype::u8) return false;
  const long long lim = 1LL << 30;
  const long long sa = size_of(d.a_type), rows = 32;
  if (rows * d.lda * sa + static_cast<long long>(d.k) * sa >= lim) return false;
  if (static_cast<long long>(d.k) * d.ldb * size_of(d.b_type) >= lim) return false;
  if (rows * d.ldc * 4 >= lim || rows * d.d.ld * 4 >= lim) return false;
  return amx_k_groups(d) >= 8;
}

class brgemm_amx_generator : public Xbyak::CodeGenerator {
  using Zmm = Xbyak::Zmm;
  using desc = detail::brgemm_desc;
  using epilogue = brgemm_epilogue_emitter<Zmm>;
  static constexpr int scratch_at = 64;        // stack: [0] A block offset, [8] B block offset
  static constexpr int tile_bytes = 16 * 64;   // scratch per C tile

  // Tiles along one dimension: `full` blocks of `per` 16-wide tiles, then one remainder block.
  struct split {
    int per = 1, nfull = 0;
    std::vector<int> rem;  // extents of the remainder block's tiles (empty: none)
    std::vector<int> full() const { return std::vector<int>(per, 16); }
  };
  static split split_of(int total) {
    split s;
    s.per = total <= 16 ? 1 : 2;
    s.nfull = total / (16 * s.per);
    for (int r = total % (16 * s.per); r > 0; r -= 16) s.rem.push_back(std::min(16, r));
    return s;
  }

 public:
  explicit brgemm_amx_generator(const desc& d)
      : Xbyak::CodeGenerator(1 << 18, Xbyak::DontSetProtectRWE, staging()),
        d_(d),
        consts_(64),
        inj_(*this, consts_),
        io_(*this, consts_, true, Zmm(31)),
        g_(d.vnni()),
        kg_(amx_k_groups(d)),
        rows_(split_of(d.m)),
        cols_(split_of(d.n)),
        direct_((d.c_type == dtype::f32 || d.c_type == dtype::i32) && !d.has_epilogue()) {
    emit();
  }

  int block_m() const { return 16 * rows_.per; }
  int block_n() const { return 16 * cols_.per; }

 private:
  int sa() const { return size_of(d_.a_type); }
  // bytes of one tile step along A's row and down B's VNNI rows
  long a_step() const { return static_cast<long>(kg_) * g_ * sa(); }
  long b_step() const { return static_cast<long>(kg_) * d_.ldb * g_ * size_of(d_.b_type); }
  int steps() const { return d_.k / (g_ * kg_); }

  static Xbyak::Tmm c_tile(int i, int j) { return Xbyak::Tmm(2 * i + j); }
  static Xbyak::Tmm a_tile(int i) { return Xbyak::Tmm(4 + i); }
  static Xbyak::Tmm b_tile(int j) { return Xbyak::Tmm(6 + j); }

  // The 64-byte palette for row tiles R and column tiles C (palette 1; unused tiles stay 0).
  Xbyak::Address palette(const std::vector<int>& R, const std::vector<int>& C) {
    std::uint8_t p[64] = {};
    p[0] = 1;
    const auto set = [&](int t, int rows, int colsb) {
      p[16 + 2 * t] = static_cast<std::uint8_t>(colsb);
      p[16 + 2 * t + 1] = static_cast<std::uint8_t>(colsb >> 8);
      p[48 + t] = static_cast<std::uint8_t>(rows);
    };
    for (std::size_t i = 0; i < R.size(); ++i) {
      set(4 + static_cast<int>(i), R[i], static_cast<int>(a_step()));
      for (std::size_t j = 0; j < C.size(); ++j) set(2 * static_cast<int>(i) + static_cast<int>(j), R[i], C[j] * 4);
    }
    for (std::size_t j = 0; j < C.size(); ++j) set(6 + static_cast<int>(j), kg_, C[j] * g_ * size_of(d_.b_type));
    std::vector<std::uint32_t> words(16);
    for (int w = 0; w < 16; ++w)
      words[w] = p[4 * w] | p[4 * w + 1] << 8 | p[4 * w + 2] << 16 | static_cast<std::uint32_t>(p[4 * w + 3]) << 24;
    return consts_.lanes(words);
  }

  Xbyak::Address arg(std::size_t offset) { return qword[args_ + static_cast<int>(offset)]; }

  void emit() {
    using namespace Xbyak;
    util::StackFrame sf(this, 1, 13, scratch_at + 4 * tile_bytes, false);
    args_ = sf.p[0];
    row0_ = sf.t[0];
    col0_ = sf.t[1];
    ai_ = sf.t[2];
    bi_ = sf.t[3];
    acur_ = sf.t[4];
    bcur_ = sf.t[5];
    idx_ = sf.t[6];
    kcnt_ = sf.t[7];
    s0_ = sf.t[8];
    s1_ = sf.t[9];
    s2_ = sf.t[10];
    lda_ = sf.t[11];
    ldb_ = sf.t[12];
    epi_.emplace(*this, d_, io_, inj_, epilogue::registers{args_, row0_, col0_, acur_, bcur_, ai_, bi_, s2_});

    if (const int tail = d_.n % 16) io_.set_tail(tail, s0_.cvt32());
    mov(lda_, static_cast<long>(d_.lda) * sa());
    mov(ldb_, static_cast<long>(d_.ldb) * g_ * size_of(d_.b_type));

    // Count the shapes first: one shape means one ldtilecfg per call, at the top.
    const int shapes = (rows_.nfull ? 1 : 0) + (rows_.rem.empty() ? 0 : 1);
    const int cshapes = (cols_.nfull ? 1 : 0) + (cols_.rem.empty() ? 0 : 1);
    per_block_config_ = shapes * cshapes > 1;
    if (!per_block_config_) {
      const auto& R = rows_.nfull ? rows_.full() : rows_.rem;
      const auto& C = cols_.nfull ? cols_.full() : cols_.rem;
      configure_once(palette(R, C));
    }
    sweep(row0_, rows_.nfull, 16 * rows_.per, [&] { emit_columns(rows_.full()); },
          !rows_.rem.empty(), [&] { emit_columns(rows_.rem); });
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  // The tile configuration is kept across calls: ldtilecfg (slow, and it zeroes every tile) runs
  // only when the loaded one differs, as read back by sttilecfg. Reading it back, not trusting a
  // per-thread note of what tpp loaded last, stays right when other code on the thread uses tiles.
  void configure_once(const Xbyak::Address& pal) {
    using namespace Xbyak;
    Label same;
    sttilecfg(ptr[rsp + scratch_at]);
    vmovdqu32(Zmm(0), ptr[rsp + scratch_at]);
    vpcmpeqd(Opmask(2), Zmm(0), pal);
    kortestw(Opmask(2), Opmask(2));
    jc(same, T_NEAR);  // all 16 words equal
    ldtilecfg(pal);
    L(same);
  }

  template <class Body, class Rem>
  void sweep(const Xbyak::Reg64& reg, int full, int step, Body body, bool rem, Rem rem_body) {
    emit_sweep(*this, reg, full, step, body, rem, rem_body);
  }

  void emit_columns(const std::vector<int>& R) {
    sweep(col0_, cols_.nfull, 16 * cols_.per, [&] { emit_block(R, cols_.full()); },
          !cols_.rem.empty(), [&] { emit_block(R, cols_.rem); });
  }

  void emit_block(const std::vector<int>& R, const std::vector<int>& C) {
    using namespace Xbyak;
    using detail::brgemm_args;
    const int mt = static_cast<int>(R.size()), nt = static_cast<int>(C.size());
    if (per_block_config_) ldtilecfg(palette(R, C));
    // accumulators
    if (direct_ && d_.beta) {
      c_pointer();
      for (int i = 0; i < mt; ++i)
        for (int j = 0; j < nt; ++j) tileloadd(c_tile(i, j), ptr[s0_ + s1_ + c_disp(i, j)]);
    } else {
      for (int i = 0; i < mt; ++i)
        for (int j = 0; j < nt; ++j) tilezero(c_tile(i, j));
    }
    // block offsets inside every A_i (rows) and B_i (columns), kept on the stack
    imul(s0_, row0_, static_cast<int>(static_cast<long>(d_.lda) * sa()));
    mov(qword[rsp], s0_);
    lea(s0_, ptr[col0_ * 4]);  // a column of VNNI B is 4 bytes (bf16 pair or i8 quad)
    mov(qword[rsp + 8], s0_);

    emit_batch_loop(*this, d_, {args_, ai_, bi_, acur_, bcur_, idx_, s0_, s1_}, qword[rsp], qword[rsp + 8],
                    [&] { emit_k_loop(mt, nt); });

    if (direct_) {
      c_pointer();
      for (int i = 0; i < mt; ++i)
        for (int j = 0; j < nt; ++j) tilestored(ptr[s0_ + s1_ + c_disp(i, j)], c_tile(i, j));
      return;
    }
    mov(s1_, 64);
    for (int i = 0; i < mt; ++i)
      for (int j = 0; j < nt; ++j) tilestored(ptr[rsp + s1_ + scratch_at + (2 * i + j) * tile_bytes], c_tile(i, j));
    epi_->set_block();
    std::vector<Zmm> free;
    for (int r = 16; r < 32; ++r) free.push_back(Zmm(r));
    for (int i = 0; i < mt; ++i)
      for (int j = 0; j < nt; ++j) {
        std::vector<epilogue::cell> cells;
        for (int r = 0; r < R[i]; ++r) {
          vmovups(Zmm(r), ptr[rsp + scratch_at + (2 * i + j) * tile_bytes + r * 64]);
          cells.push_back({16 * i + r, j});
        }
        epi_->emit(cells, [&](epilogue::cell c) { return Zmm(c.r - 16 * i); },
                   [&](int v) { return C[v]; }, free, d_.beta != 0);
      }
  }

  // s0 = C at (row0, col0), s1 = C's row bytes (the tile stride)
  void c_pointer() {
    using detail::brgemm_args;
    const long row = static_cast<long>(d_.ldc) * size_of(d_.c_type);
    epi_->block_ptr(s0_, arg(offsetof(brgemm_args, c)), row, size_of(d_.c_type));
    mov(s1_, row);
  }
  int c_disp(int i, int j) const { return (16 * i * d_.ldc + 16 * j) * size_of(d_.c_type); }

  void add_imm(const Xbyak::Reg64& r, std::int64_t v) { emit_add(*this, r, v, s1_); }

  // All tile steps of one pair: unrolled up to 8 steps, else a loop of 4 and the rest unrolled.
  void emit_k_loop(int mt, int nt) {
    using namespace Xbyak;
    const int n = steps();
    if (n <= 8) {
      for (int s = 0; s < n; ++s) emit_step(mt, nt, s);
      return;
    }
    const int ku = 4, iters = n / ku, rem = n % ku;
    Label loop;
    mov(kcnt_, iters);
    L(loop);
    for (int s = 0; s < ku; ++s) emit_step(mt, nt, s);
    add_imm(acur_, ku * a_step());
    add_imm(bcur_, ku * b_step());
    dec(kcnt_);
    jnz(loop, T_NEAR);
    for (int s = 0; s < rem; ++s) emit_step(mt, nt, s);
  }

  // One tile step s (relative to acur/bcur): A(0), the B tiles, then the products, so the
  // loads of the next operands overlap the multiplies of the previous ones.
  void emit_step(int mt, int nt, int s) {
    const auto mul = [&](int i, int j) {
      if (d_.a_type == dtype::bf16) tdpbf16ps(c_tile(i, j), a_tile(i), b_tile(j));
      else tdpbusd(c_tile(i, j), a_tile(i), b_tile(j));  // u8 (A) x i8 (B)
    };
    for (int i = 0; i < mt; ++i) {
      tileloadd(a_tile(i), ptr[acur_ + lda_ + static_cast<int>(16L * i * d_.lda * sa() + s * a_step())]);
      if (i == 0)
        for (int j = 0; j < nt; ++j) {
          tileloadd(b_tile(j), ptr[bcur_ + ldb_ + static_cast<int>(s * b_step() + j * 16L * 4)]);
          mul(0, j);
        }
      else
        for (int j = 0; j < nt; ++j) mul(i, j);
    }
  }

  const desc d_;
  const_table consts_;
  unary_injector<Zmm> inj_;
  io<Zmm> io_;
  const int g_, kg_;
  const split rows_, cols_;
  const bool direct_;
  bool per_block_config_ = false;
  std::optional<epilogue> epi_;
  Xbyak::Reg64 args_, row0_, col0_, ai_, bi_, acur_, bcur_, idx_, kcnt_, s0_, s1_, s2_, lda_, ldb_;
};

}  // namespace tpp::jit::x86
