#!/usr/bin/env bash
# Builds and runs the benchmark suite on one thread, then prints its tables (bench/report.py).
# Usage: scripts/bench.sh [extra Google Benchmark flags, e.g. --benchmark_filter=gelu]
# JSON lands in build/bench-release/{eltwise,equation,gemm}.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh bench
cmake -S . -B build/bench-release -DCMAKE_BUILD_TYPE=Release -DTPP_BUILD_TESTS=OFF -DTPP_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/bench-release -j "$(nproc)" --target tpp_bench_eltwise tpp_bench_gemm tpp_bench_equation tpp_inner_loop
# Single-thread cases pin to core 0; the GEMM suite sets its own thread counts (1 and 2) and
# gets every core. Five repetitions of each case, randomly interleaved across the suite: a noisy
# neighbour then slows tpp, its anchors and the limit it is measured against alike, where
# back-to-back repetitions let one slow spell fall on one of them (Zen 3 VM, the same hour:
# 4096x1024x1024 at 1 thread read 0.81x OpenBLAS back to back, 0.86x interleaved).
for suite in eltwise equation gemm; do
  out=build/bench-release/$suite.json
  pin="taskset -c 0"
  [ "$suite" = gemm ] && pin=""
  OMP_NUM_THREADS=1 $pin build/bench-release/bench/tpp_bench_$suite \
    --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true --benchmark_min_time=0.1 \
    --benchmark_out="$out" --benchmark_out_format=json "$@" >/dev/null
  python3 bench/report.py "$out"
done
# Static quality of the BRGEMM inner loops, x86 next to A64 (no ARM hardware: counted, not timed)
mkdir -p build/bench-release/inner_loop
build/bench-release/bench/tpp_inner_loop build/bench-release/inner_loop
python3 bench/inner_loop.py build/bench-release/inner_loop
