#pragma once
// Online hot/cold adjustment (Sec IV-C.1): after each token, neurons whose predictor state rose
// above T_h become hot and are copied to the GPU during the output-projection step, overwriting
// the copies with the lowest states. Every neuron keeps its home on a DIMM, so an eviction is an
// overwrite, never a copy back; only the promoted neurons cross PCIe, and that copy is charged to
// the link in the ledger.
#include <algorithm>
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
    require_positive("hot_cold_adjuster.neuron_bytes", neuron_bytes.value());
    const std::size_t n = p.neurons();
    std::vector<std::uint8_t> s(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto v = static_cast<unsigned>(state_of(i));
      if (v > max_state)
        throw invalid_parameter("neuron state [" + std::to_string(i) + "]", std::to_string(v), "0..15");
      s[i] = static_cast<std::uint8_t>(v);
    }
    hot_cold_adjustment r;
    r.end = ready;
    // Resident copies, coldest first: the eviction order. Ties go by index for reproducibility.
    std::vector<std::uint32_t> resident = p.cached.indices();
    std::stable_sort(resident.begin(), resident.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return s[a] < s[b]; });
    std::size_t next_victim = 0;
    // A budget smaller than the resident set (the caller shrank it): drop the coldest copies.
    while (resident.size() - next_victim > gpu_capacity_neurons) {
      p.cached.reset(resident[next_victim]);
      r.evicted.push_back(resident[next_victim++]);
    }
    std::size_t free_slots = gpu_capacity_neurons - (resident.size() - next_victim);

    std::vector<std::uint32_t> hot;
    for (std::uint32_t i = 0; i < n; ++i)
      if (s[i] > threshold_ && !p.cached.test(i)) hot.push_back(i);
    std::stable_sort(hot.begin(), hot.end(), [&](std::uint32_t a, std::uint32_t b) { return s[a] > s[b]; });
    for (std::uint32_t i : hot) {
      if (free_slots > 0) {
        --free_slots;
      } else if (next_victim < resident.size() && s[resident[next_victim]] < s[i]) {
        p.cached.reset(resident[next_victim]);
        r.evicted.push_back(resident[next_victim++]);
      } else {
        break;  // every resident copy is at least as hot as the remaining candidates
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
    return adjust(p, [&](std::size_t i) { return static_cast<unsigned>(predictor.state(layer, kind, i)); },
                  gpu_capacity_neurons, neuron_bytes, l, ready, stage);
  }

 private:
  Link link_;
  ledger::resource_id pcie_;
  unsigned threshold_;
};

}  // namespace hermes
