// Definitions of hermes_apps/cli.hpp: the `hermes-sim` command line. Compiled once into
// hermes_apps, so hermes-sim.cpp and the tests include only the declarations and not the
// registry of every system.
#include "hermes_apps/cli.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/activation/trace_file.hpp"
#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/output_file.hpp"
#include "hermes/core/text.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/io/config_json.hpp"
#include "hermes/io/price_json.hpp"
#include "hermes/io/result_json.hpp"
#include "hermes/model/presets.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/parallel.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/registry.hpp"
#include "hermes_apps/command_line.hpp"
#include "hermes_apps/distributed.hpp"
#include "hermes_apps/reproduce.hpp"
#include "hermes_apps/sweep.hpp"

namespace hermes::cli {

namespace detail {

using apps::in_quotes;

inline std::string normalised(std::string_view name) {
  std::string out;
  for (char c : name)
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline std::string system_name(std::string_view n) { return find_system(n).name; }
inline std::string model_name(std::string_view n) { return find_model_preset(n).name; }
inline std::string gpu_name(std::string_view n) { return find_gpu_preset(n).name; }
inline std::string link_name(std::string_view n) { return find_link_preset(n).name; }

}  // namespace detail

// The systems a default run shows beside the selected one: the paper's main comparison
// (Hermes Sec V-A, Fig 10-12: Hermes-base, Hermes-host, FlexGen, HuggingFace Accelerate,
// Deja Vu), as far as the registry has them, in the registry's order; a system with its own
// baselines (IANUS, H2M2: system_entry::baselines) shows those instead. Ablations are left to
// --compare or --system.
std::vector<std::string> main_baselines(std::string_view selected) {
  static const std::vector<std::string> wanted = {"hermes", "hermesbase", "hermeshost", "flexgen",
                                                  "accelerate", "huggingfaceaccelerate", "dejavu"};
  std::vector<std::string> out;
  for (const auto& s : all_systems())
    if (detail::normalised(s.name) == detail::normalised(selected) && !s.baselines.empty()) return s.baselines;
  for (const auto& s : all_systems()) {
    const std::string n = detail::normalised(s.name);
    if (n == detail::normalised(selected)) continue;
    if (std::find(wanted.begin(), wanted.end(), n) != wanted.end()) out.push_back(s.name);
  }
  return out;
}

namespace detail {

// The --config FILE read onto the presets (the presets alone without one). The file must be
// valid on its own: its system name, too, is checked here, where the error can name the file
// and the key.
inline sim_config base_config(const std::string& file) {
  if (file.empty()) return sim_config{};
  sim_config c = read_config_file(file);
  try {
    c.system = find_system(c.system).name;
  } catch (const invalid_parameter& e) {
    const std::string what = e.what();
    const auto at = what.find("expected ");
    throw config_error(file, "/system", "\"" + c.system + "\" is not a system: " +
                                           (at == std::string::npos ? what : what.substr(at)));
  }
  return c;
}

// Prompt + generation must fit the model's context; said with the flags' names.
inline void check_context(const model_shape& m, const workload_config& w) {
  if (m.max_context > 0 && w.input_len + w.output_len > m.max_context)
    throw usage_error("--input-len " + std::to_string(w.input_len) + " + --output-len " +
                      std::to_string(w.output_len) + " = " + std::to_string(w.input_len + w.output_len) +
                      " tokens: expected at most the context of " + m.name + " (" +
                      std::to_string(m.max_context) + " tokens)");
}

inline const char* const sweep_usage = R"(usage: hermes-sim sweep [options]
       mpirun -n N hermes-sim sweep [options]     (when built with MPI)

Runs a grid of simulations (models x systems x batches x prompt lengths x generated lengths x
DIMMs x GPUs x multipliers x PCIe links x DIMM-links) and writes one CSV row per point, with the
Pareto fronts marked (pareto_cost, pareto_energy: maximise end-to-end tokens/s, minimise the
hardware's price or the energy per token). Every list is comma-separated; an axis not given (by
a flag or in --grid) keeps the value of the presets (or of --config). Every point is checked
before the first run. Under mpirun the points are spread over the processes; the files are the
same byte for byte whatever the number of processes or threads.
)";

inline const char* const sweep_footer =
    R"(At most 100000 points (the product of the axis lengths); a larger grid is refused before
anything runs. Progress goes to standard error when it is a terminal (or with --progress); a
summary always does. The outputs are written whole or not at all, and no two may name one file.
A point whose run fails keeps its row (reason "error: ...") and makes the exit code 1.)";

inline const char* const reproduce_footer =
    "Exit codes as hermes-sim: 0 success (whatever the verdicts), 1 a failure, 2 bad input.";

// The flags a run and a sweep share, read onto the configuration after the --config file.
struct workload_flags {
  std::string config;
  std::string prices;  // --prices FILE: the price table (io/price_json.hpp); empty = the defaults
  std::uint64_t input_len = 0, output_len = 0, seed = 0, model_seed = 0, profile_tokens = 0;
  std::vector<std::pair<CLI::Option*, std::function<void(sim_config&)>>> set;

  void define(apps::command_line& cl, CLI::App& on) {
    const auto add = [&](const std::string& flag, std::uint64_t& v, std::uint64_t min, std::uint64_t max,
                         const std::string& text, std::uint64_t workload_config::*field) {
      const std::string range = apps::integer_range(min, max);
      const auto paren = text.rfind(" (default");
      CLI::Option* o = cl.option(on, flag, v, "N",
                                 text.substr(0, paren) + ", " + std::to_string(min) + ".." + std::to_string(max) +
                                     text.substr(paren),
                                 range, apps::count_in(min, max));
      set.emplace_back(o, [&v, field](sim_config& c) { c.workload.*field = v; });
    };
    add("--input-len", input_len, 1, apps::limits::sequence_tokens, "prompt tokens (default 128)",
        &workload_config::input_len);
    add("--output-len", output_len, 1, apps::limits::sequence_tokens, "generated tokens (default 128)",
        &workload_config::output_len);
    add("--seed", seed, 0, UINT64_MAX, "seed of the input: the synthetic prompt and decoded tokens (default 1)",
        &workload_config::seed);
    add("--model-seed", model_seed, 0, UINT64_MAX,
        "seed of the synthetic model instance (which neurons are hot, how layers correlate) and of its "
        "offline profiling input (default 1)",
        &workload_config::model_seed);
    add("--profile-tokens", profile_tokens, 1, apps::limits::profile_tokens,
        "tokens of the offline profiling run (default 128)", &workload_config::profile_tokens);
    cl.option(on, "--config", config, "FILE",
              "hardware and workload from a JSON file (see --print-config); the other flags override it, whatever "
              "their order",
              "a JSON configuration file", apps::text_of_at_most(4096, "a JSON configuration file"));
    cl.option(on, "--prices", prices, "FILE",
              "prices of GPUs, DIMMs, the NDP premium, hosts and power as a JSON file (data/prices.json is the "
              "default table; a file overlays it)",
              "a JSON price file", apps::text_of_at_most(4096, "a JSON price file"));
  }
  // The presets, then the --config file, then the flags.
  [[nodiscard]] sim_config apply() const {
    sim_config c = base_config(config);
    if (!prices.empty()) c.prices = read_price_file(prices);
    for (const auto& [o, f] : set)
      if (o->count() > 0) f(c);
    return c;
  }
};

// hermes-sim's whole command line: a run's options, the `sweep` and `reproduce` subcommands.
class sim_parser {
 public:
  sim_parser() : cl_("hermes-sim", usage_text, config_footer) {
    CLI::App& run = cl_.app();
    cl_.option(run, "--model", model_, "NAME", "model preset (--list shows them; default LLaMA2-70B)",
               "a model name (--list shows them)", apps::name_in(model_name));
    cl_.option(run, "--system", system_, "NAME", "system to run (--list shows them; default Hermes)",
               "a system name (--list shows them)", apps::name_in(system_name));
    cl_.option(run, "--batch", batch_, "N", "sequences decoded together, 1..256 (default 1)",
               apps::integer_range(1, apps::limits::batch), apps::count_in(1, apps::limits::batch));
    cl_.option(run, "--gpu", gpu_, "NAME", "GPU preset (--list shows them; default RTX4090)",
               "a GPU name (--list shows them)", apps::name_in(gpu_name));
    cl_.option(run, "--dimms", dimms_, "N", "NDP-DIMMs, 1..64 (default 8)", apps::integer_range(1, apps::limits::dimms),
               apps::count_in(1, apps::limits::dimms));
    cl_.option(run, "--multipliers", multipliers_, "N",
               "GEMV multipliers per NDP core, 1.." + std::to_string(apps::limits::multipliers) + " (default 256)",
               apps::integer_range(1, apps::limits::multipliers), apps::count_in(1, apps::limits::multipliers));
    run_flags_.define(cl_, run);
    cl_.option(run, "--trace", trace_, "FILE",
               "replay a recorded activation trace (hermes-trace, hermes-profile): its first profile-tokens tokens "
               "are the profile, then input-len prompt tokens, then output-len decoded tokens (batch 1)",
               "a trace file", apps::text_of_at_most(4096, "a trace file"));
    cl_.flag(run, "--print-config", cmd_.print_config,
             "print the effective configuration as such a JSON file and exit");
    cl_.option(run, "--compare", compare_, "LIST",
               "systems to run side by side, comma-separated, or \"none\" (default: the main baselines the "
               "registry has)",
               "a comma-separated list of systems, or none", apps::name_list_in(system_name, "none"));
    cl_.flag(run, "--json", cmd_.json,
             "print one JSON object: the selected system's result, with the side-by-side runs in its "
             "\"baselines\" array");
    cl_.option(run, "--jobs", cmd_.jobs, "N",
               "threads for the side-by-side runs, 1..256 (results do not depend on it; default one per CPU)",
               apps::integer_range(1, apps::limits::jobs), apps::count_in(1, apps::limits::jobs));
    cl_.flag(run, "--list", cmd_.list, "list systems, models and GPUs");

    sweep_ = cl_.subcommand("sweep", sweep_usage, sweep_footer);
    const auto axis = [&](const std::string& flags, std::string& into, const std::string& text,
                          const CLI::Validator& check) {
      cl_.option(*sweep_, flags, into, "LIST", text, "a comma-separated list", check);
    };
    const std::string items = " (at most " + std::to_string(apps::limits::list_items) + " items)";
    axis("--models,--model", models_, "model presets" + items, apps::name_list_in(model_name));
    axis("--systems,--system", systems_, "systems" + items, apps::name_list_in(system_name));
    axis("--batches,--batch", batches_, "batch sizes, each 1..256" + items,
         apps::count_list_in(1, apps::limits::batch, apps::limits::list_items));
    axis("--dimms", dimm_list_, "NDP-DIMM counts, each 1..64" + items,
         apps::count_list_in(1, apps::limits::dimms, apps::limits::list_items));
    axis("--gpus,--gpu", gpus_, "GPU presets" + items, apps::name_list_in(gpu_name));
    axis("--multipliers", multiplier_list_,
         "GEMV multipliers per NDP core, each 1.." + std::to_string(apps::limits::multipliers) + items,
         apps::count_list_in(1, apps::limits::multipliers, apps::limits::list_items));
    axis("--input-lens", input_lens_,
         "prompt lengths, each 1.." + std::to_string(apps::limits::sequence_tokens) + items,
         apps::count_list_in(1, apps::limits::sequence_tokens, apps::limits::list_items));
    axis("--output-lens", output_lens_,
         "generated lengths, each 1.." + std::to_string(apps::limits::sequence_tokens) + items,
         apps::count_list_in(1, apps::limits::sequence_tokens, apps::limits::list_items));
    axis("--pcie", pcie_list_, "link presets of the GPU <-> DIMM/host link (--list shows them)" + items,
         apps::name_list_in(link_name));
    axis("--dimm-links", dimm_link_list_, "link presets of the DIMM <-> DIMM link (--list shows them)" + items,
         apps::name_list_in(link_name));
    cl_.option(*sweep_, "--grid", sweep_cmd_.grid_file, "FILE",
               "axes (and fronts) from a JSON file (docs/user-guide.md); an axis flag overrides the file's axis",
               "a JSON grid file", apps::text_of_at_most(4096, "a JSON grid file"));
    cl_.option(*sweep_, "--fronts", fronts_, "LIST",
               "Pareto fronts NAME:MAXIMISE:MINIMISE (CSV column names), comma-separated, or none; the item "
               "default stands for the default fronts cost:end_to_end_tokens_per_second:cost_hardware_usd,"
               "energy:end_to_end_tokens_per_second:energy_joules_per_token",
               "a comma-separated list of NAME:MAXIMISE:MINIMISE or default, or none",
               apps::text_of_at_most(4096, "a comma-separated list of NAME:MAXIMISE:MINIMISE or default, or none"));
    cl_.option(*sweep_, "--out", sweep_cmd_.out, "FILE", "CSV output (default: standard output)", "a file name",
               apps::text_of_at_most(4096, "a file name"));
    cl_.option(*sweep_, "--json", sweep_cmd_.json, "FILE",
               "also write the table as one JSON document (columns, fronts, rows)", "a file name",
               apps::text_of_at_most(4096, "a file name"));
    cl_.option(*sweep_, "--json-lines", sweep_cmd_.json_lines, "FILE", "also write one JSON object per run",
               "a file name", apps::text_of_at_most(4096, "a file name"));
    cl_.option(*sweep_, "--plot", sweep_cmd_.plot_dir, "DIR",
               "draw each front as DIR/pareto_NAME.png with gnuplot (and its .dat and .gp)", "a directory",
               apps::text_of_at_most(4096, "a directory name"));
    cl_.option(*sweep_, "--jobs", sweep_cmd_.jobs, "N",
               "threads of a single-process sweep, 1..256 (results do not depend on it; default one per CPU; under "
               "mpirun each process runs one point at a time)",
               apps::integer_range(1, apps::limits::jobs), apps::count_in(1, apps::limits::jobs));
    cl_.flag(*sweep_, "--progress", sweep_cmd_.progress,
             "a progress line per finished point on standard error even when it is not a terminal");
    sweep_flags_.define(cl_, *sweep_);

    reproduce_ = cl_.subcommand("reproduce", repro::reproduce_usage, reproduce_footer);
    cl_.option(*reproduce_, "--out", repro_out_, "DIR", "write DIR/reproduction.md and DIR/reproduction/ (default docs)",
               "a directory", apps::text_of_at_most(4096, "a directory name"));
    cl_.option(*reproduce_, "--batches", repro_batches_, "LIST",
               "batch sizes of the \"mean over batch 1..16\" rows, each 1..256, at most " +
                   std::to_string(apps::limits::list_items) + " (default 1,2,4,8,16)",
               "a comma-separated list of batch sizes in 1..256",
               apps::count_list_in(1, apps::limits::batch, apps::limits::list_items));
    cl_.option(*reproduce_, "--data", repro_data_, "DIR",
               "data directory with stories260K/ (real trace; default the build's data/)", "a directory",
               apps::existing_directory());
    cl_.option(*reproduce_, "--jobs", repro_.jobs, "N",
               "spread the simulations over N threads, 1..256 (the results do not depend on N; default one per "
               "hardware thread)",
               apps::integer_range(1, repro::reproduce_options::max_jobs),
               apps::count_in(1, repro::reproduce_options::max_jobs));
    cl_.flag(*reproduce_, "--no-plots", no_plots_, "write .dat and .gp files but do not run gnuplot");
  }

  // False after --help; throws usage_error on a bad command line.
  bool parse(const std::vector<std::string>& args) {
    if (!cl_.parse_or_throw(args)) return false;
    // A run's options before the word sweep or reproduce would be silently dropped: refused.
    if (sweep_->parsed() || reproduce_->parsed())
      for (const CLI::Option* o : cl_.app().get_options())
        if (o->count() > 0)
          throw usage_error(o->get_name() + ": an option of a single run, given before " +
                            (sweep_->parsed() ? "sweep" : "reproduce") + ": give it after the subcommand (see " +
                            (sweep_->parsed() ? "sweep" : "reproduce") + " --help)");
    return true;
  }
  [[nodiscard]] std::string help() const { return cl_.app().help(); }
  [[nodiscard]] std::string program() const { return cl_.program(); }
  [[nodiscard]] bool is_sweep() const { return sweep_->parsed(); }
  [[nodiscard]] bool is_reproduce() const { return reproduce_->parsed(); }

  // A run: presets, then --config, then the flags.
  [[nodiscard]] sim_command sim() const {
    sim_command cmd = cmd_;
    cmd.config = run_flags_.apply();
    sim_config& c = cmd.config;
    if (!c.trace.empty()) cmd.trace_source = run_flags_.config + ": /workload/trace";
    if (given("--model")) c.workload.model = find_model_preset(model_);
    if (given("--system")) c.system = system_;
    if (given("--batch")) c.workload.batch = batch_;
    if (given("--gpu")) c.hardware.gpu = find_gpu_preset(gpu_);
    if (given("--dimms")) c.hardware.dimms = dimms_;
    if (given("--multipliers")) c.hardware.dimm.gemv.multipliers = multipliers_;
    if (given("--trace")) {
      c.trace = trace_;
      cmd.trace_source = "--trace";
    }
    if (given("--compare"))
      cmd.compare = compare_ == "none" ? std::vector<std::string>{} : apps::split_list("--compare", compare_);
    c.system = find_system(c.system).name;  // a name from --config, too
    check_context(c.workload.model, c.workload);
    validate_config(c, "configuration");
    return cmd;
  }

  // A sweep: the grid over the presets, --config and the common flags; at most
  // limits::sweep_points points.
  [[nodiscard]] sweep_command sweep() const {
    sweep_command cmd = sweep_cmd_;
    sweep_grid& g = cmd.grid;
    g.base = sweep_flags_.apply();
    const auto names = [&](const char* flag, const std::string& v) {
      return sweep_->get_option(flag)->count() > 0 ? apps::split_list(flag, v) : std::vector<std::string>{};
    };
    const auto counts = [&](const char* flag, const std::string& v) {
      std::vector<std::size_t> out;
      for (const auto& s : names(flag, v)) out.push_back(apps::parse_count(flag, s, 0, UINT64_MAX));
      return out;
    };
    std::optional<std::vector<pareto_front>> file_fronts;
    if (!cmd.grid_file.empty()) file_fronts = read_sweep_grid_file(cmd.grid_file, g, system_name);
    const auto given_in = [&](const char* flag) { return sweep_->get_option(flag)->count() > 0; };
    if (given_in("--models")) g.models = names("--models", models_);
    if (given_in("--systems")) g.systems = names("--systems", systems_);
    if (given_in("--batches")) g.batches = counts("--batches", batches_);
    if (given_in("--dimms")) g.dimms = counts("--dimms", dimm_list_);
    if (given_in("--gpus")) g.gpus = names("--gpus", gpus_);
    if (given_in("--multipliers")) g.multipliers = counts("--multipliers", multiplier_list_);
    if (given_in("--input-lens")) g.input_lens = counts("--input-lens", input_lens_);
    if (given_in("--output-lens")) g.output_lens = counts("--output-lens", output_lens_);
    if (given_in("--pcie")) g.pcie = names("--pcie", pcie_list_);
    if (given_in("--dimm-links")) g.dimm_links = names("--dimm-links", dimm_link_list_);
    // An axis of prompt or generated lengths and the single value of the same quantity: refused,
    // rather than one silently winning.
    if (!g.input_lens.empty() && given_in("--input-len"))
      throw usage_error("--input-len and an --input-lens axis (flag or --grid) both given: give one");
    if (!g.output_lens.empty() && given_in("--output-len"))
      throw usage_error("--output-len and an --output-lens axis (flag or --grid) both given: give one");
    if (given_in("--fronts")) {
      cmd.fronts.clear();
      cmd.fronts_given = true;
      if (fronts_ != "none")
        for (const auto& item : apps::split_list("--fronts", fronts_)) {
          if (item == "default") {
            for (const auto& f : default_pareto_fronts()) cmd.fronts.push_back(f);
            continue;
          }
          const auto a = item.find(':'), b = a == std::string::npos ? a : item.find(':', a + 1);
          if (a == std::string::npos || b == std::string::npos || item.find(':', b + 1) != std::string::npos || a == 0 ||
              b == a + 1 || b + 1 == item.size())
            throw usage_error("--fronts " + in_quotes(item) + ": expected NAME:MAXIMISE:MINIMISE (CSV column names)");
          cmd.fronts.push_back({item.substr(0, a), item.substr(a + 1, b - a - 1), item.substr(b + 1)});
        }
    } else if (file_fronts) {
      cmd.fronts = *file_fronts;
      cmd.fronts_given = true;
    }
    cmd.jobs_given = given_in("--jobs");
    if (!g.base.trace.empty()) throw usage_error("a --config with a \"trace\" is not supported; sweeps use synthetic activations");
    g.base.system = find_system(g.base.system).name;
    std::uint64_t points = 1;
    std::string product;
    for (const auto& [axis_name, n] : g.axis_lengths()) {
      points = checked_mul("sweep points", points, static_cast<std::uint64_t>(n));
      product += std::string(product.empty() ? "" : " x ") + std::to_string(n) + " " + axis_name;
    }
    if (points > apps::limits::sweep_points)
      throw usage_error(product + " = " + std::to_string(points) + " points: expected at most " +
                        std::to_string(apps::limits::sweep_points) + " (split the sweep into several)");
    return cmd;
  }

  // The reproduction: its options and output directory.
  [[nodiscard]] std::pair<repro::reproduce_options, std::filesystem::path> reproduction() const {
    repro::reproduce_options o = repro_;
    if (reproduce_->get_option("--batches")->count() > 0) {
      o.batches.clear();
      for (const auto& s : apps::split_list("--batches", repro_batches_))
        o.batches.push_back(apps::parse_count("--batches", s, 1, apps::limits::batch));
    }
    if (reproduce_->get_option("--data")->count() > 0) o.data_dir = repro_data_;
    if (no_plots_) o.plots = false;
    o.validate();
    return {o, repro_out_};
  }
  [[nodiscard]] bool reproduce_jobs_given() const { return reproduce_->get_option("--jobs")->count() > 0; }

 private:
  [[nodiscard]] bool given(const char* flag) const { return cl_.app().get_option(flag)->count() > 0; }

  apps::command_line cl_;
  CLI::App* sweep_ = nullptr;
  CLI::App* reproduce_ = nullptr;
  sim_command cmd_;
  workload_flags run_flags_, sweep_flags_;
  std::string model_, system_, gpu_, trace_, compare_;
  std::size_t batch_ = 1, dimms_ = 1, multipliers_ = 1;
  sweep_command sweep_cmd_;
  std::string models_, systems_, batches_, dimm_list_, gpus_, multiplier_list_, input_lens_, output_lens_, pcie_list_,
      dimm_link_list_, fronts_;
  repro::reproduce_options repro_;
  std::string repro_out_ = "docs", repro_batches_, repro_data_;
  bool no_plots_ = false;
};

}  // namespace detail

// Parses a `hermes-sim` command line (without the program name). Throws usage_error (a flag)
// or config_error (the --config file).
sim_command parse_sim_command(const std::vector<std::string>& args) {
  detail::sim_parser p;
  if (!p.parse(args)) {
    sim_command cmd;
    cmd.help = true;
    return cmd;
  }
  if (p.is_sweep() || p.is_reproduce()) throw usage_error("expected a single run's options, not a subcommand");
  return p.sim();
}

// Parses a `hermes-sim sweep` command line (the arguments after "sweep").
sweep_command parse_sweep_command(const std::vector<std::string>& args) {
  std::vector<std::string> all{"sweep"};
  all.insert(all.end(), args.begin(), args.end());
  detail::sim_parser p;
  if (!p.parse(all)) {
    sweep_command cmd;
    cmd.help = true;
    return cmd;
  }
  return p.sweep();
}

// ------------------------------------------------------------------------------------------
// Running

// The recorded trace a configuration names (nullptr for synthetic activations), checked
// against the model's layout. A file that cannot be read is bad input: a usage_error naming it
// and where it was given (`source`: the flag, or the configuration file and key).
std::shared_ptr<const activation_trace> load_config_trace(const sim_config& c, const std::string& source) {
  if (c.trace.empty()) return nullptr;
  try {
    return std::make_shared<const activation_trace>(load_trace(c.trace, trace_layout::of(c.workload.model)));
  } catch (const error& e) {
    throw usage_error(source + " " + detail::in_quotes(c.trace) + ": " + e.what());
  }
}

// Runs one configuration through the registry; `trace` is its loaded trace, if it names one.
sim_result run_config(const sim_config& c, std::shared_ptr<const activation_trace> trace) {
  workload_config w = c.workload;
  if (!c.trace.empty()) w.trace = trace ? std::move(trace) : load_config_trace(c);
  try {
    sim_result r = run_system(c.system, w, c.hardware);
    r.cost = price_run(r, c.prices);
    return r;
  } catch (const resource_limit& e) {
    // The library names the configuration's fields; on the command line they are flags.
    throw usage_error(std::string(e.what()) +
                      " (flags: --batch, --input-len, --output-len, --profile-tokens, --model)");
  }
}

namespace detail {

// The side-by-side table: one column per system, one row per figure.
inline void print_table(std::ostream& out, const sim_config& c, const std::vector<sim_result>& results) {
  const auto& w = c.workload;
  const auto& h = c.hardware;
  out << "hermes-sim: " << w.model.name << ", " << h.gpu.name << " + " << h.dimms << " NDP-DIMMs ("
      << h.dimm.gemv.multipliers << " multipliers each), batch " << w.batch << ", " << w.input_len << " in / "
      << w.output_len << " out, " << (c.trace.empty() ? "synthetic activations, seed " + std::to_string(w.seed) +
                                                            ", model seed " + std::to_string(w.model_seed)
                                                      : "trace " + c.trace)
      << "\n\n";
  const sim_result* reference = results.empty() || !results.front().supported ? nullptr : &results.front();
  using cell = std::optional<std::string>;
  struct row {
    std::string label;
    std::function<cell(const sim_result&)> value;
  };
  const auto sec = [](auto get) {
    return [get](const sim_result& r) -> cell { return to_text(get(r).value(), 4); };
  };
  // The share of the run's energy one kind of resource used.
  const auto energy_share = [](resource_kind kind) {
    return [kind](const sim_result& r) -> cell {
      if (!r.energy.measured || r.energy.joules <= 0.0) return std::nullopt;
      for (const auto& [k, j] : r.energy.by_kind())
        if (k == to_string(kind)) return to_text(100.0 * j / r.energy.joules, 3);
      return std::nullopt;
    };
  };
  const std::vector<row> rows = {
      // The paper's throughput is end to end (Sec V-A4, V-D: prompting is a third of Hermes'
      // time); decode-only throughput is the second line.
      {"tokens/s (end to end)", [](const sim_result& r) -> cell { return to_text(r.end_to_end_tokens_per_second, 4); }},
      {"tokens/s (decode)", [](const sim_result& r) -> cell { return to_text(r.decode_tokens_per_second, 4); }},
      {"speedup over this (end to end)",
       [&](const sim_result& r) -> cell {
         if (!reference || r.end_to_end_tokens_per_second <= 0.0) return std::nullopt;
         return to_text(reference->end_to_end_tokens_per_second / r.end_to_end_tokens_per_second, 3) + "x";
       }},
      {"prefill (s)", sec([](const sim_result& r) { return r.seconds_prefill; })},
      {"decode (s)", sec([](const sim_result& r) { return r.seconds_decode; })},
      {"busy time (s), whole run:", [](const sim_result&) -> cell { return std::string(); }},
      {"  GPU compute", sec([](const sim_result& r) { return r.breakdown.gpu_compute; })},
      {"  NDP compute, busiest", sec([](const sim_result& r) { return r.breakdown.near_memory_compute; })},
      {"  NDP compute, mean", sec([](const sim_result& r) { return r.breakdown.near_memory_compute_mean; })},
      {"  host CPU compute", sec([](const sim_result& r) { return r.breakdown.host_compute; })},
      {"  PCIe activations", sec([](const sim_result& r) { return r.breakdown.pcie; })},
      {"  PCIe weights", sec([](const sim_result& r) { return r.breakdown.pcie_weights; })},
      {"  DIMM-link", sec([](const sim_result& r) { return r.breakdown.cold_link; })},
      {"  sync (PCIe latency)", sec([](const sim_result& r) { return r.breakdown.sync; })},
      {"  predictor (host)", sec([](const sim_result& r) { return r.breakdown.predictor; })},
      {"  prefill phase", sec([](const sim_result& r) { return r.breakdown.prefill; })},
      {"DIMM load imbalance",
       [](const sim_result& r) -> cell {
         if (r.dimms == 0) return std::nullopt;  // a system without NDP-DIMMs
         return to_text(r.cold_load_imbalance, 3);
       }},
      {"predictor accuracy (%)",
       [](const sim_result& r) -> cell {
         if (!r.has_prediction) return std::nullopt;
         return to_text(100.0 * r.prediction_accuracy, 4);
       }},
      {"placement gap (%)",
       [](const sim_result& r) -> cell {
         if (!r.has_placement) return std::nullopt;
         return to_text(100.0 * r.placement_gap, 3);
       }},
      {"energy (J/token)",
       [](const sim_result& r) -> cell {
         if (!r.energy.measured) return std::nullopt;
         return to_text(r.energy.joules_per_token, 4);
       }},
      {"  GPU share (%)", energy_share(resource_kind::compute)},
      {"  NDP-DIMM share (%)", energy_share(resource_kind::near_memory)},
      {"  host CPU share (%)", energy_share(resource_kind::host)},
      {"  links share (%)", energy_share(resource_kind::link)},
      {"hardware (USD)",
       [](const sim_result& r) -> cell {
         if (!r.cost.priced) return std::nullopt;
         return to_text(r.cost.hardware_usd, 5);
       }},
      {"tokens/s per 1000 USD",
       [](const sim_result& r) -> cell {
         if (!r.cost.priced) return std::nullopt;
         return to_text(r.cost.tokens_per_second_per_kusd, 4);
       }},
      {"USD per million tokens",
       [](const sim_result& r) -> cell {
         if (!r.cost.priced || r.cost.usd_per_million_tokens <= 0.0) return std::nullopt;
         return to_text(r.cost.usd_per_million_tokens, 4);
       }},
      // Wall clock of the simulator itself (activations, mapper, engine), not modelled time.
      {"simulator host time (s)",
       [](const sim_result& r) -> cell {
         return to_text(r.host_seconds_activations + r.host_seconds_placement + r.host_seconds_simulation, 3);
       }},
  };
  std::size_t label_width = 0;
  for (const auto& r : rows) label_width = std::max(label_width, r.label.size());
  std::vector<std::size_t> width;
  for (const auto& r : results) width.push_back(std::max<std::size_t>(11, r.system.size()) + 2);
  out << std::left << std::setw(static_cast<int>(label_width)) << "" << std::right;
  for (std::size_t k = 0; k < results.size(); ++k)
    out << std::setw(static_cast<int>(width[k])) << results[k].system;
  out << '\n';
  for (const auto& r : rows) {
    out << std::left << std::setw(static_cast<int>(label_width)) << r.label << std::right;
    for (std::size_t k = 0; k < results.size(); ++k) {
      std::string text = "-";
      if (!results[k].supported) text = r.label == rows.front().label ? "n/s" : "";
      else if (const cell v = r.value(results[k])) text = *v;
      out << std::setw(static_cast<int>(width[k])) << text;
    }
    out << '\n';
  }
  bool notes = false;
  for (const auto& r : results)
    if (!r.supported) {
      if (!notes) out << '\n';
      notes = true;
      out << r.system << ": not supported: " << r.reason << '\n';
    }
  if (reference)
    out << "\n\"speedup over this\": " << reference->system << "'s decode tokens/s over the column's.\n";
  // A placement that does not optimise Eq 1-7 lies far above its bound by design, not because a
  // solver failed: say which.
  for (const auto& r : results)
    if (r.supported && r.has_placement && (r.placement_method == "layer-fill" || r.placement_method == "random"))
      out << "\"placement gap\" of " << r.system << ": its " << r.placement_method
          << " placement does not optimise the offline objective (Eq 1-7); the gap to its LP bound is by design.\n";
}

// The cost comparison every run reports beside its own figures: TensorRT-LLM on the paper's
// 5 x A100-40GB (Hermes Sec V-A), on the same workload and price table; taken from the results
// when it ran side by side, else run here (nullopt when the registry has no such system).
inline constexpr std::string_view cost_reference_system = "TensorRT-LLM";

inline std::optional<sim_result> cost_reference(const sim_config& c, const std::vector<sim_result>& results,
                                                std::shared_ptr<const activation_trace> trace) {
  for (const auto& r : results)
    if (lower_case(r.system) == lower_case(cost_reference_system)) return r;
  const auto names = system_names();
  if (std::none_of(names.begin(), names.end(),
                   [](const std::string& n) { return lower_case(n) == lower_case(cost_reference_system); }))
    return std::nullopt;
  sim_config t = c;
  t.system = std::string(cost_reference_system);
  return run_config(t, std::move(trace));
}

// The reference as a small JSON object ("cost_reference" of hermes-sim --json).
inline nlohmann::json reference_json(const sim_result& r) {
  return {{"system", r.system},     {"gpu", r.gpu},           {"supported", r.supported},
          {"end_to_end_tokens_per_second", r.end_to_end_tokens_per_second},       {"energy", to_json(r.energy)},
          {"cost", to_json(r.cost)}};
}

// Below the table: the reference machine's figures and the price assumptions.
inline void print_cost_notes(std::ostream& out, const sim_config& c, const std::optional<sim_result>& ref) {
  const price_table& p = c.prices;
  out << "\nEnergy: every device's work plus its idle / background power over the run, per generated token "
         "(docs/parameters.md, Energy).\nCost: hardware from the price table, amortised over "
      << to_text(p.lifetime_years, 3) << " years at " << to_text(100.0 * p.utilisation, 3)
      << "% utilisation, plus energy at " << to_text(p.power.usd, 3) << " USD/kWh (" << p.power.date << ").\n";
  if (!ref) return;
  if (!ref->supported) {
    out << ref->system << " (reference): not supported: " << ref->reason << '\n';
    return;
  }
  out << ref->system << " on " << ref->gpu << " (the paper's high-end comparison, same workload): "
      << to_text(ref->end_to_end_tokens_per_second, 4) << " tokens/s end to end, " << to_text(ref->energy.joules_per_token, 4)
      << " J/token";
  if (ref->cost.priced)
    out << ", hardware " << to_text(ref->cost.hardware_usd, 5) << " USD, "
        << to_text(ref->cost.tokens_per_second_per_kusd, 4) << " tokens/s per 1000 USD, "
        << to_text(ref->cost.usd_per_million_tokens, 4) << " USD per million tokens";
  else
    out << " (" << ref->cost.unpriced_reason << ")";
  out << ".\n";
}

inline void print_list(std::ostream& out) {
  out << "systems:\n";
  for (const auto& s : all_systems()) out << "  " << std::left << std::setw(26) << s.name << s.description << '\n';
  out << "models:\n ";
  for (const auto& m : model_presets::all()) out << ' ' << m.name;
  out << "\nGPUs:\n ";
  for (const auto& g : gpu_presets::all()) out << ' ' << g.name;
  out << "\nlinks (sweep --pcie, --dimm-links):\n ";
  for (const auto& l : link_presets::all()) out << ' ' << l.name;
  out << '\n';
}

inline int run_sim(const sim_command& cmd, std::ostream& out) {
  if (cmd.list) {
    print_list(out);
    return exit_ok;
  }
  if (cmd.print_config) {
    out << to_json(cmd.config).dump(2) << '\n';
    return exit_ok;
  }
  std::vector<std::string> systems{cmd.config.system};
  for (const auto& s : cmd.compare.value_or(main_baselines(cmd.config.system)))
    if (std::find(systems.begin(), systems.end(), s) == systems.end()) systems.push_back(s);
  const auto trace = load_config_trace(cmd.config, cmd.trace_source);  // once, shared by every system
  // The selected system runs first, alone: it fills the engine's memos (activations, offline
  // placement) that the side-by-side systems then share. Those run on up to --jobs threads in
  // timing-only mode (parallel.hpp); each result lands in its own slot, so the order is kept.
  std::vector<sim_result> results(systems.size());
  const auto run_one = [&](std::size_t k) {
    sim_config c = cmd.config;
    c.system = systems[k];
    results[k] = run_config(c, trace);
  };
  run_one(0);
  const std::size_t jobs = cmd.config.workload.mode == execution_mode::math ? 1 : cmd.jobs;
  for_each_index_parallel(systems.size() - 1, jobs, [&](std::size_t k) { run_one(k + 1); });
  const std::optional<sim_result> reference = detail::cost_reference(cmd.config, results, trace);
  if (cmd.json) {
    nlohmann::json j = to_json(results.front());
    j["baselines"] = nlohmann::json::array();
    for (std::size_t k = 1; k < results.size(); ++k) j["baselines"].push_back(to_json(results[k]));
    j["cost_reference"] = reference ? detail::reference_json(*reference) : nlohmann::json();
    out << j.dump(2) << '\n';
  } else {
    print_table(out, cmd.config, results);
    detail::print_cost_notes(out, cmd.config, reference);
  }
  return exit_ok;
}

// A path in single quotes for /bin/sh.
inline std::string shell_quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The PNG plots of the fronts: DIR/pareto_NAME.{dat,gp,png}. Returns a note for the summary.
inline std::string draw_sweep_plots(const sweep_table& t, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec))
    throw usage_error("--plot " + in_quotes(dir) + ": expected a directory that exists or can be created");
  const auto plots = make_sweep_plots(t);
  if (plots.empty()) return "no front has candidates (rows with both columns): nothing to plot in " + dir;
  for (const auto& p : plots) {
    write_file(fs::path(dir) / (p.name + ".dat"), p.data);
    write_file(fs::path(dir) / (p.name + ".gp"), p.script);
  }
  if (std::system("gnuplot --version > /dev/null 2>&1") != 0)
    return "gnuplot not found: the .dat and .gp files are in " + dir +
           ", the PNG plots are not (install gnuplot, e.g. the Debian package gnuplot-nox)";
  std::string drawn;
  for (const auto& p : plots) {
    const std::string cmd = "cd " + shell_quoted(dir) + " && gnuplot " + shell_quoted(p.name + ".gp");
    if (std::system(cmd.c_str()) != 0) throw error("gnuplot failed on " + (fs::path(dir) / (p.name + ".gp")).string());
    drawn += (drawn.empty() ? "" : ", ") + (fs::path(dir) / (p.name + ".png")).string() + " (" +
             std::to_string(p.on_front) + " of " + std::to_string(p.candidates) + " on the front)";
  }
  return "plots: " + drawn;
}

inline int run_sweep_command(const sweep_command& cmd, std::ostream& out, std::ostream& err, bool err_is_terminal) {
  const auto start = std::chrono::steady_clock::now();
  // Two outputs naming one file would interleave: refused before anything runs.
  const std::vector<std::pair<std::string, std::string>> outputs = {
      {"--out", cmd.out}, {"--json", cmd.json}, {"--json-lines", cmd.json_lines}};
  for (std::size_t i = 0; i < outputs.size(); ++i)
    for (std::size_t k = i + 1; k < outputs.size(); ++k)
      if (!outputs[i].second.empty() && !outputs[k].second.empty() && apps::same_file(outputs[i].second, outputs[k].second))
        throw usage_error(outputs[i].first + " " + in_quotes(outputs[i].second) + " and " + outputs[k].first + " " +
                          in_quotes(outputs[k].second) + " name the same file: give each output its own");
  // Every point is checked before an output is opened.
  const std::vector<sim_config> points = cmd.grid.points();
  check_sweep_points(points, [](const sim_config& p) {
    find_system(p.system);
    check_context(p.workload.model, p.workload);
    validate_config(p, "configuration");
  });
  // Fronts a user named must name result columns (a default front whose columns are not there
  // yet is noted after the run, its column left empty).
  if (cmd.fronts_given) {
    const auto cols = sweep_columns();
    std::set<std::string> names;
    const auto defaults = default_pareto_fronts();
    for (const auto& f : cmd.fronts) {
      if (!names.insert(f.name).second) throw usage_error("--fronts: the front name " + in_quotes(f.name) + " is given twice");
      if (std::find(defaults.begin(), defaults.end(), f) != defaults.end()) continue;  // noted if absent
      for (const auto& c : {f.maximise, f.minimise})
        if (std::find(cols.begin(), cols.end(), c) == cols.end() || c == "model" || c == "system" || c == "gpu" ||
            c == "pcie" || c == "dimm_link" || c == "reason" || c == "supported")
          throw usage_error("--fronts: front " + in_quotes(f.name) + ": " + in_quotes(c) +
                            " is not a numeric column of the sweep's results (e.g. end_to_end_tokens_per_second, "
                            "seconds_prefill, seconds_decode, dimms, batch)");
    }
  }
  // Under mpirun: every process takes part; rank 0 writes.
  apps::process_pool pool;
  if (pool.size() > 1 && cmd.jobs_given && cmd.jobs != 1)
    throw usage_error("--jobs " + std::to_string(cmd.jobs) + " under mpirun with " + std::to_string(pool.size()) +
                      " processes: expected 1 (each process runs one point at a time; start one process per core)");
  const std::size_t jobs = cmd.grid.base.workload.mode == execution_mode::math ? 1 : cmd.jobs;

  // Files are written whole or not at all (core/output_file.hpp): a rejected or failed sweep
  // leaves an existing file as it was. Rank 0 opens them before the work starts; if it cannot,
  // every process stops.
  std::optional<output_file> csv_file, json_file, lines_file;
  std::ostream* csv = &out;
  std::optional<usage_error> cannot_open;
  if (pool.is_root()) {
    const auto open = [&](const std::string& flag, const std::string& path, std::optional<output_file>& f) {
      if (path.empty() || cannot_open) return;
      try {
        f.emplace(path);
      } catch (const error& e) {
        cannot_open.emplace(flag + " " + in_quotes(path) + ": " + e.what());
      }
    };
    open("--out", cmd.out, csv_file);
    open("--json", cmd.json, json_file);
    open("--json-lines", cmd.json_lines, lines_file);
    if (csv_file) csv = &csv_file->stream();
  }
  if (!pool.agree(!cannot_open)) {
    if (cannot_open) throw *cannot_open;
    return exit_usage;  // another rank: rank 0 says why
  }

  const bool show = err_is_terminal || cmd.progress;
  const auto progress = [&](std::size_t done, std::size_t i) {
    if (!show) return;
    if (err_is_terminal) err << "\r\033[K";
    err << "[" << done << "/" << points.size() << "] " << describe_point(points[i]);
    if (err_is_terminal) err << std::flush;
    else err << std::endl;
  };
  const std::vector<std::string> results = pool.run(
      points.size(), expensive_first(points), jobs,
      [&](std::size_t i) { return run_sweep_point([](const sim_config& p) { return run_config(p); }, points[i]).dump(); },
      progress);
  if (!pool.is_root()) return exit_ok;
  if (err_is_terminal) err << "\r\033[K";

  std::vector<nlohmann::json> records;
  records.reserve(results.size());
  for (const auto& r : results) records.push_back(nlohmann::json::parse(r));
  std::vector<std::string> notes;
  const sweep_table table =
      make_sweep_table(points, records, cmd.fronts, [&](const std::string& n) { notes.push_back(n); });
  write_sweep_csv(*csv, table);
  if (json_file) write_sweep_json(json_file->stream(), table);
  if (lines_file)
    for (const auto& r : records) lines_file->stream() << r.dump() << '\n';
  if (!cmd.plot_dir.empty()) notes.push_back(draw_sweep_plots(table, cmd.plot_dir));
  if (csv_file) csv_file->commit();
  if (json_file) json_file->commit();
  if (lines_file) lines_file->commit();
  const sweep_summary s = summarise(records);
  const std::size_t threads = std::min(jobs, std::max<std::size_t>(points.size(), 1));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  err << "sweep: " << s.runs << " runs (" << s.supported << " supported, " << s.unsupported << " not supported, "
      << s.failed << " failed) in " << to_text(wall, 3) << " s"
      << (pool.size() > 1 ? " on " + std::to_string(pool.size()) + " processes"
                          : " on " + std::to_string(threads) + (threads == 1 ? " thread" : " threads"))
      << (cmd.out.empty() ? std::string() : "; CSV in " + cmd.out)
      << (cmd.json.empty() ? std::string() : "; JSON in " + cmd.json)
      << (cmd.json_lines.empty() ? std::string() : "; JSON lines in " + cmd.json_lines) << '\n';
  for (const auto& n : notes) err << "sweep: " << n << '\n';
  return s.failed > 0 ? exit_failure : exit_ok;
}

// `hermes-sim reproduce`: runs the reproduction and prints the verdicts. Under mpirun every
// process runs this: the simulations are spread over them (run_cache::distributor over
// process_pool), rank 0 writes the report and prints.
inline int run_reproduce_command(const repro::reproduce_options& o, bool jobs_given, const std::filesystem::path& out_dir,
                                 std::ostream& out, std::ostream& err) {
  apps::process_pool pool;
  if (pool.size() > 1 && jobs_given && o.jobs != 1)
    throw usage_error("--jobs " + std::to_string(o.jobs) + " under mpirun with " + std::to_string(pool.size()) +
                      " processes: expected 1 (each process runs one workload at a time; start one process per core)");
  repro::run_cache::distributor dist;
  dist.processes = static_cast<std::size_t>(pool.size());
  dist.root = pool.is_root();
  if (pool.size() > 1) {
    dist.run = [&pool](std::size_t count, const std::vector<std::size_t>& order,
                       const std::function<std::string(std::size_t)>& task,
                       const std::function<void(std::size_t, std::size_t)>& done) {
      return pool.run(count, order, 1, task, done);
    };
    dist.agree = [&pool](bool go) { return pool.agree(go); };
  }
  const repro::reproduction_summary s = repro::run_reproduction(o, out_dir, err, dist);
  if (!s.written) return exit_ok;  // another rank: rank 0 reports
  out << "hermes-sim reproduce: " << s.passed << " of " << s.results << " results PASS, " << s.calibration_met << " of "
      << s.calibration << " calibration checks met; " << s.runs
      << " simulations in " << significant_text(s.simulation_seconds, 3) << " s ("
      << significant_text(s.simulation_cpu_seconds, 3) << " s CPU), statistics "
      << significant_text(s.statistics_seconds, 3) << " s, total " << significant_text(s.total_seconds, 3)
      << " s; report " << s.report.string() << (s.plots_drawn ? " with PNG plots" : " (no PNG plots)") << '\n';
  for (const auto& r : s.rows)
    out << "  " << r.verdict_label() << (r.kind == repro::row_kind::calibration ? " (calibration)" : "") << "  " << r.what << ": paper " << r.paper.text << ", ours "
        << repro::detail::with_unit(r.ours.value, r.unit) << '\n';
  return exit_ok;
}

}  // namespace detail

// The whole program: parses `args` (without the program name), runs, prints results to `out`
// and messages to `err`. `err_is_terminal` enables the sweep's progress line.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool err_is_terminal) {
  detail::sim_parser p;
  // Under an MPI launcher only rank 0 speaks: the other processes take part in a sweep or the
  // reproduction and print nothing (their errors are rank 0's too: every rank parses and checks the same input).
  const bool other_rank = apps::launcher_environment().rank > 0;
  std::ostream silent(nullptr);
  std::ostream& rank_out = other_rank ? silent : out;
  std::ostream& rank_err = other_rank ? silent : err;
  // Their exit code is 0 too: rank 0 meets every input error they meet and exits with its code,
  // whereas another rank exiting non-zero first would make mpirun end rank 0 before it has said
  // why. A failure of a rank's own during a sweep ends the whole job (MPI_Abort, distributed.hpp).
  const int code = apps::run_guarded([&p] { return p.program(); }, rank_err, [&]() -> int {
    if (!p.parse(args)) {
      rank_out << p.help();
      return exit_ok;
    }
    if (p.is_sweep()) return detail::run_sweep_command(p.sweep(), rank_out, rank_err, err_is_terminal && !other_rank);
    if (p.is_reproduce()) {
      const auto [o, dir] = p.reproduction();
      return detail::run_reproduce_command(o, p.reproduce_jobs_given(), dir, rank_out, rank_err);
    }
    // A single run is rank 0's alone.
    if (other_rank) return exit_ok;
    return detail::run_sim(p.sim(), out);
  });
  return other_rank ? exit_ok : code;
}

}  // namespace hermes::cli

namespace hermes::repro {

// `hermes-sim reproduce ARGS`, as run_cli runs it.
int run_reproduce_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> all{"reproduce"};
  all.insert(all.end(), args.begin(), args.end());
  return cli::run_cli(all, out, err);
}

}  // namespace hermes::repro
