#!/bin/bash
# device: every test at every level (amx cap included), the MLP example at each level, the gemm-epilogue rows
set -e
cmake -S . -B build/dev -DCMAKE_BUILD_TYPE=Release -DTPP_XBYAK_INCLUDE_DIR=$PWD/third_party/inc > /dev/null
cmake --build build/dev -j16 --target tpp_tests tpp_bench_equation mlp_training_step 2>&1 | grep -E "error|warning" || true
time build/dev/tests/tpp_tests | tail -2
for l in avx2 avx512 avx512_bf16 amx; do echo "== $l"; TPP_ISA=$l build/dev/examples/mlp_training_step | tail -2; done
OMP_NUM_THREADS=1 taskset -c 2 build/dev/bench/tpp_bench_equation --benchmark_filter='gemm_' \
  --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_min_time=0.1s 2>&1 | grep median
