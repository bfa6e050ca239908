#pragma once
// The toy model of the baseline tests, whose every byte is countable by hand:
// 3 layers, hidden 64 (4 heads of 16, no GQA), 256 ReLU FFN neurons, FP16.
// Per layer: QKV 64 x 192 x 2 B = 24576 B, Wo 64 x 64 x 2 B = 8192 B, FFN 256 x 2 x 64 x 2 B =
// 65536 B; layer = 98304 B. Tied embedding 128 x 64 x 2 B = 16384 B. KV: 2 x 3 x 64 x 2 B =
// 768 B per token and sequence.
#include <string>
#include <utility>

#include "hermes/model/shape.hpp"

namespace hermes::test {

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

}  // namespace hermes::test
