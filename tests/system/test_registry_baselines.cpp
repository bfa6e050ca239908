// The baselines through the registry (what `hermes-sim --system NAME` runs), and the capacity
// verdicts the evaluation depends on, reached by name.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "hermes/system/registry.hpp"

using namespace hermes;

TEST_CASE("The registry lists the baselines after the Hermes family", "[baselines][registry]") {
  const auto names = system_names();
  const auto at = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
  for (const char* n : {"Accelerate", "FlexGen", "DejaVu", "TensorRT-LLM"}) {
    INFO(n);
    CHECK(at(n) < static_cast<long>(names.size()));
    CHECK(at(n) > at("Hermes-host"));
  }
}

TEST_CASE("run_system runs a baseline by name, case-insensitively", "[baselines][registry]") {
  workload_config w;
  w.model = model_presets::opt_13b();
  w.output_len = 2;
  const hardware_config h;
  CHECK(run_system("flexgen", w, h).decode_tokens_per_second == run_flexgen(w, h).decode_tokens_per_second);
  CHECK(run_system("ACCELERATE", w, h).decode_tokens_per_second == run_accelerate(w, h).decode_tokens_per_second);
  CHECK(run_system("tensorrt-llm", w, h).system == "TensorRT-LLM");
}

TEST_CASE("Capacity verdicts by name: nothing is simulated as if it fit", "[baselines][registry]") {
  SECTION("Falcon-40B needs more than 2 NDP-DIMMs") {
    workload_config w;
    w.model = model_presets::falcon_40b();
    hardware_config h;
    h.dimms = 2;
    const sim_result r = run_system("Hermes", w, h);
    CHECK_FALSE(r.supported);
    CHECK(r.reason.find("Falcon-40B") != std::string::npos);
  }
  SECTION("OPT-66B on a bare 24 GB GPU with no memory to offload to") {
    workload_config w;
    w.model = model_presets::opt_66b();
    w.output_len = 2;
    hardware_config h;
    h.host.memory_capacity = bytes(32e9);
    for (const char* system : {"Accelerate", "FlexGen", "DejaVu"}) {
      INFO(system);
      const sim_result r = run_system(system, w, h);
      CHECK_FALSE(r.supported);
      CHECK(r.reason.find("host memory") != std::string::npos);
    }
  }
  SECTION("Deja Vu refuses non-OPT models") {
    workload_config w;
    w.model = model_presets::llama2_70b();
    const sim_result r = run_system("DejaVu", w, hardware_config{});
    CHECK_FALSE(r.supported);
    CHECK(r.reason.find("OPT") != std::string::npos);
  }
}
