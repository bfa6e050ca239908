// Offline placement of a LLaMA2-70B-sized model (80 layers x (8192 attention + 28672 FFN)
// neurons) onto an RTX 4090 + 8 NDP-DIMMs: solve time, objective, LP bound and gap of each
// mapper. Target (issue 3): the ILP mapper within 1% of the LP bound in under 10 s on one core.
//
// The instance is synthetic where the paper gives no numbers; every input is derived below from
// a stated hardware or model parameter (see docs/performance.md, "Offline placement").
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "hermes/device/gpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/device/ndp_dimm.hpp"
#include "hermes/map/greedy_mapper.hpp"
#include "hermes/map/ilp_mapper.hpp"
#include "hermes/map/lp_rounding_mapper.hpp"
#include "hermes/map/random_mapper.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {

// LLaMA2-70B (config.json of meta-llama/Llama-2-70b-hf): hidden 8192, intermediate 28672,
// 64 query heads, 8 KV heads (head_dim 128), 80 layers, vocab 32000, FP16.
constexpr std::size_t layers = 80, hidden = 8192, ffn = 28672, kv_dim = 8 * 128, vocab = 32000;
constexpr double fp16 = 2.0;

// Synthetic power-law activation profile: the neuron of rank r fires with probability
// min(1, c / (r + 1)^alpha), c set so the mean matches the layer's density, ranks shuffled so the
// mapper has to sort. alpha = 1 gives the "about 20% of neurons carry about 80% of the
// activations" skew the paper reports (Sec II); densities follow ReLU-fied LLaMA2-70B
// (ProSparse / TurboSparse report ~90% FFN sparsity; the QKV input after the inserted ReLU is
// denser, taken as 40% active here).
std::vector<double> power_law(std::size_t n, double density, double alpha, std::mt19937_64& rng) {
  std::vector<double> shape(n);
  for (std::size_t r = 0; r < n; ++r) shape[r] = std::pow(static_cast<double>(r + 1), -alpha);
  // Find c with mean(min(1, c * shape)) = density by bisection (the cap makes it nonlinear).
  double lo = 0.0, hi = static_cast<double>(n);
  for (int it = 0; it < 100; ++it) {
    const double c = 0.5 * (lo + hi);
    double s = 0.0;
    for (double v : shape) s += std::min(1.0, c * v);
    (s / static_cast<double>(n) < density ? lo : hi) = c;
  }
  std::vector<double> f(n);
  for (std::size_t r = 0; r < n; ++r) f[r] = std::min(1.0, lo * shape[r]);
  std::shuffle(f.begin(), f.end(), rng);
  return f;
}

placement_problem llama2_70b_problem() {
  std::mt19937_64 rng(2025);
  // The project's device policies (docs/parameters.md, "devices"): RTX 4090 spec sheet with the
  // shared efficiencies, the Hermes Table II NDP-DIMM on DDR4-3200, PCIe 4.0 x16 as the paper
  // states it.
  const gpu rtx4090(gpu_presets::rtx4090());
  const ndp_dimm dimm(ndp_dimm_presets::hermes_table2());
  const hermes::link pcie(link_presets::pcie4_x16());

  placement_problem p;
  p.dimms = 8;                       // Sec V-A: 8 NDP-DIMMs
  p.dimm_capacity = dimm.capacity();  // 32 GB each
  // Hermes keeps the dense output projections (80 x 8192^2) and the LM head (32000 x 8192) on
  // the GPU; 1.5 GB is held back for the CUDA context, activations and the per-layer workspace
  // (a CUDA context on Ada takes 0.3-0.5 GB; the rest is headroom).
  const bytes dense = bytes(fp16 * (static_cast<double>(layers * hidden * hidden) +
                                    static_cast<double>(vocab * hidden)));
  p.gpu_capacity = rtx4090.capacity() - dense - bytes(1.5e9);
  // T_sync: the 16 KB layer input (or partial result) over PCIe, latency included.
  p.sync_time = pcie.transfer(bytes(fp16 * hidden)).time;
  // Per-activation times: the devices' steady-state GEMV cost over a whole layer of neurons.
  // An attention neuron is column i of Wq, Wk, Wv (8192 + 2 x 1024 values); an FFN neuron of the
  // ReLU-fied gated MLP is rows i of W1, W3 and column i of W2 (3 x 8192 values).
  const seconds att_gpu = per_activation_time(rtx4090, 1, hidden + 2 * kv_dim, hidden);
  const seconds att_dimm = per_activation_time(dimm, 1, hidden + 2 * kv_dim, hidden);
  const seconds ffn_gpu = per_activation_time(rtx4090, 3, hidden, ffn);
  const seconds ffn_dimm = per_activation_time(dimm, 3, hidden, ffn);
  const bytes attention_neuron = bytes(fp16 * static_cast<double>(hidden + 2 * kv_dim));
  const bytes ffn_neuron = bytes(fp16 * static_cast<double>(3 * hidden));
  for (std::size_t l = 0; l < layers; ++l) {
    placement_layer a;
    a.name = "layer " + std::to_string(l) + " attention";
    a.frequency = power_law(hidden, 0.40, 1.0, rng);
    a.neuron_bytes = attention_neuron;
    a.gpu_time_per_activation = att_gpu;
    a.dimm_time_per_activation = att_dimm;
    p.layers.push_back(std::move(a));
    placement_layer f;
    f.name = "layer " + std::to_string(l) + " ffn";
    f.frequency = power_law(ffn, 0.10, 1.0, rng);
    f.neuron_bytes = ffn_neuron;
    f.gpu_time_per_activation = ffn_gpu;
    f.dimm_time_per_activation = ffn_dimm;
    p.layers.push_back(std::move(f));
  }
  return p;
}

const placement_problem& problem() {
  static const placement_problem p = llama2_70b_problem();
  return p;
}

void report(benchmark::State& state, const placement_result& r) {
  const auto& p = problem();
  state.counters["t_sync_us"] = p.sync_time.value() * 1e6;
  state.counters["t_ffn_gpu_ns"] = p.layers[1].gpu_time_per_activation.value() * 1e9;
  state.counters["t_ffn_dimm_ns"] = p.layers[1].dimm_time_per_activation.value() * 1e9;
  state.counters["gpu_budget_GB"] = p.gpu_capacity.value() / 1e9;
  state.counters["objective_ms"] = r.objective.value() * 1e3;
  state.counters["lp_bound_ms"] = r.lower_bound.value() * 1e3;
  state.counters["gap_pct"] = r.gap * 100.0;
  state.counters["solve_s"] = r.solve_seconds;
  state.counters["cbc_s"] = r.cbc.seconds_used;
  state.counters["cbc_ran"] = r.cbc.ran ? 1.0 : 0.0;
  state.counters["cbc_binaries"] = static_cast<double>(r.cbc.binaries);
  state.counters["cbc_optimal"] = r.cbc.proven_optimal ? 1.0 : 0.0;
  state.counters["cbc_gap_pct"] =
      r.cbc.has_solution && r.cbc.best_bound.value() > 0
          ? (r.cbc.objective - r.cbc.best_bound) / r.cbc.best_bound * 100.0
          : -1.0;
  state.counters["gpu_GB"] = r.cost.gpu_bytes.value() / 1e9;
  state.SetLabel(std::string(to_string(r.method)));
}

void BM_ilp(benchmark::State& state) {
  ilp_options o;
  o.group_size = static_cast<std::size_t>(state.range(0));
  o.time_limit_seconds = 5.0;
  placement_result r;
  for (auto _ : state) r = ilp_mapper(o).place(problem());
  report(state, r);
}
BENCHMARK(BM_ilp)->Arg(32)->Arg(64)->Arg(128)->Arg(256)->Arg(512)->Unit(benchmark::kSecond)->Iterations(1);

// The engine's policy (engine_ilp_mapper(), system/hermes_family.hpp): the same mapper with a stated tolerance of
// 0.1% to the LP bound and CBC's 200-node limit; CBC runs only if LP rounding misses the tolerance.
void BM_ilp_engine_policy(benchmark::State& state) {
  ilp_options o;
  o.max_nodes = 200;
  o.time_limit_seconds = 120.0;
  o.target_gap = 1e-3;
  placement_result r;
  for (auto _ : state) r = ilp_mapper(o).place(problem());
  report(state, r);
}
BENCHMARK(BM_ilp_engine_policy)->Unit(benchmark::kSecond)->Iterations(1);

void BM_lp_rounding(benchmark::State& state) {
  placement_result r;
  for (auto _ : state) r = lp_rounding_mapper{}.place(problem());
  report(state, r);
}
BENCHMARK(BM_lp_rounding)->Unit(benchmark::kSecond)->Iterations(1);

void BM_greedy(benchmark::State& state) {
  placement_result r;
  for (auto _ : state) r = greedy_mapper{}.place(problem());
  report(state, r);
}
BENCHMARK(BM_greedy)->Unit(benchmark::kSecond)->Iterations(1);

void BM_random(benchmark::State& state) {
  placement_result r;
  for (auto _ : state) r = random_mapper{1}.place(problem());
  report(state, r);
}
BENCHMARK(BM_random)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
