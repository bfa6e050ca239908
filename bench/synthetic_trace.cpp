// Time per token of the synthetic activation generator at LLaMA2-70B shape (80 layers,
// 8192 attention and 28672 FFN neurons per layer): it must not dominate a simulation.
#include <benchmark/benchmark.h>

#include "hermes/activation/synthetic_source.hpp"

namespace {
const hermes::trace_layout llama2_70b{80, 8192, 28672};

void run(benchmark::State& state, hermes::synthetic_config config) {
  hermes::synthetic_source src(llama2_70b, config);
  hermes::token_masks token(llama2_70b);
  src.next_token(token);  // the first token also draws the stationary start
  for (auto _ : state) {
    src.next_token(token);
    benchmark::DoNotOptimize(token.mask(79, hermes::layer_kind::ffn).words().data());
  }
  const double neurons = 80.0 * (8192 + 28672);
  state.counters["ns_per_neuron"] = benchmark::Counter(neurons, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The calibrated defaults: persistence, layer coupling and drift.
void BM_synthetic_token_llama2_70b(benchmark::State& state) { run(state, {}); }
// Without drift: the cost of the per-neuron Markov step and layer coupling alone.
void BM_synthetic_token_llama2_70b_no_drift(benchmark::State& state) {
  hermes::synthetic_config c;
  c.hot_turnover = 0.0;
  run(state, c);
}
}  // namespace

BENCHMARK(BM_synthetic_token_llama2_70b)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_synthetic_token_llama2_70b_no_drift)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_MAIN();
