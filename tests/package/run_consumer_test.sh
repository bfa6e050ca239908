#!/usr/bin/env bash
# Installs hermes from the build tree into a scratch prefix, then configures, builds and runs
# downstream projects that use it with find_package(hermes CONFIG). Arguments: source dir, build
# dir, C++ compiler.
#  1. core_consumer: the core only (hermes::hermes), configured with nlohmann-json and CBC
#     hidden and compiled with headers that #error in their place;
#  2. full_consumer: COMPONENTS json cbc (hermes::json, hermes::cbc), and the custom predictor
#     and custom mapper examples built from the package and run;
#  3. components: OPTIONAL_COMPONENTS, and the messages when a required component is missing.
set -euo pipefail
src=$1; build=$2; cxx=$3
work=$(mktemp -d "${build}/package-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
mkdir "$work/no-pkg-config-modules"
# nlohmann-json is hidden from find_package; an unused-variable warning for it (the core-only
# configure never looks for it) is expected, hence --no-warn-unused-cli.
hide_nlohmann=-DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON

echo "== core-only consumer (nlohmann-json and CBC hidden)"
PKG_CONFIG_LIBDIR="$work/no-pkg-config-modules" PKG_CONFIG_PATH="" \
  cmake -S "$src/tests/package/core_consumer" -B "$work/core" -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release "$hide_nlohmann" --no-warn-unused-cli \
        -DHERMES_FORBIDDEN_HEADERS="$src/tests/support/forbidden_headers"
# The consumers build with every core: by the time this test runs alone at the end of ctest the
# other tests are done, and it is CI's longest test (issue #12 kept CI under 30 minutes).
jobs=$(nproc)
cmake --build "$work/core" -j "$jobs"
"$work/core/consumer"
# The installed core export names neither optional dependency.
if grep -n -i -E "nlohmann|cbc" "$work/prefix"/lib*/cmake/hermes/hermesTargets*.cmake; then
  echo "hermesTargets.cmake (the core) mentions an optional dependency" >&2
  exit 1
fi

echo "== full consumer (COMPONENTS json cbc)"
cmake -S "$src/tests/package/full_consumer" -B "$work/full" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release -DHERMES_EXAMPLES_DIR="$src/examples"
cmake --build "$work/full" -j "$jobs"
"$work/full/consumer"
# The user-written predictor and mapper examples, built from the package, run whole LLaMA2-70B
# simulations beside Hermes' own policies.
"$work/full/custom_predictor" | tee "$work/predictor.log"
grep -q "Hermes + 2-bit counters" "$work/predictor.log"
"$work/full/custom_mapper" | tee "$work/mapper.log"
grep -q "Hermes + hottest-first" "$work/mapper.log"

echo "== components"
components() {  # CASE, then the output file
  cmake -S "$src/tests/package/components" -B "$work/components-$1" -DCASE="$1" -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_PREFIX_PATH="$work/prefix" "$hide_nlohmann" > "$2" 2>&1
}
components optional "$work/optional.log" || { cat "$work/optional.log"; exit 1; }
grep "hermes found; json: FALSE; cbc: TRUE" "$work/optional.log"
if components required_json "$work/required.log"; then
  echo "COMPONENTS json configured although nlohmann-json is hidden" >&2; exit 1
fi
grep -q "hermes component json needs nlohmann-json" "$work/required.log" || { cat "$work/required.log"; exit 1; }
echo "required json without nlohmann-json: refused, naming the component"
if components unknown "$work/unknown.log"; then
  echo "an unknown component was accepted" >&2; exit 1
fi
grep -q "hermes has no component 'python'" "$work/unknown.log" || { cat "$work/unknown.log"; exit 1; }
echo "unknown component: refused"

test -f "$work/prefix/share/hermes/stories260K/stories260K.bin"
