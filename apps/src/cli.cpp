// Definitions of hermes_apps/cli.hpp: the `hermes-sim` command line. Compiled once into
// hermes_apps, so hermes-sim.cpp and the tests include only the declarations and not the
// registry of every system.
#include "hermes_apps/cli.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/activation/trace_file.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/output_file.hpp"
#include "hermes/core/text.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/io/config_json.hpp"
#include "hermes/io/result_json.hpp"
#include "hermes/model/presets.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/parallel.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/registry.hpp"
#include "hermes_apps/reproduce.hpp"
#include "hermes_apps/sweep.hpp"

namespace hermes::cli {

namespace detail {

// Built by appending: "'" + std::string(v) + "'" trips g++ 12's -Wrestrict false positive at -O3.
inline std::string in_quotes(std::string_view v) {
  std::string out;
  out.reserve(v.size() + 2);
  out += '\'';
  out += v;
  out += '\'';
  return out;
}

// An unsigned decimal integer in [min, max], or a usage_error naming the flag.
inline std::uint64_t parse_count(std::string_view flag, std::string_view v, std::uint64_t min,
                                 std::uint64_t max = UINT64_MAX) {
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  // A number beyond 2^64 - 1 is an integer >= min, but not one a flag can hold: say so.
  const std::string allowed = max == UINT64_MAX && ec != std::errc::result_out_of_range
                                  ? "an integer >= " + std::to_string(min)
                                  : "an integer in " + std::to_string(min) + ".." + std::to_string(max);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || out < min || out > max)
    throw usage_error(std::string(flag) + " " + in_quotes(v) + ": expected " + allowed);
  return out;
}

inline std::vector<std::string> split_list(std::string_view flag, std::string_view v) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= v.size()) {
    const auto comma = v.find(',', start);
    const auto item = v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty())
      throw usage_error(std::string(flag) + " " + in_quotes(v) + ": expected a comma-separated list without empty items");
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// Runs a preset lookup; its invalid_parameter ("... = X is invalid: expected one of: A, B")
// becomes a usage error naming the flag.
template <class Find>
auto lookup(std::string_view flag, std::string_view name, Find&& find) {
  try {
    return find(name);
  } catch (const invalid_parameter& e) {
    const std::string what = e.what();
    const auto at = what.find("expected ");
    throw usage_error(std::string(flag) + " " + in_quotes(name) + ": " +
                      (at == std::string::npos ? what : what.substr(at)));
  }
}

inline std::string canonical_system(std::string_view flag, std::string_view name) {
  return lookup(flag, name, [](std::string_view n) { return find_system(n).name; });
}

inline std::string normalised(std::string_view name) {
  std::string out;
  for (char c : name)
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace detail

// The systems a default run shows beside the selected one: the paper's main comparison
// (Hermes Sec V-A, Fig 10-12: Hermes-base, Hermes-host, FlexGen, HuggingFace Accelerate,
// Deja Vu), as far as the registry has them, in the registry's order. Ablations are left to
// --compare or --system.
std::vector<std::string> main_baselines(std::string_view selected) {
  static const std::vector<std::string> wanted = {"hermes", "hermesbase", "hermeshost", "flexgen",
                                                  "accelerate", "huggingfaceaccelerate", "dejavu"};
  std::vector<std::string> out;
  for (const auto& s : all_systems()) {
    const std::string n = detail::normalised(s.name);
    if (n == detail::normalised(selected)) continue;
    if (std::find(wanted.begin(), wanted.end(), n) != wanted.end()) out.push_back(s.name);
  }
  return out;
}

namespace detail {

// What a flag's value must be, for the message when it is missing. In a sweep (`lists`) the
// grid's axes take comma-separated lists.
inline std::string expected_value(std::string_view flag, bool lists) {
  static constexpr std::string_view axes[] = {"--models", "--model",  "--systems", "--system", "--batches",
                                              "--batch",  "--dimms",  "--gpus",    "--gpu",    "--multipliers"};
  if (lists && std::find(std::begin(axes), std::end(axes), flag) != std::end(axes))
    return "a comma-separated list";
  if (flag == "--model") return "a model name (--list shows them)";
  if (flag == "--system") return "a system name (--list shows them)";
  if (flag == "--gpu") return "a GPU name (--list shows them)";
  if (flag == "--compare") return "a comma-separated list of systems, or none";
  if (flag == "--batch" || flag == "--jobs") return "an integer in 1..256";
  if (flag == "--dimms") return "an integer in 1..64";
  if (flag == "--seed") return "an integer >= 0";
  if (flag == "--input-len" || flag == "--output-len" || flag == "--profile-tokens" || flag == "--multipliers")
    return "an integer >= 1";
  if (flag == "--trace") return "a trace file";
  if (flag == "--config") return "a JSON configuration file";
  return "a file name";  // --out, --json-lines
}

// Walks the arguments: `value()` takes the next one, naming the flag and what it expects when
// it is missing.
struct arg_cursor {
  const std::vector<std::string>& args;
  bool lists = false;  // a sweep: the axes take lists
  std::size_t i = 0;
  [[nodiscard]] bool done() const { return i >= args.size(); }
  std::string_view flag() { return args[i++]; }
  std::string_view value(std::string_view flag) {
    if (i >= args.size())
      throw usage_error(std::string(flag) + ": missing value: expected " + expected_value(flag, lists));
    return args[i++];
  }
};

// The --config FILE among the arguments (the last one if repeated), read onto the presets, and
// its name (empty without one). The file must be valid on its own: its system name, too, is
// checked here, where the error can name the file and the key.
inline std::pair<sim_config, std::string> base_config(const std::vector<std::string>& args) {
  std::optional<std::string> file;
  for (std::size_t i = 0; i < args.size(); ++i)
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) throw usage_error("--config: missing value: expected " + expected_value("--config", false));
      file = args[++i];
    }
  if (!file) return {sim_config{}, std::string()};
  sim_config c = read_config_file(*file);
  try {
    c.system = find_system(c.system).name;
  } catch (const invalid_parameter& e) {
    const std::string what = e.what();
    const auto at = what.find("expected ");
    throw config_error(*file, "/system", "\"" + c.system + "\" is not a system: " +
                                            (at == std::string::npos ? what : what.substr(at)));
  }
  return {std::move(c), *file};
}

// The flags shared by a run and a sweep; true if `flag` was one of them.
inline bool common_flag(std::string_view flag, arg_cursor& a, sim_config& c) {
  if (flag == "--config") {
    a.value(flag);  // read by base_config, before any other flag
  } else if (flag == "--input-len") {
    c.workload.input_len = parse_count(flag, a.value(flag), 1);
  } else if (flag == "--output-len") {
    c.workload.output_len = parse_count(flag, a.value(flag), 1);
  } else if (flag == "--seed") {
    c.workload.seed = parse_count(flag, a.value(flag), 0);
  } else if (flag == "--model-seed") {
    c.workload.model_seed = parse_count(flag, a.value(flag), 0);
  } else if (flag == "--profile-tokens") {
    c.workload.profile_tokens = parse_count(flag, a.value(flag), 1);
  } else {
    return false;
  }
  return true;
}

// Prompt + generation must fit the model's context; said with the flags' names.
inline void check_context(const model_shape& m, const workload_config& w) {
  if (m.max_context > 0 && w.input_len + w.output_len > m.max_context)
    throw usage_error("--input-len " + std::to_string(w.input_len) + " + --output-len " +
                      std::to_string(w.output_len) + " = " + std::to_string(w.input_len + w.output_len) +
                      " tokens: expected at most the context of " + m.name + " (" +
                      std::to_string(m.max_context) + " tokens)");
}

}  // namespace detail

// Parses a `hermes-sim` command line (without the program name). Throws usage_error (a flag)
// or config_error (the --config file).
sim_command parse_sim_command(const std::vector<std::string>& args) {
  sim_command cmd;
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      cmd.help = true;
      return cmd;
    }
  std::string config_file;
  std::tie(cmd.config, config_file) = detail::base_config(args);
  sim_config& c = cmd.config;
  if (!c.trace.empty()) cmd.trace_source = config_file + ": /workload/trace";
  detail::arg_cursor a{args};
  while (!a.done()) {
    const std::string_view flag = a.flag();
    if (detail::common_flag(flag, a, c)) continue;
    if (flag == "--model") {
      c.workload.model = detail::lookup(flag, a.value(flag), [](std::string_view n) { return find_model_preset(n); });
    } else if (flag == "--system") {
      c.system = detail::canonical_system(flag, a.value(flag));
    } else if (flag == "--batch") {
      c.workload.batch = detail::parse_count(flag, a.value(flag), 1, 256);
    } else if (flag == "--gpu") {
      c.hardware.gpu = detail::lookup(flag, a.value(flag), [](std::string_view n) { return find_gpu_preset(n); });
    } else if (flag == "--dimms") {
      c.hardware.dimms = detail::parse_count(flag, a.value(flag), 1, 64);
    } else if (flag == "--multipliers") {
      c.hardware.dimm.gemv.multipliers = detail::parse_count(flag, a.value(flag), 1);
    } else if (flag == "--trace") {
      const auto v = a.value(flag);
      if (v.empty()) throw usage_error("--trace '': expected a trace file");
      c.trace = std::string(v);
      cmd.trace_source = "--trace";
    } else if (flag == "--compare") {
      const auto v = a.value(flag);
      std::vector<std::string> names;
      if (v != "none")
        for (const auto& n : detail::split_list(flag, v)) names.push_back(detail::canonical_system(flag, n));
      cmd.compare = std::move(names);
    } else if (flag == "--json") {
      cmd.json = true;
    } else if (flag == "--jobs") {
      cmd.jobs = detail::parse_count(flag, a.value(flag), 1, 256);
    } else if (flag == "--print-config") {
      cmd.print_config = true;
    } else if (flag == "--list") {
      cmd.list = true;
    } else {
      throw usage_error("unknown option " + detail::in_quotes(flag) + " (see --help)");
    }
  }
  c.system = detail::canonical_system("system", c.system);  // a name from --config, too
  detail::check_context(c.workload.model, c.workload);
  validate_config(c, "configuration");
  return cmd;
}

// Parses a `hermes-sim sweep` command line (the arguments after "sweep").
sweep_command parse_sweep_command(const std::vector<std::string>& args) {
  sweep_command cmd;
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      cmd.help = true;
      return cmd;
    }
  sweep_grid& g = cmd.grid;
  g.base = detail::base_config(args).first;
  detail::arg_cursor a{args, true};
  const auto counts = [&](std::string_view flag, std::uint64_t min, std::uint64_t max) {
    std::vector<std::size_t> out;
    for (const auto& v : detail::split_list(flag, a.value(flag))) out.push_back(detail::parse_count(flag, v, min, max));
    return out;
  };
  while (!a.done()) {
    const std::string_view flag = a.flag();
    if (detail::common_flag(flag, a, g.base)) continue;
    if (flag == "--models" || flag == "--model") {
      g.models.clear();
      for (const auto& n : detail::split_list(flag, a.value(flag)))
        g.models.push_back(detail::lookup(flag, n, [](std::string_view x) { return find_model_preset(x); }).name);
    } else if (flag == "--systems" || flag == "--system") {
      g.systems.clear();
      for (const auto& n : detail::split_list(flag, a.value(flag))) g.systems.push_back(detail::canonical_system(flag, n));
    } else if (flag == "--batches" || flag == "--batch") {
      g.batches = counts(flag, 1, 256);
    } else if (flag == "--dimms") {
      g.dimms = counts(flag, 1, 64);
    } else if (flag == "--gpus" || flag == "--gpu") {
      g.gpus.clear();
      for (const auto& n : detail::split_list(flag, a.value(flag)))
        g.gpus.push_back(detail::lookup(flag, n, [](std::string_view x) { return find_gpu_preset(x); }).name);
    } else if (flag == "--multipliers") {
      g.multipliers = counts(flag, 1, UINT64_MAX);
    } else if (flag == "--out") {
      cmd.out = std::string(a.value(flag));
    } else if (flag == "--json-lines") {
      cmd.json_lines = std::string(a.value(flag));
    } else {
      throw usage_error("unknown option " + detail::in_quotes(flag) + " (see --help)");
    }
  }
  if (!g.base.trace.empty()) throw usage_error("a --config with a \"trace\" is not supported; sweeps use synthetic activations");
  g.base.system = detail::canonical_system("system", g.base.system);
  return cmd;
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
  return run_system(c.system, w, c.hardware);
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
  const std::vector<row> rows = {
      {"tokens/s (decode)", [](const sim_result& r) -> cell { return to_text(r.tokens_per_second, 4); }},
      {"tokens/s (end to end)", [](const sim_result& r) -> cell { return to_text(r.end_to_end_tokens_per_second, 4); }},
      {"speedup over this (decode)",
       [&](const sim_result& r) -> cell {
         if (!reference || r.tokens_per_second <= 0.0) return std::nullopt;
         return to_text(reference->tokens_per_second / r.tokens_per_second, 3) + "x";
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

inline void print_list(std::ostream& out) {
  out << "systems:\n";
  for (const auto& s : all_systems()) out << "  " << std::left << std::setw(26) << s.name << s.description << '\n';
  out << "models:\n ";
  for (const auto& m : model_presets::all()) out << ' ' << m.name;
  out << "\nGPUs:\n ";
  for (const auto& g : gpu_presets::all()) out << ' ' << g.name;
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
  if (cmd.json) {
    nlohmann::json j = to_json(results.front());
    j["baselines"] = nlohmann::json::array();
    for (std::size_t k = 1; k < results.size(); ++k) j["baselines"].push_back(to_json(results[k]));
    out << j.dump(2) << '\n';
  } else {
    print_table(out, cmd.config, results);
  }
  return exit_ok;
}

inline int run_sweep_command(const sweep_command& cmd, std::ostream& out, std::ostream& err, bool err_is_terminal) {
  // Two outputs naming one file would interleave: refused before anything runs.
  if (!cmd.out.empty() && !cmd.json_lines.empty()) {
    std::error_code ec1, ec2;
    if (std::filesystem::weakly_canonical(cmd.out, ec1) == std::filesystem::weakly_canonical(cmd.json_lines, ec2))
      throw usage_error("--out " + in_quotes(cmd.out) + " and --json-lines " + in_quotes(cmd.json_lines) +
                        " name the same file: give each output its own");
  }
  // Files are written whole or not at all (core/output_file.hpp): a rejected or failed sweep
  // leaves an existing file as it was.
  std::optional<output_file> csv_file, json_file;
  std::ostream* csv = &out;
  const auto open = [](const std::string& flag, const std::string& path, std::optional<output_file>& f) {
    try {
      f.emplace(path);
    } catch (const error& e) {
      throw usage_error(flag + " " + in_quotes(path) + ": " + e.what());
    }
  };
  if (!cmd.out.empty()) {
    open("--out", cmd.out, csv_file);
    csv = &csv_file->stream();
  }
  if (!cmd.json_lines.empty()) open("--json-lines", cmd.json_lines, json_file);
  const auto check = [](const sim_config& p) {
    find_system(p.system);
    check_context(p.workload.model, p.workload);
    validate_config(p, "configuration");
  };
  sweep_progress progress;
  if (err_is_terminal)
    progress = [&err](std::size_t i, std::size_t total, const sim_config& p) {
      err << "\r\033[K[" << (i + 1) << "/" << total << "] " << describe_point(p) << std::flush;
    };
  const sweep_summary s =
      run_sweep(cmd.grid, [](const sim_config& p) { return run_config(p); }, *csv,
                json_file ? &json_file->stream() : nullptr, progress, check);
  if (csv_file) csv_file->commit();
  if (json_file) json_file->commit();
  if (err_is_terminal) err << "\r\033[K";
  err << "sweep: " << s.runs << " runs (" << s.supported << " supported, " << s.unsupported << " not supported, "
      << s.failed << " failed) in " << to_text(s.wall_seconds, 3) << " s"
      << (cmd.out.empty() ? std::string() : "; CSV in " + cmd.out)
      << (cmd.json_lines.empty() ? std::string() : "; JSON lines in " + cmd.json_lines) << '\n';
  return s.failed > 0 ? exit_failure : exit_ok;
}

// Errors that mean the input was wrong (exit code 2): a bad command line, configuration file,
// parameter, sweep point or trace file. Any other hermes::error is a failure of the run (1).
inline bool is_bad_input(const error& e) {
  return dynamic_cast<const usage_error*>(&e) != nullptr || dynamic_cast<const config_error*>(&e) != nullptr ||
         dynamic_cast<const invalid_parameter*>(&e) != nullptr ||
         dynamic_cast<const sweep_point_error*>(&e) != nullptr || dynamic_cast<const trace_file_error*>(&e) != nullptr;
}
}  // namespace detail

// The whole program: parses `args` (without the program name), runs, prints results to `out`
// and messages to `err`. `err_is_terminal` enables the sweep's progress line.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool err_is_terminal) {
  if (!args.empty() && args.front() == "reproduce")
    return repro::run_reproduce_cli(std::vector<std::string>(args.begin() + 1, args.end()), out, err);
  const bool sweep = !args.empty() && args.front() == "sweep";
  const std::string program = sweep ? "hermes-sim sweep" : "hermes-sim";
  try {
    if (sweep) {
      const sweep_command cmd = parse_sweep_command(std::vector<std::string>(args.begin() + 1, args.end()));
      if (cmd.help) {
        out << usage_text;
        return exit_ok;
      }
      return detail::run_sweep_command(cmd, out, err, err_is_terminal);
    }
    const sim_command cmd = parse_sim_command(args);
    if (cmd.help) {
      out << usage_text;
      return exit_ok;
    }
    return detail::run_sim(cmd, out);
  } catch (const error& e) {
    err << program << ": " << e.what() << '\n';
    return detail::is_bad_input(e) ? exit_usage : exit_failure;
  } catch (const std::exception& e) {  // not hermes' own (bad_alloc, a library's): a failed run
    err << program << ": " << e.what() << '\n';
    return exit_failure;
  }
}

}  // namespace hermes::cli
