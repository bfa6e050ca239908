// hermes_apps/cli.hpp: hermes-sim's command line, tested through run_cli (what main() calls): every flag,
// every rejection (exit code 2, message naming the flag or JSON path), --print-config round
// trip, the --json object, the default table and the sweep's CSV. Runs use small models and
// short sequences to stay fast.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/scratch_dir.hpp"
#include "hermes/activation/synthetic_source.hpp"
#include "hermes/activation/token_masks.hpp"
#include "hermes/activation/trace_file.hpp"
#include "hermes/system/registry.hpp"
#include "hermes_apps/cli.hpp"

using args_t = std::vector<std::string>;

namespace {

struct outcome {
  int code = -1;
  std::string out;
  std::string err;
};

outcome cli(const args_t& args) {
  std::ostringstream out, err;
  outcome o;
  o.code = hermes::cli::run_cli(args, out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

// A short run of the smallest preset (stories260K: 5 layers, 64 x 172 neurons), so that each
// simulation, its offline ILP included, takes milliseconds.
args_t small(args_t extra = {}) {
  args_t a = {"--model", "stories260K", "--input-len", "8", "--output-len", "8", "--profile-tokens", "16"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The result without the simulator's own wall-clock times (the mapper's solve time and
// host_seconds), the fields that are measured rather than modelled.
nlohmann::json modelled(nlohmann::json j) {
  const auto strip = [](nlohmann::json& r) {
    if (r.contains("placement")) r["placement"].erase("solve_seconds");
    r.erase("host_seconds");
  };
  strip(j);
  if (j.contains("baselines"))
    for (auto& b : j["baselines"]) strip(b);
  return j;
}

}  // namespace

TEST_CASE("cli: no flags is the paper's headline setup", "[sim][cli]") {
  const auto cmd = hermes::cli::parse_sim_command({});
  CHECK(hermes::to_json(cmd.config) == hermes::to_json(hermes::sim_config{}));
  CHECK(cmd.config.workload.model.name == "LLaMA2-70B");
  CHECK(cmd.config.hardware.gpu.name == "RTX4090");
  CHECK(cmd.config.hardware.dimms == 8);
  CHECK(cmd.config.workload.batch == 1);
  CHECK(cmd.config.workload.input_len == 128);
  CHECK(cmd.config.workload.output_len == 128);
  CHECK(cmd.config.system == "Hermes");
  CHECK_FALSE(cmd.compare.has_value());
  CHECK_FALSE(cmd.json);
  // The default side-by-side set: the main baselines the registry has, never the ablations.
  const auto b = hermes::cli::main_baselines("Hermes");
  CHECK(std::find(b.begin(), b.end(), "Hermes-base") != b.end());
  CHECK(std::find(b.begin(), b.end(), "Hermes-host") != b.end());
  CHECK(std::find(b.begin(), b.end(), "Hermes") == b.end());
  CHECK(std::find(b.begin(), b.end(), "Hermes-random") == b.end());
}

TEST_CASE("cli: every flag sets its field", "[sim][cli]") {
  const auto cmd = hermes::cli::parse_sim_command(
      {"--model", "llama-7b", "--system", "hermes-base", "--batch", "4", "--input-len", "64", "--output-len",
       "32", "--gpu", "rtx3090", "--dimms", "4", "--multipliers", "128", "--seed", "9", "--model-seed", "4", "--profile-tokens", "16",
       "--trace", "run.trace", "--compare", "Hermes,hermes-host", "--json", "--print-config", "--list", "--jobs", "3"});
  const auto& c = cmd.config;
  CHECK(c.workload.model.name == "LLaMA-7B");
  CHECK(c.system == "Hermes-base");  // the registry's spelling
  CHECK(c.workload.batch == 4);
  CHECK(c.workload.input_len == 64);
  CHECK(c.workload.output_len == 32);
  CHECK(c.hardware.gpu.name == "RTX3090");
  CHECK(c.hardware.dimms == 4);
  CHECK(c.hardware.dimm.gemv.multipliers == 128);
  CHECK(c.workload.seed == 9);
  CHECK(c.workload.model_seed == 4);
  CHECK(c.workload.profile_tokens == 16);
  CHECK(c.trace == "run.trace");
  REQUIRE(cmd.compare.has_value());
  CHECK(*cmd.compare == std::vector<std::string>{"Hermes", "Hermes-host"});
  CHECK(cmd.json);
  CHECK(cmd.print_config);
  CHECK(cmd.list);
  CHECK(cmd.jobs == 3);
  CHECK(hermes::cli::parse_sim_command({}).jobs >= 1);
  CHECK(hermes::cli::parse_sim_command({"--compare", "none"}).compare == std::vector<std::string>{});
  CHECK(hermes::cli::parse_sim_command({"--help"}).help);
}

TEST_CASE("cli: bad input exits with 2 and names the flag", "[sim][cli]") {
  const auto rejected = [](const args_t& args, const std::string& message) {
    const auto o = cli(args);
    INFO(o.err);
    CHECK(o.code == hermes::cli::exit_usage);
    CHECK(o.out.empty());
    CHECK(o.err.find(message) != std::string::npos);
  };
  // Unknown names list the valid ones.
  rejected({"--model", "GPT-9"}, "hermes-sim: --model 'GPT-9': expected one of: OPT-13B, OPT-30B");
  rejected({"--model", "GPT-9"}, "LLaMA2-70B");
  rejected({"--system", "Hermes-turbo"}, "--system 'Hermes-turbo': expected one of: Hermes, ");
  rejected({"--system", "Hermes-turbo"}, "Hermes-base");
  rejected({"--gpu", "H100"}, "--gpu 'H100': expected one of: RTX4090");
  rejected({"--compare", "Hermes,Nope"}, "--compare 'Nope': expected one of: Hermes");
  // Impossible values.
  rejected({"--dimms", "0"}, "--dimms '0': expected an integer in 1..64");
  rejected({"--batch", "0"}, "--batch '0': expected an integer in 1..256");
  rejected({"--batch", "-2"}, "--batch '-2': expected an integer in 1..256");
  rejected({"--multipliers", "0"}, "--multipliers '0': expected an integer in 1..1048576");
  rejected({"--jobs", "0"}, "--jobs '0': expected an integer in 1..256");
  rejected({"--jobs", "many"}, "--jobs 'many': expected an integer in 1..256");
  rejected({"--input-len", "4.5"}, "--input-len '4.5': expected an integer in 1..1048576");
  rejected({"--multipliers", "99999999999999999999"},
           "--multipliers '99999999999999999999': expected an integer in 1..1048576");
  rejected({"--output-len", ""}, "--output-len '': expected an integer in 1..1048576");
  rejected({"--input-len", "4000"},
           "--input-len 4000 + --output-len 128 = 4128 tokens: expected at most the context of LLaMA2-70B (4096 tokens)");
  rejected({"--model", "OPT-13B", "--output-len", "2000"}, "context of OPT-13B (2048 tokens)");
  // The command line itself.
  rejected({"--batch"}, "--batch: missing value: expected an integer in 1..256");
  rejected({"--model"}, "--model: missing value: expected a model name (--list shows them)");
  rejected({"--json", "--trace"}, "--trace: missing value: expected a trace file");
  rejected({"--config"}, "--config: missing value: expected a JSON configuration file");
  rejected({"sweep", "--dimms"}, "hermes-sim sweep: --dimms: missing value: expected a comma-separated list\n");
  rejected({"sweep", "--seed"}, "hermes-sim sweep: --seed: missing value: expected an integer in 0..18446744073709551615\n");
  rejected({"sweep", "--bogus"}, "hermes-sim sweep: unknown option '--bogus' (see --help)\n");
  rejected({"--dimm", "4"}, "unknown option '--dimm' (see --help)");
  rejected({"--compare", "Hermes,,Hermes-base"}, "--compare 'Hermes,,Hermes-base': expected a comma-separated list");
}

TEST_CASE("cli: every count has an upper bound, stated in --help; a sweep grid is bounded before it runs",
          "[sim][cli]") {
  const auto rejected = [](const args_t& args, const std::string& message) {
    const auto o = cli(args);
    INFO(o.err);
    CHECK(o.code == hermes::cli::exit_usage);
    CHECK(o.out.empty());
    CHECK(o.err.find(message) != std::string::npos);
  };
  rejected({"--multipliers", "1048577"}, "hermes-sim: --multipliers '1048577': expected an integer in 1..1048576\n");
  rejected({"--profile-tokens", "1048577"}, "--profile-tokens '1048577': expected an integer in 1..1048576");
  rejected({"--output-len", "1048577"}, "--output-len '1048577': expected an integer in 1..1048576");
  rejected({"--seed", "18446744073709551616"},
           "--seed '18446744073709551616': expected an integer in 0..18446744073709551615");
  rejected({"reproduce", "--jobs", "257"}, "hermes-sim reproduce: --jobs '257': expected an integer in 1..256\n");
  // A run's option before the subcommand would be dropped silently: refused.
  rejected({"--batch", "4", "sweep"}, "hermes-sim sweep: --batch: an option of a single run, given before sweep");
  const auto help = cli({"--help"});
  CHECK(help.code == 0);
  for (const char* bound : {"1..256", "1..64", "1..1048576", "1..1048576", "1..1048576", "0..18446744073709551615"})
    CHECK(help.out.find(bound) != std::string::npos);
  const auto sweep_help = cli({"sweep", "--help"});
  CHECK(sweep_help.code == 0);
  CHECK(sweep_help.out.rfind("usage: hermes-sim sweep", 0) == 0);
  CHECK(sweep_help.out.find("At most 100000 points") != std::string::npos);

  hermes::test::scratch_dir dir("cli-bounds");
  const auto csv = dir.file("grid.csv").string();
  std::string list;
  for (int i = 1; i <= 64; ++i) {
    if (i > 1) list += ',';
    list += std::to_string(i);
  }
  std::string too_long = list;
  too_long += ",1";
  std::string too_long_message = "--dimms '";
  too_long_message += too_long;
  too_long_message += "': expected a comma-separated list of at most 64 items";
  rejected({"sweep", "--batches", list, "--dimms", list, "--multipliers", list, "--out", csv},
           "hermes-sim sweep: 1 models x 1 systems x 64 batches x 1 input_lens x 1 output_lens x 64 dimms x 1 gpus x 64 "
           "multipliers x 1 pcie x 1 dimm_links = 262144 points: expected at most 100000");
  rejected({"sweep", "--dimms", too_long}, too_long_message);
  CHECK_FALSE(std::filesystem::exists(csv));
  // Two outputs naming one file that does not exist yet are refused too, and nothing is written.
  const auto same = cli({"sweep", "--models", "stories260K", "--input-len", "8", "--output-len", "8", "--out", csv,
                         "--json-lines", (dir.path() / "sub" / ".." / "grid.csv").string()});
  CHECK(same.code == hermes::cli::exit_usage);
  CHECK(same.err.find("name the same file") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(csv));
}

TEST_CASE("cli: a bad --config file is reported at the JSON path", "[sim][cli]") {
  hermes::test::scratch_dir dir("cli-config");
  const auto write = [&](const std::string& name, const std::string& text) {
    const auto p = dir.file(name).string();
    std::ofstream(p) << text;
    return p;
  };
  const auto neg = write("neg.json", R"({"hardware": {"pcie": {"bandwidth_Bps": -64e9}}})");
  auto o = cli({"--config", neg});
  CHECK(o.code == hermes::cli::exit_usage);
  CHECK(o.err == "hermes-sim: " + neg + ": /hardware/pcie/bandwidth_Bps: -64000000000.0 (a number) is invalid: "
                 "expected a number > 0\n");
  const auto typo = write("typo.json", R"({"workload": {"batchsize": 4}})");
  o = cli({"--config", typo});
  CHECK(o.code == hermes::cli::exit_usage);
  CHECK(o.err.find(typo + ": /workload/batchsize: unknown key \"batchsize\"; allowed here: model, batch,") !=
        std::string::npos);
  const auto type = write("type.json", R"({"hardware": {"dimms": "eight"}})");
  o = cli({"--config", type});
  CHECK(o.err.find(type + R"(: /hardware/dimms: "eight" (a string) is invalid: expected an integer in 1..64)") !=
        std::string::npos);
  const auto sys = write("sys.json", R"({"system": "Hermes-turbo"})");
  o = cli({"--config", sys});
  CHECK(o.code == hermes::cli::exit_usage);
  CHECK(o.err.find(sys + R"(: /system: "Hermes-turbo" is not a system: expected one of: Hermes, )") != std::string::npos);
  // A trace named by the file is reported with the file and key, not as --trace.
  const auto trace = write("trace.json", R"({"workload": {"model": "stories260K", "trace": "no-such.trace"}})");
  o = cli({"--config", trace});
  CHECK(o.code == hermes::cli::exit_usage);
  CHECK(o.err == "hermes-sim: " + trace + ": /workload/trace 'no-such.trace': load_trace: cannot open no-such.trace\n");
  o = cli({"--config", trace, "--trace", "other.trace"});
  CHECK(o.err == "hermes-sim: --trace 'other.trace': load_trace: cannot open other.trace\n");
  // A directory, a number beyond double, a repeated key: bad input, not a crash or silence.
  o = cli({"--config", dir.file("").string()});
  CHECK(o.code == hermes::cli::exit_usage);
  CHECK(o.err.find("is a directory: expected a JSON file") != std::string::npos);
  o = cli({"--trace", dir.file("").string()});
  CHECK(o.code == hermes::cli::exit_usage);
  CHECK(o.err.find("is a directory, not a trace file") != std::string::npos);
  const auto huge = write("huge.json", R"({"workload": {"seed": 1e400}})");
  o = cli({"--config", huge});
  CHECK(o.code == hermes::cli::exit_usage);
  CHECK(o.err.find(huge + ": not valid JSON: ") != std::string::npos);
  const auto twice = write("twice.json", R"({"workload": {"batch": 4, "batch": 2}})");
  o = cli({"--config", twice});
  CHECK(o.code == hermes::cli::exit_usage);
  CHECK(o.err == "hermes-sim: " + twice + ": /workload/batch: duplicate key \"batch\": each key may appear once per object\n");
  o = cli({"--config", dir.file("none.json").string()});
  CHECK(o.code == hermes::cli::exit_usage);
  CHECK(o.err.find("cannot open") != std::string::npos);
  // Flags override the file, whatever their order.
  const auto four = write("four.json", R"({"hardware": {"dimms": 4}, "workload": {"batch": 2}})");
  const auto cmd = hermes::cli::parse_sim_command({"--batch", "3", "--config", four});
  CHECK(cmd.config.hardware.dimms == 4);
  CHECK(cmd.config.workload.batch == 3);
}

TEST_CASE("cli: --print-config round-trips into the same run", "[sim][cli]") {
  hermes::test::scratch_dir dir("cli-roundtrip");
  const args_t setup = small({"--dimms", "4", "--multipliers", "128", "--gpu", "RTX3090", "--seed", "5"});
  auto with = [](args_t a, const args_t& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  const auto printed = cli(with(setup, {"--print-config"}));
  REQUIRE(printed.code == 0);
  const auto file = dir.file("effective.json").string();
  std::ofstream(file) << printed.out;
  // The file alone describes the same configuration ...
  const auto reprinted = cli({"--config", file, "--print-config"});
  REQUIRE(reprinted.code == 0);
  CHECK(reprinted.out == printed.out);
  const auto parsed = nlohmann::json::parse(printed.out);
  CHECK(parsed["hardware"]["dimms"] == 4);
  CHECK(parsed["hardware"]["gpu"]["name"] == "RTX3090");
  CHECK(parsed["hardware"]["dimm"]["gemv"]["multipliers"] == 128);
  CHECK(parsed["workload"]["model"]["name"] == "stories260K");
  // The kernel-level systems' hardware is written too.
  CHECK(parsed["hardware"]["npu"]["name"] == "IANUS-NPU");
  CHECK(parsed["hardware"]["pim"]["dram"]["organization"]["channels"] == 8);
  CHECK(parsed["hardware"]["capacity_node"]["name"] == "LPDDR5X-node");
  CHECK(parsed["hardware"]["node_link"]["name"] == "NVLink-C2C");
  // ... and reproduces the run.
  const auto direct = cli(with(setup, {"--json", "--compare", "none"}));
  const auto from_file = cli({"--config", file, "--json", "--compare", "none"});
  REQUIRE(direct.code == 0);
  REQUIRE(from_file.code == 0);
  CHECK(modelled(nlohmann::json::parse(direct.out)) == modelled(nlohmann::json::parse(from_file.out)));
}

TEST_CASE("cli: a kernel-level system's hardware from --config reproduces and changes its run", "[sim][cli]") {
  hermes::test::scratch_dir dir("cli-kernel-config");
  for (const std::string system : {"IANUS", "H2M2"}) {
    INFO(system);
    const auto printed = cli(small({"--system", system, "--print-config"}));
    REQUIRE(printed.code == 0);
    const auto file = dir.file(system + ".json").string();
    std::ofstream(file) << printed.out;
    const auto direct = cli(small({"--system", system, "--json", "--compare", "none"}));
    const auto from_file = cli({"--config", file, "--json", "--compare", "none"});
    REQUIRE(direct.code == 0);
    REQUIRE(from_file.code == 0);
    CHECK(modelled(nlohmann::json::parse(direct.out)) == modelled(nlohmann::json::parse(from_file.out)));
    // A slower device read from the file moves the modelled time.
    auto slower = nlohmann::ordered_json::parse(printed.out);
    if (system == "IANUS") slower["hardware"]["npu"]["clock_Hz"] = 350e6;
    else slower["hardware"]["capacity_node"]["memory_bandwidth_Bps"] = 256e9;
    const auto slow_file = dir.file(system + "-slow.json").string();
    std::ofstream(slow_file) << slower.dump(2);
    const auto slow = cli({"--config", slow_file, "--json", "--compare", "none"});
    REQUIRE(slow.code == 0);
    CHECK(nlohmann::json::parse(slow.out)["seconds_decode"].get<double>() >
          nlohmann::json::parse(direct.out)["seconds_decode"].get<double>());
  }
}

TEST_CASE("cli: --json is one object with the side-by-side runs in \"baselines\"", "[sim][cli]") {
  const auto o = cli(small({"--json"}));
  INFO(o.err);
  REQUIRE(o.code == 0);
  const auto j = nlohmann::json::parse(o.out);  // exactly one JSON document
  const auto check_shape = [](const nlohmann::json& r) {
    for (const char* k : {"model", "system", "batch", "decode_tokens_per_second", "seconds_prefill", "seconds_decode",
                          "breakdown", "supported", "reason"})
      CHECK(r.contains(k));
    CHECK(r["breakdown"].is_object());
    for (const char* k : {"gpu_compute", "near_memory_compute", "host_compute", "pcie", "cold_link", "sync", "predictor", "prefill"})
      CHECK(r["breakdown"].contains(k));
  };
  check_shape(j);
  CHECK(j["model"] == "stories260K");
  CHECK(j["system"] == "Hermes");
  CHECK(j["batch"] == 1);
  CHECK(j["supported"] == true);
  CHECK(j["decode_tokens_per_second"].get<double>() > 0.0);
  REQUIRE(j["baselines"].is_array());
  const auto expected = hermes::cli::main_baselines("Hermes");
  REQUIRE(j["baselines"].size() == expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    check_shape(j["baselines"][k]);
    CHECK(j["baselines"][k]["system"] == expected[k]);
    CHECK_FALSE(j["baselines"][k].contains("baselines"));
  }
  // The side-by-side runs spread over threads give the same results as one after another.
  const auto strip_host_time = [](nlohmann::json r) {
    const auto strip = [](nlohmann::json& x) {
      x.erase("host_seconds");
      if (x.contains("placement")) x["placement"].erase("solve_seconds");
    };
    strip(r);
    for (auto& b : r["baselines"]) strip(b);
    return r;
  };
  const auto serial = cli(small({"--json", "--jobs", "1"}));
  const auto threaded = cli(small({"--json", "--jobs", "4"}));
  REQUIRE(serial.code == 0);
  REQUIRE(threaded.code == 0);
  CHECK(strip_host_time(nlohmann::json::parse(serial.out)) == strip_host_time(nlohmann::json::parse(threaded.out)));
  CHECK(strip_host_time(nlohmann::json::parse(serial.out)) == strip_host_time(j));
  // --system picks the object's system; Hermes then appears among the baselines.
  const auto base = nlohmann::json::parse(cli(small({"--system", "Hermes-base", "--json", "--compare", "Hermes"})).out);
  CHECK(base["system"] == "Hermes-base");
  REQUIRE(base["baselines"].size() == 1);
  CHECK(base["baselines"][0]["system"] == "Hermes");
}

TEST_CASE("cli: the default output is a side-by-side table", "[sim][cli]") {
  const auto o = cli(small());
  INFO(o.err);
  REQUIRE(o.code == 0);
  CHECK(o.out.rfind("hermes-sim: stories260K, RTX4090 + 8 NDP-DIMMs", 0) == 0);
  for (const char* row : {"tokens/s (end to end)", "tokens/s (decode)", "prefill (s)", "decode (s)", "GPU compute", "NDP compute, busiest", "host CPU compute",
                          "PCIe activations", "DIMM-link", "sync (PCIe latency)", "predictor (host)",
                          "DIMM load imbalance", "predictor accuracy (%)", "placement gap (%)"})
    CHECK(o.out.find(row) != std::string::npos);
  for (const auto& s : hermes::cli::main_baselines("Hermes")) CHECK(o.out.find(s) != std::string::npos);
  // Hermes-base's layer fill is far from the placement bound by design, and the table says so;
  // Hermes' own placement needs no such note.
  CHECK(o.out.find("\"placement gap\" of Hermes-base: its layer-fill placement does not optimise") != std::string::npos);
  CHECK(o.out.find("\"placement gap\" of Hermes:") == std::string::npos);
  // A system that cannot run the model keeps its column and says why below the table.
  const auto j = nlohmann::json::parse(cli(small({"--json"})).out);
  for (const auto& b : j["baselines"])
    if (!b["supported"].get<bool>())
      CHECK(o.out.find(b["system"].get<std::string>() + ": not supported: " + b["reason"].get<std::string>()) !=
            std::string::npos);
  const auto list = cli({"--list"});
  CHECK(list.code == 0);
  for (const auto& s : hermes::system_names()) CHECK(list.out.find(s) != std::string::npos);
  CHECK(cli({"--help"}).out.find("usage: hermes-sim") == 0);
}

TEST_CASE("cli: --trace replays a recorded trace", "[sim][cli]") {
  hermes::test::scratch_dir dir("cli-trace");
  // A trace of stories260K's layout from the synthetic generator: 16 profile + 8 + 8 tokens.
  const auto shape = hermes::model_presets::stories260k();
  const hermes::trace_layout layout = hermes::trace_layout::of(shape);
  hermes::synthetic_source source(layout);
  hermes::activation_trace trace(layout);
  hermes::token_masks masks(layout);
  for (int t = 0; t < 32; ++t) {
    source.next_token(masks);
    masks.append_to(trace);
  }
  const auto file = dir.file("stories.trace").string();
  hermes::save_trace(file, trace);
  const args_t run = {"--model", "stories260K", "--input-len", "8", "--output-len", "8", "--profile-tokens", "16",
                      "--trace", file, "--json", "--compare", "none"};
  const auto o = cli(run);
  INFO(o.err);
  REQUIRE(o.code == 0);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["model"] == "stories260K");
  CHECK(j["supported"] == true);
  // A trace too short for profile + prompt + generation, or of another model, is bad input.
  auto longer = run;
  longer[5] = "64";
  const auto short_trace = cli(longer);
  CHECK(short_trace.code == hermes::cli::exit_usage);
  CHECK(short_trace.err.find("trace tokens") != std::string::npos);
  const auto other = cli({"--model", "LLaMA-7B", "--trace", file});
  CHECK(other.code == hermes::cli::exit_usage);
  CHECK(other.err.find("--trace '" + file + "'") != std::string::npos);
  const auto missing = cli({"--trace", dir.file("none.trace").string()});
  CHECK(missing.code == hermes::cli::exit_usage);
  CHECK(missing.err.find("cannot open") != std::string::npos);
}

TEST_CASE("cli: sweep writes one CSV row per point and a summary", "[sim][cli]") {
  hermes::test::scratch_dir dir("cli-sweep");
  const auto csv = dir.file("results.csv").string();
  const auto jl = dir.file("results.jsonl").string();
  const auto o = cli({"sweep", "--models", "stories260K", "--systems", "Hermes,Hermes-base", "--batches", "1,2",
                      "--dimms", "4", "--multipliers", "128", "--input-len", "8", "--output-len", "8",
                      "--profile-tokens", "16", "--out", csv, "--json-lines", jl});
  INFO(o.err);
  REQUIRE(o.code == 0);
  CHECK(o.out.empty());  // the CSV went to the file
  CHECK(o.err.rfind("sweep: 4 runs (4 supported, 0 not supported, 0 failed) in ", 0) == 0);
  std::istringstream lines(slurp(csv));
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].rfind("model,system,gpu,dimms,multipliers,pcie,dimm_link,batch,input_len,output_len,supported,reason,",
                      0) == 0);
  CHECK(rows[0].find(",pareto_cost,pareto_energy") != std::string::npos);
  CHECK(rows[1].rfind("stories260K,Hermes,RTX4090,4,128,PCIe4-x16,DIMM-link,1,8,8,true,", 0) == 0);
  CHECK(rows[2].rfind("stories260K,Hermes,RTX4090,4,128,PCIe4-x16,DIMM-link,2,8,8,true,", 0) == 0);
  CHECK(rows[3].rfind("stories260K,Hermes-base,RTX4090,4,128,PCIe4-x16,DIMM-link,1,8,8,true,", 0) == 0);
  CHECK(rows[4].rfind("stories260K,Hermes-base,RTX4090,4,128,PCIe4-x16,DIMM-link,2,8,8,true,", 0) == 0);
  std::istringstream jls(slurp(jl));
  std::size_t objects = 0;
  for (std::string line; std::getline(jls, line); ++objects) CHECK(nlohmann::json::parse(line)["multipliers"] == 128);
  CHECK(objects == 4);
  // Bad sweep input names the flag.
  const auto bad = cli({"sweep", "--batches", "1,0"});
  CHECK(bad.code == hermes::cli::exit_usage);
  CHECK(bad.err == "hermes-sim sweep: --batches '0': expected an integer in 1..256\n");
  const auto ctx = cli({"sweep", "--models", "LLaMA2-7B,OPT-13B", "--input-len", "2000"});
  CHECK(ctx.code == hermes::cli::exit_usage);
  CHECK(ctx.err.find("OPT-13B") != std::string::npos);
}

TEST_CASE("cli: sweep axes from flags and a grid file, Pareto fronts, JSON and plots", "[sim][cli]") {
  hermes::test::scratch_dir dir("cli-sweep-grid");
  const auto grid = dir.file("grid.json").string();
  std::ofstream(grid) << R"({"models": ["stories260K"], "systems": ["hermes", "Hermes-base"], "dimms": [2, 4],
                             "input_lens": [8, 16], "output_lens": [8], "pcie": ["pcie4-x16"],
                             "fronts": [{"name": "dimms", "maximise": "end_to_end_tokens_per_second",
                                         "minimise": "dimms"}]})";
  const auto csv = dir.file("g.csv").string(), json = dir.file("g.json").string();
  const auto plots = dir.path() / "plots";
  // --dimms overrides the file's axis.
  const auto o = cli({"sweep", "--grid", grid, "--dimms", "2,4,8", "--profile-tokens", "16", "--out", csv, "--json",
                      json, "--plot", plots.string(), "--jobs", "2"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  CHECK(o.err.rfind("sweep: 12 runs (12 supported, 0 not supported, 0 failed) in ", 0) == 0);
  CHECK(o.err.find("pareto_dimms.png (") != std::string::npos);
  std::istringstream lines(slurp(csv));
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  REQUIRE(rows.size() == 13);
  CHECK(rows[0].size() > 13);
  CHECK(rows[0].substr(rows[0].size() - 13) == ",pareto_dimms");
  CHECK(rows[1].rfind("stories260K,Hermes,RTX4090,2,256,PCIe4-x16,DIMM-link,1,8,8,true,", 0) == 0);
  CHECK(rows[4].rfind("stories260K,Hermes,RTX4090,2,256,PCIe4-x16,DIMM-link,1,16,8,true,", 0) == 0);
  std::size_t on_front = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) on_front += rows[i].size() > 5 && rows[i].substr(rows[i].size() - 5) == ",true";
  CHECK(on_front >= 1);
  const auto doc = nlohmann::json::parse(slurp(json));
  CHECK(doc["rows"].size() == 12);
  CHECK(doc["fronts"][0]["minimise"] == "dimms");
  CHECK(doc["columns"].back() == "pareto_dimms");
  CHECK(std::filesystem::exists(plots / "pareto_dimms.dat"));
  CHECK(std::filesystem::exists(plots / "pareto_dimms.gp"));
  CHECK(std::filesystem::file_size(plots / "pareto_dimms.png") > 1000);

  const auto rejected = [](const args_t& args, const std::string& message) {
    const auto r = cli(args);
    INFO(r.err);
    CHECK(r.code == hermes::cli::exit_usage);
    CHECK(r.err.find(message) != std::string::npos);
  };
  rejected({"sweep", "--fronts", "a:b"}, "hermes-sim sweep: --fronts 'a:b': expected NAME:MAXIMISE:MINIMISE");
  rejected({"sweep", "--models", "stories260K", "--fronts", "a:end_to_end_tokens_per_second:watts"},
           "--fronts: front 'a': 'watts' is not a numeric column of the sweep's results");
  rejected({"sweep", "--pcie", "PCIe9"}, "hermes-sim sweep: --pcie 'PCIe9': expected one of: PCIe4-x16");
  rejected({"sweep", "--input-lens", "8,0"}, "--input-lens '0': expected an integer in 1..1048576");
  rejected({"sweep", "--input-lens", "8", "--input-len", "8"}, "--input-len and an --input-lens axis");
  const auto bad_grid = dir.file("bad.json").string();
  std::ofstream(bad_grid) << R"({"dimms": [4, 65]})";
  rejected({"sweep", "--grid", bad_grid}, bad_grid + ": /dimms/1: 65 (a number) is invalid: expected an integer in 1..64");
  rejected({"sweep", "--models", "stories260K", "--out", csv, "--json", csv}, "name the same file");
  const auto list = cli({"--list"});
  CHECK(list.out.find("PCIe4-paper") != std::string::npos);
}

TEST_CASE("cli: sweep outputs are written whole or not at all, and never to one file twice", "[sim][cli]") {
  hermes::test::scratch_dir dir("cli-sweep-outputs");
  const auto csv = dir.file("old.csv").string();
  {
    std::ofstream(csv) << "previous results\n";
  }
  // A rejected sweep leaves an existing --out as it was.
  const auto bad = cli({"sweep", "--models", "stories260K,OPT-13B", "--input-len", "2000", "--out", csv});
  CHECK(bad.code == hermes::cli::exit_usage);
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  CHECK(line == "previous results");
  // --out and --json-lines naming one file are refused before anything runs.
  const auto same = cli({"sweep", "--models", "stories260K", "--input-len", "8", "--output-len", "8", "--out", csv,
                         "--json-lines", (dir.path() / "." / "old.csv").string()});
  CHECK(same.code == hermes::cli::exit_usage);
  CHECK(same.err.find("name the same file") != std::string::npos);
  std::ifstream again(csv);
  std::getline(again, line);
  CHECK(line == "previous results");
  // A folder as --out is bad input naming the flag.
  const auto folder = cli({"sweep", "--models", "stories260K", "--input-len", "8", "--output-len", "8", "--out",
                           dir.path().string()});
  CHECK(folder.code == hermes::cli::exit_usage);
  CHECK(folder.err.find("--out") != std::string::npos);
}

TEST_CASE("programs: a standard output that cannot be written is a failure (exit 1), not a silent success",
          "[sim][cli]") {
  for (const char* program : {"hermes-sim --list", "hermes-profile --help", "hermes-trace --help", "hermes-generate --help"}) {
    const std::string cmd = std::string(HERMES_BINARY_DIR) + "/examples/" + program + " > /dev/full 2> /dev/null";
    const int status = std::system(cmd.c_str());
    INFO(program);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
  }
}

TEST_CASE("inputs: a FIFO or a device given as a file is bad input named before it is opened", "[sim][cli]") {
  hermes::test::scratch_dir dir("cli-fifo");
  const auto fifo = dir.file("pipe").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Opening the FIFO would block until a writer came: the run must return at once, exit 2.
  const auto config = cli({"--config", fifo});
  CHECK(config.code == hermes::cli::exit_usage);
  CHECK(config.err.find("is a FIFO") != std::string::npos);
  const auto trace = cli(small({"--trace", fifo}));
  CHECK(trace.code == hermes::cli::exit_usage);
  CHECK(trace.err.find("is a FIFO") != std::string::npos);
  const auto zero = cli({"--config", "/dev/zero"});
  CHECK(zero.code == hermes::cli::exit_usage);
  CHECK(zero.err.find("is a device") != std::string::npos);
  // The other programs: hermes-trace's prompts, hermes-profile's trace (bounded by `timeout`, so
  // a regression fails instead of hanging the suite).
  const std::string bin = std::string(HERMES_BINARY_DIR) + "/examples/";
  const auto status_of = [](const std::string& cmd) {
    const int status = std::system(("timeout 60 " + cmd + " > /dev/null 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  CHECK(status_of(bin + "hermes-trace --prompts '" + fifo + "'") == 2);
  CHECK(status_of(bin + "hermes-trace --prompts '" + dir.path().string() + "'") == 2);
  CHECK(status_of(bin + "hermes-trace --prompts /dev/zero") == 2);
  CHECK(status_of(bin + "hermes-profile --from-trace '" + fifo + "' --out '" + dir.file("p.csv").string() + "'") == 2);
}
