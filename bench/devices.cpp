#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "hermes/device/gpu.hpp"
#include "hermes/device/host_cpu.hpp"
#include "hermes/device/link.hpp"

// The device cost models are on the simulator's hot path in timing-only mode: one call per device
// per layer kind per token. With chunk addresses, gemv() scans them to classify the access; packed
// addresses are the worst case (the whole list is scanned).
static void BM_gpu_gemv_no_addresses(benchmark::State& state) {
  const hermes::gpu g(hermes::gpu_presets::rtx4090());
  const hermes::gemv_work w{.chunks = 5734, .rows_per_chunk = 3, .cols = 8192, .batch = 1};
  for (auto _ : state) benchmark::DoNotOptimize(g.gemv(w));
}
BENCHMARK(BM_gpu_gemv_no_addresses);

static void BM_gpu_gemv_packed_addresses(benchmark::State& state) {
  const hermes::gpu g(hermes::gpu_presets::rtx4090());
  const auto chunks = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint64_t> addresses(chunks);
  for (std::size_t i = 0; i < chunks; ++i) addresses[i] = i * 3 * 8192 * 2;  // back to back
  const hermes::gemv_work w{.chunks = chunks, .rows_per_chunk = 3, .cols = 8192, .batch = 1,
                            .chunk_addresses = addresses};
  for (auto _ : state) benchmark::DoNotOptimize(g.gemv(w));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_gpu_gemv_packed_addresses)->Arg(1024)->Arg(28672);

static void BM_host_cpu_gemv(benchmark::State& state) {
  const hermes::host_cpu cpu(hermes::host_cpu_presets::i9_13900k());
  const hermes::gemv_work w{.chunks = 2867, .rows_per_chunk = 3, .cols = 8192, .batch = 16};
  for (auto _ : state) benchmark::DoNotOptimize(cpu.gemv(w));
}
BENCHMARK(BM_host_cpu_gemv);

static void BM_link_transfer(benchmark::State& state) {
  const hermes::link l(hermes::link_presets::pcie4_x16());
  for (auto _ : state) benchmark::DoNotOptimize(l.transfer(hermes::bytes(16384.0)));
}
BENCHMARK(BM_link_transfer);

BENCHMARK_MAIN();
