#pragma once
// The llama2.c generation loop, independent of how the forward pass is computed: the reference
// loops in the tests, the library's heterogeneous model, or a user's own.
//
//   tokens = encode(prompt) with BOS (cut to the context first: tokenizer::encode_prompt);
//   token = tokens[0]
//   for pos in 0 .. steps-1:
//     logits = forward(token, pos)
//     next = tokens[pos + 1] while inside the prompt, else sampler(logits)
//     stop if next == BOS;  print text(token -> next);  token = next
//
// The prompt is printed too (llama2.c echoes it token by token), so the text starts with the
// prompt (minus the dummy-prefix space that follows BOS).
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/model/sampler.hpp"
#include "hermes/model/tokenizer.hpp"

namespace hermes {

// forward(token, pos) runs one decoding step and returns the logits over the vocabulary.
template <class F>
concept logits_forward = requires(F& f, int token, std::size_t pos) {
  { f(token, pos) } -> std::convertible_to<std::span<float>>;
};

struct generation {
  std::string text;              // exactly what llama2.c prints, without its final newline
  std::vector<int> tokens;       // BOS, the prompt's tokens, then every generated token
  std::size_t prompt_tokens = 0; // of `tokens`, the ones from the prompt (BOS included)
  std::size_t steps = 0;         // forward passes run
  bool stopped_at_bos = false;   // the model chose BOS (end of a story) before `steps` ran out
};

// Runs up to `steps` forward passes (llama2.c's -n). `context` is the model's position limit
// (seq_len): more steps than positions is an error rather than llama2.c's silent clamp.
template <class Forward>
generation generate(const tokenizer& tok, Forward&& forward, std::string_view prompt,
                    std::size_t steps, std::size_t context, sampler& pick) {
  static_assert(logits_forward<Forward>,
                "generate(): forward must be callable as forward(int token, std::size_t pos) and "
                "return the logits as something convertible to std::span<float>");
  if (steps == 0 || steps > context)
    throw invalid_parameter("steps", std::to_string(steps),
                            "1 .. " + std::to_string(context) + " (the model's seq_len)");
  generation g;
  g.tokens = tok.encode_prompt(prompt, context);  // cut to what `context` positions can use
  g.prompt_tokens = g.tokens.size();
  int token = g.tokens.front();
  for (std::size_t pos = 0; pos < steps; ++pos) {
    std::span<float> logits = forward(token, pos);
    if (logits.size() != tok.vocab_size())
      throw error("generate(): forward returned " + std::to_string(logits.size()) +
                  " logits, the tokenizer has " + std::to_string(tok.vocab_size()) + " tokens");
    ++g.steps;
    int next = 0;
    if (pos + 1 < g.prompt_tokens) {
      next = g.tokens[pos + 1];
    } else {
      next = pick(logits);
      g.tokens.push_back(next);
    }
    if (next == tokenizer::bos_token) {
      g.stopped_at_bos = true;
      break;
    }
    g.text += tok.text(token, next);
    token = next;
  }
  return g;
}

}  // namespace hermes
