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
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/activation/neuron_mask.hpp"
#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/map/dimm_occupancy.hpp"
#include "hermes/map/placement.hpp"

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
      : counts_(neurons, 0), dimms_(dimms), window_(window_tokens), link_(std::move(link)) {
    require_positive("window_remapper.neurons", neurons);
    require_positive("window_remapper.dimms", dimms);
    require_positive("window_remapper.window_tokens", window_tokens);
  }

  // Records which neurons of the layer fired for one token; true once the window is complete.
  bool record(const neuron_mask& fired) {
    if (fired.size() != counts_.size())
      throw invalid_parameter("window_remapper.record(mask).size()", std::to_string(fired.size()),
                              std::to_string(counts_.size()) + " (the layer's neurons)");
    fired.for_each([&](std::size_t i) { ++counts_[i]; });
    ++tokens_;
    return window_complete();
  }
  [[nodiscard]] bool window_complete() const { return tokens_ >= window_; }
  [[nodiscard]] std::size_t tokens_recorded() const { return tokens_; }
  [[nodiscard]] std::size_t window_tokens() const { return window_; }
  [[nodiscard]] const std::vector<std::uint32_t>& counts() const { return counts_; }

  // Per DIMM, the window's activations of the cold neurons homed there.
  [[nodiscard]] std::vector<double> dimm_loads(const layer_placement& p) const {
    check(p);
    std::vector<double> load(dimms_, 0.0);
    for (std::size_t i = 0; i < counts_.size(); ++i)
      if (!p.cached.test(i)) load[p.home[i] - 1u] += counts_[i];
    return load;
  }

  // Algorithm 1 on the recorded window; then starts a new window. `link_of(from, to)` names the
  // ledger resource of the DIMM-link between two DIMMs (devices 1..D).
  template <class LinkOf>
    requires std::invocable<LinkOf&, device_index, device_index>
  remap_report remap(layer_placement& p, bytes neuron_bytes, dimm_occupancy& occupancy, ledger& l,
                     LinkOf&& link_of, seconds ready, std::string_view stage = "dimm_link_remap") {
    require_positive("window_remapper.neuron_bytes", neuron_bytes.value());
    if (occupancy.dimms() != dimms_)
      throw invalid_parameter("window_remapper.occupancy.dimms()", std::to_string(occupancy.dimms()),
                              std::to_string(dimms_));
    remap_report r;
    r.end = ready;
    r.load_before = dimm_loads(p);
    std::vector<double> load = r.load_before;

    std::vector<std::size_t> by_load(dimms_);
    for (std::size_t j = 0; j < dimms_; ++j) by_load[j] = j;
    std::stable_sort(by_load.begin(), by_load.end(), [&](std::size_t a, std::size_t b) { return load[a] > load[b]; });

    // Cold neurons of each DIMM, most activated first (neurons that never fired cannot help).
    std::vector<std::vector<std::uint32_t>> cold(dimms_);
    for (std::uint32_t i = 0; i < counts_.size(); ++i)
      if (!p.cached.test(i) && counts_[i] > 0) cold[p.home[i] - 1u].push_back(i);
    for (auto& c : cold)
      std::stable_sort(c.begin(), c.end(), [&](std::uint32_t a, std::uint32_t b) { return counts_[a] > counts_[b]; });

    for (std::size_t k = 0; k < dimms_ / 2; ++k) {
      const std::size_t heavy = by_load[k], light = by_load[dimms_ - 1 - k];
      const auto from = static_cast<device_index>(heavy + 1), to = static_cast<device_index>(light + 1);
      std::size_t pair_moves = 0;
      for (std::uint32_t i : cold[heavy]) {
        const double diff = load[heavy] - load[light];
        const double c = counts_[i];
        // Moving c activations changes the difference to diff - 2c: smaller in magnitude iff c < diff.
        if (!(c < diff)) continue;
        if (!occupancy.fits(to, neuron_bytes)) break;  // the lighter DIMM is full
        occupancy.move(from, to, neuron_bytes);
        p.home[i] = to;
        load[heavy] -= c;
        load[light] += c;
        r.moves.push_back(remap_move{i, from, to, counts_[i]});
        ++pair_moves;
      }
      if (pair_moves > 0) {
        const bytes b = neuron_bytes * static_cast<double>(pair_moves);
        r.moved += b;
        r.end = max(r.end, l.charge(link_of(from, to), ready, link_.transfer(b), stage));
      }
    }
    r.load_after = std::move(load);
    std::fill(counts_.begin(), counts_.end(), 0u);
    tokens_ = 0;
    return r;
  }

  // All DIMM-links charged to one ledger resource.
  remap_report remap(layer_placement& p, bytes neuron_bytes, dimm_occupancy& occupancy, ledger& l,
                     ledger::resource_id dimm_link, seconds ready, std::string_view stage = "dimm_link_remap") {
    return remap(p, neuron_bytes, occupancy, l, [dimm_link](device_index, device_index) { return dimm_link; },
                 ready, stage);
  }

 private:
  void check(const layer_placement& p) const {
    if (p.neurons() != counts_.size())
      throw invalid_parameter("window_remapper: placement neurons", std::to_string(p.neurons()),
                              std::to_string(counts_.size()));
    p.validate(dimms_ + 1);
    for (std::size_t i = 0; i < p.neurons(); ++i)
      if (p.home[i] == 0)
        throw invalid_parameter("window_remapper: home[" + std::to_string(i) + "]", "0 (the GPU)",
                                "a DIMM 1.." + std::to_string(dimms_) + "; the GPU only holds copies");
  }

  std::vector<std::uint32_t> counts_;
  std::size_t dimms_;
  std::size_t window_;
  std::size_t tokens_ = 0;
  DimmLink link_;
};

}  // namespace hermes
