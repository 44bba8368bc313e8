#!/usr/bin/env bash
# Builds and runs every test: the native suite (every ISA level this CPU has), the examples, the
# two CMake consumer projects, then the suite again under AddressSanitizer + UBSan.
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
cmake --build build/asan -j "$jobs" --target tpp_tests hello_tpp
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/asan/tests/tpp_tests
build/asan/examples/hello_tpp >/dev/null
echo "all tests passed"
