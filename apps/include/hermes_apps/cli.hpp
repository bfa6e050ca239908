#pragma once
// The `hermes-sim` command line as a library function: run_cli(arguments, out, err) -> exit
// code. examples/hermes-sim.cpp is main() around it; tests call it directly.
//
//   hermes-sim [options]          one run of the selected system plus the main baselines
//   hermes-sim sweep [options]    a grid of runs written as CSV/JSON with Pareto fronts
//                                 (hermes_apps/sweep.hpp), over MPI processes under mpirun
//                                 (hermes_apps/distributed.hpp)
//   hermes-sim reproduce [opts]   the paper's results, PASS/MISS, plots (hermes_apps/reproduce.hpp)
//
// The effective configuration is built in a fixed order, whatever the order of the arguments:
// the built-in presets (LLaMA2-70B, RTX 4090 + 8 NDP-DIMMs, batch 1, 128 in / 128 out, Hermes),
// then the --config file, then the other flags. --print-config writes that configuration as a
// file --config reads back into the same run.
//
// Exit codes: 0 success, 1 a run failed, 2 bad input (a flag, a value, a file). Error messages
// name the flag or the JSON path, the value found and what is allowed.
//
// hermes_apps (apps/): the programs' shared code, not part of the library. Declarations only;
// the definitions are compiled once, in apps/src/cli.cpp.
#include <algorithm>
#include <cstddef>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/io/config_json.hpp"
#include "hermes/sim/parallel.hpp"
#include "hermes/sim/result.hpp"
#include "hermes_apps/exit_codes.hpp"
#include "hermes_apps/sweep.hpp"

namespace hermes::cli {

using apps::exit_failure;
using apps::exit_ok;
using apps::exit_usage;
using apps::usage_error;

// The head of `hermes-sim --help`; the options follow, generated from their definitions
// (apps/src/cli.cpp), then config_footer.
inline const char* const usage_text = R"(usage: hermes-sim [options]
       hermes-sim sweep [sweep options]       (see sweep --help)
       hermes-sim reproduce [options]         (see reproduce --help)

Simulates LLM decoding on a GPU + NDP-DIMM system (Hermes, HPCA 2025) and its baselines.
With no options: LLaMA2-70B on an RTX 4090 + 8 NDP-DIMMs, batch 1, 128 prompt tokens and
128 generated tokens, Hermes side by side with the main baselines.
)";

inline const char* const config_footer =
    R"(The configuration is built in a fixed order, whatever the order of the arguments: the presets,
then the --config file, then the other flags. Configuration files use SI base units named in
the key (memory_bandwidth_Bps, latency_s, capacity_B, clock_Hz, peak_fp32_FLOPS,
energy_per_bit_J); docs/user-guide.md has the format.
Exit codes: 0 success, 1 a run failed, 2 bad input (a flag, a value, a file).)";

// The systems a default run shows beside the selected one: the paper's main comparison
// (Hermes Sec V-A, Fig 10-12: Hermes-base, Hermes-host, FlexGen, HuggingFace Accelerate,
// Deja Vu), as far as the registry has them, in the registry's order. Ablations are left to
// --compare or --system.
[[nodiscard]] std::vector<std::string> main_baselines(std::string_view selected);

// What a `hermes-sim` (not sweep) command line asks for.
struct sim_command {
  sim_config config{};
  std::optional<std::vector<std::string>> compare;  // --compare; nullopt = main_baselines
  bool json = false;
  bool print_config = false;
  bool list = false;
  bool help = false;
  std::size_t jobs = std::min<std::size_t>(default_jobs(), 256);  // --jobs, 1..256
  // Where config.trace came from, for messages about the trace file: "--trace", or the
  // configuration file and its key.
  std::string trace_source = "--trace";
};

// What a `hermes-sim sweep` command line asks for.
struct sweep_command {
  sweep_grid grid{};
  std::string grid_file;   // --grid: axes (and fronts) from a JSON file
  std::string out;         // CSV file; empty = standard output
  std::string json;        // JSON document; empty = none
  std::string json_lines;  // JSON-lines file; empty = none
  std::string plot_dir;    // --plot: PNG plots of the fronts; empty = none
  std::vector<pareto_front> fronts = default_pareto_fronts();
  bool fronts_given = false;  // by --fronts or the grid file: their columns must exist
  std::size_t jobs = std::min<std::size_t>(default_jobs(), 256);  // --jobs (single process)
  bool jobs_given = false;
  bool progress = false;   // --progress
  bool help = false;
};

// Parses a `hermes-sim` command line (without the program name). Throws usage_error (a flag)
// or config_error (the --config file).
[[nodiscard]] sim_command parse_sim_command(const std::vector<std::string>& args);

// Parses a `hermes-sim sweep` command line (the arguments after "sweep").
[[nodiscard]] sweep_command parse_sweep_command(const std::vector<std::string>& args);

// The recorded trace a configuration names (nullptr for synthetic activations), checked
// against the model's layout. A file that cannot be read is bad input: a usage_error naming it
// and where it was given (`source`: the flag, or the configuration file and key).
[[nodiscard]] std::shared_ptr<const activation_trace> load_config_trace(const sim_config& c,
                                                                       const std::string& source = "--trace");

// Runs one configuration through the registry; `trace` is its loaded trace, if it names one.
[[nodiscard]] sim_result run_config(const sim_config& c, std::shared_ptr<const activation_trace> trace = nullptr);

// The whole program: parses `args` (without the program name), runs, prints results to `out`
// and messages to `err`. `err_is_terminal` enables the sweep's progress line.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            bool err_is_terminal = false);

}  // namespace hermes::cli
