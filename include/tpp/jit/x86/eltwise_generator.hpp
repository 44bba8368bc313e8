// The x86 generator for every unary and binary element-wise TPP, for AVX2 (V = Ymm) and
// AVX-512 (V = Zmm). One kernel = one descriptor: the shape, dtypes, broadcasts and op are
// constants of the code. Layout of a kernel:
//
//   load operand pointers from eltwise_args (rdi); k1 / tail-mask register for the column tail
//   scalar broadcasts -> reserved registers
//   row loop:      column broadcasts -> reserved registers
//                  column loop over U-vector chunks (pointers bumped), then the remaining full
//                  vectors and the tail, at static offsets
//                  pointers += ld - bumped
//   vzeroupper; ret; constant table
//
// With desc.stream (store_hint) the row loop is emitted twice: full f32 vectors of out are
// streaming stores (vmovntps, then sfence) when out is vector-aligned and no full input is out
// itself (in place, each line is in L1 when it is stored), else the cached copy runs.
//
// Each chunk loads up to U lanes, runs the op on all lanes interleaved, writes bitmasks, stores.
#pragma once

#include <algorithm>
#include <vector>

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include "tpp/detail/eltwise_desc.hpp"
#include "tpp/jit/x86/const_table.hpp"
#include "tpp/jit/x86/io.hpp"
#include "tpp/jit/x86/loops.hpp"
#include "tpp/jit/x86/math.hpp"
#include "tpp/jit/x86/staging.hpp"
#include "tpp/jit/x86/unary_injector.hpp"
#include "tpp/jit/x86/vec.hpp"

namespace tpp::jit::x86 {

// Vector temporaries each op needs per lane (besides the value and the second input).
inline int op_temps(const detail::eltwise_desc& d) {
  if (d.fam == detail::family::binary) {
    const auto op = d.bop();
    return (op == binary_op::max || op == binary_op::min) ? 2 : 0;
  }
  const auto op = d.uop();
  if (op == unary_op::relu) return 2;  // its bitmask needs a compare register
  if (is_activation(op)) return injector_temps_fast(op);
  return is_backward(op) ? backward_temps(op) : 0;
}

template <class V>
class eltwise_generator : public Xbyak::CodeGenerator {
  static constexpr int kLanes = vec<V>::lanes;
  static constexpr bool avx512 = vec<V>::avx512;
  using desc = detail::eltwise_desc;
  using lanes_t = typename math<V>::lanes_t;

  struct lane_regs {
    V v, y;
    std::array<V, 6> t;
  };
  static lane<V> make_lane(const V& v, std::initializer_list<V> t) { return math<V>::make_lane(v, t); }

 public:
  explicit eltwise_generator(const desc& d)
      : Xbyak::CodeGenerator(1 << 16, Xbyak::DontSetProtectRWE, staging()),  // largest kernel ~12 KiB
        d_(d),
        consts_(vec<V>::bytes),
        math_(*this, consts_),
        inj_(*this, consts_),
        io_(*this, consts_, d.level >= isa::avx512_bf16, V(vec<V>::count - 1)) {
    io_.set_raw16(detail::copies_bits(d));
    io_.set_exact_bf16(detail::stores_exact_bf16(d));
    plan();
    emit();
  }

 private:
  // ---- planning: registers and unroll ------------------------------------------------------
  bool reads_src0() const {
    return d_.fam == detail::family::binary || reads_input(d_.uop());
  }
  bool reads_src1() const { return d_.src[1].type != dtype::none; }
  static bool in_register(const detail::operand_desc& o) {
    return o.bcast == broadcast::scalar || o.bcast == broadcast::column;
  }

  void plan() {
    const int tail = d_.cols % kLanes;
    int top = vec<V>::count;
    const bool any_f32 = d_.src[0].type == dtype::f32 || d_.src[1].type == dtype::f32 ||
                         d_.dst.type == dtype::f32;
    if (!avx512 && tail && any_f32) tail_mask_ = V(--top);  // == io_'s register (count - 1)
    for (int k = 0; k < 2; ++k)
      if (in_register(d_.src[k]) && (k == 0 ? reads_src0() : reads_src1())) bcast_[k] = V(--top);
    const bool bf16_emulated = d_.dst.type == dtype::bf16 && !(avx512 && d_.level >= isa::avx512_bf16);
    temps_ = std::max(op_temps(d_), bf16_emulated ? 2 : 0);
    const int per_lane = 1 + (reads_src1() ? 1 : 0) + temps_;
    const bool activation = d_.fam == detail::family::unary && is_activation(d_.uop());
    const int pinned_lanes = !avx512 && activation ? math<V>::pinned_lanes_avx2(d_.uop()) : 0;
    const int max_u = pinned_lanes ? pinned_lanes : temps_ <= 1 ? 8 : 4;
    unroll_ = std::max(1, std::min(max_u, top / per_lane));
    int r = 0;
    for (int u = 0; u < unroll_; ++u) {
      lane_regs l;
      l.v = V(r++);
      l.y = reads_src1() ? V(r++) : l.v;
      for (int k = 0; k < temps_; ++k) l.t[k] = V(r++);
      lanes_.push_back(l);
    }
    // registers the lanes leave hold the activation's most-read constants, loaded once
    if (activation)
      for (float c : math<V>::pinnable_constants(d_.uop()))
        if (r < top) pins_.push_back({c, V(r++)});
  }

  // ---- emission -----------------------------------------------------------------------------
  void emit() {
    using namespace Xbyak;
    using namespace Xbyak::util;
    StackFrame sf(this, 1, 7, 0, false);  // epilogue emitted below, before the table
    const Reg64& args = sf.p[0];
    ptr_[0] = sf.t[0];
    ptr_[1] = sf.t[1];
    ptr_[2] = sf.t[2];
    ptr_[3] = sf.t[3];
    rows_ = sf.t[4];
    iter_ = sf.t[5];
    scratch_ = sf.t[6];
    for (int k = 0; k < 4; ++k) mov(ptr_[k], qword[args + 8 * k]);

    const int tail = d_.cols % kLanes;
    if (tail && (avx512 || has_tail_mask())) io_.set_tail(tail, scratch_.cvt32());
    for (int k = 0; k < 2; ++k)
      if (has_bcast(k) && d_.src[k].bcast == broadcast::scalar)
        io_.load_broadcast(bcast_[k], d_.src[k].type, ptr_[k], scratch_.cvt32());

    for (const auto& [value, reg] : pins_) inj_.maths().load_pin(value, reg);
    // unused inputs are null in eltwise_args, never equal to out
    emit_streaming_split(*this, d_.stream, ptr_[2], {ptr_[0], ptr_[1]}, vec<V>::bytes, stream_, [&] { emit_rows(); });
    vzeroupper();
    sf.close();
    consts_.emit(*this);
  }

  void emit_rows() {
    using namespace Xbyak;
    Label row_loop;
    if (d_.rows > 1) {
      mov(rows_, d_.rows);
      L(row_loop);
    }
    for (int k = 0; k < 2; ++k)
      if (has_bcast(k) && d_.src[k].bcast == broadcast::column)
        io_.load_broadcast(bcast_[k], d_.src[k].type, ptr_[k], scratch_.cvt32());
    emit_row();
    if (d_.rows > 1) {
      dec(rows_);
      jnz(row_loop, T_NEAR);
    }
  }

  bool has_tail_mask() const { return !avx512 && tail_mask_.getIdx() != 0; }
  bool has_bcast(int k) const { return bcast_[k].getIdx() != 0; }

  // Bytes an element offset spans in operand o (bitmasks: offsets are multiples of 8).
  static long bytes_of(const detail::operand_desc& o, long elems) {
    return o.type == dtype::bit ? elems / 8 : elems * size_of(o.type);
  }
  // The operands that live in memory, in args order: src0, src1, dst, mask.
  const detail::operand_desc& operand_of(int k) const {
    return k == 0 ? d_.src[0] : k == 1 ? d_.src[1] : k == 2 ? d_.dst : d_.mask;
  }
  bool walks(int k) const {  // pointer k moves along the columns
    const auto& o = operand_of(k);
    if (o.type == dtype::none) return false;
    if (k == 0 && !reads_src0()) return false;
    return !in_register(o) && o.bcast != broadcast::scalar;
  }

  void emit_row() {
    using namespace Xbyak;
    const int full = d_.cols / kLanes, tail = d_.cols % kLanes;
    const int iters = full / unroll_;
    long bumped = 0;  // elements every walking pointer has advanced inside the column loop
    int start = 0;    // first vector not covered by the loop
    if (iters >= 2) {
      Label col_loop;
      mov(iter_, iters);
      L(col_loop);
      emit_chunk(unroll_, 0, kLanes);
      for (int k = 0; k < 4; ++k)
        if (walks(k)) add(ptr_[k], bytes_of(operand_of(k), static_cast<long>(unroll_) * kLanes));
      dec(iter_);
      jnz(col_loop, T_NEAR);
      bumped = static_cast<long>(iters) * unroll_ * kLanes;
      start = iters * unroll_;
    }
    for (int vv = start; vv < full; vv += unroll_)
      emit_chunk(std::min(unroll_, full - vv), static_cast<long>(vv - start) * kLanes, kLanes);
    if (tail) emit_chunk(1, static_cast<long>(full - start) * kLanes, tail);
    if (d_.rows > 1) {
      for (int k = 0; k < 4; ++k) {
        const auto& o = operand_of(k);
        if (o.type == dtype::none || (k == 0 && !reads_src0())) continue;
        if (o.bcast == broadcast::scalar) continue;
        const long step = (o.bcast == broadcast::row ? 0 : bytes_of(o, o.ld)) -
                          (walks(k) ? bytes_of(o, bumped) : 0);
        if (step == 0) continue;
        mov(scratch_, step);
        add(ptr_[k], scratch_);
      }
    }
  }

  // Whether full AVX2 vectors go through io's bf16 pairs: every operand in memory is bf16 and
  // no output depends on element order (bitmasks) or moves raw bits.
  bool bf16_pairs() const {
    if (avx512 || d_.dst.type != dtype::bf16 || detail::copies_bits(d_) || d_.mask.type != dtype::none) return false;
    if (reads_src0() && !has_bcast(0) && d_.src[0].type != dtype::bf16) return false;
    if (reads_src1() && !has_bcast(1) && d_.src[1].type != dtype::bf16) return false;
    return d_.fam == detail::family::unary || !is_compare(d_.bop());
  }

  // u lanes starting at element offset off (relative to the pointers); the last lane holds n.
  void emit_chunk(int u, long off, int n_last) {
    std::vector<lane_regs> ls(lanes_.begin(), lanes_.begin() + u);
    const auto count = [&](int i) { return i == u - 1 ? n_last : kLanes; };
    const auto at = [&](int k, int i) {
      return ptr_[k] + bytes_of(operand_of(k), off + static_cast<long>(i) * kLanes);
    };
    // lanes i and i + 1 as one bf16 pair (io::load_bf16_pair)
    const auto paired = [&](int i) { return bf16_pairs() && i % 2 == 0 && i + 1 < u && count(i + 1) == kLanes; };
    // inputs
    for (int i = 0; i < u; ++i) {
      if (paired(i)) {
        vpxor(ls[i].t[0], ls[i].t[0], ls[i].t[0]);  // the zero both pair loads widen against
        if (reads_src0() && !has_bcast(0)) io_.load_bf16_pair(ls[i].v, ls[i + 1].v, at(0, i), ls[i].t[0]);
        if (reads_src1() && !has_bcast(1)) io_.load_bf16_pair(ls[i].y, ls[i + 1].y, at(1, i), ls[i].t[0]);
        for (int j = i; j < i + 2; ++j) {
          if (reads_src0() && has_bcast(0)) vmovaps(ls[j].v, bcast_[0]);
          if (reads_src1() && has_bcast(1)) vmovaps(ls[j].y, bcast_[1]);
        }
        ++i;
        continue;
      }
      if (reads_src0()) {
        if (has_bcast(0)) vmovaps(ls[i].v, bcast_[0]);
        else io_.load(ls[i].v, d_.src[0].type, at(0, i), count(i));
      }
      if (reads_src1()) {
        if (has_bcast(1)) vmovaps(ls[i].y, bcast_[1]);
        else if (d_.src[1].type == dtype::bit) load_bits_as_mask(ls[i].y, at(1, i), count(i));
        else io_.load(ls[i].y, d_.src[1].type, at(1, i), count(i));
      }
    }
    if (d_.fam == detail::family::binary) {
      if (is_compare(d_.bop())) {
        for (int i = 0; i < u; ++i) compare_to_bits(ls[i], at(2, i), count(i));
        return;
      }
      binary(ls);
    } else {
      unary(ls, [&](int i) { return at(3, i); }, count);
    }
    for (int i = 0; i < u; ++i) {
      if (paired(i)) {
        io_.store_bf16_pair(ls[i].v, ls[i + 1].v, at(2, i), ls[i].t[0], ls[i].t[1]);
        ++i;
        continue;
      }
      if (stream_ && count(i) == kLanes) vmovntps(ptr[at(2, i)], ls[i].v);  // f32 (lower() checks)
      else io_.store(ls[i].v, d_.dst.type, at(2, i), count(i), ls[i].t[0], ls[i].t[1]);
    }
  }

  // ---- ops ----------------------------------------------------------------------------------
  lanes_t math_lanes(const std::vector<lane_regs>& ls) const {
    lanes_t m;
    for (const auto& l : ls) m.push_back(make_lane(l.v, {l.t[0], l.t[1], l.t[2], l.t[3], l.t[4], l.t[5]}));
    return m;
  }

  template <class MaskAt, class Count>
  void unary(std::vector<lane_regs>& ls, MaskAt mask_at, Count count) {
    using namespace Xbyak;
    const float alpha = d_.alpha;
    switch (d_.uop()) {
      case unary_op::relu:
        for (std::size_t i = 0; i < ls.size(); ++i) {
          auto& l = ls[i];
          vxorps(l.t[0], l.t[0], l.t[0]);
          if (d_.mask.type == dtype::bit) {
            if constexpr (avx512) {
              vcmpps(Opmask(2), l.v, l.t[0], 0x1E /*GT_OQ*/);
              kmovw(scratch_.cvt32(), Opmask(2));
            } else {
              vcmpps(l.t[1], l.v, l.t[0], 0x1E);
              vmovmskps(scratch_.cvt32(), l.t[1]);
            }
            store_bits(mask_at(static_cast<int>(i)), count(static_cast<int>(i)));
          }
          vmaxps(l.v, l.t[0], l.v);  // x < 0 ? 0 : x, NaN kept
        }
        break;
      case unary_op::relu_inv:
        if (d_.src[1].type == dtype::bit) {  // y holds the bits as lane masks
          for (auto& l : ls) inj_.apply_mask(l.v, l.y);
          break;
        }
        [[fallthrough]];
      case unary_op::leaky_relu_inv: case unary_op::elu_inv: case unary_op::gelu_tanh_inv:
      case unary_op::gelu_erf_inv: case unary_op::tanh_inv: case unary_op::sigmoid_inv: {
        lanes_t m;  // the forward operand (y) as t[4], the temps around it
        for (auto& l : ls) {
          lane<V> b = make_lane(l.v, {});
          for (int k = 0; k < temps_; ++k) b.t[backward_temp_slot(k)] = l.t[k];
          b.t[4] = l.y;
          m.push_back(b);
        }
        inj_.apply_backward(d_.uop(), alpha, m);
        break;
      }
      default: inj_.apply(d_.uop(), alpha, math_lanes(ls)); break;
    }
  }

  void binary(std::vector<lane_regs>& ls) {
    using namespace Xbyak;
    switch (d_.bop()) {
      case binary_op::add: for (auto& l : ls) vaddps(l.v, l.v, l.y); break;
      case binary_op::sub: for (auto& l : ls) vsubps(l.v, l.v, l.y); break;
      case binary_op::mul: for (auto& l : ls) vmulps(l.v, l.v, l.y); break;
      case binary_op::div: for (auto& l : ls) vdivps(l.v, l.v, l.y); break;
      case binary_op::max:
      case binary_op::min:
        // vmaxps/vminps return the second source if either is NaN (so a NaN b propagates);
        // a NaN a is put back by the blend.
        for (auto& l : ls) {
          if (d_.bop() == binary_op::max) vmaxps(l.t[0], l.v, l.y);
          else vminps(l.t[0], l.v, l.y);
        }
        for (auto& l : ls) {
          if constexpr (avx512) {
            vcmpps(Opmask(2), l.v, l.v, 0x03 /*UNORD_Q*/);
            vblendmps(l.v | Opmask(2), l.t[0], l.v);
          } else {
            vcmpps(l.t[1], l.v, l.v, 0x03);
            vblendvps(l.v, l.t[0], l.v, l.t[1]);
          }
        }
        break;
      default: break;
    }
  }

  static int predicate(binary_op op) {
    switch (op) {
      case binary_op::cmp_gt: return 0x1E;  // GT_OQ
      case binary_op::cmp_ge: return 0x1D;  // GE_OQ
      case binary_op::cmp_lt: return 0x11;  // LT_OQ
      case binary_op::cmp_le: return 0x12;  // LE_OQ
      case binary_op::cmp_eq: return 0x00;  // EQ_OQ
      default: return 0x04;                 // NEQ_UQ: true for NaN, as a != b in C++
    }
  }

  void compare_to_bits(lane_regs& l, const Xbyak::RegExp& out, int n) {
    if constexpr (avx512) {
      vcmpps(Xbyak::Opmask(2), l.v, l.y, predicate(d_.bop()));
      kmovw(scratch_.cvt32(), Xbyak::Opmask(2));
    } else {
      vcmpps(l.v, l.v, l.y, predicate(d_.bop()));
      vmovmskps(scratch_.cvt32(), l.v);
    }
    store_bits(out, n);
  }

  // ---- bitmask helpers ----------------------------------------------------------------------
  // low n bits of scratch -> memory at a; n bits at a -> all-ones lanes (io's bitmask helpers)
  void store_bits(const Xbyak::RegExp& a, int n) { io_.store_bits(a, n, scratch_.cvt32()); }
  void load_bits_as_mask(const V& m, const Xbyak::RegExp& a, int n) {
    io_.load_bits_as_mask(m, a, n, scratch_.cvt32());
  }
  // y -> all-ones lanes where y > 0 (tmp clobbered)
  const desc d_;
  bool stream_ = false;  // emitting the streaming copy of the row loop
  const_table consts_;
  math<V> math_;
  unary_injector<V> inj_;
  io<V> io_;
  std::vector<lane_regs> lanes_;
  std::vector<std::pair<float, V>> pins_;  // constants held in registers (plan)
  int unroll_ = 1, temps_ = 0;
  V tail_mask_{0}, bcast_[2] = {V(0), V(0)};
  Xbyak::Reg64 ptr_[4], rows_, iter_, scratch_;
};

}  // namespace tpp::jit::x86
