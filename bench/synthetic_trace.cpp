// Time per token of the synthetic activation generator at LLaMA2-70B shape (80 layers,
// 8192 attention and 28672 FFN neurons per layer): it must not dominate a simulation
// (target: < 5 ms per token on one core, docs/performance.md "Synthetic trace generation").
// Construction is timed too: parameter sweeps build one generator per configuration.
#include <benchmark/benchmark.h>

#include "hermes/activation/synthetic_source.hpp"

namespace {
const hermes::trace_layout llama2_70b{80, 8192, 28672};
constexpr double neurons_per_token = 80.0 * (8192 + 28672);

// Whole drift periods per measurement, so sweep tokens and plain tokens are weighed as they
// occur in a generation.
void run(benchmark::State& state, hermes::synthetic_config config) {
  hermes::synthetic_source src(llama2_70b, config);
  hermes::token_masks token(llama2_70b);
  src.next_token(token);  // the first token also draws the stationary start
  const std::size_t period = config.drift_period;
  for (auto _ : state) {
    for (std::size_t t = 0; t < period; ++t) src.next_token(token);
    benchmark::DoNotOptimize(token.mask(79, hermes::layer_kind::ffn).words().data());
  }
  state.counters["per_token"] = benchmark::Counter(static_cast<double>(period),
                                                      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["ns_per_neuron"] = benchmark::Counter(neurons_per_token * static_cast<double>(period),
                                                       benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The calibrated defaults: persistence, layer coupling and drift (a sweep every 16 tokens).
void BM_synthetic_token_llama2_70b(benchmark::State& state) { run(state, {}); }
// Without drift: the cost of the per-neuron Markov step and layer coupling alone.
void BM_synthetic_token_llama2_70b_no_drift(benchmark::State& state) {
  hermes::synthetic_config c;
  c.hot_turnover = 0.0;
  run(state, c);
}
// Drift swept on every token: the finest setting, for comparison with the default period.
void BM_synthetic_token_llama2_70b_drift_every_token(benchmark::State& state) {
  hermes::synthetic_config c;
  c.drift_period = 1;
  run(state, c);
}

// Calibration, slot shuffles, predecessor draws and thresholds of all 2.95 M neurons.
void BM_synthetic_construct_llama2_70b(benchmark::State& state) {
  for (auto _ : state) {
    hermes::synthetic_source src(llama2_70b);
    benchmark::DoNotOptimize(&src);
  }
}
}  // namespace

BENCHMARK(BM_synthetic_token_llama2_70b)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_synthetic_token_llama2_70b_no_drift)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_synthetic_token_llama2_70b_drift_every_token)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_synthetic_construct_llama2_70b)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK_MAIN();
