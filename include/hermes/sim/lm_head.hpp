#pragma once
// The LM head of one forward pass, charged on the GPU by every system: the final normalisation
// of the batch's last hidden states, then the vocab x hidden GEMV that turns them into logits.
//
// One pass produces one logit vector per sequence: the prefill at the prompt's last position,
// each decode step at its token. The LM head is dense (every vocabulary row is read every pass)
// and its weights are resident on the GPU in every system's memory plan (the split engine's
// dense_gpu_bytes; the offloading baselines place the embedding and a tied or separate head on
// the GPU first; TensorRT-LLM splits it over its ranks), so it is one GPU GEMV at the GPU's
// streaming rate. The final norm is RMSNorm or LayerNorm over hidden elements per sequence,
// charged as vector work of lm_head_norm_flops per element. docs/parameters.md ("Layers").
#include <cstddef>

#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/model_shape.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/roofline.hpp"

namespace hermes {

// FLOPs per element of the final norm: square, accumulate, scale by the reciprocal RMS, multiply
// by the gain (RMSNorm; LayerNorm's mean subtraction adds about one more, within the rounding of a
// step that is memory- and launch-bound).
inline constexpr double lm_head_norm_flops = 4.0;

// The GPU cost of the final norm and LM head for `batch` sequences; `ranks` > 1 splits the
// vocabulary rows over tensor-parallel GPUs (the busiest rank's share, ceil(vocab / ranks)).
[[nodiscard]] inline device_cost lm_head_cost(const gpu& g, const model_shape& m, std::size_t batch,
                                              double bytes_per_element, std::size_t ranks = 1) {
  if (batch == 0) throw invalid_parameter("lm_head batch", "0", "at least 1 sequence");
  if (ranks == 0) throw invalid_parameter("lm_head ranks", "0", "at least 1 GPU");
  vector_work norm;
  norm.elements = batch * m.hidden;
  norm.flops_per_element = lm_head_norm_flops;
  norm.bytes_per_element = bytes_per_element;
  device_cost c = g.vector_op(norm);
  gemv_work head;
  head.chunks = (m.vocab + ranks - 1) / ranks;
  head.rows_per_chunk = 1;
  head.cols = m.hidden;
  head.batch = batch;
  head.bytes_per_element = bytes_per_element;
  c += g.gemv(head, row_access::contiguous);
  return c;
}

}  // namespace hermes
