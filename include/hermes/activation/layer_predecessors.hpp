#pragma once
// Layer-wise correlation of ONE layer: for each neuron, its k most correlated neurons of the
// previous layer of the same kind (Hermes Sec IV-C.1 keeps k = 2). The predictor's packed table
// for a whole model is predict/correlation_table.hpp; this per-layer list is what the generator
// owns and what statistics measure. The synthetic generator
// owns one as ground truth; statistics.hpp's top_correlated() estimates one from a trace.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "hermes/core/error.hpp"

namespace hermes {

struct layer_predecessors {
  // Marks an empty slot: a neuron of layer 0, or one with fewer than k candidate predecessors.
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

  std::size_t per_neuron = 2;
  std::vector<std::uint32_t> predecessors;  // neuron i's r-th predecessor at [i * per_neuron + r]

  layer_predecessors() = default;
  layer_predecessors(std::size_t neurons, std::size_t k)
      : per_neuron(k), predecessors(neurons * k, none) {
    if (k == 0) throw invalid_parameter("layer_predecessors.per_neuron", "0", "at least 1");
  }

  [[nodiscard]] std::size_t neurons() const { return per_neuron ? predecessors.size() / per_neuron : 0; }
  [[nodiscard]] std::span<const std::uint32_t> of(std::size_t i) const {
    if (i >= neurons())
      throw error("layer_predecessors: neuron " + std::to_string(i) + " outside [0, " +
                  std::to_string(neurons()) + ")");
    return {predecessors.data() + i * per_neuron, per_neuron};
  }
  [[nodiscard]] std::span<std::uint32_t> of(std::size_t i) {
    if (i >= neurons())
      throw error("layer_predecessors: neuron " + std::to_string(i) + " outside [0, " +
                  std::to_string(neurons()) + ")");
    return {predecessors.data() + i * per_neuron, per_neuron};
  }
  friend bool operator==(const layer_predecessors&, const layer_predecessors&) = default;
};

}  // namespace hermes
