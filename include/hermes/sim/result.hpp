#pragma once
// What one simulated run reports: throughput, the prefill/decode split, where the time went,
// and the scheduler's own figures. Every number comes out of the ledger of that run.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/kernel.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/predict/prediction_metrics.hpp"

namespace hermes {

// Busy time per kind of resource over the whole run (prefill + decode), read from the run's
// ledger by resource kind and stage (read_breakdown), whatever system produced it. Resources
// work in parallel, so these do not add up to the run time; they say which is the bottleneck.
struct time_breakdown {
  seconds gpu_compute{};               // the busiest compute resource (GPU): hot neurons, dense parts
  seconds near_memory_compute{};       // the busiest near-memory resource (an NDP-DIMM's core)
  seconds near_memory_compute_mean{};  // mean over the near-memory resources
  seconds host_compute{};              // the busiest host CPU, its predictor work not counted
  seconds pcie{};                      // link busy exchanging activations (Hermes: 2 x T_sync per layer)
  seconds pcie_weights{};              // link busy moving weights (offloading, hot-neuron copies, KV)
  seconds cold_link{};                 // busy of the links between cold devices (DIMM-links), summed: merges, remapping;
                                       // H2M2's buffer migrations between memory nodes
  seconds sync{};                      // fixed per-transfer latency of the exchanges (or all-reduces)
  seconds predictor{};                 // the activation predictor, on whichever resource runs it
  seconds prefill{};                   // wall time of the prefill phase

  [[nodiscard]] std::vector<std::pair<std::string, double>> items() const {
    return {{"gpu_compute", gpu_compute.value()},
            {"near_memory_compute", near_memory_compute.value()},
            {"near_memory_compute_mean", near_memory_compute_mean.value()},
            {"host_compute", host_compute.value()},
            {"pcie", pcie.value()},
            {"pcie_weights", pcie_weights.value()},
            {"cold_link", cold_link.value()},
            {"sync", sync.value()},
            {"predictor", predictor.value()},
            {"prefill", prefill.value()}};
  }
};

// The stage names the systems charge links with, by what they carry: what read_breakdown sums.
namespace stages {
inline constexpr std::string_view predictor = "predictor";
inline constexpr std::string_view activations = "pcie";  // activations exchanged every layer
inline constexpr std::string_view weight_stages[] = {"pcie_weights", "pcie_hot_copy", "pcie_prefill_weights",
                                                     "pcie_prefill_kv"};
inline constexpr std::string_view cold_link_stages[] = {"dimm_link", "dimm_link_remap", "migration"};
}  // namespace stages

// Fills every ledger-derived field of `b` (all but sync and prefill, which the run knows).
inline void read_breakdown(const ledger& l, time_breakdown& b) {
  seconds near_sum{};
  std::size_t near_count = 0;
  for (const resource_record& r : l.resources()) {
    const seconds predicting = r.stage_busy(stages::predictor);
    b.predictor += predicting;
    switch (r.kind) {
      case resource_kind::compute: b.gpu_compute = max(b.gpu_compute, r.busy); break;
      case resource_kind::near_memory:
        b.near_memory_compute = max(b.near_memory_compute, r.busy);
        near_sum += r.busy;
        ++near_count;
        break;
      case resource_kind::host: b.host_compute = max(b.host_compute, r.busy - predicting); break;
      case resource_kind::link:
        b.pcie += r.stage_busy(stages::activations);
        for (std::string_view s : stages::weight_stages) b.pcie_weights += r.stage_busy(s);
        for (std::string_view s : stages::cold_link_stages) b.cold_link += r.stage_busy(s);
        break;
      case resource_kind::memory: break;
    }
  }
  if (near_count > 0) b.near_memory_compute_mean = near_sum / static_cast<double>(near_count);
}

// Energy of a run, read from its ledger by read_energy: every resource's dynamic energy (what its
// charged work cost, device_cost::energy summed by the ledger) plus its static power (idle,
// DRAM background and refresh: ledger::set_static_power) over the run's wall time, prefill and
// decode. joules_per_token divides by the generated tokens (batch x output_len), like the
// end-to-end tokens/s. Per resource kind for the reports, per named resource for the curious;
// the kinds and the resources each add up to `joules` (tests/sim/test_energy.cpp).
struct resource_energy {
  std::string name;
  resource_kind kind = resource_kind::compute;
  double dynamic_joules = 0.0;
  double static_joules = 0.0;
  [[nodiscard]] double joules() const { return dynamic_joules + static_joules; }
};

struct energy_report {
  bool measured = false;          // false: the run was not simulated (not supported)
  double joules = 0.0;            // the whole run, every resource
  double static_joules = 0.0;     // of which static (idle, background) power over the wall time
  double joules_per_token = 0.0;  // joules / generated tokens
  std::vector<resource_energy> resources;  // one per ledger resource (times its replicas)

  // Joules per resource kind (resource_kind's names: compute = GPUs, near_memory = NDP-DIMMs
  // (DRAM and core), host, link, memory), every kind listed so that reports have fixed columns.
  [[nodiscard]] std::vector<std::pair<std::string, double>> by_kind() const {
    constexpr resource_kind kinds[] = {resource_kind::compute, resource_kind::near_memory, resource_kind::host,
                                       resource_kind::link, resource_kind::memory};
    std::vector<std::pair<std::string, double>> out;
    for (const resource_kind k : kinds) {
      double j = 0.0;
      for (const auto& r : resources)
        if (r.kind == k) j += r.joules();
      out.emplace_back(std::string(to_string(k)), j);
    }
    return out;
  }
};

// Fills `e` from ledger `l` of a run of `wall` seconds that generated `tokens` tokens. `replicas`
// multiplies every resource: a system that simulates one representative of identical devices in
// lock step (TensorRT-LLM's ranks) reports the energy of all of them.
inline void read_energy(const ledger& l, seconds wall, double tokens, energy_report& e, double replicas = 1.0) {
  e = energy_report{};
  e.measured = true;
  for (const resource_record& r : l.resources()) {
    resource_energy x;
    x.name = r.name;
    x.kind = r.kind;
    x.dynamic_joules = r.energy.value() * replicas;
    x.static_joules = (r.static_power * wall).value() * replicas;
    e.joules += x.joules();
    e.static_joules += x.static_joules;
    e.resources.push_back(std::move(x));
  }
  e.joules_per_token = tokens > 0.0 ? e.joules / tokens : 0.0;
}

// Prices of a run's hardware (sim/cost.hpp computes it from a price table). tokens/s per
// thousand dollars uses the decode tokens/s (the headline figure); dollars per million tokens
// the end-to-end tokens/s and the whole run's energy: hardware amortised over its lifetime at
// its utilisation, plus the energy at the power price.
struct cost_report {
  bool priced = false;
  std::string unpriced_reason;  // when !priced: which price the table lacks
  double hardware_usd = 0.0;
  double tokens_per_second_per_kusd = 0.0;
  double usd_per_million_tokens = 0.0;
  double hardware_usd_per_million_tokens = 0.0;  // the amortisation part
  double energy_usd_per_million_tokens = 0.0;    // the electricity part
};

// What a run's machine is made of, for pricing: GPUs (model and count), NDP-DIMMs, host CPUs.
struct hardware_inventory {
  std::string gpu_model;
  std::size_t gpus = 0;
  std::size_t ndp_dimms = 0;
  std::size_t hosts = 0;
  // Parts the price table cannot price (an NPU, PIM memory, memory nodes): a machine that has
  // any is reported unpriced naming them, never priced as its other parts alone.
  std::vector<std::string> unpriced_parts;
};

// Algorithm 1's load, per remapping window of the decode: for every layer stage (QKV or MLP of a
// layer, stage 2l and 2l + 1) and NDP-DIMM, how many activations (true firings, union over the
// batch) of the neurons that DIMM computes fell in the window. Reports derive load-balance
// figures from it (most loaded vs other DIMMs, per-window spread); empty for systems without
// NDP-DIMMs. Not part of to_json() (io/result_json.hpp): it is bulk data, not a scalar of the run.
struct dimm_window_loads {
  std::size_t window_tokens = 0;  // tokens per window (the last window may be shorter)
  std::size_t windows = 0;
  std::size_t stages = 0;
  std::size_t dimms = 0;
  std::vector<double> loads;  // [window][stage][dimm]

  dimm_window_loads() = default;
  dimm_window_loads(std::size_t window_tokens_, std::size_t windows_, std::size_t stages_, std::size_t dimms_)
      : window_tokens(window_tokens_), windows(windows_), stages(stages_), dimms(dimms_),
        loads(windows_ * stages_ * dimms_, 0.0) {}
  [[nodiscard]] bool empty() const { return loads.empty(); }
  // The `dimms` loads of one stage in one window.
  [[nodiscard]] double* of(std::size_t window, std::size_t stage) {
    return loads.data() + (window * stages + stage) * dimms;
  }
  [[nodiscard]] const double* of(std::size_t window, std::size_t stage) const {
    return loads.data() + (window * stages + stage) * dimms;
  }
};

struct sim_result {
  std::string model;
  std::string system;
  std::string gpu;
  std::size_t dimms = 0;
  std::size_t batch = 0;
  std::size_t input_len = 0;
  std::size_t output_len = 0;

  bool supported = true;
  std::string reason;  // why the system cannot run this model (when !supported)

  seconds seconds_prefill{};
  seconds seconds_decode{};
  // Throughput. The paper's metric is the end-to-end one (Sec V-A4); reports and speedups use it.
  double end_to_end_tokens_per_second = 0.0;  // generated tokens (all sequences) / (prefill + decode)
  double decode_tokens_per_second = 0.0;      // generated tokens / decode time, prefill excluded
  time_breakdown breakdown{};

  // Per generated token, averaged: the time of the attention (QKV..projection) and MLP stages
  // summed over layers (the paper's ablation compares MLP latency, Fig 14).
  seconds attention_latency_per_token{};
  seconds mlp_latency_per_token{};

  // Kernel-level systems (sim/kernel_engine.hpp): decode time per kernel kind (core/kernel.hpp,
  // indexed by kernel_kind), the kernel latencies summed over every decode step.
  bool has_kernel_times = false;
  std::array<double, kernel_kind_count> decode_kernel_seconds{};
  [[nodiscard]] double decode_seconds_of(kernel_kind k) const {
    return decode_kernel_seconds[static_cast<std::size_t>(k)];
  }

  // NDP-DIMM load balance during decode: busiest DIMM's busy time / mean DIMM busy time.
  double cold_load_imbalance = 0.0;

  // Predictor quality over the decode (empty for dense systems).
  bool has_prediction = false;
  double prediction_accuracy = 0.0;
  double prediction_recall = 0.0;
  double prediction_precision = 0.0;
  double predicted_density = 0.0;
  double true_density = 0.0;
  bytes predictor_table{};
  double attention_accuracy = 0.0, attention_recall = 0.0, attention_precision = 0.0;
  double ffn_accuracy = 0.0, ffn_recall = 0.0, ffn_precision = 0.0;
  double ffn_true_density = 0.0, ffn_predicted_density = 0.0;
  double attention_true_density = 0.0, attention_predicted_density = 0.0;  // QKV-input neurons

  // Offline placement (systems that place neurons).
  bool has_placement = false;
  std::string placement_method;
  seconds placement_objective{};
  seconds placement_lower_bound{};
  double placement_gap = 0.0;
  double placement_solve_seconds = 0.0;  // host wall time of the mapper (not modelled time)
  bool placement_time_limit_reached = false;  // CBC stopped on time: not reproducible elsewhere
  bool placement_cbc_ran = false;         // false: no ILP solve (not an ILP system, or within target)
  double placement_target_gap = 0.0;      // the accepted gap to the LP bound (ilp_options)

  // Host time the simulator itself spent (wall clock, not modelled time): generating or reading
  // activations, solving the offline placement, and simulating prefill + decode.
  double host_seconds_activations = 0.0;
  double host_seconds_placement = 0.0;
  double host_seconds_simulation = 0.0;

  // Per-window, per-stage, per-DIMM activation load during decode (NDP-DIMM systems only).
  dimm_window_loads window_loads{};

  // Online scheduler activity.
  std::size_t hot_neurons_promoted = 0;
  std::size_t neurons_remapped = 0;

  // Energy (read_energy / record_energy), the machine's inventory and its cost (sim/cost.hpp).
  energy_report energy{};
  hardware_inventory hardware{};
  cost_report cost{};

  [[nodiscard]] static sim_result unsupported(std::string model, std::string system,
                                              std::string why) {
    sim_result r;
    r.model = std::move(model);
    r.system = std::move(system);
    r.supported = false;
    r.reason = std::move(why);
    return r;
  }
};

// Fills r.energy from the run's ledger: wall time prefill + decode, tokens batch x output_len.
inline void record_energy(sim_result& r, const ledger& l, double replicas = 1.0) {
  read_energy(l, r.seconds_prefill + r.seconds_decode, static_cast<double>(r.batch * r.output_len), r.energy,
              replicas);
}

// Fills the predictor figures of a result from a run's metrics and the predictor's table size.
inline void record_prediction(sim_result& r, const prediction_metrics& m, bytes table) {
  r.has_prediction = true;
  r.prediction_accuracy = m.accuracy();
  r.prediction_recall = m.recall();
  r.prediction_precision = m.precision();
  r.predicted_density = m.predicted_density();
  r.true_density = m.true_density();
  r.predictor_table = table;
  const auto& fa = m.of(layer_kind::attention);
  const auto& ff = m.of(layer_kind::ffn);
  r.attention_accuracy = fa.accuracy();
  r.attention_recall = fa.recall();
  r.attention_precision = fa.precision();
  r.ffn_accuracy = ff.accuracy();
  r.ffn_recall = ff.recall();
  r.ffn_precision = ff.precision();
  r.ffn_true_density = ff.true_density();
  r.ffn_predicted_density = ff.predicted_density();
  r.attention_true_density = fa.true_density();
  r.attention_predicted_density = fa.predicted_density();
}

}  // namespace hermes
