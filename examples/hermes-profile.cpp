// hermes-profile: turns activation data into the per-neuron frequency profile the offline
// mapper (Hermes Sec IV-B) and the predictor initialisation consume.
//
//   hermes-profile --from-trace FILE [--begin T] [--end T] --out profile.csv|profile.json
//       frequencies over tokens [begin, end) of a recorded trace file
//   hermes-profile --from-csv FILE [--layers L --attention A --ffn F] --out profile.csv|profile.json
//       validates a CSV profile (against the model layout when given) and converts it
//   hermes-profile --synthesize --layers L --attention A --ffn F --tokens N [--seed S] --out FILE.trace
//       writes a synthetic trace with the calibrated defaults
// Wherever a layout (--layers --attention --ffn) is accepted, --model NAME gives it from a model
// preset instead (model/presets.hpp, e.g. --model llama2-70b). Exit codes as hermes-sim: 0 done,
// 1 a failure (writing the output), 2 bad input (a flag, a value, an input file); a flag the mode
// does not use is an error, never ignored.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "hermes_apps/command_line.hpp"
#include "hermes_apps/standard_output.hpp"
#include "hermes/core/checked.hpp"
#include "hermes/activation/profile.hpp"
#include "hermes/activation/synthetic_source.hpp"
#include "hermes/activation/trace_file.hpp"
#include "hermes/core/output_file.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/io/profile_json.hpp"
#include "hermes/model/presets.hpp"

namespace {

const char* const usage_text =
    "usage:\n"
    "  hermes-profile --from-trace FILE [--begin T] [--end T] --out profile.csv|profile.json\n"
    "  hermes-profile --from-csv FILE [--layers L --attention A --ffn F] --out profile.csv|profile.json\n"
    "  hermes-profile --synthesize --layers L --attention A --ffn F --tokens N [--seed S] --out FILE.trace\n"
    "  (--model NAME in place of --layers --attention --ffn: a model preset, e.g. llama2-70b)\n"
    "\n"
    "Turns activation data into the per-neuron frequency profile the offline mapper and the predictor\n"
    "initialisation consume, or writes a synthetic trace.\n";

const char* const footer_text =
    "--from-trace also takes a layout (--model or --layers --attention --ffn) to check the trace against.\n"
    "An output ending in .json is written as JSON, any other as CSV. A flag the mode does not use is an\n"
    "error. --synthesize writes at most 2^35 bits of masks (layers x (attention + ffn) x tokens, 4 GiB).\n"
    "Exit codes: 0 success, 1 a run failed (writing the output), 2 bad input (a flag, a value, a file).";

using hermes::apps::usage_error;
namespace limits = hermes::apps::limits;

// The command line, defined once: the options, their bounds and the --help text.
struct command {
  hermes::apps::command_line cl{"hermes-profile", usage_text, footer_text};
  std::string from_trace, from_csv, out, model;
  bool synthesize = false;
  std::uint64_t layers = 0, attention = 0, ffn = 0, begin = 0, end = 0, tokens = 0, seed = 0;

  command() {
    namespace apps = hermes::apps;
    CLI::App& a = cl.app();
    const auto count = [&](const char* flag, std::uint64_t& v, std::uint64_t min, std::uint64_t max, const char* text) {
      cl.option(a, flag, v, "N", std::string(text) + ", " + std::to_string(min) + ".." + std::to_string(max),
                apps::integer_range(min, max), apps::count_in(min, max));
    };
    cl.option(a, "--from-trace", from_trace, "FILE", "frequencies over tokens [begin, end) of a recorded trace file",
              "a trace file");
    cl.option(a, "--from-csv", from_csv, "FILE", "validate a CSV profile (against the layout when given) and convert it",
              "a CSV profile");
    cl.flag(a, "--synthesize", synthesize, "write a synthetic trace with the calibrated defaults");
    cl.option(a, "--out", out, "FILE", "the output: profile.csv, profile.json or FILE.trace", "the output file",
              apps::text_of_at_most(4096, "a file name"));
    cl.option(a, "--model", model, "NAME", "the layout of a model preset (model/presets.hpp, e.g. llama2-70b)",
              "a model name", apps::name_in([](std::string_view n) { return hermes::find_model_preset(n).name; }));
    count("--layers", layers, 1, limits::layers, "layers of the layout");
    count("--attention", attention, 1, limits::neurons, "attention (QKV input) neurons per layer");
    count("--ffn", ffn, 1, limits::neurons, "FFN neurons per layer");
    count("--begin", begin, 0, UINT64_MAX, "--from-trace: first token (default 0), below --end");
    count("--end", end, 1, UINT64_MAX, "--from-trace: end token (default all), at most the trace's tokens");
    count("--tokens", tokens, 1, limits::trace_tokens, "--synthesize: tokens of the trace");
    count("--seed", seed, 0, UINT64_MAX, "--synthesize: seed of the generator");
    // A flag given twice is an error here (which one was meant?), not the last one winning.
    for (CLI::Option* o : a.get_options()) o->multi_option_policy(CLI::MultiOptionPolicy::Throw);
  }
  [[nodiscard]] bool given(const char* flag) const { return cl.app().get_option(flag)->count() > 0; }

  // Exactly one mode, only the flags that mode takes, an output.
  void check() const {
    static const std::set<std::string> layout_flags{"--model", "--layers", "--attention", "--ffn"};
    static const std::map<std::string, std::set<std::string>> mode_flags{
        {"--from-trace", {"--begin", "--end"}}, {"--from-csv", {}}, {"--synthesize", {"--tokens", "--seed"}}};
    std::vector<std::string> modes;
    for (const auto& [m, flags] : mode_flags)
      if (given(m.c_str())) modes.push_back(m);
    if (modes.size() != 1)
      throw usage_error("expected exactly one of --from-trace, --from-csv, --synthesize (see --help)");
    const auto& mode = modes.front();
    for (const CLI::Option* o : cl.app().get_options()) {
      const std::string key = o->get_name();
      if (o->count() > 0 && key != mode && key != "--out" && key != "--help" && !layout_flags.count(key) &&
          !mode_flags.at(mode).count(key))
        throw usage_error(key + ": not used with " + mode + " (see --help)");
    }
    if (!given("--out")) throw usage_error("--out: missing: expected the output file");
    if (std::error_code ec; std::filesystem::is_directory(out, ec))
      throw usage_error("--out '" + out + "': is a directory, expected a file name");
    if (mode == "--synthesize" && !given("--tokens")) throw usage_error("--tokens: missing: expected the number of tokens");
    // The input file, now that the request is known to be well formed.
    const auto require_readable = [](const std::string& flag, std::string path, std::uint64_t cap) {
      if (const std::string why = hermes::apps::existing_file(cap)(path); !why.empty()) throw usage_error(flag + " " + why);
    };
    if (mode == "--from-trace") require_readable(mode, from_trace, hermes::input_caps::trace);
    if (mode == "--from-csv") require_readable(mode, from_csv, hermes::input_caps::frequency_csv);
  }

  [[nodiscard]] std::optional<hermes::trace_layout> layout() const {
    if (given("--model")) {
      if (given("--layers") || given("--attention") || given("--ffn"))
        throw usage_error("--model '" + model + "': expected either --model or --layers/--attention/--ffn, not both");
      return hermes::trace_layout::of(hermes::find_model_preset(model));
    }
    if (!given("--layers") && !given("--attention") && !given("--ffn")) return std::nullopt;
    for (const char* flag : {"--layers", "--attention", "--ffn"})
      if (!given(flag)) throw usage_error(std::string(flag) + ": missing: expected a positive integer (a layout takes all three)");
    return hermes::trace_layout{layers, attention, ffn};
  }
};

// Written whole or not at all: an interrupted or failed run leaves the previous file intact.
void write_profile(const hermes::frequency_profile& p, const std::string& out) {
  hermes::output_file f(out);
  if (out.size() >= 5 && out.substr(out.size() - 5) == ".json") f.stream() << hermes::to_json(p).dump() << '\n';
  else p.write_csv(f.stream());
  f.commit();
}

int run(const command& c) {
  c.check();
  if (c.given("--from-trace")) {
    const auto trace = hermes::load_trace(c.from_trace, c.layout());
    const std::size_t begin = c.given("--begin") ? c.begin : 0;
    const std::size_t end = c.given("--end") ? c.end : trace.tokens();
    if (begin >= end || end > trace.tokens())
      throw usage_error("--begin " + std::to_string(begin) + " --end " + std::to_string(end) +
                        ": expected 0 <= begin < end <= " + std::to_string(trace.tokens()) + " (the trace's tokens)");
    write_profile(hermes::frequency_profile::from_trace(trace, begin, end), c.out);
  } else if (c.given("--from-csv")) {
    std::ifstream is(c.from_csv);
    if (!is) throw hermes::error("cannot open " + c.from_csv);
    write_profile(hermes::frequency_profile::read_csv(is, c.from_csv, c.layout()), c.out);
  } else {
    const auto layout = c.layout();
    if (!layout) throw usage_error("--synthesize: expected a layout: --model NAME or --layers L --attention A --ffn F");
    // The masks the trace holds: refused up front rather than exhausting memory.
    const std::uint64_t bits = hermes::checked_mul(
        "--synthesize: layers x (attention + ffn) x tokens",
        {layout->layers, hermes::checked_add("attention + ffn", std::uint64_t{layout->attention_neurons}, std::uint64_t{layout->ffn_neurons}),
         c.tokens});
    if (bits > limits::trace_bits)
      throw usage_error("--tokens " + std::to_string(c.tokens) + ": " + std::to_string(layout->layers) + " layers x " +
                        std::to_string(layout->attention_neurons + layout->ffn_neurons) + " neurons x " + std::to_string(c.tokens) +
                        " tokens = " + std::to_string(bits) + " mask bits: expected at most " +
                        std::to_string(limits::trace_bits) + " (4 GiB)");
    hermes::synthetic_config sc;
    if (c.given("--seed")) sc.seed = c.seed;
    hermes::synthetic_source src(*layout, sc);
    hermes::save_trace(c.out, hermes::record(src, c.tokens));
  }
  return 0;
}
}  // namespace

static int run_main(int argc, char** argv) {
  return hermes::apps::run_guarded("hermes-profile", std::cerr, [&]() -> int {
    command cmd;
    if (const auto code = cmd.cl.parse(argc, argv, std::cout, std::cerr)) return *code;
    return run(cmd);
  });
}

int main(int argc, char** argv) {
  hermes::apps::report_pipe_errors();
  const int code = run_main(argc, argv);
  return hermes::apps::finish_standard_output(code, "hermes-profile");
}
