// stories260K end to end on the library: dense and hetero placements reproduce the golden text,
// a prompt continues exactly like the reference forward pass, and the hermes-generate program
// prints the same text, a well-formed JSON object, and rejects bad flags with exit code 2.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

#include "hermes/model/generate.hpp"
#include "hermes/model/llama2c.hpp"
#include "hermes/model/tokenizer.hpp"
#include "hermes/runtime/transformer.hpp"
#include "../support/llama2c_reference.hpp"
#include "../support/scratch_dir.hpp"

namespace {

const std::filesystem::path data_dir = std::filesystem::path(HERMES_DATA_DIR) / "stories260K";
const std::filesystem::path program =
    std::filesystem::path(HERMES_BINARY_DIR) / "examples" / "hermes-generate";

// Loaded per use: Kokkos views must not outlive Kokkos::finalize (no statics).
hermes::llama2c_checkpoint checkpoint() { return hermes::load_llama2c(data_dir / "stories260K.bin"); }
const hermes::tokenizer& tok() {
  static const auto t = hermes::tokenizer::load(data_dir / "tok512.bin", 512);
  return t;
}
std::string golden() {
  const auto b = hermes::test::read_all(data_dir / "golden_t0_n200.txt");
  return {b.begin(), b.end()};
}

hermes::generation run_library(hermes::llama2c_placement placement, const std::string& prompt,
                               std::size_t steps) {
  hermes::llama2c_system_options o;
  o.placement = placement;
  const auto ck = checkpoint();
  hermes::llama2c_transformer<> model(ck, tok(), o);
  hermes::sampler greedy(0.0f, 0.0f, 1);
  return hermes::generate(tok(), model, prompt, steps, 512, greedy);
}

struct program_result {
  int exit_code = -1;
  std::string out;
};

program_result run_program(const std::string& args) {
  hermes::test::scratch_dir dir("generate");
  const auto out = dir.file("out.txt");
  const std::string cmd = "'" + program.string() + "' " + args + " > '" + out.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  program_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const auto b = hermes::test::read_all(out);
  r.out.assign(b.begin(), b.end());
  return r;
}

}  // namespace

TEST_CASE("the library model reproduces the golden text, dense", "[model][generate]") {
  const auto g = run_library(hermes::llama2c_placement::dense, "", 200);
  CHECK(g.steps == 200);
  CHECK(g.text == golden());
}

TEST_CASE("the library model reproduces the golden text, GPU + NDP-DIMMs", "[model][generate]") {
  hermes::llama2c_system_options o;
  o.placement = hermes::llama2c_placement::hetero;
  const auto ck = checkpoint();
  hermes::llama2c_transformer<> model(ck, tok(), o);
  // About 20% of each layer's 172 neurons have a GPU copy; every home is one of the 8 DIMMs.
  for (const auto& p : model.ffn_placement()) {
    CHECK(p.cached.count() == 34);  // round(0.2 x 172)
    for (const auto h : p.home) CHECK((h >= 1 && h <= 8));
  }
  for (const auto& p : model.attention_placement()) {
    CHECK(p.cached.count() == 13);  // round(0.2 x 64) QKV input channels
    for (const auto h : p.home) CHECK((h >= 1 && h <= 8));
  }
  hermes::sampler greedy(0.0f, 0.0f, 1);
  const auto g = hermes::generate(tok(), model, "", 200, 512, greedy);
  CHECK(g.text == golden());
  // The work really ran on both kinds of device.
  const auto& l = model.timing();
  CHECK(l.resource(l.id("gpu")).stage_busy("ffn") > hermes::seconds{});
  for (int j = 0; j < 8; ++j)
    CHECK(l.resource(l.id("dimm" + std::to_string(j))).stage_busy("ffn") > hermes::seconds{});
  CHECK(l.resource(l.id("pcie")).charges > 0);
}

TEST_CASE("a prompt continues like the reference forward pass", "[model][generate]") {
  const std::string prompt = "Once upon a time";
  const auto ck = checkpoint();
  hermes::test::reference_llama2c reference(ck);
  hermes::sampler greedy(0.0f, 0.0f, 1);
  const auto expected = hermes::generate(tok(), reference, prompt, 120, 512, greedy);
  const auto g = run_library(hermes::llama2c_placement::dense, prompt, 120);
  CHECK(g.text.rfind(prompt, 0) == 0);
  CHECK(g.text.size() > prompt.size());
  CHECK(g.text == expected.text);
  CHECK(g.tokens == expected.tokens);
}

TEST_CASE("hermes-generate prints the golden text in both placements", "[model][generate][cli]") {
  REQUIRE(std::filesystem::exists(program));
  for (const char* placement : {"dense", "hetero"}) {
    const auto r = run_program(std::string("--placement ") + placement + " --json");
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j.at("text").get<std::string>() == golden());
    CHECK(j.at("placement") == placement);
    CHECK(j.at("steps") == 200);
    CHECK(j.at("tokens").size() == 201);
    CHECK(j.at("modelled").at("seconds").get<double>() > 0.0);
    CHECK(j.at("modelled").at("tokens_per_second").get<double>() > 0.0);
    const auto& resources = j.at("modelled").at("resources");
    REQUIRE(resources.is_array());
    bool gpu_found = false;
    for (const auto& res : resources) {
      CHECK(res.contains("busy_seconds"));
      CHECK(res.contains("busy_seconds_by_stage"));
      if (res.at("name") == "gpu") gpu_found = res.at("busy_seconds").get<double>() > 0.0;
    }
    CHECK(gpu_found);
  }
  const auto plain = run_program("");
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.out.rfind(golden() + "\n", 0) == 0);  // the text, then the summary
  CHECK(plain.out.find("tokens/s") != std::string::npos);
}

TEST_CASE("hermes-generate rejects bad flags with exit code 2", "[model][generate][cli]") {
  REQUIRE(std::filesystem::exists(program));
  const auto unknown = run_program("--bogus");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.out.find("--bogus") != std::string::npos);
  const auto placement = run_program("--placement gpu");
  CHECK(placement.exit_code == 2);
  CHECK(placement.out.find("dense or hetero") != std::string::npos);
  const auto steps = run_program("--steps 0");
  CHECK(steps.exit_code == 2);
  const auto too_many = run_program("--steps 9999");
  CHECK(too_many.exit_code == 2);
  CHECK(too_many.out.find("512") != std::string::npos);
  const auto temperature = run_program("--temperature -1");
  CHECK(temperature.exit_code == 2);
  const auto no_checkpoint = run_program("--checkpoint /nonexistent/model.bin");
  CHECK(no_checkpoint.exit_code == 2);
  CHECK(no_checkpoint.out.find("--checkpoint '/nonexistent/model.bin': no such file") != std::string::npos);
  // A value that looks like a Kokkos flag stays ours: Kokkos does not print its help.
  const auto prompt = run_program("--steps 3 --prompt --help");
  CHECK(prompt.exit_code == 0);
  CHECK(prompt.out.find("Kokkos") == std::string::npos);
  const auto missing = run_program("--steps");
  CHECK(missing.exit_code == 2);
  CHECK(missing.out.find("missing value") != std::string::npos);
  const auto help = run_program("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--placement") != std::string::npos);
}

TEST_CASE("a 130 KB prompt is cut to the context before BPE merging", "[model][generate]") {
  // Uncut, merging 130 KB quadratically takes hours; only seq_len = 512 tokens can be used.
  std::string prompt;
  while (prompt.size() < 130000) prompt += "Once upon a time, there was a little girl named Lily. ";
  const auto start = std::chrono::steady_clock::now();
  const auto g = run_library(hermes::llama2c_placement::dense, prompt, 16);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 60.0);
  CHECK(g.prompt_tokens > 512);
  CHECK(g.steps == 16);
  // The 16 positions read the prompt's own first tokens, echoed as llama2.c does.
  CHECK(prompt.rfind(g.text, 0) == 0);
  CHECK(g.text.size() > 16);
  CHECK(std::equal(g.tokens.begin(), g.tokens.begin() + 17, tok().encode(prompt.substr(0, 1000), true, false).begin()));
}
