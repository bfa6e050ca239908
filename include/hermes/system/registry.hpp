#pragma once
// Every system the simulator knows, by name: what `hermes-sim --system NAME` accepts.
//
// The one place where names become types. A system is a function (workload, hardware) ->
// sim_result: the Hermes family instantiates the split engine (sim/split_engine.hpp) with
// different policies; the baselines are their own compositions of the same device policies
// (system/baselines.hpp). Adding a system is adding one entry here; no engine edit.
#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/text.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/host_memory.hpp"
#include "hermes/sim/invariants.hpp"
#include "hermes/sim/cost.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/baselines.hpp"
#include "hermes/system/hermes_family.hpp"
#include "hermes/map/layer_fill_mapper.hpp"
#include "hermes/map/random_mapper.hpp"
#include "hermes/map/online_adjuster.hpp"
#include "hermes/map/remapper.hpp"
#include "hermes/system/kernel_family.hpp"
#include "hermes/system/system_entry.hpp"

namespace hermes {

// The Hermes family: one engine, different policies (Sec IV, V-A, V-C). Each function returns
// the composition a name stands for; the entries below are what `hermes-sim --system` accepts.
namespace hermes_systems {

// Hermes: offline ILP placement, token+layer predictor, online hot/cold adjustment, window-based
// DIMM remapping (the full system, Sec IV).
[[nodiscard]] inline auto hermes() {
  return make_split_system<ndp_dimm>("Hermes", hermes_predictor_factory{}, engine_ilp_mapper(),
                                     hot_cold_adjustment_policy{}, window_remapping_policy{});
}
// Ablations (Sec V-C, Fig 14): each adds one mechanism to the previous one.
[[nodiscard]] inline auto random_placement() {
  return make_split_system<ndp_dimm>("Hermes-random", hermes_predictor_factory{}, random_mapper{random_mapper_seed},
                                     no_adjustment_policy{}, no_remapping_policy{});
}
[[nodiscard]] inline auto partition() {
  return make_split_system<ndp_dimm>("Hermes-partition", hermes_predictor_factory{}, engine_ilp_mapper(),
                                     no_adjustment_policy{}, no_remapping_policy{});
}
[[nodiscard]] inline auto adjustment() {
  return make_split_system<ndp_dimm>("Hermes-adjustment", hermes_predictor_factory{}, engine_ilp_mapper(),
                                     hot_cold_adjustment_policy{}, no_remapping_policy{});
}
// Fig 15: online adjustment driven by one half of the predictor only.
[[nodiscard]] inline auto token_adjustment() {
  return make_split_system<ndp_dimm>("Hermes-token-adjustment", hermes_predictor_factory{predictor_signals::token_only},
                                     engine_ilp_mapper(), hot_cold_adjustment_policy{}, no_remapping_policy{});
}
[[nodiscard]] inline auto layer_adjustment() {
  return make_split_system<ndp_dimm>("Hermes-layer-adjustment", layer_only_predictor_factory{}, engine_ilp_mapper(),
                                     hot_cold_adjustment_policy{}, no_remapping_policy{});
}
// Hermes-base (Sec V-A): NDP-DIMMs without activation sparsity; FC layers on the GPU while their
// weights fit, else on the NDP-DIMMs; all attention on the NDP-DIMMs.
[[nodiscard]] inline auto base() {
  return make_split_system<ndp_dimm>("Hermes-base", no_prediction_factory{}, layer_fill_mapper{},
                                     no_adjustment_policy{}, no_remapping_policy{});
}
// Hermes-host (Sec V-A): Hermes' scheduling with the cold neurons computed by the host CPU from
// host DRAM instead of NDP-DIMMs (the PowerInfer design point); one host: nothing to remap.
[[nodiscard]] inline auto host() {
  return make_split_system<host_cpu>("Hermes-host", hermes_predictor_factory{}, engine_ilp_mapper(),
                                     hot_cold_adjustment_policy{}, no_remapping_policy{});
}

}  // namespace hermes_systems

// Kernel-level systems (sim/kernel_engine.hpp, docs/systems.md): IANUS and its baselines (NPU
// machines that differ in memory layout and kernel mapper), H2M2 and its homogeneous baseline
// (memory-node machines that differ in nodes and buffer mapper), and a dense GPU.
namespace kernel_systems {

// IANUS: NPU + one unified PIM memory, FCs mapped by IANUS' Algorithm 1, PIM access scheduling.
[[nodiscard]] inline auto ianus() {
  return make_kernel_system("IANUS", npu_machine_factory{npu_memory_layout::unified}, pim_offload_mapper{});
}
// The same NPU with half plain GDDR6 and half PIM memory (FC weights in both), same mapper and scheduler.
[[nodiscard]] inline auto ianus_partitioned() {
  return make_kernel_system("IANUS-partitioned", npu_machine_factory{npu_memory_layout::partitioned},
                            pim_offload_mapper{});
}
// NPU-MEM: the same NPU with plain GDDR6 only: every FC on the matrix unit.
[[nodiscard]] inline auto npu_mem() {
  return make_kernel_system("NPU-MEM", npu_machine_factory{npu_memory_layout::plain},
                            fixed_fc_mapper{target_role::matrix});
}
// IANUS' machine with a fixed FC mapping instead of Algorithm 1 (the attention products still
// placed by estimate, as Algorithm 1 places them: the comparison differs in the FCs alone).
[[nodiscard]] inline auto ianus_all_pim() {
  return make_kernel_system("IANUS-all-PIM", npu_machine_factory{npu_memory_layout::unified},
                            fixed_fc_mapper{target_role::in_memory, true});
}
[[nodiscard]] inline auto ianus_all_mu() {
  return make_kernel_system("IANUS-all-MU", npu_machine_factory{npu_memory_layout::unified},
                            fixed_fc_mapper{target_role::matrix, true});
}
// Every kernel densely on one GPU (hardware.gpu; IANUS compares with an A100-80GB).
[[nodiscard]] inline auto gpu_dense() {
  return make_kernel_system("GPU-dense", gpu_node_machine_factory{}, memory_compute_mapper{});
}
// H2M2: a bandwidth-centric and a capacity-centric memory node, each computing the kernels whose
// buffers it holds; the buffer placement re-planned every decode step as the KV cache grows.
[[nodiscard]] inline auto h2m2() {
  return make_kernel_system("H2M2", memory_node_machine_factory{true}, memory_compute_mapper{},
                            greedy_kernel_memory_mapper{}, 1);
}
// The homogeneous baseline: the capacity-centric (LPDDR) node alone.
[[nodiscard]] inline auto lpddr_only() {
  return make_kernel_system("LPDDR-only", memory_node_machine_factory{false}, memory_compute_mapper{});
}

}  // namespace kernel_systems

// All systems, in the order reports list them.
inline const std::vector<system_entry>& all_systems() {
  static const std::vector<system_entry> systems = [] {
    std::vector<system_entry> s;
    s.push_back(split_entry(hermes_systems::hermes(),
        "GPU + NDP-DIMMs: ILP placement, token+layer predictor, hot/cold adjustment, DIMM remapping"));
    s.push_back(split_entry(hermes_systems::random_placement(),
        "ablation: random offline placement, no online scheduling"));
    s.push_back(split_entry(hermes_systems::partition(),
        "ablation: ILP offline placement only"));
    s.push_back(split_entry(hermes_systems::adjustment(),
        "ablation: ILP + online hot/cold adjustment"));
    s.push_back(split_entry(hermes_systems::token_adjustment(),
        "ablation: adjustment driven by the token-wise predictor only"));
    s.push_back(split_entry(hermes_systems::layer_adjustment(),
        "ablation: adjustment driven by the layer-wise predictor only"));
    s.push_back(split_entry(hermes_systems::base(),
        "NDP-DIMMs without sparsity: FC layers on the GPU while they fit, else on the DIMMs"));
    s.push_back(split_entry(hermes_systems::host(),
        "Hermes scheduling with cold neurons on the host CPU (PowerInfer-style)"));
    for (system_entry& baseline : baseline_entries()) s.push_back(std::move(baseline));
    s.push_back(kernel_entry(kernel_systems::ianus(),
        "IANUS: NPU + unified PIM memory, FCs by Algorithm 1, PIM access scheduling",
        {"NPU-MEM", "IANUS-partitioned", "GPU-dense"}));
    s.push_back(kernel_entry(kernel_systems::ianus_partitioned(),
        "IANUS with partitioned memory: half plain GDDR6, half PIM (FC weights in both)"));
    s.push_back(kernel_entry(kernel_systems::npu_mem(),
        "NPU-MEM: IANUS' NPU with plain GDDR6, every FC on the matrix unit"));
    s.push_back(kernel_entry(kernel_systems::ianus_all_pim(), "IANUS with every FC on the PIM"));
    s.push_back(kernel_entry(kernel_systems::ianus_all_mu(), "IANUS with every FC on the matrix unit"));
    s.push_back(kernel_entry(kernel_systems::gpu_dense(),
        "every kernel densely on one GPU (hardware.gpu; IANUS compares with --gpu A100-80GB)"));
    s.push_back(kernel_entry(kernel_systems::h2m2(),
        "H2M2: bandwidth- and capacity-centric memory nodes with compute, buffers remapped as the KV cache grows",
        {"LPDDR-only"}));
    s.push_back(kernel_entry(kernel_systems::lpddr_only(),
        "homogeneous LPDDR: H2M2's capacity-centric memory node alone"));
    return s;
  }();
  return systems;
}

inline std::vector<std::string> system_names() {
  std::vector<std::string> n;
  for (const auto& s : all_systems()) n.push_back(s.name);
  return n;
}

// The system called `name` (case-insensitive); an unknown name lists the valid ones.
inline const system_entry& find_system(std::string_view name) {
  for (const auto& s : all_systems())
    if (lower_case(s.name) == lower_case(name)) return s;
  std::string valid;
  for (const auto& s : all_systems()) valid += (valid.empty() ? "" : ", ") + s.name;
  throw invalid_parameter("system", std::string(name), "one of: " + valid);
}

// Runs the system called `name`. Before anything is allocated the workload and hardware are
// validated and the run's host memory is estimated against the budget (sim/host_memory.hpp:
// resource_limit when it does not fit); a result whose modelled times are not finite is an
// invariant_violation, never returned.
inline sim_result run_system(std::string_view name, const workload_config& w, const hardware_config& h) {
  const system_entry& s = find_system(name);
  w.validate();
  h.validate();
  if (s.needs_activation_records) require_host_memory(w, h);
  sim_result r = s.run(w, h);
  require_finite_result(r);
  r.cost = price_run(r, price_presets::defaults());  // a caller with its own table prices again
  return r;
}

}  // namespace hermes
