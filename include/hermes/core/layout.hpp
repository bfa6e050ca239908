#pragma once
// The layout of a model as the activation side sees it: its layers, the two kinds of sparse
// stage in each (attention's QKV input channels, the FFN's neurons) and how many neurons each
// has. Traces, sources, predictors, mappers and the engine all index by it.
#include <cstddef>
#include <cstdint>

#include "hermes/core/model_shape.hpp"

namespace hermes {

enum class layer_kind : std::uint8_t { attention = 0, ffn = 1 };
inline constexpr std::size_t layer_kinds = 2;

struct trace_layout {
  std::size_t layers = 0;
  std::size_t attention_neurons = 0;
  std::size_t ffn_neurons = 0;

  [[nodiscard]] std::size_t neurons(layer_kind k) const {
    return k == layer_kind::attention ? attention_neurons : ffn_neurons;
  }
  static trace_layout of(const model_shape& m) {
    return trace_layout{m.layers, m.attention_neurons(), m.ffn_neurons()};
  }
  friend bool operator==(const trace_layout&, const trace_layout&) = default;
};

}  // namespace hermes
