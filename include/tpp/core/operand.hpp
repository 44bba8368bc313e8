// A 2D operand's description: storage type, leading dimension and broadcast (DESIGN.md §3).
#pragma once

#include <cstdint>

#include "tpp/core/dtype.hpp"

namespace tpp {

// How an input operand covers the rows x cols iteration space.
//   none    rows x cols          element (i, j) at p[i*ld + j]
//   row     1 x cols, repeated   element (i, j) at p[j]
//   column  rows x 1, repeated   element (i, j) at p[i*ld]
//   scalar  1 x 1                element (i, j) at p[0]
enum class broadcast : std::uint8_t { none = 0, row, column, scalar };

constexpr const char* name(broadcast b) {
  switch (b) {
    case broadcast::none: return "none";
    case broadcast::row: return "row";
    case broadcast::column: return "column";
    case broadcast::scalar: return "scalar";
  }
  return "?";
}

// One operand of a TPP. ld counts elements (bits for dtype::bit); 0 means packed: cols for a full
// or row operand, 1 for a column operand, round_up(cols, 8) for a bitmask.
struct operand {
  dtype type = dtype::f32;
  int ld = 0;
  broadcast bcast = broadcast::none;
};

}  // namespace tpp
