// hermes-generate: runs the stories260K model (or any llama2.c checkpoint) through the library's
// layers on a modelled system and prints the text, exactly as llama2.c's `run` would, followed
// by the modelled time of every device.
//
//   hermes-generate                                   200 greedy tokens, dense on one RTX 4090
//   hermes-generate --placement hetero --json         RTX 4090 + 8 NDP-DIMMs, one JSON object
//   hermes-generate --prompt "Once upon a time" --temperature 0.8 --seed 7
#include <Kokkos_Core.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes_apps/standard_output.hpp"
#include "hermes/model/generate.hpp"
#include "hermes/model/llama2c.hpp"
#include "hermes/model/sampler.hpp"
#include "hermes/model/tokenizer.hpp"
#include "hermes/runtime/transformer.hpp"

namespace {

constexpr int exit_usage = 2;

const char* const usage_text = R"(usage: hermes-generate [options]

Generates text with a llama2.c checkpoint run through hermes' layers on a modelled system, and
reports the modelled time per device. With no options: 200 greedy tokens of stories260K from
BOS on one modelled RTX 4090 (the text equals llama2.c's).

options:
  --checkpoint PATH    llama2.c checkpoint (default: DATA/stories260K/stories260K.bin)
  --tokenizer PATH     llama2.c tokenizer   (default: DATA/stories260K/tok512.bin)
  --steps N            forward passes, 1 .. the model's seq_len (default 200)
  --temperature T      0 = greedy (default); T > 0 samples as llama2.c
  --top-p P            nucleus sampling for T > 0, 0 .. 1; 0 or 1 = off (default 0.9)
  --seed S             sampling seed, a positive integer (default: the current time)
  --prompt TEXT        text to continue (it is echoed, as llama2.c does)
  --placement MODE     dense:  all weights and work on one modelled RTX 4090 (default)
                       hetero: the most active 20% of neurons on the RTX 4090, the rest
                               spread over 8 NDP-DIMMs (profiled on a short prefix run)
  --profile-steps N    tokens of the hetero profiling run (default 32)
  --json               print one JSON object (text, tokens, modelled time) instead of text
  --help               this text

DATA is $HERMES_DATA_DIR if set, else the source tree's data/ (build tree) or
<prefix>/share/hermes (installed).
)";

struct usage_error {
  std::string message;
};

struct options {
  std::optional<std::filesystem::path> checkpoint;
  std::optional<std::filesystem::path> tokenizer;
  std::size_t steps = 200;
  float temperature = 0.0f;
  float top_p = 0.9f;  // llama2.c run.c's default
  std::optional<std::uint64_t> seed;
  std::string prompt;
  hermes::llama2c_placement placement = hermes::llama2c_placement::dense;
  std::size_t profile_steps = 32;
  bool json = false;
  bool help = false;
};

std::uint64_t parse_unsigned(std::string_view flag, std::string_view v, std::string_view allowed) {
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty())
    throw usage_error{std::string(flag) + " '" + std::string(v) + "': expected " +
                      std::string(allowed)};
  return out;
}

float parse_float(std::string_view flag, std::string_view v, std::string_view allowed) {
  std::size_t used = 0;
  float out = 0;
  try {
    out = std::stof(std::string(v), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (v.empty() || used != v.size() || !std::isfinite(out))
    throw usage_error{std::string(flag) + " '" + std::string(v) + "': expected " +
                      std::string(allowed)};
  return out;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) throw usage_error{std::string(flag) + ": missing value"};
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h") {
      o.help = true;
    } else if (flag == "--json") {
      o.json = true;
    } else if (flag == "--checkpoint") {
      o.checkpoint = std::filesystem::path(value());
    } else if (flag == "--tokenizer") {
      o.tokenizer = std::filesystem::path(value());
    } else if (flag == "--steps") {
      o.steps = parse_unsigned(flag, value(), "a positive integer");
      if (o.steps == 0) throw usage_error{"--steps 0: expected a positive integer"};
    } else if (flag == "--temperature") {
      const auto v = value();
      o.temperature = parse_float(flag, v, "a number >= 0 (0 = greedy)");
      if (o.temperature < 0.0f)
        throw usage_error{"--temperature '" + std::string(v) + "': expected a number >= 0"};
    } else if (flag == "--top-p") {
      const auto v = value();
      o.top_p = parse_float(flag, v, "a number in [0, 1]");
      if (o.top_p < 0.0f || o.top_p > 1.0f)
        throw usage_error{"--top-p '" + std::string(v) + "': expected a number in [0, 1]"};
    } else if (flag == "--seed") {
      const auto v = value();
      o.seed = parse_unsigned(flag, v, "a positive integer");
      if (*o.seed == 0) throw usage_error{"--seed 0: expected a positive integer"};
    } else if (flag == "--prompt") {
      o.prompt = std::string(value());
    } else if (flag == "--placement") {
      const auto v = value();
      if (v == "dense") o.placement = hermes::llama2c_placement::dense;
      else if (v == "hetero") o.placement = hermes::llama2c_placement::hetero;
      else throw usage_error{"--placement '" + std::string(v) + "': expected dense or hetero"};
    } else if (flag == "--profile-steps") {
      o.profile_steps = parse_unsigned(flag, value(), "a positive integer");
      if (o.profile_steps == 0) throw usage_error{"--profile-steps 0: expected a positive integer"};
    } else {
      throw usage_error{"unknown option '" + std::string(flag) + "' (see --help)"};
    }
  }
  // A file named on the command line that is not there is bad input (exit 2), not a failure.
  for (const auto& [flag, path] : {std::pair{"--checkpoint", o.checkpoint}, std::pair{"--tokenizer", o.tokenizer}})
    if (path && !std::filesystem::exists(*path))
      throw usage_error{std::string(flag) + " '" + path->string() + "': no such file"};
  return o;
}

// Where the model files are: $HERMES_DATA_DIR, the source tree's data/ (compiled in), or the
// installed share/hermes next to the program's bin/.
std::filesystem::path data_dir(const char* argv0) {
  if (const char* env = std::getenv("HERMES_DATA_DIR"); env && *env) return env;
  const std::filesystem::path built(HERMES_DATA_DIR);
  if (std::filesystem::exists(built / "stories260K")) return built;
  std::error_code ec;
  auto self = std::filesystem::canonical("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0, ec);
  return self.parent_path().parent_path() / "share" / "hermes";
}

nlohmann::json resource_json(const hermes::resource_record& r) {
  nlohmann::json stages = nlohmann::json::object();
  for (const auto& [stage, t] : r.busy_by_stage) stages[stage] = t.value();
  return {{"name", r.name},
          {"kind", std::string(hermes::to_string(r.kind))},
          {"busy_seconds", r.busy.value()},
          {"free_at_seconds", r.free_at.value()},
          {"bytes_moved", r.bytes_moved.value()},
          {"flops", r.flops_done.value()},
          {"energy_joules", r.energy.value()},
          {"charges", r.charges},
          {"busy_seconds_by_stage", stages}};
}

int run(const options& o, const char* argv0) {
  const auto data = data_dir(argv0) / "stories260K";
  const auto checkpoint_path = o.checkpoint.value_or(data / "stories260K.bin");
  const auto tokenizer_path = o.tokenizer.value_or(data / "tok512.bin");
  const auto checkpoint = hermes::load_llama2c(checkpoint_path);
  const auto tok = hermes::tokenizer::load(tokenizer_path, checkpoint.config.vocab_size);
  if (o.steps > checkpoint.config.seq_len)
    throw usage_error{"--steps " + std::to_string(o.steps) + ": expected 1 .. " +
                      std::to_string(checkpoint.config.seq_len) + " (the model's seq_len)"};

  hermes::llama2c_system_options sys;
  sys.placement = o.placement;
  sys.profile_steps = o.profile_steps;
  sys.profile_prompt = o.prompt;
  hermes::llama2c_transformer<> model(checkpoint, tok, sys);

  const std::uint64_t seed = o.seed.value_or(static_cast<std::uint64_t>(std::time(nullptr)));
  hermes::sampler pick(o.temperature, o.top_p, seed);
  const auto g = hermes::generate(tok, model, o.prompt, o.steps, checkpoint.config.seq_len, pick);

  const auto& timing = model.timing();
  const double total = timing.makespan().value();
  const double generated = static_cast<double>(g.steps);
  const double tokens_per_second = total > 0 ? generated / total : 0.0;

  if (o.json) {
    nlohmann::json resources = nlohmann::json::array();
    for (const auto& r : timing.resources()) resources.push_back(resource_json(r));
    nlohmann::json out = {
        {"text", g.text},
        {"tokens", g.tokens},
        {"prompt", o.prompt},
        {"prompt_tokens", g.prompt_tokens},
        {"steps", g.steps},
        {"stopped_at_bos", g.stopped_at_bos},
        {"temperature", o.temperature},
        {"top_p", o.top_p},
        {"seed", seed},
        {"placement", o.placement == hermes::llama2c_placement::dense ? "dense" : "hetero"},
        {"checkpoint", checkpoint_path.string()},
        {"devices", model.device_summary()},
        {"modelled",
         {{"seconds", total},
          {"tokens_per_second", tokens_per_second},
          {"resources", resources}}}};
    std::cout << out.dump(2) << '\n';
    return 0;
  }
  std::cout << g.text << '\n';
  std::cout << "\n-- modelled on " << model.device_summary() << ": " << g.steps
            << " forward passes in " << total * 1e3 << " ms (" << tokens_per_second
            << " tokens/s)\n";
  for (const auto& r : timing.resources())
    if (r.charges > 0)
      std::cout << "   " << r.name << ": busy " << r.busy.value() * 1e3 << " ms, "
                << r.bytes_moved.value() / 1e6 << " MB moved\n";
  return 0;
}

}  // namespace

static int run_main(int argc, char** argv) {
  options o;
  try {
    o = parse(argc, argv);
  } catch (const usage_error& e) {
    std::cerr << "hermes-generate: " << e.message << '\n';
    return exit_usage;
  }
  if (o.help) {
    std::cout << usage_text;
    return 0;
  }
  // Kokkos gets the program name only: parse() accepted every argument as ours, and a value such
  // as `--prompt --help` would otherwise make Kokkos 3.4 print its own help.
  int kokkos_argc = 1;
  Kokkos::ScopeGuard kokkos(kokkos_argc, argv);
  try {
    return run(o, argv[0]);
  } catch (const usage_error& e) {
    std::cerr << "hermes-generate: " << e.message << '\n';
    return exit_usage;
  } catch (const hermes::invalid_parameter& e) {
    std::cerr << "hermes-generate: " << e.what() << '\n';
    return exit_usage;
  } catch (const hermes::error& e) {
    std::cerr << "hermes-generate: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {  // e.g. std::filesystem_error creating an output directory
    std::cerr << "hermes-generate: " << e.what() << '\n';
    return 1;
  }
}

int main(int argc, char** argv) {
  hermes::apps::report_pipe_errors();
  const int code = run_main(argc, argv);
  return hermes::apps::finish_standard_output(code, "hermes-generate");
}
