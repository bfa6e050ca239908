#pragma once
// One decoder step of a dense transformer as a list of kernels (core/kernel.hpp), for the
// kernel-level systems (IANUS, H2M2): what a machine costs and a kernel mapper
// (map/kernel_mapper.hpp) assigns to its units, token by token.
//
// Per layer, in program order (a pre-LN block, GPT-2's; LLaMA's has the same kernels with
// RMSNorm and a gated FFN), 13 kernels:
//
//    #  kind               shape                                             reads
//    0  norm               elements hidden
//    1  fc (QKV)           rows hidden + 2 kv_dim, cols hidden               weights = qkv
//    2  kv_append          kv_heads x head_dim per token (K and V)           kv
//    3  attention_score    heads, kv_heads, head_dim, context, sequences     kv
//    4  softmax            elements heads x context per token
//    5  attention_context  as attention_score                                kv
//    6  fc (Wo)            rows hidden, cols hidden                          weights = wo
//    7  residual           elements hidden
//    8  norm               elements hidden
//    9  fc (FC1)           rows ffn (2 x ffn when gated: gate and up), cols hidden   weights = fc1
//   10  activation         elements ffn, follows_fc = true
//   11  fc (FC2)           rows hidden, cols ffn                             weights = fc2
//   12  residual           elements hidden
//
// then the final norm (elements hidden) and the lm_head (rows vocab, cols hidden, weights =
// lm_head), both over `sequences` tokens: only each sequence's last position is projected onto
// the vocabulary (prefill needs no logits for the other prompt positions). Their `layer` is
// m.layers (one past the last decoder layer). So a step has layers x 13 + 2 kernels.
//
// Tokens: every per-layer kernel processes sequences x new_tokens vectors. Attention reads the
// cache of its own sequence: context = s.context (tokens cached before this step) + new_tokens
// (kv_append writes the new K, V first). Prefill attention (new_tokens > 1) is counted as if
// every new token attended to all context tokens: 2 x new x context x heads x head_dim FLOPs per
// product, while causal masking needs only context_before + (new + 1) / 2 keys per query on
// average, so for a prompt from an empty cache this is an upper bound of about twice the causal
// work (the causal half). The K/V bytes (kernel::operand_bytes) are read once per sequence
// either way, so the bytes are exact. A machine wanting the causal count can derive it from the
// step (cached = context - new_tokens).
//
// Vector kernels' flops_per_element (per output element; one operation each for add, multiply,
// compare, exp, tanh, divide; biases, which GPT-2 has, are folded into their FC and not counted):
//   norm       LayerNorm 7: mean (1 add), x - mean (1), square and accumulate (2), times
//              1/sigma (1), gamma x + beta (2); RMSNorm (gated-FFN models, LLaMA) 4: square and
//              accumulate (2), times 1/rms (1), times gamma (1).
//   softmax    5: running max (1 compare), x - max (1), exp (1), sum (1), times 1/sum (1).
//   activation GELU 8, tanh approximation 0.5 x (1 + tanh(c x (1 + 0.044715 x^2))) with the
//              constants folded: x^2, times, plus, times x, tanh, plus 1, times x, times 0.5;
//              ReLU 1; SwiGLU 5: silu(g) = g / (1 + exp(-g)) (exp, add, divide: 3), times g
//              (1), times up (1); ReLU-GLU 2: max(0, g) times up.
//   residual   1 (one add).
// The bytes per element of every kernel are m.bytes_per_param (the activations and the KV cache
// use the weights' precision, BF16/FP16 in both papers).
//
// Buffers: the caller names each weight matrix and KV cache by a buffer_id (map's logical
// buffers); no_buffer is allowed (a machine that keeps no buffer table), it is copied as is.
#include <cstddef>
#include <string>
#include <vector>

#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/kernel.hpp"
#include "hermes/core/model_shape.hpp"

namespace hermes {

// The buffers one decoder layer reads. fc1 of a gated FFN holds gate and up (2 x ffn rows).
struct layer_buffers {
  buffer_id qkv = no_buffer, wo = no_buffer, fc1 = no_buffer, fc2 = no_buffer, kv = no_buffer;
};

struct decoder_buffers {
  std::vector<layer_buffers> layers;  // one per model layer
  buffer_id lm_head = no_buffer;
};

struct decoder_step {
  std::size_t sequences = 1;   // sequences in the batch
  std::size_t new_tokens = 1;  // per sequence: the prompt length in prefill, 1 in decode
  std::size_t context = 0;     // tokens cached per sequence before this step
};

// Kernels per decoder layer and after the last one (the final norm and the lm_head).
inline constexpr std::size_t kernels_per_layer = 13;
inline constexpr std::size_t kernels_after_layers = 2;

// The flops_per_element of the vector kernels (see the header comment for the counts).
namespace kernel_flops {
inline constexpr double layer_norm = 7.0;
inline constexpr double rms_norm = 4.0;
inline constexpr double softmax = 5.0;
inline constexpr double gelu_tanh = 8.0;
inline constexpr double relu = 1.0;
inline constexpr double swiglu = 5.0;
inline constexpr double relu_glu = 2.0;
inline constexpr double residual = 1.0;

[[nodiscard]] inline double norm(const model_shape& m) { return m.gated() ? rms_norm : layer_norm; }
[[nodiscard]] constexpr double activation(ffn_kind k) {
  switch (k) {
    case ffn_kind::relu: return relu;
    case ffn_kind::swiglu: return swiglu;
    case ffn_kind::relu_glu: return relu_glu;
    case ffn_kind::gelu: return gelu_tanh;
  }
  return gelu_tanh;
}
}  // namespace kernel_flops

// Fills `out` (cleared first, its storage reused: called every token) with the kernels of step
// `s`. Throws invalid_parameter naming the field unless buffers.layers has m.layers entries,
// m.layers, m.heads, s.sequences and s.new_tokens are at least 1, and (when the model has a
// context limit) s.context + s.new_tokens <= m.max_context; sizes that would overflow throw too.
inline void decoder_kernels(const model_shape& m, const decoder_step& s, const decoder_buffers& b,
                            std::vector<kernel>& out) {
  require_count("model.layers", m.layers);
  require_count("model.heads", m.heads);
  require_count("decoder_step.sequences", s.sequences);
  require_count("decoder_step.new_tokens", s.new_tokens);
  if (b.layers.size() != m.layers)
    throw invalid_parameter("decoder_buffers.layers", std::to_string(b.layers.size()) + " entries",
                            "one per model layer (" + std::to_string(m.layers) + ")");
  const std::size_t tokens = checked_mul<std::size_t>("decoder_step: sequences x new_tokens", s.sequences, s.new_tokens);
  const std::size_t context = checked_add<std::size_t>("decoder_step: context + new_tokens", s.context, s.new_tokens);
  if (m.max_context != 0 && context > m.max_context)
    throw invalid_parameter("decoder_step.context", std::to_string(s.context) + " cached + " +
                                std::to_string(s.new_tokens) + " new tokens",
                            "at most model.max_context = " + std::to_string(m.max_context) + " tokens in all");
  const std::size_t scores = checked_mul<std::size_t>("decoder_step: heads x context", m.heads, context);
  const std::size_t head_dim = m.head_dim();
  const double bpe = m.bytes_per_param;

  out.clear();
  out.reserve(m.layers * kernels_per_layer + kernels_after_layers);

  const auto vector_kernel = [&](kernel_kind kind, std::size_t layer, std::size_t n, std::size_t elements,
                                 double flops_each) {
    kernel k;
    k.kind = kind;
    k.layer = layer;
    k.tokens = n;
    k.elements = elements;
    k.flops_per_element = flops_each;
    k.bytes_per_element = bpe;
    out.push_back(k);
  };
  const auto fc_kernel = [&](kernel_kind kind, std::size_t layer, std::size_t n, std::size_t rows,
                             std::size_t cols, buffer_id w) {
    kernel k;
    k.kind = kind;
    k.layer = layer;
    k.tokens = n;
    k.rows = rows;
    k.cols = cols;
    k.bytes_per_element = bpe;
    k.weights = w;
    out.push_back(k);
  };
  const auto kv_kernel = [&](kernel_kind kind, std::size_t layer, std::size_t ctx, buffer_id kv) {
    kernel k;
    k.kind = kind;
    k.layer = layer;
    k.tokens = tokens;
    k.heads = m.heads;
    k.kv_heads = m.kv_heads;
    k.head_dim = head_dim;
    k.context = ctx;
    k.sequences = s.sequences;
    k.bytes_per_element = bpe;
    k.kv = kv;
    out.push_back(k);
  };

  const double norm_flops = kernel_flops::norm(m);
  const double act_flops = kernel_flops::activation(m.ffn_type);
  const std::size_t fc1_rows = m.gated() ? 2 * m.ffn : m.ffn;
  for (std::size_t l = 0; l < m.layers; ++l) {
    const layer_buffers& lb = b.layers[l];
    vector_kernel(kernel_kind::norm, l, tokens, m.hidden, norm_flops);
    fc_kernel(kernel_kind::fc, l, tokens, m.hidden + 2 * m.kv_dim(), m.hidden, lb.qkv);
    kv_kernel(kernel_kind::kv_append, l, context, lb.kv);
    kv_kernel(kernel_kind::attention_score, l, context, lb.kv);
    vector_kernel(kernel_kind::softmax, l, tokens, scores, kernel_flops::softmax);
    kv_kernel(kernel_kind::attention_context, l, context, lb.kv);
    fc_kernel(kernel_kind::fc, l, tokens, m.hidden, m.hidden, lb.wo);
    vector_kernel(kernel_kind::residual, l, tokens, m.hidden, kernel_flops::residual);
    vector_kernel(kernel_kind::norm, l, tokens, m.hidden, norm_flops);
    fc_kernel(kernel_kind::fc, l, tokens, fc1_rows, m.hidden, lb.fc1);
    vector_kernel(kernel_kind::activation, l, tokens, m.ffn, act_flops);
    out.back().follows_fc = true;
    fc_kernel(kernel_kind::fc, l, tokens, m.hidden, m.ffn, lb.fc2);
    vector_kernel(kernel_kind::residual, l, tokens, m.hidden, kernel_flops::residual);
  }
  vector_kernel(kernel_kind::norm, m.layers, s.sequences, m.hidden, norm_flops);
  fc_kernel(kernel_kind::lm_head, m.layers, s.sequences, m.vocab, m.hidden, b.lm_head);
}

// The same, into a new vector.
[[nodiscard]] inline std::vector<kernel> decoder_kernels(const model_shape& m, const decoder_step& s,
                                                         const decoder_buffers& b) {
  std::vector<kernel> out;
  decoder_kernels(m, s, b, out);
  return out;
}

}  // namespace hermes
