#pragma once
// What a predictor is: the requirement set every activation predictor satisfies, and the two
// small value types it exchanges with whoever drives it (the simulator, a layer, a test).
//
// Protocol, per decoded token, in execution order over the predicted "layers" (attention
// neurons of transformer layer 0, FFN neurons of layer 0, attention of layer 1, ...):
//   p.predict(request, out);          // before the layer runs: which neurons to compute
//   ...the layer runs, its true activations become known...
//   p.update(request, actual);        // learn from what really fired
// The token's history lives inside the predictor (its state), so a request only names the
// layer, the token and the activations of its previous layer (see predecessor()).
#include <concepts>
#include <cstddef>
#include <type_traits>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/concepts.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

struct prediction_request {
  std::size_t token = 0;               // index of the decoded token (0 = first decoded token)
  std::size_t layer = 0;               // transformer layer
  layer_kind kind = layer_kind::ffn;   // which neurons of that layer
  // True activations of the previous layer of the same kind (see predecessor()), or null when
  // there is none (layer 0): then there is no layer signal.
  const neuron_mask* previous = nullptr;
  // The layer's own true activations, when the driver knows them before the layer runs (trace
  // replay does). Only predictors that model a perfect or an approximate oracle read it (the
  // oracle, the quality-modelled Deja Vu predictor); Hermes' table predictors never do.
  const neuron_mask* truth = nullptr;
  seconds ready{};                     // when the layer's input is available (for costed predictors)
};

struct prediction {
  neuron_mask active;   // neurons predicted to fire: the ones the layer computes
  neuron_mask hot;      // neurons the predictor considers hot (candidates for the GPU)
  seconds available{};  // when the prediction is known (ready + any charged predictor cost)
};

// The "previous layer" of the layer-wise signal (Sec IV-C.1): the neurons of the same kind in
// the previous transformer layer (FFN l-1 for the FFN of layer l, QKV input channels of l-1 for
// those of l). The paper's correlation table links consecutive layers of one stage (Fig 7), and
// the cross-layer correlation it builds on (Deja Vu, PowerInfer) is measured within the MLP
// stack; the synthetic generator and activation/statistics.hpp use the same convention. It also
// leaves the host a whole stage to evaluate the predictor before the layer runs. Layer 0 has no
// predecessor (returns false): its prediction uses the token-wise state alone.
struct layer_ref {
  std::size_t layer = 0;
  layer_kind kind = layer_kind::ffn;
  friend bool operator==(const layer_ref&, const layer_ref&) = default;
};
[[nodiscard]] inline bool predecessor(layer_ref current, layer_ref& previous) {
  if (current.layer == 0) return false;
  previous = {current.layer - 1, current.kind};
  return true;
}

// The requirement set. `table_bytes()` is the predictor's own storage (tables, weights), the
// figure the paper's "under 1 MB" claim is about.
template <class P>
concept predictor = requires(P& p, const P& cp, const prediction_request& r, prediction& out,
                             const neuron_mask& actual) {
  { p.predict(r, out) } -> std::same_as<void>;
  { p.update(r, actual) } -> std::same_as<void>;
  { cp.table_bytes() } -> std::same_as<bytes>;
};

namespace detail {
template <class P>
concept has_predict = requires(P& p, const prediction_request& r, prediction& out) {
  { p.predict(r, out) } -> std::same_as<void>;
};
template <class P>
concept has_update = requires(P& p, const prediction_request& r, const neuron_mask& actual) {
  { p.update(r, actual) } -> std::same_as<void>;
};
template <class P>
concept has_table_bytes = requires(const P& p) {
  { p.table_bytes() } -> std::same_as<bytes>;
};
}  // namespace detail

// Call as `static_assert(check_predictor<MyPredictor>())` (the library does so wherever it
// accepts a predictor): a type that misses a member fails with a message naming that member,
// instead of a wall of unsatisfied-constraint notes.
template <class P>
consteval bool check_predictor() {
  static_assert(detail::has_predict<P>,
                "a predictor needs `void predict(const hermes::prediction_request&, "
                "hermes::prediction& out)` filling out.active and out.hot");
  static_assert(detail::has_update<P>,
                "a predictor needs `void update(const hermes::prediction_request&, "
                "const hermes::neuron_mask& actual)` to learn from the true activations");
  static_assert(detail::has_table_bytes<P>,
                "a predictor needs `hermes::bytes table_bytes() const` reporting its own "
                "table/weight memory");
  return predictor<P>;
}

// ---- what an engine may ask of a predictor beyond the concept (detected, with defaults) ----

// Initialised from the prompt's activity before decoding (Sec IV-C.1): hermes_predictor does it.
template <class P>
concept prefill_initialised = requires(P& p, const activation_trace& prompt, std::size_t n) {
  p.initialise_from_prefill(prompt, n, n);
};

// Reports the host work of evaluating it for one layer stage of `neurons` neurons: the engine
// charges it to the host CPU while the previous stage runs.
template <class P>
concept costed_predictor = requires(const P& p, std::size_t neurons) {
  { p.host_work(neurons) } -> std::same_as<vector_work>;
};

// The host work of one prediction of a stage of `neurons` neurons. A predictor without
// host_work() is charged, by default, for reading its share of its own table: neurons x its
// table bytes per neuron of the model (`model_neurons`), one operation per neuron.
template <class P>
  requires predictor<P>
[[nodiscard]] vector_work predictor_host_work(const P& p, std::size_t neurons, std::size_t model_neurons) {
  if constexpr (costed_predictor<P>) {
    return p.host_work(neurons);
  } else {
    vector_work w;
    w.elements = neurons;
    w.flops_per_element = 1.0;
    w.bytes_per_element = model_neurons > 0 ? p.table_bytes().value() / static_cast<double>(model_neurons) : 0.0;
    return w;
  }
}

// The policy of a system without a predictor: every neuron is computed (Hermes-base). It models
// no `predictor`; an engine that takes a predictor or no_prediction tells them apart by the
// concept.
struct no_prediction {};

// Resizes `m` to `neurons` (clearing it) only when its size differs, so a caller that reuses
// one prediction across layers of equal width allocates nothing per token.
inline void resize_mask(neuron_mask& m, std::size_t neurons) {
  if (m.size() != neurons) m = neuron_mask(neurons);
}

}  // namespace hermes
