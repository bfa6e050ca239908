#include <catch2/catch.hpp>

#include "hermes/io/result_json.hpp"
#include "hermes/model/presets.hpp"
#include "hermes/system/registry.hpp"

#include "../support/test_models.hpp"

using namespace hermes;
using namespace hermes::literals;

using test::small_gpu;
using test::tiny_model;
using test::tiny_workload;

TEST_CASE("split engine: Hermes runs and reports a consistent result", "[sim][hermes]") {
  const auto r = run_system("Hermes", tiny_workload(), small_gpu());
  REQUIRE(r.supported);
  CHECK(r.system == "Hermes");
  CHECK(r.decode_tokens_per_second > 0.0);
  CHECK(r.decode_tokens_per_second == Approx(16.0 / r.seconds_decode.value()));
  CHECK(r.seconds_prefill > 0_s);
  CHECK(r.breakdown.gpu_compute > 0_s);
  CHECK(r.breakdown.near_memory_compute > 0_s);
  CHECK(r.breakdown.near_memory_compute >= r.breakdown.near_memory_compute_mean);
  CHECK(r.breakdown.pcie > 0_s);
  CHECK(r.breakdown.sync > 0_s);
  CHECK(r.cold_load_imbalance >= 1.0);
  REQUIRE(r.has_prediction);
  CHECK(r.prediction_accuracy > 0.5);
  CHECK(r.prediction_accuracy <= 1.0);
  REQUIRE(r.has_placement);
  CHECK(r.placement_objective >= r.placement_lower_bound);
  // The decode of every token passes every layer: per layer at least two PCIe exchanges (the
  // projection output to the DIMMs, the merged MLP output back), each at least T_sync (5 us),
  // and the exchanges serialise on the PCIe link within the decode.
  CHECK(r.breakdown.sync.value() >= 16 * 4 * 2 * 5e-6);
  CHECK(r.seconds_decode >= r.breakdown.sync);
}

TEST_CASE("split engine: the placement's target gap decides whether CBC runs, and the report says so",
          "[sim][hermes][placement]") {
  const auto w = tiny_workload();
  const auto h = small_gpu();
  auto o = hermes_systems::hermes();
  REQUIRE(o.mapper.options.target_gap == 1e-3);  // the engine's documented default (docs/parameters.md)
  const auto accepted = run_split(o, w, h);
  REQUIRE(accepted.has_placement);
  // This instance's LP rounding lands within the default tolerance of the LP bound ...
  REQUIRE(accepted.placement_gap <= 1e-3);
  // ... so CBC is skipped, and the result names the producer and the tolerance.
  CHECK_FALSE(accepted.placement_cbc_ran);
  CHECK(accepted.placement_method == "lp-rounding+repair");
  CHECK(accepted.placement_target_gap == 1e-3);
  const auto j = to_json(accepted);
  CHECK(j["placement"]["cbc_ran"] == false);
  CHECK(j["placement"]["target_gap"] == 1e-3);

  // A tolerance of 0: CBC runs (and can only tie or improve on the rounding).
  o.mapper.options.target_gap = 0.0;
  const auto solved = run_split(o, w, h);
  CHECK(solved.placement_cbc_ran);
  CHECK(solved.placement_target_gap == 0.0);
  CHECK(solved.placement_objective <= accepted.placement_objective);

  // A bad tolerance is rejected naming the field.
  o.mapper.options.target_gap = -0.1;
  CHECK_THROWS_WITH(run_split(o, w, h), Catch::Contains("ilp_options.target_gap"));
}

TEST_CASE("split engine: same inputs give the same modelled time", "[sim][hermes]") {
  const auto a = run_system("Hermes", tiny_workload(), small_gpu());
  const auto b = run_system("Hermes", tiny_workload(), small_gpu());
  CHECK(a.seconds_decode == b.seconds_decode);
  CHECK(a.prediction_accuracy == b.prediction_accuracy);
  auto w = tiny_workload();
  w.seed = 99;
  const auto c = run_system("Hermes", w, small_gpu());
  CHECK(c.seconds_decode != a.seconds_decode);
}

TEST_CASE("split engine: sparsity and placement matter the way the design says", "[sim][hermes]") {
  const auto w = tiny_workload();
  const auto h = small_gpu();
  const auto hermes = run_system("Hermes", w, h);
  const auto base = run_system("Hermes-base", w, h);
  const auto random = run_system("Hermes-random", w, h);
  const auto partition = run_system("Hermes-partition", w, h);
  REQUIRE(base.supported);
  // Computing only the predicted-active neurons beats computing all of them.
  CHECK(hermes.decode_tokens_per_second > base.decode_tokens_per_second);
  CHECK_FALSE(base.has_prediction);
  // A profile-driven placement beats a random one on MLP latency.
  CHECK(partition.mlp_latency_per_token < random.mlp_latency_per_token);
  CHECK(random.placement_method == "random");
}

TEST_CASE("split engine: more NDP-DIMMs or a faster GEMV unit never slow decoding", "[sim][hermes]") {
  const auto w = tiny_workload();
  auto h = small_gpu();
  h.dimms = 2;
  const auto two = run_system("Hermes-partition", w, h);
  h.dimms = 8;
  const auto eight = run_system("Hermes-partition", w, h);
  CHECK(eight.seconds_decode <= two.seconds_decode);
}

TEST_CASE("split engine: a model that does not fit is reported, not simulated", "[sim][capacity]") {
  workload_config w;
  w.model = model_presets::falcon_40b();
  hardware_config h;
  h.dimms = 2;  // 64 GB of NDP-DIMMs for 80 GB of FP16 weights
  const auto r = run_system("Hermes", w, h);
  CHECK_FALSE(r.supported);
  CHECK_THAT(r.reason, Catch::Contains("Falcon-40B") && Catch::Contains("2 x"));
  CHECK(r.decode_tokens_per_second == 0.0);

  hardware_config tiny_gpu;
  tiny_gpu.gpu.memory_capacity = bytes(2e9);  // LLaMA2-70B's Wo alone is 10.7 GB
  const auto g = run_system("Hermes", workload_config{}, tiny_gpu);
  CHECK_FALSE(g.supported);
  CHECK_THAT(g.reason, Catch::Contains("output projections"));

  hardware_config none;
  none.dimms = 0;
  CHECK_FALSE(run_system("Hermes", tiny_workload(), none).supported);
}

TEST_CASE("split engine: bad workloads are rejected naming the field", "[sim][errors]") {
  auto w = tiny_workload();
  w.batch = 0;
  CHECK_THROWS_WITH(run_system("Hermes", w, small_gpu()), Catch::Contains("workload.batch"));
  w = tiny_workload();
  w.input_len = 200;
  w.output_len = 100;  // 300 > the tiny model's 256-token context
  CHECK_THROWS_WITH(run_system("Hermes", w, small_gpu()), Catch::Contains("context"));
  CHECK_THROWS_WITH(run_system("Hermez", tiny_workload(), small_gpu()),
                    Catch::Contains("Hermes-partition"));
}

TEST_CASE("split engine: Hermes-host computes the cold neurons on the CPU", "[sim][hermes-host]") {
  const auto host = run_system("Hermes-host", tiny_workload(), small_gpu());
  REQUIRE(host.supported);
  CHECK(host.dimms == 0);
  CHECK(host.breakdown.cold_link == 0_s);
  CHECK(host.neurons_remapped == 0);
}

TEST_CASE("split engine: batches compute the union of the sequences' neurons", "[sim][batch]") {
  auto w = tiny_workload();
  const auto one = run_system("Hermes-partition", w, small_gpu());
  w.batch = 4;
  const auto four = run_system("Hermes-partition", w, small_gpu());
  REQUIRE(four.supported);
  CHECK(four.true_density > one.true_density);       // the union of 4 inputs is denser
  CHECK(four.decode_tokens_per_second > one.decode_tokens_per_second);  // but weights are read once per batch
}

TEST_CASE("split engine: math mode computes and models the same time as timing-only", "[sim][math]") {
  auto w = tiny_workload();
  w.output_len = 4;
  w.batch = 2;
  const auto timing = run_system("Hermes", w, small_gpu());
  w.mode = execution_mode::math;
  const auto math = run_system("Hermes", w, small_gpu());
  REQUIRE(math.supported);
  CHECK(math.seconds_decode == timing.seconds_decode);
  CHECK(math.seconds_prefill == timing.seconds_prefill);
  CHECK(math.breakdown.gpu_compute == timing.breakdown.gpu_compute);
  CHECK(math.breakdown.near_memory_compute == timing.breakdown.near_memory_compute);
  CHECK(math.breakdown.pcie == timing.breakdown.pcie);
  CHECK(math.prediction_accuracy == timing.prediction_accuracy);

  // A model too large to hold is refused in math mode, by field name.
  workload_config big;
  big.mode = execution_mode::math;
  CHECK_THROWS_WITH(run_system("Hermes", big, hardware_config{}), Catch::Contains("workload.mode"));
}
