#pragma once
// Drives any predictor over recorded tokens of an activation trace, in decode order, and scores
// it: the smallest "layer loop" a predictor plugs into, used by tests, examples and benchmarks.
#include <cstddef>
#include <string>

#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/predict/prediction_metrics.hpp"
#include "hermes/predict/predictor.hpp"

namespace hermes {

struct replay_result {
  prediction_metrics metrics;
  bytes table_bytes{};
};

// For tokens [begin, end) of `trace` and every layer (attention, then FFN): predict, score the
// prediction against the trace, update with the true activations. Token indices in the requests
// count from `begin` (the first decoded token is 0).
template <class P>
replay_result replay_trace(P& p, const activation_trace& trace, std::size_t begin, std::size_t end) {
  static_assert(check_predictor<P>());
  if (!(begin <= end && end <= trace.tokens()))
    throw invalid_parameter("replay_trace token range",
                            "[" + std::to_string(begin) + ", " + std::to_string(end) + ")",
                            "a range within the trace's " + std::to_string(trace.tokens()) + " tokens");
  replay_result result;
  prediction out;
  const auto& layout = trace.layout();
  for (std::size_t t = begin; t < end; ++t) {
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const neuron_mask& truth = trace.mask(t, l, k);
        prediction_request r;
        r.token = t - begin;
        r.layer = l;
        r.kind = k;
        layer_ref prev{};
        r.previous = predecessor({l, k}, prev) ? &trace.mask(t, prev.layer, prev.kind) : nullptr;
        r.truth = &truth;
        p.predict(r, out);
        result.metrics.add(k, out.active, truth);
        p.update(r, truth);
      }
  }
  result.table_bytes = p.table_bytes();
  return result;
}

}  // namespace hermes
