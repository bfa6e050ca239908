#pragma once
// Quality of a predictor over a run: confusion counts over every neuron of every predicted layer
// and token, overall and per layer kind.
//
// Accuracy counts true positives AND true negatives over all neurons, as the paper's "98%
// accuracy" does; with 80-90% of neurons inactive, a predictor that predicts nothing already
// scores 80-90%, so recall and precision are reported beside it.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "hermes/core/mask_bits.hpp"
#include "hermes/core/neuron_mask.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"

namespace hermes {

struct confusion_counts {
  std::uint64_t true_positive = 0;
  std::uint64_t false_positive = 0;
  std::uint64_t true_negative = 0;
  std::uint64_t false_negative = 0;

  [[nodiscard]] std::uint64_t total() const {
    return true_positive + false_positive + true_negative + false_negative;
  }
  [[nodiscard]] double accuracy() const { return ratio(true_positive + true_negative, total()); }
  // Of the neurons that fired, the fraction predicted (a missed neuron costs model quality).
  [[nodiscard]] double recall() const { return ratio(true_positive, true_positive + false_negative); }
  // Of the neurons predicted, the fraction that fired (a wrong one costs compute and traffic).
  [[nodiscard]] double precision() const { return ratio(true_positive, true_positive + false_positive); }
  [[nodiscard]] double predicted_density() const { return ratio(true_positive + false_positive, total()); }
  [[nodiscard]] double true_density() const { return ratio(true_positive + false_negative, total()); }
  [[nodiscard]] double predicted_sparsity() const { return 1.0 - predicted_density(); }
  [[nodiscard]] double true_sparsity() const { return 1.0 - true_density(); }

  confusion_counts& operator+=(const confusion_counts& o) {
    true_positive += o.true_positive; false_positive += o.false_positive;
    true_negative += o.true_negative; false_negative += o.false_negative;
    return *this;
  }

 private:
  // An empty denominator has no information; 1.0 keeps "nothing to find, nothing missed" perfect.
  static double ratio(std::uint64_t a, std::uint64_t b) {
    return b == 0 ? 1.0 : static_cast<double>(a) / static_cast<double>(b);
  }
};

class prediction_metrics {
 public:
  void add(layer_kind k, const neuron_mask& predicted, const neuron_mask& truth) {
    if (predicted.size() != truth.size())
      throw invalid_parameter("prediction_metrics: predicted mask size", std::to_string(predicted.size()),
                              "the true mask's size " + std::to_string(truth.size()));
    confusion_counts c;
    const auto& p = predicted.words();
    const auto& t = truth.words();
    // |p & t| in blocks, |p| and |t| whole: FP = |p| - TP, FN = |t| - TP. count_bits avoids a
    // library call per word (mask_bits.hpp); this runs for every layer of every decoded token.
    constexpr std::size_t block = 64;
    std::uint64_t both[block];
    for (std::size_t w = 0; w < p.size(); w += block) {
      const std::size_t n = std::min(block, p.size() - w);
      for (std::size_t i = 0; i < n; ++i) both[i] = p[w + i] & t[w + i];
      c.true_positive += count_bits(std::span<const std::uint64_t>(both, n));
    }
    c.false_positive = count_bits(p) - c.true_positive;
    c.false_negative = count_bits(t) - c.true_positive;
    c.true_negative = truth.size() - c.true_positive - c.false_positive - c.false_negative;
    by_kind_[static_cast<std::size_t>(k)] += c;
  }

  [[nodiscard]] confusion_counts overall() const {
    confusion_counts c = by_kind_[0];
    c += by_kind_[1];
    return c;
  }
  [[nodiscard]] const confusion_counts& of(layer_kind k) const { return by_kind_[static_cast<std::size_t>(k)]; }

  [[nodiscard]] double accuracy() const { return overall().accuracy(); }
  [[nodiscard]] double recall() const { return overall().recall(); }
  [[nodiscard]] double precision() const { return overall().precision(); }
  [[nodiscard]] double predicted_density() const { return overall().predicted_density(); }
  [[nodiscard]] double true_density() const { return overall().true_density(); }

  prediction_metrics& operator+=(const prediction_metrics& o) {
    for (std::size_t k = 0; k < layer_kinds; ++k) by_kind_[k] += o.by_kind_[k];
    return *this;
  }

 private:
  std::array<confusion_counts, layer_kinds> by_kind_{};
};

}  // namespace hermes
