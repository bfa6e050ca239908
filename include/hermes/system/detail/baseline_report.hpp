#pragma once
// Filling a sim_result for a baseline system the way the split engine fills it: the run's
// identity, the capacity verdict, and throughput over the decode phase.
// Internal to the baselines (accelerate, flexgen, dejavu, tensorrt_llm): include their headers.
#include <cstddef>
#include <string>
#include <utility>

#include "hermes/core/units.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/memory_plan.hpp"
#include "hermes/sim/result.hpp"

namespace hermes::detail {

// A result with the run's identity filled in and nothing measured yet.
[[nodiscard]] inline sim_result baseline_result(const workload_config& w, std::string system,
                                                std::string gpu_name) {
  sim_result r;
  r.model = w.model.name;
  r.system = std::move(system);
  r.gpu = std::move(gpu_name);
  r.dimms = 0;  // no NDP-DIMMs in any baseline
  r.hardware = hardware_inventory{r.gpu, 1, 0, 1, {}};  // one GPU and its host (TensorRT-LLM sets its GPUs)
  r.batch = w.batch;
  r.input_len = w.input_len;
  r.output_len = w.output_len;
  return r;
}

// The same identity, reported as not supported (nothing simulated), with the reason.
[[nodiscard]] inline sim_result not_supported(sim_result identity, std::string why) {
  identity.supported = false;
  identity.reason = std::move(why);
  return identity;
}

// Throughput from the phase times, as the split engine reports it: generated tokens of all
// sequences over the decode time, and over prefill + decode.
inline void report_throughput(sim_result& r, const workload_config& w, seconds prefill, seconds decode,
                              seconds attention_time, seconds mlp_time) {
  r.seconds_prefill = prefill;
  r.seconds_decode = decode;
  r.breakdown.prefill = prefill;
  const double generated = static_cast<double>(w.batch * w.output_len);
  r.decode_tokens_per_second = generated / decode.value();
  r.end_to_end_tokens_per_second = generated / (prefill + decode).value();
  r.attention_latency_per_token = attention_time / static_cast<double>(w.output_len);
  r.mlp_latency_per_token = mlp_time / static_cast<double>(w.output_len);
}

// KV cache of the whole batch at full length (prompt + generated tokens), all layers.
[[nodiscard]] inline bytes full_kv_cache(const workload_config& w) {
  return w.model.kv_bytes_per_token() * static_cast<double>(w.batch * (w.input_len + w.output_len));
}

// Token embedding table and LM head: one vocab x hidden matrix, two when the LM head is untied.
[[nodiscard]] inline bytes embedding_bytes(const model_shape& m) {
  const bytes table(static_cast<double>(m.vocab * m.hidden) * m.bytes_per_param);
  return m.tied_embeddings ? table : table * 2.0;
}

}  // namespace hermes::detail
