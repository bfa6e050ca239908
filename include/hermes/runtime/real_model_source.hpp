#pragma once
// Real activation masks: a llama2.c checkpoint (stories260K in data/) decoded token by token
// by the library's llama2c_transformer, made sparse the two ways the field makes a SwiGLU
// model sparse, and reported per token as token_masks (an activation_source).
//
//   dense       the checkpoint as trained. Nothing is skipped, so the text is the golden
//               text; the masks are what the magnitude rule below would skip (observation).
//   magnitude   CATS (Lee et al. 2024, arXiv 2404.08763): per layer, a threshold on |h_i|,
//               h = silu(w1 x) * (w3 x) the gated hidden activation, calibrated so that the
//               target share of |h| of a calibration run falls at or below it; during
//               generation the neurons at or below it are skipped in the math, so the text
//               changes.
//   relu_gated  relu in place of silu on the same weights (ffn_kind::relu_glu, the untrained
//               form of ReLU-fied LLaMA: Mirzadeh et al. 2023 "ReLU Strikes Back", ProSparse):
//               the natural zeros of h are the mask; nothing else is thresholded in the FFN.
//
// Attention input (every mode): the QKV input channel i of layer l "fires" when |x_i| of the
// normalised layer input exceeds a per-layer threshold calibrated the same way (TEAL, Liu et
// al. 2024, arXiv 2408.14690, thresholds the input of each projection by magnitude). In the
// magnitude and relu_gated modes the channels below it are skipped in the math (TEAL skips
// the matching weight columns); in dense mode they are only reported. attention_sparsity = 0
// leaves the QKV input dense (all non-zero channels fire).
//
// Calibration: the mode's model (silu or relu FFN) runs without skipping over the calibration
// prompts; the thresholds are per-layer quantiles of the magnitudes seen there (the same rule
// as ffn_activity::firing_trace). Decoding is greedy (argmax, lowest id on ties, as llama2.c
// at temperature 0) and, unlike llama2.c, continues past a BOS the model picks (a new story
// starts), so every run has exactly the steps asked for.
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/activation/source.hpp"
#include "hermes/activation/token_masks.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/model/llama2c.hpp"
#include "hermes/model/sampler.hpp"
#include "hermes/model/tokenizer.hpp"
#include "hermes/runtime/transformer.hpp"

namespace hermes {

enum class real_sparsity_mode { dense, magnitude, relu_gated };

inline std::string_view to_string(real_sparsity_mode m) {
  switch (m) {
    case real_sparsity_mode::dense: return "dense";
    case real_sparsity_mode::magnitude: return "magnitude";
    case real_sparsity_mode::relu_gated: return "relu_gated";
  }
  return "unknown";
}
inline real_sparsity_mode parse_real_sparsity_mode(std::string_view s) {
  for (auto m : {real_sparsity_mode::dense, real_sparsity_mode::magnitude, real_sparsity_mode::relu_gated})
    if (s == to_string(m)) return m;
  throw invalid_parameter("sparsity mode", std::string(s), "dense, magnitude or relu_gated");
}

struct real_source_config {
  real_sparsity_mode mode = real_sparsity_mode::magnitude;
  // Target share of FFN neurons at or below the threshold (magnitude: skipped; dense: only
  // reported; relu_gated: unused, its zeros are natural). CATS and the Hermes paper cite 70-90%
  // with little accuracy loss; 80% is the middle of that range. 0 = no FFN threshold.
  double ffn_sparsity = 0.8;
  // Target share of QKV input channels at or below the threshold. 50%: TEAL's setting for
  // Llama-2/3 with near-dense quality, and the attention sparsity the synthetic generator uses
  // for the QKV input after the inserted ReLU (docs/parameters.md). 0 = dense QKV input.
  double attention_sparsity = 0.5;
  // The prompts the thresholds are calibrated on ("" = the no-prompt run from BOS) and the
  // forward passes per prompt.
  std::vector<std::string> calibration_prompts{std::string()};
  std::size_t calibration_steps = 64;
  // The text the source continues ("" = from BOS alone).
  std::string prompt;
  // When not empty, the tokens fed as input (teacher forcing; must start with BOS and be
  // used without a prompt): the source then still records its own argmax at every step, so a
  // sparse model can be compared position by position with a dense run's tokens.
  std::vector<int> teacher_tokens;
  // The modelled system; the masks do not depend on it. Its ffn_activation is set by `mode`.
  llama2c_system_options system{};
};

// {v : |v| > threshold} leaves `sparsity` of `values` out: the value at the `sparsity` quantile
// (index floor(sparsity * (n - 1)) of the sorted values), as ffn_activity::firing_trace.
inline float magnitude_threshold(std::vector<float> values, double sparsity) {
  if (!(sparsity > 0.0 && sparsity < 1.0))
    throw invalid_parameter("target sparsity", std::to_string(sparsity), "a value in (0, 1)");
  if (values.empty()) throw error("magnitude_threshold: no calibration values");
  const auto at = static_cast<std::size_t>(sparsity * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

// Position-by-position agreement of two token sequences from index `from` on (e.g. after the
// prompt), over the positions both have.
struct token_agreement {
  std::size_t compared = 0;
  std::size_t matching = 0;
  std::size_t first_divergence = 0;  // offset from `from` of the first difference; compared if none
  [[nodiscard]] double rate() const {
    return compared ? static_cast<double>(matching) / static_cast<double>(compared) : 1.0;
  }
};
inline token_agreement compare_tokens(std::span<const int> reference, std::span<const int> candidate,
                                      std::size_t from = 0) {
  token_agreement a;
  const std::size_t end = std::min(reference.size(), candidate.size());
  bool diverged = false;
  for (std::size_t p = from; p < end; ++p) {
    ++a.compared;
    if (reference[p] == candidate[p]) {
      ++a.matching;
    } else if (!diverged) {
      diverged = true;
      a.first_divergence = p - from;
    }
  }
  if (!diverged) a.first_divergence = a.compared;
  return a;
}

namespace detail {
inline void check_real_config(const real_source_config& c) {
  const auto fraction = [](double v, const char* field) {
    if (!(v >= 0.0 && v < 1.0)) throw invalid_parameter(field, std::to_string(v), "a share in [0, 1)");
  };
  fraction(c.ffn_sparsity, "real_source_config.ffn_sparsity");
  fraction(c.attention_sparsity, "real_source_config.attention_sparsity");
  if (c.mode == real_sparsity_mode::magnitude && c.ffn_sparsity == 0.0)
    throw invalid_parameter("real_source_config.ffn_sparsity", "0",
                            "a share in (0, 1) in magnitude mode (use dense mode for no skipping)");
  if (c.calibration_prompts.empty())
    throw invalid_parameter("real_source_config.calibration_prompts", "none",
                            "at least one prompt (\"\" = the run from BOS)");
  if (c.calibration_steps == 0)
    throw invalid_parameter("real_source_config.calibration_steps", "0", "at least 1 forward pass");
  if (!c.teacher_tokens.empty()) {
    if (!c.prompt.empty())
      throw invalid_parameter("real_source_config.prompt", c.prompt,
                              "empty when teacher_tokens are given (they are the whole input)");
    if (c.teacher_tokens.front() != tokenizer::bos_token)
      throw invalid_parameter("real_source_config.teacher_tokens[0]",
                              std::to_string(c.teacher_tokens.front()),
                              "BOS (" + std::to_string(tokenizer::bos_token) + ")");
  }
}
inline ffn_kind ffn_of(real_sparsity_mode m) {
  return m == real_sparsity_mode::relu_gated ? ffn_kind::relu_glu : ffn_kind::swiglu;
}
}  // namespace detail

// The thresholds for `config` (see the header comment): the mode's model, unskipped, over the
// calibration prompts.
template <class ExecSpace = Kokkos::DefaultExecutionSpace>
llama2c_sparsity calibrate_real_thresholds(const llama2c_checkpoint& ck, const tokenizer& tok,
                                           const real_source_config& config) {
  detail::check_real_config(config);
  const std::size_t layers = ck.config.n_layers;
  std::vector<std::vector<float>> ffn(layers), attention(layers);
  llama2c_system_options sys = config.system;
  sys.ffn_activation = detail::ffn_of(config.mode);
  const std::size_t steps = std::min(config.calibration_steps, ck.config.seq_len);
  for (const std::string& prompt : config.calibration_prompts) {
    llama2c_transformer<ExecSpace> model(ck, tok, sys);
    model.record_activity(true);
    std::vector<int> tokens = tok.encode_prompt(prompt, ck.config.seq_len);
    for (std::size_t pos = 0; pos < steps; ++pos) {
      const int next = sampler::argmax(model(tokens[pos], pos));
      if (pos + 1 >= tokens.size()) tokens.push_back(next);
    }
    const ffn_activity& a = model.activity();
    for (std::size_t l = 0; l < layers; ++l) {
      ffn[l].insert(ffn[l].end(), a.magnitude[l].begin(), a.magnitude[l].end());
      attention[l].insert(attention[l].end(), a.attention_magnitude[l].begin(), a.attention_magnitude[l].end());
    }
  }
  llama2c_sparsity s;
  s.skip = config.mode != real_sparsity_mode::dense;
  for (std::size_t l = 0; l < layers; ++l) {
    if (config.mode != real_sparsity_mode::relu_gated && config.ffn_sparsity > 0.0)
      s.ffn_threshold.push_back(magnitude_threshold(std::move(ffn[l]), config.ffn_sparsity));
    if (config.attention_sparsity > 0.0)
      s.attention_threshold.push_back(magnitude_threshold(std::move(attention[l]), config.attention_sparsity));
  }
  return s;
}

template <class ExecSpace = Kokkos::DefaultExecutionSpace>
class real_model_source {
 public:
  using model_type = llama2c_transformer<ExecSpace>;

  // Calibrates the thresholds on config.calibration_prompts first.
  real_model_source(const llama2c_checkpoint& ck, const tokenizer& tok, real_source_config config)
      : real_model_source(ck, tok, config, calibrate_real_thresholds<ExecSpace>(ck, tok, config)) {}
  // Reuses thresholds from calibrate_real_thresholds (one calibration, many prompts).
  real_model_source(const llama2c_checkpoint& ck, const tokenizer& tok, real_source_config config,
                    llama2c_sparsity thresholds)
      : config_(std::move(config)), tok_(tok),
        layout_{ck.config.n_layers, ck.config.dim, ck.config.hidden_dim},
        seq_len_(ck.config.seq_len) {
    detail::check_real_config(config_);
    llama2c_system_options sys = config_.system;
    sys.ffn_activation = detail::ffn_of(config_.mode);
    model_ = std::make_unique<model_type>(ck, tok, sys);
    thresholds_ = thresholds;
    model_->set_sparsity(std::move(thresholds));
    if (config_.teacher_tokens.empty()) {
      tokens_ = tok.encode_prompt(config_.prompt, seq_len_);
    } else {
      for (int t : config_.teacher_tokens)
        if (t < 0 || static_cast<std::size_t>(t) >= ck.config.vocab_size)
          throw invalid_parameter("real_source_config.teacher_tokens", std::to_string(t),
                                  "token ids below vocab_size = " + std::to_string(ck.config.vocab_size));
      tokens_ = config_.teacher_tokens;
    }
    prompt_tokens_ = config_.teacher_tokens.empty() ? tokens_.size() : 1;
  }

  [[nodiscard]] trace_layout layout() const { return layout_; }

  // One forward pass at the next position; `out` gets the masks it computed with.
  void next_token(token_masks& out) {
    if (pos_ >= seq_len_)
      throw error("real_model_source: all " + std::to_string(seq_len_) +
                  " positions of the model's context are used");
    const int next = sampler::argmax((*model_)(tokens_[pos_], pos_));
    out = model_->step_masks();
    predictions_.push_back(next);
    if (pos_ + 1 >= tokens_.size()) tokens_.push_back(next);
    ++pos_;
  }

  [[nodiscard]] const real_source_config& config() const { return config_; }
  [[nodiscard]] const llama2c_sparsity& thresholds() const { return thresholds_; }
  [[nodiscard]] std::size_t steps() const { return pos_; }
  // BOS and the prompt's tokens (or the teacher tokens), then every token the model picked past
  // them; tokens()[p] was the input at position p.
  [[nodiscard]] const std::vector<int>& tokens() const { return tokens_; }
  // Of tokens(), how many were given (BOS + prompt; 1 with teacher tokens, whose rest counts
  // as generated for agreement).
  [[nodiscard]] std::size_t prompt_tokens() const { return prompt_tokens_; }
  // The model's argmax at every step (with teacher forcing: its prediction of tokens()[p + 1]).
  [[nodiscard]] const std::vector<int>& predictions() const { return predictions_; }
  // What llama2.c prints for the steps so far (the prompt echoed); a BOS the model picks is a
  // story boundary and prints as a newline.
  [[nodiscard]] std::string text() const {
    std::string s;
    for (std::size_t p = 0; p < pos_ && p + 1 < tokens_.size(); ++p)
      s += tokens_[p + 1] == tokenizer::bos_token ? std::string_view("\n")
                                                  : tok_.text(tokens_[p], tokens_[p + 1]);
    return s;
  }
  [[nodiscard]] model_type& model() { return *model_; }

 private:
  real_source_config config_;
  tokenizer tok_;
  trace_layout layout_;
  std::size_t seq_len_ = 0;
  std::unique_ptr<model_type> model_;
  llama2c_sparsity thresholds_;
  std::vector<int> tokens_;
  std::vector<int> predictions_;
  std::size_t prompt_tokens_ = 0;
  std::size_t pos_ = 0;
};

static_assert(activation_source<real_model_source<>>,
              "real_model_source must model activation_source (layout() and next_token())");

}  // namespace hermes
