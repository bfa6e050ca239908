// hermes-sim: simulates LLM decoding on a GPU + NDP-DIMM system (Hermes, HPCA 2025) and its
// baselines, in timing-only mode (no weights are allocated), so LLaMA2-70B runs in seconds.
//
//   hermes-sim                                   LLaMA2-70B, RTX 4090 + 8 NDP-DIMMs, Hermes vs
//                                                the main baselines, side by side
//   hermes-sim --model OPT-66B --batch 4 --json  one JSON object
//   hermes-sim --print-config > my.json          edit, then: hermes-sim --config my.json
//   hermes-sim sweep --models OPT-13B,LLaMA2-13B --batches 1,4,16 --out results.csv
//
// Everything lives in sim/cli.hpp (run_cli), which the tests call directly.
#include <Kokkos_Core.hpp>

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "hermes/sim/cli.hpp"

int main(int argc, char** argv) {
  // Kokkos is initialised for the engine's kernels; its own flags (--kokkos-*) are removed
  // from argv before hermes-sim parses the rest.
  Kokkos::ScopeGuard kokkos(argc, argv);
  const std::vector<std::string> args(argv + 1, argv + argc);
  return hermes::cli::run_cli(args, std::cout, std::cerr, isatty(STDERR_FILENO) != 0);
}
