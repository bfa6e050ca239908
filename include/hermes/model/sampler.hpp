#pragma once
// Next-token selection exactly as llama2.c's run.c does it, so that a seeded run of the same
// model picks the same tokens: temperature 0 is argmax (lowest id on ties); otherwise the
// logits are divided by the temperature, soft-maxed in float, and one xorshift64* draw picks a
// token from the full distribution or, with 0 < top_p < 1, from the nucleus (smallest set of
// most probable tokens whose mass exceeds top_p).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hermes/core/error.hpp"

namespace hermes {

class sampler {
 public:
  // top_p <= 0 or >= 1 disables nucleus sampling (llama2.c's convention); llama2.c's command
  // line default is 0.9. seed must be non-zero: xorshift has the all-zero state as a fixed point.
  sampler(float temperature, float top_p, std::uint64_t seed)
      : temperature_(temperature), top_p_(top_p), state_(seed) {
    if (!(temperature >= 0.0f) || !std::isfinite(temperature))
      throw invalid_parameter("sampler.temperature", std::to_string(temperature),
                              "a finite value >= 0 (0 = greedy)");
    if (!std::isfinite(top_p))
      throw invalid_parameter("sampler.top_p", std::to_string(top_p), "a finite value");
    if (seed == 0)
      throw invalid_parameter("sampler.seed", "0", "a non-zero seed (xorshift cannot leave 0)");
  }

  [[nodiscard]] float temperature() const { return temperature_; }
  [[nodiscard]] float top_p() const { return top_p_; }

  // Picks the next token. Modifies `logits` in place (scaling, softmax), as llama2.c does.
  int operator()(std::span<float> logits) {
    if (logits.empty()) throw error("sampler: no logits");
    if (temperature_ == 0.0f) return argmax(logits);
    for (float& l : logits) l /= temperature_;
    softmax(logits);
    const float coin = random_f32();
    if (top_p_ <= 0.0f || top_p_ >= 1.0f) return sample_mult(logits, coin);
    return sample_top_p(logits, coin);
  }

  [[nodiscard]] static int argmax(std::span<const float> v) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < v.size(); ++i)
      if (v[i] > v[best]) best = i;
    return static_cast<int>(best);
  }

  // In-place float softmax with the maximum subtracted first, as llama2.c.
  static void softmax(std::span<float> x) {
    float max_val = x[0];
    for (float v : x) max_val = std::max(max_val, v);
    float sum = 0.0f;
    for (float& v : x) {
      v = std::exp(v - max_val);
      sum += v;
    }
    for (float& v : x) v /= sum;
  }

  // xorshift64* (llama2.c random_u32 / random_f32).
  std::uint32_t random_u32() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return static_cast<std::uint32_t>((state_ * 0x2545F4914F6CDD1Dull) >> 32);
  }
  float random_f32() { return static_cast<float>(random_u32() >> 8) / 16777216.0f; }

 private:
  static int sample_mult(std::span<const float> p, float coin) {
    float cdf = 0.0f;
    for (std::size_t i = 0; i < p.size(); ++i) {
      cdf += p[i];
      if (coin < cdf) return static_cast<int>(i);
    }
    return static_cast<int>(p.size() - 1);  // rounding left the cdf below the coin
  }

  int sample_top_p(std::span<const float> p, float coin) {
    if (p.size() == 1) return 0;
    // Tokens below (1 - top_p) / (n - 1) cannot be in the nucleus: dropping them first keeps
    // the sort short (llama2.c's cutoff).
    const float cutoff = (1.0f - top_p_) / static_cast<float>(p.size() - 1);
    candidates_.clear();
    for (std::size_t i = 0; i < p.size(); ++i)
      if (p[i] >= cutoff) candidates_.push_back({p[i], static_cast<int>(i)});
    // A near-uniform distribution with a tiny top_p can leave no token above the cutoff (llama2.c
    // then reads out of bounds); the nucleus is then the single most probable token.
    if (candidates_.empty()) return argmax(p);
    // glibc's qsort (llama2.c) is a stable merge sort for arrays this small.
    std::stable_sort(candidates_.begin(), candidates_.end(),
                     [](const candidate& a, const candidate& b) { return a.prob > b.prob; });
    float cumulative = 0.0f;
    std::size_t last = candidates_.size() - 1;
    for (std::size_t i = 0; i < candidates_.size(); ++i) {
      cumulative += candidates_[i].prob;
      if (cumulative > top_p_) { last = i; break; }
    }
    const float r = coin * cumulative;
    float cdf = 0.0f;
    for (std::size_t i = 0; i <= last; ++i) {
      cdf += candidates_[i].prob;
      if (r < cdf) return candidates_[i].index;
    }
    return candidates_[last].index;
  }

  struct candidate {
    float prob;
    int index;
  };

  float temperature_;
  float top_p_;
  std::uint64_t state_;
  std::vector<candidate> candidates_;
};

}  // namespace hermes
