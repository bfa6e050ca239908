#include <benchmark/benchmark.h>

#include "hermes/core/ledger.hpp"

// The ledger is on the simulator's hot path: one charge per device per layer per token.
static void BM_ledger_charge(benchmark::State& state) {
  hermes::ledger l;
  const auto r = l.add_resource("gpu", hermes::resource_kind::compute);
  hermes::device_cost c;
  c.time = hermes::seconds(1e-6);
  for (auto _ : state) benchmark::DoNotOptimize(l.charge(r, hermes::seconds{}, c, "gpu_compute"));
}
BENCHMARK(BM_ledger_charge);
BENCHMARK_MAIN();
