// The lossless encoding of simulated runs that `mpirun -n N hermes-sim reproduce` sends between
// processes (hermes_apps/result_codec.hpp): a result with every field set to a distinct,
// awkward value comes back the same, field by field and bit for bit; damaged data is refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "hermes/io/result_json.hpp"
#include "hermes_apps/result_codec.hpp"

using namespace hermes;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Every field set, no two numbers alike, values that a decimal round trip at default precision
// would change (1/3, 0.1 + 0.2, a subnormal, -0.0, infinity, the largest size_t).
sim_result populated() {
  double x = 1.0 / 3.0;
  const auto next = [&x] { return x = x * 1.0000001 + 0.1 + 0.2; };
  sim_result r;
  r.model = "OPT 13B: \"quoted\"\nline two";
  r.system = "Hermes";
  r.gpu = "RTX 4090";
  r.dimms = 8;
  r.batch = 16;
  r.input_len = 64;
  r.output_len = std::numeric_limits<std::size_t>::max();
  r.supported = false;
  r.reason = "12:colons and spaces ";
  r.seconds_prefill = seconds(next());
  r.seconds_decode = seconds(-0.0);
  r.end_to_end_tokens_per_second = std::numeric_limits<double>::infinity();
  r.decode_tokens_per_second = std::numeric_limits<double>::denorm_min();
  r.breakdown.gpu_compute = seconds(next());
  r.breakdown.near_memory_compute = seconds(next());
  r.breakdown.near_memory_compute_mean = seconds(next());
  r.breakdown.host_compute = seconds(next());
  r.breakdown.pcie = seconds(next());
  r.breakdown.pcie_weights = seconds(next());
  r.breakdown.cold_link = seconds(next());
  r.breakdown.sync = seconds(next());
  r.breakdown.predictor = seconds(next());
  r.breakdown.prefill = seconds(next());
  r.attention_latency_per_token = seconds(next());
  r.mlp_latency_per_token = seconds(next());
  r.has_kernel_times = true;
  for (auto& k : r.decode_kernel_seconds) k = next();
  r.cold_load_imbalance = next();
  r.has_prediction = true;
  r.prediction_accuracy = next();
  r.prediction_recall = next();
  r.prediction_precision = next();
  r.predicted_density = next();
  r.true_density = next();
  r.predictor_table = bytes(next());
  r.attention_accuracy = next();
  r.attention_recall = next();
  r.attention_precision = next();
  r.ffn_accuracy = next();
  r.ffn_recall = next();
  r.ffn_precision = next();
  r.ffn_true_density = next();
  r.ffn_predicted_density = next();
  r.attention_true_density = next();
  r.attention_predicted_density = next();
  r.has_placement = true;
  r.placement_method = "ilp";
  r.placement_objective = seconds(next());
  r.placement_lower_bound = seconds(next());
  r.placement_gap = next();
  r.placement_solve_seconds = next();
  r.placement_time_limit_reached = true;
  r.placement_cbc_ran = true;
  r.placement_target_gap = next();
  r.host_seconds_activations = next();
  r.host_seconds_placement = next();
  r.host_seconds_simulation = next();
  r.window_loads = dimm_window_loads(5, 2, 3, 4);
  for (auto& l : r.window_loads.loads) l = next();
  r.hot_neurons_promoted = 123456789;
  r.neurons_remapped = 987654321;
  r.energy.measured = true;
  r.energy.joules = next();
  r.energy.static_joules = next();
  r.energy.joules_per_token = next();
  r.energy.resources = {{"gpu", resource_kind::compute, next(), next()},
                        {"dimm 0", resource_kind::near_memory, next(), next()},
                        {"", resource_kind::host, next(), next()}};
  r.hardware = {"RTX 4090", 1, 8, 1, {"NPU x", "PIM y"}};
  r.cost.priced = true;
  r.cost.unpriced_reason = "none";
  r.cost.hardware_usd = next();
  r.cost.tokens_per_second_per_kusd = next();
  r.cost.usd_per_million_tokens = next();
  r.cost.hardware_usd_per_million_tokens = next();
  r.cost.energy_usd_per_million_tokens = next();
  return r;
}

}  // namespace

TEST_CASE("result codec: a fully populated result comes back bit for bit", "[apps][codec]") {
  const sim_result a = populated();
  const std::vector<apps::coded_run> sent{{a, 1.0 / 7.0, 2.0 / 7.0}, {sim_result::unsupported("m", "s", ""), 0.0, 0.0}};
  const std::vector<apps::coded_run> got = apps::decode_runs(apps::encode_runs(sent));
  REQUIRE(got.size() == 2);
  CHECK(same_bits(got[0].wall_seconds, 1.0 / 7.0));
  CHECK(same_bits(got[0].cpu_seconds, 2.0 / 7.0));
  const sim_result& b = got[0].result;
  const auto bits = [](double u, double v) { return same_bits(u, v); };
  CHECK(b.model == a.model);
  CHECK(b.system == a.system);
  CHECK(b.gpu == a.gpu);
  CHECK(b.dimms == a.dimms);
  CHECK(b.batch == a.batch);
  CHECK(b.input_len == a.input_len);
  CHECK(b.output_len == a.output_len);
  CHECK(b.supported == a.supported);
  CHECK(b.reason == a.reason);
  CHECK(bits(b.seconds_prefill.value(), a.seconds_prefill.value()));
  CHECK(bits(b.seconds_decode.value(), a.seconds_decode.value()));
  CHECK(std::signbit(b.seconds_decode.value()));
  CHECK(bits(b.end_to_end_tokens_per_second, a.end_to_end_tokens_per_second));
  CHECK(bits(b.decode_tokens_per_second, a.decode_tokens_per_second));
  const auto bi = b.breakdown.items(), ai = a.breakdown.items();
  REQUIRE(bi.size() == ai.size());
  for (std::size_t i = 0; i < ai.size(); ++i) {
    INFO(ai[i].first);
    CHECK(bi[i].first == ai[i].first);
    CHECK(bits(bi[i].second, ai[i].second));
  }
  CHECK(bits(b.attention_latency_per_token.value(), a.attention_latency_per_token.value()));
  CHECK(bits(b.mlp_latency_per_token.value(), a.mlp_latency_per_token.value()));
  CHECK(b.has_kernel_times == a.has_kernel_times);
  for (std::size_t k = 0; k < a.decode_kernel_seconds.size(); ++k)
    CHECK(bits(b.decode_kernel_seconds[k], a.decode_kernel_seconds[k]));
  CHECK(b.hardware.unpriced_parts == a.hardware.unpriced_parts);
  CHECK(b.hardware.unpriced_parts.size() == 2);
  CHECK(b.has_prediction == a.has_prediction);
  CHECK(bits(b.prediction_accuracy, a.prediction_accuracy));
  CHECK(bits(b.prediction_recall, a.prediction_recall));
  CHECK(bits(b.prediction_precision, a.prediction_precision));
  CHECK(bits(b.predicted_density, a.predicted_density));
  CHECK(bits(b.true_density, a.true_density));
  CHECK(bits(b.predictor_table.value(), a.predictor_table.value()));
  CHECK(bits(b.attention_accuracy, a.attention_accuracy));
  CHECK(bits(b.attention_recall, a.attention_recall));
  CHECK(bits(b.attention_precision, a.attention_precision));
  CHECK(bits(b.ffn_accuracy, a.ffn_accuracy));
  CHECK(bits(b.ffn_recall, a.ffn_recall));
  CHECK(bits(b.ffn_precision, a.ffn_precision));
  CHECK(bits(b.ffn_true_density, a.ffn_true_density));
  CHECK(bits(b.ffn_predicted_density, a.ffn_predicted_density));
  CHECK(bits(b.attention_true_density, a.attention_true_density));
  CHECK(bits(b.attention_predicted_density, a.attention_predicted_density));
  CHECK(b.has_placement == a.has_placement);
  CHECK(b.placement_method == a.placement_method);
  CHECK(bits(b.placement_objective.value(), a.placement_objective.value()));
  CHECK(bits(b.placement_lower_bound.value(), a.placement_lower_bound.value()));
  CHECK(bits(b.placement_gap, a.placement_gap));
  CHECK(bits(b.placement_solve_seconds, a.placement_solve_seconds));
  CHECK(b.placement_time_limit_reached == a.placement_time_limit_reached);
  CHECK(b.placement_cbc_ran == a.placement_cbc_ran);
  CHECK(bits(b.placement_target_gap, a.placement_target_gap));
  CHECK(bits(b.host_seconds_activations, a.host_seconds_activations));
  CHECK(bits(b.host_seconds_placement, a.host_seconds_placement));
  CHECK(bits(b.host_seconds_simulation, a.host_seconds_simulation));
  CHECK(b.window_loads.window_tokens == a.window_loads.window_tokens);
  CHECK(b.window_loads.windows == a.window_loads.windows);
  CHECK(b.window_loads.stages == a.window_loads.stages);
  CHECK(b.window_loads.dimms == a.window_loads.dimms);
  REQUIRE(b.window_loads.loads.size() == a.window_loads.loads.size());
  for (std::size_t i = 0; i < a.window_loads.loads.size(); ++i) CHECK(bits(b.window_loads.loads[i], a.window_loads.loads[i]));
  CHECK(b.hot_neurons_promoted == a.hot_neurons_promoted);
  CHECK(b.neurons_remapped == a.neurons_remapped);
  CHECK(b.energy.measured == a.energy.measured);
  CHECK(bits(b.energy.joules, a.energy.joules));
  CHECK(bits(b.energy.static_joules, a.energy.static_joules));
  CHECK(bits(b.energy.joules_per_token, a.energy.joules_per_token));
  REQUIRE(b.energy.resources.size() == a.energy.resources.size());
  for (std::size_t i = 0; i < a.energy.resources.size(); ++i) {
    CHECK(b.energy.resources[i].name == a.energy.resources[i].name);
    CHECK(b.energy.resources[i].kind == a.energy.resources[i].kind);
    CHECK(bits(b.energy.resources[i].dynamic_joules, a.energy.resources[i].dynamic_joules));
    CHECK(bits(b.energy.resources[i].static_joules, a.energy.resources[i].static_joules));
  }
  CHECK(b.hardware.gpu_model == a.hardware.gpu_model);
  CHECK(b.hardware.gpus == a.hardware.gpus);
  CHECK(b.hardware.ndp_dimms == a.hardware.ndp_dimms);
  CHECK(b.hardware.hosts == a.hardware.hosts);
  CHECK(b.cost.priced == a.cost.priced);
  CHECK(b.cost.unpriced_reason == a.cost.unpriced_reason);
  CHECK(bits(b.cost.hardware_usd, a.cost.hardware_usd));
  CHECK(bits(b.cost.tokens_per_second_per_kusd, a.cost.tokens_per_second_per_kusd));
  CHECK(bits(b.cost.usd_per_million_tokens, a.cost.usd_per_million_tokens));
  CHECK(bits(b.cost.hardware_usd_per_million_tokens, a.cost.hardware_usd_per_million_tokens));
  CHECK(bits(b.cost.energy_usd_per_million_tokens, a.cost.energy_usd_per_million_tokens));
  // Whatever the JSON output shows (a check that a field added there is added here too).
  CHECK(to_json(b).dump() == to_json(a).dump());
  CHECK(to_json(got[1].result).dump() == to_json(sent[1].result).dump());
  // NaN travels too.
  sim_result n;
  n.cold_load_imbalance = std::numeric_limits<double>::quiet_NaN();
  CHECK(std::isnan(apps::decode_runs(apps::encode_runs({{n, 0.0, 0.0}}))[0].result.cold_load_imbalance));
}

TEST_CASE("result codec: damaged data is refused with the offset", "[apps][codec]") {
  const std::string good = apps::encode_runs({{populated(), 1.0, 2.0}});
  CHECK(apps::decode_runs(good).size() == 1);
  CHECK_THROWS_WITH(apps::decode_runs(good.substr(0, good.size() / 2)), Catch::Contains("decoding simulated runs: at byte"));
  CHECK_THROWS_WITH(apps::decode_runs("other/1 0 "), Catch::Contains("expected hermes-runs/2"));
  CHECK_THROWS_WITH(apps::decode_runs(good + "x"), Catch::Contains("data left"));
  CHECK_THROWS_WITH(apps::decode_runs("hermes-runs/2 99999 "), Catch::Contains("a count no larger than the data left"));
  CHECK_THROWS_WITH(apps::decode_runs("hermes-runs/2 99999999999999999999999 "), Catch::Contains("fits a size_t"));
  CHECK(apps::decode_runs(apps::encode_runs({})).empty());
}
