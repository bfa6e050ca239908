#pragma once
// The shape of one sparse FFN layer, and what charging it costs. No weights: the timing-only
// path (70B models simulated without allocating them) uses this header alone.
#include <cstddef>
#include <string>

#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/layer/device_neurons.hpp"
#include "hermes/layer/sparse_charging.hpp"
#include "hermes/core/model_shape.hpp"

namespace hermes {

// A neuron's chunk is [fc1 row i | gate row i (gated kinds only) | fc2 column i], each `hidden`
// elements. fc1 is the row whose output goes through the activation function (OPT fc1, LLaMA
// w1), gate the row that multiplies it (LLaMA w3), fc2 the output projection (OPT fc2, LLaMA w2).
struct ffn_shape {
  ffn_kind kind = ffn_kind::relu;
  std::size_t hidden = 0;    // d_model: input and output width
  std::size_t neurons = 0;   // intermediate width
  bool bias = false;         // OPT's FC layers have biases; LLaMA's and Falcon's do not

  [[nodiscard]] bool gated() const { return kind == ffn_kind::swiglu || kind == ffn_kind::relu_glu; }
  [[nodiscard]] std::size_t rows_per_chunk() const { return gated() ? 3 : 2; }
  [[nodiscard]] std::size_t chunk_elements() const { return rows_per_chunk() * hidden; }
  // Where the fc2 column starts inside a chunk.
  [[nodiscard]] std::size_t fc2_offset() const { return (gated() ? 2 : 1) * hidden; }

  static ffn_shape of(const model_shape& m, bool with_bias = false) {
    return ffn_shape{m.ffn_type, m.hidden, m.ffn_neurons(), with_bias};
  }
  void validate() const {
    require_positive("ffn_shape.hidden", hidden);
    require_positive("ffn_shape.neurons", neurons);
    if (neurons > 0xFFFFFFFFu)
      throw invalid_parameter("ffn_shape.neurons", std::to_string(neurons),
                              "at most 2^32 - 1 neurons (indices are 32-bit)");
  }
};

// Charges one sparse FFN forward for `batch` sequences: one GEMV per device over its active
// neurons (stage "ffn"), then the merge of the partials (stage "ffn_merge"). The math path
// (sparse_ffn::forward) calls exactly this with its device_neurons; the timing-only simulator
// with device_neuron_counts.
template <neuron_grouping Grouping, class DeviceSet>
layer_timing charge_sparse_ffn(const ffn_shape& shape, std::size_t batch,
                               const Grouping& groups, const DeviceSet& devices, ledger& l,
                               seconds ready, const sparse_cost_options& opts = {}) {
  shape.validate();
  if (groups.layer_neurons() != shape.neurons)
    throw invalid_parameter("device_neurons layer size", std::to_string(groups.layer_neurons()),
                            "the FFN's " + std::to_string(shape.neurons) + " neurons");
  return charge_sparse_layer(devices, l, ready, groups, shape.rows_per_chunk(), shape.hidden, batch,
                             shape.hidden, opts, stage::ffn, stage::ffn_merge);
}

}  // namespace hermes
