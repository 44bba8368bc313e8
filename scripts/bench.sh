#!/usr/bin/env bash
# Builds and runs the benchmark suite on one thread, then prints its tables (bench/report.py).
# Usage: scripts/bench.sh [extra Google Benchmark flags, e.g. --benchmark_filter=gelu]
# JSON lands in build/bench-release/{eltwise,equation,gemm,gemm_threads}.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh bench
cmake -S . -B build/bench-release -DCMAKE_BUILD_TYPE=Release -DTPP_BUILD_TESTS=OFF -DTPP_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/bench-release -j "$(nproc)" --target tpp_bench_eltwise tpp_bench_gemm tpp_bench_equation tpp_inner_loop
# Single-thread cases pin to core 0. The GEMM suite runs in two passes: its one-thread rows
# pinned like the others, then its two-thread rows (with a two-core FMA peak) on every core.
# Mixed in one pass, a one-thread row often ran while the other core was still busy from a
# two-thread row (OpenMP and OpenBLAS workers spin after a parallel region), which lowered this
# VM's clock: 64^3 read 85-87 % of the peak in that suite and 94 % in a one-thread pass (Zen 3,
# session 28). Five repetitions of each case, randomly interleaved across the pass: a noisy
# neighbour then slows tpp, its anchors and the limit it is measured against alike, where
# back-to-back repetitions let one slow spell fall on one of them (Zen 3 VM, the same hour:
# 4096x1024x1024 at 1 thread read 0.81x OpenBLAS back to back, 0.86x interleaved).
run() {  # run <suite> <json> <pin command or ""> <GEMM thread count or ""> [flags]
  local suite=$1 out=build/bench-release/$2 pin=$3 threads=$4
  shift 4
  OMP_NUM_THREADS=1 TPP_BENCH_THREADS=$threads $pin build/bench-release/bench/tpp_bench_$suite \
    --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true --benchmark_min_time=0.1 \
    --benchmark_out="$out" --benchmark_out_format=json "$@" >/dev/null
}
for suite in eltwise equation; do
  run $suite $suite.json "taskset -c 0" "" "$@"
  python3 bench/report.py build/bench-release/$suite.json
done
run gemm gemm.json "taskset -c 0" 1 "$@"
if [ "$(nproc)" -ge 2 ]; then
  run gemm gemm_threads.json "" 2 "$@"
  python3 bench/report.py build/bench-release/gemm.json+build/bench-release/gemm_threads.json
else
  python3 bench/report.py build/bench-release/gemm.json
fi
# Static quality of the BRGEMM inner loops, x86 next to A64 (no ARM hardware: counted, not timed)
mkdir -p build/bench-release/inner_loop
build/bench-release/bench/tpp_inner_loop build/bench-release/inner_loop
python3 bench/inner_loop.py build/bench-release/inner_loop
