#!/bin/bash
# device: build the tests and the equation suite, run the touched tests at every level, then the bench rows
set -e
cmake -S . -B build/dev -DCMAKE_BUILD_TYPE=Release -DTPP_XBYAK_INCLUDE_DIR=$PWD/third_party/inc -DTPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build/dev -j16 --target tpp_tests tpp_bench_equation 2>&1 | grep -E "error|warning" || true
lscpu | grep -E "Model name" | head -1
time build/dev/tests/tpp_tests '[gemm],[equation],[loops]' | tail -3
for r in 1 2; do
OMP_NUM_THREADS=1 taskset -c 2 build/dev/bench/tpp_bench_equation --benchmark_filter='gemm_|grads_batchnorm' \
  --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_min_time=0.1s 2>&1 | grep median
done
