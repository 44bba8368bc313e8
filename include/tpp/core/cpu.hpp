// CPU feature detection and ISA levels, with a cap (environment variable TPP_ISA or set_isa_cap),
// and the x86 bf16 product (TPP_BF16_PRODUCT or set_bf16_product).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tpp/core/error.hpp"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define TPP_X86_64 1
#endif
#if TPP_X86_64 && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#define TPP_AARCH64 1
#endif

namespace tpp {

// Ordered: each level includes everything below it. `ref` = scalar reference kernels only.
//   avx2        AVX2 + FMA + F16C, ymm state enabled by the OS
//   avx512      AVX-512 F/BW/DQ/VL, zmm and opmask state enabled by the OS
//   avx512_bf16 + AVX512_BF16 (vcvtneps2bf16, vdpbf16ps) and AVX512_VNNI (vpdpbusd); every CPU
//               with the first has the second (Cooper Lake, Sapphire Rapids, Zen 4)
//   avx512_fp16 + AVX512_FP16 (Sapphire Rapids and later; these CPUs also have AVX512_BF16)
//   amx         + AMX-TILE, AMX-BF16, AMX-INT8, tile state enabled by the OS and granted to this
//               process (Linux arch_prctl ARCH_REQ_XCOMP_PERM, asked once at detection)
//
// AArch64 levels form a second chain above ref:
//   neon        Advanced SIMD (every AArch64 Linux CPU)
//   neon_bf16   + BF16 (BFCVTN, BFDOT, BFMMLA)
enum class isa : std::uint8_t { ref = 0, avx2, avx512, avx512_bf16, avx512_fp16, amx, neon = 16, neon_bf16 };
constexpr isa isa_top = isa::amx;  // the highest x86 level (the default cap: none)
constexpr isa all_isas[] = {isa::ref, isa::avx2, isa::avx512, isa::avx512_bf16, isa::avx512_fp16, isa::amx,
                            isa::neon, isa::neon_bf16};
constexpr bool is_x86(isa l) { return l >= isa::avx2 && l <= isa::amx; }
constexpr bool is_arm(isa l) { return l >= isa::neon; }

constexpr const char* name(isa level) {
  switch (level) {
    case isa::ref: return "ref";
    case isa::avx2: return "avx2";
    case isa::avx512: return "avx512";
    case isa::avx512_bf16: return "avx512_bf16";
    case isa::avx512_fp16: return "avx512_fp16";
    case isa::amx: return "amx";
    case isa::neon: return "neon";
    case isa::neon_bf16: return "neon_bf16";
  }
  return "?";
}

// "avx2" -> isa::avx2; throws tpp::error naming the accepted values.
inline isa parse_isa(const std::string& s) {
  for (isa l : all_isas)
    if (s == name(l)) return l;
  detail::fail("TPP_ISA = \"", s, "\" is not an ISA level; use one of ref, avx2, avx512, ",
               "avx512_bf16, avx512_fp16, amx, neon, neon_bf16");
}

namespace detail {

struct cpu_features {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool avx512_bf16 = false, avx512_fp16 = false, avx512_vnni = false;
  bool avx_vnni = false;  // VEX vpdpbusd on xmm/ymm (Alder Lake and later client cores, Sapphire Rapids)
  bool amx_tile = false, amx_bf16 = false, amx_int8 = false;
  bool os_ymm = false, os_zmm = false, os_tiles = false;  // XCR0 says the OS saves these registers
  bool tiles_granted = false;                            // Linux let this process use tile data
  bool intel = false;                                    // CPUID vendor "GenuineIntel"
};

#if TPP_X86_64
inline std::uint64_t xgetbv0() {
  std::uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}
#endif

// Linux enables AMX tile data per process, on request (kernel 5.16+); elsewhere tiles stay off.
inline bool request_tile_permission() {
#if TPP_X86_64 && defined(__linux__)
  constexpr long arch_req_xcomp_perm = 0x1023, xfeature_xtiledata = 18;
  return syscall(SYS_arch_prctl, arch_req_xcomp_perm, xfeature_xtiledata) == 0;
#else
  return false;
#endif
}

inline cpu_features read_cpu_features() {
  cpu_features f;
#if TPP_X86_64
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
  f.intel = b == 0x756e6547u && d == 0x49656e69u && c == 0x6c65746eu;  // "Genu" "ineI" "ntel"
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & (1u << 27), avx = c & (1u << 28);
  f.fma = c & (1u << 12);
  f.f16c = c & (1u << 29);
  if (osxsave && avx) {
    const std::uint64_t xcr0 = xgetbv0();
    f.os_ymm = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
    f.os_zmm = f.os_ymm && (xcr0 & 0xE0) == 0xE0;  // opmask + ZMM_Hi256 + Hi16_ZMM
    f.os_tiles = (xcr0 & 0x60000) == 0x60000;      // XTILECFG + XTILEDATA
  }
  if (__get_cpuid_max(0, nullptr) >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = b & (1u << 5);
    f.avx512f = b & (1u << 16);
    f.avx512dq = b & (1u << 17);
    f.avx512bw = b & (1u << 30);
    f.avx512vl = b & (1u << 31);
    f.avx512_fp16 = d & (1u << 23);
    f.avx512_vnni = c & (1u << 11);
    f.amx_bf16 = d & (1u << 22);
    f.amx_tile = d & (1u << 24);
    f.amx_int8 = d & (1u << 25);
    const unsigned max_sub = a;
    if (max_sub >= 1) {
      __cpuid_count(7, 1, a, b, c, d);
      f.avx_vnni = a & (1u << 4);
      f.avx512_bf16 = a & (1u << 5);
    }
  }
  if (f.amx_tile && f.os_tiles) f.tiles_granted = request_tile_permission();
#endif
  return f;
}

#if TPP_AARCH64
// HWCAP_ASIMD (bit 1 of AT_HWCAP) and HWCAP2_BF16 (bit 14 of AT_HWCAP2), from the Linux uapi
inline isa arm_level() {
  const unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  if (!(hw & (1ul << 1))) return isa::ref;
  return (hw2 & (1ul << 14)) ? isa::neon_bf16 : isa::neon;
}
#endif

inline isa level_of(const cpu_features& f) {
  if (!(f.os_ymm && f.avx2 && f.fma && f.f16c)) return isa::ref;
  if (!(f.os_zmm && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl)) return isa::avx2;
  if (!(f.avx512_bf16 && f.avx512_vnni)) return isa::avx512;
  if (!f.avx512_fp16) return isa::avx512_bf16;
  if (f.amx_tile && f.amx_bf16 && f.amx_int8 && f.tiles_granted) return isa::amx;
  return isa::avx512_fp16;
}

inline std::atomic<int>& isa_cap_slot() {
  static std::atomic<int> cap{[] {
    const char* env = std::getenv("TPP_ISA");
    return static_cast<int>(env && *env ? parse_isa(env) : isa_top);
  }()};
  return cap;
}

inline const cpu_features& detected_features() {
  static const cpu_features f = read_cpu_features();
  return f;
}

}  // namespace detail

// The best level this CPU and OS support (detected once).
inline isa detected_isa() {
#if TPP_AARCH64
  static const isa level = detail::arm_level();
#else
  static const isa level = detail::level_of(detail::detected_features());
#endif
  return level;
}

// AVX-VNNI: the ymm u8 x i8 product multiplies quads with VEX vpdpbusd where the CPU has it, at
// whatever x86 level runs ymm code. It is a feature beside the level chain, not a level in it:
// there are CPUs with it and no AVX-512 (Alder Lake) and with AVX-512 and not it (Ice Lake).
inline bool has_avx_vnni() { return detail::detected_features().avx_vnni && detail::detected_features().os_ymm; }

// How x86 multiplies bf16 A by bf16 VNNI B outside AMX tiles, at levels with AVX512_BF16:
//   dot        vdpbf16ps: a pair of k per instruction, accumulated in f32
//   fma        bf16 widened to f32 (exact: a 16-bit shift) and multiplied by f32 FMAs; BRGEMM widens
//              B as it loads it (and stages A), tpp::gemm widens A and B once before its blocks
//   automatic  fma on Intel CPUs, dot on others
// Why automatic is not always dot: on the device host (Sapphire-Rapids-class Xeon) a vdpbf16ps
// loop reaches only half the FLOP rate of an f32 FMA loop (118 against 232 GFLOP/s per core; in
// a slower session 47-78 against 102-155), so FMAs on widened values beat the dot. Same process,
// both products alternated (third_party harness, medians): bf16 VNNI BRGEMM 64^3..128^3 and
// 64^3 x 16 ran 32-76 GFLOP/s with vdpbf16ps and 62-125 widened; tpp::gemm bf16 1024^3 and
// 4096x1024x1024 39-74 against 72-104. AMD Zen 4 has AVX512_BF16 too; it is not measured
// here, so it keeps vdpbf16ps. AMX tiles are unaffected. TPP_BF16_PRODUCT=dot|fma|automatic
// sets it at start.
enum class bf16_product : std::uint8_t { automatic = 0, dot, fma };

inline const char* name(bf16_product p) {
  switch (p) {
    case bf16_product::automatic: return "automatic";
    case bf16_product::dot: return "dot";
    case bf16_product::fma: return "fma";
  }
  return "?";
}

namespace detail {
inline std::atomic<int>& bf16_product_slot() {
  static std::atomic<int> slot{[] {
    const char* env = std::getenv("TPP_BF16_PRODUCT");
    if (!env || !*env) return static_cast<int>(bf16_product::automatic);
    for (bf16_product p : {bf16_product::automatic, bf16_product::dot, bf16_product::fma})
      if (std::string(env) == name(p)) return static_cast<int>(p);
    fail("TPP_BF16_PRODUCT = \"", env, "\" is not a bf16 product; use one of automatic, dot, fma");
  }()};
  return slot;
}
}  // namespace detail

// Kernels already dispatched keep their product; new dispatches see the new setting.
inline void set_bf16_product(bf16_product p) { detail::bf16_product_slot().store(static_cast<int>(p)); }
inline bf16_product get_bf16_product() { return static_cast<bf16_product>(detail::bf16_product_slot().load()); }

// Whether kernels generated for `level` multiply bf16 VNNI pairs with vdpbf16ps (x86 only).
inline bool bf16_dot_at(isa level) {
  if (!is_x86(level) || level < isa::avx512_bf16) return false;
  const bf16_product p = get_bf16_product();
  return p == bf16_product::automatic ? !detail::detected_features().intel : p == bf16_product::dot;
}

// Caps the level kernels are generated for (tests use it to run every level the machine has).
// Kernels already dispatched keep working; new dispatches see the new cap.
inline void set_isa_cap(isa cap) { detail::isa_cap_slot().store(static_cast<int>(cap)); }
inline isa isa_cap() { return static_cast<isa>(detail::isa_cap_slot().load()); }

// min(detected, cap): the level dispatch generates code for.
// A cap of the other architecture's chain does not apply (TPP_ISA=avx2 on AArch64 is no cap);
// the default cap (isa_top) caps nothing on either.
inline isa active_isa() {
  const isa d = detected_isa(), c = isa_cap();
  if (c == isa::ref) return isa::ref;
  if (is_x86(c) != is_x86(d) || c == isa_top) return d;
  return d < c ? d : c;
}

// The levels this machine can run, ref first, then its architecture's chain up to detected_isa()
// (tests fan out over them).
inline std::vector<isa> available_isas() {
  std::vector<isa> v{isa::ref};
  for (isa l : all_isas)
    if (l != isa::ref && is_x86(l) == is_x86(detected_isa()) && detected_isa() != isa::ref && l <= detected_isa())
      v.push_back(l);
  return v;
}

}  // namespace tpp
