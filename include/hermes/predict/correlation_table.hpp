#pragma once
// The neuron correlation table of the Hermes predictor (Sec IV-C.1): for every neuron, the k
// neurons of the previous layer (predecessor(), predictor.hpp) whose firing is most correlated
// with its own, sampled offline from a profile trace.
//
// Storage: 16-bit predecessor indices. 16 bits is the narrowest byte-aligned width that holds a
// neuron index of every supported model (the widest layer, OPT-66B's FFN, has 36864 neurons);
// the all-ones value marks an empty slot (fewer than k positively correlated predecessors).
// Only the forward table is kept (k entries per neuron, the paper's table): the predictor reads
// it for the few neurons whose state lets the layer signal matter, in increasing neuron order,
// so a token streams through it. (A transposed index that scatters from the fired predecessors
// was measured slower at LLaMA2-70B scale: its accesses are random over ~24 MB; see
// docs/performance.md, "Predictor cost".)
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/predict/predictor.hpp"

namespace hermes {

class correlation_table {
 public:
  using index = std::uint16_t;
  static constexpr index empty_slot = 0xFFFF;
  static constexpr std::size_t max_predecessor_neurons = empty_slot;  // indices 0..65534

  correlation_table() = default;
  // An empty table (all slots empty) for `layout`, to be filled with set_top().
  correlation_table(const trace_layout& layout, std::size_t top_k) : layout_(layout), k_(top_k) {
    if (top_k < 1 || top_k > 15)
      throw invalid_parameter("correlation_table.top_k", std::to_string(top_k),
                              "1..15 (s2 counts correlated neurons next to a 4-bit state)");
    if (layout.attention_neurons > max_predecessor_neurons || layout.ffn_neurons > max_predecessor_neurons)
      throw invalid_parameter("correlation_table: neurons per layer",
                              std::to_string(std::max(layout.attention_neurons, layout.ffn_neurons)),
                              "at most 65535 (16-bit predecessor indices)");
    segments_.resize(layout.layers * layer_kinds);
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (std::size_t kk = 0; kk < layer_kinds; ++kk) {
        const auto kind = static_cast<layer_kind>(kk);
        auto& s = segments_[l * layer_kinds + kk];
        layer_ref prev{};
        s.has_predecessor = predecessor({l, kind}, prev);
        if (!s.has_predecessor) continue;
        s.predecessor_neurons = layout.neurons(prev.kind);
        s.top.assign(layout.neurons(kind) * k_, empty_slot);
      }
  }

  [[nodiscard]] const trace_layout& layout() const { return layout_; }
  [[nodiscard]] std::size_t top_k() const { return k_; }
  [[nodiscard]] bool empty() const { return segments_.empty(); }
  [[nodiscard]] bool has_predecessor(std::size_t layer, layer_kind k) const { return seg(layer, k).has_predecessor; }
  [[nodiscard]] std::size_t predecessor_neurons(std::size_t layer, layer_kind k) const {
    return seg(layer, k).predecessor_neurons;
  }

  // The k slots of `neuron` (empty_slot where unused), most correlated first.
  [[nodiscard]] std::span<const index> top(std::size_t layer, layer_kind k, std::size_t neuron) const {
    const auto& s = seg(layer, k);
    check_neuron(layer, k, neuron);
    if (!s.has_predecessor) return {};
    return {s.top.data() + neuron * k_, k_};
  }

  void set_top(std::size_t layer, layer_kind k, std::size_t neuron, std::span<const index> predecessors) {
    auto& s = seg(layer, k);
    check_neuron(layer, k, neuron);
    if (!s.has_predecessor)
      throw invalid_parameter("correlation_table.set_top: layer " + std::to_string(layer),
                              "attention", "a layer with a predecessor (layer 0 has none)");
    if (predecessors.size() > k_)
      throw invalid_parameter("correlation_table.set_top: entries", std::to_string(predecessors.size()),
                              "at most top_k = " + std::to_string(k_));
    for (std::size_t e = 0; e < k_; ++e) {
      const index j = e < predecessors.size() ? predecessors[e] : empty_slot;
      if (j != empty_slot && j >= s.predecessor_neurons)
        throw invalid_parameter("correlation_table.set_top: predecessor", std::to_string(j),
                                "an index < " + std::to_string(s.predecessor_neurons));
      s.top[neuron * k_ + e] = j;
    }
  }

  // All k slots of every neuron of (layer, k), neuron-major: the per-token hot loop's view.
  [[nodiscard]] const index* raw_top(std::size_t layer, layer_kind k) const { return seg(layer, k).top.data(); }

  // The paper's table: k 16-bit indices per neuron that has a predecessor layer.
  [[nodiscard]] bytes forward_bytes() const {
    double b = 0;
    for (const auto& s : segments_) b += static_cast<double>(s.top.size() * sizeof(index));
    return bytes(b);
  }
  // Builds the table from tokens [begin, end) of a profile trace. "Most correlated" is the
  // Pearson correlation of the two neurons' firing indicators over those tokens (the phi
  // coefficient); only positive correlations enter, ties go to the lower predecessor index.
  // Cost: O(neurons x predecessor neurons x tokens / 64) word operations per layer, an offline step.
  static correlation_table from_trace(const activation_trace& trace, std::size_t begin, std::size_t end,
                                      std::size_t top_k) {
    if (!(begin < end && end <= trace.tokens()))
      throw invalid_parameter("correlation_table::from_trace token range",
                              "[" + std::to_string(begin) + ", " + std::to_string(end) + ")",
                              "a non-empty range within the trace's " + std::to_string(trace.tokens()) + " tokens");
    const auto& layout = trace.layout();
    correlation_table t(layout, top_k);
    const std::size_t n = end - begin, w = (n + 63) / 64;
    const double tokens = static_cast<double>(n);

    // Per (layer, kind): one token bitset per neuron (transposed masks) and its popcount.
    auto transpose = [&](std::size_t layer, layer_kind k, std::vector<std::uint64_t>& bits,
                         std::vector<double>& count) {
      const std::size_t neurons = layout.neurons(k);
      bits.assign(neurons * w, 0);
      count.assign(neurons, 0.0);
      for (std::size_t tk = begin; tk < end; ++tk)
        trace.mask(tk, layer, k).for_each([&](std::size_t i) {
          bits[i * w + (tk - begin) / 64] |= std::uint64_t{1} << ((tk - begin) % 64);
          count[i] += 1.0;
        });
    };

    std::vector<std::uint64_t> cur_bits, prev_bits;
    std::vector<double> cur_count, prev_count;
    std::vector<std::pair<double, index>> best;
    std::vector<index> chosen;
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (std::size_t kk = 0; kk < layer_kinds; ++kk) {
        const auto kind = static_cast<layer_kind>(kk);
        layer_ref prev{};
        if (!predecessor({l, kind}, prev)) continue;
        transpose(prev.layer, prev.kind, prev_bits, prev_count);
        transpose(l, kind, cur_bits, cur_count);
        const std::size_t np = layout.neurons(prev.kind);
        for (std::size_t i = 0; i < layout.neurons(kind); ++i) {
          best.clear();
          const double ni = cur_count[i];
          if (ni > 0 && ni < tokens) {
            for (std::size_t j = 0; j < np; ++j) {
              const double nj = prev_count[j];
              if (nj == 0 || nj == tokens) continue;  // constant indicator: no correlation defined
              double both = 0;
              for (std::size_t q = 0; q < w; ++q)
                both += std::popcount(cur_bits[i * w + q] & prev_bits[j * w + q]);
              const double phi = (tokens * both - ni * nj) /
                                 std::sqrt(ni * (tokens - ni) * nj * (tokens - nj));
              if (phi > 0) best.emplace_back(-phi, static_cast<index>(j));
            }
          }
          const std::size_t keep = std::min(top_k, best.size());
          std::partial_sort(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(keep), best.end());
          chosen.clear();
          for (std::size_t e = 0; e < keep; ++e) chosen.push_back(best[e].second);
          t.set_top(l, kind, i, chosen);
        }
      }
    return t;
  }

 private:
  struct segment {
    bool has_predecessor = false;
    std::size_t predecessor_neurons = 0;
    std::vector<index> top;  // k per neuron
  };
  const segment& seg(std::size_t layer, layer_kind k) const {
    if (layer >= layout_.layers)
      throw invalid_parameter("layer", std::to_string(layer), "a layer index < " + std::to_string(layout_.layers));
    return segments_[layer * layer_kinds + static_cast<std::size_t>(k)];
  }
  segment& seg(std::size_t layer, layer_kind k) {
    return const_cast<segment&>(static_cast<const correlation_table&>(*this).seg(layer, k));
  }
  void check_neuron(std::size_t layer, layer_kind k, std::size_t neuron) const {
    if (neuron >= layout_.neurons(k))
      throw invalid_parameter("neuron", std::to_string(neuron),
                              "an index < " + std::to_string(layout_.neurons(k)) + " (layer " +
                                  std::to_string(layer) + ")");
  }

  trace_layout layout_{};
  std::size_t k_ = 0;
  std::vector<segment> segments_;
};

}  // namespace hermes
