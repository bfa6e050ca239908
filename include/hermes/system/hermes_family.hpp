#pragma once
// Hermes and the systems built from its parts (Sec V-A, V-C): the same split engine with other
// policies. Each is a value of split_system_options; the names are the paper's.
#include <string>
#include <string_view>

#include "hermes/core/error.hpp"
#include "hermes/sim/split_engine.hpp"

namespace hermes {

namespace hermes_systems {

// Hermes: offline ILP placement, token+layer predictor, online hot/cold adjustment, window-based
// DIMM remapping (the full system, Sec IV).
inline split_system_options hermes() { return {}; }

// Ablations (Sec V-C, Fig 14): each adds one mechanism to the previous one.
inline split_system_options random_placement() {
  split_system_options o;
  o.name = "Hermes-random";
  o.offline = offline_policy::random;
  o.online_adjustment = false;
  o.window_remapping = false;
  return o;
}
inline split_system_options partition() {
  split_system_options o;
  o.name = "Hermes-partition";
  o.online_adjustment = false;
  o.window_remapping = false;
  return o;
}
inline split_system_options adjustment() {
  split_system_options o;
  o.name = "Hermes-adjustment";
  o.window_remapping = false;
  return o;
}
// Fig 15: online adjustment driven by one half of the predictor only.
inline split_system_options token_adjustment() {
  split_system_options o = adjustment();
  o.name = "Hermes-token-adjustment";
  o.predictor = predictor_policy::token_only;
  return o;
}
inline split_system_options layer_adjustment() {
  split_system_options o = adjustment();
  o.name = "Hermes-layer-adjustment";
  o.predictor = predictor_policy::layer_only;
  return o;
}
// Hermes-base (Sec V-A): NDP-DIMMs without activation sparsity; FC layers on the GPU while their
// weights fit, else on the NDP-DIMMs; all attention on the NDP-DIMMs.
inline split_system_options base() {
  split_system_options o;
  o.name = "Hermes-base";
  o.offline = offline_policy::layer_fill;
  o.predictor = predictor_policy::dense;
  o.online_adjustment = false;
  o.window_remapping = false;
  return o;
}
// Hermes-host (Sec V-A): Hermes' scheduling with the cold neurons computed by the host CPU from
// host DRAM instead of NDP-DIMMs (the PowerInfer design point).
inline split_system_options host() {
  split_system_options o;
  o.name = "Hermes-host";
  o.window_remapping = false;  // one host: nothing to balance
  return o;
}

}  // namespace hermes_systems

// Runs a split system on NDP-DIMMs (or, for Hermes-host, on the host CPU).
inline sim_result run_split(const split_system_options& o, const workload_config& w, const hardware_config& h) {
  if (o.name == "Hermes-host")
    return run_split_system<host_cpu>(w, h, o, h.host, 1, "cpu");
  return run_split_system<ndp_dimm>(w, h, o, h.dimm, h.dimms, "dimm");
}

}  // namespace hermes
