#!/usr/bin/env bash
# The main job: set up, build, and run the default end-to-end Hermes simulation (hermes-sim;
# arguments are passed on, e.g. `bash scripts/run.sh --help`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERMES_BUILD_TARGETS=${HERMES_BUILD_TARGETS:-hermes-sim} "$root/scripts/setup.sh"
exec "${HERMES_BUILD_DIR:-$root/build}/examples/hermes-sim" "$@"
