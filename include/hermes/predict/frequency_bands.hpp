#pragma once
// How a neuron's prefill activation frequency becomes its initial 4-bit state (Hermes Sec IV-C.1:
// "16 bands; above 90% -> 15, below 2% -> 0").
//
// The paper fixes only the two outer bands. Our reading (docs/parameters.md, "Predictor"): the
// 14 middle states split [2%, 90%) into 14 equal-width bands, so state s in 1..14 covers
// [2% + (s-1) * 88%/14, 2% + s * 88%/14), and 90% itself already counts as "above" (state 15).
#include <array>
#include <cstdint>
#include <string>

#include "hermes/core/error.hpp"

namespace hermes {

class frequency_bands {
 public:
  static constexpr int states = 16;  // 4-bit state: 0..15 (Hermes Sec IV-C.1)

  // lower_edges[s-1] is the smallest frequency that maps to state s (s = 1..15).
  explicit frequency_bands(const std::array<double, states - 1>& lower_edges) : edges_(lower_edges) {
    for (int s = 0; s < states - 1; ++s) {
      const double e = edges_[static_cast<std::size_t>(s)];
      if (!(e > 0.0 && e <= 1.0))
        throw invalid_parameter("frequency_bands.lower_edges[" + std::to_string(s) + "]",
                                to_text(e), "a frequency in (0, 1]");
      if (s > 0 && !(e > edges_[static_cast<std::size_t>(s - 1)]))
        throw invalid_parameter("frequency_bands.lower_edges[" + std::to_string(s) + "]",
                                to_text(e), "strictly increasing edges");
    }
  }

  // The paper's bands: below 2% -> 0, from 90% -> 15, 14 equal bands in between.
  static frequency_bands paper() {
    constexpr double low = 0.02;   // Hermes Sec IV-C.1: "below 2%" -> state 0
    constexpr double high = 0.90;  // Hermes Sec IV-C.1: "above 90%" -> state 15
    std::array<double, states - 1> e{};
    for (int s = 1; s <= states - 2; ++s)
      e[static_cast<std::size_t>(s - 1)] = low + (high - low) * (s - 1) / (states - 2);
    e[states - 2] = high;
    return frequency_bands(e);
  }

  // Initial state of a neuron that fired in a fraction `f` of the prefill tokens.
  [[nodiscard]] std::uint8_t state_of(double f) const {
    if (!(f >= 0.0 && f <= 1.0))
      throw invalid_parameter("prefill frequency", to_text(f), "a value in [0, 1]");
    // The edges increase strictly (checked on construction), so the state, the number of leading
    // edges at or below f, is the number of all edges at or below f: counted without a branch
    // (a loop that stops at the first edge above f mispredicts about once per neuron).
    unsigned s = 0;
    for (const double e : edges_) s += f >= e ? 1u : 0u;
    return static_cast<std::uint8_t>(s);
  }

  [[nodiscard]] const std::array<double, states - 1>& lower_edges() const { return edges_; }

 private:
  std::array<double, states - 1> edges_;
};

}  // namespace hermes
