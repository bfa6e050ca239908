#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "hermes/activation/propensity_law.hpp"
#include "hermes/activation/statistics.hpp"
#include "hermes/activation/synthetic_source.hpp"
#include "hermes/activation/trace_replay.hpp"

using namespace hermes;

namespace {
// Large enough that per-layer sampling noise is small, small enough for sanitizer runs.
const trace_layout shape{12, 1024, 4096};

struct no_layout {
  void next_token(token_masks&) {}
};
struct no_next_token {
  trace_layout layout() const { return {}; }
};
struct minimal_source {
  trace_layout layout() const { return {1, 1, 1}; }
  void next_token(token_masks& m) { m.mask(0, layer_kind::ffn).set(0); }
};
}  // namespace

TEST_CASE("activation_source: what models the concept and what does not", "[activation][source]") {
  static_assert(activation_source<synthetic_source>);
  static_assert(activation_source<trace_replay>);
  static_assert(activation_source<minimal_source>, "two members are all a custom source needs");
  static_assert(!activation_source<no_layout>, "a source without layout() is not a source");
  static_assert(!activation_source<no_next_token>, "a source without next_token() is not a source");
  minimal_source m;
  const auto t = record(m, 3);
  CHECK(t.tokens() == 3);
  CHECK(t.mask(2, 0, layer_kind::ffn).test(0));
}

TEST_CASE("propensity_law: calibration meets density, hot share and similarity floor", "[activation][synthetic]") {
  const auto law = propensity_law::calibrate(0.10, 0.20, 0.80, 0.70);
  CHECK(law.density() == Approx(0.10).epsilon(1e-9));
  CHECK(law.share_of_top(0.20) == Approx(0.80).epsilon(1e-6));
  CHECK(law.similarity_floor() == Approx(0.70).epsilon(1e-6));
  // The slots' mean is the density exactly, whatever the width, and p never increases with rank.
  for (std::size_t n : {7u, 1000u, 28672u}) {
    const auto p = law.slots(n);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      sum += p[i];
      if (i) REQUIRE(p[i] <= p[i - 1]);
    }
    CHECK(sum / static_cast<double>(n) == Approx(0.10).epsilon(1e-9));
  }
  // Closed forms against a midpoint-rule integral of p and p^2.
  double d = 0.0, d2 = 0.0;
  const int steps = 2000000;
  for (int s = 0; s < steps; ++s) {
    const double p = law.at((s + 0.5) / steps);
    d += p / steps;
    d2 += p * p / steps;
  }
  CHECK(d == Approx(law.density()).epsilon(1e-4));
  CHECK(d2 / d == Approx(law.similarity_floor()).epsilon(1e-4));
  // A flat law cannot carry 80% in 20% of neurons at 90% density: rejected, not clamped.
  CHECK_THROWS_AS(propensity_law::calibrate(0.9, 0.2, 0.8, 0.95), invalid_parameter);
  // Near the steepest head the solves saturate: a law that would miss its density is refused.
  CHECK_THROWS_AS(propensity_law::calibrate(0.1087, 0.2, 0.8, 0.80), invalid_parameter);
  CHECK_NOTHROW(propensity_law::calibrate(0.1087, 0.2, 0.8, 0.76));
}

TEST_CASE("synthetic_source: the same seed gives bit-identical traces, another seed does not", "[activation][synthetic]") {
  synthetic_source a(shape), b(shape);
  const auto ta = record(a, 20), tb = record(b, 20);
  for (std::size_t t = 0; t < 20; ++t)
    for (std::size_t l = 0; l < shape.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) REQUIRE(ta.mask(t, l, k) == tb.mask(t, l, k));
  synthetic_config other;
  other.seed = 7;
  synthetic_source c(shape, other);
  const auto tc = record(c, 1);
  CHECK_FALSE(tc.mask(0, 3, layer_kind::ffn) == ta.mask(0, 3, layer_kind::ffn));
  // Copies are independent and continue identically.
  synthetic_source d = a;
  token_masks x(shape), y(shape);
  a.next_token(x);
  d.next_token(y);
  CHECK(x.mask(5, layer_kind::ffn) == y.mask(5, layer_kind::ffn));
}

// The calibration targets (docs/parameters.md "Synthetic activations", docs/activation-statistics.md),
// each measured on generated traces the way statistics.hpp defines it, with its tolerance.
TEST_CASE("synthetic_source: every calibration target is met on a small shape", "[activation][synthetic][calibration]") {
  synthetic_source src(shape);
  const synthetic_source model = src;  // untouched, for the profiling input below
  const auto trace = record(src, 256);
  const auto& ffn = src.calibration(layer_kind::ffn);

  SECTION("density per layer kind (ProSparse / ReLU Strikes Back: 90% FFN, 50% QKV input)") {
    CHECK(sparsity(trace, layer_kind::ffn) == Approx(0.90).margin(0.012));
    CHECK(sparsity(trace, layer_kind::attention) == Approx(0.50).margin(0.02));
  }
  SECTION("power law: the top 20% of FFN neurons carry about 80% of the activations (Sec III-A)") {
    const double h = hot_share(trace, layer_kind::ffn, 0.2);
    INFO("top-20% share " << h);
    CHECK(h == Approx(0.80).margin(0.05));
  }
  SECTION("token-wise similarity: over 90% adjacent, about 70% beyond 10 tokens (Fig 4a)") {
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      const auto s = similarity_curve(trace, k, 32);
      double far = 0.0;
      for (std::size_t d = 11; d <= 32; ++d) far += s[d] / 22.0;
      const auto& c = src.calibration(k);
      INFO(std::string(to_string(k)) << ": S(1) " << s[1] << " (model " << c.similarity(1) << "), mean S(11..32) " << far
                                     << " (model " << c.long_range_similarity() << ")");
      CHECK(s[0] == Approx(1.0));
      CHECK(s[1] > 0.90);
      CHECK(s[1] == Approx(c.similarity(1)).margin(0.015));
      CHECK(far == Approx(c.long_range_similarity()).margin(0.03));
      CHECK(far == Approx(0.70).margin(0.05));  // drift costs a few points (docs/parameters.md)
      CHECK(s[5] > s[10]);                       // decaying before it flattens
    }
  }
  SECTION("layer-wise correlation: a correlated predecessor fired -> the neuron fires with > 90% (Fig 4b)") {
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      double given = 0.0, base = 0.0;
      for (std::size_t l = 1; l < shape.layers; ++l) {
        const auto r = next_layer_cofiring(trace, l, k, src.correlation(l, k));
        given += r.given_predecessor / static_cast<double>(shape.layers - 1);
        base += r.base_rate / static_cast<double>(shape.layers - 1);
      }
      INFO(std::string(to_string(k)) << ": P(fire | predecessor fired) " << given << ", base rate " << base);
      CHECK(given > 0.90);
      CHECK(given == Approx(src.config().next_layer_cofiring).margin(0.01));
    }
    // Without the chain the predecessors tell (almost) nothing: the statistic falls to the
    // neurons' own rates, which are high for hot clusters.
    synthetic_config off;
    off.layer_coupling = 0.0;
    synthetic_source flat(shape, off);
    const auto ft = record(flat, 256);
    const auto r = next_layer_cofiring(ft, 5, layer_kind::ffn, flat.correlation(5, layer_kind::ffn));
    const auto on = next_layer_cofiring(trace, 5, layer_kind::ffn, src.correlation(5, layer_kind::ffn));
    INFO("uncoupled: P(fire | predecessor fired) " << r.given_predecessor << " vs coupled " << on.given_predecessor);
    CHECK(r.given_predecessor < on.given_predecessor - 0.1);
    CHECK(sparsity(ft, layer_kind::ffn) == Approx(0.90).margin(0.012));
  }
  SECTION("hot-set turnover: about half of the prompt's hot neurons are not hot in the decode (Sec III-B)") {
    // Measured as the paper can: the top 20% of the first 128 tokens against the top 20% of the
    // next 128, sampling noise included.
    double left = 0.0;
    for (std::size_t l = 0; l < shape.layers; ++l) left += hot_set_turnover(trace, l, layer_kind::ffn, 128) / shape.layers;
    INFO("measured turnover " << left);
    CHECK(left == Approx(0.52).margin(0.08));
  }
  SECTION("no frozen block: no FFN neuron fires on every token, and the latent head moves too") {
    std::size_t always = 0, neurons = 0;
    for (std::size_t l = 0; l < shape.layers; ++l) {
      for (double f : trace.frequency(l, layer_kind::ffn, 0, trace.tokens())) always += f >= 1.0;
      neurons += shape.ffn_neurons;
    }
    INFO(always << " of " << neurons << " FFN neurons fired on all 256 tokens");
    CHECK(static_cast<double>(always) < 0.002 * static_cast<double>(neurons));
    // The latent top 20% (head included) turns over at the calibrated rate.
    const neuron_mask before = model.hot_set(3, layer_kind::ffn), after = src.hot_set(3, layer_kind::ffn);
    const double moved = 1.0 - static_cast<double>(before.intersection_count(after)) / static_cast<double>(before.count());
    const double expected = (1.0 - std::exp(-ffn.drift_rate * 256.0)) * (1.0 - src.config().hot_fraction);
    INFO("latent hot set moved " << moved << " over 256 tokens, expected " << expected);
    CHECK(moved == Approx(expected).margin(0.1));
    CHECK(moved > 0.2);
  }
  SECTION("a placement fixed from another input's profile leaves the DIMMs unevenly loaded (Sec IV-D)") {
    synthetic_source profiler = model;
    profiler.reseed_input(12345);
    const auto profile_trace = record(profiler, 128);
    std::vector<std::vector<double>> profile;
    for (std::size_t l = 0; l < shape.layers; ++l) profile.push_back(profile_trace.frequency(l, layer_kind::ffn, 0, 128));
    const auto r = fixed_mapping_imbalance(trace, layer_kind::ffn, profile, 8, 5);
    INFO("most loaded over the others: " << r.most_over_others << ", mean load " << r.mean_load << " firings per DIMM and window");
    CHECK(r.most_over_others > 1.1);
    CHECK(r.most_over_others < 2.5);
    CHECK(r.mean_load > 20.0);
  }
}

TEST_CASE("synthetic_source: predecessors are members of the neuron's cluster in the previous layer", "[activation][synthetic]") {
  synthetic_source src(shape);
  for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
    const auto here = src.clusters(5, k), before = src.clusters(4, k);
    const auto table = src.correlation(5, k);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < table.neurons(); ++i) {
      for (auto j : table.of(i)) bad += before[j] != here[i];
      REQUIRE(table.of(i)[0] != table.of(i)[1]);
    }
    INFO(to_string(k));
    CHECK(bad == 0);
    CHECK(src.calibration(k).clusters == (k == layer_kind::ffn ? 256u : 64u));  // 64 x words / cluster_size
  }
  // Layers under 64 neurons: one cluster per neuron; predecessors still valid and distinct.
  synthetic_source tiny(trace_layout{3, 5, 40});
  const auto t = tiny.correlation(2, layer_kind::ffn);
  for (std::size_t i = 0; i < 40; ++i) {
    CHECK(t.of(i)[0] < 40u);
    CHECK(t.of(i)[1] < 40u);
    CHECK(t.of(i)[0] != t.of(i)[1]);
  }
  const auto tt = record(tiny, 64);
  CHECK(tt.tokens() == 64);
}

TEST_CASE("top_correlated finds predecessors in the generator's ground-truth clusters", "[activation][statistics]") {
  // Every member of a neuron's cluster in the previous layer is an equally good predecessor:
  // estimated ones count as right when they are in the neuron's cluster. Chance is 1 / clusters.
  const trace_layout narrow{3, 256, 2048};
  synthetic_source src(narrow);
  const auto trace = record(src, 1024);
  for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
    const auto here = src.clusters(2, k), before = src.clusters(1, k);
    const auto found = top_correlated(trace, 2, k, 2);
    std::size_t hits = 0, tried = 0;
    for (std::size_t i = 0; i < found.neurons(); ++i) {
      if (found.of(i)[0] == layer_predecessors::none) continue;
      for (auto j : found.of(i)) {
        if (j == layer_predecessors::none) continue;
        ++tried;
        hits += before[j] == here[i];
      }
    }
    INFO(to_string(k) << ": " << hits << " of " << tried << " in the neuron's cluster");
    CHECK(static_cast<double>(hits) / static_cast<double>(tried) > 0.5);
  }
}

TEST_CASE("synthetic_source: impossible targets are rejected with the field named", "[activation][synthetic]") {
  synthetic_config c;
  c.ffn.sparsity = 1.2;
  CHECK_THROWS_WITH(synthetic_source(shape, c), Catch::Contains("ffn.sparsity"));
  c = {};
  c.hot_turnover = 0.9;  // a jumper lands in the hot set again with chance hot_fraction
  CHECK_THROWS_WITH(synthetic_source(shape, c), Catch::Contains("hot_turnover"));
  c = {};
  c.cluster_size = 1;
  CHECK_THROWS_WITH(synthetic_source(shape, c), Catch::Contains("cluster_size"));
  c = {};
  c.next_layer_cofiring = 0.05;  // below the FFN density: a gate would have to open more than always
  CHECK_THROWS_WITH(synthetic_source(shape, c), Catch::Contains("next_layer_cofiring"));
  c = {};
  c.adjacent_similarity = 0.6;  // below the long-range similarity
  CHECK_THROWS_AS(synthetic_source(shape, c), invalid_parameter);
  c = {};
  c.ffn.long_range_similarity = 0.85;  // the 20/80 power law cannot be that flat at 10% density
  CHECK_THROWS_AS(synthetic_source(shape, c), invalid_parameter);
  CHECK_THROWS_AS(synthetic_source(trace_layout{0, 4, 4}), invalid_parameter);
}

TEST_CASE("trace_replay: replays a recorded trace token by token", "[activation][source]") {
  synthetic_source src(trace_layout{3, 70, 130});
  const auto trace = record(src, 5);
  trace_replay replay(trace);
  const auto again = record(replay, 5);
  for (std::size_t t = 0; t < 5; ++t)
    for (std::size_t l = 0; l < 3; ++l) CHECK(again.mask(t, l, layer_kind::ffn) == trace.mask(t, l, layer_kind::ffn));
  token_masks m(trace.layout());
  CHECK_THROWS_WITH(replay.next_token(m), Catch::Contains("token 5"));
  replay.rewind();
  const auto prompt = read_prompt(replay, 4);
  CHECK(prompt.profile.frequencies(1, layer_kind::ffn) == trace.frequency(1, layer_kind::ffn, 0, 4));
}

TEST_CASE("synthetic_source: a reseed continues from the last token handed out", "[activation][synthetic]") {
  // Token-wise persistence makes that visible: the first token after the reseed is adjacent to
  // the last before it (S(1) = 92%).
  const trace_layout layout{3, 1024, 4096};
  synthetic_source a(layout);
  token_masks before(layout), after(layout);
  for (int t = 0; t < 5; ++t) a.next_token(before);
  a.reseed_input(99);
  a.next_token(after);
  CHECK(a.tokens_generated() == 6);
  const auto& x = before.mask(1, layer_kind::ffn);
  const auto& y = after.mask(1, layer_kind::ffn);
  CHECK(static_cast<double>(x.intersection_count(y)) / static_cast<double>(x.count()) > 0.86);

  // A copy continues as the original does; reseeded alike, both continue alike.
  synthetic_source b(layout), c(layout);
  token_masks tb(layout), tc(layout);
  for (int t = 0; t < 5; ++t) b.next_token(tb);
  for (int t = 0; t < 5; ++t) c.next_token(tc);
  synthetic_source d = c;
  b.reseed_input(99);
  d.reseed_input(99);
  for (int t = 0; t < 20; ++t) {
    b.next_token(tb);
    d.next_token(tc);
    REQUIRE(tb.mask(2, layer_kind::ffn).words() == tc.mask(2, layer_kind::ffn).words());
  }
}
