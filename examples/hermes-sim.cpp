// hermes-sim: simulates LLM decoding on a GPU + NDP-DIMM system (Hermes, HPCA 2025) and its
// baselines, in timing-only mode (no weights are allocated), so LLaMA2-70B runs in seconds.
//
//   hermes-sim                                   LLaMA2-70B, RTX 4090 + 8 NDP-DIMMs, Hermes vs
//                                                the main baselines, side by side
//   hermes-sim --model OPT-66B --batch 4 --json  one JSON object
//   hermes-sim --print-config > my.json          edit, then: hermes-sim --config my.json
//   hermes-sim sweep --models OPT-13B,LLaMA2-13B --batches 1,4,16 --out results.csv
//
// Everything lives in hermes_apps (apps/: run_cli in hermes_apps/cli.hpp), which the tests call
// directly.
#include <Kokkos_Core.hpp>

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "hermes_apps/standard_output.hpp"
#include "hermes_apps/cli.hpp"
#include "hermes_apps/command_line.hpp"

static int run_main(int argc, char** argv) {
  // Kokkos (the engine's kernels in math mode) gets only its own --kokkos-* flags: given the
  // whole command line, Kokkos 3.4 would also take `--help` and print its help instead of ours.
  std::vector<char*> kokkos_argv{argv[0]};
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind("--kokkos-", 0) == 0) kokkos_argv.push_back(argv[i]);
    else args.emplace_back(argv[i]);
  }
  int kokkos_argc = static_cast<int>(kokkos_argv.size());
  kokkos_argv.push_back(nullptr);
  Kokkos::ScopeGuard kokkos(kokkos_argc, kokkos_argv.data());
  return hermes::cli::run_cli(args, std::cout, std::cerr, isatty(STDERR_FILENO) != 0);
}

int main(int argc, char** argv) {
  hermes::apps::report_pipe_errors();
  // run_cli reports its own errors; this catches what escapes around it (Kokkos, the arguments).
  const int code = hermes::apps::run_guarded("hermes-sim", std::cerr, [&] { return run_main(argc, argv); });
  return hermes::apps::finish_standard_output(code, "hermes-sim");
}
