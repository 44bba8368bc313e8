#!/usr/bin/env bash
# Builds and runs every test: the native suite (every ISA level this CPU has), the examples, the
# two CMake consumer projects, the suite again under AddressSanitizer + UBSan, then the suite
# cross-built for AArch64 and run under qemu as a NEON-only CPU and as one with BF16/FP16/SVE.
# Usage: scripts/test.sh        (installs missing Debian packages first)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)

echo "== native build (Release) =="
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Release -DTPP_BUILD_BENCH=OFF >/dev/null
cmake --build build/test -j "$jobs"
ctest --test-dir build/test --output-on-failure -j 1

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DTPP_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
cmake --build build/asan -j "$jobs" --target tpp_tests hello_tpp mlp_training_step
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/asan/tests/tpp_tests
build/asan/examples/hello_tpp >/dev/null
build/asan/examples/mlp_training_step >/dev/null

echo "== AArch64 cross build, run under qemu =="
cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DCMAKE_BUILD_TYPE=Release \
  -DTPP_BUILD_BENCH=OFF -DTPP_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/aarch64 -j "$jobs" --target tpp_tests
for cpu in cortex-a72 max; do
  echo "-- qemu -cpu $cpu"
  qemu-aarch64-static -cpu "$cpu" -L /usr/aarch64-linux-gnu build/aarch64/tests/tpp_tests
done
echo "all tests passed"
