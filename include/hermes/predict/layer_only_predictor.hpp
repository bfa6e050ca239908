#pragma once
// The layer-only ablation of the Hermes predictor (Fig 15, "Hermes-layer-adjustment"): the
// layer-wise signal alone decides, and since that variant keeps no state table, the neurons it
// last predicted hot are its hot set. It reports them as states (15 = hot, 0 = cold), so the
// online adjuster reads it like any neuron_state_source.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/concepts.hpp"
#include "hermes/core/units.hpp"
#include "hermes/predict/correlation_table.hpp"
#include "hermes/predict/hermes_predictor.hpp"
#include "hermes/predict/predictor.hpp"

namespace hermes {

class layer_only_predictor {
 public:
  layer_only_predictor(const trace_layout& layout, correlation_table correlations, hermes_predictor_params params = {})
      : inner_(layout, std::move(correlations), with_layer_only(std::move(params))) {
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) last_hot_.emplace_back(layout.neurons(k));
  }

  void predict(const prediction_request& r, prediction& out) {
    inner_.predict(r, out);
    last_hot_[slot(r.layer, r.kind)] = out.hot;
  }
  void update(const prediction_request& r, const neuron_mask& actual) { inner_.update(r, actual); }
  [[nodiscard]] bytes table_bytes() const { return inner_.table_bytes(); }
  [[nodiscard]] vector_work host_work(std::size_t neurons) const { return inner_.host_work(neurons); }

  // 15 for the neurons of the stage's last prediction's hot set, 0 for the others.
  [[nodiscard]] std::uint8_t state(std::size_t layer, layer_kind k, std::size_t neuron) const {
    return last_hot_[slot(layer, k)].test(neuron) ? std::uint8_t{15} : std::uint8_t{0};
  }

 private:
  static hermes_predictor_params with_layer_only(hermes_predictor_params p) {
    p.signals = predictor_signals::layer_only;
    return p;
  }
  static std::size_t slot(std::size_t layer, layer_kind k) {
    return layer * layer_kinds + static_cast<std::size_t>(k);
  }
  hermes_predictor inner_;
  std::vector<neuron_mask> last_hot_;
};

static_assert(check_predictor<layer_only_predictor>());

}  // namespace hermes
