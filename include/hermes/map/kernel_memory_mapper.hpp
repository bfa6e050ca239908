#pragma once
// H2M2's kernel-to-memory mapping, recomputed at run time as the KV cache grows: which memory
// node (device/memory_node.hpp) holds each logical buffer (map/logical_buffers.hpp), and so
// which node runs the kernels that read it. A mapper looks at what the kernels reading each
// buffer need per decode step (buffer_demand), the current placement and the node rates, and
// returns a plan: buffer moves to apply in order (buffer_table::move), each charged on the
// inter-node link by the engine.
//
// greedy_kernel_memory_mapper is OUR READING of H2M2's abstract (arXiv 2504.14893: "a dynamic
// runtime algorithm that finds a mapping solution considering the characteristics of LLM
// operations and the change of footprint during LLM inference"); the paper's own algorithm could
// not be read (docs/parameters.md, "H2M2 configuration"). It is kept simple:
//  1. Per buffer b and node n: t_b(n) = max(traffic_b / bandwidth_n, work_b / compute_n), the
//     time per step of b's kernels if b lives on n.
//  2. Desired placement: the nodes other than the capacity node (the largest; ties: the slower)
//     are filled fastest first (by bandwidth). For node n, buffers are ranked by benefit density
//     (t_b(slowest) - t_b(n)) / footprint_b, where footprint_b = size_b + growth_per_step_b x
//     min(steps_until_next_plan, steps_left) (headroom for growth until the next plan), and
//     placed in that order while their footprints fit (a positive benefit only; ties: lower
//     buffer id). Everything left belongs on the capacity node.
//  3. Forced evictions: a node whose placed footprints exceed its capacity (KV growth) evicts
//     the buffers the desired placement does not keep there, least dense first, to their
//     desired node or the capacity node: capacity is never exceeded before the next plan, and
//     these moves are made whatever they cost.
//  4. Promotions: each buffer whose desired node is faster than its current one, densest first,
//     moves if the migration pays off: steps_left x (per-step gain - per-step loss of the buffers
//     it evicts) > (its size + their sizes) / link bandwidth. The buffers it evicts (those the
//     desired placement does not keep on the target, least dense first) come before it in the
//     plan, so the plan applied in order never exceeds any capacity.
// Works for any number of nodes >= 1. The plan is checked by applying it to a copy of the table.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/kernel.hpp"
#include "hermes/core/units.hpp"
#include "hermes/map/logical_buffers.hpp"

namespace hermes {

// What the kernels reading one buffer need per decode step.
struct buffer_demand {
  buffer_id buffer = no_buffer;
  bytes traffic_per_step{};  // bytes the kernels move through the buffer's memory per step
  flops work_per_step{};     // FLOPs they do per step
  bytes growth_per_step{};   // bytes the buffer grows by per step (the KV cache), 0 for weights
};

// A node's rates as the mapper sees them (the engine passes effective rates).
struct node_rates {
  bandwidth memory_bandwidth{};
  flop_rate compute{};
};

struct buffer_move {
  buffer_id buffer = no_buffer;
  memory_id from = 0;
  memory_id to = 0;
  bytes size{};
};

struct remap_context {
  std::vector<node_rates> nodes;        // index = memory_id of the buffer table
  bandwidth link{};                     // inter-node link, per direction
  std::size_t steps_left = 0;           // decode steps still to run (the payback horizon)
  std::size_t steps_until_next_plan = 1;  // growth the placement must leave room for
};

template <class M>
concept buffer_mapper = requires(const M& m, std::span<const buffer_demand> d, const buffer_table& t,
                                 const remap_context& c) {
  { m.plan(d, t, c) } -> std::same_as<std::vector<buffer_move>>;
  { m.name() } -> std::convertible_to<std::string_view>;
};

namespace detail {

// Throws invalid_parameter unless the context describes every memory of the table with positive
// rates and a positive link bandwidth, and every demand names a distinct buffer of the table
// with non-negative needs. Returns the demand of every buffer (zero for buffers not named).
inline std::vector<buffer_demand> checked_demands(std::span<const buffer_demand> demands, const buffer_table& t,
                                                  const remap_context& c) {
  if (c.nodes.size() != t.memories())
    throw invalid_parameter("remap_context.nodes", std::to_string(c.nodes.size()) + " nodes",
                            std::string("one per memory of the buffer table (")
                                .append(std::to_string(t.memories())) + ")");
  for (std::size_t n = 0; n < c.nodes.size(); ++n) {
    const std::string node = std::string("remap_context.nodes[").append(std::to_string(n)) + "]";
    require_positive(node + ".memory_bandwidth", c.nodes[n].memory_bandwidth.value());
    require_positive(node + ".compute", c.nodes[n].compute.value());
  }
  require_positive("remap_context.link", c.link.value());
  std::vector<buffer_demand> all(t.buffers());
  std::vector<bool> seen(t.buffers(), false);
  for (std::size_t b = 0; b < all.size(); ++b) all[b].buffer = static_cast<buffer_id>(b);
  for (const auto& d : demands) {
    if (d.buffer >= t.buffers())
      throw invalid_parameter("buffer_demand.buffer", d.buffer == no_buffer ? "no_buffer" : std::to_string(d.buffer),
                              std::string("a buffer id below ").append(std::to_string(t.buffers())));
    if (seen[d.buffer])
      throw invalid_parameter("buffer_demand.buffer", std::to_string(d.buffer),
                              std::string("one demand per buffer (\"").append(t.name(d.buffer)) + "\" has two)");
    seen[d.buffer] = true;
    const std::string field = std::string("buffer_demand(\"").append(t.name(d.buffer)) + "\")";
    require_non_negative(field + ".traffic_per_step", d.traffic_per_step.value());
    require_non_negative(field + ".work_per_step", d.work_per_step.value());
    require_non_negative(field + ".growth_per_step", d.growth_per_step.value());
    all[d.buffer] = d;
  }
  return all;
}

}  // namespace detail

class greedy_kernel_memory_mapper {
 public:
  [[nodiscard]] std::string_view name() const { return "greedy"; }

  // Time per step of the kernels reading buffer `d` if it lives on a node with rates `r`.
  [[nodiscard]] static seconds step_time(const buffer_demand& d, const node_rates& r) {
    return max(d.traffic_per_step / r.memory_bandwidth, d.work_per_step / r.compute);
  }

  [[nodiscard]] std::vector<buffer_move> plan(std::span<const buffer_demand> demands, const buffer_table& t,
                                              const remap_context& c) const {
    const auto demand = detail::checked_demands(demands, t, c);
    std::vector<buffer_move> moves;
    const std::size_t nb = t.buffers(), nm = t.memories();
    if (nb == 0 || nm < 2) return moves;

    // Nodes fastest first (ties: lower id); the slowest; the capacity node.
    std::vector<memory_id> by_speed(nm);
    std::iota(by_speed.begin(), by_speed.end(), memory_id{0});
    std::stable_sort(by_speed.begin(), by_speed.end(), [&](memory_id a, memory_id b) {
      return c.nodes[a].memory_bandwidth > c.nodes[b].memory_bandwidth;
    });
    const memory_id slowest = by_speed.back();
    memory_id capacity_node = by_speed.back();
    for (auto it = by_speed.rbegin(); it != by_speed.rend(); ++it)
      if (t.capacity(*it) > t.capacity(capacity_node)) capacity_node = *it;
    std::vector<std::size_t> rank(nm);  // 0 = fastest
    for (std::size_t i = 0; i < nm; ++i) rank[by_speed[i]] = i;

    const double headroom_steps = static_cast<double>(std::min(c.steps_until_next_plan, c.steps_left));
    std::vector<bytes> footprint(nb);
    for (std::size_t b = 0; b < nb; ++b)
      footprint[b] = t.size(static_cast<buffer_id>(b)) + demand[b].growth_per_step * headroom_steps;
    // Step times and densities, once per buffer and node (a plan may run every decode step).
    std::vector<double> times(nm * nb), densities(nm * nb);
    for (std::size_t n = 0; n < nm; ++n)
      for (std::size_t b = 0; b < nb; ++b) times[n * nb + b] = step_time(demand[b], c.nodes[n]).value();
    for (std::size_t n = 0; n < nm; ++n)
      for (std::size_t b = 0; b < nb; ++b)
        densities[n * nb + b] =
            (times[slowest * nb + b] - times[n * nb + b]) / std::max(footprint[b].value(), 1.0);
    auto time_on = [&](std::size_t b, memory_id n) { return times[n * nb + b]; };
    auto density = [&](std::size_t b, memory_id n) { return densities[n * nb + b]; };
    // Least dense first for node n (ties: higher id first, the reverse of the fill order).
    auto by_density_ascending = [&](memory_id n) {
      return [&, n](std::size_t a, std::size_t b) {
        const double da = density(a, n), db = density(b, n);
        return da != db ? da < db : a > b;
      };
    };

    // 2. Desired placement.
    std::vector<memory_id> desired(nb, capacity_node);
    std::vector<bool> assigned(nb, false);
    for (const memory_id n : by_speed) {
      if (n == capacity_node) continue;
      std::vector<std::size_t> order;
      for (std::size_t b = 0; b < nb; ++b)
        if (!assigned[b] && density(b, n) > 0.0) order.push_back(b);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return density(a, n) > density(b, n); });
      bytes room = t.capacity(n);
      for (const std::size_t b : order) {
        if (footprint[b] > room) continue;
        room -= footprint[b];
        desired[b] = n;
        assigned[b] = true;
      }
    }

    // The working state: placement, placed footprints per node, and a table copy the plan is
    // applied to as it is built (its own arithmetic decides what fits).
    buffer_table sim = t;
    std::vector<memory_id> home(nb);
    std::vector<bytes> placed(nm);
    for (std::size_t b = 0; b < nb; ++b) {
      home[b] = t.home(static_cast<buffer_id>(b));
      placed[home[b]] += footprint[b];
    }
    auto fits_with_headroom = [&](std::size_t b, memory_id n) {
      return placed[n] + footprint[b] <= t.capacity(n) && sim.fits(static_cast<buffer_id>(b), n);
    };
    auto apply = [&](std::size_t b, memory_id to) {
      const auto id = static_cast<buffer_id>(b);
      moves.push_back({id, home[b], to, sim.size(id)});
      sim.move(id, to);  // cannot throw: every caller checked that it fits
      placed[home[b]] -= footprint[b];
      placed[to] += footprint[b];
      home[b] = to;
    };
    // Where an evicted buffer goes: its desired node, else the capacity node, with headroom;
    // else any node slower than `from` with room for its present size.
    auto eviction_target = [&](std::size_t b, memory_id from) -> std::optional<memory_id> {
      if (desired[b] != from && fits_with_headroom(b, desired[b])) return desired[b];
      if (capacity_node != from && fits_with_headroom(b, capacity_node)) return capacity_node;
      for (const memory_id n : by_speed)
        if (rank[n] > rank[from] && sim.fits(static_cast<buffer_id>(b), n)) return n;
      return std::nullopt;
    };

    // 3. Forced evictions.
    for (const memory_id n : by_speed) {
      if (placed[n] <= t.capacity(n)) continue;
      std::vector<std::size_t> victims;
      for (std::size_t b = 0; b < nb; ++b)
        if (home[b] == n && desired[b] != n) victims.push_back(b);
      std::sort(victims.begin(), victims.end(), by_density_ascending(n));
      for (const std::size_t v : victims) {
        if (placed[n] <= t.capacity(n)) break;
        if (const auto to = eviction_target(v, n)) apply(v, *to);
      }
    }

    // 4. Promotions that pay off.
    std::vector<std::size_t> candidates;
    for (std::size_t b = 0; b < nb; ++b)
      if (rank[desired[b]] < rank[home[b]]) candidates.push_back(b);
    std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
      return density(a, desired[a]) > density(b, desired[b]);
    });
    const double steps = static_cast<double>(c.steps_left);
    std::vector<std::vector<std::size_t>> victims_of(nm);
    std::vector<bool> victims_listed(nm, false);
    for (const std::size_t b : candidates) {
      const memory_id to = desired[b];
      if (home[b] == to) continue;
      const double gain = steps * (time_on(b, home[b]) - time_on(b, to));
      if (!(gain > 0.0)) continue;
      // The buffers to evict first: those on `to` the desired placement puts elsewhere, least
      // dense first (listed once per node; those that have left since are skipped below).
      auto& victims = victims_of[to];
      if (!victims_listed[to]) {
        for (std::size_t v = 0; v < nb; ++v)
          if (home[v] == to && desired[v] != to) victims.push_back(v);
        std::sort(victims.begin(), victims.end(), by_density_ascending(to));
        victims_listed[to] = true;
      }
      // Choose victims and their targets on a trial copy of the footprints.
      const auto saved_placed = placed;
      std::vector<std::pair<std::size_t, memory_id>> evictions;
      double loss = 0.0;
      bytes moved = t.size(static_cast<buffer_id>(b));
      bool ok = true;
      for (const std::size_t v : victims) {
        if (placed[to] + footprint[b] <= t.capacity(to)) break;
        if (home[v] != to) continue;
        std::optional<memory_id> dest;
        if (desired[v] != to && placed[desired[v]] + footprint[v] <= t.capacity(desired[v])) dest = desired[v];
        else if (capacity_node != to && placed[capacity_node] + footprint[v] <= t.capacity(capacity_node))
          dest = capacity_node;
        if (!dest) { ok = false; break; }
        placed[to] -= footprint[v];
        placed[*dest] += footprint[v];
        evictions.emplace_back(v, *dest);
        loss += steps * (time_on(v, *dest) - time_on(v, to));
        moved += t.size(static_cast<buffer_id>(v));
      }
      ok = ok && placed[to] + footprint[b] <= t.capacity(to);
      placed = saved_placed;
      if (!ok || !(gain - loss > (moved / c.link).value())) continue;
      for (const auto& [v, dest] : evictions) {
        if (!sim.fits(static_cast<buffer_id>(v), dest)) { ok = false; break; }
        apply(v, dest);
      }
      if (ok && sim.fits(static_cast<buffer_id>(b), to)) apply(b, to);
    }
    return moves;
  }
};

// Never moves a buffer: the static placement the buffers were created with.
struct no_buffer_remapping {
  [[nodiscard]] std::string_view name() const { return "none"; }
  [[nodiscard]] std::vector<buffer_move> plan(std::span<const buffer_demand>, const buffer_table&,
                                              const remap_context&) const {
    return {};
  }
};

static_assert(buffer_mapper<greedy_kernel_memory_mapper>);
static_assert(buffer_mapper<no_buffer_remapping>);

}  // namespace hermes
