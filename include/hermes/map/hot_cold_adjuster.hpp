#pragma once
// Online hot/cold adjustment (Sec IV-C.1): after each token, neurons whose predictor state rose
// above T_h become hot and are copied to the GPU during the output-projection step, overwriting
// the copies with the lowest states. Every neuron keeps its home on a DIMM, so an eviction is an
// overwrite, never a copy back; only the promoted neurons cross PCIe, and that copy is charged to
// the link in the ledger.
#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/mask_bits.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/placement.hpp"

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

// Predictors whose states are readable as bit-sliced planes (hermes_predictor's
// neuron_state_table): `states().planes(layer, kind)[4g + b]` is bit b of the 4-bit states of
// neurons 64g..64g+63.
template <class P>
concept bitsliced_state_source = requires(const P& p, std::size_t layer, layer_kind k) {
  { p.states().planes(layer, k) } -> std::convertible_to<const std::uint64_t*>;
  { p.states().neurons_of(layer, k) } -> std::convertible_to<std::size_t>;
};

namespace detail {

// Of the 64 neurons whose bit-sliced 4-bit states are `s[0..3]` (bit 0 first): those whose state
// is exactly v (0..15).
[[nodiscard]] inline std::uint64_t state_equals(const std::uint64_t* s, unsigned v) {
  std::uint64_t r = ~std::uint64_t{0};
  for (unsigned b = 0; b < 4; ++b) r &= ((v >> b) & 1u) ? s[b] : ~s[b];
  return r;
}

// Those whose state is at least c (0..16; 0: all, 16: none). Bits from the lowest upwards:
// "the low b bits are >= c's low b bits" is s_b & r where c_b = 1 and s_b | r where c_b = 0.
[[nodiscard]] inline std::uint64_t state_at_least(const std::uint64_t* s, unsigned c) {
  if (c > 15) return 0;
  std::uint64_t r = ~std::uint64_t{0};
  for (unsigned b = 0; b < 4; ++b) r = ((c >> b) & 1u) ? (s[b] & r) : (s[b] | r);
  return r;
}

// The neurons set in `resident`, coldest state first and ascending index within a state, read
// lazily from bit-sliced states: advance(below) finds the next one if its state is below `below`
// (false otherwise, or when none is left; buckets at or above `below` are not scanned), neuron()
// and state() name it, pop() consumes it.
class coldest_first {
 public:
  coldest_first(const std::uint64_t* planes, const std::vector<std::uint64_t>& resident)
      : planes_(planes), resident_(&resident) {
    if (!resident.empty()) pending_ = load();
    else exhausted_ = true;
  }
  bool advance(unsigned below = 16) {
    while (pending_ == 0 && !exhausted_) {
      if (group_ + 1 == resident_->size()) {
        if (state_ == 15) {
          exhausted_ = true;
          break;
        }
        if (state_ + 1 >= below) return false;  // the next bucket is not wanted (yet)
        ++state_;
        group_ = 0;
      } else {
        ++group_;
      }
      pending_ = load();
    }
    return pending_ != 0 && state_ < below;
  }
  [[nodiscard]] std::uint32_t neuron() const {
    return static_cast<std::uint32_t>(group_ * 64 + static_cast<std::size_t>(std::countr_zero(pending_)));
  }
  [[nodiscard]] unsigned state() const { return state_; }
  void pop() { pending_ &= pending_ - 1; }

 private:
  [[nodiscard]] std::uint64_t load() const { return (*resident_)[group_] & state_equals(planes_ + 4 * group_, state_); }
  const std::uint64_t* planes_;
  const std::vector<std::uint64_t>* resident_;
  std::size_t group_ = 0;
  unsigned state_ = 0;
  std::uint64_t pending_ = 0;
  bool exhausted_ = false;
};

}  // namespace detail

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
    return adjust_scan(p, state_of, gpu_capacity_neurons, neuron_bytes, l, ready, stage);
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
    // Predictors that keep their states bit-sliced (hermes_predictor's neuron_state_table) are
    // read 64 neurons per word: the per-neuron state scan below was the simulator's hottest loop.
    // Same decisions, same order (tests compare both).
    if constexpr (bitsliced_state_source<Predictor>) {
      const auto& table = predictor.states();
      const std::size_t n = table.neurons_of(layer, kind);
      if (p.neurons() > n)
        throw invalid_parameter("hot_cold_adjuster: placement neurons", std::to_string(p.neurons()),
                                "at most the predictor's " + std::to_string(n) + " neurons of the layer");
      return adjust_bitsliced(p, table.planes(layer, kind), gpu_capacity_neurons, neuron_bytes, l, ready, stage);
    } else {
      return adjust(p, [&](std::size_t i) { return static_cast<unsigned>(predictor.state(layer, kind, i)); },
                    gpu_capacity_neurons, neuron_bytes, l, ready, stage);
    }
  }

 private:
  // The adjustment from one state per neuron (the reference the bit-sliced path is tested
  // against). Every neuron's state is read once. Orders use 16 state buckets (states are 4-bit),
  // indices ascending within a bucket: resident copies coldest first (the eviction order),
  // candidates hottest first, ties by index.
  template <class StateOf>
  hot_cold_adjustment adjust_scan(layer_placement& p, StateOf&& state_of, std::size_t gpu_capacity_neurons,
                                  bytes neuron_bytes, ledger& l, seconds ready, std::string_view stage) const {
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
    for (std::size_t i = 0; i < p.neurons(); ++i) {
      if (p.cached.test(i)) continue;
      const unsigned v = read(i);
      if (v > threshold_) hot_by_state[v].push_back(static_cast<std::uint32_t>(i));
    }

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

  // The same adjustment on bit-sliced states (`planes[4g + b]` holds bit b of the states of
  // neurons 64g..64g+63, neuron_state_table's layout), 64 neurons per word operation. A state
  // bucket of a word is the AND of four planes or their complements, so both orders above come
  // from word scans: candidates = bucket v (hottest first) minus the resident copies, victims =
  // resident copies bucket by bucket (coldest first), produced lazily since a token promotes a
  // few neurons and the GPU holds thousands. Nothing is allocated when nothing moves.
  hot_cold_adjustment adjust_bitsliced(layer_placement& p, const std::uint64_t* planes, std::size_t gpu_capacity_neurons,
                                       bytes neuron_bytes, ledger& l, seconds ready, std::string_view stage) const {
    require_positive("hot_cold_adjuster.neuron_bytes", neuron_bytes.value());
    hot_cold_adjustment r;
    r.end = ready;
    const auto& cached = p.cached.words();
    const std::size_t words = cached.size();
    // States past the placement's last neuron (a table sized for a larger layer) are not read.
    const std::uint64_t last_word = p.neurons() % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (p.neurons() % 64)) - 1;
    const auto lanes = [&](std::size_t g) { return g + 1 == words ? last_word : ~std::uint64_t{0}; };
    const auto candidates = [&](std::size_t g, const std::vector<std::uint64_t>& resident, unsigned v) {
      return detail::state_equals(planes + 4 * g, v) & ~resident[g] & lanes(g);
    };
    bool any_candidate = false;
    for (std::size_t g = 0; g < words && !any_candidate; ++g)
      any_candidate = (detail::state_at_least(planes + 4 * g, threshold_ + 1) & ~cached[g] & lanes(g)) != 0;
    std::size_t residents = count_bits(cached);
    if (!any_candidate) {
      if (residents <= gpu_capacity_neurons) return r;
    } else if (residents == gpu_capacity_neurons) {
      // A full GPU: the hottest candidate moves only by overwriting a colder copy. The common
      // case (every copy at least as hot) is decided here with two word scans and no allocation.
      const auto has_candidate = [&](unsigned v) {
        for (std::size_t g = 0; g < words; ++g)
          if (candidates(g, cached, v) != 0) return true;
        return false;
      };
      unsigned top = max_state;  // the hottest candidate's state (there is one above threshold_)
      while (!has_candidate(top)) --top;
      bool colder = false;
      for (std::size_t g = 0; g < words && !colder; ++g)
        colder = (cached[g] & ~detail::state_at_least(planes + 4 * g, top)) != 0;
      if (!colder) return r;
    }

    const std::vector<std::uint64_t> resident = cached;  // the copies before this adjustment
    detail::coldest_first victims(planes, resident);
    const auto evict = [&] {
      const std::uint32_t i = victims.neuron();
      victims.pop();
      p.cached.reset(i);
      r.evicted.push_back(i);
      --residents;
    };
    // A budget smaller than the resident set (the caller shrank it): drop the coldest copies.
    while (residents > gpu_capacity_neurons) {
      victims.advance();
      evict();
    }
    std::size_t free_slots = gpu_capacity_neurons - residents;
    const auto promote = [&] {
      for (unsigned v = max_state + 1; v-- > threshold_ + 1;)
        for (std::size_t g = 0; g < words; ++g)
          for (std::uint64_t m = candidates(g, resident, v); m != 0; m &= m - 1) {
            if (free_slots > 0) {
              --free_slots;
            } else if (victims.advance(v)) {
              evict();
            } else {
              return;  // every resident copy is at least as hot as the remaining candidates
            }
            const auto i = static_cast<std::uint32_t>(g * 64 + static_cast<std::size_t>(std::countr_zero(m)));
            p.cached.set(i);
            r.promoted.push_back(i);
          }
    };
    promote();
    if (!r.promoted.empty()) {
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
