// Executable memory under W^X: bytes are copied into a fresh read-write mapping, which is then
// made read+execute. No mapping is ever writable and executable at once; each kernel owns its
// pages (a shared page would have to turn writable while other threads run code on it).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tpp/core/error.hpp"

namespace tpp::jit {

class code_buffer {
 public:
  // bytes -> read+execute copy; throws tpp::error if the OS refuses the mapping or mprotect.
  static const void* publish(const void* bytes, std::size_t size) {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t len = (size + page - 1) / page * page;
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) detail::fail("tpp::jit: mmap of ", len, " bytes failed: ", std::strerror(errno));
    std::memcpy(p, bytes, size);
    if (mprotect(p, len, PROT_READ | PROT_EXEC) != 0) {
      const int e = errno;
      munmap(p, len);
      detail::fail("tpp::jit: mprotect to read+execute failed: ", std::strerror(e));
    }
    __builtin___clear_cache(static_cast<char*>(p), static_cast<char*>(p) + size);
    return p;
  }
};

}  // namespace tpp::jit
