#pragma once
// Window-based cold-neuron remapping across NDP-DIMMs (Sec IV-D, Algorithm 1).
//
// A fixed cold mapping leaves some DIMMs with more active neurons than others (the paper measures
// 1.2x to 2.5x on LLaMA-13B), and the slowest DIMM sets the layer time. Every `window` tokens the
// remapper sums, per DIMM, the window's activation counts of the cold neurons homed there (a
// neuron with a GPU copy is computed on the GPU and does not load its DIMM), pairs the i-th most
// loaded DIMM with the i-th least loaded, and within each pair moves the most activated neurons
// from the heavier to the lighter DIMM over DIMM-link while a move still reduces the pair's
// imbalance and the lighter DIMM has room. The moves of a pair are one DIMM-link transfer charged
// to the ledger; pairs are disjoint, so their links work in parallel.
#include <algorithm>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/mask_bits.hpp"
#include "hermes/core/neuron_mask.hpp"
#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/map/dimm_occupancy.hpp"
#include "hermes/map/home_masks.hpp"
#include "hermes/core/placement.hpp"

namespace hermes {

struct remap_move {
  std::uint32_t neuron;
  device_index from, to;
  std::uint32_t activations;  // in the window
};

struct remap_report {
  std::vector<remap_move> moves;
  std::vector<double> load_before;  // [j]: window activations computed by DIMM j + 1
  std::vector<double> load_after;
  bytes moved{};                    // over DIMM-link, all pairs
  seconds end{};                    // when the last pair's transfer is done (== ready if none)

  // max / mean of a load vector: 1 is perfectly balanced.
  [[nodiscard]] static double imbalance(const std::vector<double>& load) {
    double sum = 0.0, mx = 0.0;
    for (double v : load) sum += v, mx = std::max(mx, v);
    return sum > 0.0 ? mx * static_cast<double>(load.size()) / sum : 1.0;
  }
};

template <class DimmLink>
class window_remapper {
  static_assert(link_device<DimmLink>,
                "window_remapper<DimmLink>: DimmLink must model hermes::link_device, i.e. have name() "
                "and transfer(bytes) -> device_cost (a DIMM-link policy or a mock)");

 public:
  static constexpr std::size_t paper_window_tokens = 5;  // Sec IV-D

  window_remapper(std::size_t neurons, std::size_t dimms, DimmLink link,
                  std::size_t window_tokens = paper_window_tokens)
      : neurons_(neurons), words_((neurons + 63) / 64), dimms_(dimms), window_(window_tokens),
        link_(std::move(link)) {
    require_positive("window_remapper.neurons", neurons);
    require_positive("window_remapper.dimms", dimms);
    require_positive("window_remapper.window_tokens", window_tokens);
  }

  // Records which neurons of the layer fired for one token; true once the window is complete.
  bool record(const neuron_mask& fired) {
    if (fired.size() != neurons_)
      throw invalid_parameter("window_remapper.record(mask).size()", std::to_string(fired.size()),
                              std::to_string(neurons_) + " (the layer's neurons)");
    // Counts are kept bit-sliced (plane b, word k: bit b of the counts of neurons 64k..64k+63):
    // a token's words are added as carries through plane 0, then plane 1, ..., a few operations
    // per word instead of an increment per fired neuron. The planes are few (3 for the paper's
    // 5-token window), so every carry runs through all of them: each plane is one branch-free
    // loop over the words (it vectorises), where a per-word carry that stops once no lane
    // carries stops at a varying plane and mispredicts. A plane is added before a count could
    // outgrow them (counts never exceed the tokens recorded).
    const std::size_t words = words_;
    if (((tokens_ + 1) >> count_planes_) != 0) {
      planes_.resize(planes_.size() + words, 0);
      ++count_planes_;
    }
    carries_.assign(fired.words().begin(), fired.words().end());  // plane by plane, each a vector loop
    for (std::size_t b = 0; b < count_planes_; ++b) {
      std::uint64_t* plane = planes_.data() + b * words;
      for (std::size_t k = 0; k < words; ++k) {
        const std::uint64_t old = plane[k];
        plane[k] = old ^ carries_[k];
        carries_[k] &= old;
      }
    }
    ++tokens_;
    return window_complete();
  }
  [[nodiscard]] bool window_complete() const { return tokens_ >= window_; }
  [[nodiscard]] std::size_t tokens_recorded() const { return tokens_; }
  [[nodiscard]] std::size_t window_tokens() const { return window_; }
  // Per neuron, how often it fired in the window (unpacked from the bit-sliced counters).
  [[nodiscard]] std::vector<std::uint32_t> counts() const {
    std::vector<std::uint32_t> c(neurons_, 0);
    for (std::size_t i = 0; i < neurons_; ++i) c[i] = count(i);
    return c;
  }

  // Per DIMM, the window's activations of the cold neurons homed there.
  [[nodiscard]] std::vector<double> dimm_loads(const layer_placement& p) const {
    check(p);
    return loads(p, home_masks(p, dimms_ + 1));
  }

  // Algorithm 1 on the recorded window; then starts a new window. `link_of(from, to)` names the
  // ledger resource of the DIMM-link between two DIMMs (devices 1..D). `homes` are p's home masks
  // over devices 0..D (home_masks(p, D + 1)); every move updates them with p.home, so they stay
  // equal to p's homes.
  template <class LinkOf>
    requires std::invocable<LinkOf&, device_index, device_index>
  remap_report remap(layer_placement& p, home_masks& homes, bytes neuron_bytes, dimm_occupancy& occupancy,
                     ledger& l, LinkOf&& link_of, seconds ready, std::string_view stage = "dimm_link_remap") {
    require_positive("window_remapper.neuron_bytes", neuron_bytes.value());
    if (occupancy.dimms() != dimms_)
      throw invalid_parameter("window_remapper.occupancy.dimms()", std::to_string(occupancy.dimms()),
                              std::to_string(dimms_));
    check(p, homes);
    remap_report r;
    r.end = ready;

    // The DIMM loads from the bit-sliced counts and the home masks, 64 neurons per word operation.
    std::vector<double> load = loads(p, homes);
    r.load_before = load;

    std::vector<std::size_t> by_load(dimms_);
    for (std::size_t j = 0; j < dimms_; ++j) by_load[j] = j;
    std::stable_sort(by_load.begin(), by_load.end(), [&](std::size_t a, std::size_t b) { return load[a] > load[b]; });

    const auto& cached = p.cached.words();
    const std::size_t words = words_;
    for (std::size_t k = 0; k < dimms_ / 2; ++k) {
      const std::size_t heavy = by_load[k], light = by_load[dimms_ - 1 - k];
      const auto from = static_cast<device_index>(heavy + 1), to = static_cast<device_index>(light + 1);
      const std::uint64_t* heavy_homes = homes.of(from).data();
      std::size_t pair_moves = 0;
      // The heavier DIMM's cold neurons with count c, ascending index: found by word scans of the
      // counters (only the heavier DIMM of a pair is ever scanned, and only for the counts that
      // can still move). Moving c activations changes the difference to diff - 2c: smaller in
      // magnitude iff c < diff. The difference only changes with a move, so once a count fails
      // the test every neuron with the same count does too: on to the next (smaller) count.
      // Returns false once the lighter DIMM is full, which ends the pair.
      const auto move_count = [&](std::uint32_t count) {
        const auto c = static_cast<double>(count);
        for (std::size_t g = 0; g < words; ++g)
          for (std::uint64_t m = count_equals(g, count) & ~cached[g] & heavy_homes[g]; m != 0; m &= m - 1) {
            if (!(c < load[heavy] - load[light])) return true;
            if (!occupancy.fits(to, neuron_bytes)) return false;
            const auto i = static_cast<std::uint32_t>(g * 64 + static_cast<std::size_t>(std::countr_zero(m)));
            occupancy.move(from, to, neuron_bytes);
            p.home[i] = to;
            homes.move(i, from, to);
            load[heavy] -= c;
            load[light] += c;
            r.moves.push_back(remap_move{i, from, to, count});
            ++pair_moves;
          }
        return true;
      };
      // Most activated first: counts tokens_ down to 1 (a count never exceeds the tokens recorded).
      for (auto count = static_cast<std::uint32_t>(tokens_); count >= 1; --count)
        if (static_cast<double>(count) < load[heavy] - load[light] && !move_count(count)) break;
      if (pair_moves > 0) {
        const bytes b = neuron_bytes * static_cast<double>(pair_moves);
        r.moved += b;
        r.end = max(r.end, l.charge(link_of(from, to), ready, link_.transfer(b), stage));
      }
    }
    r.load_after = std::move(load);
    // A new window.
    std::fill(planes_.begin(), planes_.end(), 0u);
    tokens_ = 0;
    return r;
  }

  // The same for a caller that keeps no home masks: they are derived from p for this remap.
  template <class LinkOf>
    requires std::invocable<LinkOf&, device_index, device_index>
  remap_report remap(layer_placement& p, bytes neuron_bytes, dimm_occupancy& occupancy, ledger& l,
                     LinkOf&& link_of, seconds ready, std::string_view stage = "dimm_link_remap") {
    check(p);
    home_masks homes(p, dimms_ + 1);
    return remap(p, homes, neuron_bytes, occupancy, l, std::forward<LinkOf>(link_of), ready, stage);
  }

  // All DIMM-links charged to one ledger resource.
  remap_report remap(layer_placement& p, bytes neuron_bytes, dimm_occupancy& occupancy, ledger& l,
                     ledger::resource_id dimm_link, seconds ready, std::string_view stage = "dimm_link_remap") {
    return remap(p, neuron_bytes, occupancy, l, [dimm_link](device_index, device_index) { return dimm_link; },
                 ready, stage);
  }
  remap_report remap(layer_placement& p, home_masks& homes, bytes neuron_bytes, dimm_occupancy& occupancy,
                     ledger& l, ledger::resource_id dimm_link, seconds ready,
                     std::string_view stage = "dimm_link_remap") {
    return remap(p, homes, neuron_bytes, occupancy, l,
                 [dimm_link](device_index, device_index) { return dimm_link; }, ready, stage);
  }

 private:
  // The placement must match the layer and home every neuron on a DIMM 1..D. Called once per
  // remap over all neurons, so the scan is one pass of min and max (it vectorises); the detailed
  // message comes from a second pass only when something is wrong.
  void check(const layer_placement& p) const {
    if (p.neurons() != neurons_)
      throw invalid_parameter("window_remapper: placement neurons", std::to_string(p.neurons()),
                              std::to_string(neurons_));
    if (p.cached.size() != p.home.size()) p.validate(dimms_ + 1);  // throws, naming the sizes
    device_index lowest = std::numeric_limits<device_index>::max(), highest = 0;
    for (const device_index h : p.home) {
      lowest = std::min(lowest, h);
      highest = std::max(highest, h);
    }
    if (p.home.empty() || (lowest >= 1 && highest <= dimms_)) return;
    p.validate(dimms_ + 1);
    for (std::size_t i = 0; i < p.neurons(); ++i)
      if (p.home[i] == 0)
        throw invalid_parameter("window_remapper: home[" + std::to_string(i) + "]", "0 (the GPU)",
                                "a DIMM 1.." + std::to_string(dimms_) + "; the GPU only holds copies");
  }

  // The masks must be the home masks of a placement checked as above: the right size and
  // devices, and no home on the GPU (device 0). Constant time: that they equal p's homes is the
  // invariant their owner keeps (home_masks::move on every home change).
  void check(const layer_placement& p, const home_masks& homes) const {
    if (p.neurons() != neurons_)
      throw invalid_parameter("window_remapper: placement neurons", std::to_string(p.neurons()),
                              std::to_string(neurons_));
    if (p.cached.size() != p.home.size()) p.validate(dimms_ + 1);  // throws, naming the sizes
    if (homes.neurons() != neurons_ || homes.devices() != dimms_ + 1)
      throw invalid_parameter("window_remapper: home masks",
                              std::to_string(homes.neurons()) + " neurons over " + std::to_string(homes.devices()) +
                                  " devices",
                              std::to_string(neurons_) + " neurons over devices 0.." + std::to_string(dimms_));
    if (homes.homed_on(0) != 0)
      throw invalid_parameter("window_remapper: home masks of device 0", std::to_string(homes.homed_on(0)) + " neurons",
                              "none: every home is a DIMM 1.." + std::to_string(dimms_) + "; the GPU only holds copies");
  }

  // Per DIMM, the window's activations of its cold neurons: sum over the count planes of
  // 2^b x |plane b & ~cached & DIMM mask| (whole numbers, so exact in a double).
  [[nodiscard]] std::vector<double> loads(const layer_placement& p, const home_masks& homes) const {
    std::vector<double> load(dimms_, 0.0);
    const std::uint64_t* cached = p.cached.words().data();
    const std::size_t words = words_;
    for (std::size_t j = 0; j < dimms_; ++j) {
      const std::uint64_t* h = homes.of(static_cast<device_index>(j + 1)).data();
      std::size_t sum = 0;
      for (std::size_t b = 0; b < count_planes_; ++b) {
        const std::uint64_t* plane = planes_.data() + b * words;
        sum += count_bits_of(words, [&](std::size_t k) { return plane[k] & ~cached[k] & h[k]; }) << b;
      }
      load[j] = static_cast<double>(sum);
    }
    return load;
  }

  // Of neurons 64g..64g+63, those whose window count is exactly `count` (below 2^count_planes_).
  [[nodiscard]] std::uint64_t count_equals(std::size_t g, std::uint32_t count) const {
    const std::size_t words = words_;
    std::uint64_t r = ~std::uint64_t{0};
    for (std::size_t b = 0; b < count_planes_; ++b) {
      const std::uint64_t plane = planes_[b * words + g];
      r &= ((count >> b) & 1u) ? plane : ~plane;
    }
    return r;
  }

  // Neuron i's firing count in the window.
  [[nodiscard]] std::uint32_t count(std::size_t i) const {
    const std::size_t words = words_;
    std::uint32_t c = 0;
    for (std::size_t b = 0; b < count_planes_; ++b)
      c |= static_cast<std::uint32_t>((planes_[b * words + i / 64] >> (i % 64)) & 1u) << b;
    return c;
  }

  std::size_t neurons_;
  std::size_t words_;                   // mask words of the layer
  std::vector<std::uint64_t> planes_;   // count_planes_ planes of words_ words
  std::size_t count_planes_ = 0;
  std::vector<std::uint64_t> carries_;  // record()'s carries between planes, kept to allocate once
  std::size_t dimms_;
  std::size_t window_;
  std::size_t tokens_ = 0;
  DimmLink link_;
};

}  // namespace hermes
