#!/usr/bin/env bash
# Re-records tests/data/golden/*.json (`hermes-sim --json` of eight configurations, compared
# number by number by tests/apps/test_golden_outputs.cpp) after an intended model change.
# Host wall times are left out: they are not modelled quantities. Run from any directory after a
# build; HERMES_BUILD_DIR names the build directory (default: build/). Review the diff before
# committing: every changed number must be the intended effect of the change.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sim=${HERMES_BUILD_DIR:-$root/build}/examples/hermes-sim
golden=$root/tests/data/golden
all="Hermes-random,Hermes-partition,Hermes-adjustment,Hermes-token-adjustment,Hermes-layer-adjustment,Hermes-base,Hermes-host,Accelerate,FlexGen,DejaVu,TensorRT-LLM"
record() {
  local name=$1; shift
  "$sim" --json "$@" | python3 -c '
import json, sys
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in ("host_seconds", "solve_seconds")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
json.dump(strip(json.load(sys.stdin)), sys.stdout, indent=1, sort_keys=True)
print()' > "$golden/$name.json.tmp"
  mv "$golden/$name.json.tmp" "$golden/$name.json"
  echo "recorded $name"
}
record default
record opt66b --model OPT-66B --compare none
record batch8 --batch 8 --compare none
record host --system Hermes-host --compare none
record dimms16 --dimms 16 --compare none
record dimms1 --dimms 1 --model LLaMA2-7B --compare none
record all70b --compare "$all"
record allopt13b --model OPT-13B --batch 4 --compare "$all"
