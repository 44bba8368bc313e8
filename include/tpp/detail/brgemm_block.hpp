// The register block of a vector BRGEMM kernel (rows x vectors of C held in registers), chosen by
// a cost model over the real m and n that every ISA's generator shares; the ISA supplies what a
// block costs per multiply step and whether it fits its register file.
#pragma once

#include <algorithm>
#include <utility>

#include "tpp/detail/brgemm_desc.hpp"

namespace tpp::detail {

struct brgemm_block {
  int mr = 1, nv = 1;  // rows, vectors
};

// Whether the operands stream from beyond L1 while a block runs: a batch (its count is unknown
// here, so assume it is large), or one pair of operands larger than a 32 KiB L1.
inline bool brgemm_streams(const brgemm_desc& d) {
  const bool batched = d.batch != batch_kind::stride || d.stride_a != 0 || d.stride_b != 0;
  const double bytes = (static_cast<double>(d.m) * d.k + static_cast<double>(d.k) * d.n) * size_of(d.a_type) +
                       static_cast<double>(d.m) * d.n * 4;
  return batched || bytes > 32 * 1024;
}

// The (mr, nv) with the least estimated time per multiply step summed over the blocks that tile
// m x n (full blocks, then the m and n remainders), larger blocks winning ties.
//   fits(mr, nv) -> bool       the block and its loop registers fit the register file
//   cycles(rows, vecs) -> double  estimated cycles of one multiply step of a rows x vecs block
template <class Fits, class Cycles>
brgemm_block choose_brgemm_block(const brgemm_desc& d, int lanes, int max_rows, int max_vecs, Fits fits,
                                 Cycles cycles) {
  const int full_vecs = d.n / lanes, vecs = full_vecs + (d.n % lanes ? 1 : 0);
  brgemm_block best;
  double best_cost = 1e300;
  for (int nv = 1; nv <= std::min(vecs, max_vecs); ++nv)
    for (int mr = 1; mr <= std::min(d.m, max_rows); ++mr) {
      if (!fits(mr, nv)) continue;
      const int mb = d.m / mr, mrem = d.m % mr;
      const int nb = full_vecs / nv, nrem = vecs - nb * nv;
      double cost = 0;
      for (auto [rows, nrows] : {std::pair{mr, mb}, std::pair{mrem, 1}})
        for (auto [v, nvb] : {std::pair{nv, nb}, std::pair{nrem, 1}})
          if (rows && v && nrows && nvb) cost += nrows * nvb * cycles(rows, v);
      if (cost < best_cost - 1e-9 || (cost < best_cost + 1e-9 && mr * nv > best.mr * best.nv)) {
        best_cost = cost;
        best = {mr, nv};
      }
    }
  return best;
}

}  // namespace tpp::detail
