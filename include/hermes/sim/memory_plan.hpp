#pragma once
// Where a model's bytes live in a split system, and whether they fit. A model that does not fit
// is reported as not supported, with the reason, before anything is simulated.
//
// Hermes (Sec IV-A): every sparse neuron (QKV input channels, FFN neurons) is stored on a cold
// device (an NDP-DIMM, or the host in Hermes-host); the GPU holds copies of the hot ones, the
// dense output projections Wo of every layer and the LM head. The KV cache lives with attention
// on the cold devices. The token embedding table stays in cold memory (one row read per token).
#include <cstddef>
#include <string>

#include "hermes/core/error.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/units.hpp"
#include "hermes/sim/config.hpp"

namespace hermes {

struct memory_plan {
  bool supported = true;
  std::string reason;
  bytes sparse_bytes_per_layer{};   // QKV + FFN neuron weights of one transformer layer
  bytes dense_gpu_bytes{};          // Wo of all layers + the LM head, resident on the GPU
  bytes kv_cache_bytes{};           // the whole batch at full length
  bytes gpu_for_neurons{};          // GPU memory left for hot-neuron copies
  bytes cold_for_neurons_each{};    // per cold device, memory left for neuron homes
  bytes cold_total_needed{};
};

[[nodiscard]] inline memory_plan plan_split_memory(const workload_config& w, const hardware_config& h,
                                                   bytes cold_capacity, std::size_t cold_count) {
  const model_shape& m = w.model;
  const double bpp = m.bytes_per_param;
  memory_plan p;
  p.sparse_bytes_per_layer =
      bytes((static_cast<double>(m.attention_neurons() * m.attention_neuron_elements()) +
             static_cast<double>(m.ffn_neurons() * m.ffn_neuron_elements())) * bpp);
  const bytes wo(static_cast<double>(m.layers * m.hidden * m.hidden) * bpp);
  const bytes lm_head(static_cast<double>(m.vocab * m.hidden) * bpp);
  const bytes embedding = lm_head;  // vocab x hidden, read one row per token
  p.dense_gpu_bytes = wo + lm_head;
  p.kv_cache_bytes = m.kv_bytes_per_token() * static_cast<double>(w.batch * (w.input_len + w.output_len));
  const bytes gpu_free = h.gpu.memory_capacity - h.gpu_reserved;
  if (p.dense_gpu_bytes > gpu_free) {
    p.supported = false;
    p.reason = m.name + ": the dense output projections and LM head need " + gigabytes(p.dense_gpu_bytes) +
               " on the GPU, but " + h.gpu.name + " has " + gigabytes(gpu_free) + " free after " +
               gigabytes(h.gpu_reserved) + " reserved";
    return p;
  }
  p.gpu_for_neurons = gpu_free - p.dense_gpu_bytes;
  // Wo is also stored in cold memory: the GPU copy is a cache, like the hot neurons' copies.
  const bytes cold_fixed = wo + lm_head + embedding + p.kv_cache_bytes;
  p.cold_total_needed = p.sparse_bytes_per_layer * static_cast<double>(m.layers) + cold_fixed;
  const bytes cold_total = cold_capacity * static_cast<double>(cold_count);
  if (p.cold_total_needed > cold_total) {
    p.supported = false;
    p.reason = m.name + " needs " + gigabytes(p.cold_total_needed) + " (weights + KV cache of batch " +
               std::to_string(w.batch) + ") in cold memory, but " + std::to_string(cold_count) +
               " x " + gigabytes(cold_capacity) + " hold " + gigabytes(cold_total);
    return p;
  }
  p.cold_for_neurons_each = cold_capacity - cold_fixed / static_cast<double>(cold_count);
  return p;
}

}  // namespace hermes
