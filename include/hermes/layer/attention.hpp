#pragma once
// An attention layer with sparse QKV generation and real math.
//
//   u = relu(x) when relu_before_qkv, else x         (Hermes inserts the ReLU, Sec III)
//   [q | k | v] = sum over active input channels i of u_i * chunk_i (+ biases)
//   q, k rotated by RoPE at position pos: interleaved pairs (2m, 2m+1) of each head, angle
//   pos * 10000^(-2m / head_dim), as llama2.c does
//   k, v appended to the KV cache at pos
//   per query head h (KV head g = h / (heads / kv_heads)):
//     a = softmax(q_h . k_g[t] / sqrt(head_dim), t = 0..pos);  o_h = sum_t a_t v_g[t]
//   y = Wo o (+ bias), dense
//
// The QKV product runs like the sparse FFN: one partial per device over the device's active
// channels, then a merge. Scores, softmax and the weighted sum follow llama2.c's summation order
// exactly; time is charged through charge_attention, the function the timing-only path uses.
#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/layer/attention_shape.hpp"
#include "hermes/layer/device_neurons.hpp"
#include "hermes/layer/kernels.hpp"
#include "hermes/layer/kv_cache.hpp"
#include "hermes/core/placement.hpp"

namespace hermes {

// Dense weights in the usual row-major layouts (llama2.c, PyTorch Linear): wq [q_dim][hidden],
// wk and wv [kv_dim][hidden], wo [hidden][q_dim]; biases optional.
struct dense_attention_weights {
  std::span<const float> wq;
  std::span<const float> wk;
  std::span<const float> wv;
  std::span<const float> wo;
  std::span<const float> bq;  // [q_dim]
  std::span<const float> bk;  // [kv_dim]
  std::span<const float> bv;  // [kv_dim]
  std::span<const float> bo;  // [hidden]
};

template <class ExecSpace = Kokkos::DefaultExecutionSpace>
class attention {
 public:
  using execution_space = ExecSpace;
  using memory_space = typename ExecSpace::memory_space;
  using matrix = kernels::matrix<memory_space>;
  using const_matrix = kernels::const_matrix<memory_space>;
  using vector = kernels::vector<memory_space>;

  // Zeroed weights and a KV cache for `sequences` sequences of shape.max_context positions.
  attention(const attention_shape& shape, std::size_t sequences)
      : shape_(checked(shape)), cache_(sequences, shape.max_context, shape.kv_dim()) {
    chunks_ = matrix("hermes::attention::qkv_chunks", shape_.hidden, shape_.chunk_elements());
    wo_ = matrix("hermes::attention::wo", shape_.hidden, shape_.q_dim());
    if (shape_.bias) {
      qkv_bias_ = vector("hermes::attention::qkv_bias", shape_.chunk_elements());
      out_bias_ = vector("hermes::attention::out_bias", shape_.hidden);
    }
    const std::size_t s = sequences;
    input_ = matrix("hermes::attention::input", s, shape_.hidden);
    qkv_ = matrix("hermes::attention::qkv", s, shape_.chunk_elements());
    scores_ = kernels::cube<memory_space>("hermes::attention::scores", s, shape_.heads,
                                          shape_.max_context);
    heads_out_ = matrix("hermes::attention::heads_out", s, shape_.q_dim());
  }

  [[nodiscard]] const attention_shape& shape() const { return shape_; }
  [[nodiscard]] std::size_t sequences() const { return cache_.sequences(); }
  // [hidden][q_dim + 2 kv_dim]: row i is attention neuron i (see attention_shape).
  [[nodiscard]] matrix qkv_chunks() const { return chunks_; }
  [[nodiscard]] matrix output_weights() const { return wo_; }
  [[nodiscard]] const kv_cache<memory_space>& cache() const { return cache_; }
  [[nodiscard]] kv_cache<memory_space>& cache() { return cache_; }

  void load_dense(const dense_attention_weights& w) {
    const std::size_t h = shape_.hidden, q = shape_.q_dim(), kv = shape_.kv_dim();
    expect_size("dense_attention_weights.wq", w.wq.size(), q * h);
    expect_size("dense_attention_weights.wk", w.wk.size(), kv * h);
    expect_size("dense_attention_weights.wv", w.wv.size(), kv * h);
    expect_size("dense_attention_weights.wo", w.wo.size(), h * q);
    expect_size("dense_attention_weights.bq", w.bq.size(), shape_.bias ? q : 0);
    expect_size("dense_attention_weights.bk", w.bk.size(), shape_.bias ? kv : 0);
    expect_size("dense_attention_weights.bv", w.bv.size(), shape_.bias ? kv : 0);
    expect_size("dense_attention_weights.bo", w.bo.size(), shape_.bias ? h : 0);
    auto chunks = Kokkos::create_mirror_view(chunks_);
    for (std::size_t i = 0; i < h; ++i) {
      for (std::size_t r = 0; r < q; ++r) chunks(i, r) = w.wq[r * h + i];
      for (std::size_t r = 0; r < kv; ++r) chunks(i, q + r) = w.wk[r * h + i];
      for (std::size_t r = 0; r < kv; ++r) chunks(i, q + kv + r) = w.wv[r * h + i];
    }
    Kokkos::deep_copy(chunks_, chunks);
    auto wo = Kokkos::create_mirror_view(wo_);
    for (std::size_t r = 0; r < h; ++r)
      for (std::size_t c = 0; c < q; ++c) wo(r, c) = w.wo[r * q + c];
    Kokkos::deep_copy(wo_, wo);
    if (shape_.bias) {
      auto b = Kokkos::create_mirror_view(qkv_bias_);
      for (std::size_t r = 0; r < q; ++r) b(r) = w.bq[r];
      for (std::size_t r = 0; r < kv; ++r) b(q + r) = w.bk[r];
      for (std::size_t r = 0; r < kv; ++r) b(q + kv + r) = w.bv[r];
      Kokkos::deep_copy(qkv_bias_, b);
      auto o = Kokkos::create_mirror_view(out_bias_);
      for (std::size_t r = 0; r < h; ++r) o(r) = w.bo[r];
      Kokkos::deep_copy(out_bias_, o);
    }
  }

  // y[b] = attention(x[b]) at position pos for sequences b = 0..batch-1 (x, y: [batch][hidden]),
  // appending to each sequence's KV cache. Positions of a sequence are decoded in order 0, 1, ...
  void forward(const const_matrix& x, const matrix& y, std::size_t pos, const neuron_mask& active,
               const layer_placement& placement) {
    forward(x, y, pos, device_neurons(active, placement, devices_used(placement)));
  }
  void forward(const const_matrix& x, const matrix& y, std::size_t pos,
               const device_neurons& groups) {
    const std::size_t batch = check_io(x, y, pos, groups);
    upload(groups);
    prepare_input(x, batch);
    const std::size_t devices = groups.devices();
    const std::size_t workers = kernels::workers_per_device<ExecSpace>(strategy_);
    ensure_partials(devices * workers, batch);
    const std::size_t partials = kernels::accumulate_scaled_chunks<ExecSpace>(
        "hermes::attention::qkv", strategy_, chunks_, 0, shape_.chunk_elements(), order_, offsets_,
        devices, input_, batch, partials_);
    kernels::merge_partials<ExecSpace>("hermes::attention::qkv_merge", partials_, partials, batch,
                                       shape_.chunk_elements(), qkv_bias_, qkv_);
    rotate_and_append(batch, pos);
    attend(batch, pos);
    project(y, batch);
    last_batch_ = batch;
  }

  // Math and time: the forward above, plus the cost of the same work charged to `devices`.
  template <class DeviceSet>
  attention_timing forward(const const_matrix& x, const matrix& y, std::size_t pos,
                           const neuron_mask& active, const layer_placement& placement,
                           const DeviceSet& devices, ledger& l, seconds ready,
                           const attention_cost_options& opts = {}) {
    const device_neurons groups(active, placement, devices.size());
    forward(x, y, pos, groups);
    return charge_attention(shape_, x.extent(0), pos, groups, devices, l, ready, opts);
  }

  // The input channels that were non-zero for sequence b in the last forward, after the ReLU
  // when there is one: the attention neurons that actually fired.
  [[nodiscard]] neuron_mask fired(std::size_t b) const {
    if (b >= last_batch_)
      throw invalid_parameter("attention::fired batch row", std::to_string(b),
                              "a row below the last forward's batch " + std::to_string(last_batch_));
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), input_);
    neuron_mask m(shape_.hidden);
    for (std::size_t i = 0; i < shape_.hidden; ++i)
      if (host(b, i) != 0.0f) m.set(i);
    return m;
  }

  void set_strategy(kernels::partial_strategy s) { strategy_ = s; }
  [[nodiscard]] kernels::partial_strategy strategy() const { return strategy_; }

 private:
  static const attention_shape& checked(const attention_shape& s) {
    s.validate();
    return s;
  }
  static void expect_size(const char* field, std::size_t found, std::size_t wanted) {
    if (found != wanted)
      throw invalid_parameter(field, std::to_string(found) + " elements",
                              std::to_string(wanted) + " elements");
  }

  std::size_t check_io(const const_matrix& x, const matrix& y, std::size_t pos,
                       const device_neurons& groups) const {
    const std::size_t batch = x.extent(0);
    if (batch == 0 || batch > sequences())
      throw invalid_parameter("attention input batch", std::to_string(batch),
                              "1.." + std::to_string(sequences()) + " (the KV cache's sequences)");
    if (x.extent(1) != shape_.hidden)
      throw invalid_parameter("attention input width", std::to_string(x.extent(1)),
                              "hidden = " + std::to_string(shape_.hidden));
    if (y.extent(0) != batch || y.extent(1) != shape_.hidden)
      throw invalid_parameter(
          "attention output shape",
          std::to_string(y.extent(0)) + " x " + std::to_string(y.extent(1)),
          std::to_string(batch) + " x " + std::to_string(shape_.hidden) + " (batch x hidden)");
    if (pos >= shape_.max_context)
      throw invalid_parameter("attention position", std::to_string(pos),
                              "a position below max_context = " +
                                  std::to_string(shape_.max_context));
    if (groups.layer_neurons() != shape_.hidden)
      throw invalid_parameter("active neurons layer size", std::to_string(groups.layer_neurons()),
                              "the attention's " + std::to_string(shape_.hidden) + " neurons");
    return batch;
  }

  void upload(const device_neurons& groups) {
    const std::size_t n = groups.total();
    if (order_.extent(0) < std::max<std::size_t>(n, 1))
      order_ = kernels::index_list<memory_space>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "hermes::attention::order"),
          std::max<std::size_t>(n, 1));
    offsets_ = kernels::offset_list<memory_space>(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, "hermes::attention::offsets"),
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
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "hermes::attention::partials"),
          std::max(count, partials_.extent(0)), std::max(batch, partials_.extent(1)),
          shape_.chunk_elements());
  }

  // input_ = relu(x) or x: the scale of each attention neuron's chunk.
  void prepare_input(const const_matrix& x, std::size_t batch) {
    const matrix u = input_;
    const std::size_t hidden = shape_.hidden;
    const bool relu = shape_.relu_before_qkv;
    Kokkos::parallel_for(
        "hermes::attention::input", Kokkos::RangePolicy<ExecSpace>(0, batch * hidden),
        KOKKOS_LAMBDA(const std::size_t e) {
          const float v = x(e / hidden, e % hidden);
          u(e / hidden, e % hidden) = relu && !(v > 0.0f) ? 0.0f : v;
        });
  }

  // RoPE on q and k (llama2.c's formula and float operations), then k and v into the cache.
  void rotate_and_append(std::size_t batch, std::size_t pos) {
    const matrix qkv = qkv_;
    const auto keys = cache_.keys();
    const auto values = cache_.values();
    const std::size_t q_dim = shape_.q_dim();
    const std::size_t kv_dim = shape_.kv_dim();
    const std::size_t head_dim = shape_.head_dim;
    const std::size_t pairs = (q_dim + kv_dim) / 2;
    Kokkos::parallel_for(
        "hermes::attention::rope", Kokkos::RangePolicy<ExecSpace>(0, batch * pairs),
        KOKKOS_LAMBDA(const std::size_t e) {
          const std::size_t b = e / pairs;
          const std::size_t j = 2 * (e % pairs);  // element index inside [q | k]
          const std::size_t in_head = j % head_dim;
          const float freq = 1.0f / kmath::pow(10000.0f, static_cast<float>(in_head) /
                                                            static_cast<float>(head_dim));
          const float angle = static_cast<float>(pos) * freq;
          const float c = kmath::cos(angle);
          const float s = kmath::sin(angle);
          const float v0 = qkv(b, j);
          const float v1 = qkv(b, j + 1);
          const float r0 = v0 * c - v1 * s;
          const float r1 = v0 * s + v1 * c;
          if (j < q_dim) {
            qkv(b, j) = r0;
            qkv(b, j + 1) = r1;
          } else {
            keys(b, pos, j - q_dim) = r0;
            keys(b, pos, j - q_dim + 1) = r1;
          }
        });
    Kokkos::parallel_for(
        "hermes::attention::append_values", Kokkos::RangePolicy<ExecSpace>(0, batch * kv_dim),
        KOKKOS_LAMBDA(const std::size_t e) {
          const std::size_t b = e / kv_dim;
          const std::size_t c = e % kv_dim;
          values(b, pos, c) = qkv(b, q_dim + kv_dim + c);
        });
  }

  // One team per (sequence, query head): scores, softmax, weighted sum of the cached values.
  void attend(std::size_t batch, std::size_t pos) {
    using policy = Kokkos::TeamPolicy<ExecSpace>;
    using member = typename policy::member_type;
    const const_matrix qkv = qkv_;
    const auto keys = cache_.keys();
    const auto values = cache_.values();
    const auto scores = scores_;
    const matrix out = heads_out_;
    const std::size_t heads = shape_.heads;
    const std::size_t head_dim = shape_.head_dim;
    const std::size_t qpk = shape_.queries_per_kv();
    const std::size_t context = pos + 1;
    Kokkos::parallel_for(
        "hermes::attention::attend", policy(static_cast<int>(batch * heads), Kokkos::AUTO),
        KOKKOS_LAMBDA(const member& team) {
          const std::size_t b = static_cast<std::size_t>(team.league_rank()) / heads;
          const std::size_t h = static_cast<std::size_t>(team.league_rank()) % heads;
          const std::size_t kv_at = (h / qpk) * head_dim;
          const float* q = &qkv(b, h * head_dim);
          const float scale = kmath::sqrt(static_cast<float>(head_dim));
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, context), [&](const std::size_t t) {
            const float* k = &keys(b, t, kv_at);
            float score = 0.0f;  // sequential, as llama2.c sums it
            for (std::size_t i = 0; i < head_dim; ++i) score += q[i] * k[i];
            scores(b, h, t) = score / scale;
          });
          team.team_barrier();
          float largest = scores(b, h, 0);
          Kokkos::parallel_reduce(
              Kokkos::TeamThreadRange(team, context),
              [&](const std::size_t t, float& m) {
                if (scores(b, h, t) > m) m = scores(b, h, t);
              },
              Kokkos::Max<float>(largest));
          team.team_barrier();
          float sum = 0.0f;
          Kokkos::parallel_reduce(
              Kokkos::TeamThreadRange(team, context),
              [&](const std::size_t t, float& acc) {
                const float e = kmath::exp(scores(b, h, t) - largest);
                scores(b, h, t) = e;
                acc += e;
              },
              sum);
          team.team_barrier();
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, context),
                               [&](const std::size_t t) { scores(b, h, t) /= sum; });
          team.team_barrier();
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, head_dim), [&](const std::size_t i) {
            float acc = 0.0f;
            for (std::size_t t = 0; t < context; ++t) acc += scores(b, h, t) * values(b, t, kv_at + i);
            out(b, h * head_dim + i) = acc;
          });
        });
  }

  // y = Wo o (+ bias): dense, rows in groups so several rows stream at once.
  void project(const matrix& y, std::size_t batch) {
    const const_matrix wo = wo_;
    const const_matrix o = heads_out_;
    const Kokkos::View<const float*, memory_space> bias = out_bias_;
    const bool has_bias = shape_.bias;
    const std::size_t rows = shape_.hidden;
    const std::size_t q_dim = shape_.q_dim();
    constexpr int group = kernels::neuron_group;
    const std::size_t groups = (rows + group - 1) / group;
    Kokkos::parallel_for(
        "hermes::attention::output_projection", Kokkos::RangePolicy<ExecSpace>(0, groups),
        KOKKOS_LAMBDA(const std::size_t g) {
          const std::size_t r0 = g * group;
          const int n = static_cast<int>(rows - r0 < group ? rows - r0 : group);
          const float* w[group] = {};
          for (int r = 0; r < n; ++r) w[r] = &wo(r0 + r, 0);
          for (std::size_t b = 0; b < batch; ++b) {
            float sums[group] = {};
            kernels::dot_group(n, w, &o(b, 0), q_dim, sums);
            for (int r = 0; r < n; ++r) y(b, r0 + r) = has_bias ? sums[r] + bias(r0 + r) : sums[r];
          }
        });
  }

  attention_shape shape_;
  kv_cache<memory_space> cache_;
  matrix chunks_;
  matrix wo_;
  vector qkv_bias_;
  vector out_bias_;
  matrix input_;
  matrix qkv_;
  kernels::cube<memory_space> scores_;
  matrix heads_out_;
  kernels::cube<memory_space> partials_;
  kernels::index_list<memory_space> order_;
  kernels::offset_list<memory_space> offsets_;
  std::size_t last_batch_ = 0;
  kernels::partial_strategy strategy_ = kernels::default_strategy<ExecSpace>();
};

}  // namespace hermes
