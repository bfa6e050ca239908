#pragma once
// The parts the Hermes family is composed of (Sec IV, V-A, V-C): the predictor factories, the
// engine's ILP settings, and which hardware fields describe each cold device kind. The
// compositions themselves, with their names, are registry entries (system/registry.hpp).
#include <cstddef>
#include <type_traits>

#include "hermes/device/host_cpu.hpp"
#include "hermes/device/ndp_dimm.hpp"
#include "hermes/map/ilp_mapper.hpp"
#include "hermes/predict/correlation_table.hpp"
#include "hermes/predict/hermes_predictor.hpp"
#include "hermes/predict/layer_only_predictor.hpp"
#include "hermes/predict/predictor.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/math_model.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/sim/split_engine.hpp"

namespace hermes {

// The Hermes predictor (Sec IV-C.1) with the given signals; its correlation table comes from the
// run's activations (the generator's ground truth, or estimated from a recorded profile). The
// token-only variant keeps no table, so none is built.
struct hermes_predictor_factory {
  predictor_signals signals = predictor_signals::token_and_layer;
  [[nodiscard]] hermes_predictor operator()(const predictor_context& c) const {
    hermes_predictor_params p;
    p.signals = signals;
    return hermes_predictor(
        c.layout, signals == predictor_signals::token_only ? correlation_table{} : c.activations.correlations(p.top_k),
        p);
  }
};

// The layer-only ablation (Fig 15): its last predicted hot set is what the adjuster reads.
struct layer_only_predictor_factory {
  [[nodiscard]] layer_only_predictor operator()(const predictor_context& c) const {
    const hermes_predictor_params p;
    return layer_only_predictor(c.layout, c.activations.correlations(p.top_k), p);
  }
};

// No predictor: every neuron is computed (Hermes-base).
struct no_prediction_factory {
  [[nodiscard]] no_prediction operator()(const predictor_context&) const { return {}; }
};

// CBC's budget per placement. The mapper always builds the LP-rounding + repair placement first
// (within 0.02% of the LP bound on LLaMA2-70B, docs/performance.md) and CBC only tries to improve
// it; the report carries the method, the bound, the gap and whether CBC ran.
// target_gap 1e-3: a placement proven within 0.1% of the LP bound is accepted without CBC. The
// profile is one 128-token input; on another input of the same model (the prompt) the profile's
// placement is 2.3% above that input's own bound, so a 0.1% tolerance is far below what the
// profile can tell apart (docs/parameters.md, "Mappers").
// When CBC runs it stops at a node limit, so a simulation is reproducible on any machine; the
// time limit is a safety net whose hit is reported (placement.cbc_time_limit_reached).
[[nodiscard]] inline ilp_mapper engine_ilp_mapper() {
  ilp_options i;
  i.max_nodes = 200;
  i.time_limit_seconds = 120.0;
  i.target_gap = 1e-3;
  return ilp_mapper(i);
}

// The seed of Hermes-random's mapper.
inline constexpr std::uint64_t random_mapper_seed = 7;

// Which hardware_config fields describe the cold devices of a kind: NDP-DIMMs are `dimm` x
// `dimms`, the host CPU is `host`, once.
[[nodiscard]] inline cold_devices<ndp_dimm_config> cold_devices_for(const hardware_config& h,
                                                                    std::type_identity<ndp_dimm>) {
  return {h.dimm, h.dimms};
}
[[nodiscard]] inline cold_devices<host_cpu_config> cold_devices_for(const hardware_config& h,
                                                                    std::type_identity<host_cpu>) {
  return {h.host, 1};
}

// Runs a split system on the cold devices `h` describes for its cold device kind, its stages
// timed only or also computed as `w.mode` says.
template <class System>
[[nodiscard]] sim_result run_split(const System& s, const workload_config& w, const hardware_config& h) {
  const auto cold = cold_devices_for(h, std::type_identity<typename System::cold_type>{});
  if (w.mode == execution_mode::math) return run_split_system<math_stages<>>(s, w, h, cold);
  return run_split_system<timing_stages>(s, w, h, cold);
}

}  // namespace hermes
