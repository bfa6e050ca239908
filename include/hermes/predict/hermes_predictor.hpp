#pragma once
// The Hermes online predictor (Sec IV-C.1, Fig 7) and its two ablations.
//
//   token-wise signal  s1: the neuron's 4-bit state, initialised from the prefill frequency
//                          (frequency_bands), +step_up when it fires, -step_down when not.
//   layer-wise signal  s2: how many of its top-k correlated neurons of the previous layer
//                          fired for this token (correlation_table); 0 for the first layer.
//   active  iff  s1 + lambda * s2 > T;      hot  iff  s1 > T_h.
//
// With the paper's lambda = 6, T = 15 a neuron is never predicted from its state alone
// (s1 <= 15): it needs one correlated predecessor firing and s1 >= 10, or two and s1 >= 4.
//
// Ablations (the paper's Hermes-token-adjustment / Hermes-layer-adjustment use "only one half
// of the predictor"; it does not spell out the decision rule, our definition): the missing
// signal is replaced by the midpoint of its range, so the rule and its threshold stay the same.
//   token_only: s2 := top_k / 2          ->  active iff s1 + lambda * k/2 > T   (s1 >= 10)
//               no correlation table is kept.
//   layer_only: s1 := 15 / 2             ->  active iff 7.5 + lambda * s2 > T   (s2 = 2)
//               no state table is kept; the hot set is the predicted active set (the only
//               per-neuron signal this variant has), and update() learns nothing.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/predict/correlation_table.hpp"
#include "hermes/predict/frequency_bands.hpp"
#include "hermes/predict/neuron_state_table.hpp"
#include "hermes/predict/predictor.hpp"

namespace hermes {

enum class predictor_signals { token_and_layer, token_only, layer_only };

struct hermes_predictor_params {
  double lambda = 6.0;         // weight of the layer signal (Sec IV-C.1)
  double threshold = 15.0;     // T (Sec IV-C.1)
  unsigned step_up = 4;        // state increment when the neuron fires (Sec IV-C.1)
  unsigned step_down = 1;      // state decrement when it does not (Sec IV-C.1)
  unsigned hot_threshold = 10; // T_h: hot iff state > T_h (Sec IV-C.1)
  std::size_t top_k = 2;       // correlated predecessors per neuron (Sec IV-C.1)
  // s2 counts correlated neurons next to a 4-bit state: at most 15 of them.
  static constexpr std::size_t max_top_k = 15;
  frequency_bands bands = frequency_bands::paper();
  predictor_signals signals = predictor_signals::token_and_layer;

  void validate() const {
    if (!(std::isfinite(lambda) && lambda >= 0))
      throw invalid_parameter("hermes_predictor.lambda", to_text(lambda),
                              "a finite value >= 0 (a firing correlated neuron is evidence for firing)");
    if (!std::isfinite(threshold))
      throw invalid_parameter("hermes_predictor.threshold", to_text(threshold), "a finite value");
    if (step_up > 15)
      throw invalid_parameter("hermes_predictor.step_up", std::to_string(step_up), "0..15 (4-bit state)");
    if (step_down > 15)
      throw invalid_parameter("hermes_predictor.step_down", std::to_string(step_down), "0..15 (4-bit state)");
    if (hot_threshold > 15)
      throw invalid_parameter("hermes_predictor.hot_threshold", std::to_string(hot_threshold),
                              "0..15 (hot iff the 4-bit state exceeds it)");
    if (top_k < 1 || top_k > max_top_k)
      throw invalid_parameter("hermes_predictor.top_k", std::to_string(top_k), "1.." + std::to_string(max_top_k));
  }
};

class hermes_predictor {
 public:
  using word = neuron_mask::word;

  // `correlations` may be empty for the token_only variant; otherwise its layout and top_k must
  // match. States start at 0; set them from the prefill with initialise_from_prefill().
  hermes_predictor(const trace_layout& layout, correlation_table correlations,
                   hermes_predictor_params params = {})
      : layout_(layout), params_(std::move(params)), correlations_(std::move(correlations)) {
    params_.validate();
    if (params_.signals == predictor_signals::token_only) {
      correlations_ = correlation_table{};  // this variant keeps no layer table
    } else {
      if (correlations_.empty() || !(correlations_.layout() == layout))
        throw invalid_parameter("hermes_predictor: correlation table layout",
                                correlations_.empty() ? "empty" : "different",
                                "a table built for this model's layout");
      if (correlations_.top_k() != params_.top_k)
        throw invalid_parameter("hermes_predictor: correlation table top_k",
                                std::to_string(correlations_.top_k()),
                                "params.top_k = " + std::to_string(params_.top_k));
    }
    if (params_.signals != predictor_signals::layer_only) states_ = neuron_state_table(layout);
    compute_thresholds();
  }

  // Sets every neuron's state from its firing frequency over prefill tokens [begin, end).
  void initialise_from_prefill(const activation_trace& prefill, std::size_t begin, std::size_t end) {
    if (!(prefill.layout() == layout_))
      throw invalid_parameter("hermes_predictor: prefill trace layout", "different", "the predictor's layout");
    if (begin >= end)
      throw invalid_parameter("hermes_predictor: prefill token range",
                              "[" + std::to_string(begin) + ", " + std::to_string(end) + ")",
                              "a non-empty range of prefill tokens");
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (std::size_t k = 0; k < layer_kinds; ++k) {
        const auto kind = static_cast<layer_kind>(k);
        const auto f = prefill.frequency(l, kind, begin, end);
        initialise(l, kind, f);
      }
  }

  // Sets the states of one layer from per-neuron prefill frequencies.
  void initialise(std::size_t layer, layer_kind k, std::span<const double> frequencies) {
    if (!keeps_state()) return;
    const std::size_t n = states_.neurons_of(layer, k);
    if (frequencies.size() != n)
      throw invalid_parameter("hermes_predictor: prefill frequencies", std::to_string(frequencies.size()),
                              std::to_string(n) + " values (one per neuron)");
    // Word by word: the 64 states of a word become its four bit planes at once (a set_state per
    // neuron rewrites four plane words per neuron, and the simulator initialises every layer of
    // the model each run). Lanes past the last neuron stay clear, as the table keeps them.
    using word = neuron_state_table::word;
    constexpr auto bits = static_cast<std::size_t>(bitslice::state_bits);
    word* planes = states_.planes(layer, k);
    for (std::size_t g = 0; g * 64 < n; ++g) {
      word plane[bits] = {};
      const std::size_t lanes = std::min<std::size_t>(64, n - g * 64);
      for (std::size_t j = 0; j < lanes; ++j) {
        const unsigned state = params_.bands.state_of(frequencies[g * 64 + j]);
        for (std::size_t b = 0; b < bits; ++b) plane[b] |= static_cast<word>((state >> b) & 1u) << j;
      }
      for (std::size_t b = 0; b < bits; ++b) planes[g * bits + b] = plane[b];
    }
  }

  // Two steps over the layer, 64 neurons per word.
  //  1. From the state alone, with a comparator specialised for each threshold (at_least_words):
  //     reach[v] = "active if v correlated neurons fired" = state >= threshold_[0..v], and the
  //     hot mask. With the paper's parameters these are s >= 10 and s >= 4 (reach[0] is empty),
  //     1-3 bit operations per word each.
  //  2. The layer signal, only for candidates: neurons in reach[k] but not in reach[0] (with the
  //     paper's parameters, state >= 4) read their k correlation entries and the previous
  //     layer's fired flags, held one byte per neuron so that a probe is a single load. The loop
  //     over candidates is branch-free (a branch on the number fired is mispredicted about half
  //     the time).
  void predict(const prediction_request& r, prediction& out) {
    const std::size_t n = states_or_layout_neurons(r.layer, r.kind);
    resize_mask(out.active, n);
    resize_mask(out.hot, n);
    out.available = r.ready;
    word* act = out.active.words().data();
    const std::size_t words = out.active.words().size();

    const bool layer_signal = params_.signals != predictor_signals::token_only &&
                              correlations_.has_predecessor(r.layer, r.kind);
    const std::size_t k = params_.top_k;
    const std::size_t v_max = layer_signal ? k : 0;
    const word* planes = keeps_state() ? states_.planes(r.layer, r.kind) : nullptr;

    if (reach_.size() < (v_max + 1) * words) reach_.resize((v_max + 1) * words);
    for (std::size_t v = 0; v <= v_max; ++v) {
      word* rv = reach_.data() + v * words;
      bitslice::at_least_words(planes, words, threshold_[v], rv);
      if (v > 0) {
        const word* below = rv - words;  // reach[v - 1]
        for (std::size_t g = 0; g < words; ++g) rv[g] |= below[g];
      }
    }
    const word* reach0 = reach_.data();
    if (!layer_signal) {
      std::copy(reach0, reach0 + words, act);
    } else {
      const std::uint8_t* fired = fired_bytes(r);
      const correlation_table::index* top = correlations_.raw_top(r.layer, r.kind);
      const word* reach_k = reach_.data() + v_max * words;
      const std::size_t tail = n % 64;
      for (std::size_t g = 0; g < words; ++g) {
        const word valid = g + 1 == words && tail != 0 ? (word{1} << tail) - 1 : ~word{0};
        word cand = reach_k[g] & ~reach0[g] & valid;
        word a = reach0[g];
        const correlation_table::index* row = top + g * 64 * k;
        // The table streams from memory (12 MB at LLaMA2-70B scale, beyond any cache) while the
        // candidates make the access too irregular for the hardware prefetcher: ask for the rows
        // a few words ahead (they are read next unless those words have no candidate).
        if (g + prefetch_distance < words)
          for (std::size_t line = 0; line < 64 * k * sizeof(correlation_table::index); line += 64)
            __builtin_prefetch(reinterpret_cast<const char*>(row + prefetch_distance * 64 * k) + line);
        if (k == 2) {
          // The paper's top-2: collect "one fired" and "both fired" for the word, then
          // active = reach[0] | reach[1] & one | reach[2] & both.
          word one = 0, both = 0;
          for (; cand; cand &= cand - 1) {
            const auto b = static_cast<unsigned>(std::countr_zero(cand));
            const word f0 = fired[row[2 * b]], f1 = fired[row[2 * b + 1]];
            one |= (f0 | f1) << b;
            both |= (f0 & f1) << b;
          }
          a |= (reach_.data()[words + g] & one) | (reach_k[g] & both);
        } else {
          for (; cand; cand &= cand - 1) {
            const auto b = static_cast<std::size_t>(std::countr_zero(cand));
            std::size_t count = 0;
            for (std::size_t e = 0; e < k; ++e) count += fired[row[b * k + e]];
            a |= reach_[count * words + g] & (word{1} << b);
          }
        }
        act[g] = a;
      }
    }
    neuron_state_table::trim(out.active.words(), n);
    if (planes) {
      bitslice::at_least_words(planes, words, hot_min_, out.hot.words().data());
      neuron_state_table::trim(out.hot.words(), n);
    } else {
      out.hot = out.active;  // layer_only: the predicted active set is its hot set
    }
  }

  void update(const prediction_request& r, const neuron_mask& actual) {
    const std::size_t n = states_or_layout_neurons(r.layer, r.kind);
    if (actual.size() != n)
      throw invalid_parameter("hermes_predictor.update: actual mask size", std::to_string(actual.size()),
                              std::to_string(n) + " neurons");
    if (keeps_state()) states_.update(r.layer, r.kind, actual, params_.step_up, params_.step_down);
  }

  // The host's work per prediction of a stage of `neurons` neurons (the engine charges it to the
  // host CPU while the previous stage runs): the stage's 4-bit states and its top-k correlation
  // entries of 2 bytes each are read once, two operations per neuron. Every signal variant is
  // charged the same reads (the token-only and layer-only ablations keep the table layout).
  // Measured cost of the real code: docs/performance.md.
  [[nodiscard]] vector_work host_work(std::size_t neurons) const {
    const double table_per_neuron = 0.5 + 2.0 * static_cast<double>(params_.top_k);
    vector_work w;
    w.elements = neurons;
    w.flops_per_element = 2.0;
    w.bytes_per_element = table_per_neuron / 2.0;
    return w;
  }

  // Own storage: state table + correlation table.
  [[nodiscard]] bytes table_bytes() const {
    return state_table_bytes() + correlation_table_bytes();
  }
  [[nodiscard]] bytes state_table_bytes() const {
    return keeps_state() ? states_.storage_bytes() : bytes{};
  }
  [[nodiscard]] bytes correlation_table_bytes() const {
    return correlations_.forward_bytes();
  }

  [[nodiscard]] std::uint8_t state(std::size_t layer, layer_kind k, std::size_t neuron) const {
    require_state("state()");
    return states_.state(layer, k, neuron);
  }
  // Overrides one neuron's state (a mapper that migrates state, a test pinning a case).
  void set_state(std::size_t layer, layer_kind k, std::size_t neuron, unsigned s) {
    require_state("set_state()");
    states_.set_state(layer, k, neuron, s);
  }
  [[nodiscard]] neuron_mask hot_set(std::size_t layer, layer_kind k) const {
    neuron_mask m;
    hot_set(layer, k, m);
    return m;
  }
  // Allocation-free form for callers that reuse a mask.
  void hot_set(std::size_t layer, layer_kind k, neuron_mask& out) const {
    require_state("hot_set()");
    states_.at_least(layer, k, params_.hot_threshold + 1, out);
  }

  [[nodiscard]] const hermes_predictor_params& params() const { return params_; }
  [[nodiscard]] const trace_layout& layout() const { return layout_; }
  [[nodiscard]] const correlation_table& correlations() const { return correlations_; }
  [[nodiscard]] const neuron_state_table& states() const {
    require_state("states()");
    return states_;
  }
  // Smallest state that predicts "active" when v correlated predecessors fired (16 = never).
  [[nodiscard]] unsigned min_state_for(std::size_t v) const {
    if (v > params_.top_k)
      throw invalid_parameter("min_state_for: correlated neurons fired", std::to_string(v),
                              "0..top_k = " + std::to_string(params_.top_k));
    return threshold_[v];
  }

 private:
  [[nodiscard]] bool keeps_state() const { return params_.signals != predictor_signals::layer_only; }
  void require_state(const char* what) const {
    if (!keeps_state())
      throw error(std::string("hermes_predictor::") + what +
                  ": the layer_only variant keeps no neuron state; use prediction::hot");
  }
  std::size_t states_or_layout_neurons(std::size_t layer, layer_kind k) const {
    if (layer >= layout_.layers)
      throw invalid_parameter("prediction_request.layer", std::to_string(layer),
                              "a layer index < " + std::to_string(layout_.layers));
    return layout_.neurons(k);
  }

  // threshold_[v]: smallest integer state s with s + lambda * v' > T, where v' is v for the
  // full predictor, k/2 for token_only; for layer_only s is fixed at 7.5 and the threshold is 0
  // (always) or 16 (never).
  void compute_thresholds() {
    const std::size_t k = params_.top_k;
    threshold_.assign(k + 1, 16);
    for (std::size_t v = 0; v <= k; ++v) {
      double t = 16;
      switch (params_.signals) {
        case predictor_signals::token_and_layer:
          t = std::floor(params_.threshold - params_.lambda * static_cast<double>(v)) + 1;
          break;
        case predictor_signals::token_only:
          t = std::floor(params_.threshold - params_.lambda * static_cast<double>(k) / 2.0) + 1;
          break;
        case predictor_signals::layer_only: {
          constexpr double state_midpoint = bitslice::max_state / 2.0;
          t = state_midpoint + params_.lambda * static_cast<double>(v) > params_.threshold ? 0 : 16;
          break;
        }
      }
      threshold_[v] = t <= 0 ? 0u : t >= 16 ? 16u : static_cast<unsigned>(t);
    }
    hot_min_ = params_.hot_threshold + 1;
  }

  // The previous layer's true activations, which the layer signal reads, as one byte (0 or 1)
  // per neuron in a buffer that covers every 16-bit index: a probe is then one load, and the
  // empty slot (0xFFFF) reads a byte that is always 0, so it needs no test. Expanding a mask
  // costs one table load per 8 neurons, far less than the shift-and-mask it saves on each of
  // the (many more) probes.
  const std::uint8_t* fired_bytes(const prediction_request& r) {
    if (r.previous == nullptr)
      throw invalid_parameter("prediction_request.previous", "null",
                              "the true activations of the previous layer (layer " +
                                  std::to_string(r.layer) + " has one)");
    const std::size_t np = correlations_.predecessor_neurons(r.layer, r.kind);
    if (r.previous->size() != np)
      throw invalid_parameter("prediction_request.previous size", std::to_string(r.previous->size()),
                              std::to_string(np) + " neurons of the previous layer");
    constexpr std::size_t index_space = std::size_t{correlation_table::empty_slot} + 1;
    if (fired_bytes_.size() != index_space) fired_bytes_.assign(index_space, 0);
    // Whole words are expanded (np <= 65535 keeps them inside the buffer). Bytes past np may hold
    // tail bits or a wider layer's flags from an earlier call; only indices < np and the empty
    // slot are ever read (the table validates them), and the empty slot is cleared below.
    std::uint8_t* out = fired_bytes_.data();
    const std::uint64_t* spread = byte_to_flags().data();  // hoisted: one static-init check per call
    for (const word w : r.previous->words()) {
      std::uint64_t flags[8];
      for (int byte = 0; byte < 8; ++byte) flags[byte] = spread[(w >> (8 * byte)) & 0xFFu];
      std::memcpy(out, flags, sizeof flags);
      out += sizeof flags;
    }
    fired_bytes_[correlation_table::empty_slot] = 0;
    return fired_bytes_.data();
  }
  // Bit j of a byte -> the j-th byte in memory (0 or 1) of a 64-bit value, on any endianness.
  static const std::array<std::uint64_t, 256>& byte_to_flags() {
    static const std::array<std::uint64_t, 256> table = [] {
      std::array<std::uint64_t, 256> t{};
      for (unsigned b = 0; b < 256; ++b) {
        std::uint8_t flags[8];
        for (unsigned j = 0; j < 8; ++j) flags[j] = static_cast<std::uint8_t>((b >> j) & 1u);
        std::memcpy(&t[b], flags, sizeof flags);
      }
      return t;
    }();
    return table;
  }

  trace_layout layout_;
  hermes_predictor_params params_;
  correlation_table correlations_;
  neuron_state_table states_;
  std::vector<unsigned> threshold_;
  unsigned hot_min_ = 16;                 // hot iff state >= hot_min_ (= T_h + 1; 16 = never)
  static constexpr std::size_t prefetch_distance = 8;  // words of 64 neurons ahead (bench_predictor)
  std::vector<word> reach_;               // predict(): reach[v] masks of the current layer
  std::vector<std::uint8_t> fired_bytes_; // predict(): previous layer's activations, a byte each
};

static_assert(check_predictor<hermes_predictor>());

}  // namespace hermes
