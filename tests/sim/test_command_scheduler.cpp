// The command scheduler (sim/command_scheduler.hpp): IANUS's PIM access scheduling, hand-worked
// on small graphs, plus the rules checked on random graphs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "hermes/sim/command_scheduler.hpp"

using namespace hermes;

namespace {

device_cost dur(double us) {
  device_cost c;
  c.time = seconds(us * 1e-6);
  return c;
}

double us(seconds t) { return t.value() * 1e6; }

// One NPU with a matrix and a vector unit, and two PIM memories, each with a DMA engine and a PIM
// unit.
struct machine {
  ledger l;
  ledger::resource_id mu = l.add_resource("mu", resource_kind::compute);
  ledger::resource_id vu = l.add_resource("vu", resource_kind::compute);
  ledger::resource_id dma0 = l.add_resource("dma0", resource_kind::link);
  ledger::resource_id pim0 = l.add_resource("pim0", resource_kind::near_memory);
  ledger::resource_id dma1 = l.add_resource("dma1", resource_kind::link);
  ledger::resource_id pim1 = l.add_resource("pim1", resource_kind::near_memory);
  ledger::resource_id link0 = l.add_resource("link0", resource_kind::link);
};

constexpr auto normal = memory_access::normal;
constexpr auto in_memory = memory_access::in_memory;

}  // namespace

TEST_CASE("command_scheduler: a dependency chain takes the sum of its durations", "[sim][scheduler]") {
  machine m;
  command_graph g;
  const auto a = g.add(m.dma0, dur(2), "dma", {}, 0, normal);
  const auto b = g.add(m.mu, dur(3), "mu", {a});
  const auto c = g.add(m.vu, dur(4), "vu", {b});
  command_scheduler s;
  const auto r = s.run(g, m.l, seconds{});
  CHECK(us(r.start[a]) == Approx(0));
  CHECK(us(r.start[b]) == Approx(2));
  CHECK(us(r.start[c]) == Approx(5));
  CHECK(us(r.finish) == Approx(9));
  CHECK(m.l.resource(m.mu).charges == 1);
}

TEST_CASE("command_scheduler: MU work overlaps a PIM macro", "[sim][scheduler]") {
  machine m;
  command_graph g;
  const auto pim = g.add(m.pim0, dur(10), "pim", {}, 0, in_memory);
  const auto mu = g.add(m.mu, dur(6), "mu");
  const auto vu = g.add(m.vu, dur(1), "vu", {mu});
  const auto r = command_scheduler{}.run(g, m.l, seconds{});
  CHECK(us(r.start[pim]) == Approx(0));
  CHECK(us(r.start[mu]) == Approx(0));
  CHECK(us(r.start[vu]) == Approx(6));
  CHECK(us(r.finish) == Approx(10));
}

TEST_CASE("command_scheduler: a PIM macro blocks later DMA to its memory only", "[sim][scheduler]") {
  machine m;
  command_graph g;
  const auto pim = g.add(m.pim0, dur(10), "pim", {}, 0, in_memory);
  const auto d0 = g.add(m.dma0, dur(2), "dma", {}, 0, normal);  // independent, same memory
  const auto d1 = g.add(m.dma1, dur(2), "dma", {}, 1, normal);  // another memory
  const auto r = command_scheduler{}.run(g, m.l, seconds{});
  CHECK(us(r.start[pim]) == Approx(0));
  CHECK(us(r.issue[d0]) == Approx(10));
  CHECK(us(r.start[d0]) == Approx(10));
  CHECK(us(r.start[d1]) == Approx(0));
  CHECK(us(r.finish) == Approx(12));
}

TEST_CASE("command_scheduler: a PIM macro waits for DMA to its memory issued before it", "[sim][scheduler]") {
  machine m;
  command_graph g;
  const auto d0 = g.add(m.dma0, dur(5), "dma", {}, 0, normal);
  const auto d1 = g.add(m.dma1, dur(7), "dma", {}, 1, normal);  // another memory: no wait
  const auto pim = g.add(m.pim0, dur(2), "pim", {}, 0, in_memory);
  const auto r = command_scheduler{}.run(g, m.l, seconds{});
  CHECK(us(r.issue[pim]) == Approx(0));  // issued at once ...
  CHECK(us(r.start[pim]) == Approx(5));  // ... but starts when the DMA to memory 0 has finished
  CHECK(us(r.start[d1]) == Approx(0));
  CHECK(us(r.start[d0]) == Approx(0));
  CHECK(us(r.end[pim]) == Approx(7));
}

TEST_CASE("command_scheduler: two PIM macros on one memory serialise, also on two units", "[sim][scheduler]") {
  machine m;
  command_graph g;
  const auto p1 = g.add(m.pim0, dur(3), "pim", {}, 0, in_memory);
  const auto p2 = g.add(m.pim1, dur(3), "pim", {}, 0, in_memory);  // a second unit, memory 0
  const auto r = command_scheduler{}.run(g, m.l, seconds{});
  CHECK(us(r.start[p1]) == Approx(0));
  CHECK(us(r.start[p2]) == Approx(3));
}

TEST_CASE("command_scheduler: a unit holds at most issue_slots issued commands", "[sim][scheduler]") {
  machine m;
  command_graph g;
  for (int i = 0; i < 5; ++i) g.add(m.mu, dur(1), "mu");
  const auto r = command_scheduler{}.run(g, m.l, seconds{});
  for (std::uint32_t i = 0; i < 5; ++i) CHECK(us(r.start[i]) == Approx(i));
  for (std::uint32_t i = 0; i < 4; ++i) CHECK(us(r.issue[i]) == Approx(0));
  CHECK(us(r.issue[4]) == Approx(1));  // when the first one finishes
  CHECK(us(r.finish) == Approx(5));
}

TEST_CASE("command_scheduler: the pending window holds pending_slots unissued commands", "[sim][scheduler]") {
  machine m;
  SECTION("two commands blocked by a full issue queue hold back a third unit") {
    command_graph g;
    g.add(m.mu, dur(10), "mu");
    g.add(m.mu, dur(1), "mu");
    g.add(m.mu, dur(1), "mu");
    const auto v = g.add(m.vu, dur(1), "vu");  // independent
    const auto held = command_scheduler({.issue_slots = 1, .pending_slots = 2}).run(g, m.l, seconds{});
    CHECK(us(held.issue[v]) == Approx(10));
    CHECK(us(held.start[v]) == Approx(10));
    m.l.reset();
    const auto free = command_scheduler({.issue_slots = 1, .pending_slots = 3}).run(g, m.l, seconds{});
    CHECK(us(free.start[v]) == Approx(0));
  }
  SECTION("DMA held back by a PIM macro hold back independent MU work") {
    command_graph g;
    const auto pim = g.add(m.pim0, dur(10), "pim", {}, 0, in_memory);
    g.add(m.dma0, dur(1), "dma", {}, 0, normal);
    g.add(m.link0, dur(1), "link", {}, 0, normal);
    const auto mu = g.add(m.mu, dur(1), "mu");
    const auto r = command_scheduler({.issue_slots = 4, .pending_slots = 2}).run(g, m.l, seconds{});
    CHECK(us(r.issue[mu]) == Approx(us(r.end[pim])));
    m.l.reset();
    const auto r3 = command_scheduler({.issue_slots = 4, .pending_slots = 3}).run(g, m.l, seconds{});
    CHECK(us(r3.start[mu]) == Approx(0));
  }
}

TEST_CASE("command_scheduler: a PIM macro depending on DMA behind a full queue completes", "[sim][scheduler]") {
  // The PIM macro cannot issue before the DMA it depends on has issued (program order of
  // accesses to one memory), so it cannot block that DMA forever.
  machine m;
  command_graph g;
  g.add(m.dma0, dur(4), "dma", {}, 0, normal);
  const auto d = g.add(m.dma0, dur(1), "dma", {}, 0, normal);
  const auto pim = g.add(m.pim0, dur(2), "pim", {d}, 0, in_memory);
  const auto after = g.add(m.dma0, dur(1), "dma", {}, 0, normal);
  const auto r = command_scheduler({.issue_slots = 1, .pending_slots = 256}).run(g, m.l, seconds{});
  CHECK(us(r.issue[d]) == Approx(4));
  CHECK(us(r.issue[pim]) == Approx(4));
  CHECK(us(r.start[pim]) == Approx(5));
  CHECK(us(r.start[after]) == Approx(7));
}

TEST_CASE("command_scheduler: start and end are the ledger's kept intervals", "[sim][scheduler]") {
  machine m;
  m.l.keep_intervals(true);
  command_graph g;
  const auto d = g.add(m.dma0, dur(2), "dma", {}, 0, normal);
  const auto mu = g.add(m.mu, dur(3), "mu", {d});
  const auto pim = g.add(m.pim0, dur(4), "pim", {}, 0, in_memory);
  const auto d2 = g.add(m.dma0, dur(1), "dma", {mu}, 0, normal);
  const auto r = command_scheduler{}.run(g, m.l, seconds(1e-6));
  const auto check = [&](ledger::resource_id res, std::vector<std::uint32_t> cmds) {
    const auto& iv = m.l.resource(res).intervals;
    REQUIRE(iv.size() == cmds.size());
    for (std::size_t i = 0; i < cmds.size(); ++i) {
      CHECK(iv[i].start == r.start[cmds[i]]);
      CHECK(iv[i].end == r.end[cmds[i]]);
      CHECK(iv[i].stage == g[cmds[i]].stage);
    }
  };
  check(m.dma0, {d, d2});
  check(m.mu, {mu});
  check(m.pim0, {pim});
  CHECK(us(r.start[pim]) == Approx(3));  // after the DMA issued before it (1 us + 2 us)
  CHECK(us(r.start[d2]) == Approx(7));   // blocked until the PIM macro ends
}

TEST_CASE("command_scheduler: not_before and the ledger's free times are respected", "[sim][scheduler]") {
  machine m;
  m.l.charge(m.mu, seconds{}, seconds(20e-6), "earlier");
  command_graph g;
  const auto v = g.add(m.vu, dur(1), "vu");
  const auto mu = g.add(m.mu, dur(1), "mu");
  const auto r = command_scheduler{}.run(g, m.l, seconds(5e-6));
  CHECK(us(r.start[v]) == Approx(5));
  CHECK(us(r.start[mu]) == Approx(20));
  CHECK(us(r.finish) == Approx(21));
  command_graph empty;
  CHECK(us(command_scheduler{}.run(empty, m.l, seconds(3e-6)).finish) == Approx(3));
}

TEST_CASE("command_scheduler: bad options, dependencies and commands are rejected", "[sim][scheduler]") {
  try {
    command_scheduler({.issue_slots = 0});
    FAIL("no throw");
  } catch (const invalid_parameter& e) {
    CHECK(e.field() == "command_scheduler.issue_slots");
  }
  try {
    command_scheduler_options{.issue_slots = 4, .pending_slots = 0}.validate();
    FAIL("no throw");
  } catch (const invalid_parameter& e) {
    CHECK(e.field() == "command_scheduler.pending_slots");
  }
  machine m;
  command_graph g;
  g.add(m.mu, dur(1), "mu");
  CHECK_THROWS_AS(g.add(m.mu, dur(1), "mu", {1}), invalid_parameter);  // its own index
  CHECK_THROWS_AS(g.add(m.mu, dur(1), "mu", {5}), invalid_parameter);  // a later one
  CHECK_THROWS_AS(g.add(m.dma0, dur(1), "dma", {}, no_memory, normal), invalid_parameter);
  CHECK_THROWS_AS(g.add(m.mu, dur(-1), "mu"), invalid_parameter);
  CHECK(g.size() == 1);
  g.add(ledger::resource_id{99}, dur(1), "nowhere");
  CHECK_THROWS_AS(command_scheduler{}.run(g, m.l, seconds{}), invalid_parameter);
}

TEST_CASE("command_scheduler: the rules hold on random graphs", "[sim][scheduler]") {
  machine m;
  const ledger::resource_id units[] = {m.mu, m.vu, m.dma0, m.pim0, m.dma1, m.pim1, m.link0};
  std::mt19937 rng(7);
  command_graph g;
  schedule_result r;
  for (int round = 0; round < 60; ++round) {
    m.l.reset();
    g.clear();
    const std::size_t slots = 1 + rng() % 4, pending = 1 + rng() % 12;
    const std::uint32_t n = 10 + rng() % 150;
    std::vector<std::uint32_t> deps;
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto unit = units[rng() % 7];
      std::uint32_t memory = no_memory;
      auto access = memory_access::none;
      // Mostly one memory per DMA/PIM unit; sometimes a unit serves both memories, or the VU
      // reads memory.
      const bool mixed = round % 2 == 1 && rng() % 4 == 0;
      if (unit == m.dma0 || unit == m.link0) { memory = 0; access = normal; }
      if (unit == m.dma1) { memory = 1; access = normal; }
      if (unit == m.pim0) { memory = 0; access = in_memory; }
      if (unit == m.pim1) { memory = 1; access = in_memory; }
      if (mixed && access != memory_access::none) memory = rng() % 2;
      if (mixed && unit == m.vu) { memory = rng() % 2; access = normal; }
      deps.clear();
      for (int k = 0; k < 3 && i > 0; ++k)
        if (rng() % 3 == 0) deps.push_back(rng() % i);
      g.add(unit, dur(static_cast<double>(rng() % 5)), "x", deps, memory, access);
    }
    command_scheduler s({.issue_slots = slots, .pending_slots = pending});
    s.run(g, m.l, seconds{}, r);
    for (std::uint32_t i = 0; i < n; ++i) {
      CHECK(r.issue[i] <= r.start[i]);
      CHECK(r.end[i] == r.start[i] + g[i].cost.time);
      for (const auto d : g.deps_of(i)) CHECK(r.end[d] <= r.start[i]);
      for (std::uint32_t j = 0; j < i; ++j) {
        const command &a = g[j], &b = g[i];
        if (a.unit == b.unit) {
          CHECK(r.end[j] <= r.start[i]);  // per-unit program order, one at a time
          CHECK(r.issue[j] <= r.issue[i]);
        }
        // An in_memory command never overlaps another access to its memory.
        const bool conflict = a.access != memory_access::none && b.access != memory_access::none &&
                              a.memory == b.memory &&
                              (a.access == in_memory || b.access == in_memory);
        if (conflict && g[j].cost.time > seconds{} && g[i].cost.time > seconds{})
          CHECK((r.end[j] <= r.start[i] || r.end[i] <= r.start[j]));
      }
      // At most `slots` issued-unfinished commands of a unit when i issues; at most `pending`
      // earlier unissued commands.
      std::size_t queued = 0, earlier_unissued = 0;
      for (std::uint32_t j = 0; j < n; ++j) {
        if (j < i && g[j].unit == g[i].unit && r.issue[j] <= r.issue[i] && r.end[j] > r.issue[i])
          ++queued;
        if (j < i && r.issue[j] > r.issue[i]) ++earlier_unissued;
      }
      CHECK(queued < slots);
      CHECK(earlier_unissued < pending);
    }
  }
}
