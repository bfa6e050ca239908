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
      : neurons_(neurons), touched_((neurons + 63) / 64, 0), dimms_(dimms), window_(window_tokens),
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
    // a token is added word by word with a ripple carry that stops once no lane carries, a few
    // operations per word instead of an increment per fired neuron. A plane is added before a
    // count could outgrow them (counts never exceed the tokens recorded).
    const std::size_t words = touched_.size();
    if (((tokens_ + 1) >> count_planes_) != 0) {
      planes_.resize(planes_.size() + words, 0);
      ++count_planes_;
    }
    const auto& w = fired.words();
    for (std::size_t k = 0; k < words; ++k) {
      touched_[k] |= w[k];
      std::uint64_t* plane = planes_.data() + k;
      for (std::uint64_t carry = w[k]; carry != 0; plane += words) {
        const std::uint64_t old = *plane;
        *plane = old ^ carry;
        carry &= old;
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
    std::vector<double> load(dimms_, 0.0);
    // Only neurons that fired in the window have a count; ascending index as a full scan would.
    for_each_cold_fired(p, [&](std::size_t i) { load[p.home[i] - 1u] += count(i); });
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
    check(p);
    remap_report r;
    r.end = ready;

    // One pass over the window's cold neurons (fired, no GPU copy): the DIMM loads, and each
    // DIMM's neurons bucketed by count (a counting sort: buckets by DIMM, then count descending,
    // indices ascending within a bucket; counts are at most tokens_). Neurons that never fired
    // cannot help and are not listed.
    const std::size_t counts_per_dimm = tokens_ + 1;  // bucket c' = tokens_ - count, count 1..tokens_
    bucket_begin_.assign(dimms_ * counts_per_dimm + 1, 0);
    std::vector<double> load(dimms_, 0.0);
    cold_fired_.clear();
    for_each_cold_fired(p, [&](std::size_t i) {
      const std::uint32_t c = count(i);
      const std::size_t b = (p.home[i] - 1u) * counts_per_dimm + (tokens_ - c);
      load[p.home[i] - 1u] += c;
      ++bucket_begin_[b + 1];
      cold_fired_.push_back({static_cast<std::uint32_t>(i), c, b});
    });
    for (std::size_t b = 1; b < bucket_begin_.size(); ++b) bucket_begin_[b] += bucket_begin_[b - 1];
    by_count_.resize(bucket_begin_.back());
    bucket_next_.assign(bucket_begin_.begin(), bucket_begin_.end() - 1);
    for (const auto& n : cold_fired_) by_count_[bucket_next_[n.bucket]++] = n;
    r.load_before = load;

    std::vector<std::size_t> by_load(dimms_);
    for (std::size_t j = 0; j < dimms_; ++j) by_load[j] = j;
    std::stable_sort(by_load.begin(), by_load.end(), [&](std::size_t a, std::size_t b) { return load[a] > load[b]; });

    for (std::size_t k = 0; k < dimms_ / 2; ++k) {
      const std::size_t heavy = by_load[k], light = by_load[dimms_ - 1 - k];
      const auto from = static_cast<device_index>(heavy + 1), to = static_cast<device_index>(light + 1);
      std::size_t pair_moves = 0;
      bool full = false;
      // The heavier DIMM's cold neurons, most activated first.
      for (std::size_t b = heavy * counts_per_dimm; b < (heavy + 1) * counts_per_dimm && !full; ++b) {
        const double c = static_cast<double>(tokens_ - (b - heavy * counts_per_dimm));
        for (std::size_t n = bucket_begin_[b]; n < bucket_begin_[b + 1]; ++n) {
          // Moving c activations changes the difference to diff - 2c: smaller in magnitude iff
          // c < diff. The difference only changes with a move, so once a count fails the test
          // every neuron with the same count does too: on to the next (smaller) count.
          if (!(c < load[heavy] - load[light])) break;
          if (!occupancy.fits(to, neuron_bytes)) {  // the lighter DIMM is full
            full = true;
            break;
          }
          const std::uint32_t i = by_count_[n].neuron;
          occupancy.move(from, to, neuron_bytes);
          p.home[i] = to;
          load[heavy] -= c;
          load[light] += c;
          r.moves.push_back(remap_move{i, from, to, by_count_[n].count});
          ++pair_moves;
        }
      }
      if (pair_moves > 0) {
        const bytes b = neuron_bytes * static_cast<double>(pair_moves);
        r.moved += b;
        r.end = max(r.end, l.charge(link_of(from, to), ready, link_.transfer(b), stage));
      }
    }
    r.load_after = std::move(load);
    // A new window.
    std::fill(planes_.begin(), planes_.end(), 0u);
    std::fill(touched_.begin(), touched_.end(), 0u);
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

  // Calls f(i) for every neuron that fired in the window and has no GPU copy, ascending.
  template <class F>
  void for_each_cold_fired(const layer_placement& p, F&& f) const {
    const auto& cached = p.cached.words();
    for (std::size_t k = 0; k < touched_.size(); ++k)
      for (std::uint64_t m = touched_[k] & ~cached[k]; m != 0; m &= m - 1)
        f(k * 64 + static_cast<std::size_t>(std::countr_zero(m)));
  }

  // Neuron i's firing count in the window.
  [[nodiscard]] std::uint32_t count(std::size_t i) const {
    const std::size_t words = touched_.size();
    std::uint32_t c = 0;
    for (std::size_t b = 0; b < count_planes_; ++b)
      c |= static_cast<std::uint32_t>((planes_[b * words + i / 64] >> (i % 64)) & 1u) << b;
    return c;
  }

  std::size_t neurons_;
  std::vector<std::uint64_t> planes_;   // count_planes_ planes of touched_.size() words
  std::size_t count_planes_ = 0;
  std::vector<std::uint64_t> touched_;  // neurons that fired in the window (count > 0), as mask words
  // remap()'s counting-sort buffers, kept between windows so a remap allocates nothing new.
  struct fired_neuron {
    std::uint32_t neuron, count;
    std::size_t bucket;
  };
  std::vector<fired_neuron> cold_fired_, by_count_;
  std::vector<std::size_t> bucket_begin_, bucket_next_;
  std::size_t dimms_;
  std::size_t window_;
  std::size_t tokens_ = 0;
  DimmLink link_;
};

}  // namespace hermes
