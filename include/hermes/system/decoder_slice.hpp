#pragma once
// The work of one transformer decoder layer on one device, for the baseline systems that run
// layers densely (or over predicted neurons) on a GPU: HuggingFace Accelerate, FlexGen, Deja Vu
// and TensorRT-LLM (system/baselines.hpp).
//
// A decoder_slice is what one device computes of a layer: the whole layer on a single-GPU system,
// or one rank's share under tensor parallelism (Megatron-LM split: query/KV heads and FFN neurons
// divided over the ranks; Wq/Wk/Wv and FC1 split by output, Wo and FC2 by input). The weights use
// the same neuron view as the Hermes layers (layer/attention_shape.hpp, layer/ffn_shape.hpp): an
// attention neuron is QKV input channel i (a chunk of q_dim + 2 kv_dim elements), an FFN neuron
// is fc1 row i (+ gate row i) + fc2 column i. So a dense baseline reads exactly the bytes the
// Hermes layers read when every neuron is active, and the two kinds of system differ only in
// where the weights live and how they move.
//
// Decode costs go through the device policy's gemv / vector_op (core/concepts.hpp), so they are
// the same roofline the split engine charges; prefill costs use gpu::matmul and the causal
// attention FLOPs the split engine uses.
#include <cstddef>
#include <string>

#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/roofline.hpp"
#include "hermes/core/model_shape.hpp"

namespace hermes {

struct decoder_slice {
  std::size_t hidden = 0;       // d_model: input and output width of the layer
  std::size_t heads = 0;        // query heads computed here
  std::size_t kv_heads = 0;     // KV heads whose cache lives here
  std::size_t head_dim = 0;
  std::size_t ffn_neurons = 0;  // FFN neurons computed here
  std::size_t ffn_rows = 2;     // weight rows per FFN neuron: fc1 + fc2 (+ gate when gated)
  double bytes_per_element = 2.0;

  // The whole layer (single-GPU systems).
  [[nodiscard]] static decoder_slice whole(const model_shape& m) {
    decoder_slice s;
    s.hidden = m.hidden;
    s.heads = m.heads;
    s.kv_heads = m.kv_heads;
    s.head_dim = m.head_dim();
    s.ffn_neurons = m.ffn_neurons();
    s.ffn_rows = m.gated() ? 3 : 2;
    s.bytes_per_element = m.bytes_per_param;
    s.validate();
    return s;
  }

  // The busiest rank's share under tensor parallelism over `ranks` devices. Heads, KV heads and
  // FFN neurons are dealt out as evenly as they divide: the busiest rank gets the ceiling, and
  // because every layer ends in an all-reduce, the busiest rank sets the pace of all of them.
  // With fewer KV heads than ranks each rank keeps a copy of one KV head (the replication
  // TensorRT-LLM and vLLM use for grouped-query attention).
  [[nodiscard]] static decoder_slice rank_share(const model_shape& m, std::size_t ranks) {
    require_positive("tensor parallel ranks", ranks);
    decoder_slice s = whole(m);
    s.heads = ceil_div(m.heads, ranks);
    s.kv_heads = ceil_div(m.kv_heads, ranks);
    s.ffn_neurons = ceil_div(m.ffn_neurons(), ranks);
    return s;
  }

  [[nodiscard]] std::size_t q_dim() const { return heads * head_dim; }
  [[nodiscard]] std::size_t kv_dim() const { return kv_heads * head_dim; }
  // Query heads sharing one KV head (grouped-query attention); rounded up for uneven shares.
  [[nodiscard]] std::size_t queries_per_kv() const { return ceil_div(heads, kv_heads); }
  // One attention neuron (QKV input channel): its column of Wq, Wk and Wv.
  [[nodiscard]] std::size_t qkv_chunk_elements() const { return q_dim() + 2 * kv_dim(); }

  [[nodiscard]] bytes qkv_bytes() const { return elements(hidden * qkv_chunk_elements()); }
  [[nodiscard]] bytes projection_bytes() const { return elements(hidden * q_dim()); }
  [[nodiscard]] bytes attention_bytes() const { return qkv_bytes() + projection_bytes(); }
  [[nodiscard]] bytes ffn_bytes() const { return elements(ffn_neurons * ffn_rows * hidden); }
  [[nodiscard]] bytes weight_bytes() const { return attention_bytes() + ffn_bytes(); }
  // KV cache of one layer for one token of one sequence (a key and a value per KV head).
  [[nodiscard]] bytes kv_bytes_per_token() const { return elements(2 * kv_dim()); }

  void validate() const {
    require_positive("decoder_slice.hidden", hidden);
    require_positive("decoder_slice.heads", heads);
    require_positive("decoder_slice.kv_heads", kv_heads);
    require_positive("decoder_slice.head_dim", head_dim);
    require_positive("decoder_slice.ffn_neurons", ffn_neurons);
    require_positive("decoder_slice.bytes_per_element", bytes_per_element);
    if (ffn_rows != 2 && ffn_rows != 3)
      throw invalid_parameter("decoder_slice.ffn_rows", std::to_string(ffn_rows),
                              "2 (fc1 + fc2) or 3 (gated: fc1 + gate + fc2)");
  }

 private:
  [[nodiscard]] static std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }
  [[nodiscard]] bytes elements(std::size_t n) const {
    return bytes(static_cast<double>(n) * bytes_per_element);
  }
};

// ---- decode: one token for `batch` sequences -------------------------------------------------

// QKV generation over `inputs` of the hidden input channels (all of them for a dense system, the
// predicted ones for Deja Vu): one GEMV, chunk = the channel's column of Wq | Wk | Wv.
[[nodiscard]] inline gemv_work qkv_work(const decoder_slice& s, std::size_t batch, std::size_t inputs) {
  gemv_work g;
  g.chunks = inputs;
  g.rows_per_chunk = 1;
  g.cols = s.qkv_chunk_elements();
  g.batch = batch;
  g.bytes_per_element = s.bytes_per_element;
  return g;
}

// Attention over the KV cache of `context` positions, every head of the slice in one fused
// kernel per step (FasterTransformer / TensorRT-LLM masked multi-head attention, PyTorch's batched
// matmul in HF and FlexGen): the scores read the K cache once for the queries sharing each KV
// head (a GEMV of batch x context x kv_heads rows of head_dim, times queries_per_kv vectors), the
// softmax touches every score (5 operations each, as layer/attention_shape.hpp counts), the
// weighted sum reads the V cache the same way. The cache is as wide as the weights (FP16).
template <compute_device Device>
[[nodiscard]] device_cost attention_core_cost(const Device& device, const decoder_slice& s,
                                              std::size_t batch, std::size_t context) {
  require_positive("attention context", context);
  gemv_work over_cache;
  over_cache.chunks = batch * context * s.kv_heads;
  over_cache.rows_per_chunk = 1;
  over_cache.cols = s.head_dim;
  over_cache.batch = s.queries_per_kv();
  over_cache.bytes_per_element = s.bytes_per_element;
  vector_work softmax;
  softmax.elements = batch * s.heads * context;
  softmax.flops_per_element = 5.0;
  softmax.bytes_per_element = s.bytes_per_element;
  device_cost c = device.gemv(over_cache);
  c += device.vector_op(softmax);
  c += device.gemv(over_cache);
  return c;
}

// The dense output projection Wo: hidden output rows of the slice's q_dim inputs.
[[nodiscard]] inline gemv_work projection_work(const decoder_slice& s, std::size_t batch) {
  gemv_work g;
  g.chunks = s.hidden;
  g.rows_per_chunk = 1;
  g.cols = s.q_dim();
  g.batch = batch;
  g.bytes_per_element = s.bytes_per_element;
  return g;
}

// The FFN over `neurons` of the slice's neurons (all of them for a dense system): one GEMV over
// the neurons' chunks, as the split engine charges it (layer/ffn_shape.hpp).
[[nodiscard]] inline gemv_work ffn_work(const decoder_slice& s, std::size_t batch, std::size_t neurons) {
  gemv_work g;
  g.chunks = neurons;
  g.rows_per_chunk = s.ffn_rows;
  g.cols = s.hidden;
  g.batch = batch;
  g.bytes_per_element = s.bytes_per_element;
  return g;
}

// The attention stage of a dense decode step on one GPU: QKV, attention, Wo.
[[nodiscard]] inline device_cost dense_attention_cost(const gpu& g, const decoder_slice& s,
                                                      std::size_t batch, std::size_t context) {
  device_cost c = g.gemv(qkv_work(s, batch, s.hidden), row_access::contiguous);
  c += attention_core_cost(g, s, batch, context);
  c += g.gemv(projection_work(s, batch), row_access::contiguous);
  return c;
}

// The MLP stage of a dense decode step on one GPU.
[[nodiscard]] inline device_cost dense_mlp_cost(const gpu& g, const decoder_slice& s, std::size_t batch) {
  return g.gemv(ffn_work(s, batch, s.ffn_neurons), row_access::contiguous);
}

// ---- prefill: the whole prompt of `batch` sequences, input_len tokens each ---------------------

// Attention stage of the prefill: every weight multiplies every prompt token (one GEMM per
// matrix), plus the causal QK^T and SV products, 2 x 2 x batch x L^2 / 2 x q_dim FLOPs at the
// tensor-core rate (the split engine's prefill formula).
[[nodiscard]] inline device_cost prefill_attention_cost(const gpu& g, const decoder_slice& s,
                                                        std::size_t batch, std::size_t input_len) {
  const std::size_t tokens = batch * input_len;
  const double bpe = s.bytes_per_element;
  device_cost c = g.matmul(tokens, s.qkv_chunk_elements(), s.hidden, bpe);
  c += g.matmul(tokens, s.hidden, s.q_dim(), bpe);
  const double len = static_cast<double>(input_len);
  const flops causal(2.0 * 2.0 * static_cast<double>(batch) * len * len / 2.0 * static_cast<double>(s.q_dim()));
  c.flops_done += causal;
  c.time += causal / g.effective_peak(bpe);
  return c;
}

[[nodiscard]] inline device_cost prefill_mlp_cost(const gpu& g, const decoder_slice& s,
                                                  std::size_t batch, std::size_t input_len) {
  return g.matmul(batch * input_len, s.ffn_neurons, s.ffn_rows * s.hidden, s.bytes_per_element);
}

}  // namespace hermes
