// The simulator's own speed: one full LLaMA2-70B Hermes run (RTX 4090 + 8 NDP-DIMMs, batch 1,
// 128 in / 128 out, timing only), as hermes-sim runs it.
//   new model: nothing prepared: the model instance is made, profiled offline and placed (the
//              paper's offline phase, Sec IV-B), then the run's input generated and simulated;
//   new input: the model's offline half exists (as for a deployed model), the run gets a new
//              input: its prompt and decoded tokens are generated, then it is simulated;
//   warm:      what every further system or sweep point on the same workload pays (activations
//              and placement come from the per-process memos).
// Counters split the host time the engine measured itself into its phases.
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>

#include "hermes/system/registry.hpp"

namespace {

void report(benchmark::State& state, const hermes::sim_result& r) {
  state.counters["activations_s"] = r.host_seconds_activations;
  state.counters["placement_s"] = r.host_seconds_placement;
  state.counters["simulation_s"] = r.host_seconds_simulation;
  state.counters["modelled_tokens_per_s"] = r.decode_tokens_per_second;
  state.counters["placement_cbc_ran"] = r.placement_cbc_ran ? 1.0 : 0.0;
  state.counters["placement_gap_pct"] = r.placement_gap * 100.0;
}

void BM_llama2_70b_hermes_new_model(benchmark::State& state) {
  static std::uint64_t seed = 1000;  // across repetitions too: every run is a new model
  for (auto _ : state) {
    hermes::workload_config w;
    w.model_seed = ++seed;  // nothing memoised
    const auto r = hermes::run_system("Hermes", w, hermes::hardware_config{});
    report(state, r);
  }
}
BENCHMARK(BM_llama2_70b_hermes_new_model)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();

void BM_llama2_70b_hermes_new_input(benchmark::State& state) {
  static std::uint64_t seed = 1000;  // across repetitions too: every run is a new input
  (void)hermes::run_system("Hermes", hermes::workload_config{}, hermes::hardware_config{});  // the model's offline half
  for (auto _ : state) {
    hermes::workload_config w;
    w.seed = ++seed;
    const auto r = hermes::run_system("Hermes", w, hermes::hardware_config{});
    report(state, r);
  }
}
BENCHMARK(BM_llama2_70b_hermes_new_input)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();

void BM_llama2_70b_hermes_warm(benchmark::State& state) {
  const hermes::workload_config w;
  (void)hermes::run_system("Hermes", w, hermes::hardware_config{});  // fills the memos
  for (auto _ : state) {
    const auto r = hermes::run_system("Hermes", w, hermes::hardware_config{});
    report(state, r);
  }
}
BENCHMARK(BM_llama2_70b_hermes_warm)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  Kokkos::initialize(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  Kokkos::finalize();
  return 0;
}
