#!/usr/bin/env bash
# The whole test suite: set up, build, run every test; then the same suite again built with
# AddressSanitizer + UndefinedBehaviorSanitizer (and Kokkos bounds checks).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${HERMES_JOBS:-$(nproc)}
build=${HERMES_BUILD_DIR:-$root/build}
HERMES_BUILD_DIR=$build "$root/scripts/setup.sh"
ctest --test-dir "$build" -j "$jobs" --output-on-failure
if [ "${HERMES_SKIP_SANITIZERS:-0}" != 1 ]; then
  san=${HERMES_SANITIZE_BUILD_DIR:-$root/build-sanitize}
  # Benchmarks are not tests; the sanitizer build compiles tests and examples only (the headers
  # were each compiled alone by the Release pass). -g1: line tables for the sanitizers' stack
  # traces without full debug info, which keeps this build within CI's time on 2 cores.
  cmake -S "$root" -B "$san" -DCMAKE_BUILD_TYPE=Debug -DHERMES_SANITIZE=ON \
        -DHERMES_BUILD_BENCHMARKS=OFF -DHERMES_HEADER_CHECK=OFF -DCMAKE_CXX_FLAGS="-O1" \
        -DCMAKE_CXX_FLAGS_DEBUG="-g1" >/dev/null
  cmake --build "$san" -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$san" -j "$jobs" --output-on-failure -LE slow
fi
