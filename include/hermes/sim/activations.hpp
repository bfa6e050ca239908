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
//
// A synthetic workload has two halves with their own seeds. workload.model_seed draws the model
// instance (rank slots, predecessors: which neurons are hot, how layers correlate) and its
// offline profiling input; workload.seed draws the input, the prompt and decoded tokens of every
// sequence. As with a deployed model, the offline half is made once per model: runs that differ
// in their input (seed, batch, lengths) share it, and with it the profile-driven placement.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "hermes/activation/random.hpp"
#include "hermes/activation/synthetic_source.hpp"
#include "hermes/activation/token_masks.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/activation/trace_replay.hpp"
#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/predict/correlation_table.hpp"
#include "hermes/sim/bounded_memo.hpp"
#include "hermes/sim/config.hpp"

namespace hermes {

// The model half, made once per model instance: the model itself, untouched (the batch's
// sequences fork from it), the offline profiling input's tokens, and the ground-truth
// predecessors of every layer (the predictor's correlation table).
struct synthetic_model_record {
  synthetic_source model;
  activation_trace profile;
  std::vector<layer_predecessors> predecessors;  // [layer * 2 + kind]
};

// The input half: the prompt's tokens, then the decoded tokens, each the union over the batch.
// Systems compared on one workload replay the same record.
struct synthetic_input_record {
  activation_trace tokens;  // [0, input_len) prompt; then output_len decoded tokens
  // With a batch, for the decoded tokens: plane p holds bit p of (the number of sequences that
  // fire the neuron - 1) for the neurons of the union (0 elsewhere); bit_width(batch - 1) planes,
  // none at batch 1. What per-sequence charging needs (device_neuron_counts).
  std::vector<activation_trace> extra_firings;
};

namespace detail {

// The generator is deterministic in its inputs, so both halves are memoised per process on
// exactly those: hermes-sim's side-by-side systems, sweeps and the reproduction make each model
// once and each workload's input once. A few entries each (LLaMA2-70B: a model record is about
// 140 MB, an input record 94 MB for 256 tokens).
class synthetic_record_memo {
 public:
  template <class Make>
  std::shared_ptr<const synthetic_model_record> model(const workload_config& w, Make&& make) {
    return models_.get(model_key(w), [&] { return std::make_shared<const synthetic_model_record>(make()); });
  }
  template <class Make>
  std::shared_ptr<const synthetic_input_record> input(const workload_config& w, Make&& make) {
    return inputs_.get(input_key(w), [&] { return std::make_shared<const synthetic_input_record>(make()); });
  }
  static synthetic_record_memo& instance() {
    static synthetic_record_memo memo;
    return memo;
  }

 private:
  static void push_seed(std::vector<double>& key, std::uint64_t seed) {
    key.push_back(static_cast<double>(seed >> 32));
    key.push_back(static_cast<double>(seed & 0xFFFFFFFFu));
  }
  // Every input of the model half. The static_asserts fail when a field is added to one of these
  // structs, so that the key is extended with it (a stale key would replay wrong activations).
  // synthetic_config::seed is not keyed: the engine seeds the generator from model_seed and
  // requires activations.seed at its default (workload_config::validate()).
  static std::vector<double> model_key(const workload_config& w) {
    static_assert(sizeof(synthetic_kind_targets) == 2 * sizeof(double), "synthetic_record_memo: key the new field");
    static_assert(sizeof(synthetic_config) == 9 * sizeof(double) + 2 * sizeof(synthetic_kind_targets),
                  "synthetic_record_memo: key the new field");
    const auto& a = w.activations;
    std::vector<double> key{static_cast<double>(w.model.layers), static_cast<double>(w.model.attention_neurons()),
                            static_cast<double>(w.model.ffn_neurons()), static_cast<double>(w.profile_tokens),
                            a.ffn.sparsity, a.ffn.long_range_similarity, a.attention.sparsity,
                            a.attention.long_range_similarity, a.hot_fraction, a.hot_share, a.adjacent_similarity,
                            a.next_layer_cofiring, a.hot_turnover, static_cast<double>(a.turnover_horizon), a.layer_coupling,
                            static_cast<double>(a.cluster_size)};
    push_seed(key, w.model_seed);
    return key;
  }
  // The model half's key, plus the input's own.
  static std::vector<double> input_key(const workload_config& w) {
    std::vector<double> key = model_key(w);
    key.insert(key.end(), {static_cast<double>(w.batch), static_cast<double>(w.input_len), static_cast<double>(w.output_len)});
    push_seed(key, w.seed);
    return key;
  }
  bounded_memo<std::vector<double>, std::shared_ptr<const synthetic_model_record>, 3> models_;
  bounded_memo<std::vector<double>, std::shared_ptr<const synthetic_input_record>, 3> inputs_;
};

}  // namespace detail

class batch_activations {
 public:
  // The workload's recorded trace if it names one (workload_config::trace, replayed as below),
  // else synthetic activations for its model, calibrated by workload.activations.
  explicit batch_activations(const workload_config& w)
      : w_(w), layout_(w.trace ? w.trace->layout() : trace_layout::of(w.model)) {
    if (w.trace) {
      replay(w.trace);
      return;
    }
    w_.validate();
    auto& memo = detail::synthetic_record_memo::instance();
    model_ = memo.model(w_, [this] { return make_model(); });
    const auto input = memo.input(w_, [this] { return make_input(*model_); });
    profile_ = std::shared_ptr<const activation_trace>(model_, &model_->profile);
    run_ = std::shared_ptr<const activation_trace>(input, &input->tokens);
    if (!input->extra_firings.empty())
      extra_ = std::shared_ptr<const std::vector<activation_trace>>(input, &input->extra_firings);
    cursor_ = w_.input_len;
  }

  // A recorded trace, replayed as one sequence: its first profile_tokens tokens are the offline
  // profile, the next input_len the prompt, then output_len decoded tokens. The correlation table
  // is estimated from the profile part (statistics' top_correlated).
  batch_activations(const workload_config& w, std::shared_ptr<const activation_trace> trace)
      : w_(w), layout_(trace->layout()) {
    replay(std::move(trace));
  }

  [[nodiscard]] const trace_layout& layout() const { return layout_; }

  // The offline profiling run (Sec IV-B): an input of its own, profile_tokens long.
  [[nodiscard]] activation_trace profile_trace() const { return slice(*profile_, 0, w_.profile_tokens); }

  // The predictor's correlation table (Sec IV-C.1: top-k correlated neurons of the previous
  // layer, sampled offline): the generator's ground truth, or estimated from a recorded profile.
  [[nodiscard]] correlation_table correlations(std::size_t top_k) const {
    if (!model_) return correlation_table::from_trace(*profile_, 0, w_.profile_tokens, top_k);
    correlation_table table(layout_, top_k);
    std::vector<correlation_table::index> top(top_k);
    for (std::size_t l = 1; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto& truth = model_->predecessors[l * layer_kinds + static_cast<std::size_t>(k)];
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
  [[nodiscard]] activation_trace prompt_union() const { return slice(*run_, run_begin_, w_.input_len); }

  // The next decoded token, the union over the batch: the first call gives the token after the
  // prompt, whether or not the prompt was read.
  void next_union(token_masks& out) {
    if (cursor_ >= run_->tokens())
      throw error("batch_activations: all " + std::to_string(run_->tokens()) + " tokens consumed");
    if (extra_ != nullptr) {
      extra_out_.resize(extra_->size(), token_masks(layout_));
      for (std::size_t p = 0; p < extra_->size(); ++p)
        extra_out_[p].assign_from((*extra_)[p], cursor_ - run_begin_ - w_.input_len);
    }
    out.assign_from(*run_, cursor_++);
  }
  // The firing-count planes of the token the last next_union gave (synthetic_input_record::
  // extra_firings): empty at batch 1 and for a recorded trace (one sequence).
  [[nodiscard]] const std::vector<token_masks>& extra_firings() const { return extra_out_; }

 private:
  void replay(std::shared_ptr<const activation_trace> trace) {
    profile_ = trace;
    run_ = std::move(trace);
    run_begin_ = w_.profile_tokens;
    cursor_ = run_begin_ + w_.input_len;
    check_recorded();
  }

  // The model half: the model instance, its ground-truth predecessors, and its offline profiling
  // input (a fork of the untouched model with an input seed of its own).
  [[nodiscard]] synthetic_model_record make_model() const {
    synthetic_config cfg = w_.activations;
    cfg.seed = mix_seed(w_.model_seed, 0);
    synthetic_model_record r{synthetic_source(layout_, cfg), activation_trace(layout_), {}};
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) r.predecessors.push_back(r.model.correlation(l, k));
    synthetic_source profiler = r.model;
    profiler.reseed_input(mix_seed(w_.model_seed, 1));
    token_masks masks(layout_);
    for (std::size_t i = 0; i < w_.profile_tokens; ++i) {
      profiler.next_token(masks);
      masks.append_to(r.profile);
    }
    return r;
  }

  // The input half: the batch's sequences (one fork of the untouched model each, with its own
  // input seed) through the prompt and the decode, unioned token by token. Each fork draws from
  // its own generator, so the order in which they are made and run does not change a bit.
  [[nodiscard]] synthetic_input_record make_input(const synthetic_model_record& m) const {
    synthetic_input_record r{activation_trace(layout_), {}};
    std::vector<synthetic_source> sequences;
    sequences.reserve(w_.batch);
    for (std::size_t b = 0; b < w_.batch; ++b) {
      sequences.push_back(m.model);
      sequences.back().reseed_input(mix_seed(w_.seed, 2 + b));
    }
    token_masks masks(layout_), scratch(layout_);
    // Decoded tokens with a batch: the firing counts, bit-sliced (counter plane p = bit p of the
    // count so far), then stored as count - 1 over the union.
    const std::size_t planes = w_.batch > 1 ? static_cast<std::size_t>(std::bit_width(w_.batch - 1)) : 0;
    r.extra_firings.assign(planes, activation_trace(layout_));
    std::vector<token_masks> counter(planes > 0 ? planes + 1 : 0, token_masks(layout_));
    for (std::size_t i = 0; i < w_.input_len + w_.output_len; ++i) {
      const bool counted = planes > 0 && i >= w_.input_len;
      for (token_masks& c : counter) clear(c);
      for (std::size_t b = 0; b < sequences.size(); ++b) {
        token_masks& into = b == 0 ? masks : scratch;
        sequences[b].next_token(into);
        if (b > 0)
          for (std::size_t l = 0; l < layout_.layers; ++l)
            for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) masks.mask(l, k) |= scratch.mask(l, k);
        if (counted) add_to_counter(counter, into);
      }
      masks.append_to(r.tokens);
      if (counted) {
        // count - 1 where the count is >= 1 (the union): a borrow of 1 through the planes.
        for (std::size_t l = 0; l < layout_.layers; ++l)
          for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
            std::vector<std::uint64_t> borrow = masks.mask(l, k).words();
            for (std::size_t p = 0; p <= planes; ++p) {
              auto& w = counter[p].mask(l, k).words();
              for (std::size_t x = 0; x < w.size(); ++x) {
                const std::uint64_t v = w[x];
                w[x] = v ^ borrow[x];
                borrow[x] &= ~v;
              }
            }
          }
        for (std::size_t p = 0; p < planes; ++p) counter[p].append_to(r.extra_firings[p]);
      }
    }
    return r;
  }

  static void clear(token_masks& t) {
    for (std::size_t l = 0; l < t.layout().layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn})
        for (auto& w : t.mask(l, k).words()) w = 0;
  }
  // counter += one sequence's masks (bit-sliced ripple carry; the top plane never overflows:
  // counts reach at most the batch).
  static void add_to_counter(std::vector<token_masks>& counter, const token_masks& one) {
    const trace_layout& layout = one.layout();
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto& in = one.mask(l, k).words();
        for (std::size_t x = 0; x < in.size(); ++x) {
          std::uint64_t carry = in[x];
          for (std::size_t p = 0; p < counter.size() && carry != 0; ++p) {
            auto& w = counter[p].mask(l, k).words()[x];
            const std::uint64_t v = w;
            w = v ^ carry;
            carry &= v;
          }
        }
      }
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
    const std::size_t need =
        checked_add("profile_tokens + input_len + output_len",
                    checked_add("profile_tokens + input_len", w_.profile_tokens, w_.input_len), w_.output_len);
    if (run_->tokens() < need)
      throw invalid_parameter("trace tokens", std::to_string(run_->tokens()),
                              "at least profile_tokens + input_len + output_len = " + std::to_string(need));
  }

  [[nodiscard]] activation_trace slice(const activation_trace& from, std::size_t begin, std::size_t count) const {
    activation_trace t(layout_);
    token_masks masks(layout_);
    for (std::size_t i = 0; i < count; ++i) {
      masks.assign_from(from, begin + i);
      masks.append_to(t);
    }
    return t;
  }

  workload_config w_;
  trace_layout layout_;
  std::shared_ptr<const synthetic_model_record> model_;  // null when replaying a user's trace
  // The offline profile input's tokens from 0, and the run (prompt, then decode) from
  // run_begin_: the model and input records, or both the user's one trace.
  std::shared_ptr<const activation_trace> profile_, run_;
  std::shared_ptr<const std::vector<activation_trace>> extra_;  // null: no firing-count planes
  std::vector<token_masks> extra_out_;
  std::size_t run_begin_ = 0;
  std::size_t cursor_ = 0;  // the next decoded token's index in run_
};

}  // namespace hermes
