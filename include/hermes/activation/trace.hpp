#pragma once
// An activation trace in memory: for every generated token and every layer, which attention
// neurons (QKV input channels) and which FFN neurons fired. Predictors are initialised from a
// trace's prefix (the prefill profile), mappers from its frequencies, and the simulator replays
// it token by token. The file format and the sources that produce traces live beside it.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/layout.hpp"
#include "hermes/core/neuron_mask.hpp"

namespace hermes {

class activation_trace {
 public:
  activation_trace() = default;
  explicit activation_trace(trace_layout layout) : layout_(layout) {}

  [[nodiscard]] const trace_layout& layout() const { return layout_; }
  [[nodiscard]] std::size_t tokens() const {
    return layout_.layers == 0 ? 0 : masks_.size() / (layout_.layers * layer_kinds);
  }

  // Appends a token whose masks are all empty; returns its index.
  std::size_t append_token() {
    for (std::size_t l = 0; l < layout_.layers; ++l) {
      masks_.emplace_back(layout_.attention_neurons);
      masks_.emplace_back(layout_.ffn_neurons);
    }
    return tokens() - 1;
  }

  [[nodiscard]] const neuron_mask& mask(std::size_t token, std::size_t layer, layer_kind k) const {
    return masks_[index(token, layer, k)];
  }
  [[nodiscard]] neuron_mask& mask(std::size_t token, std::size_t layer, layer_kind k) {
    return masks_[index(token, layer, k)];
  }

  // Per-neuron firing frequency of one layer over tokens [begin, end).
  [[nodiscard]] std::vector<double> frequency(std::size_t layer, layer_kind k, std::size_t begin,
                                              std::size_t end) const {
    if (begin > end || end > tokens())
      throw error("activation_trace::frequency: token range [" + std::to_string(begin) + ", " +
                  std::to_string(end) + ") outside [0, " + std::to_string(tokens()) + ")");
    const std::size_t n = layout_.neurons(k);
    std::vector<double> f(n, 0.0);
    if (end == begin) return f;
    // Firing counts kept bit-sliced, 64 neurons per word: plane b of word g holds bit b of the
    // counts of neurons 64g..64g+63 (the simulator computes every layer's frequency for its
    // profile and for the predictor's prefill). Tokens are added eight at a time through a tree
    // of word-wide full adders (Harley-Seal): the three lowest planes are the adders' ones, twos
    // and fours, and each group's eights are carried into plane 3 upwards. That is a few
    // operations per token and word, against a ripple carry per token whose length (the longest
    // carry of 64 lanes) varies and mispredicts. Counts are whole numbers, so the frequency
    // (count / tokens) is bit for bit what summing 1.0 per firing gives.
    const std::size_t tokens = end - begin;
    const auto bits = static_cast<std::size_t>(std::bit_width(tokens));  // counts <= tokens
    const std::size_t words = (n + 63) / 64;
    std::vector<std::uint64_t> planes(words * bits, 0);
    const auto words_of = [&](std::size_t t) {
      const neuron_mask& m = mask(t, layer, k);
      if (m.size() != n)
        throw error("activation_trace::frequency: token " + std::to_string(t) + " has a mask of " +
                    std::to_string(m.size()) + " neurons, the layout " + std::to_string(n));
      return m.words().data();
    };
    // Adds `carry` to the counts of word g from plane `from` upwards (the counts stay below
    // 2^bits, so the carry dies before the last plane).
    const auto ripple = [&](std::size_t g, std::size_t from, std::uint64_t carry) {
      std::uint64_t* p = planes.data() + g * bits;
      for (std::size_t b = from; carry != 0; ++b) {
        const std::uint64_t old = p[b];
        p[b] = old ^ carry;
        carry &= old;
      }
    };
    // (carry, sum) = a + b + c, lane by lane.
    const auto full_add = [](std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t& carry,
                             std::uint64_t& sum) {
      const std::uint64_t half = a ^ b;
      carry = (a & b) | (half & c);
      sum = half ^ c;
    };
    std::size_t t = begin;
    for (; end - t >= 8; t += 8) {  // bits >= 4 here
      const std::uint64_t* w[8];
      for (std::size_t j = 0; j < 8; ++j) w[j] = words_of(t + j);
      for (std::size_t g = 0; g < words; ++g) {
        std::uint64_t* p = planes.data() + g * bits;
        std::uint64_t twos_a, twos_b, fours_a, fours_b, eights;
        full_add(p[0], w[0][g], w[1][g], twos_a, p[0]);
        full_add(p[0], w[2][g], w[3][g], twos_b, p[0]);
        full_add(p[1], twos_a, twos_b, fours_a, p[1]);
        full_add(p[0], w[4][g], w[5][g], twos_a, p[0]);
        full_add(p[0], w[6][g], w[7][g], twos_b, p[0]);
        full_add(p[1], twos_a, twos_b, fours_b, p[1]);
        full_add(p[2], fours_a, fours_b, eights, p[2]);
        ripple(g, 3, eights);
      }
    }
    for (; t < end; ++t) {
      const std::uint64_t* w = words_of(t);
      for (std::size_t g = 0; g < words; ++g) ripple(g, 0, w[g]);
    }
    const std::uint64_t last_word = n % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (n % 64)) - 1;
    for (std::size_t g = 0; g < words; ++g)
      for (std::size_t b = 0; b < bits; ++b)
        for (std::uint64_t m = planes[g * bits + b] & (g + 1 == words ? last_word : ~std::uint64_t{0}); m != 0; m &= m - 1)
          f[g * 64 + static_cast<std::size_t>(std::countr_zero(m))] += static_cast<double>(std::uint64_t{1} << b);
    for (auto& v : f) v /= static_cast<double>(tokens);
    return f;
  }

 private:
  [[nodiscard]] std::size_t index(std::size_t token, std::size_t layer, layer_kind k) const {
    if (layer >= layout_.layers || token >= tokens())
      throw error("activation_trace: token " + std::to_string(token) + ", layer " +
                  std::to_string(layer) + " outside the trace (" + std::to_string(tokens()) +
                  " tokens, " + std::to_string(layout_.layers) + " layers)");
    return (token * layout_.layers + layer) * layer_kinds + static_cast<std::size_t>(k);
  }
  trace_layout layout_{};
  std::vector<neuron_mask> masks_;
};

}  // namespace hermes
