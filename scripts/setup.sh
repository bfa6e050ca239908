#!/usr/bin/env bash
# Installs the Debian 12 packages hermes needs (only those missing) and configures + builds
# the project into build/ (or $HERMES_BUILD_DIR). Idempotent; run as root on a fresh machine.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
packages=(cmake g++ clang libclang-rt-14-dev pkg-config libeigen3-dev libtrilinos-kokkos-dev libboost-dev catch2
          libbenchmark-dev coinor-libcbc-dev nlohmann-json3-dev libcli11-dev gnuplot-nox
          libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "hermes: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
build=${HERMES_BUILD_DIR:-$root/build}
jobs=${HERMES_JOBS:-$(nproc)}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release ${HERMES_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs" ${HERMES_BUILD_TARGETS:+--target $HERMES_BUILD_TARGETS}
