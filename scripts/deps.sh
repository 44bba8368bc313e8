#!/usr/bin/env bash
# Installs the Debian packages tpp's build, tests and benchmarks need, if any are missing.
# Usage: scripts/deps.sh [test|bench]   (runs apt-get as root, through sudo when not root)
set -euo pipefail
pkgs=(cmake g++ make libxbyak-dev catch2 python3)
# AArch64: cross compiler, its C library and OpenMP runtime, and qemu to run the cross-built tests
[ "${1:-test}" = test ] && pkgs+=(g++-aarch64-linux-gnu libc6-dev-arm64-cross libgomp1-arm64-cross qemu-user-static)
# bench: the anchor libraries, and the A64 objdump for the static inner-loop table. Debian 12's
# oneDNN is built with the OpenCL GPU runtime, and its CMake package config stops the configure
# unless the OpenCL loader's development files are there (ocl-icd-opencl-dev).
[ "${1:-test}" = bench ] && pkgs+=(libbenchmark-dev libdnnl-dev ocl-icd-opencl-dev libxsmm-dev libopenblas-openmp-dev
  binutils-aarch64-linux-gnu)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_=""
[ "$(id -u)" -ne 0 ] && sudo_="sudo"
echo "installing: ${missing[*]}"
$sudo_ apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
