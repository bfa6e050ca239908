#pragma once
// Math mode of the split engine (math_stages, below): the model's layers instantiated for real, with seeded random
// weights, so every simulated stage also computes its sparse product with Kokkos. The layers'
// forward() charges the ledger through the same functions as timing-only mode
// (charge_attention, charge_sparse_ffn), so a run's modelled time is identical in both modes for
// the same activations (tests/sim/test_split_engine.cpp); math mode proves the path computes,
// timing-only mode makes 70B models affordable.
#include <Kokkos_Core.hpp>
#include <Kokkos_Random.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/layer/attention.hpp"
#include "hermes/layer/sparse_ffn.hpp"
#include "hermes/core/model_shape.hpp"
#include "hermes/map/home_masks.hpp"
#include "hermes/sim/config.hpp"

namespace hermes {

template <class ExecSpace = Kokkos::DefaultExecutionSpace>
class math_model {
 public:
  using matrix = typename sparse_ffn<ExecSpace>::matrix;

  // Refuses models whose FP32 weights exceed `max_weight_bytes` (math mode holds them all).
  // Math mode holds every weight in FP32; 4 GB keeps it to models a test or a laptop can hold.
  static constexpr double max_weight_bytes = math_mode_max_weight_bytes;
  static void require_fits(const model_shape& m) {
    const bytes need(m.params() * 4.0);
    if (need.value() > max_weight_bytes)
      throw invalid_parameter("workload.mode = math for " + m.name, to_text(need.value() / 1e9) + " GB of FP32 weights",
                              "a model of at most " + to_text(max_weight_bytes / 1e9) +
                                  " GB (use timing-only mode for larger models)");
  }

  // The weights are the model's (model_seed), the first activations the input's (input_seed), as
  // in the synthetic activations (sim/activations.hpp).
  math_model(const model_shape& m, std::size_t batch, std::uint64_t model_seed, std::uint64_t input_seed) {
    require_fits(m);
    Kokkos::Random_XorShift64_Pool<ExecSpace> pool(model_seed);
    // Weights uniform in +-1/sqrt(fan-in): activations keep their scale from layer to layer.
    const float scale = 1.0f / std::sqrt(static_cast<float>(m.hidden));
    for (std::size_t l = 0; l < m.layers; ++l) {
      attention_.emplace_back(attention_shape::of(m), batch);
      Kokkos::fill_random(attention_.back().qkv_chunks(), pool, -scale, scale);
      Kokkos::fill_random(attention_.back().output_weights(), pool, -scale, scale);
      ffn_.emplace_back(ffn_shape::of(m));
      Kokkos::fill_random(ffn_.back().weights(), pool, -scale, scale);
    }
    x_ = matrix("hermes::math_model::x", batch, m.hidden);
    y_ = matrix("hermes::math_model::y", batch, m.hidden);
    Kokkos::Random_XorShift64_Pool<ExecSpace> input_pool(input_seed);
    Kokkos::fill_random(x_, input_pool, -1.0f, 1.0f);
  }

  // QKV, attention over the cache and the projection of layer l, on the current activations.
  template <class DeviceSet>
  attention_timing attention(std::size_t l, std::size_t pos, const neuron_mask& active,
                             const layer_placement& placement, const DeviceSet& devices, ledger& L,
                             seconds ready, const attention_cost_options& opts) {
    const attention_timing t = attention_[l].forward(x_, y_, pos, active, placement, devices, L, ready, opts);
    std::swap(x_, y_);
    return t;
  }

  template <class DeviceSet>
  layer_timing ffn(std::size_t l, const neuron_mask& active, const layer_placement& placement,
                   const DeviceSet& devices, ledger& L, seconds ready, const sparse_cost_options& opts) {
    const layer_timing t = ffn_[l].forward(x_, y_, active, placement, devices, L, ready, opts);
    std::swap(x_, y_);
    return t;
  }

  // The math alone (no charge), for callers that charge the same work themselves (math_stages).
  void compute_attention(std::size_t l, std::size_t pos, const neuron_mask& active, const layer_placement& placement) {
    attention_[l].forward(x_, y_, pos, active, placement);
    std::swap(x_, y_);
  }
  void compute_ffn(std::size_t l, const neuron_mask& active, const layer_placement& placement) {
    ffn_[l].forward(x_, y_, active, placement);
    std::swap(x_, y_);
  }

  // The current layer output (for tests: the math really ran).
  [[nodiscard]] matrix activations() const { return x_; }

 private:
  std::vector<hermes::attention<ExecSpace>> attention_;
  std::vector<sparse_ffn<ExecSpace>> ffn_;
  matrix x_, y_;
};

// The split engine's math-mode stage executor (the timing-only one is timing_stages in
// sim/split_engine.hpp): every stage computes its sparse product with the real Kokkos layers
// and charges the ledger through the same functions.
template <class ExecSpace = Kokkos::DefaultExecutionSpace>
class math_stages {
 public:
  static void require_supported(const model_shape& m) { math_model<ExecSpace>::require_fits(m); }
  explicit math_stages(const workload_config& w) : model_(w.model, w.batch, w.model_seed, w.seed) {}

  // Computes with the real layers, then charges exactly as timing_stages does (the same
  // grouping, with the batch's firing counts), so both modes model the same time.
  template <class DeviceSet>
  attention_timing attention(const attention_shape& shape, std::size_t batch, std::size_t l, std::size_t pos,
                             const neuron_mask& computed, const layer_placement& placement, const home_masks& homes,
                             std::span<const neuron_mask* const> extra_firings, const DeviceSet& devices, ledger& L,
                             seconds ready, const attention_cost_options& opts) {
    model_.compute_attention(l, pos, computed, placement);
    return charge_attention(shape, batch, pos, device_neuron_counts(computed, placement, homes, extra_firings), devices,
                            L, ready, opts);
  }
  template <class DeviceSet>
  layer_timing ffn(const ffn_shape& shape, std::size_t batch, std::size_t l, const neuron_mask& computed,
                   const layer_placement& placement, const home_masks& homes,
                   std::span<const neuron_mask* const> extra_firings, const DeviceSet& devices, ledger& L,
                   seconds ready, const sparse_cost_options& opts) {
    model_.compute_ffn(l, computed, placement);
    return charge_sparse_ffn(shape, batch, device_neuron_counts(computed, placement, homes, extra_firings), devices, L,
                             ready, opts);
  }
  [[nodiscard]] const math_model<ExecSpace>& model() const { return model_; }

 private:
  math_model<ExecSpace> model_;
};

}  // namespace hermes
