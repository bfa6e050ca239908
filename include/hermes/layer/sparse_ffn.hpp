#pragma once
// A sparse FFN layer with real math: only the chunks of the active neurons are read.
//
//   relu     (OPT):                 y = fc2 relu(fc1 x + b1) + b2
//   swiglu   (LLaMA):               y = fc2 (silu(fc1 x) * (gate x))
//   relu_glu (ReLU-fied LLaMA):     y = fc2 (relu(fc1 x) * (gate x))
//   gelu     (GPT-2, dense):        y = fc2 gelu(fc1 x + b1) + b2, tanh approximation (GPT-2's
//                                   "gelu_new"); skipping a GELU neuron is an approximation.
//
// Forward for a batch: every device computes the contribution of its active neurons (a partial
// output), then the partials are summed. h_i (the neuron's activation) is kept so predictors can
// learn which neurons actually fired. Time is charged through charge_sparse_ffn, the same
// function the timing-only path uses.
#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/layer/device_neurons.hpp"
#include "hermes/layer/ffn_shape.hpp"
#include "hermes/layer/kernels.hpp"
#include "hermes/layer/sparse_charging.hpp"
#include "hermes/core/placement.hpp"

namespace hermes {

// Dense weights in the usual row-major layouts (llama2.c, PyTorch Linear): fc1 and gate are
// [neurons][hidden], fc2 is [hidden][neurons]. gate only for gated kinds; biases optional.
struct dense_ffn_weights {
  std::span<const float> fc1;
  std::span<const float> gate;
  std::span<const float> fc2;
  std::span<const float> fc1_bias;  // [neurons]
  std::span<const float> fc2_bias;  // [hidden]
};

template <class ExecSpace = Kokkos::DefaultExecutionSpace>
class sparse_ffn {
 public:
  using execution_space = ExecSpace;
  using memory_space = typename ExecSpace::memory_space;
  using matrix = kernels::matrix<memory_space>;
  using const_matrix = kernels::const_matrix<memory_space>;
  using vector = kernels::vector<memory_space>;

  // Allocates zeroed weights: [neurons][chunk_elements], plus biases when shape.bias.
  explicit sparse_ffn(const ffn_shape& shape) : shape_(checked(shape)) {
    weights_ = matrix("hermes::sparse_ffn::weights", shape_.neurons, shape_.chunk_elements());
    if (shape_.bias) {
      fc1_bias_ = vector("hermes::sparse_ffn::fc1_bias", shape_.neurons);
      fc2_bias_ = vector("hermes::sparse_ffn::fc2_bias", shape_.hidden);
    }
  }

  [[nodiscard]] const ffn_shape& shape() const { return shape_; }
  // The neuron chunks, [neurons][chunk_elements] (see ffn_shape for the chunk layout).
  [[nodiscard]] matrix weights() const { return weights_; }
  [[nodiscard]] vector fc1_bias() const { return fc1_bias_; }
  [[nodiscard]] vector fc2_bias() const { return fc2_bias_; }

  // Copies dense host weights into the neuron chunks.
  void load_dense(const dense_ffn_weights& w) {
    const std::size_t n = shape_.neurons;
    const std::size_t h = shape_.hidden;
    expect_size("dense_ffn_weights.fc1", w.fc1.size(), n * h);
    expect_size("dense_ffn_weights.fc2", w.fc2.size(), n * h);
    expect_size("dense_ffn_weights.gate", w.gate.size(), shape_.gated() ? n * h : 0);
    expect_size("dense_ffn_weights.fc1_bias", w.fc1_bias.size(), shape_.bias ? n : 0);
    expect_size("dense_ffn_weights.fc2_bias", w.fc2_bias.size(), shape_.bias ? h : 0);
    auto host = Kokkos::create_mirror_view(weights_);
    const std::size_t fc2_at = shape_.fc2_offset();
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t c = 0; c < h; ++c) {
        host(i, c) = w.fc1[i * h + c];
        if (shape_.gated()) host(i, h + c) = w.gate[i * h + c];
        host(i, fc2_at + c) = w.fc2[c * n + i];
      }
    }
    Kokkos::deep_copy(weights_, host);
    if (shape_.bias) {
      copy_to(fc1_bias_, w.fc1_bias);
      copy_to(fc2_bias_, w.fc2_bias);
    }
  }

  // y[b] = FFN(x[b]) over the active neurons, computed by the devices of `placement`.
  // x and y are [batch][hidden], batch >= 1.
  void forward(const const_matrix& x, const matrix& y, const neuron_mask& active,
               const layer_placement& placement) {
    forward(x, y, device_neurons(active, placement, devices_used(placement)));
  }
  void forward(const const_matrix& x, const matrix& y, const device_neurons& groups) {
    const std::size_t batch = check_io(x, y, groups);
    upload(groups);
    clear_activations(batch);
    const std::size_t devices = groups.devices();
    const std::size_t workers = kernels::workers_per_device<ExecSpace>(strategy_);
    ensure_partials(devices * workers, batch);
    std::size_t partials = devices;
    if (strategy_ == kernels::partial_strategy::per_worker) {
      fused_per_worker(x, batch, devices, workers);
      partials = devices * workers;
    } else {
      if (groups.total() > 0) compute_activations(x, batch, groups.total());
      kernels::accumulate_scaled_chunks<ExecSpace>(
          "hermes::sparse_ffn::fc2", strategy_, weights_, shape_.fc2_offset(), shape_.hidden,
          order_, offsets_, devices, activations_, batch, partials_);
    }
    kernels::merge_partials<ExecSpace>("hermes::sparse_ffn::merge", partials_, partials, batch,
                                       shape_.hidden, fc2_bias_, y);
    last_batch_ = batch;
  }

  // How per-device partials are produced (see kernels::partial_strategy); the default suits
  // the execution space. Both give the same result up to float rounding.
  void set_strategy(kernels::partial_strategy s) { strategy_ = s; }
  [[nodiscard]] kernels::partial_strategy strategy() const { return strategy_; }

  // Math and time: the forward above, plus the cost of the same work charged to `devices`.
  template <class DeviceSet>
  layer_timing forward(const const_matrix& x, const matrix& y, const neuron_mask& active,
                       const layer_placement& placement, const DeviceSet& devices, ledger& l,
                       seconds ready, const sparse_cost_options& opts = {}) {
    const device_neurons groups(active, placement, devices.size());
    forward(x, y, groups);
    return charge_sparse_ffn(shape_, x.extent(0), groups, devices, l, ready, opts);
  }

  // h of the last forward, [batch][neurons]: the activation of every computed neuron (the value
  // that scales its fc2 column), 0 for neurons that were not computed.
  [[nodiscard]] const_matrix activations() const {
    return Kokkos::subview(const_matrix(activations_), Kokkos::make_pair<std::size_t>(0, last_batch_),
                           Kokkos::ALL);
  }
  // The neurons whose h was non-zero for sequence b in the last forward (for relu and relu_glu,
  // the neurons that actually fired; what a predictor learns from).
  [[nodiscard]] neuron_mask fired(std::size_t b) const {
    if (b >= last_batch_)
      throw invalid_parameter("sparse_ffn::fired batch row", std::to_string(b),
                              "a row below the last forward's batch " + std::to_string(last_batch_));
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), activations());
    neuron_mask m(shape_.neurons);
    for (std::size_t i = 0; i < shape_.neurons; ++i)
      if (host(b, i) != 0.0f) m.set(i);
    return m;
  }
  // Union over the batch of fired(b).
  [[nodiscard]] neuron_mask fired_any() const {
    neuron_mask m(shape_.neurons);
    for (std::size_t b = 0; b < last_batch_; ++b) m |= fired(b);
    return m;
  }

 private:
  static const ffn_shape& checked(const ffn_shape& s) {
    s.validate();
    return s;
  }
  static void expect_size(const char* field, std::size_t found, std::size_t wanted) {
    if (found != wanted)
      throw invalid_parameter(field, std::to_string(found) + " elements",
                              std::to_string(wanted) + " elements");
  }
  static void copy_to(const vector& dst, std::span<const float> src) {
    auto host = Kokkos::create_mirror_view(dst);
    for (std::size_t i = 0; i < src.size(); ++i) host(i) = src[i];
    Kokkos::deep_copy(dst, host);
  }

  std::size_t check_io(const const_matrix& x, const matrix& y, const device_neurons& groups) const {
    const std::size_t batch = x.extent(0);
    if (batch == 0) throw invalid_parameter("sparse_ffn input batch", "0", "at least 1 row");
    if (x.extent(1) != shape_.hidden)
      throw invalid_parameter("sparse_ffn input width", std::to_string(x.extent(1)),
                              "hidden = " + std::to_string(shape_.hidden));
    if (y.extent(0) != batch || y.extent(1) != shape_.hidden)
      throw invalid_parameter(
          "sparse_ffn output shape",
          std::to_string(y.extent(0)) + " x " + std::to_string(y.extent(1)),
          std::to_string(batch) + " x " + std::to_string(shape_.hidden) + " (batch x hidden)");
    if (groups.layer_neurons() != shape_.neurons)
      throw invalid_parameter("active neurons layer size", std::to_string(groups.layer_neurons()),
                              "the FFN's " + std::to_string(shape_.neurons) + " neurons");
    return batch;
  }

  // The device-grouped neuron list, as views the kernels read.
  void upload(const device_neurons& groups) {
    const std::size_t n = groups.total();
    if (order_.extent(0) < std::max<std::size_t>(n, 1))
      order_ = kernels::index_list<memory_space>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "hermes::sparse_ffn::order"),
          std::max<std::size_t>(n, 1));
    offsets_ = kernels::offset_list<memory_space>(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, "hermes::sparse_ffn::offsets"),
        groups.offsets().size());
    const Kokkos::View<const std::uint32_t*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged> order_host(
        groups.neurons().data(), n);
    Kokkos::deep_copy(Kokkos::subview(order_, Kokkos::make_pair<std::size_t>(0, n)), order_host);
    const Kokkos::View<const std::size_t*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged> offsets_host(
        groups.offsets().data(), groups.offsets().size());
    Kokkos::deep_copy(offsets_, offsets_host);
  }

  void ensure_partials(std::size_t count, std::size_t batch) {
    if (partials_.extent(0) < count || partials_.extent(1) < batch)
      partials_ = kernels::cube<memory_space>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "hermes::sparse_ffn::partials"),
          std::max(count, partials_.extent(0)), std::max(batch, partials_.extent(1)),
          shape_.hidden);
  }

  void clear_activations(std::size_t batch) {
    if (activations_.extent(0) < batch)
      activations_ = matrix("hermes::sparse_ffn::activations", batch, shape_.neurons);
    else
      Kokkos::deep_copy(
          Kokkos::subview(activations_, Kokkos::make_pair<std::size_t>(0, batch), Kokkos::ALL),
          0.0f);
  }

  // per_worker: each worker streams its share of a device's neurons in groups, reading each
  // chunk once front to back (fc1 rows, gate rows, then fc2 columns) and accumulating into its
  // own partial. activations_(b, i) = h_i(x_b) for the computed neurons.
  void fused_per_worker(const const_matrix& x, std::size_t batch, std::size_t devices,
                        std::size_t workers) {
    const const_matrix weights = weights_;
    const Kokkos::View<const float*, memory_space> bias = fc1_bias_;
    const matrix h = activations_;
    const auto partials = partials_;
    const auto order = order_;
    const auto offsets = offsets_;
    const std::size_t hidden = shape_.hidden;
    const std::size_t fc2_at = shape_.fc2_offset();
    const ffn_kind kind = shape_.kind;
    const bool gated = shape_.gated();
    const bool has_bias = shape_.bias;
    constexpr int group = kernels::neuron_group;
    Kokkos::parallel_for(
        "hermes::sparse_ffn::fused", Kokkos::RangePolicy<ExecSpace>(0, devices * workers),
        KOKKOS_LAMBDA(const std::size_t p) {
          std::size_t lo = 0, hi = 0;
          kernels::worker_range(offsets(p / workers), offsets(p / workers + 1), p % workers,
                                workers, lo, hi);
          for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t c = 0; c < hidden; ++c) partials(p, b, c) = 0.0f;
          for (std::size_t k = lo; k < hi; k += group) {
            const int rows = static_cast<int>(hi - k < group ? hi - k : group);
            std::uint32_t id[group] = {};
            const float* fc1[group] = {};
            const float* gate[group] = {};
            const float* fc2[group] = {};
            for (int r = 0; r < rows; ++r) {
              id[r] = order(k + r);
              fc1[r] = &weights(id[r], 0);
              gate[r] = fc1[r] + hidden;
              fc2[r] = fc1[r] + fc2_at;
            }
            for (std::size_t b = 0; b < batch; ++b) {
              const float* xb = &x(b, 0);
              float value[group] = {};
              kernels::dot_group(rows, fc1, xb, hidden, value);
              for (int r = 0; r < rows; ++r)
                value[r] = activate(kind, has_bias ? value[r] + bias(id[r]) : value[r]);
              if (gated) {
                float g[group] = {};
                kernels::dot_group(rows, gate, xb, hidden, g);
                for (int r = 0; r < rows; ++r) value[r] *= g[r];
              }
              for (int r = 0; r < rows; ++r) h(b, id[r]) = value[r];
              kernels::axpy_group(rows, &partials(p, b, 0), fc2, value, hidden);
            }
          }
        });
  }

  // output_blocks, first pass: activations_(b, i) = h_i(x_b) for the active neurons, one team
  // per neuron.
  void compute_activations(const const_matrix& x, std::size_t batch, std::size_t active) {
    using policy = Kokkos::TeamPolicy<ExecSpace>;
    using member = typename policy::member_type;
    const const_matrix weights = weights_;
    const Kokkos::View<const float*, memory_space> bias = fc1_bias_;
    const matrix h = activations_;
    const auto order = order_;
    const std::size_t hidden = shape_.hidden;
    const ffn_kind kind = shape_.kind;
    const bool gated = shape_.gated();
    const bool has_bias = shape_.bias;
    Kokkos::parallel_for(
        "hermes::sparse_ffn::fc1", policy(static_cast<int>(active), Kokkos::AUTO),
        KOKKOS_LAMBDA(const member& team) {
          const std::uint32_t i = order(static_cast<std::size_t>(team.league_rank()));
          const float* fc1 = &weights(i, 0);
          for (std::size_t b = 0; b < batch; ++b) {
            const float* xb = &x(b, 0);
            float a = kernels::team_dot(team, fc1, xb, hidden);
            if (has_bias) a += bias(i);
            float value = activate(kind, a);
            if (gated) value *= kernels::team_dot(team, fc1 + hidden, xb, hidden);
            Kokkos::single(Kokkos::PerTeam(team), [&]() { h(b, i) = value; });
          }
        });
  }

  // The activation function of each kind. silu is written as llama2.c writes it
  // (v * (1 / (1 + exp(-v)))) so the reference model reproduces bit for bit.
  KOKKOS_INLINE_FUNCTION static float activate(ffn_kind kind, float v) {
    switch (kind) {
      case ffn_kind::swiglu:
        return v * (1.0f / (1.0f + kmath::exp(-v)));
      case ffn_kind::gelu: {
        // sqrt(2 / pi) and 0.044715: the tanh approximation of GELU (Hendrycks & Gimpel 2016),
        // as GPT-2 uses it.
        constexpr float sqrt_2_over_pi = 0.7978845608028654f;
        return 0.5f * v * (1.0f + kmath::tanh(sqrt_2_over_pi * (v + 0.044715f * v * v * v)));
      }
      case ffn_kind::relu:
      case ffn_kind::relu_glu:
      default:
        return v > 0.0f ? v : 0.0f;
    }
  }

  ffn_shape shape_;
  matrix weights_;
  vector fc1_bias_;
  vector fc2_bias_;
  matrix activations_;
  kernels::cube<memory_space> partials_;
  kernels::index_list<memory_space> order_;
  kernels::offset_list<memory_space> offsets_;
  std::size_t last_batch_ = 0;
  kernels::partial_strategy strategy_ = kernels::default_strategy<ExecSpace>();
};

}  // namespace hermes
