#pragma once
// A simulated run (sim/result.hpp) as one JSON object: what `hermes-sim --json` prints and what
// the sweep flattens into CSV columns. Every scalar of sim_result, with the prediction and
// placement figures as sub-objects when the run has them; the per-window DIMM loads (bulk data)
// are left out. "energy" and "cost" are always there (null numbers when the run was not simulated
// or its hardware is not priced), so that the sweep's CSV has the same columns for every run:
//   "energy": {"joules_per_token", "joules", "static_joules",
//              "by_resource": {"compute", "near_memory", "host", "link", "memory"}}   (joules)
//   "cost":   {"hardware_usd", "tokens_per_second_per_kusd", "usd_per_million_tokens",
//              "hardware_usd_per_million_tokens", "energy_usd_per_million_tokens", "unpriced_reason"}
#include "hermes/io/json.hpp"
#include "hermes/sim/result.hpp"

namespace hermes {

[[nodiscard]] inline nlohmann::json to_json(const energy_report& e) {
  const auto number = [&](double v) { return e.measured ? nlohmann::json(v) : nlohmann::json(); };
  nlohmann::json by = nlohmann::json::object();
  for (const auto& [kind, joules] : e.by_kind()) by[kind] = number(joules);
  return {{"joules_per_token", number(e.joules_per_token)},
          {"joules", number(e.joules)},
          {"static_joules", number(e.static_joules)},
          {"by_resource", by}};
}

[[nodiscard]] inline nlohmann::json to_json(const cost_report& c) {
  const auto number = [&](double v) { return c.priced ? nlohmann::json(v) : nlohmann::json(); };
  return {{"hardware_usd", number(c.hardware_usd)},
          {"tokens_per_second_per_kusd", number(c.tokens_per_second_per_kusd)},
          {"usd_per_million_tokens", number(c.usd_per_million_tokens)},
          {"hardware_usd_per_million_tokens", number(c.hardware_usd_per_million_tokens)},
          {"energy_usd_per_million_tokens", number(c.energy_usd_per_million_tokens)},
          {"unpriced_reason", c.unpriced_reason}};
}

[[nodiscard]] inline nlohmann::json to_json(const sim_result& r) {
  nlohmann::json j;
  j["model"] = r.model;
  j["system"] = r.system;
  j["gpu"] = r.gpu;
  j["dimms"] = r.dimms;
  j["batch"] = r.batch;
  j["input_len"] = r.input_len;
  j["output_len"] = r.output_len;
  j["supported"] = r.supported;
  j["reason"] = r.reason;
  j["decode_tokens_per_second"] = r.decode_tokens_per_second;
  j["end_to_end_tokens_per_second"] = r.end_to_end_tokens_per_second;
  j["seconds_prefill"] = r.seconds_prefill.value();
  j["seconds_decode"] = r.seconds_decode.value();
  nlohmann::json b = nlohmann::json::object();
  for (const auto& [k, v] : r.breakdown.items()) b[k] = v;
  j["breakdown"] = b;
  j["attention_latency_per_token"] = r.attention_latency_per_token.value();
  j["mlp_latency_per_token"] = r.mlp_latency_per_token.value();
  if (r.has_kernel_times) {  // kernel-level systems only: other results keep their fields
    nlohmann::json k = nlohmann::json::object();
    for (std::size_t i = 0; i < kernel_kind_count; ++i)
      k[std::string(to_string(static_cast<kernel_kind>(i)))] = r.decode_kernel_seconds[i];
    j["decode_kernel_seconds"] = std::move(k);
  }
  j["cold_load_imbalance"] = r.cold_load_imbalance;
  if (r.has_prediction) {
    j["prediction"] = {{"accuracy", r.prediction_accuracy},   {"recall", r.prediction_recall},
                       {"precision", r.prediction_precision}, {"predicted_density", r.predicted_density},
                       {"true_density", r.true_density},      {"table_bytes", r.predictor_table.value()},
                       {"attention_accuracy", r.attention_accuracy},
                       {"attention_recall", r.attention_recall}, {"attention_precision", r.attention_precision},
                       {"attention_true_density", r.attention_true_density},
                       {"attention_predicted_density", r.attention_predicted_density},
                       {"ffn_accuracy", r.ffn_accuracy},
                       {"ffn_recall", r.ffn_recall},          {"ffn_precision", r.ffn_precision},
                       {"ffn_true_density", r.ffn_true_density}, {"ffn_predicted_density", r.ffn_predicted_density}};
  }
  if (r.has_placement) {
    j["placement"] = {{"method", r.placement_method},
                      {"objective_seconds", r.placement_objective.value()},
                      {"lower_bound_seconds", r.placement_lower_bound.value()},
                      {"gap", r.placement_gap},
                      {"solve_seconds", r.placement_solve_seconds},
                      {"cbc_time_limit_reached", r.placement_time_limit_reached},
                      {"cbc_ran", r.placement_cbc_ran},
                      {"target_gap", r.placement_target_gap}};
  }
  j["host_seconds"] = {{"activations", r.host_seconds_activations},
                       {"placement", r.host_seconds_placement},
                       {"simulation", r.host_seconds_simulation}};
  j["hot_neurons_promoted"] = r.hot_neurons_promoted;
  j["neurons_remapped"] = r.neurons_remapped;
  j["energy"] = to_json(r.energy);
  j["cost"] = to_json(r.cost);
  return j;
}

}  // namespace hermes
