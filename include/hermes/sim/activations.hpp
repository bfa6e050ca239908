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
#include "hermes/sim/bounded_memo.hpp"
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

// Everything a run consumes from the synthetic generator, made once: the profile input's tokens,
// then the prompt's and the decoded tokens (each the union over the batch), and the ground-truth
// predecessors of every layer. Systems compared on one workload replay the same record.
struct synthetic_record {
  activation_trace tokens;  // [0, profile) profile input; then input_len prompt; then output_len
  std::vector<layer_predecessors> predecessors;  // [layer * 2 + kind]
};

namespace detail {

// The generator is deterministic in (layout, batch, lengths, seed, synthetic_config): records
// are memoised per process on exactly those, so hermes-sim's side-by-side systems, sweeps and the
// reproduction generate each workload's activations once. A few entries (a 70B record is about
// 140 MB for 384 tokens).
class synthetic_record_memo {
 public:
  template <class Make>
  std::shared_ptr<const synthetic_record> get(const workload_config& w, Make&& make) {
    return entries_.get(key_of(w), [&] { return std::make_shared<const synthetic_record>(make()); });
  }
  static synthetic_record_memo& instance() {
    static synthetic_record_memo memo;
    return memo;
  }

 private:
  // Every input of the generator. The static_asserts fail when a field is added to one of these
  // structs, so that the key is extended with it (a stale key would replay wrong activations).
  static std::vector<double> key_of(const workload_config& w) {
    static_assert(sizeof(synthetic_kind_targets) == 3 * sizeof(double), "synthetic_record_memo: key the new field");
    static_assert(sizeof(synthetic_config) == 8 * sizeof(double) + 2 * sizeof(synthetic_kind_targets),
                  "synthetic_record_memo: key the new field");
    const auto& a = w.activations;
    const auto seed_hi = static_cast<double>(w.seed >> 32), seed_lo = static_cast<double>(w.seed & 0xFFFFFFFFu);
    const auto gen_hi = static_cast<double>(a.seed >> 32), gen_lo = static_cast<double>(a.seed & 0xFFFFFFFFu);
    return {static_cast<double>(w.model.layers), static_cast<double>(w.model.attention_neurons()),
            static_cast<double>(w.model.ffn_neurons()), static_cast<double>(w.batch),
            static_cast<double>(w.input_len), static_cast<double>(w.output_len),
            static_cast<double>(w.profile_tokens), seed_hi, seed_lo, gen_hi, gen_lo,
            a.ffn.sparsity, a.ffn.long_range_similarity, a.ffn.layer_coupling,
            a.attention.sparsity, a.attention.long_range_similarity, a.attention.layer_coupling,
            a.hot_fraction, a.hot_share, a.adjacent_similarity, a.hot_turnover,
            static_cast<double>(a.turnover_horizon), a.layer_coupling, static_cast<double>(a.drift_period)};
  }
  bounded_memo<std::vector<double>, std::shared_ptr<const synthetic_record>, 3> entries_;
};

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
    w_.validate();
    synthetic_ = detail::synthetic_record_memo::instance().get(w_, [this] { return make_record(); });
    recorded_ = std::shared_ptr<const activation_trace>(synthetic_, &synthetic_->tokens);
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
    return slice(0, w_.profile_tokens);
  }

  // The predictor's correlation table (Sec IV-C.1: top-k correlated neurons of the previous
  // layer, sampled offline): the generator's ground truth, or estimated from a recorded profile.
  [[nodiscard]] correlation_table correlations(std::size_t top_k) {
    if (!synthetic_) return correlation_table::from_trace(*recorded_, 0, w_.profile_tokens, top_k);
    correlation_table table(layout_, top_k);
    std::vector<correlation_table::index> top(top_k);
    for (std::size_t l = 1; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto& truth = synthetic_->predecessors[l * layer_kinds + static_cast<std::size_t>(k)];
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
    cursor_ = w_.profile_tokens + w_.input_len;
    return slice(w_.profile_tokens, w_.input_len);
  }

  // The next decoded token, the union over the batch.
  void next_union(token_masks& out) {
    if (cursor_ >= recorded_->tokens())
      throw error("batch_activations: all " + std::to_string(recorded_->tokens()) + " tokens consumed");
    out.assign_from(*recorded_, cursor_++);
  }

 private:
  // Generates the whole record: the profile input (its own fork of the model), then the batch's
  // sequences (one fork each) for the prompt and the decode, unioned token by token.
  [[nodiscard]] synthetic_record make_record() const {
    synthetic_config cfg = w_.activations;
    cfg.seed = detail::mix_seed(w_.seed, 0);
    synthetic_source model(layout_, cfg);
    synthetic_record r{activation_trace(layout_), {}};
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) r.predecessors.push_back(model.correlation(l, k));
    // The batch's forks are taken from the untouched model first; the profiler then takes the
    // model itself (it is not needed afterwards): one 60 MB state copy fewer for 70B. Each fork
    // draws from its own reseeded generator, so the order in which they are made and run does
    // not change a bit of the record.
    std::vector<synthetic_source> sequences;
    sequences.reserve(w_.batch);
    for (std::size_t b = 0; b < w_.batch; ++b) {
      sequences.push_back(model);
      sequences.back().reseed_input(detail::mix_seed(w_.seed, 2 + b));
    }
    token_masks masks(layout_), scratch(layout_);
    {
      synthetic_source profiler = std::move(model);
      profiler.reseed_input(detail::mix_seed(w_.seed, 1));
      for (std::size_t i = 0; i < w_.profile_tokens; ++i) {
        profiler.next_token(masks);
        masks.append_to(r.tokens);
      }
    }
    for (std::size_t i = 0; i < w_.input_len + w_.output_len; ++i) {
      sequences.front().next_token(masks);
      for (std::size_t b = 1; b < sequences.size(); ++b) {
        sequences[b].next_token(scratch);
        for (std::size_t l = 0; l < layout_.layers; ++l)
          for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) masks.mask(l, k) |= scratch.mask(l, k);
      }
      masks.append_to(r.tokens);
    }
    return r;
  }

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
  std::shared_ptr<const synthetic_record> synthetic_;  // null when replaying a user's trace
  std::shared_ptr<const activation_trace> recorded_;  // what is replayed, either way
  std::size_t cursor_ = 0;
};

}  // namespace hermes
