#pragma once
// The oracle: predicts exactly the true activations (an upper bound for every other predictor,
// and the predictor under which a sparse layer reproduces the dense result). It needs the
// driver to pass the layer's true mask in prediction_request::truth.
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/predict/predictor.hpp"

namespace hermes {

class oracle_predictor {
 public:
  void predict(const prediction_request& r, prediction& out) const {
    if (r.truth == nullptr)
      throw invalid_parameter("prediction_request.truth", "null",
                              "the layer's true activations (the oracle predicts from them)");
    out.active = *r.truth;
    out.hot = *r.truth;  // the oracle's hot set: the neurons this token needs
    out.available = r.ready;
  }
  void update(const prediction_request&, const neuron_mask&) const {}
  [[nodiscard]] bytes table_bytes() const { return bytes{}; }
};

static_assert(check_predictor<oracle_predictor>());

}  // namespace hermes
