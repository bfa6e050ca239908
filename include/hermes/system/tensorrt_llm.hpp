#pragma once
// TensorRT-LLM on several data-centre GPUs with tensor parallelism, the high-end comparison of
// the Hermes evaluation (Sec V-A: 5 x A100-40GB).
//
// Dense Megatron-style tensor parallelism: every GPU holds 1/n of every layer (its share of the
// query/KV heads and of the FFN neurons, decoder_slice::rank_share) and reads it once per decode
// step; the KV cache is split by KV head. Each layer ends its attention block (after Wo) and its
// MLP (after FC2) with an all-reduce of the batch's hidden vectors over NVLink. A ring
// all-reduce of P bytes over n GPUs is 2 (n - 1) steps of P / n bytes each:
//     2 (n - 1) x latency + 2 (n - 1) / n x P / link bandwidth.
// The ranks work in lock step (every all-reduce is a barrier), so one representative rank (the
// busiest, when heads do not divide evenly) and one NVLink resource model the machine.
//
// Machine: hardware.gpus > 1 describes the tensor-parallel machine (hardware.gpus x hardware.gpu);
// with hardware.gpus == 1 (the single-GPU Hermes machine, the default) the system uses the
// paper's own 5 x A100-40GB (tensorrt_llm_options). The GPU link is hardware.gpu_link (NVLink 3).
//
// Like the split engine, every pass ends with the final norm and LM head on the GPU (its rows
// split over the ranks, sim/lm_head.hpp); the embedding (replicated) is counted in memory.
#include <cstddef>
#include <string>

#include "hermes/core/error.hpp"
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

struct tensorrt_llm_options {
  std::string name = "TensorRT-LLM";
  // The machine used when hardware.gpus == 1: Hermes Sec V-A, 5 x A100-40GB-SXM4.
  std::size_t default_gpus = 5;
  gpu_config default_gpu = gpu_presets::a100_40gb();

  void validate() const {
    if (name.empty()) throw invalid_parameter("tensorrt_llm_options.name", "\"\"", "a non-empty name");
    if (default_gpus < 2)
      throw invalid_parameter("tensorrt_llm_options.default_gpus", std::to_string(default_gpus),
                              "at least 2 GPUs (tensor parallelism)");
    default_gpu.validate();
  }
};

// A ring all-reduce of `payload` bytes over `ranks` GPUs on `l` (zero for a single rank).
[[nodiscard]] inline device_cost ring_all_reduce(const link& l, std::size_t ranks, bytes payload) {
  device_cost c;
  if (ranks < 2) return c;
  const double steps = 2.0 * static_cast<double>(ranks - 1);
  const device_cost step = l.transfer(payload / static_cast<double>(ranks));
  c.time = step.time * steps;
  c.bytes_moved = step.bytes_moved * steps;
  c.energy = step.energy * steps;
  return c;
}

// The GPUs TensorRT-LLM runs on for this hardware (see the header comment).
struct tensorrt_llm_machine {
  std::size_t gpus = 0;
  gpu_config gpu;
};
[[nodiscard]] inline tensorrt_llm_machine tensorrt_llm_machine_for(const hardware_config& h,
                                                                   const tensorrt_llm_options& o = {}) {
  if (h.gpus > 1) return {h.gpus, h.gpu};
  return {o.default_gpus, o.default_gpu};
}

[[nodiscard]] inline sim_result run_tensorrt_llm(const workload_config& w, const hardware_config& h,
                                                 const tensorrt_llm_options& o = {}) {
  w.validate();
  h.validate();
  o.validate();
  const tensorrt_llm_machine machine = tensorrt_llm_machine_for(h, o);
  const std::size_t n = machine.gpus;
  const model_shape& m = w.model;
  sim_result r = detail::baseline_result(w, o.name, std::to_string(n) + " x " + machine.gpu.name);
  r.hardware.gpu_model = machine.gpu.name;
  r.hardware.gpus = n;

  // ---- memory of the busiest rank ----
  const decoder_slice slice = decoder_slice::rank_share(m, n);
  const bytes table(static_cast<double>(m.vocab * m.hidden) * m.bytes_per_param);
  const bytes weights = slice.weight_bytes() * static_cast<double>(m.layers) + table +
                        table / static_cast<double>(n);  // embedding replicated, LM head split
  const bytes kv = slice.kv_bytes_per_token() *
                   static_cast<double>(m.layers * w.batch * (w.input_len + w.output_len));
  const bytes gpu_free = machine.gpu.memory_capacity - h.gpu_reserved;
  if (!(h.gpu_reserved < machine.gpu.memory_capacity) || weights + kv > gpu_free)
    return detail::not_supported(
        r, m.name + " on TensorRT-LLM: each of the " + std::to_string(n) + " GPUs needs " + gigabytes(weights) +
               " of weights and " + gigabytes(kv) + " of KV cache (batch " + std::to_string(w.batch) +
               "), but a " + machine.gpu.name + " has " + gigabytes(gpu_free) + " free");

  const gpu g(machine.gpu);
  const link nvlink(h.gpu_link);
  ledger L;
  device_set devices(group<gpu>("gpu", 1, g));  // the busiest rank: every rank waits for it
  devices.attach(L);
  const auto gpu_id = devices.resource(0);
  const auto link_id = L.add_resource("gpu_link", resource_kind::link);
  const double bpe = slice.bytes_per_element;

  seconds t{}, attention_time{}, mlp_time{};
  auto layer = [&](const device_cost& attention, const device_cost& mlp, std::size_t tokens, bool measure) {
    const device_cost reduce = ring_all_reduce(nvlink, n, bytes(static_cast<double>(tokens * m.hidden) * bpe));
    const seconds start = t;
    t = L.charge(gpu_id, t, attention, "attention");
    t = L.charge(link_id, t, reduce, "all_reduce");
    const seconds mid = t;
    t = L.charge(gpu_id, t, mlp, "mlp");
    t = L.charge(link_id, t, reduce, "all_reduce");
    if (measure) {
      attention_time += mid - start;
      mlp_time += t - mid;
    }
  };
  const device_cost prefill_attention = prefill_attention_cost(g, slice, w.batch, w.input_len);
  const device_cost prefill_mlp = prefill_mlp_cost(g, slice, w.batch, w.input_len);
  // The LM head's vocabulary rows split over the ranks (logits gathered on rank 0: batch x vocab
  // x 2 B, microseconds on NVLink, not charged).
  const device_cost lm_head = lm_head_cost(g, m, w.batch, bpe, n);
  for (std::size_t l = 0; l < m.layers; ++l) layer(prefill_attention, prefill_mlp, w.batch * w.input_len, false);
  t = L.charge(gpu_id, t, lm_head, "lm_head");
  const seconds prefill = t;
  const device_cost mlp = dense_mlp_cost(g, slice, w.batch);
  for (std::size_t tok = 0; tok < w.output_len; ++tok) {
    const device_cost attention = dense_attention_cost(g, slice, w.batch, w.input_len + tok + 1);
    for (std::size_t l = 0; l < m.layers; ++l) layer(attention, mlp, w.batch, true);
    t = L.charge(gpu_id, t, lm_head, "lm_head");
  }
  detail::report_throughput(r, w, prefill, t - prefill, attention_time, mlp_time);
  read_breakdown(L, r.breakdown);
  r.breakdown.sync = L.resource(link_id).busy;  // the all-reduces: the only inter-device traffic
  record_energy(r, L, static_cast<double>(n));  // n ranks in lock step, each with its NVLink share
  return r;
}

}  // namespace hermes
