#include <catch2/catch.hpp>

#include "hermes/activation/statistics.hpp"

using namespace hermes;

namespace {
// Builds a trace from strings of '0'/'1', one per token, for layer 0's FFN (and copies to
// layer 1 when given).
activation_trace from_bits(const std::vector<std::string>& layer0, const std::vector<std::string>& layer1 = {}) {
  const std::size_t n = layer0.front().size();
  activation_trace t(trace_layout{layer1.empty() ? 1u : 2u, 1, n});
  for (std::size_t k = 0; k < layer0.size(); ++k) {
    t.append_token();
    for (std::size_t i = 0; i < n; ++i) {
      if (layer0[k][i] == '1') t.mask(k, 0, layer_kind::ffn).set(i);
      if (!layer1.empty() && layer1[k][i] == '1') t.mask(k, 1, layer_kind::ffn).set(i);
    }
  }
  return t;
}
}  // namespace

TEST_CASE("statistics: golden values derived by hand", "[activation][statistics]") {
  const auto t = from_bits({"1100", "1000", "0110", "1110"});
  // 8 of 16 active.
  CHECK(sparsity(t, layer_kind::ffn) == Approx(0.5));
  // d = 1: (1/2 + 0/1 + 2/2) / 3 = 1/2.  d = 2: (|1100 & 0110| / 2 + |1000 & 1110| / 1) / 2 = (1/2 + 1) / 2.
  CHECK(token_similarity(t, layer_kind::ffn, 1) == Approx(0.5));
  CHECK(token_similarity(t, layer_kind::ffn, 2) == Approx(0.75));
  CHECK(similarity_curve(t, layer_kind::ffn, 3)[0] == Approx(1.0));
  // Frequencies 3/4, 3/4, 2/4, 0: the top 25% (1 neuron) carries 3 of 8 activations.
  CHECK(hot_share(t, layer_kind::ffn, 0.25) == Approx(3.0 / 8.0));
  CHECK(top_share(std::vector<double>{1, 2, 3, 4, 10}, 0.4) == Approx(14.0 / 20.0));
  CHECK(top_neurons(std::vector<double>{0.5, 0.9, 0.5, 0.1}, 0.5) == std::vector<std::uint32_t>{1, 0});  // tie -> lower index
  // First 2 tokens: top half {0, 1} (frequencies 1, 1/2); last 2: {1, 2} (both 1): neuron 0 left.
  CHECK(hot_set_turnover(t, 0, layer_kind::ffn, 2, 0.5) == Approx(0.5));
  CHECK_THROWS_AS(token_similarity(t, layer_kind::ffn, 4), invalid_parameter);
}

TEST_CASE("statistics: layer_correlation and top_correlated on a planted dependency", "[activation][statistics]") {
  // Layer 1 neuron 0 copies layer 0 neuron 2; layer 1 neuron 1 fires when layer 0 neuron 0 AND 1 fire.
  const auto t = from_bits({"1010", "0110", "1100", "0010", "1101", "0000", "1110", "0011"},
                           {"1000", "1000", "0100", "1000", "0100", "0000", "1100", "1000"});
  const auto found = top_correlated(t, 1, layer_kind::ffn, 2, 0.0);
  CHECK(found.of(0)[0] == 2);  // P(fires | neuron 2 fired) = 1
  CHECK(found.of(1)[0] == 0);  // neurons 0 and 1 of layer 0 both give 3/4: the tie goes to 0
  CHECK(found.of(2)[0] == layer_predecessors::none);  // never fired
  // Brute force: P(i | j) for every pair, without prior.
  for (std::size_t i = 0; i < 2; ++i) {
    double best = -1.0;
    for (std::size_t j = 0; j < 4; ++j) {
      double c = 0, n = 0;
      for (std::size_t k = 0; k < t.tokens(); ++k)
        if (t.mask(k, 0, layer_kind::ffn).test(j)) {
          ++n;
          c += t.mask(k, 1, layer_kind::ffn).test(i);
        }
      if (n > 0) best = std::max(best, c / n);
    }
    const auto j0 = found.of(i)[0];
    double c = 0, n = 0;
    for (std::size_t k = 0; k < t.tokens(); ++k)
      if (t.mask(k, 0, layer_kind::ffn).test(j0)) {
        ++n;
        c += t.mask(k, 1, layer_kind::ffn).test(i);
      }
    CHECK(c / n == Approx(best));
  }
  layer_predecessors table(4, 1);
  table.of(0)[0] = 2;
  const auto lift = layer_correlation(t, 1, layer_kind::ffn, table);
  CHECK(lift.base_rate == Approx(5.0 / 8.0));  // only neuron 0 has a predecessor
  CHECK(lift.rate_given_all == Approx(1.0));
  CHECK(lift.rate_given_none == Approx(0.0));
  CHECK(top_correlated(t, 0, layer_kind::ffn).of(0)[0] == layer_predecessors::none);  // layer 0 has no predecessors
}
