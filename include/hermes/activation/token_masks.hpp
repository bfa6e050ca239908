#pragma once
// The activation masks of one token: for every layer, the attention neurons (QKV input
// channels) and the FFN neurons that fired. What an activation source produces per step.
#include <cstddef>
#include <string>
#include <vector>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"

namespace hermes {

class token_masks {
 public:
  token_masks() = default;
  explicit token_masks(trace_layout layout) : layout_(layout) {
    masks_.reserve(layout.layers * layer_kinds);
    for (std::size_t l = 0; l < layout.layers; ++l) {
      masks_.emplace_back(layout.attention_neurons);
      masks_.emplace_back(layout.ffn_neurons);
    }
  }

  [[nodiscard]] const trace_layout& layout() const { return layout_; }
  [[nodiscard]] const neuron_mask& mask(std::size_t layer, layer_kind k) const {
    return masks_[index(layer, k)];
  }
  [[nodiscard]] neuron_mask& mask(std::size_t layer, layer_kind k) { return masks_[index(layer, k)]; }

  // Copies this token into `trace` as its next token (layouts must match).
  void append_to(activation_trace& trace) const {
    if (!(trace.layout() == layout_))
      throw error("token_masks::append_to: the trace layout differs from the token layout");
    const std::size_t t = trace.append_token();
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) trace.mask(t, l, k) = mask(l, k);
  }
  // Loads token `t` of `trace`.
  void assign_from(const activation_trace& trace, std::size_t t) {
    if (!(trace.layout() == layout_)) *this = token_masks(trace.layout());
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) mask(l, k) = trace.mask(t, l, k);
  }

 private:
  [[nodiscard]] std::size_t index(std::size_t layer, layer_kind k) const {
    if (layer >= layout_.layers)
      throw error("token_masks: layer " + std::to_string(layer) + " outside [0, " +
                  std::to_string(layout_.layers) + ")");
    return layer * layer_kinds + static_cast<std::size_t>(k);
  }
  trace_layout layout_{};
  std::vector<neuron_mask> masks_;
};

}  // namespace hermes
