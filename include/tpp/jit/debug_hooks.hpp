// Tools that name and show JIT code:
//   TPP_PERF_MAP=1     append "addr size name" lines to /tmp/perf-<pid>.map for `perf report`
//   TPP_DUMP_DIR=dir   write each kernel as dir/<name>.bin; disassemble with
//                      objdump -D -b binary -mi386:x86-64 dir/<name>.bin
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "tpp/jit/code_buffer.hpp"

namespace tpp::jit {

inline void announce_kernel(const void* code, std::size_t size, const std::string& name) {
  static const bool perf = [] {
    const char* e = std::getenv("TPP_PERF_MAP");
    return e && *e && *e != '0';
  }();
  static const char* dump_dir = std::getenv("TPP_DUMP_DIR");
  static std::mutex io;
  if (!perf && !(dump_dir && *dump_dir)) return;
  std::lock_guard<std::mutex> lock(io);
  if (perf) {
    const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
    if (FILE* f = std::fopen(path.c_str(), "a")) {
      std::fprintf(f, "%lx %zx %s\n", reinterpret_cast<unsigned long>(code), size, name.c_str());
      std::fclose(f);
    }
  }
  if (dump_dir && *dump_dir) {
    const std::string path = std::string(dump_dir) + "/" + name + ".bin";
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
      std::fwrite(code, 1, size, f);
      std::fclose(f);
    }
  }
}

}  // namespace tpp::jit

namespace tpp::jit {

// A finished generator's code -> executable memory (W^X), announced to the debug hooks, typed.
template <class Fn, class Generator>
Fn publish_generated(const Generator& g, const std::string& name) {
  const void* code = code_buffer::publish(g.getCode(), g.getSize());
  announce_kernel(code, g.getSize(), name);
  return reinterpret_cast<Fn>(const_cast<void*>(code));
}

// The same for an A64 generator (32-bit instruction words); size receives the code bytes.
template <class Fn, class Generator>
Fn publish_words(const Generator& g, const std::string& name, std::size_t& size) {
  size = g.words().size() * 4;
  const void* code = code_buffer::publish(g.words().data(), size);
  announce_kernel(code, size, name);
  return reinterpret_cast<Fn>(const_cast<void*>(code));
}

}  // namespace tpp::jit
