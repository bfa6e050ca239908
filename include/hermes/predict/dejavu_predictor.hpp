#pragma once
// A Deja Vu-style predictor (Liu et al., ICML 2023): a small low-rank MLP per predicted layer,
// run on a compute device before the layer, maps the layer input (hidden) to a score per neuron.
//
// Cost is modelled, not approximated: per layer it is a GEMV hidden -> rank and a GEMV rank ->
// neurons, (hidden + neurons) x rank FP16 parameters, charged as gemv_work to the given device
// through the ledger (stage "predictor"); the prediction is available when that work ends.
// Quality is modelled from the true activations with the recall and precision the caller
// supplies (docs/parameters.md, "Predictor"): each neuron that fires is predicted with
// probability `recall`; each neuron that does not is predicted with the probability that makes
// the expected precision equal `precision`. A seeded generator makes runs reproducible.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "hermes/activation/trace.hpp"
#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/predict/predictor.hpp"

namespace hermes {

struct dejavu_predictor_params {
  std::size_t hidden = 0;        // model dimension: the MLP's input width
  std::size_t rank = 1024;       // Deja Vu's predictor width for OPT-175B (its Sec 4); per model in docs
  double recall = 0;             // modelled quality: required, from the Deja Vu report (docs)
  double precision = 0;
  std::size_t batch = 1;         // sequences whose inputs go through the predictor together
  double bytes_per_param = 2.0;  // FP16 predictor weights, like the model's
  std::uint64_t seed = 0;

  void validate() const {
    require_positive("dejavu_predictor.hidden", hidden);
    require_positive("dejavu_predictor.rank", rank);
    require_positive("dejavu_predictor.batch", batch);
    require_positive("dejavu_predictor.bytes_per_param", bytes_per_param);
    if (!(recall > 0 && recall <= 1))
      throw invalid_parameter("dejavu_predictor.recall", to_text(recall), "a value in (0, 1]");
    if (!(precision > 0 && precision <= 1))
      throw invalid_parameter("dejavu_predictor.precision", to_text(precision), "a value in (0, 1]");
  }
};

template <class Device>
class dejavu_predictor {
  static_assert(compute_device<Device>,
                "dejavu_predictor<Device>: Device must model hermes::compute_device (name(), "
                "gemv(gemv_work) -> device_cost, vector_op(vector_work) -> device_cost)");

 public:
  dejavu_predictor(const trace_layout& layout, dejavu_predictor_params params, Device device,
                   ledger& l, ledger::resource_id resource)
      : layout_(layout), params_(params), device_(std::move(device)), ledger_(&l), resource_(resource),
        rng_(params.seed) {
    params_.validate();
    (void)l.resource(resource);  // throws if the id is unknown
  }

  void predict(const prediction_request& r, prediction& out) {
    if (r.layer >= layout_.layers)
      throw invalid_parameter("prediction_request.layer", std::to_string(r.layer),
                              "a layer index < " + std::to_string(layout_.layers));
    if (r.truth == nullptr)
      throw invalid_parameter("prediction_request.truth", "null",
                              "the layer's true activations (the Deja Vu quality model samples from them)");
    const std::size_t n = layout_.neurons(r.kind);
    if (r.truth->size() != n)
      throw invalid_parameter("prediction_request.truth size", std::to_string(r.truth->size()),
                              std::to_string(n) + " neurons");

    // Cost: the two GEMVs of the low-rank MLP, one after the other on the device.
    const seconds down_end = ledger_->charge(resource_, r.ready, device_.gemv(down_projection()), "predictor");
    out.available = ledger_->charge(resource_, down_end, device_.gemv(up_projection(n)), "predictor");

    // Quality: recall over the firing neurons, precision through false positives.
    const std::size_t fired = r.truth->count(), silent = n - fired;
    const double expected_fp = params_.recall * static_cast<double>(fired) * (1 - params_.precision) / params_.precision;
    const double fp_probability = silent == 0 ? 0.0 : expected_fp / static_cast<double>(silent);
    if (fp_probability > 1.0)
      throw error("dejavu_predictor: precision " + to_text(params_.precision) +
                  " is unreachable for a layer with " + std::to_string(fired) + " of " + std::to_string(n) +
                  " neurons firing at recall " + to_text(params_.recall));
    resize_mask(out.active, n);
    std::bernoulli_distribution keep(params_.recall), spurious(fp_probability);
    for (std::size_t i = 0; i < n; ++i) out.active.set(i, r.truth->test(i) ? keep(rng_) : spurious(rng_));
    out.hot = out.active;  // Deja Vu has no hot/cold notion: it computes what it predicts
  }
  void update(const prediction_request&, const neuron_mask&) {}  // trained offline

  // Predictor weights of all layers and kinds: (hidden + neurons) x rank parameters each.
  [[nodiscard]] bytes table_bytes() const {
    double params = 0;
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn})
      params += static_cast<double>(layout_.layers * (params_.hidden + layout_.neurons(k)) * params_.rank);
    return bytes(params * params_.bytes_per_param);
  }

  [[nodiscard]] gemv_work down_projection() const {
    gemv_work w;
    w.chunks = params_.rank;  // rank rows of hidden elements
    w.cols = params_.hidden;
    w.batch = params_.batch;
    w.bytes_per_element = params_.bytes_per_param;
    return w;
  }
  [[nodiscard]] gemv_work up_projection(std::size_t neurons) const {
    gemv_work w;
    w.chunks = neurons;  // one row of rank elements per predicted neuron
    w.cols = params_.rank;
    w.batch = params_.batch;
    w.bytes_per_element = params_.bytes_per_param;
    return w;
  }
  [[nodiscard]] const dejavu_predictor_params& params() const { return params_; }

 private:
  trace_layout layout_;
  dejavu_predictor_params params_;
  Device device_;
  ledger* ledger_;
  ledger::resource_id resource_;
  std::mt19937_64 rng_;
};

}  // namespace hermes
