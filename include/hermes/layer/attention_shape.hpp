#pragma once
// The shape of one attention layer with sparse QKV generation, and what charging it costs.
// No weights: the timing-only path uses this header alone.
//
// An attention neuron is input channel i of QKV generation: its chunk is
// [column i of Wq | column i of Wk | column i of Wv] (q_dim + 2 kv_dim elements), and it is
// skipped when input i is zero (after the ReLU Hermes inserts before QKV) or predicted so.
#include <cstddef>
#include <string>
#include <vector>

#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/layer/device_neurons.hpp"
#include "hermes/layer/sparse_charging.hpp"
#include "hermes/core/model_shape.hpp"

namespace hermes {

struct attention_shape {
  std::size_t hidden = 0;       // d_model: input width = attention neurons, output width
  std::size_t heads = 0;        // query heads
  std::size_t kv_heads = 0;     // key/value heads; query head h uses KV head h / (heads / kv_heads)
  std::size_t head_dim = 0;
  std::size_t max_context = 0;  // KV cache length: positions 0..max_context-1
  bool relu_before_qkv = false; // Hermes inserts a ReLU before QKV generation (sparse input)
  bool bias = false;            // OPT's q/k/v/out projections have biases; LLaMA's do not

  [[nodiscard]] std::size_t q_dim() const { return heads * head_dim; }
  [[nodiscard]] std::size_t kv_dim() const { return kv_heads * head_dim; }
  [[nodiscard]] std::size_t queries_per_kv() const { return kv_heads ? heads / kv_heads : 0; }
  [[nodiscard]] std::size_t neurons() const { return hidden; }
  [[nodiscard]] std::size_t chunk_elements() const { return q_dim() + 2 * kv_dim(); }

  static attention_shape of(const model_shape& m, bool with_bias = false) {
    return attention_shape{m.hidden, m.heads, m.kv_heads, m.head_dim(), m.max_context,
                           m.relu_before_qkv, with_bias};
  }
  void validate() const {
    require_positive("attention_shape.hidden", hidden);
    require_positive("attention_shape.heads", heads);
    require_positive("attention_shape.kv_heads", kv_heads);
    require_positive("attention_shape.head_dim", head_dim);
    require_positive("attention_shape.max_context", max_context);
    if (heads % kv_heads != 0)
      throw invalid_parameter("attention_shape.kv_heads", std::to_string(kv_heads),
                              "a divisor of heads = " + std::to_string(heads));
    if (head_dim % 2 != 0)
      throw invalid_parameter("attention_shape.head_dim", std::to_string(head_dim),
                              "an even number (RoPE rotates pairs of elements)");
  }
};

struct attention_cost_options : sparse_cost_options {
  // The device holding KV head g's cache, which computes that head's attention. Hermes keeps the
  // KV cache on the NDP-DIMMs (Sec IV-A.2, step 2); how heads spread over DIMMs is not stated,
  // so the system chooses (docs/parameters.md). Empty: every head on merge_devices.front().
  std::vector<device_index> kv_head_home;
  // The device running the dense output projection: the GPU in Hermes (Sec IV-A.2, step 3).
  device_index projection_device = 0;
  // KV cache element width: FP16 like the weights (Sec V-A).
  double kv_bytes_per_element = 2.0;
  // Operations per score in softmax: a compare for the max, a subtract, an exp, an add to the
  // sum and a divide (the NDP activation unit has exp, add, mul units, a comparator tree and a
  // divider: hermes.md, Sec IV-A). Counted as one each.
  double softmax_flops_per_element = 5.0;
  // Operations per rotated element in RoPE: 2 multiplies and 1 add (x' = x0 cos - x1 sin).
  double rope_flops_per_element = 3.0;

  [[nodiscard]] device_index home_of(std::size_t kv_head) const {
    return kv_head_home.empty() ? merge_devices.front() : kv_head_home[kv_head];
  }
  void validate_attention(std::size_t devices, std::size_t kv_heads) const {
    if (!kv_head_home.empty() && kv_head_home.size() != kv_heads)
      throw invalid_parameter("attention_cost_options.kv_head_home size",
                              std::to_string(kv_head_home.size()),
                              "empty or one device per KV head (" + std::to_string(kv_heads) + ")");
    for (const device_index d : kv_head_home)
      if (d >= devices)
        throw invalid_parameter("attention_cost_options.kv_head_home", std::to_string(d),
                                "device indices below " + std::to_string(devices));
    if (projection_device >= devices)
      throw invalid_parameter("attention_cost_options.projection_device",
                              std::to_string(projection_device),
                              "a device index below " + std::to_string(devices));
    require_positive("attention_cost_options.kv_bytes_per_element", kv_bytes_per_element);
    require_non_negative("attention_cost_options.softmax_flops_per_element",
                         softmax_flops_per_element);
    require_non_negative("attention_cost_options.rope_flops_per_element", rope_flops_per_element);
  }
};

struct attention_timing {
  layer_timing qkv;          // sparse QKV generation and its merge
  seconds attention_end{};   // the last KV head's attention finished
  seconds end{};             // the output projection finished: the layer output is ready
};

// Charges one attention forward for `batch` sequences decoding position `pos` (context pos + 1):
//  1. QKV: one GEMV per device over its active attention neurons (stage "qkv"), each chunk a
//     single row of q_dim + 2 kv_dim elements; the partials merged (stage "qkv_merge").
//  2. Per KV head, on its home device (stage "attention"): RoPE on its query heads and key,
//     scores as a GEMV over the cached keys (chunks = batch x context rows of head_dim, times
//     the queries_per_kv query vectors), softmax, and the weighted sum as a GEMV over the cached
//     values.
//  3. The dense output projection (hidden rows of q_dim) on the projection device.
// `groups`: device_neurons, or device_neuron_counts when nothing needs the neuron lists.
template <neuron_grouping Grouping, class DeviceSet>
attention_timing charge_attention(const attention_shape& shape, std::size_t batch, std::size_t pos,
                                  const Grouping& groups, const DeviceSet& devices,
                                  ledger& l, seconds ready, const attention_cost_options& opts = {}) {
  shape.validate();
  if (pos >= shape.max_context)
    throw invalid_parameter("attention position", std::to_string(pos),
                            "a position below max_context = " + std::to_string(shape.max_context));
  if (groups.layer_neurons() != shape.neurons())
    throw invalid_parameter("device_neurons layer size", std::to_string(groups.layer_neurons()),
                            "the attention's " + std::to_string(shape.neurons()) + " neurons");
  opts.validate_attention(devices.size(), shape.kv_heads);
  attention_timing t;
  t.qkv = charge_sparse_layer(devices, l, ready, groups, 1, shape.chunk_elements(), batch,
                              shape.chunk_elements(), opts, stage::qkv, stage::qkv_merge);

  const std::size_t context = pos + 1;
  const std::size_t qpk = shape.queries_per_kv();
  const double act = opts.activation_bytes_per_element;
  t.attention_end = t.qkv.end;
  for (std::size_t g = 0; g < shape.kv_heads; ++g) {
    const device_index home = opts.home_of(g);
    // The head's queries, key and value, from wherever the merge left them.
    const bytes inputs(static_cast<double>(batch * (qpk + 2) * shape.head_dim) * act);
    seconds at = fetch_merged(opts, home, inputs, t.qkv.end);

    vector_work rope;
    rope.elements = batch * (qpk + 1) * shape.head_dim;
    rope.flops_per_element = opts.rope_flops_per_element;
    rope.bytes_per_element = act;
    at = devices.charge_vector_op(l, home, at, rope, stage::attention);

    gemv_work over_cache;  // scores: K cache x queries; then the same shape over the V cache
    over_cache.chunks = batch * context;
    over_cache.rows_per_chunk = 1;
    over_cache.cols = shape.head_dim;
    over_cache.batch = qpk;
    over_cache.bytes_per_element = opts.kv_bytes_per_element;
    at = devices.charge_gemv(l, home, at, over_cache, stage::attention);

    vector_work softmax;
    softmax.elements = batch * qpk * context;
    softmax.flops_per_element = opts.softmax_flops_per_element;
    softmax.bytes_per_element = act;
    at = devices.charge_vector_op(l, home, at, softmax, stage::attention);

    at = devices.charge_gemv(l, home, at, over_cache, stage::attention);
    t.attention_end = max(t.attention_end, at);
  }

  // The projection needs every head's output on the projection device, so the outputs travel
  // together once the last head is done: one transfer per home device, all leaving at
  // attention_end (a system's transfer hook may merge them into one exchange).
  seconds proj_ready = t.attention_end;
  std::vector<std::size_t> heads_on(devices.size(), 0);
  for (std::size_t g = 0; g < shape.kv_heads; ++g) ++heads_on[opts.home_of(g)];
  for (std::size_t d = 0; d < heads_on.size(); ++d) {
    if (heads_on[d] == 0) continue;
    const bytes out(static_cast<double>(heads_on[d] * batch * qpk * shape.head_dim) * act);
    proj_ready = max(proj_ready, arrive(opts.move, static_cast<device_index>(d),
                                                opts.projection_device, out, t.attention_end));
  }
  gemv_work projection;
  projection.chunks = shape.hidden;
  projection.rows_per_chunk = 1;
  projection.cols = shape.q_dim();
  projection.batch = batch;
  projection.bytes_per_element = opts.weight_bytes_per_element;
  t.end = devices.charge_gemv(l, opts.projection_device, proj_ready, projection,
                              stage::output_projection);
  return t;
}

}  // namespace hermes
