#pragma once
// HuggingFace Accelerate with CPU offload (`from_pretrained(..., device_map="auto")`), the
// simplest offloading baseline of the Hermes evaluation (Sec V-A).
//
// Placement (accelerate.utils.infer_auto_device_map): modules are assigned in model order to the
// GPU until it is full, the rest to host memory. The embedding (and the tied LM head) come first;
// when anything must be offloaded, the GPU keeps room for the largest offloaded layer, which is
// where an offloaded layer's weights land while it runs. generate() keeps the KV cache on the
// GPU next to the attention, so it is reserved too.
//
// Execution (accelerate.hooks.AlignDevicesHook with offload): before an offloaded decoder layer
// runs, its hook copies every weight tensor of the layer to the GPU, one synchronous copy per
// tensor from ordinary (pageable) host memory, and the layer computes only when the copies are
// done; afterwards the GPU copies are dropped. Nothing overlaps: per offloaded layer the time is
// copy + compute, and a batch shares each copy. Pageable host->device copies are staged by the
// CUDA driver through a pinned bounce buffer and reach well below the pinned rate: the link's
// pageable_fraction (accelerate_options::weights_memory, docs/systems.md).
//
// Like the split engine, every forward pass ends with the final norm and LM head GEMV on the GPU
// (sim/lm_head.hpp); the embedding lookup (one row per token) is not charged.
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/device_set.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/lm_head.hpp"
#include "hermes/sim/memory_plan.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/detail/baseline_report.hpp"
#include "hermes/system/decoder_slice.hpp"

namespace hermes {

struct accelerate_options {
  std::string name = "Accelerate";
  // The host memory the offloaded weights are copied from: pageable. Accelerate's offload hook
  // (accelerate/hooks.py, AlignDevicesHook.pre_forward) calls set_module_tensor_to_device for
  // every tensor of the module, whose copy is synchronous (non_blocking=False by default,
  // accelerate/utils/modeling.py) from the ordinary CPU state dict (not page-locked). The link
  // gives the rate (link_config::pageable_fraction).
  host_memory_kind weights_memory = host_memory_kind::pageable;

  void validate() const {
    if (name.empty()) throw invalid_parameter("accelerate_options.name", "\"\"", "a non-empty name");
  }
};

// Where Accelerate's device_map puts the model, and whether it fits.
struct accelerate_plan {
  bool supported = true;
  std::string reason;
  std::size_t resident_layers = 0;  // decoder layers 0..resident_layers-1 stay on the GPU
  bytes layer_bytes{};              // one decoder layer's weights
  bytes kv_cache{};                 // on the GPU
  bytes offloaded{};                // weights in host memory
};

[[nodiscard]] inline accelerate_plan plan_accelerate(const workload_config& w, const hardware_config& h) {
  const model_shape& m = w.model;
  accelerate_plan p;
  p.layer_bytes = decoder_slice::whole(m).weight_bytes();
  p.kv_cache = detail::full_kv_cache(w);
  const bytes embedding = detail::embedding_bytes(m);
  const bytes layers_total = p.layer_bytes * static_cast<double>(m.layers);
  const bytes gpu_free = h.gpu.memory_capacity - h.gpu_reserved;
  if (embedding + p.kv_cache + layers_total <= gpu_free) {
    p.resident_layers = m.layers;
    return p;
  }
  // Offloading: the GPU also holds the buffer an offloaded layer is copied into.
  const bytes fixed = embedding + p.kv_cache + p.layer_bytes;
  if (fixed > gpu_free) {
    p.supported = false;
    p.reason = m.name + " on Accelerate: the embedding (" + gigabytes(embedding) + "), the KV cache of batch " +
               std::to_string(w.batch) + " (" + gigabytes(p.kv_cache) + ") and one offloaded layer (" +
               gigabytes(p.layer_bytes) + ") must be on the GPU, but " + h.gpu.name + " has " +
               gigabytes(gpu_free) + " free";
    return p;
  }
  p.resident_layers = std::min<std::size_t>(
      m.layers, static_cast<std::size_t>((gpu_free - fixed).value() / p.layer_bytes.value()));
  p.offloaded = p.layer_bytes * static_cast<double>(m.layers - p.resident_layers);
  if (p.offloaded > h.host.memory_capacity) {
    p.supported = false;
    p.reason = m.name + " on Accelerate: " + std::to_string(m.layers - p.resident_layers) +
               " offloaded layers need " + gigabytes(p.offloaded) + " of host memory, but " + h.host.name +
               " has " + gigabytes(h.host.memory_capacity);
  }
  return p;
}

namespace detail {
// The weight tensors of one decoder layer as the checkpoint stores them (q, k, v, out
// projections; fc1, gate, fc2): Accelerate copies each one separately.
[[nodiscard]] inline std::vector<bytes> layer_tensors(const decoder_slice& s) {
  const double bpe = s.bytes_per_element, hidden = static_cast<double>(s.hidden);
  const double q = static_cast<double>(s.q_dim()), kv = static_cast<double>(s.kv_dim());
  const double ffn = static_cast<double>(s.ffn_neurons);
  std::vector<bytes> t{bytes(q * hidden * bpe), bytes(kv * hidden * bpe), bytes(kv * hidden * bpe),
                       bytes(hidden * q * bpe)};
  for (std::size_t r = 0; r < s.ffn_rows; ++r) t.push_back(bytes(ffn * hidden * bpe));
  return t;
}
}  // namespace detail

[[nodiscard]] inline sim_result run_accelerate(const workload_config& w, const hardware_config& h,
                                               const accelerate_options& o = {}) {
  w.validate();
  h.validate();
  o.validate();
  sim_result r = detail::baseline_result(w, o.name, h.gpu.name);
  const accelerate_plan plan = plan_accelerate(w, h);
  if (!plan.supported) return detail::not_supported(r, plan.reason);

  const model_shape& m = w.model;
  const decoder_slice slice = decoder_slice::whole(m);
  const gpu g(h.gpu);
  const link pcie(h.pcie);
  device_cost layer_copy;
  for (const bytes tensor : detail::layer_tensors(slice)) layer_copy += pcie.transfer(tensor, o.weights_memory);

  ledger L;
  device_set devices(group<gpu>("gpu", 1, g));
  devices.attach(L);
  const auto gpu_id = devices.resource(0);
  const auto pcie_id = add_link_resources(L, "pcie", h.pcie).to_gpu;  // weights only go to the GPU

  const device_cost lm_head = lm_head_cost(g, m, w.batch, slice.bytes_per_element);
  // One forward pass over the layers, then the LM head; `attention` / `mlp` cost the two stages of a layer.
  // The wall time of a stage runs from the end of the previous stage (an offloaded layer's
  // copy counts to its attention stage, which waits for it).
  seconds t{}, attention_time{}, mlp_time{};
  auto forward = [&](auto&& attention, auto&& mlp, bool measure) {
    for (std::size_t l = 0; l < m.layers; ++l) {
      const seconds layer_start = t;
      if (l >= plan.resident_layers) t = L.charge(pcie_id, t, layer_copy, "pcie_weights");
      t = L.charge(gpu_id, t, attention(), "attention");
      if (measure) attention_time += t - layer_start;
      const seconds mlp_start = t;
      t = L.charge(gpu_id, t, mlp(), "mlp");
      if (measure) mlp_time += t - mlp_start;
    }
    t = L.charge(gpu_id, t, lm_head, "lm_head");  // the embedding and LM head are placed on the GPU first
  };

  forward([&] { return prefill_attention_cost(g, slice, w.batch, w.input_len); },
          [&] { return prefill_mlp_cost(g, slice, w.batch, w.input_len); }, false);
  const seconds prefill = t;
  for (std::size_t tok = 0; tok < w.output_len; ++tok) {
    const std::size_t context = w.input_len + tok + 1;
    forward([&] { return dense_attention_cost(g, slice, w.batch, context); },
            [&] { return dense_mlp_cost(g, slice, w.batch); }, true);
  }
  detail::report_throughput(r, w, prefill, t - prefill, attention_time, mlp_time);
  read_breakdown(L, r.breakdown);
  record_energy(r, L);
  return r;
}

}  // namespace hermes
