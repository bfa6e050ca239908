// hermes-generate: runs the stories260K model (or any llama2.c checkpoint) through the library's
// layers on a modelled system and prints the text, exactly as llama2.c's `run` would, followed
// by the modelled time of every device.
//
//   hermes-generate                                   200 greedy tokens, dense on one RTX 4090
//   hermes-generate --placement hetero --json         RTX 4090 + 8 NDP-DIMMs, one JSON object
//   hermes-generate --prompt "Once upon a time" --temperature 0.8 --seed 7
#include <Kokkos_Core.hpp>
#include <nlohmann/json.hpp>

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

#include "hermes_apps/command_line.hpp"
#include "hermes_apps/standard_output.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/model/generate.hpp"
#include "hermes/model/llama2c.hpp"
#include "hermes/model/sampler.hpp"
#include "hermes/model/tokenizer.hpp"
#include "hermes/runtime/transformer.hpp"

namespace {

const char* const usage_text = R"(usage: hermes-generate [options]

Generates text with a llama2.c checkpoint run through hermes' layers on a modelled system, and
reports the modelled time per device. With no options: 200 greedy tokens of stories260K from
BOS on one modelled RTX 4090 (the text equals llama2.c's).
)";

const char* const footer_text = R"(--placement: dense   all weights and work on one modelled RTX 4090 (default)
             hetero  the most active 20% of neurons on the RTX 4090, the rest spread over
                     8 NDP-DIMMs (profiled on a short prefix run)
DATA is $HERMES_DATA_DIR if set, else the source tree's data/ (build tree) or
<prefix>/share/hermes (installed).
Exit codes: 0 success, 1 a run failed, 2 bad input (a flag, a value, a file).)";

using hermes::apps::usage_error;
namespace limits = hermes::apps::limits;

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
};

// The command line, defined once: the options, their bounds and the --help text.
struct command {
  hermes::apps::command_line cl{"hermes-generate", usage_text, footer_text};
  std::string checkpoint, tokenizer, placement = "dense";
  double temperature = 0.0, top_p = 0.9;
  std::uint64_t seed = 0;
  options o;

  command() {
    namespace apps = hermes::apps;
    CLI::App& a = cl.app();
    cl.llama2c_files(a, checkpoint, tokenizer);
    cl.option(a, "--steps", o.steps, "N",
              "forward passes, 1 .. the model's seq_len (at most " + std::to_string(limits::steps) + "; default 200)",
              apps::integer_range(1, limits::steps), apps::count_in(1, limits::steps));
    cl.option(a, "--temperature", temperature, "T", "0 = greedy (default); T in (0, 100] samples as llama2.c",
              "a number in 0..100 (0 = greedy)", apps::number_in(0.0, 100.0, "a number in 0..100 (0 = greedy)"));
    cl.option(a, "--top-p", top_p, "P", "nucleus sampling for T > 0, 0 .. 1; 0 or 1 = off (default 0.9)",
              "a number in [0, 1]", apps::number_in(0.0, 1.0, "a number in [0, 1]"));
    cl.option(a, "--seed", seed, "S", "sampling seed, 1..18446744073709551615 (default: the current time)",
              apps::integer_range(1, UINT64_MAX), apps::count_in(1, UINT64_MAX));
    cl.option(a, "--prompt", o.prompt, "TEXT",
              "text to continue (it is echoed, as llama2.c does), at most " + std::to_string(limits::prompt_bytes) +
                  " bytes",
              "a text", apps::text_of_at_most(limits::prompt_bytes, "a text of at most " +
                                                                       std::to_string(limits::prompt_bytes) + " bytes",
                                              true));
    cl.option(a, "--placement", placement, "MODE", "dense or hetero (see below; default dense)", "dense or hetero",
              apps::name_in([](std::string_view v) -> std::string {
                if (v != "dense" && v != "hetero") throw hermes::invalid_parameter("--placement", v, "dense or hetero");
                return std::string(v);
              }));
    cl.option(a, "--profile-steps", o.profile_steps, "N",
              "tokens of the hetero profiling run, 1.." + std::to_string(limits::steps) + " (default 32)",
              apps::integer_range(1, limits::steps), apps::count_in(1, limits::steps));
    cl.flag(a, "--json", o.json, "print one JSON object (text, tokens, modelled time) instead of text");
  }
  // The options after a successful parse.
  options get() {
    const auto given = [&](const char* flag) { return cl.app().get_option(flag)->count() > 0; };
    if (given("--checkpoint")) o.checkpoint = std::filesystem::path(checkpoint);
    if (given("--tokenizer")) o.tokenizer = std::filesystem::path(tokenizer);
    if (given("--seed")) o.seed = seed;
    o.temperature = static_cast<float>(temperature);
    o.top_p = static_cast<float>(top_p);
    o.placement = placement == "hetero" ? hermes::llama2c_placement::hetero : hermes::llama2c_placement::dense;
    return o;
  }
};

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
    throw usage_error("--steps " + std::to_string(o.steps) + ": expected 1 .. " +
                      std::to_string(checkpoint.config.seq_len) + " (the model's seq_len)");

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
  return hermes::apps::run_guarded("hermes-generate", std::cerr, [&]() -> int {
    command cmd;
    if (const auto code = cmd.cl.parse(argc, argv, std::cout, std::cerr)) return *code;
    const options o = cmd.get();
    // Kokkos gets the program name only: the command line accepted every argument as ours, and
    // a value such as `--prompt --help` would otherwise make Kokkos 3.4 print its own help.
    int kokkos_argc = 1;
    Kokkos::ScopeGuard kokkos(kokkos_argc, argv);
    return run(o, argv[0]);
  });
}

int main(int argc, char** argv) {
  hermes::apps::report_pipe_errors();
  const int code = run_main(argc, argv);
  return hermes::apps::finish_standard_output(code, "hermes-generate");
}
