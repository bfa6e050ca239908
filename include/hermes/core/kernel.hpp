#pragma once
// The vocabulary of kernel-level systems (IANUS, H2M2): one decoder step as a list of kernels.
//
// The split engine (sim/split_engine.hpp) thinks in neurons: a hot/cold mask per token. Systems
// that do not exploit activation sparsity think in kernels instead: an FC (a weight matrix times
// n input vectors), the two attention products, the vector operations between them. A kernel
// names the logical buffers it reads (map/logical_buffers.hpp) by id only, so moving a buffer to
// another memory never changes a kernel. Kernels of one step run in program order: kernel i
// consumes the output of kernel i - 1 (a decoder is a chain); a machine may still prefetch the
// weights of later kernels (that is what PIM access scheduling arbitrates).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace hermes {

enum class kernel_kind {
  fc,                 // weight matrix (rows outputs x cols inputs) times `tokens` vectors
  attention_score,    // Q K^T over `context` cached keys, `heads` heads of `head_dim`
  attention_context,  // softmax(scores) V over `context` cached values
  softmax,            // over heads x context scores per token
  norm,               // LayerNorm / RMSNorm over `elements` per token
  activation,         // GELU / SiLU (x mul) over `elements` per token
  residual,           // elementwise add over `elements` per token
  lm_head,            // the vocabulary projection (an FC over the embedding matrix)
  kv_append,          // write the new tokens' K and V into the cache
};

inline constexpr std::size_t kernel_kind_count = 9;

[[nodiscard]] constexpr std::string_view to_string(kernel_kind k) {
  switch (k) {
    case kernel_kind::fc: return "fc";
    case kernel_kind::attention_score: return "attention_score";
    case kernel_kind::attention_context: return "attention_context";
    case kernel_kind::softmax: return "softmax";
    case kernel_kind::norm: return "norm";
    case kernel_kind::activation: return "activation";
    case kernel_kind::residual: return "residual";
    case kernel_kind::lm_head: return "lm_head";
    case kernel_kind::kv_append: return "kv_append";
  }
  return "unknown";
}

// Prefill (IANUS: "summarization") processes the prompt at once; decode ("generation") one token
// per sequence per step.
enum class decode_phase { summarization, generation };

[[nodiscard]] constexpr std::string_view to_string(decode_phase p) {
  return p == decode_phase::summarization ? "summarization" : "generation";
}

using buffer_id = std::uint32_t;
inline constexpr buffer_id no_buffer = std::numeric_limits<buffer_id>::max();

struct kernel {
  kernel_kind kind = kernel_kind::fc;
  std::size_t layer = 0;
  std::size_t tokens = 1;        // input vectors this step (batch x new tokens)
  std::size_t rows = 0;          // fc / lm_head: output features
  std::size_t cols = 0;          // fc / lm_head: input features
  std::size_t heads = 0;         // attention: heads (query heads)
  std::size_t kv_heads = 0;      // attention: key/value heads
  std::size_t head_dim = 0;      // attention
  std::size_t context = 0;       // attention: cached tokens attended to (per sequence)
  std::size_t sequences = 1;     // attention: sequences in the batch (each has its own cache)
  std::size_t elements = 0;      // vector kernels: elements per token
  double flops_per_element = 1;  // vector kernels
  double bytes_per_element = 2;  // BF16 / FP16 operands
  bool follows_fc = false;       // activation directly consuming an FC's output (GELU after FC1)
  buffer_id weights = no_buffer; // fc / lm_head: the weight matrix
  buffer_id kv = no_buffer;      // attention / kv_append: this layer's KV cache

  // Bytes of weights (fc, lm_head) or cached K or V (attention) the kernel reads once.
  [[nodiscard]] double operand_bytes() const {
    switch (kind) {
      case kernel_kind::fc:
      case kernel_kind::lm_head:
        return static_cast<double>(rows) * static_cast<double>(cols) * bytes_per_element;
      case kernel_kind::attention_score:
      case kernel_kind::attention_context:
        return static_cast<double>(sequences) * static_cast<double>(context) *
               static_cast<double>(kv_heads * head_dim) * bytes_per_element;
      case kernel_kind::kv_append:
        return 2.0 * static_cast<double>(tokens) * static_cast<double>(kv_heads * head_dim) * bytes_per_element;
      default:
        return 2.0 * static_cast<double>(tokens) * static_cast<double>(elements) * bytes_per_element;
    }
  }

  // Floating-point operations (a multiply-add counts 2).
  [[nodiscard]] double flop_count() const {
    const double n = static_cast<double>(tokens);
    switch (kind) {
      case kernel_kind::fc:
      case kernel_kind::lm_head:
        return 2.0 * n * static_cast<double>(rows) * static_cast<double>(cols);
      case kernel_kind::attention_score:
      case kernel_kind::attention_context:
        // tokens are spread over the sequences: each new token attends to its own sequence's cache
        return 2.0 * n * static_cast<double>(context) * static_cast<double>(heads * head_dim);
      case kernel_kind::kv_append:
        return 0.0;
      default:
        return n * static_cast<double>(elements) * flops_per_element;
    }
  }
};

}  // namespace hermes
