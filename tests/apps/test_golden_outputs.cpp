// Same outputs before and after a refactoring: `hermes-sim --json` for the default comparison and
// seven other configurations (another model, batch 8, Hermes-host, 16 DIMMs, 1 DIMM, every
// system on two models), every field compared with the values recorded before the engine became
// generic over its policies (tests/data/golden/README.md says how they were recorded).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes_apps/cli.hpp"

namespace {

std::string all_others() {
  return "Hermes-random,Hermes-partition,Hermes-adjustment,Hermes-token-adjustment,Hermes-layer-adjustment,"
         "Hermes-base,Hermes-host,Accelerate,FlexGen,DejaVu,TensorRT-LLM";
}

nlohmann::json run(std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  std::ostringstream out, err;
  const int code = hermes::cli::run_cli(args, out, err);
  INFO(err.str());
  REQUIRE(code == 0);
  return nlohmann::json::parse(out.str());
}

nlohmann::json golden(const std::string& name) {
  std::ifstream in(std::string(HERMES_SOURCE_DIR) + "/tests/data/golden/" + name + ".json");
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

// Every field of `want` is in `got` with the same value (numbers within a relative 1e-9), and
// `got` has no field `want` lacks; wall-clock fields are not modelled and not compared.
void compare(const nlohmann::json& want, const nlohmann::json& got, const std::string& path, int& differences) {
  if (want.is_object()) {
    REQUIRE(got.is_object());
    for (const auto& [k, v] : want.items()) {
      if (!got.contains(k)) {
        FAIL_CHECK(path + "/" + k + " is missing");
        ++differences;
        continue;
      }
      compare(v, got[k], path + "/" + k, differences);
    }
    for (const auto& [k, v] : got.items())
      // energy, cost and cost_reference (issue #13) came after the recording; their arithmetic is
      // pinned by tests/device/test_energy.cpp, tests/sim/test_energy.cpp and tests/io/test_price_json.cpp.
      if (!want.contains(k) && k != "host_seconds" && k != "solve_seconds" && k != "energy" && k != "cost" &&
          k != "cost_reference") {
        FAIL_CHECK(path + "/" + k + " is new");
        ++differences;
      }
  } else if (want.is_array()) {
    REQUIRE(got.is_array());
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) compare(want[i], got[i], path + "[" + std::to_string(i) + "]", differences);
  } else if (want.is_number() && got.is_number()) {
    const double a = want.get<double>(), b = got.get<double>();
    if (!(a == b || std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b)))) {
      FAIL_CHECK(path + ": recorded " + want.dump() + ", now " + got.dump());
      ++differences;
    }
  } else if (want != got) {
    FAIL_CHECK(path + ": recorded " + want.dump() + ", now " + got.dump());
    ++differences;
  }
}

void check(const std::string& name, const std::vector<std::string>& args) {
  int differences = 0;
  compare(golden(name), run(args), name, differences);
  CHECK(differences == 0);
}

}  // namespace

TEST_CASE("golden outputs: the default comparison and four other configurations", "[sim][golden]") {
  check("default", {});
  check("opt66b", {"--model", "OPT-66B", "--compare", "none"});
  check("batch8", {"--batch", "8", "--compare", "none"});
  check("host", {"--system", "Hermes-host", "--compare", "none"});
  check("dimms16", {"--dimms", "16", "--compare", "none"});
  check("dimms1", {"--dimms", "1", "--model", "LLaMA2-7B", "--compare", "none"});
}

TEST_CASE("golden outputs: every registered system", "[sim][golden]") {
  check("all70b", {"--compare", all_others()});
  check("allopt13b", {"--model", "OPT-13B", "--batch", "4", "--compare", all_others()});
}
