// Kernel caches. kernel_cache: descriptor -> kernel behind a shared lock; a miss builds under the
// exclusive lock after a re-check, so each descriptor is compiled exactly once. front_cache: a
// per-thread memo in front of it, keyed by the caller's raw params, so a repeated dispatch skips
// validation, lowering and the lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <type_traits>
#include <unordered_map>

namespace tpp::jit {

// Hash of the key's bytes, 8 at a time (keys are padding-free PODs, a few words long; this is
// on the dispatch path, where a byte-wise hash alone would cost more than the 25 ns budget).
// `size`: the leading bytes that vary (a key may say so by a hashed_size(key) overload that
// argument-dependent lookup finds: equation descriptors are mostly unused node slots, zeros).
template <class Key>
std::uint64_t hash_bytes(const Key& k, std::size_t size = sizeof(Key)) {
  static_assert(std::is_trivially_copyable_v<Key>);
  const auto* p = reinterpret_cast<const unsigned char*>(&k);
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  for (; i < size; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
  return h ^ (h >> 29);
}
template <class Key>
std::size_t hashed_size(const Key&) {
  return sizeof(Key);
}

// A thread-local, direct-mapped memo in front of a slower lookup: keys seen before on this
// thread are answered with a hash and one compare, without locks or shared cache lines.
// Tag makes one table per use site.
template <class Tag, class Key, class Value, std::size_t Slots = 64>
class front_cache {
 public:
  template <class Slow>
  static Value get(const Key& key, Slow&& slow) {
    const std::uint64_t h = hash_bytes(key);
    slot& f = table()[h % Slots];
    if (f.full && f.hash == h && std::memcmp(&f.key, &key, sizeof(Key)) == 0) return f.value;
    Value v = slow();
    f = slot{h, key, v, true};
    return v;
  }

 private:
  struct slot {
    std::uint64_t hash = 0;
    Key key{};
    Value value{};
    bool full = false;
  };
  static slot* table() {
    thread_local slot t[Slots];
    return t;
  }
};

// Descriptor -> entry, built once per descriptor process-wide. Entry is made by make(key);
// entries never move or die, so callers may keep `const Entry*` for the life of the process.
template <class Key, class Entry>
class kernel_cache {
 public:
  template <class Make>
  const Entry* get(const Key& key, Make&& make) {
    const std::uint64_t h = hash_bytes(key, hashed_size(key));
    {
      std::shared_lock<std::shared_mutex> lock(mutex_);
      if (const Entry* e = find(key, h)) return e;
    }
    std::unique_lock<std::shared_mutex> lock(mutex_);
    if (const Entry* e = find(key, h)) return e;
    entries_.push_back(make(key));
    const Entry* e = &entries_.back();
    map_.emplace(h, bucket{key, e});
    built_.fetch_add(1);
    return e;
  }

  // Kernels built so far (each descriptor counts once).
  std::size_t built() const { return built_.load(); }

 private:
  struct bucket {
    Key key;
    const Entry* entry;
  };

  const Entry* find(const Key& key, std::uint64_t h) const {
    auto range = map_.equal_range(h);
    for (auto it = range.first; it != range.second; ++it)
      if (std::memcmp(&it->second.key, &key, sizeof(Key)) == 0) return it->second.entry;
    return nullptr;
  }

  std::shared_mutex mutex_;
  std::unordered_multimap<std::uint64_t, bucket> map_;
  std::deque<Entry> entries_;  // deque: push_back never moves existing entries
  std::atomic<std::size_t> built_{0};
};

}  // namespace tpp::jit
