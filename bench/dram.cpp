#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "hermes/device/dram.hpp"
#include "hermes/device/ndp_dimm.hpp"

// Host cost of the NDP-DIMM's GEMV cost model (exact simulation vs memoised fast path), with
// the modelled DRAM bandwidth as a counter. SetBytesProcessed counts modelled weight bytes, so
// "bytes_per_second" reads as modelled bytes simulated per host second.

namespace {

const hermes::ndp_dimm& dimm() {
  static const hermes::ndp_dimm d(hermes::ndp_dimm_presets::hermes_table2());
  return d;
}

// A LLaMA2-70B FFN layer slice on one DIMM: `active` of 3584 neurons (48 KiB each), random.
std::vector<std::uint64_t> active_neurons(std::size_t active) {
  std::vector<std::uint64_t> index(3584);
  std::iota(index.begin(), index.end(), 0);
  std::mt19937_64 rng(42);
  std::shuffle(index.begin(), index.end(), rng);
  index.resize(active);
  std::sort(index.begin(), index.end());
  for (auto& i : index) i *= 3 * 8192 * 2;
  return index;
}

hermes::gemv_work ffn_work(const std::vector<std::uint64_t>& addresses) {
  hermes::gemv_work w;
  w.chunks = addresses.size();
  w.rows_per_chunk = 3;
  w.cols = 8192;
  w.chunk_addresses = addresses;
  return w;
}

void BM_ndp_gemv_exact(benchmark::State& state) {
  const auto addresses = active_neurons(static_cast<std::size_t>(state.range(0)));
  const auto w = ffn_work(addresses);
  hermes::device_cost c;
  for (auto _ : state) benchmark::DoNotOptimize(c = dimm().gemv_exact(w));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(w.weight_bytes().value()));
  state.counters["modelled_GBps"] = (c.bytes_moved / c.time).value() / 1e9;
  state.counters["modelled_us"] = c.time.value() * 1e6;
}
BENCHMARK(BM_ndp_gemv_exact)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_ndp_gemv_fast(benchmark::State& state) {
  const auto addresses = active_neurons(static_cast<std::size_t>(state.range(0)));
  const auto w = ffn_work(addresses);
  hermes::device_cost c = dimm().gemv(w);  // fills the memo outside the timed loop
  for (auto _ : state) benchmark::DoNotOptimize(c = dimm().gemv(w));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(w.weight_bytes().value()));
  state.counters["modelled_GBps"] = (c.bytes_moved / c.time).value() / 1e9;
  state.counters["modelled_us"] = c.time.value() * 1e6;
  state.counters["exact_over_fast"] = dimm().gemv_exact(w).time / c.time;
}
BENCHMARK(BM_ndp_gemv_fast)->Arg(100)->Arg(1000)->Arg(3000)->Unit(benchmark::kMicrosecond);

// Timing-only callers pass no addresses (packed chunks): no pass over the addresses at all.
void BM_ndp_gemv_fast_packed(benchmark::State& state) {
  hermes::gemv_work w;
  w.chunks = static_cast<std::size_t>(state.range(0));
  w.rows_per_chunk = 3;
  w.cols = 8192;
  hermes::device_cost c = dimm().gemv(w);
  for (auto _ : state) benchmark::DoNotOptimize(c = dimm().gemv(w));
  state.counters["modelled_GBps"] = (c.bytes_moved / c.time).value() / 1e9;
}
BENCHMARK(BM_ndp_gemv_fast_packed)->Arg(3000)->Unit(benchmark::kNanosecond);

// Streaming a whole 64 MiB of one DIMM: the modelled DIMM bandwidth, with and without refresh.
void BM_dram_stream(benchmark::State& state) {
  auto cfg = hermes::dram_presets::ddr4_3200_hermes();
  cfg.timing.refresh = state.range(0) != 0;
  const hermes::dram_model m(cfg);
  const std::vector<hermes::dram_request> stream = {{0, 64u << 20}};
  hermes::device_cost c;
  for (auto _ : state) benchmark::DoNotOptimize(c = m.read(stream));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * (64 << 20));
  state.counters["modelled_GBps"] = (c.bytes_moved / c.time).value() / 1e9;
  state.counters["pin_GBps"] = m.pin_bandwidth().value() / 1e9;
}
BENCHMARK(BM_dram_stream)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
