// Where a kernel's output goes: through the caches, or straight to memory (streaming stores).
//
//   store_hint::automatic   stream when the bytes the kernel reads and writes exceed the cache
//                           one core can count on (core_cache_bytes: private L2 + its share of
//                           the L3): the output could not stay cached for its reader, and a
//                           streaming store skips the read-for-ownership of every line (a cached
//                           store reads the line, writes it, and later writes it back)
//   store_hint::cached      always through the caches (the reader comes right after)
//   store_hint::streaming   always streaming (where the kernel can: see each TPP's params)
//
// LayerNorm 1024 x 4096 f32, 1 thread, cached -> streaming: Zen 3 17.3 -> 23.0 GB/s, the Xeon
// device host 10.6-12.2 -> 15.4-17.1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "tpp/core/cpu.hpp"

#if defined(__linux__)
#include <unistd.h>
#endif

namespace tpp {

enum class store_hint : std::uint8_t { automatic = 0, cached, streaming };

constexpr const char* name(store_hint h) {
  switch (h) {
    case store_hint::automatic: return "automatic";
    case store_hint::cached: return "cached";
    case store_hint::streaming: return "streaming";
  }
  return "?";
}

namespace detail {

// The caches one core sees: its largest private level, and the last level with how many logical
// processors share it.
struct cache_sizes {
  std::size_t private_bytes = 0, last_level = 0;
  unsigned sharing = 1;
};

#if TPP_X86_64
// A deterministic cache-parameters leaf: 4 on Intel, 0x8000001D on AMD (with TOPOEXT). Each data
// or unified level gives ways x partitions x line x sets, and EAX[25:14] + 1 sharers.
inline cache_sizes cpuid_caches(unsigned leaf) {
  cache_sizes c;
  for (unsigned i = 0; i < 8; ++i) {
    unsigned a, b, cx, d;
    __cpuid_count(leaf, i, a, b, cx, d);
    const unsigned type = a & 31;  // 0 none, 1 data, 2 instruction, 3 unified
    if (type == 0) break;
    if (type == 2) continue;
    const std::size_t bytes = static_cast<std::size_t>((b >> 22) + 1) * (((b >> 12) & 1023) + 1) *
                              ((b & 4095) + 1) * (static_cast<std::size_t>(cx) + 1);
    const unsigned sharing = ((a >> 14) & 4095) + 1;
    if (sharing == 1 && bytes > c.private_bytes) c.private_bytes = bytes;
    if (bytes > c.last_level) {
      c.last_level = bytes;
      c.sharing = sharing;
    }
  }
  return c;
}
#endif

inline cache_sizes probe_caches() {
  cache_sizes c;
#if TPP_X86_64
  if (__get_cpuid_max(0, nullptr) >= 4) c = cpuid_caches(4);
  unsigned a, b, cx, d;
  const bool topoext = __get_cpuid(0x80000001, &a, &b, &cx, &d) && (cx & (1u << 22));
  if (c.last_level == 0 && topoext && __get_cpuid_max(0x80000000, nullptr) >= 0x8000001D)
    c = cpuid_caches(0x8000001D);
#elif defined(__linux__) && defined(_SC_LEVEL3_CACHE_SIZE)
  for (int name : {_SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
    const long v = sysconf(name);
    if (v > 0) {
      c.last_level = static_cast<std::size_t>(v);
      break;
    }
  }
#endif
  if (c.last_level == 0) c.last_level = std::size_t{32} << 20;  // unknown: a common server L3 slice
  return c;
}

inline const cache_sizes& caches() {
  static const cache_sizes c = probe_caches();
  return c;
}

}  // namespace detail

// The last-level cache in bytes, as the CPU reports it (32 MiB where it does not).
inline std::size_t last_level_cache_bytes() { return detail::caches().last_level; }

// The cache one core can count on: its largest private level plus its share of the last level
// (Zen 3 VM here: 512 KiB + 32 MiB / 2; the Xeon device host: 2 MiB + 300 MiB / 16).
inline std::size_t core_cache_bytes() {
  const detail::cache_sizes& c = detail::caches();
  const std::size_t share = c.last_level / (c.sharing ? c.sharing : 1);
  return c.private_bytes == c.last_level ? c.last_level : c.private_bytes + share;
}

// Whether rows read `bytes` in all come from memory rather than cache: more than half the cache
// one core can count on. One-pass row reductions then prefetch each next row.
inline bool rows_from_memory(double bytes) { return bytes > 0.5 * static_cast<double>(core_cache_bytes()); }

// Whether a kernel that reads and writes `bytes` in all should stream its output under hint h.
inline bool streams_output(store_hint h, double bytes) {
  if (h != store_hint::automatic) return h == store_hint::streaming;
  return bytes > static_cast<double>(core_cache_bytes());
}

}  // namespace tpp
