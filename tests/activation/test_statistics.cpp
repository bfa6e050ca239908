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

TEST_CASE("statistics: predecessor_cofiring golden values derived by hand", "[activation][statistics]") {
  // Layer 1 neuron 0 has predecessors {0, 1}; neuron 1 has {2, none}; neurons 2, 3 have none.
  const auto t = from_bits({"1000", "0100", "0010", "0000"},   // layer 0
                           {"1100", "1000", "0100", "1000"});  // layer 1
  layer_predecessors table(4, 2);
  table.of(0)[0] = 0;
  table.of(0)[1] = 1;
  table.of(1)[0] = 2;
  const auto c = predecessor_cofiring(t, 1, layer_kind::ffn, table);
  // Neuron 0 fires on tokens 0, 1, 3; a predecessor fired on 0, 1 (one each), never both.
  // Neuron 1 fires on 0, 2; its predecessor fired on 2.
  CHECK(c.samples == 8);
  CHECK(c.fired == 5);
  CHECK(c.any == 3);
  CHECK(c.fired_with_any == 3);  // neuron 0 on tokens 0, 1; neuron 1 on token 2
  CHECK(c.all == 1);             // only neuron 1's single predecessor, token 2
  CHECK(c.fired_with_all == 1);
  CHECK(c.cofiring() == Approx(3.0 / 5.0));
  // Independence: neuron 0 fires at 3/4 with 2 any-samples, neuron 1 at 2/4 with 1.
  CHECK(c.independent_with_any == Approx(0.75 * 2 + 0.5 * 1));
  CHECK(c.chance() == Approx(2.0 / 5.0));
  CHECK(c.excess() == Approx((0.6 - 0.4) / 0.6));
  CHECK(c.base_rate() == Approx(5.0 / 8.0));
  CHECK(c.rate_given_all() == Approx(1.0));
  CHECK(c.lift() == Approx(8.0 / 5.0));
  CHECK(c.independent_with_all == Approx(0.5));
  CHECK(c.lift_over_independence() == Approx(2.0));
  // Counts pool by +=.
  auto twice = c;
  twice += c;
  CHECK(twice.fired_with_any == 6);
  CHECK(twice.cofiring() == Approx(c.cofiring()));
  CHECK(twice.chance() == Approx(c.chance()));
  // Bad input names the field.
  CHECK_THROWS_WITH(predecessor_cofiring(t, 0, layer_kind::ffn, table), Catch::Contains("layer"));
  CHECK_THROWS_AS(predecessor_cofiring(t, 1, layer_kind::ffn, layer_predecessors(3, 2)), invalid_parameter);
  layer_predecessors bad(4, 2);
  bad.of(0)[0] = 9;
  CHECK_THROWS_WITH(predecessor_cofiring(t, 1, layer_kind::ffn, bad), Catch::Contains("predecessor"));
}

TEST_CASE("statistics: predecessor_cofiring is at chance for independent neurons", "[activation][statistics]") {
  // A neuron that fires on every token co-fires with whatever fired: C = P(any), excess 0.
  const auto t = from_bits({"10", "00", "10", "00"}, {"01", "01", "01", "01"});
  layer_predecessors table(2, 1);
  table.of(1)[0] = 0;
  const auto c = predecessor_cofiring(t, 1, layer_kind::ffn, table);
  CHECK(c.cofiring() == Approx(0.5));
  CHECK(c.chance() == Approx(0.5));
  CHECK(c.excess() == Approx(0.0).margin(1e-12));
  CHECK(c.lift_over_independence() == Approx(1.0));
}

TEST_CASE("statistics: next-layer co-firing and fixed-mapping DIMM imbalance by hand", "[activation][statistics]") {
  // Layer 1 neuron 0's predecessors: layer-0 neurons 0 and 1; neuron 1's: 2 and 3; the others none.
  const auto t = from_bits({"1100", "1000", "0011", "0000"}, {"1000", "0000", "0100", "1000"});
  layer_predecessors table(4, 2);
  table.of(0)[0] = 0;
  table.of(0)[1] = 1;
  table.of(1)[0] = 2;
  table.of(1)[1] = 3;
  const auto r = next_layer_cofiring(t, 1, layer_kind::ffn, table);
  // (pair, token) samples with the predecessor firing: (0,0) t0 t1, (0,1) t0, (1,2) t2, (1,3) t2
  // = 5; the neuron fired in t0 for (0,0), (0,1) and in t2 for (1,2), (1,3): 4 of 5.
  CHECK(r.samples == 5);
  CHECK(r.given_predecessor == Approx(4.0 / 5.0));
  // Base rate over the 4 pairs x 4 tokens: neuron 0 fired on t0, t3 (2 pairs each), neuron 1 on t2.
  CHECK(r.base_rate == Approx(6.0 / 16.0));
  CHECK_THROWS_AS(next_layer_cofiring(t, 0, layer_kind::ffn, table), invalid_parameter);

  // 4 neurons, none hot, 2 DIMMs of capacity 2: profile 0.4, 0.3, 0.2, 0.1 -> LPT puts 0 on
  // DIMM 0, 1 on DIMM 1, 2 on DIMM 1 (0.3 < 0.4), 3 on DIMM 0 (0.4 < 0.5).
  const auto one = from_bits({"1111", "1100", "0011", "1000"});
  const std::vector<std::vector<double>> profile{{0.4, 0.3, 0.2, 0.1}};
  // Windows of 2 tokens: [t0, t1] DIMM 0 fired 0, 3, 0 = 3, DIMM 1 fired 1, 2, 1 = 3: ratio 1;
  // [t2, t3] DIMM 0: 3, 0 = 2, DIMM 1: 2 = 1: ratio 2. Mean 1.5, mean load (3 + 1.5) / 2.
  const auto d = fixed_mapping_imbalance(one, layer_kind::ffn, profile, 2, 2, 0.0);
  CHECK(d.samples == 2);
  CHECK(d.most_over_others == Approx(1.5));
  CHECK(d.mean_load == Approx(2.25));
  // With 25% hot, neuron 0 leaves: capacity ceil(3 / 2) = 2; 1 -> DIMM 0, 2 -> DIMM 1, 3 -> DIMM 1.
  const auto h = fixed_mapping_imbalance(one, layer_kind::ffn, profile, 2, 2, 0.25);
  // [t0, t1]: DIMM 0 fired 1 twice = 2, DIMM 1 fired 2, 3 = 2: 1; [t2, t3]: DIMM 0 0, DIMM 1 2: skipped (no other load).
  CHECK(h.samples == 1);
  CHECK(h.most_over_others == Approx(1.0));
  CHECK_THROWS_AS(fixed_mapping_imbalance(one, layer_kind::ffn, profile, 1, 2), invalid_parameter);
}
