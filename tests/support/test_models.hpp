#pragma once
// Small models shared by the tests, so that a run takes milliseconds and its numbers can be
// checked by hand.
#include <string>
#include <utility>

#include "hermes/core/model_shape.hpp"
#include "hermes/sim/config.hpp"

namespace hermes::test {

// The toy model of the baseline tests, whose every byte is countable by hand:
// 3 layers, hidden 64 (4 heads of 16, no GQA), 256 ReLU FFN neurons, FP16.
// Per layer: QKV 64 x 192 x 2 B = 24576 B, Wo 64 x 64 x 2 B = 8192 B, FFN 256 x 2 x 64 x 2 B =
// 65536 B; layer = 98304 B. Tied embedding 128 x 64 x 2 B = 16384 B. KV: 2 x 3 x 64 x 2 B =
// 768 B per token and sequence.
// `name` matters to systems that accept model families by name (Deja Vu: OPT only).
inline model_shape toy_model(std::string name = "toy") {
  model_shape m;
  m.name = std::move(name);
  m.layers = 3;
  m.hidden = 64;
  m.ffn = 256;
  m.heads = 4;
  m.kv_heads = 4;
  m.vocab = 128;
  m.max_context = 64;
  m.ffn_type = ffn_kind::relu;
  m.tied_embeddings = true;
  return m;
}

// The engine tests' model: a small ReLU model with enough neurons for the split, the DIMM spread
// and the window remapping to matter: 4 layers, 512 wide, 2048 FFN neurons.
inline model_shape tiny_model() {
  model_shape m;
  m.name = "tiny";
  m.layers = 4;
  m.hidden = 512;
  m.ffn = 2048;
  m.heads = 8;
  m.kv_heads = 8;
  m.vocab = 1000;
  m.max_context = 256;
  m.ffn_type = ffn_kind::relu;
  return m;
}

// tiny_model with 16 prompt and 16 generated tokens, profiled on 32.
inline workload_config tiny_workload() {
  workload_config w;
  w.model = tiny_model();
  w.input_len = 16;
  w.output_len = 16;
  w.profile_tokens = 32;
  return w;
}

// The default hardware with a GPU that holds only part of tiny_model's neurons (12 MB beyond its
// reserve), so the GPU/DIMM split matters.
inline hardware_config small_gpu() {
  hardware_config h;
  h.gpu.memory_capacity = bytes(h.gpu_reserved.value() + 12e6);
  return h;
}

}  // namespace hermes::test
