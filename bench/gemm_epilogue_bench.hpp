// tpp::gemm with an equation epilogue that writes side outputs, against the calls it replaces;
// registered into the equation suite (bench/gemm_epilogue_bench.cpp).
#pragma once

namespace bench {

void register_gemm_epilogue();

}  // namespace bench
