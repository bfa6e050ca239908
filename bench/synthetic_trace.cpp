// Time per token of the synthetic activation generator at LLaMA2-70B shape (80 layers,
// 8192 attention and 28672 FFN neurons per layer): it must not dominate a simulation
// (target: < 5 ms per token on one core, docs/performance.md "Synthetic trace generation").
// Construction is timed too: parameter sweeps build one generator per configuration.
#include <benchmark/benchmark.h>

#include "hermes/activation/synthetic_source.hpp"

namespace {
const hermes::trace_layout llama2_70b{80, 8192, 28672};
constexpr double neurons_per_token = 80.0 * (8192 + 28672);

// Blocks of 16 tokens per measurement (drift is per token; 16 only amortises the loop).
void run(benchmark::State& state, hermes::synthetic_config config) {
  hermes::synthetic_source src(llama2_70b, config);
  hermes::token_masks token(llama2_70b);
  src.next_token(token);  // the first token also draws the stationary start
  constexpr std::size_t block = 16;
  for (auto _ : state) {
    for (std::size_t t = 0; t < block; ++t) src.next_token(token);
    benchmark::DoNotOptimize(token.mask(79, hermes::layer_kind::ffn).words().data());
  }
  state.counters["per_token"] = benchmark::Counter(static_cast<double>(block),
                                                      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["ns_per_neuron"] = benchmark::Counter(neurons_per_token * static_cast<double>(block),
                                                       benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The calibrated defaults: clusters chained over layers, gates, drift.
void BM_synthetic_token_llama2_70b(benchmark::State& state) { run(state, {}); }
// Without drift.
void BM_synthetic_token_llama2_70b_no_drift(benchmark::State& state) {
  hermes::synthetic_config c;
  c.hot_turnover = 0.0;
  run(state, c);
}
// Every layer's clusters on chains of their own (no layer-wise correlation): the most cluster work.
void BM_synthetic_token_llama2_70b_uncoupled(benchmark::State& state) {
  hermes::synthetic_config c;
  c.layer_coupling = 0.0;
  run(state, c);
}

// Calibration, cluster maps and predecessor draws of all 2.95 M neurons.
void BM_synthetic_construct_llama2_70b(benchmark::State& state) {
  for (auto _ : state) {
    hermes::synthetic_source src(llama2_70b);
    benchmark::DoNotOptimize(&src);
  }
}
}  // namespace

BENCHMARK(BM_synthetic_token_llama2_70b)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_synthetic_token_llama2_70b_no_drift)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_synthetic_token_llama2_70b_uncoupled)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_synthetic_construct_llama2_70b)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK_MAIN();
