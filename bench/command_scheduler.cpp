// Host cost of the command scheduler (sim/command_scheduler.hpp) per command, on a graph shaped
// like an IANUS decoder step: per layer a VU norm, PIM macros on every memory (the QKV and output
// FCs in generation), and an MU path whose weight tiles are fetched by double-buffered DMA from
// the same memories (DMA tile i waits for MU tile i - 2). A full reproduction schedules ~25
// million commands, so this is the number to keep well under 1 us. Counters: time_per_command
// (host seconds), modelled_us (the step's modelled time, for a sanity check).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hermes/core/ledger.hpp"
#include "hermes/sim/command_scheduler.hpp"

namespace {

constexpr std::uint32_t memories = 8;

struct npu {
  hermes::ledger l;
  hermes::ledger::resource_id mu = 0, vu = 0;
  std::vector<hermes::ledger::resource_id> dma, pim;
  npu() {
    mu = l.add_resource("mu", hermes::resource_kind::compute);
    vu = l.add_resource("vu", hermes::resource_kind::compute);
    for (std::uint32_t m = 0; m < memories; ++m) {
      dma.push_back(l.add_resource("dma" + std::to_string(m), hermes::resource_kind::link));
      pim.push_back(l.add_resource("pim" + std::to_string(m), hermes::resource_kind::near_memory));
    }
  }
};

hermes::device_cost dur(double us) {
  hermes::device_cost c;
  c.time = hermes::seconds(us * 1e-6);
  return c;
}

// One step of `layers` layers, `tiles` MU tiles each (~2 * memories + 2 * tiles + 3 commands a
// layer).
void build_step(const npu& n, hermes::command_graph& g, std::size_t layers, std::uint32_t tiles) {
  using hermes::memory_access;
  g.clear();
  std::vector<std::uint32_t> join;
  std::uint32_t last = 0;
  bool first = true;
  for (std::size_t layer = 0; layer < layers; ++layer) {
    const std::uint32_t norm =
        first ? g.add(n.vu, dur(0.5), "vu") : g.add(n.vu, dur(0.5), "vu", {last});
    first = false;
    join.clear();
    for (std::uint32_t m = 0; m < memories; ++m)
      join.push_back(g.add(n.pim[m], dur(3.0), "pim", {norm}, m, memory_access::in_memory));
    std::uint32_t prev = g.add(n.vu, dur(0.2), "vu", join);
    std::vector<std::uint32_t> mu_tiles;
    for (std::uint32_t t = 0; t < tiles; ++t) {
      const std::uint32_t m = t % memories;
      const std::uint32_t dma =
          t >= 2 ? g.add(n.dma[m], dur(0.4), "dma", {mu_tiles[t - 2]}, m, memory_access::normal)
                 : g.add(n.dma[m], dur(0.4), "dma", {}, m, memory_access::normal);
      prev = g.add(n.mu, dur(0.3), "mu", {dma, prev});
      mu_tiles.push_back(prev);
    }
    const std::uint32_t softmax = g.add(n.vu, dur(0.3), "vu", {prev});
    join.clear();
    for (std::uint32_t m = 0; m < memories; ++m)
      join.push_back(g.add(n.pim[m], dur(2.0), "pim", {softmax}, m, memory_access::in_memory));
    last = g.add(n.vu, dur(0.2), "vu", join);
  }
}

// Scheduling only: the graph is built once, each iteration schedules it as the next step.
void BM_schedule_step(benchmark::State& state) {
  npu n;
  hermes::command_graph g;
  build_step(n, g, static_cast<std::size_t>(state.range(0)), 16);
  hermes::command_scheduler s;
  hermes::schedule_result r;
  hermes::seconds t{};
  for (auto _ : state) {
    s.run(g, n.l, t, r);
    t = r.finish;
    benchmark::DoNotOptimize(r.finish);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * g.size()));
  state.counters["commands"] = static_cast<double>(g.size());
  state.counters["time_per_command"] = benchmark::Counter(
      static_cast<double>(state.iterations() * g.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["modelled_us"] = (r.finish - r.start.front()).value() * 1e6;
}
BENCHMARK(BM_schedule_step)->Arg(1)->Arg(48);

// What an engine pays per step: building the graph (storage reused) and scheduling it.
void BM_build_and_schedule_step(benchmark::State& state) {
  npu n;
  hermes::command_graph g;
  hermes::command_scheduler s;
  hermes::schedule_result r;
  hermes::seconds t{};
  for (auto _ : state) {
    build_step(n, g, static_cast<std::size_t>(state.range(0)), 16);
    s.run(g, n.l, t, r);
    t = r.finish;
    benchmark::DoNotOptimize(r.finish);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * g.size()));
  state.counters["time_per_command"] = benchmark::Counter(
      static_cast<double>(state.iterations() * g.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_build_and_schedule_step)->Arg(48);

}  // namespace

BENCHMARK_MAIN();
