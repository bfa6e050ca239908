#pragma once
// Model shapes of the evaluated and related LLMs, from their published configurations.
//
// Each value names its source field: HuggingFace config.json (OPT: hidden_size, ffn_dim,
// num_hidden_layers, num_attention_heads, vocab_size, max_position_embeddings; LLaMA:
// intermediate_size, num_key_value_heads, max_position_embeddings; Falcon: n_layer, n_head,
// num_kv_heads / n_head_kv; GPT-2: n_embd, n_layer, n_head, n_ctx, vocab_size, FFN = 4 x n_embd),
// or the paper/checkpoint header where no config.json exists.
//
// The FFN kind follows the Hermes evaluation (Sec V-A): OPT has ReLU natively; LLaMA/LLaMA2 and
// Falcon run as their ReLU-fied releases (ReluLLaMA/ProSparse keep LLaMA's gated FFN with ReLU:
// relu_glu; ReluFalcon keeps Falcon's ungated MLP with ReLU: relu), and the sparse models have
// the ReLU before QKV generation the paper assumes. The dense models kept for the IANUS and H2M2
// systems (GPT-2, GPT-3, Chinchilla) and the real stories260K checkpoint keep their original
// activation and have no inserted ReLU.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/lookup.hpp"
#include "hermes/core/model_shape.hpp"

namespace hermes {

namespace model_presets {

namespace detail {
inline model_shape make(std::string name, std::size_t layers, std::size_t hidden, std::size_t ffn,
                        std::size_t heads, std::size_t kv_heads, std::size_t vocab,
                        std::size_t max_context, ffn_kind kind, bool relu_before_qkv,
                        bool tied_embeddings) {
  model_shape s;
  s.name = std::move(name);
  s.layers = layers;
  s.hidden = hidden;
  s.ffn = ffn;
  s.heads = heads;
  s.kv_heads = kv_heads;
  s.vocab = vocab;
  s.max_context = max_context;
  s.ffn_type = kind;
  s.relu_before_qkv = relu_before_qkv;
  s.tied_embeddings = tied_embeddings;
  return s;
}
}  // namespace detail

// --- OPT (facebook/opt-*, config.json; Zhang et al. 2022, Table 1). ReLU FFN, no grouped-query
// attention, 2048-token context, LM head tied to the token embedding (tie_word_embeddings).
inline model_shape opt_13b() {  // hidden_size 5120, ffn_dim 20480, 40 layers, 40 heads
  return detail::make("OPT-13B", 40, 5120, 20480, 40, 40, 50272, 2048, ffn_kind::relu, true, true);
}
inline model_shape opt_30b() {  // hidden_size 7168, ffn_dim 28672, 48 layers, 56 heads
  return detail::make("OPT-30B", 48, 7168, 28672, 56, 56, 50272, 2048, ffn_kind::relu, true, true);
}
inline model_shape opt_66b() {  // hidden_size 9216, ffn_dim 36864, 64 layers, 72 heads
  return detail::make("OPT-66B", 64, 9216, 36864, 72, 72, 50272, 2048, ffn_kind::relu, true, true);
}

// --- LLaMA (huggyllama/llama-*, config.json): vocab 32000, 2048-token context, untied LM head.
// Run as the ReLU-fied gated FFN (relu_glu) like the LLaMA2 models of the evaluation; the paper
// uses LLaMA-7B for its predictor-size figure and LLaMA-13B for its DIMM-load figure.
inline model_shape llama_7b() {  // hidden_size 4096, intermediate_size 11008, 32 layers/heads
  return detail::make("LLaMA-7B", 32, 4096, 11008, 32, 32, 32000, 2048, ffn_kind::relu_glu, true,
                      false);
}
inline model_shape llama_13b() {  // hidden_size 5120, intermediate_size 13824, 40 layers/heads
  return detail::make("LLaMA-13B", 40, 5120, 13824, 40, 40, 32000, 2048, ffn_kind::relu_glu,
                      true, false);
}

// --- LLaMA2 (meta-llama/Llama-2-*-hf, config.json): vocab 32000, max_position_embeddings 4096,
// untied LM head; ReLU-fied releases (SparseLLM/ReluLLaMA-*, ProSparse) keep the gate: relu_glu.
inline model_shape llama2_7b() {  // hidden_size 4096, intermediate_size 11008, 32 layers/heads
  return detail::make("LLaMA2-7B", 32, 4096, 11008, 32, 32, 32000, 4096, ffn_kind::relu_glu, true,
                      false);
}
inline model_shape llama2_13b() {  // hidden_size 5120, intermediate_size 13824, 40 layers/heads
  return detail::make("LLaMA2-13B", 40, 5120, 13824, 40, 40, 32000, 4096, ffn_kind::relu_glu,
                      true, false);
}
// hidden_size 8192, intermediate_size 28672, 80 layers, 64 heads, num_key_value_heads 8 (GQA).
inline model_shape llama2_70b() {
  return detail::make("LLaMA2-70B", 80, 8192, 28672, 64, 8, 32000, 4096, ffn_kind::relu_glu, true,
                      false);
}

// --- Falcon-40B (tiiuae/falcon-40b, config.json): hidden_size 8192, n_layer 60, n_head 128,
// num_kv_heads (n_head_kv) 8, vocab_size 65024, 2048-token context (Almazrouei et al. 2023),
// MLP 4 x hidden = 32768 without a gate (dense_h_to_4h / dense_4h_to_h), GELU in the original,
// ReLU in the ReLU-fied release (SparseLLM/ReluFalcon-40B); LM head tied (tie_word_embeddings,
// FalconConfig default).
inline model_shape falcon_40b() {
  return detail::make("Falcon-40B", 60, 8192, 32768, 128, 8, 65024, 2048, ffn_kind::relu, true,
                      true);
}

// --- GPT-2 (openai-community/gpt2-medium, -large, -xl, config.json): vocab 50257, n_ctx 1024,
// FFN 4 x n_embd, GELU, LM head tied. For the IANUS system.
inline model_shape gpt2_medium() {  // n_embd 1024, n_layer 24, n_head 16
  return detail::make("GPT2-M", 24, 1024, 4096, 16, 16, 50257, 1024, ffn_kind::gelu, false, true);
}
inline model_shape gpt2_large() {  // n_embd 1280, n_layer 36, n_head 20
  return detail::make("GPT2-L", 36, 1280, 5120, 20, 20, 50257, 1024, ffn_kind::gelu, false, true);
}
inline model_shape gpt2_xl() {  // n_embd 1600, n_layer 48, n_head 25
  return detail::make("GPT2-XL", 48, 1600, 6400, 25, 25, 50257, 1024, ffn_kind::gelu, false, true);
}
// GPT-2 2.5B of IANUS: Megatron-LM's 2.5B GPT-2 (Shoeybi et al. 2019, Table 2: 54 layers, hidden
// 1920, 20 attention heads; the same shape as Megatron-LM's --num-layers 54 --hidden-size 1920
// --num-attention-heads 20 example scripts); GPT-2 vocabulary, 1024 context, FFN 4 x hidden,
// GELU, LM head tied as in GPT-2.
inline model_shape gpt2_2_5b() {
  return detail::make("GPT2-2.5B", 54, 1920, 7680, 20, 20, 50257, 1024, ffn_kind::gelu, false, true);
}

// --- Dense models of the H2M2 comparison (no config.json; the papers' tables).
// GPT-3 175B (Brown et al. 2020, Table 2.1): n_layers 96, d_model 12288, n_heads 96, context
// 2048, d_ff = 4 x d_model (Sec 2.1), GPT-2 tokenizer and architecture (vocab 50257, GELU, tied).
inline model_shape gpt3_175b() {
  return detail::make("GPT3-175B", 96, 12288, 49152, 96, 96, 50257, 2048, ffn_kind::gelu, false,
                      true);
}
// Chinchilla 70B (Hoffmann et al. 2022, Table 4): 80 layers, d_model 8192, 64 heads of 128;
// vocab 32000 and context 2048 (Gopher setup, Rae et al. 2021); FFN 4 x d_model and an untied
// LM head are our reading of the Gopher architecture. These dimensions give 65 B parameters
// against the nominal 70 B; the paper does not state the remainder.
inline model_shape chinchilla_70b() {
  return detail::make("Chinchilla-70B", 80, 8192, 32768, 64, 64, 32000, 2048, ffn_kind::gelu,
                      false, false);
}

// --- stories260K (data/stories260K, karpathy/tinyllamas): the checkpoint header gives dim 64,
// hidden_dim 172, n_layers 5, n_heads 8, n_kv_heads 4, vocab_size 512 (positive: classifier
// shared with the embedding), seq_len 512; SwiGLU FFN as trained.
inline model_shape stories260k() {
  return detail::make("stories260K", 5, 64, 172, 8, 4, 512, 512, ffn_kind::swiglu, false, true);
}

// Every preset, in a fixed order.
inline const std::vector<model_shape>& all() {
  static const std::vector<model_shape> presets{
      opt_13b(),    opt_30b(),     opt_66b(),    llama_7b(),    llama_13b(),
      llama2_7b(),  llama2_13b(),  llama2_70b(), falcon_40b(),  gpt2_medium(),
      gpt2_large(), gpt2_xl(),     gpt2_2_5b(),  gpt3_175b(),  chinchilla_70b(), stories260k()};
  return presets;
}
}  // namespace model_presets

// Names of all model presets, in the order of model_presets::all().
inline std::vector<std::string_view> model_preset_names() {
  std::vector<std::string_view> names;
  for (const auto& s : model_presets::all()) names.emplace_back(s.name);
  return names;
}

// The preset called `name` (case-insensitive, e.g. "llama2-70b"); an unknown name throws
// invalid_parameter listing every valid name.
inline model_shape find_model_preset(std::string_view name) {
  return find_named(model_presets::all(), name, "model preset");
}

}  // namespace hermes
