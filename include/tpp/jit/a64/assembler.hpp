// A small A64 (AArch64) assembler: only the instruction forms tpp's NEON generators use, each
// checked byte for byte against GNU as (tests/jit/a64_encoding_test.cpp). Instructions append
// 32-bit words; labels resolve branches when bound (forward ones are patched).
//
//   a64::assembler a;
//   a64::label loop;
//   a.bind(loop);
//   a.ld1(v(0), x(1), 16);              // ld1 {v0.4s}, [x1], #16
//   a.fmla(v(2), v(0), v(1), 3);        // fmla v2.4s, v0.4s, v1.s[3]
//   a.subs(x(2), x(2), 1);
//   a.b(cond::ne, loop);
//   a.ret();
//
// Vector arithmetic is on .4s (four f32 lanes) unless a name says otherwise. Every form can also
// write its GNU as spelling to a listing (set_listing), which the encoding test assembles.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tpp/core/error.hpp"

namespace tpp::jit::a64 {

struct xreg {
  int idx;  // 0..30, 31 = sp or xzr by context
};
struct vreg {
  int idx;  // 0..31
};
inline xreg x(int i) { return {i}; }
inline vreg v(int i) { return {i}; }
constexpr xreg sp{31}, xzr{31};

enum class cond : std::uint8_t { eq = 0, ne, hs, lo, mi, pl, vs, vc, hi, ls, ge, lt, gt, le };

class label {
 public:
  label() = default;

 private:
  friend class assembler;
  long at = -1;                   // word index once bound
  std::vector<std::pair<long, int>> uses;  // (word index, kind: 0 = imm26, 1 = imm19)
};

class assembler {
 public:
  const std::vector<std::uint32_t>& words() const { return code_; }
  std::size_t size_bytes() const { return code_.size() * 4; }
  void set_listing(std::string* out) { listing_ = out; }

  // ---- integer ------------------------------------------------------------------------------
  // add/sub xd, xn, #imm (imm < 4096, or a multiple of 4096 below 2^24: lsl #12)
  void add(xreg d, xreg n, std::uint32_t imm) { add_sub_imm(0x91000000u, "add", d, n, imm); }
  void sub(xreg d, xreg n, std::uint32_t imm) { add_sub_imm(0xD1000000u, "sub", d, n, imm); }
  void subs(xreg d, xreg n, std::uint32_t imm) { add_sub_imm(0xF1000000u, "subs", d, n, imm); }
  // add/sub xd, xn, xm, lsl #shift
  void add(xreg d, xreg n, xreg m, int shift = 0) { add_sub_reg(0x8B000000u, "add", d, n, m, shift); }
  void sub(xreg d, xreg n, xreg m, int shift = 0) { add_sub_reg(0xCB000000u, "sub", d, n, m, shift); }
  // movz / movk xd, #imm16, lsl #(16 * hw)
  // d = n >> sh (logical; UBFM)
  void lsr(xreg d, xreg n, int sh) {
    if (sh < 1 || sh > 63) detail::fail("tpp::jit::a64: lsr #", sh, " is not encodable");
    put(0xD340FC00u | static_cast<std::uint32_t>(sh) << 16 | reg(n.idx) << 5 | reg(d.idx),
        "lsr " + xz(d) + ", " + xz(n) + ", #" + num(sh));
  }
  // d = n * m + a
  void madd(xreg d, xreg n, xreg m, xreg a) {
    put(0x9B000000u | reg(m.idx) << 16 | reg(a.idx) << 10 | reg(n.idx) << 5 | reg(d.idx),
        "madd " + xz(d) + ", " + xz(n) + ", " + xz(m) + ", " + xz(a));
  }
  void movz(xreg d, std::uint32_t imm16, int hw = 0) { mov_wide(0xD2800000u, "movz", d, imm16, hw); }
  void movk(xreg d, std::uint32_t imm16, int hw = 0) { mov_wide(0xF2800000u, "movk", d, imm16, hw); }
  // xd = any 64-bit value (movz + movk for each non-zero 16-bit piece)
  void mov_imm(xreg d, std::uint64_t value) {
    bool first = true;
    for (int hw = 0; hw < 4; ++hw) {
      const auto piece = static_cast<std::uint32_t>((value >> (16 * hw)) & 0xFFFF);
      if (piece == 0 && !(first && hw == 3)) continue;
      if (first) movz(d, piece, hw);
      else movk(d, piece, hw);
      first = false;
    }
    if (first) movz(d, 0, 0);
  }

  // ---- branches -----------------------------------------------------------------------------
  void b(label& l) { branch(0x14000000u, l, 0, "b"); }
  void b(cond c, label& l) { branch(0x54000000u | static_cast<std::uint32_t>(c), l, 1, "b." + name(c)); }
  void cbz(xreg t, label& l) { branch(0xB4000000u | reg(t.idx), l, 1, "cbz " + xn(t) + ","); }
  void cbnz(xreg t, label& l) { branch(0xB5000000u | reg(t.idx), l, 1, "cbnz " + xn(t) + ","); }
  void ret() { put(0xD65F03C0u, "ret"); }
  void nop() { put(0xD503201Fu, "nop"); }
  // xd = the address of label l (within 1 MiB; labels are word-aligned, so immlo is 0)
  void adr(xreg d, label& l) { branch(0x10000000u | reg(d.idx), l, 1, "adr " + xz(d) + ","); }
  // a raw data word (constant tables after the code)
  void word(std::uint32_t w) {
    char buf[24];
    std::snprintf(buf, sizeof buf, ".word 0x%08x", w);
    put(w, buf);
  }
  void bind(label& l) {
    if (l.at >= 0) detail::fail("tpp::jit::a64: a label is bound twice");
    l.at = static_cast<long>(code_.size());
    for (auto [at, kind] : l.uses) patch(at, kind, l.at);
    l.uses.clear();
    if (listing_) *listing_ += label_name(l) + ":\n";
  }

  // body() `times` times (times >= 1), counting down in `counter`:
  //   mov counter, #times;  L: body;  subs counter, counter, #1;  b.ne L
  template <class Body>
  void repeat(xreg counter, std::uint64_t times, Body body) {
    label l;
    mov_imm(counter, times);
    bind(l);
    body();
    subs(counter, counter, 1);
    b(cond::ne, l);
  }

  // ---- loads and stores ---------------------------------------------------------------------
  // ldr/str xt, [xn, #imm] (imm a multiple of 8 below 32768)
  void ldr(xreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0xF9400000u, "ldr", xn(t), t.idx, n, imm, 8); }
  void ldrsw(xreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0xB9800000u, "ldrsw", xn(t), t.idx, n, imm, 4); }
  void str(xreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0xF9000000u, "str", xn(t), t.idx, n, imm, 8); }
  // ldr/str qt, [xn, #imm] (imm a multiple of 16 below 65536); st, [xn, #imm] (multiple of 4)
  void ldr_q(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0x3DC00000u, "ldr", "q" + num(t.idx), t.idx, n, imm, 16); }
  void str_q(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0x3D800000u, "str", "q" + num(t.idx), t.idx, n, imm, 16); }
  void ldr_s(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0xBD400000u, "ldr", "s" + num(t.idx), t.idx, n, imm, 4); }
  void str_s(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0xBD000000u, "str", "s" + num(t.idx), t.idx, n, imm, 4); }
  void ldr_d(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0xFD400000u, "ldr", "d" + num(t.idx), t.idx, n, imm, 8); }
  void str_d(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0xFD000000u, "str", "d" + num(t.idx), t.idx, n, imm, 8); }
  void ldr_b(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0x3D400000u, "ldr", "b" + num(t.idx), t.idx, n, imm, 1); }
  void str_b(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0x3D000000u, "str", "b" + num(t.idx), t.idx, n, imm, 1); }
  void ldr_h(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0x7D400000u, "ldr", "h" + num(t.idx), t.idx, n, imm, 2); }
  void str_h(vreg t, xreg n, std::uint32_t imm = 0) { mem_uimm(0x7D000000u, "str", "h" + num(t.idx), t.idx, n, imm, 2); }
  // post-index loads: ldr xt / qt / dt, [xn], #imm (then xn += imm; -256 <= imm < 256)
  void ldr_post(xreg t, xreg n, int imm) { mem_post(0xF8400400u, "x" + num(t.idx), t.idx, n, imm); }
  void ldr_q_post(vreg t, xreg n, int imm) { mem_post(0x3CC00400u, "q" + num(t.idx), t.idx, n, imm); }
  void ldr_d_post(vreg t, xreg n, int imm) { mem_post(0xFC400400u, "d" + num(t.idx), t.idx, n, imm); }
  // ld1 / st1 {vt.s}[lane], [xn] (4-byte lanes 0..3) and {vt.h}[lane] (2-byte lanes 0..7)
  void ld1_lane(vreg t, int lane, int bytes, xreg n) { lane_mem(true, t, lane, bytes, n); }
  void st1_lane(vreg t, int lane, int bytes, xreg n) { lane_mem(false, t, lane, bytes, n); }
  // stp / ldp of x or d registers: [xn, #imm] (offset), [xn, #imm]! (pre), [xn], #imm (post)
  enum class index { offset, pre, post };
  void stp(xreg a, xreg b2, xreg n, int imm, index i = index::offset) { pair(0xA9000000u, "stp", xn(a), xn(b2), a.idx, b2.idx, n, imm, 8, i); }
  void ldp(xreg a, xreg b2, xreg n, int imm, index i = index::offset) { pair(0xA9400000u, "ldp", xn(a), xn(b2), a.idx, b2.idx, n, imm, 8, i); }
  void stp_d(vreg a, vreg b2, xreg n, int imm, index i = index::offset) { pair(0x6D000000u, "stp", "d" + num(a.idx), "d" + num(b2.idx), a.idx, b2.idx, n, imm, 8, i); }
  void ldp_d(vreg a, vreg b2, xreg n, int imm, index i = index::offset) { pair(0x6D400000u, "ldp", "d" + num(a.idx), "d" + num(b2.idx), a.idx, b2.idx, n, imm, 8, i); }
  // stnp qa, qb, [xn, #imm]: a store pair with a non-temporal hint (imm a multiple of 16 in -1024..1008)
  void stnp_q(vreg a, vreg b2, xreg n, int imm) { pair(0xAC000000u, "stnp", "q" + num(a.idx), "q" + num(b2.idx), a.idx, b2.idx, n, imm, 16, index::offset); }
  // ld1/st1 {vt.4s - v(t+count-1).4s}, [xn]  (post_bytes: then xn += post_bytes, which must be
  // 16 * count, the only immediate the form takes)
  void ld1(vreg t, xreg n, int post_bytes = 0, int count = 1) { ld1_st1(true, t, n, post_bytes, count); }
  void st1(vreg t, xreg n, int post_bytes = 0, int count = 1) { ld1_st1(false, t, n, post_bytes, count); }

  // ---- vector arithmetic (.4s) --------------------------------------------------------------
  void fadd(vreg d, vreg n, vreg m) { vec3(0x4E20D400u, "fadd", d, n, m); }
  void fsub(vreg d, vreg n, vreg m) { vec3(0x4EA0D400u, "fsub", d, n, m); }
  void fmul(vreg d, vreg n, vreg m) { vec3(0x6E20DC00u, "fmul", d, n, m); }
  void fdiv(vreg d, vreg n, vreg m) { vec3(0x6E20FC00u, "fdiv", d, n, m); }
  void fmax(vreg d, vreg n, vreg m) { vec3(0x4E20F400u, "fmax", d, n, m); }
  void fmin(vreg d, vreg n, vreg m) { vec3(0x4EA0F400u, "fmin", d, n, m); }
  // fmaxnm / fminnm: IEEE maxNum / minNum, a quiet NaN operand loses (std::fmax / std::fmin)
  void fmaxnm(vreg d, vreg n, vreg m) { vec3(0x4E20C400u, "fmaxnm", d, n, m); }
  void fminnm(vreg d, vreg n, vreg m) { vec3(0x4EA0C400u, "fminnm", d, n, m); }
  void fmla(vreg d, vreg n, vreg m) { vec3(0x4E20CC00u, "fmla", d, n, m); }
  void fmls(vreg d, vreg n, vreg m) { vec3(0x4EA0CC00u, "fmls", d, n, m); }
  void fcmgt(vreg d, vreg n, vreg m) { vec3(0x6EA0E400u, "fcmgt", d, n, m); }
  void fcmge(vreg d, vreg n, vreg m) { vec3(0x6E20E400u, "fcmge", d, n, m); }
  void fcmeq(vreg d, vreg n, vreg m) { vec3(0x4E20E400u, "fcmeq", d, n, m); }
  void frecps(vreg d, vreg n, vreg m) { vec3(0x4E20FC00u, "frecps", d, n, m); }
  void frsqrts(vreg d, vreg n, vreg m) { vec3(0x4EA0FC00u, "frsqrts", d, n, m); }
  void zip1(vreg d, vreg n, vreg m) { vec3(0x4E803800u, "zip1", d, n, m); }
  void zip2(vreg d, vreg n, vreg m) { vec3(0x4E807800u, "zip2", d, n, m); }
  void uzp1(vreg d, vreg n, vreg m) { vec3(0x4E801800u, "uzp1", d, n, m); }
  void uzp2(vreg d, vreg n, vreg m) { vec3(0x4E805800u, "uzp2", d, n, m); }
  // bitmasks: test bits (all-ones lanes where n & m != 0), invert, sum the four lanes into s[d]
  void cmtst(vreg d, vreg n, vreg m) { vec3(0x4EA08C00u, "cmtst", d, n, m); }
  void not_(vreg d, vreg n) { put(0x6E205800u | reg(n.idx) << 5 | reg(d.idx), "not v" + num(d.idx) + ".16b, v" + num(n.idx) + ".16b"); }
  void addv(vreg d, vreg n) { put(0x4EB1B800u | reg(n.idx) << 5 | reg(d.idx), "addv s" + num(d.idx) + ", " + vs(n)); }
  // int8 quantization: f32 <-> i32 (nearest even / exact), saturating narrows, widening moves
  void fcvtns(vreg d, vreg n) { vec2(0x4E21A800u, "fcvtns", d, n); }
  void scvtf(vreg d, vreg n) { vec2(0x4E21D800u, "scvtf", d, n); }
  void sqxtn_4h(vreg d, vreg n) { arr2(0x0E614800u, "sqxtn", d, ".4h", n, ".4s"); }
  void xtn_4h(vreg d, vreg n) { arr2(0x0E612800u, "xtn", d, ".4h", n, ".4s"); }
  void sqxtun_4h(vreg d, vreg n) { arr2(0x2E612800u, "sqxtun", d, ".4h", n, ".4s"); }
  void sqxtn_8b(vreg d, vreg n) { arr2(0x0E214800u, "sqxtn", d, ".8b", n, ".8h"); }
  void uqxtn_8b(vreg d, vreg n) { arr2(0x2E214800u, "uqxtn", d, ".8b", n, ".8h"); }
  void sxtl_8h(vreg d, vreg n) { arr2(0x0F08A400u, "sxtl", d, ".8h", n, ".8b"); }
  void sxtl_4s(vreg d, vreg n) { arr2(0x0F10A400u, "sxtl", d, ".4s", n, ".4h"); }
  void uxtl_8h(vreg d, vreg n) { arr2(0x2F08A400u, "uxtl", d, ".8h", n, ".8b"); }
  void uxtl_4s(vreg d, vreg n) { arr2(0x2F10A400u, "uxtl", d, ".4s", n, ".4h"); }
  // .8h interleaves (16-bit VNNI pairs)
  void zip1_8h(vreg d, vreg n, vreg m) { vec3(0x4E403800u, "zip1", d, n, m, ".8h"); }
  void zip2_8h(vreg d, vreg n, vreg m) { vec3(0x4E407800u, "zip2", d, n, m, ".8h"); }
  // trn1 / trn2 on lanes of `lane_bytes` (1, 2, 4, 8) in a 16-byte (q) or 8-byte register:
  // lane_bytes 2, q -> trn1 vd.8h, vn.8h, vm.8h
  void trn1(vreg d, vreg n, vreg m, int lane_bytes, bool q) { trn(0x0E002800u, "trn1", d, n, m, lane_bytes, q); }
  void trn2(vreg d, vreg n, vreg m, int lane_bytes, bool q) { trn(0x0E006800u, "trn2", d, n, m, lane_bytes, q); }
  void fabs(vreg d, vreg n) { vec2(0x4EA0F800u, "fabs", d, n); }
  void fneg(vreg d, vreg n) { vec2(0x6EA0F800u, "fneg", d, n); }
  void fsqrt(vreg d, vreg n) { vec2(0x6EA1F800u, "fsqrt", d, n); }
  void frecpe(vreg d, vreg n) { vec2(0x4EA1D800u, "frecpe", d, n); }
  void frintn(vreg d, vreg n) { vec2(0x4E218800u, "frintn", d, n); }  // round to nearest even
  void fcvtzs(vreg d, vreg n) { vec2(0x4EA1B800u, "fcvtzs", d, n); }  // to int32, toward zero
  // integer .4s lanes
  void add(vreg d, vreg n, vreg m) { vec3(0x4EA08400u, "add", d, n, m); }
  void sub(vreg d, vreg n, vreg m) { vec3(0x6EA08400u, "sub", d, n, m); }
  void shl(vreg d, vreg n, int sh) { shift_imm(0x4F005400u, "shl", d, n, sh, 32 + sh); }
  void sshr(vreg d, vreg n, int sh) { shift_imm(0x4F000400u, "sshr", d, n, sh, 64 - sh); }
  void ushr(vreg d, vreg n, int sh) { shift_imm(0x6F000400u, "ushr", d, n, sh, 64 - sh); }
  void mul(vreg d, vreg n, vreg m) { vec3(0x4EA09C00u, "mul", d, n, m); }    // low 32 bits
  void cmhi(vreg d, vreg n, vreg m) { vec3(0x6EA03400u, "cmhi", d, n, m); }  // n > m, unsigned
  void frsqrte(vreg d, vreg n) { vec2(0x6EA1D800u, "frsqrte", d, n); }
  // fmla vd.4s, vn.4s, vm.s[lane]  (vm in v0..v31, lane 0..3)
  void fmla(vreg d, vreg n, vreg m, int lane) {
    check_lane(lane, 4);
    put(0x4F801000u | static_cast<std::uint32_t>(lane & 1) << 21 | static_cast<std::uint32_t>(lane >> 1) << 11 |
            static_cast<std::uint32_t>(m.idx) << 16 | static_cast<std::uint32_t>(n.idx) << 5 | static_cast<std::uint32_t>(d.idx),
        "fmla " + vs(d) + ", " + vs(n) + ", v" + num(m.idx) + ".s[" + num(lane) + "]");
  }
  // bfdot vd.4s, vn.8h, vm.2h[lane]: d[i] += n[2i]*m[2l] + n[2i+1]*m[2l+1] (BF16)
  void bfdot(vreg d, vreg n, vreg m, int lane) {
    check_lane(lane, 4);
    put(0x4F40F000u | static_cast<std::uint32_t>(lane & 1) << 21 | static_cast<std::uint32_t>(lane >> 1) << 11 |
            reg(m.idx) << 16 | reg(n.idx) << 5 | reg(d.idx),
        "bfdot " + vs(d) + ", v" + num(n.idx) + ".8h, v" + num(m.idx) + ".2h[" + num(lane) + "]");
  }
  // widening and narrowing between four f32 lanes (.4s) and four 16-bit lanes (.4h):
  // shll (bf16 -> f32: << 16), fcvtl (f16 -> f32), fcvtn (f32 -> f16), bfcvtn (f32 -> bf16, BF16)
  void shll16(vreg d, vreg n) { put(0x2E613800u | reg(n.idx) << 5 | reg(d.idx), "shll " + vs(d) + ", v" + num(n.idx) + ".4h, #16"); }
  void fcvtl(vreg d, vreg n) { put(0x0E217800u | reg(n.idx) << 5 | reg(d.idx), "fcvtl " + vs(d) + ", v" + num(n.idx) + ".4h"); }
  void fcvtn(vreg d, vreg n) { put(0x0E216800u | reg(n.idx) << 5 | reg(d.idx), "fcvtn v" + num(d.idx) + ".4h, " + vs(n)); }
  void bfcvtn(vreg d, vreg n) { put(0x0EA16800u | reg(n.idx) << 5 | reg(d.idx), "bfcvtn v" + num(d.idx) + ".4h, " + vs(n)); }
  // dup vd.4s, vn.s[lane];  dup vd.4s, wn
  void dup(vreg d, vreg n, int lane) {
    check_lane(lane, 4);
    put(0x4E000400u | static_cast<std::uint32_t>(lane << 3 | 4) << 16 | static_cast<std::uint32_t>(n.idx) << 5 |
            static_cast<std::uint32_t>(d.idx),
        "dup " + vs(d) + ", v" + num(n.idx) + ".s[" + num(lane) + "]");
  }
  void dup(vreg d, xreg wn) { put(0x4E040C00u | reg(wn.idx) << 5 | static_cast<std::uint32_t>(d.idx), "dup " + vs(d) + ", w" + num(wn.idx)); }
  // movi vd.2d, #0
  void movi_zero(vreg d) { put(0x6F00E400u | static_cast<std::uint32_t>(d.idx), "movi v" + num(d.idx) + ".2d, #0"); }
  // bitwise on .16b
  void and_(vreg d, vreg n, vreg m) { vec3(0x4E201C00u, "and", d, n, m, ".16b"); }
  void orr(vreg d, vreg n, vreg m) { vec3(0x4EA01C00u, "orr", d, n, m, ".16b"); }
  void eor(vreg d, vreg n, vreg m) { vec3(0x6E201C00u, "eor", d, n, m, ".16b"); }
  void bsl(vreg d, vreg n, vreg m) { vec3(0x6E601C00u, "bsl", d, n, m, ".16b"); }
  void bit(vreg d, vreg n, vreg m) { vec3(0x6EA01C00u, "bit", d, n, m, ".16b"); }
  void bif(vreg d, vreg n, vreg m) { vec3(0x6EE01C00u, "bif", d, n, m, ".16b"); }
  // ext vd.16b, vn.16b, vm.16b, #bytes
  void ext(vreg d, vreg n, vreg m, int bytes) {
    check_lane(bytes, 16);
    put(0x6E000000u | static_cast<std::uint32_t>(m.idx) << 16 | static_cast<std::uint32_t>(bytes) << 11 |
            static_cast<std::uint32_t>(n.idx) << 5 | static_cast<std::uint32_t>(d.idx),
        "ext v" + num(d.idx) + ".16b, v" + num(n.idx) + ".16b, v" + num(m.idx) + ".16b, #" + num(bytes));
  }

 private:
  static std::string num(long i) { return std::to_string(i); }
  static std::string xn(xreg r) { return r.idx == 31 ? "sp" : "x" + num(r.idx); }
  static std::string xz(xreg r) { return r.idx == 31 ? "xzr" : "x" + num(r.idx); }
  static std::string vs(vreg r) { return "v" + num(r.idx) + ".4s"; }
  static std::string name(cond c) {
    static const char* n[] = {"eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"};
    return n[static_cast<int>(c)];
  }
  static std::uint32_t reg(int i) {
    if (i < 0 || i > 31) detail::fail("tpp::jit::a64: register ", i, " is not in 0..31");
    return static_cast<std::uint32_t>(i);
  }
  static void check_lane(int lane, int count) {
    if (lane < 0 || lane >= count) detail::fail("tpp::jit::a64: index ", lane, " is not in 0..", count - 1);
  }
  std::string label_name(const label& l) const { return ".Ltpp" + std::to_string(reinterpret_cast<std::uintptr_t>(&l)); }

  void put(std::uint32_t w, const std::string& text) {
    code_.push_back(w);
    if (listing_) *listing_ += "  " + text + "\n";
  }

  void add_sub_imm(std::uint32_t op, const char* mnem, xreg d, xreg n, std::uint32_t imm) {
    std::uint32_t sh = 0;
    if (imm >= 4096) {
      if (imm % 4096 || imm >= (1u << 24)) detail::fail("tpp::jit::a64: ", mnem, " immediate ", imm, " is not encodable");
      imm >>= 12;
      sh = 1;
    }
    // subs writes flags: its destination 31 is xzr; add/sub use sp
    const std::string dn = std::string(mnem) == "subs" ? xz(d) : xn(d);
    put(op | sh << 22 | imm << 10 | reg(n.idx) << 5 | reg(d.idx),
        std::string(mnem) + " " + dn + ", " + xn(n) + ", #" + num(imm) + (sh ? ", lsl #12" : ""));
  }
  void add_sub_reg(std::uint32_t op, const char* mnem, xreg d, xreg n, xreg m, int shift) {
    if (shift < 0 || shift > 63) detail::fail("tpp::jit::a64: shift ", shift, " is not in 0..63");
    put(op | reg(m.idx) << 16 | static_cast<std::uint32_t>(shift) << 10 | reg(n.idx) << 5 | reg(d.idx),
        std::string(mnem) + " " + xz(d) + ", " + xz(n) + ", " + xz(m) + (shift ? ", lsl #" + num(shift) : ""));
  }
  void mov_wide(std::uint32_t op, const char* mnem, xreg d, std::uint32_t imm16, int hw) {
    if (imm16 > 0xFFFF || hw < 0 || hw > 3) detail::fail("tpp::jit::a64: ", mnem, " #", imm16, ", lsl #", 16 * hw);
    put(op | static_cast<std::uint32_t>(hw) << 21 | imm16 << 5 | reg(d.idx),
        std::string(mnem) + " " + xz(d) + ", #" + num(imm16) + (hw ? ", lsl #" + num(16 * hw) : ""));
  }
  void branch(std::uint32_t op, label& l, int kind, const std::string& text) {
    const long at = static_cast<long>(code_.size());
    put(op, text + " " + label_name(l));
    if (l.at >= 0) patch(at, kind, l.at);
    else l.uses.push_back({at, kind});
  }
  void patch(long at, int kind, long target) {
    const long delta = target - at;  // in words
    if (kind == 0) {
      if (delta < -(1L << 25) || delta >= (1L << 25)) detail::fail("tpp::jit::a64: branch out of range");
      code_[at] |= static_cast<std::uint32_t>(delta) & 0x3FFFFFFu;
    } else {
      if (delta < -(1L << 18) || delta >= (1L << 18)) detail::fail("tpp::jit::a64: branch out of range");
      code_[at] |= (static_cast<std::uint32_t>(delta) & 0x7FFFFu) << 5;
    }
  }
  void mem_uimm(std::uint32_t op, const char* mnem, const std::string& t, int ti, xreg n, std::uint32_t imm, int scale) {
    if (imm % scale || imm / scale > 4095) detail::fail("tpp::jit::a64: ", mnem, " offset ", imm, " is not encodable");
    put(op | (imm / scale) << 10 | reg(n.idx) << 5 | reg(ti),
        std::string(mnem) + " " + t + ", [" + xn(n) + (imm ? ", #" + num(imm) : "") + "]");
  }
  void mem_post(std::uint32_t op, const std::string& t, int ti, xreg n, int imm) {
    if (imm < -256 || imm > 255) detail::fail("tpp::jit::a64: post-index ", imm, " is not in -256..255");
    put(op | (static_cast<std::uint32_t>(imm) & 0x1FF) << 12 | reg(n.idx) << 5 | reg(ti),
        "ldr " + t + ", [" + xn(n) + "], #" + num(imm));
  }
  void lane_mem(bool load, vreg t, int lane, int bytes, xreg n) {
    std::uint32_t w = load ? 0x0D400000u : 0x0D000000u;
    if (bytes == 4) {
      check_lane(lane, 4);
      w |= 0x8000u | static_cast<std::uint32_t>(lane >> 1) << 30 | static_cast<std::uint32_t>(lane & 1) << 12;
    } else if (bytes == 2) {
      check_lane(lane, 8);
      w |= 0x4000u | static_cast<std::uint32_t>(lane >> 2) << 30 | static_cast<std::uint32_t>((lane >> 1) & 1) << 12 |
           static_cast<std::uint32_t>(lane & 1) << 11;
    } else if (bytes == 1) {
      check_lane(lane, 16);
      w |= static_cast<std::uint32_t>(lane >> 3) << 30 | static_cast<std::uint32_t>((lane >> 2) & 1) << 12 |
           static_cast<std::uint32_t>(lane & 3) << 10;
    } else {
      detail::fail("tpp::jit::a64: ld1/st1 lanes of ", bytes, " bytes");
    }
    const char* arr = bytes == 4 ? ".s" : bytes == 2 ? ".h" : ".b";
    put(w | reg(n.idx) << 5 | reg(t.idx), std::string(load ? "ld1" : "st1") + " {v" + num(t.idx) + arr + "}[" +
                                              num(lane) + "], [" + xn(n) + "]");
  }
  void pair(std::uint32_t op, const char* mnem, const std::string& a, const std::string& b2, int ai, int bi,
            xreg n, int imm, int scale, index i) {
    if (imm % scale || imm / scale < -64 || imm / scale > 63)
      detail::fail("tpp::jit::a64: ", mnem, " offset ", imm, " is not encodable");
    // bits 24:23: 10 offset, 11 pre-index, 01 post-index (op holds the offset form)
    std::uint32_t w = op;
    if (i == index::pre) w |= 1u << 23;
    if (i == index::post) w = (w & ~(1u << 24)) | 1u << 23;
    w |= (static_cast<std::uint32_t>(imm / scale) & 0x7F) << 15 | reg(bi) << 10 | reg(n.idx) << 5 | reg(ai);
    std::string addr = i == index::post ? "[" + xn(n) + "], #" + num(imm)
                                        : "[" + xn(n) + (imm || i == index::pre ? ", #" + num(imm) : "") + "]" + (i == index::pre ? "!" : "");
    put(w, std::string(mnem) + " " + a + ", " + b2 + ", " + addr);
  }
  void ld1_st1(bool load, vreg t, xreg n, int post_bytes, int count) {
    static const std::uint32_t opcode[] = {0, 0x7, 0xA, 0x6, 0x2};
    if (count < 1 || count > 4) detail::fail("tpp::jit::a64: ld1/st1 of ", count, " registers");
    if (post_bytes && post_bytes != 16 * count) detail::fail("tpp::jit::a64: ld1/st1 post-increment ", post_bytes, " is not ", 16 * count);
    std::uint32_t w = (load ? 0x4C400000u : 0x4C000000u) | opcode[count] << 12 | 2u << 10 | reg(n.idx) << 5 | reg(t.idx);
    if (post_bytes) w |= 1u << 23 | 31u << 16;
    std::string list = "{";
    for (int k = 0; k < count; ++k) list += (k ? ", " : "") + vs(v((t.idx + k) % 32));
    list += "}";
    put(w, std::string(load ? "ld1 " : "st1 ") + list + ", [" + xn(n) + "]" + (post_bytes ? ", #" + num(post_bytes) : ""));
  }
  void vec3(std::uint32_t op, const char* mnem, vreg d, vreg n, vreg m, const char* arr = ".4s") {
    put(op | reg(m.idx) << 16 | reg(n.idx) << 5 | reg(d.idx),
        std::string(mnem) + " v" + num(d.idx) + arr + ", v" + num(n.idx) + arr + ", v" + num(m.idx) + arr);
  }
  void trn(std::uint32_t op, const char* mnem, vreg d, vreg n, vreg m, int lane_bytes, bool q) {
    const int size = lane_bytes == 1 ? 0 : lane_bytes == 2 ? 1 : lane_bytes == 4 ? 2 : lane_bytes == 8 ? 3 : -1;
    if (size < 0 || (size == 3 && !q)) detail::fail("tpp::jit::a64: ", mnem, " has no ", lane_bytes, "-byte lanes here");
    const std::string arr = "." + num((q ? 16 : 8) / lane_bytes) + "bhsd"[size];
    vec3(op | static_cast<std::uint32_t>(q) << 30 | static_cast<std::uint32_t>(size) << 22, mnem, d, n, m, arr.c_str());
  }
  // .4s shift by sh (0..31 for shl, 1..32 for sshr); immh:immb = enc
  void shift_imm(std::uint32_t op, const char* mnem, vreg d, vreg n, int sh, int enc) {
    if (enc < 32 || enc > 63) detail::fail("tpp::jit::a64: ", mnem, " #", sh, " is not encodable on .4s");
    put(op | static_cast<std::uint32_t>(enc) << 16 | reg(n.idx) << 5 | reg(d.idx),
        std::string(mnem) + " " + vs(d) + ", " + vs(n) + ", #" + num(sh));
  }
  void arr2(std::uint32_t op, const char* mnem, vreg d, const char* da, vreg n, const char* na) {
    put(op | reg(n.idx) << 5 | reg(d.idx), std::string(mnem) + " v" + num(d.idx) + da + ", v" + num(n.idx) + na);
  }
  void vec2(std::uint32_t op, const char* mnem, vreg d, vreg n) {
    put(op | reg(n.idx) << 5 | reg(d.idx), std::string(mnem) + " " + vs(d) + ", " + vs(n));
  }

  std::vector<std::uint32_t> code_;
  std::string* listing_ = nullptr;
};

}  // namespace tpp::jit::a64
