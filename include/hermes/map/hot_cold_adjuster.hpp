#pragma once
// Online hot/cold adjustment (Sec IV-C.1): after each token, neurons whose predictor state rose
// above T_h become hot and are copied to the GPU during the output-projection step, overwriting
// the copies with the lowest states. Every neuron keeps its home on a DIMM, so an eviction is an
// overwrite, never a copy back; only the promoted neurons cross PCIe, and that copy is charged to
// the link in the ledger.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/activation/trace.hpp"
#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/map/placement.hpp"

namespace hermes {

// Anything that reports a 4-bit state per neuron, e.g. hermes_predictor (its neuron_state_table).
template <class P>
concept neuron_state_source = requires(const P& p, std::size_t layer, layer_kind k, std::size_t i) {
  { p.state(layer, k, i) } -> std::convertible_to<unsigned>;
};

struct hot_cold_adjustment {
  std::vector<std::uint32_t> promoted;  // copied to the GPU, hottest first
  std::vector<std::uint32_t> evicted;   // GPU copies overwritten (or dropped to meet the capacity)
  bytes copied{};                       // over PCIe
  seconds end{};                        // when the copy is done (== ready if nothing moved)
};

template <class Link>
class hot_cold_adjuster {
  static_assert(link_device<Link>,
                "hot_cold_adjuster<Link>: Link must model hermes::link_device, i.e. have name() and "
                "transfer(bytes) -> device_cost (a PCIe link policy or a mock)");

 public:
  // Sec IV-C.1: a neuron is hot iff its 4-bit state exceeds T_h = 10.
  static constexpr unsigned paper_hot_threshold = 10;
  static constexpr unsigned max_state = 15;  // 4-bit state table

  hot_cold_adjuster(Link link, ledger::resource_id pcie, unsigned hot_threshold = paper_hot_threshold)
      : link_(std::move(link)), pcie_(pcie), threshold_(hot_threshold) {
    if (hot_threshold >= max_state)
      throw invalid_parameter("hot_cold_adjuster.hot_threshold", std::to_string(hot_threshold),
                              "a state below 15 (4-bit states; hot iff state > threshold)");
  }

  [[nodiscard]] unsigned hot_threshold() const { return threshold_; }
  [[nodiscard]] const Link& link() const { return link_; }

  // `state_of(i)`: the current state of neuron i of this layer. `gpu_capacity_neurons`: how many
  // copies of this layer the GPU may hold (the offline placement's budget for the layer).
  template <class StateOf>
    requires std::invocable<StateOf&, std::size_t>
  hot_cold_adjustment adjust(layer_placement& p, StateOf&& state_of, std::size_t gpu_capacity_neurons,
                             bytes neuron_bytes, ledger& l, seconds ready,
                             std::string_view stage = "pcie_hot_copy") const {
    return adjust_candidates(p, state_of, nullptr, gpu_capacity_neurons, neuron_bytes, l, ready, stage);
  }

  hot_cold_adjustment adjust(layer_placement& p, std::span<const std::uint8_t> states,
                             std::size_t gpu_capacity_neurons, bytes neuron_bytes, ledger& l, seconds ready,
                             std::string_view stage = "pcie_hot_copy") const {
    if (states.size() != p.neurons())
      throw invalid_parameter("hot_cold_adjuster.states.size()", std::to_string(states.size()),
                              std::to_string(p.neurons()) + " (one state per neuron of the layer)");
    return adjust(p, [&](std::size_t i) { return static_cast<unsigned>(states[i]); }, gpu_capacity_neurons,
                  neuron_bytes, l, ready, stage);
  }

  template <neuron_state_source Predictor>
  hot_cold_adjustment adjust(layer_placement& p, const Predictor& predictor, std::size_t layer, layer_kind kind,
                             std::size_t gpu_capacity_neurons, bytes neuron_bytes, ledger& l, seconds ready,
                             std::string_view stage = "pcie_hot_copy") const {
    // Fast path for predictors that expose their hot set word by word (hermes_predictor): on most
    // tokens no uncached neuron is hot and the budget holds, so nothing moves and the per-neuron
    // state scan below (the simulator's hottest loop otherwise) is skipped. Same result.
    if constexpr (requires(neuron_mask& m) {
                    predictor.hot_set(layer, kind, m);
                    { predictor.params().hot_threshold } -> std::convertible_to<unsigned>;
                  }) {
      if (predictor.params().hot_threshold == threshold_ && p.cached.count() <= gpu_capacity_neurons) {
        require_positive("hot_cold_adjuster.neuron_bytes", neuron_bytes.value());
        neuron_mask hot(p.neurons());
        predictor.hot_set(layer, kind, hot);
        bool any = false;
        const auto& h = hot.words();
        const auto& c = p.cached.words();
        for (std::size_t w = 0; w < h.size() && !any; ++w) any = (h[w] & ~c[w]) != 0;
        if (!any) {
          hot_cold_adjustment r;
          r.end = ready;
          return r;
        }
        // Only the hot uncached neurons are candidates: the scan skips every other state.
        return adjust_candidates(p, [&](std::size_t i) { return static_cast<unsigned>(predictor.state(layer, kind, i)); },
                                 &hot, gpu_capacity_neurons, neuron_bytes, l, ready, stage);
      }
    }
    return adjust(p, [&](std::size_t i) { return static_cast<unsigned>(predictor.state(layer, kind, i)); },
                  gpu_capacity_neurons, neuron_bytes, l, ready, stage);
  }

 private:
  // The adjustment itself. States are read only for resident copies and for candidates: every
  // neuron when `hot_hint` is null, else only the neurons set in it (a superset of the neurons
  // whose state exceeds the threshold). Orders use 16 state buckets (states are 4-bit), indices
  // ascending within a bucket: resident copies coldest first (the eviction order), candidates
  // hottest first, ties by index.
  template <class StateOf>
  hot_cold_adjustment adjust_candidates(layer_placement& p, StateOf&& state_of, const neuron_mask* hot_hint,
                                        std::size_t gpu_capacity_neurons, bytes neuron_bytes, ledger& l,
                                        seconds ready, std::string_view stage) const {
    require_positive("hot_cold_adjuster.neuron_bytes", neuron_bytes.value());
    const auto read = [&](std::size_t i) {
      const auto v = static_cast<unsigned>(state_of(i));
      if (v > max_state)
        throw invalid_parameter("neuron state [" + std::to_string(i) + "]", std::to_string(v), "0..15");
      return v;
    };
    std::array<std::vector<std::uint32_t>, max_state + 1> resident_by_state, hot_by_state;
    std::vector<std::uint8_t> resident_state;  // parallel to the eviction order, filled below
    std::size_t residents = 0;
    p.cached.for_each([&](std::size_t i) {
      resident_by_state[read(i)].push_back(static_cast<std::uint32_t>(i));
      ++residents;
    });
    const auto consider = [&](std::size_t i) {
      if (p.cached.test(i)) return;
      const unsigned v = read(i);
      if (v > threshold_) hot_by_state[v].push_back(static_cast<std::uint32_t>(i));
    };
    if (hot_hint) hot_hint->for_each(consider);
    else
      for (std::size_t i = 0; i < p.neurons(); ++i) consider(i);

    std::vector<std::uint32_t> resident;
    resident.reserve(residents);
    resident_state.reserve(residents);
    for (unsigned v = 0; v <= max_state; ++v)
      for (std::uint32_t i : resident_by_state[v]) {
        resident.push_back(i);
        resident_state.push_back(static_cast<std::uint8_t>(v));
      }

    hot_cold_adjustment r;
    r.end = ready;
    std::size_t next_victim = 0;
    // A budget smaller than the resident set (the caller shrank it): drop the coldest copies.
    while (resident.size() - next_victim > gpu_capacity_neurons) {
      p.cached.reset(resident[next_victim]);
      r.evicted.push_back(resident[next_victim++]);
    }
    std::size_t free_slots = gpu_capacity_neurons - (resident.size() - next_victim);
    bool done = false;
    for (unsigned v = max_state + 1; v-- > threshold_ + 1 && !done;)
      for (std::uint32_t i : hot_by_state[v]) {
        if (free_slots > 0) {
          --free_slots;
        } else if (next_victim < resident.size() && resident_state[next_victim] < v) {
          p.cached.reset(resident[next_victim]);
          r.evicted.push_back(resident[next_victim++]);
        } else {
          done = true;  // every resident copy is at least as hot as the remaining candidates
          break;
        }
        p.cached.set(i);
        r.promoted.push_back(i);
      }
    if (!r.promoted.empty()) {
      // One batched DMA per layer: the promoted neurons' chunks are copied back to back.
      r.copied = neuron_bytes * static_cast<double>(r.promoted.size());
      r.end = l.charge(pcie_, ready, link_.transfer(r.copied), stage);
    }
    return r;
  }

  Link link_;
  ledger::resource_id pcie_;
  unsigned threshold_;
};

}  // namespace hermes
