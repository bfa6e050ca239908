#pragma once
// The static predictor: offline activation frequency only, no online signal. A neuron is
// predicted active iff its profiled frequency is at least `active_frequency`; it is hot iff the
// Hermes bands would give that frequency a hot state (band > T_h), so static and online
// predictors agree on what "hot" means before the first token.
//
// active_frequency = 0.5 by default: for a neuron that fires independently with probability f,
// predicting its more likely outcome maximises accuracy (TP + TN over all neurons).
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/predict/frequency_bands.hpp"
#include "hermes/predict/predictor.hpp"

namespace hermes {

struct static_predictor_params {
  double active_frequency = 0.5;  // majority decision per neuron (see above)
  unsigned hot_threshold = 10;    // T_h of Sec IV-C.1, applied to the banded frequency
  frequency_bands bands = frequency_bands::paper();
};

class static_predictor {
 public:
  // Frequencies of every neuron over tokens [begin, end) of a profile trace.
  static_predictor(const activation_trace& profile, std::size_t begin, std::size_t end,
                   static_predictor_params params = {})
      : layout_(profile.layout()), params_(std::move(params)) {
    if (!(params_.active_frequency >= 0.0 && params_.active_frequency <= 1.0))
      throw invalid_parameter("static_predictor.active_frequency", to_text(params_.active_frequency),
                              "a frequency in [0, 1]");
    if (params_.hot_threshold > 15)
      throw invalid_parameter("static_predictor.hot_threshold", std::to_string(params_.hot_threshold), "0..15");
    if (begin >= end)
      throw invalid_parameter("static_predictor profile token range",
                              "[" + std::to_string(begin) + ", " + std::to_string(end) + ")", "a non-empty range");
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto f = profile.frequency(l, k, begin, end);
        neuron_mask active(f.size()), hot(f.size());
        for (std::size_t i = 0; i < f.size(); ++i) {
          active.set(i, f[i] >= params_.active_frequency);
          hot.set(i, params_.bands.state_of(f[i]) > params_.hot_threshold);
        }
        active_.push_back(std::move(active));
        hot_.push_back(std::move(hot));
      }
  }

  void predict(const prediction_request& r, prediction& out) const {
    const std::size_t s = slot(r);
    out.active = active_[s];
    out.hot = hot_[s];
    out.available = r.ready;
  }
  void update(const prediction_request& r, const neuron_mask& actual) const {
    if (actual.size() != active_[slot(r)].size())
      throw invalid_parameter("static_predictor.update: actual mask size", std::to_string(actual.size()),
                              std::to_string(active_[slot(r)].size()) + " neurons");
  }
  // Two bits per neuron: the fixed active set and the fixed hot set.
  [[nodiscard]] bytes table_bytes() const {
    double b = 0;
    for (const auto& m : active_) b += static_cast<double>(m.words().size() * sizeof(neuron_mask::word));
    return bytes(2.0 * b);
  }

 private:
  std::size_t slot(const prediction_request& r) const {
    if (r.layer >= layout_.layers)
      throw invalid_parameter("prediction_request.layer", std::to_string(r.layer),
                              "a layer index < " + std::to_string(layout_.layers));
    return r.layer * layer_kinds + static_cast<std::size_t>(r.kind);
  }
  trace_layout layout_;
  static_predictor_params params_;
  std::vector<neuron_mask> active_, hot_;
};

static_assert(check_predictor<static_predictor>());

}  // namespace hermes
