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

#include "hermes_apps/standard_output.hpp"
#include "hermes/activation/profile.hpp"
#include "hermes/activation/synthetic_source.hpp"
#include "hermes/activation/trace_file.hpp"
#include "hermes/core/output_file.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/io/profile_json.hpp"
#include "hermes/model/presets.hpp"

namespace {

constexpr int exit_usage = 2;

const char* const usage_text =
    "usage:\n"
    "  hermes-profile --from-trace FILE [--begin T] [--end T] --out profile.csv|profile.json\n"
    "  hermes-profile --from-csv FILE [--layers L --attention A --ffn F] --out profile.csv|profile.json\n"
    "  hermes-profile --synthesize --layers L --attention A --ffn F --tokens N [--seed S] --out FILE.trace\n"
    "  (--model NAME in place of --layers --attention --ffn: a model preset, e.g. llama2-70b)\n"
    "\n"
    "--from-trace also takes a layout (--model or --layers --attention --ffn) to check the trace against.\n"
    "An output ending in .json is written as JSON, any other as CSV.\n";

// A bad command line: exit code 2, the message names the flag, the value and what is allowed.
struct usage_error {
  std::string message;
};

// The flags each mode takes; anything else is an error, never silently ignored.
const std::set<std::string> layout_flags{"--model", "--layers", "--attention", "--ffn"};
const std::map<std::string, std::set<std::string>> mode_flags{
    {"--from-trace", {"--begin", "--end"}}, {"--from-csv", {}}, {"--synthesize", {"--tokens", "--seed"}}};

std::size_t number(const std::map<std::string, std::string>& a, const std::string& key) {
  const auto it = a.find(key);
  if (it == a.end()) throw usage_error{key + ": missing: expected a non-negative integer"};
  std::size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(it->second, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (pos != it->second.size() || it->second.empty() || it->second[0] == '-')
    throw usage_error{key + " '" + it->second + "': expected a non-negative integer"};
  return static_cast<std::size_t>(v);
}
std::optional<hermes::trace_layout> layout_from(const std::map<std::string, std::string>& a) {
  if (a.count("--model")) {
    if (a.count("--layers") || a.count("--attention") || a.count("--ffn"))
      throw usage_error{"--model '" + a.at("--model") + "': expected either --model or --layers/--attention/--ffn, not both"};
    return hermes::trace_layout::of(hermes::find_model_preset(a.at("--model")));
  }
  if (!a.count("--layers") && !a.count("--attention") && !a.count("--ffn")) return std::nullopt;
  return hermes::trace_layout{number(a, "--layers"), number(a, "--attention"), number(a, "--ffn")};
}
// Written whole or not at all: an interrupted or failed run leaves the previous file intact.
void write_profile(const hermes::frequency_profile& p, const std::string& out) {
  hermes::output_file f(out);
  if (out.size() >= 5 && out.substr(out.size() - 5) == ".json") f.stream() << hermes::to_json(p).dump() << '\n';
  else p.write_csv(f.stream());
  f.commit();
}
// An input file that is not there is bad input (exit 2), told before anything is read.
void require_readable(const std::string& flag, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw usage_error{flag + " '" + path + "': no such file"};
  if (std::filesystem::is_directory(path, ec))
    throw usage_error{flag + " '" + path + "': is a directory, expected a file"};
  if (const std::string why = hermes::input_file_problem(path, flag == "--from-csv" ? hermes::input_caps::frequency_csv
                                                                                   : hermes::input_caps::trace);
      !why.empty())
    throw usage_error{flag + " '" + path + "': " + why};
}

// The flags as a map; exactly one mode, only the flags that mode takes, each once.
std::map<std::string, std::string> parse(int argc, char** argv) {
  std::map<std::string, std::string> a;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    const bool known = key == "--synthesize" || key == "--out" || mode_flags.count(key) || layout_flags.count(key) ||
                       std::any_of(mode_flags.begin(), mode_flags.end(), [&](const auto& m) { return m.second.count(key) > 0; });
    if (!known) throw usage_error{"unknown option '" + key + "' (see --help)"};
    if (a.count(key)) throw usage_error{key + ": given twice"};
    if (key == "--synthesize") {
      a[key] = "";
      continue;
    }
    if (i + 1 >= argc) throw usage_error{key + ": missing value"};
    a[key] = argv[++i];
  }
  std::vector<std::string> modes;
  for (const auto& [mode, flags] : mode_flags)
    if (a.count(mode)) modes.push_back(mode);
  if (modes.size() != 1)
    throw usage_error{"expected exactly one of --from-trace, --from-csv, --synthesize (see --help)"};
  const auto& mode = modes.front();
  for (const auto& [key, value] : a)
    if (key != mode && key != "--out" && !layout_flags.count(key) && !mode_flags.at(mode).count(key))
      throw usage_error{key + ": not used with " + mode + " (see --help)"};
  if (!a.count("--out")) throw usage_error{"--out: missing: expected the output file"};
  if (mode == "--synthesize" && !a.count("--tokens")) throw usage_error{"--tokens: missing: expected the number of tokens"};
  return a;
}

int run(std::map<std::string, std::string>& a) {
  const std::string out = a["--out"];
  if (a.count("--from-trace")) {
    require_readable("--from-trace", a["--from-trace"]);
    const auto trace = hermes::load_trace(a["--from-trace"], layout_from(a));
    const std::size_t begin = a.count("--begin") ? number(a, "--begin") : 0;
    const std::size_t end = a.count("--end") ? number(a, "--end") : trace.tokens();
    if (begin >= end || end > trace.tokens())
      throw usage_error{"--begin " + std::to_string(begin) + " --end " + std::to_string(end) +
                        ": expected 0 <= begin < end <= " + std::to_string(trace.tokens()) + " (the trace's tokens)"};
    write_profile(hermes::frequency_profile::from_trace(trace, begin, end), out);
  } else if (a.count("--from-csv")) {
    require_readable("--from-csv", a["--from-csv"]);
    std::ifstream is(a["--from-csv"]);
    if (!is) throw hermes::error("cannot open " + a["--from-csv"]);
    write_profile(hermes::frequency_profile::read_csv(is, a["--from-csv"], layout_from(a)), out);
  } else {
    const auto layout = layout_from(a);
    if (!layout) throw usage_error{"--synthesize: expected a layout: --model NAME or --layers L --attention A --ffn F"};
    hermes::synthetic_config c;
    if (a.count("--seed")) c.seed = number(a, "--seed");
    hermes::synthetic_source src(*layout, c);
    hermes::save_trace(out, hermes::record(src, number(a, "--tokens")));
  }
  return 0;
}
}  // namespace

static int run_main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
      std::cout << usage_text;
      return 0;
    }
  try {
    auto a = parse(argc, argv);
    return run(a);
  } catch (const usage_error& e) {
    std::cerr << "hermes-profile: " << e.message << '\n';
    return exit_usage;
  } catch (const hermes::invalid_parameter& e) {  // a bad name or value: bad input
    std::cerr << "hermes-profile: " << e.what() << '\n';
    return exit_usage;
  } catch (const hermes::trace_file_error& e) {  // the input is not a valid trace
    std::cerr << "hermes-profile: " << e.what() << '\n';
    return exit_usage;
  } catch (const hermes::error& e) {
    std::cerr << "hermes-profile: " << e.what() << '\n';
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "hermes-profile: out of memory: the input asks for more than this machine has\n";
    return 1;
  } catch (const std::exception& e) {  // a filesystem or stream error of the standard library
    std::cerr << "hermes-profile: " << e.what() << '\n';
    return 1;
  }
}

int main(int argc, char** argv) {
  hermes::apps::report_pipe_errors();
  const int code = run_main(argc, argv);
  return hermes::apps::finish_standard_output(code, "hermes-profile");
}
