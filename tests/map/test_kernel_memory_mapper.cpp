// Tests of map/kernel_memory_mapper.hpp (H2M2's run-time kernel-to-memory mapping), worked by
// hand on a fast 10 GB node at 1000 GB/s and a slow 100 GB node at 100 GB/s with a 10 GB/s link:
// when the growing KV cache is evicted, that moved bytes are the plan's sizes, that capacity
// holds at every step, that a move is planned only when it pays back, that evictions come first,
// and a three-node placement.
#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>

#include "hermes/map/kernel_memory_mapper.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {

constexpr double GB = 1e9;
// Compute so large that every step time is memory time: t = traffic / bandwidth.
const flop_rate plenty(1e21);

// Applies a plan in order, checking each move starts where the table has the buffer and that no
// memory is ever over capacity; returns the bytes the table reports moved.
bytes apply_plan(buffer_table& t, const std::vector<buffer_move>& plan) {
  bytes moved{};
  for (const auto& m : plan) {
    REQUIRE(t.home(m.buffer) == m.from);
    REQUIRE(m.size == t.size(m.buffer));
    moved += t.move(m.buffer, m.to);  // throws resource_limit if the move did not fit
    for (memory_id n = 0; n < t.memories(); ++n) REQUIRE(t.used(n) <= t.capacity(n));
  }
  return moved;
}

bytes plan_bytes(const std::vector<buffer_move>& plan) {
  bytes total{};
  for (const auto& m : plan) total += m.size;
  return total;
}

struct two_nodes {
  buffer_table table;
  memory_id fast = table.add_memory("fast", 10_GB);
  memory_id slow = table.add_memory("slow", 100_GB);
  remap_context context(std::size_t steps_left) const {
    return {.nodes = {{1000_GBps, plenty}, {100_GBps, plenty}}, .link = 10_GBps, .steps_left = steps_left,
            .steps_until_next_plan = 1};
  }
};

}  // namespace

TEST_CASE("kernel_memory_mapper: the KV cache is evicted from the fast node at step 30, by hand",
          "[map][kernel_memory_mapper]") {
  // Six 1 GB weight buffers (each read once per step) and a KV cache of 1 GB read whole every
  // step and growing 0.1 GB per step, all created on the slow node; planned every step.
  // By hand: a weight saves 1 GB x (1/100 - 1/1000) s/GB = 9 ms per step, density 9 ms/GB; the KV
  // cache of s GB saves 9 s ms for a footprint of s + 0.1 GB (growth until the next plan), a
  // lower density, so the fast node takes the six weights (6 GB) and then the KV cache while
  // s + 0.1 <= 4, i.e. s <= 3.9 GB. With s = 1 + 0.1 k at step k, the KV cache no longer fits
  // at k = 30 (s = 4.0 GB): it is evicted then, 4.0 GB over the link.
  two_nodes sys;
  auto& t = sys.table;
  std::vector<buffer_id> weights;
  for (int i = 0; i < 6; ++i) weights.push_back(t.create(std::string("w").append(std::to_string(i)), 1_GB, sys.slow));
  const buffer_id kv = t.create("kv", 1_GB, sys.slow);
  const bytes growth(0.1 * GB);
  const greedy_kernel_memory_mapper mapper;
  CHECK(mapper.name() == "greedy");

  constexpr std::size_t steps = 200;
  bytes total_planned{}, total_moved{};
  std::size_t eviction_step = steps;
  for (std::size_t step = 0; step < steps; ++step) {
    std::vector<buffer_demand> demands;
    for (const auto w : weights) demands.push_back({w, 1_GB, flops(0), bytes(0)});
    demands.push_back({kv, t.size(kv), flops(0), growth});
    const auto plan = mapper.plan(demands, t, sys.context(steps - step));
    if (step == 0) {
      CHECK(plan.size() == 7);  // everything pays back over 200 steps (9 ms x 200 >> 0.1 s)
      CHECK(plan_bytes(plan).value() == 7 * GB);
    }
    for (const auto& m : plan)
      if (m.from == sys.fast && eviction_step == steps) {
        eviction_step = step;
        CHECK(m.buffer == kv);
        CHECK(m.size.value() == 4.0 * GB);
      }
    total_planned += plan_bytes(plan);
    total_moved += apply_plan(t, plan);
    t.grow(kv, growth);  // on whatever node holds it now
    CHECK(t.used(sys.fast) <= t.capacity(sys.fast));
    CHECK(t.used(sys.slow) <= t.capacity(sys.slow));
  }
  CHECK(eviction_step == 30);
  CHECK(total_moved == total_planned);
  CHECK(total_moved.value() == 11 * GB);  // 7 GB in at step 0, the 4 GB KV cache out at step 30
  for (const auto w : weights) CHECK(t.home(w) == sys.fast);
  CHECK(t.home(kv) == sys.slow);
  CHECK(t.size(kv).value() == Approx(21 * GB));  // 1 + 200 x 0.1
}

TEST_CASE("kernel_memory_mapper: without remapping the same growth overflows the fast node",
          "[map][kernel_memory_mapper]") {
  two_nodes sys;
  auto& t = sys.table;
  for (int i = 0; i < 6; ++i) t.create(std::string("w").append(std::to_string(i)), 1_GB, sys.fast);
  const buffer_id kv = t.create("kv", 1_GB, sys.fast);
  const no_buffer_remapping none;
  CHECK(none.name() == "none");
  const std::vector<buffer_demand> demands{{kv, 1_GB, flops(0), bytes(0.1 * GB)}};
  CHECK(none.plan(demands, t, sys.context(100)).empty());
  for (int step = 0; step < 30; ++step) t.grow(kv, bytes(0.1 * GB));  // up to exactly 10 GB used
  CHECK(t.free(sys.fast).value() == Approx(0.0).margin(1.0));
  CHECK_THROWS_AS(t.grow(kv, bytes(0.1 * GB)), resource_limit);
}

TEST_CASE("kernel_memory_mapper: no move when the remaining steps cannot pay it back",
          "[map][kernel_memory_mapper]") {
  // One 1 GB weight on the slow node: 9 ms saved per step, 1 GB / 10 GB/s = 0.1 s to move.
  // 11 steps save 99 ms < 100 ms: no move; 12 steps save 108 ms: one move.
  two_nodes sys;
  const buffer_id w = sys.table.create("w", 1_GB, sys.slow);
  const std::vector<buffer_demand> demands{{w, 1_GB, flops(0), bytes(0)}};
  const greedy_kernel_memory_mapper mapper;
  CHECK(mapper.plan(demands, sys.table, sys.context(0)).empty());
  CHECK(mapper.plan(demands, sys.table, sys.context(11)).empty());
  const auto plan = mapper.plan(demands, sys.table, sys.context(12));
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].buffer == w);
  CHECK(plan[0].from == sys.slow);
  CHECK(plan[0].to == sys.fast);
  CHECK(plan[0].size.value() == GB);
  // A buffer no kernel reads gains nothing and never moves.
  CHECK(mapper.plan({}, sys.table, sys.context(1000)).empty());
}

TEST_CASE("kernel_memory_mapper: evictions come before the moves into the space they free",
          "[map][kernel_memory_mapper]") {
  // The fast node (shrunk to 2 GB) is full of two cold buffers (0.1 GB read per step); a hot one
  // (2 GB read per step) is on the slow node. Densities per GB: hot (0.02 - 0.002) = 18 ms,
  // cold 0.9 ms each; the fast node wants hot and c1 (the lower id of the tie), so c2 must leave
  // first. Over 1000 steps: hot gains 18 s, c2 loses 0.9 s, moving 2 GB takes 0.2 s.
  buffer_table t;
  const memory_id fast = t.add_memory("fast", 2_GB);
  const memory_id slow = t.add_memory("slow", 100_GB);
  const buffer_id c1 = t.create("c1", 1_GB, fast);
  const buffer_id c2 = t.create("c2", 1_GB, fast);
  const buffer_id hot = t.create("hot", 1_GB, slow);
  const std::vector<buffer_demand> demands{{c1, bytes(0.1 * GB), flops(0), bytes(0)},
                                           {c2, bytes(0.1 * GB), flops(0), bytes(0)},
                                           {hot, 2_GB, flops(0), bytes(0)}};
  const remap_context ctx{.nodes = {{1000_GBps, plenty}, {100_GBps, plenty}}, .link = 10_GBps,
                          .steps_left = 1000, .steps_until_next_plan = 1};
  const auto plan = greedy_kernel_memory_mapper{}.plan(demands, t, ctx);
  REQUIRE(plan.size() == 2);
  CHECK(plan[0].buffer == c2);
  CHECK(plan[0].to == slow);
  CHECK(plan[1].buffer == hot);
  CHECK(plan[1].to == fast);
  // Applied in the other order the table would refuse the first move.
  buffer_table reversed = t;
  CHECK_THROWS_AS(reversed.move(hot, fast), resource_limit);
  CHECK(apply_plan(t, plan).value() == 2 * GB);
  CHECK(t.home(c1) == fast);
  CHECK(t.home(hot) == fast);
  CHECK(t.home(c2) == slow);
  // A second plan on the result moves nothing.
  CHECK(greedy_kernel_memory_mapper{}.plan(demands, t, ctx).empty());
}

TEST_CASE("kernel_memory_mapper: three nodes fill fastest first; growth never overflows",
          "[map][kernel_memory_mapper]") {
  // fast 2 GB @ 1000 GB/s, mid 4 GB @ 300 GB/s, slow 100 GB @ 100 GB/s; seven 1 GB buffers on
  // slow, b0 read three times per step, b1..b6 once. Fast: b0 (density 27 ms/GB) and b1
  // (9 ms/GB, lowest id of the tie); mid: b2..b5 (1/100 - 1/300 = 6.7 ms/GB); b6 stays on slow.
  buffer_table t;
  const memory_id fast = t.add_memory("fast", 2_GB);
  const memory_id mid = t.add_memory("mid", 4_GB);
  const memory_id slow = t.add_memory("slow", 100_GB);
  std::vector<buffer_id> b;
  std::vector<buffer_demand> demands;
  for (int i = 0; i < 7; ++i) {
    b.push_back(t.create(std::string("b").append(std::to_string(i)), 1_GB, slow));
    demands.push_back({b.back(), i == 0 ? 3_GB : 1_GB, flops(0), bytes(0)});
  }
  const remap_context ctx{.nodes = {{1000_GBps, plenty}, {300_GBps, plenty}, {100_GBps, plenty}},
                          .link = 10_GBps, .steps_left = 1000, .steps_until_next_plan = 1};
  const greedy_kernel_memory_mapper mapper;
  const auto plan = mapper.plan(demands, t, ctx);
  CHECK(plan.size() == 6);
  CHECK(apply_plan(t, plan) == plan_bytes(plan));
  CHECK(t.home(b[0]) == fast);
  CHECK(t.home(b[1]) == fast);
  for (int i = 2; i <= 5; ++i) CHECK(t.home(b[static_cast<std::size_t>(i)]) == mid);
  CHECK(t.home(b[6]) == slow);

  // A KV cache growing 0.05 GB per step, read whole every step, planned every 5 steps: at every
  // step no node is over capacity.
  const buffer_id kv = t.create("kv", bytes(0.5 * GB), slow);
  const bytes growth(0.05 * GB);
  constexpr std::size_t steps = 200;
  remap_context c = ctx;
  c.steps_until_next_plan = 5;
  for (std::size_t step = 0; step < steps; ++step) {
    if (step % 5 == 0) {
      auto d = demands;
      d.push_back({kv, t.size(kv), flops(0), growth});
      c.steps_left = steps - step;
      const auto p = mapper.plan(d, t, c);
      CHECK(apply_plan(t, p) == plan_bytes(p));
    }
    t.grow(kv, growth);
    for (memory_id n = 0; n < t.memories(); ++n) REQUIRE(t.used(n) <= t.capacity(n));
  }
}

TEST_CASE("kernel_memory_mapper: compute-bound buffers gain nothing from a faster memory",
          "[map][kernel_memory_mapper]") {
  // Same compute on both nodes: a buffer whose kernels are compute-bound on both has
  // t(fast) = t(slow) and is never moved.
  two_nodes sys;
  const buffer_id w = sys.table.create("w", 1_GB, sys.slow);
  remap_context c = sys.context(1000);
  c.nodes = {{1000_GBps, flop_rate(1e12)}, {100_GBps, flop_rate(1e12)}};
  // 1 GB per step at 100 GB/s = 10 ms < 1e12 FLOP / 1e12 FLOP/s = 1 s.
  const std::vector<buffer_demand> demands{{w, 1_GB, flops(1e12), bytes(0)}};
  CHECK(greedy_kernel_memory_mapper::step_time(demands[0], c.nodes[1]).value() == Approx(1.0));
  CHECK(greedy_kernel_memory_mapper{}.plan(demands, sys.table, c).empty());
}

TEST_CASE("kernel_memory_mapper: bad demands and contexts are rejected naming the field",
          "[map][kernel_memory_mapper]") {
  two_nodes sys;
  const buffer_id w = sys.table.create("w", 1_GB, sys.slow);
  const greedy_kernel_memory_mapper mapper;
  remap_context c = sys.context(10);
  c.nodes.pop_back();
  CHECK_THROWS_WITH(mapper.plan({}, sys.table, c), Catch::Contains("remap_context.nodes") && Catch::Contains("1 nodes"));
  c = sys.context(10);
  c.link = bandwidth(0);
  CHECK_THROWS_WITH(mapper.plan({}, sys.table, c), Catch::Contains("remap_context.link"));
  c = sys.context(10);
  c.nodes[1].compute = flop_rate(0);
  CHECK_THROWS_WITH(mapper.plan({}, sys.table, c), Catch::Contains("remap_context.nodes[1].compute"));
  const std::vector<buffer_demand> twice{{w, 1_GB, flops(0), bytes(0)}, {w, 1_GB, flops(0), bytes(0)}};
  CHECK_THROWS_WITH(mapper.plan(twice, sys.table, sys.context(10)), Catch::Contains("\"w\" has two"));
  const std::vector<buffer_demand> unknown{{5, 1_GB, flops(0), bytes(0)}};
  CHECK_THROWS_WITH(mapper.plan(unknown, sys.table, sys.context(10)), Catch::Contains("buffer_demand.buffer") &&
                                                                             Catch::Contains("5"));
  const std::vector<buffer_demand> negative{{w, bytes(-1), flops(0), bytes(0)}};
  CHECK_THROWS_WITH(mapper.plan(negative, sys.table, sys.context(10)),
                    Catch::Contains("buffer_demand(\"w\").traffic_per_step"));
}
