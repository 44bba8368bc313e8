#!/bin/bash
set -e
g++ -O2 -std=c++17 -march=native -fopenmp -Iinclude -Ithird_party/inc third_party/exp/grp.cpp -o /tmp/grp
for lvl in avx2 avx512; do for e in 0 1 3; do for sz in "64 256" "1024 4096"; do TPP_ISA=$lvl taskset -c 3 /tmp/grp $sz $e 4 | tr '\n' ' '; echo " $lvl"; done; done; done
TPP_ISA=avx512 taskset -c 3 /tmp/grp 16 4096 2 | tail -1
