// tpp version: the single source of truth. CMakeLists.txt parses the three macros below.
#pragma once

#define TPP_VERSION_MAJOR 0
#define TPP_VERSION_MINOR 1
#define TPP_VERSION_PATCH 0

namespace tpp {
constexpr int version_major = TPP_VERSION_MAJOR;
constexpr int version_minor = TPP_VERSION_MINOR;
constexpr int version_patch = TPP_VERSION_PATCH;
}  // namespace tpp
