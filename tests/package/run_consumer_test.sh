#!/usr/bin/env bash
# Installs hermes from the build tree into a scratch prefix, then configures, builds and runs a
# tiny consumer project with find_package(hermes CONFIG). Arguments: source dir, build dir,
# C++ compiler.
set -euo pipefail
src=$1; build=$2; cxx=$3
work=$(mktemp -d "${build}/package-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/package/consumer" -B "$work/consumer" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release
cmake --build "$work/consumer" -j 1
"$work/consumer/consumer"
test -f "$work/prefix/share/hermes/stories260K/stories260K.bin"
