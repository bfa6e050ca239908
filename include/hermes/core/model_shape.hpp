#pragma once
// The shape of a transformer decoder: everything the cost models and placements need, no
// weights. Presets live in model/presets.hpp.
#include <cstddef>
#include <string>
#include <string_view>

#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

enum class ffn_kind {
  relu,        // OPT: out = FC2(relu(FC1 x)); a neuron = row i of FC1 + column i of FC2
  swiglu,      // LLaMA: out = W2(silu(W1 x) * (W3 x)); a neuron = rows i of W1, W3 + column i of W2
  relu_glu,    // ReLU-fied LLaMA/Falcon (ProSparse, TurboSparse): silu replaced by relu
  gelu,        // GPT-2 / dense GELU MLP (no activation sparsity)
};

// Upper bounds of a model shape, checked by model_shape::validate(): every product the cost
// models and the activation layouts form from them (ffn x 3 x hidden weights, layers x hidden x
// hidden, vocab x hidden, layers x (hidden + ffn) mask bits per token) stays far below 2^64.
// The largest evaluated models are well inside them (OPT-175B: 96 layers, hidden 12288, FFN
// 49152; LLaMA2-70B: vocab 32000, context 4096). Whether a shape's simulation fits the host's
// memory is a separate, later check (sim/host_memory.hpp).
namespace model_limits {
inline constexpr std::size_t layers = 1024;
inline constexpr std::size_t hidden = std::size_t{1} << 17;       // 131,072
inline constexpr std::size_t ffn = std::size_t{1} << 20;          // 1,048,576 neurons per layer
inline constexpr std::size_t vocab = std::size_t{1} << 22;        // 4,194,304
inline constexpr std::size_t max_context = std::size_t{1} << 20;  // 1,048,576 tokens
inline constexpr double bytes_per_param = 8.0;                    // FP64
}  // namespace model_limits

struct model_shape {
  std::string name;
  std::size_t layers = 0;
  std::size_t hidden = 0;         // d_model
  std::size_t ffn = 0;            // FFN intermediate width = FFN neurons per layer
  std::size_t heads = 0;          // query heads
  std::size_t kv_heads = 0;       // key/value heads (== heads without grouped-query attention)
  std::size_t vocab = 0;
  std::size_t max_context = 0;    // the model's context length
  ffn_kind ffn_type = ffn_kind::relu;
  bool relu_before_qkv = true;    // ReLU inserted before QKV generation (sparse attention input)
  double bytes_per_param = 2.0;   // FP16 weights in the modelled hardware
  bool tied_embeddings = false;   // the LM head reuses the token-embedding matrix (OPT, GPT-2)

  // Throws invalid_parameter naming `prefix`.field unless every count is in 1..model_limits
  // (max_context: 0 = unlimited), heads <= hidden, kv_heads <= heads and bytes_per_param in
  // (0, 8]. The divisibility of hidden by heads is the configuration reader's check.
  void validate(std::string_view prefix = "model") const {
    const auto field = [&](std::string_view f) { return std::string(prefix) + "." + std::string(f); };
    const auto count = [&](std::string_view f, std::size_t v, std::size_t max) {
      require_count(field(f), v);
      require_at_most(field(f), v, max);
    };
    count("layers", layers, model_limits::layers);
    count("hidden", hidden, model_limits::hidden);
    count("ffn", ffn, model_limits::ffn);
    count("heads", heads, hidden);
    require_at_most(field("kv_heads"), kv_heads, heads);
    require_at_most(field("vocab"), vocab, model_limits::vocab);
    require_at_most(field("max_context"), max_context, model_limits::max_context);
    if (!(bytes_per_param > 0.0 && bytes_per_param <= model_limits::bytes_per_param))
      throw invalid_parameter(field("bytes_per_param"), to_text(bytes_per_param), "a size in (0, 8] bytes");
  }

  [[nodiscard]] std::size_t head_dim() const { return heads ? hidden / heads : 0; }
  [[nodiscard]] std::size_t kv_dim() const { return head_dim() * kv_heads; }
  [[nodiscard]] bool gated() const { return ffn_type == ffn_kind::swiglu || ffn_type == ffn_kind::relu_glu; }

  // Neurons per layer, as the predictor and the mappers see them.
  [[nodiscard]] std::size_t ffn_neurons() const { return ffn; }
  // An attention neuron is input channel i of QKV generation: column i of Wq, Wk and Wv.
  [[nodiscard]] std::size_t attention_neurons() const { return hidden; }

  // Elements of one neuron's weights (its chunk), per layer kind.
  [[nodiscard]] std::size_t ffn_neuron_elements() const { return (gated() ? 3 : 2) * hidden; }
  [[nodiscard]] std::size_t attention_neuron_elements() const { return hidden + 2 * kv_dim(); }

  [[nodiscard]] double params_per_layer() const {
    return static_cast<double>(ffn_neurons() * ffn_neuron_elements() +
                               attention_neurons() * attention_neuron_elements() +
                               hidden * hidden /* output projection */);
  }
  [[nodiscard]] double params() const {
    return static_cast<double>(layers) * params_per_layer() +
           static_cast<double>(vocab * hidden) * (tied_embeddings ? 1.0 : 2.0) /* embedding + LM head */;
  }
  [[nodiscard]] bytes weight_bytes() const { return bytes(params() * bytes_per_param); }
  // KV cache bytes for one token of one sequence, all layers.
  [[nodiscard]] bytes kv_bytes_per_token() const {
    return bytes(2.0 * static_cast<double>(layers * kv_dim()) * bytes_per_param);
  }
};

}  // namespace hermes
