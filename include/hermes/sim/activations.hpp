#pragma once
// The activations a simulation consumes: an offline profiling input (for the placement), the
// prompt (for the prefill profile that initialises the predictor) and the decoded tokens, for
// every sequence of the batch.
//
// Sequences of one batch run the same model on different inputs: they share the model's
// structure (which neurons are hot, how layers correlate) and differ in their input-dependent
// activity. With the synthetic generator that is one model source forked per sequence, each fork
// reseeded (synthetic_source::reseed_input). A recorded trace is replayed as one sequence.
// The layers compute a neuron when any sequence of the batch needs it, so the engine consumes
// the union over the batch.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "hermes/activation/synthetic_source.hpp"
#include "hermes/activation/token_masks.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/activation/trace_replay.hpp"
#include "hermes/core/error.hpp"
#include "hermes/predict/correlation_table.hpp"
#include "hermes/sim/config.hpp"

namespace hermes {

namespace detail {
// splitmix64 finaliser: decorrelates the seeds of the profile input and of each sequence.
constexpr std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace detail

class batch_activations {
 public:
  // The workload's recorded trace if it names one (workload_config::trace, replayed as below),
  // else synthetic activations for its model, calibrated by workload.activations.
  explicit batch_activations(const workload_config& w)
      : w_(w), layout_(w.trace ? w.trace->layout() : trace_layout::of(w.model)), recorded_(w.trace) {
    if (recorded_) {
      check_recorded();
      return;
    }
    synthetic_config cfg = w.activations;
    cfg.seed = detail::mix_seed(w.seed, 0);
    model_.emplace(layout_, cfg);
    for (std::size_t b = 0; b < w.batch; ++b) {
      sequences_.push_back(*model_);
      sequences_.back().reseed_input(detail::mix_seed(w.seed, 2 + b));
    }
  }

  // A recorded trace, replayed as one sequence: its first profile_tokens tokens are the offline
  // profile, the next input_len the prompt, then output_len decoded tokens. The correlation table
  // is estimated from the profile part (statistics' top_correlated).
  batch_activations(const workload_config& w, std::shared_ptr<const activation_trace> trace)
      : w_(w), layout_(trace->layout()), recorded_(std::move(trace)) {
    check_recorded();
  }

  [[nodiscard]] const trace_layout& layout() const { return layout_; }

  // The offline profiling run (Sec IV-B): an input of its own, profile_tokens long.
  [[nodiscard]] activation_trace profile_trace() {
    if (recorded_) return slice(0, w_.profile_tokens);
    synthetic_source profiler = *model_;
    profiler.reseed_input(detail::mix_seed(w_.seed, 1));
    activation_trace t(layout_);
    token_masks masks(layout_);
    for (std::size_t i = 0; i < w_.profile_tokens; ++i) {
      profiler.next_token(masks);
      masks.append_to(t);
    }
    return t;
  }

  // The predictor's correlation table (Sec IV-C.1: top-k correlated neurons of the previous
  // layer, sampled offline): the generator's ground truth, or estimated from a recorded profile.
  [[nodiscard]] correlation_table correlations(std::size_t top_k) {
    if (recorded_) return correlation_table::from_trace(*recorded_, 0, w_.profile_tokens, top_k);
    correlation_table table(layout_, top_k);
    std::vector<correlation_table::index> top(top_k);
    for (std::size_t l = 1; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto truth = model_->correlation(l, k);
        for (std::size_t i = 0; i < layout_.neurons(k); ++i) {
          const auto preds = truth.of(i);
          for (std::size_t e = 0; e < top_k; ++e)
            top[e] = e < preds.size() && preds[e] != layer_predecessors::none
                         ? static_cast<correlation_table::index>(preds[e])
                         : correlation_table::empty_slot;
          table.set_top(l, k, i, top);
        }
      }
    return table;
  }

  // The prompt's tokens, each the union over the batch (the prefill sees every sequence).
  [[nodiscard]] activation_trace prompt_union() {
    if (recorded_) {
      cursor_ = w_.profile_tokens + w_.input_len;
      return slice(w_.profile_tokens, w_.input_len);
    }
    activation_trace t(layout_);
    token_masks masks(layout_);
    for (std::size_t i = 0; i < w_.input_len; ++i) {
      next_union(masks);
      masks.append_to(t);
    }
    return t;
  }

  // The next decoded token, the union over the batch.
  void next_union(token_masks& out) {
    if (recorded_) {
      out.assign_from(*recorded_, cursor_++);
      return;
    }
    sequences_.front().next_token(out);
    for (std::size_t b = 1; b < sequences_.size(); ++b) {
      sequences_[b].next_token(scratch_);
      for (std::size_t l = 0; l < layout_.layers; ++l)
        for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) out.mask(l, k) |= scratch_.mask(l, k);
    }
  }

 private:
  // A recorded trace must be of the model's layout, one sequence, and long enough.
  void check_recorded() const {
    if (!(layout_ == trace_layout::of(w_.model)))
      throw invalid_parameter("trace layout", "layers " + std::to_string(layout_.layers) + ", attention " +
                                                  std::to_string(layout_.attention_neurons) + ", ffn " +
                                                  std::to_string(layout_.ffn_neurons),
                              "the layout of model " + w_.model.name);
    if (w_.batch != 1)
      throw invalid_parameter("workload.batch with --trace", std::to_string(w_.batch),
                              "1 (a recorded trace is one sequence)");
    const std::size_t need = w_.profile_tokens + w_.input_len + w_.output_len;
    if (recorded_->tokens() < need)
      throw invalid_parameter("trace tokens", std::to_string(recorded_->tokens()),
                              "at least profile_tokens + input_len + output_len = " + std::to_string(need));
  }

  [[nodiscard]] activation_trace slice(std::size_t begin, std::size_t count) const {
    activation_trace t(layout_);
    token_masks masks(layout_);
    for (std::size_t i = 0; i < count; ++i) {
      masks.assign_from(*recorded_, begin + i);
      masks.append_to(t);
    }
    return t;
  }

  workload_config w_;
  trace_layout layout_;
  std::optional<synthetic_source> model_;
  std::vector<synthetic_source> sequences_;
  std::shared_ptr<const activation_trace> recorded_;
  std::size_t cursor_ = 0;
  token_masks scratch_{layout_};
};

}  // namespace hermes
