// One way to build a vector-width-templated generator: G<Zmm> at avx512 and up, G<Ymm> below,
// published W^X and announced under `name`; an Xbyak failure becomes a tpp::error naming it.
#pragma once

#include <string>

#include <xbyak/xbyak.h>

#include "tpp/core/cpu.hpp"
#include "tpp/core/error.hpp"
#include "tpp/jit/debug_hooks.hpp"

namespace tpp::jit::x86 {

template <template <class> class G, class Fn, class... Args>
Fn generate(isa level, const std::string& name, const Args&... args) {
  try {
    if (level >= isa::avx512) {
      G<Xbyak::Zmm> g(args...);
      return publish_generated<Fn>(g, name);
    }
    G<Xbyak::Ymm> g(args...);
    return publish_generated<Fn>(g, name);
  } catch (const Xbyak::Error& x) {
    detail::fail("tpp::jit: code generation failed for ", name, ": ", x.what());
  }
}

}  // namespace tpp::jit::x86
