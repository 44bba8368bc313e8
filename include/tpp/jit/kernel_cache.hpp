// Descriptor -> kernel cache. A thread-local direct-mapped front table answers repeated lookups
// without touching shared state; behind it a shared-lock map, where a miss builds the kernel
// under the exclusive lock after a re-check, so each descriptor is compiled exactly once.
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

// 64-bit FNV-1a over the key's bytes (keys are padding-free PODs).
template <class Key>
std::uint64_t hash_bytes(const Key& k) {
  static_assert(std::is_trivially_copyable_v<Key>);
  const auto* p = reinterpret_cast<const unsigned char*>(&k);
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < sizeof(Key); ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

// Entry must be constructible from (const Key&) through `make`; entries never move or die, so
// callers may keep `const Entry*` for the life of the process.
template <class Key, class Entry>
class kernel_cache {
 public:
  template <class Make>
  const Entry* get(const Key& key, Make&& make) {
    const std::uint64_t h = hash_bytes(key);
    front_slot& f = front()[h % front_size];
    if (f.entry && f.hash == h && std::memcmp(&f.key, &key, sizeof(Key)) == 0) return f.entry;
    const Entry* e = lookup_or_build(key, h, make);
    f.hash = h;
    f.key = key;
    f.entry = e;
    return e;
  }

  // Kernels built so far (each descriptor counts once).
  std::size_t built() const { return built_.load(); }

 private:
  static constexpr std::size_t front_size = 64;
  struct front_slot {
    std::uint64_t hash = 0;
    Key key{};
    const Entry* entry = nullptr;
  };
  // One front table per thread and cache type. A cache is a process-wide singleton per Key type,
  // so the table never outlives or confuses its owner.
  static front_slot* front() {
    thread_local front_slot table[front_size];
    return table;
  }

  struct bucket {
    Key key;
    const Entry* entry;
  };

  template <class Make>
  const Entry* lookup_or_build(const Key& key, std::uint64_t h, Make& make) {
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
