#pragma once
// The random predictor: every neuron is predicted active with probability `active_probability`
// and hot with probability `hot_probability`, independently per token, from a seeded generator.
// A floor for every other predictor (and the prediction half of the Hermes-random ablation);
// pass the model's measured density so it predicts the right amount, just not the right neurons.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/predict/predictor.hpp"

namespace hermes {

class random_predictor {
 public:
  random_predictor(const trace_layout& layout, double active_probability, double hot_probability,
                   std::uint64_t seed)
      : layout_(layout), active_p_(active_probability), hot_p_(hot_probability), rng_(seed) {
    check_probability("random_predictor.active_probability", active_p_);
    check_probability("random_predictor.hot_probability", hot_p_);
  }

  void predict(const prediction_request& r, prediction& out) {
    if (r.layer >= layout_.layers)
      throw invalid_parameter("prediction_request.layer", std::to_string(r.layer),
                              "a layer index < " + std::to_string(layout_.layers));
    const std::size_t n = layout_.neurons(r.kind);
    resize_mask(out.active, n);
    resize_mask(out.hot, n);
    std::bernoulli_distribution active(active_p_), hot(hot_p_);
    for (std::size_t i = 0; i < n; ++i) {
      out.active.set(i, active(rng_));
      out.hot.set(i, hot(rng_));
    }
    out.available = r.ready;
  }
  void update(const prediction_request&, const neuron_mask&) {}
  [[nodiscard]] bytes table_bytes() const { return bytes{}; }

 private:
  static void check_probability(const char* field, double p) {
    if (!(p >= 0.0 && p <= 1.0)) throw invalid_parameter(field, to_text(p), "a probability in [0, 1]");
  }
  trace_layout layout_;
  double active_p_, hot_p_;
  std::mt19937_64 rng_;
};

static_assert(check_predictor<random_predictor>());

}  // namespace hermes
