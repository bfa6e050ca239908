#pragma once
// FlexGen (Sheng et al., ICML 2023), the throughput-oriented offloading baseline of the Hermes
// evaluation (Sec V-A).
//
// FlexGen runs a model as a list of layers (flex_opt.py: per transformer layer a SelfAttention
// and an MLP layer, sep_layer = True) and places every layer's weights by the same percentages:
// a fraction wg on the GPU, the rest in pinned host memory. Its block schedule overlaps I/O with
// compute: iteration j loads the weights of layer j+1 (and stores/loads cache and activations)
// while layer j computes, then synchronises. So per layer the time is
//     max(transfer of layer j+1's offloaded weights, compute of layer j)
// and the loop runs on across tokens (the last layer of a step prefetches the first of the next).
// When the KV cache is in host memory FlexGen computes decode attention on the CPU
// (--cpu-cache-compute): the GPU sends the new q, k, v down, the CPU reads the cache at host
// memory bandwidth, and the attention output comes back before the output projection.
//
// Policy. FlexGen chooses (wg, where the KV cache lives) with a cost model and an LP. With a
// batch of 1..16 on one GPU and host memory that holds the model, the choices that matter are:
//   - the KV cache on the GPU (attention on the GPU) or in host memory (attention on the CPU);
//   - wg as large as the GPU allows: every weight byte kept on the GPU is a byte not moved per
//     token, and at these batches the GPU's compute is idle while weights stream.
// wg follows from the GPU memory: wg W + 2 (1 - wg) W_layer + KV_gpu <= free, where
// 2 (1 - wg) W_layer are the two buffers (layer j computing, layer j+1 loading). run_flexgen
// searches the KV placement as FlexGen's policy search would: both feasible placements are
// simulated and the faster one is reported (flexgen_options::kv_home fixes it instead). The
// evaluation's batch is FlexGen's block (gpu_batch_size = batch, num_gpu_batches = 1); there is
// no disk tier (the model must fit host memory) and activations stay on the GPU.
//
// Like the split engine, every step ends with the final norm and LM head GEMV on the GPU
// (sim/lm_head.hpp); the embedding and LM head are kept on the GPU (under 1% of every evaluated
// model) and the embedding lookup is not charged.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/device_set.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/host_cpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/lm_head.hpp"
#include "hermes/sim/memory_plan.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/detail/baseline_report.hpp"
#include "hermes/system/decoder_slice.hpp"

namespace hermes {

enum class kv_cache_home { gpu, host };

[[nodiscard]] inline std::string_view to_string(kv_cache_home k) {
  return k == kv_cache_home::gpu ? "gpu" : "host";
}

struct flexgen_options {
  std::string name = "FlexGen";
  // Where the KV cache lives. Empty: FlexGen's policy search picks the faster feasible one.
  std::optional<kv_cache_home> kv_home;
  // The host memory weights (and a host KV cache) live in: pinned. FlexGen allocates its CPU
  // tensors page-locked (flexllmgen/pytorch_backend.py, TorchDevice.allocate: pin_memory True
  // on the CPU unless told otherwise; flex_opt.py --pin-weight defaults to true) and overlaps
  // the copies with compute (overlap=True). The link gives the rate (pinned_fraction).
  host_memory_kind host_memory = host_memory_kind::pinned;
};

// One FlexGen policy and whether it fits.
struct flexgen_policy {
  bool feasible = true;
  std::string reason;
  kv_cache_home kv_home = kv_cache_home::gpu;
  double weights_on_gpu = 0.0;  // wg: fraction of every layer's weights resident on the GPU
  bytes kv_cache{};
  bytes host_bytes{};           // offloaded weights (+ the KV cache when it lives in host memory)
};

[[nodiscard]] inline flexgen_policy plan_flexgen(const workload_config& w, const hardware_config& h,
                                                 kv_cache_home kv_home) {
  const model_shape& m = w.model;
  const decoder_slice slice = decoder_slice::whole(m);
  flexgen_policy p;
  p.kv_home = kv_home;
  p.kv_cache = detail::full_kv_cache(w);
  const bytes weights = slice.weight_bytes() * static_cast<double>(m.layers);
  // The largest FlexGen layer (the MLP of every evaluated model) sizes the two load buffers.
  const bytes largest = max(slice.attention_bytes(), slice.ffn_bytes());
  const bytes kv_gpu = kv_home == kv_cache_home::gpu ? p.kv_cache : bytes{};
  const bytes budget = h.gpu.memory_capacity - h.gpu_reserved - detail::embedding_bytes(m) - kv_gpu;
  if (budget >= weights) {
    p.weights_on_gpu = 1.0;
  } else if (budget < largest * 2.0) {
    p.feasible = false;
    p.reason = m.name + " on FlexGen (KV cache on the " + std::string(to_string(kv_home)) +
               "): the two layer buffers (" + gigabytes(largest * 2.0) + ")" +
               (kv_home == kv_cache_home::gpu ? " and the KV cache (" + gigabytes(p.kv_cache) + ")" : "") +
               " do not fit the " + gigabytes(h.gpu.memory_capacity - h.gpu_reserved) + " free on " + h.gpu.name;
    return p;
  } else {
    p.weights_on_gpu = (budget - largest * 2.0) / (weights - largest * 2.0);
  }
  p.host_bytes = weights * (1.0 - p.weights_on_gpu) + (kv_home == kv_cache_home::host ? p.kv_cache : bytes{});
  if (p.host_bytes > h.host.memory_capacity) {
    p.feasible = false;
    p.reason = m.name + " on FlexGen (KV cache on the " + std::string(to_string(kv_home)) + "): needs " +
               gigabytes(p.host_bytes) + " of host memory, but " + h.host.name + " has " +
               gigabytes(h.host.memory_capacity);
  }
  return p;
}

// Runs FlexGen with a given (feasible) policy.
[[nodiscard]] inline sim_result run_flexgen_policy(const workload_config& w, const hardware_config& h,
                                                   const flexgen_policy& p, const std::string& name = "FlexGen",
                                                   host_memory_kind mem = host_memory_kind::pinned) {
  w.validate();
  h.validate();
  sim_result r = detail::baseline_result(w, name, h.gpu.name);
  if (!p.feasible) return detail::not_supported(r, p.reason);
  const model_shape& m = w.model;
  const decoder_slice slice = decoder_slice::whole(m);
  const gpu g(h.gpu);
  const host_cpu cpu(h.host);
  const link pcie(h.pcie);
  const bool cpu_attention = p.kv_home == kv_cache_home::host;
  const double streamed = 1.0 - p.weights_on_gpu;
  const device_cost load_attention = pcie.transfer(slice.attention_bytes() * streamed, mem);
  const device_cost load_mlp = pcie.transfer(slice.ffn_bytes() * streamed, mem);
  const double bpe = slice.bytes_per_element;
  const device_cost lm_head = lm_head_cost(g, m, w.batch, bpe);

  ledger L;
  device_set devices(group<gpu>("gpu", 1, g), group<host_cpu>("host", 1, cpu));
  devices.attach(L);
  const auto gpu_id = devices.resource(0);
  const auto host_id = devices.resource(1);  // the second group: the host
  // PCIe is full duplex: weight loads (host->device, FlexGen's load stream) and the attention
  // output of CPU attention share the to-GPU direction; the prompt's KV store and the decoded
  // token's QKV go the other way and overlap with the loads.
  const link_resources pcie_ids = add_link_resources(L, "pcie", h.pcie);
  const auto weights_id = pcie_ids.to_gpu;

  // The iterations: step 0 is the prefill, steps 1..output_len the decoded tokens; layer j of
  // a step is the attention (j even) or MLP (j odd) of transformer layer j / 2.
  const std::size_t per_step = 2 * m.layers;
  const std::size_t iterations = per_step * (1 + w.output_len);
  auto load_of = [&](std::size_t j) { return (j % 2 == 0) ? load_attention : load_mlp; };
  seconds barrier = streamed > 0.0 ? L.charge(weights_id, seconds{}, load_of(0), "pcie_weights") : seconds{};
  seconds prefill{}, attention_time{}, mlp_time{};
  for (std::size_t it = 0; it < iterations; ++it) {
    const std::size_t step = it / per_step;
    const std::size_t j = it % per_step;
    const bool prefill_step = step == 0;
    const seconds start = barrier;
    seconds end = start;
    if (streamed > 0.0 && it + 1 < iterations)
      end = max(end, L.charge(weights_id, start, load_of((it + 1) % per_step), "pcie_weights"));
    seconds done = start;
    if (j % 2 == 0) {
      if (prefill_step) {
        done = L.charge(gpu_id, start, prefill_attention_cost(g, slice, w.batch, w.input_len), "attention");
        if (cpu_attention) {  // store the prompt's keys and values in host memory
          const bytes kv(static_cast<double>(w.batch * w.input_len) * 2.0 * static_cast<double>(slice.kv_dim()) * bpe);
          done = L.charge(pcie_ids.from_gpu, done, pcie.transfer(kv, mem), "pcie");
        }
      } else {
        const std::size_t context = w.input_len + step;  // position input_len + step - 1, plus one
        if (cpu_attention) {
          done = L.charge(gpu_id, start, g.gemv(qkv_work(slice, w.batch, slice.hidden), row_access::contiguous), "attention");
          const bytes qkv(static_cast<double>(w.batch * slice.qkv_chunk_elements()) * bpe);
          done = L.charge(pcie_ids.from_gpu, done, pcie.transfer(qkv, mem), "pcie");
          done = L.charge(host_id, done, attention_core_cost(cpu, slice, w.batch, context), "cpu_attention");
          const bytes out(static_cast<double>(w.batch * slice.q_dim()) * bpe);
          done = L.charge(pcie_ids.to_gpu, done, pcie.transfer(out, mem), "pcie");
          done = L.charge(gpu_id, done, g.gemv(projection_work(slice, w.batch), row_access::contiguous), "attention");
        } else {
          done = L.charge(gpu_id, start, dense_attention_cost(g, slice, w.batch, context), "attention");
        }
      }
    } else {
      done = L.charge(gpu_id, start,
                      prefill_step ? prefill_mlp_cost(g, slice, w.batch, w.input_len) : dense_mlp_cost(g, slice, w.batch),
                      "mlp");
      if (j + 1 == per_step) done = L.charge(gpu_id, done, lm_head, "lm_head");  // the step's last layer
    }
    end = max(end, done);
    // The wall time of an iteration (load and compute overlapped) counts to its layer's stage.
    if (!prefill_step) (j % 2 == 0 ? attention_time : mlp_time) += end - start;
    barrier = end;
    if (prefill_step && j + 1 == per_step) prefill = barrier;
  }
  detail::report_throughput(r, w, prefill, barrier - prefill, attention_time, mlp_time);
  read_breakdown(L, r.breakdown);  // the CPU attention is host compute
  record_energy(r, L);
  return r;
}

// FlexGen with its policy search over the KV placement (or the placement fixed in `o`).
[[nodiscard]] inline sim_result run_flexgen(const workload_config& w, const hardware_config& h,
                                            const flexgen_options& o = {}) {
  w.validate();
  h.validate();
  if (o.name.empty()) throw invalid_parameter("flexgen_options.name", "\"\"", "a non-empty name");
  if (o.kv_home) return run_flexgen_policy(w, h, plan_flexgen(w, h, *o.kv_home), o.name, o.host_memory);
  std::optional<sim_result> best;
  std::string reasons;
  for (kv_cache_home home : {kv_cache_home::gpu, kv_cache_home::host}) {
    const flexgen_policy p = plan_flexgen(w, h, home);
    if (!p.feasible) {
      reasons += (reasons.empty() ? "" : "; ") + p.reason;
      continue;
    }
    sim_result r = run_flexgen_policy(w, h, p, o.name, o.host_memory);
    if (!best || r.end_to_end_tokens_per_second > best->end_to_end_tokens_per_second) best = std::move(r);
  }
  if (best) return *best;
  return detail::not_supported(detail::baseline_result(w, o.name, h.gpu.name), reasons);
}

}  // namespace hermes
