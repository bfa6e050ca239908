#pragma once
// One interface for every place activation masks come from: a real forward pass, a recorded
// trace (trace_replay.hpp) or the calibrated synthetic generator (synthetic_source.hpp).
//
// A source is anything with
//     trace_layout layout() const;        // layers and neurons per layer kind
//     void next_token(token_masks& out);  // fills the masks of the next token, in order
// The simulator pulls tokens one at a time; the prompt's tokens come first, so the prefill
// profile (the frequencies the predictor starts from, Hermes Sec IV-A.2) is what the first
// `prompt_tokens` calls produce: read_prompt() below.
#include <concepts>
#include <cstddef>

#include "hermes/activation/profile.hpp"
#include "hermes/activation/token_masks.hpp"
#include "hermes/activation/trace.hpp"

namespace hermes {

template <class S>
concept activation_source = requires(S& s, const S& cs, token_masks& out) {
  { cs.layout() } -> std::convertible_to<trace_layout>;
  s.next_token(out);
};

// Pulls `tokens` tokens from `source` into a new trace.
template <class Source>
activation_trace record(Source& source, std::size_t tokens) {
  static_assert(activation_source<Source>,
                "record(): the source needs `trace_layout layout() const` and `void next_token(token_masks&)`");
  const trace_layout layout = source.layout();
  activation_trace trace(layout);
  token_masks token(layout);
  for (std::size_t t = 0; t < tokens; ++t) {
    source.next_token(token);
    token.append_to(trace);
  }
  return trace;
}

// The prompt as the prefill sees it: its tokens and the per-neuron frequencies over them.
struct prompt_record {
  activation_trace trace;
  frequency_profile profile;
};
template <class Source>
prompt_record read_prompt(Source& source, std::size_t prompt_tokens) {
  static_assert(activation_source<Source>,
                "read_prompt(): the source needs `trace_layout layout() const` and `void next_token(token_masks&)`");
  if (prompt_tokens == 0) throw invalid_parameter("prompt_tokens", "0", "at least 1 token");
  prompt_record r{record(source, prompt_tokens), {}};
  r.profile = frequency_profile::from_trace(r.trace);
  return r;
}

}  // namespace hermes
