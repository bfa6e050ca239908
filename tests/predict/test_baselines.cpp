#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "hermes/core/ledger.hpp"
#include "hermes/predict/all.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {
// A synthetic trace with the two properties the Hermes predictor exploits:
//  - token persistence: each neuron keeps its previous firing state with probability 0.85,
//    otherwise redraws it from its own base rate (hot neurons 0.7, cold neurons 0.05);
//  - layer correlation: FFN neuron i of layer l mostly follows attention neuron i % A of layer l,
//    attention neuron i of layer l mostly follows FFN neuron i of layer l-1.
activation_trace synthetic_trace(std::size_t tokens, std::uint64_t seed) {
  const trace_layout layout{4, 96, 160};
  activation_trace trace(layout);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  auto base_rate = [](std::size_t i) { return i % 5 == 0 ? 0.7 : 0.05; };
  for (std::size_t t = 0; t < tokens; ++t) {
    trace.append_token();
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        auto& m = trace.mask(t, l, k);
        // Layer-wise correlation with the same kind in the previous layer (predecessor()).
        const neuron_mask* previous = l > 0 ? &trace.mask(t, l - 1, k) : nullptr;
        for (std::size_t i = 0; i < m.size(); ++i) {
          bool fire;
          if (t > 0 && u(rng) < 0.85) fire = trace.mask(t - 1, l, k).test(i);
          else fire = u(rng) < base_rate(i);
          if (previous && u(rng) < 0.6) fire = previous->test(i % previous->size());
          m.set(i, fire);
        }
      }
  }
  return trace;
}

struct mock_gpu {
  // 1 TFLOP/s, no latency: a cost easy to check by hand.
  std::string_view name() const { return "mock-gpu"; }
  device_cost gemv(const gemv_work& w) const {
    device_cost c;
    c.flops_done = w.flop_count();
    c.bytes_moved = w.weight_bytes();
    c.time = seconds(w.flop_count().value() / 1e12);
    return c;
  }
  device_cost vector_op(const vector_work&) const { return {}; }
};
}  // namespace

TEST_CASE("baselines: the oracle is perfect", "[predict][oracle]") {
  const auto trace = synthetic_trace(20, 1);
  oracle_predictor p;
  const auto r = replay_trace(p, trace, 0, trace.tokens());
  CHECK(r.metrics.accuracy() == 1.0);
  CHECK(r.metrics.recall() == 1.0);
  CHECK(r.metrics.precision() == 1.0);
  CHECK(r.metrics.predicted_density() == r.metrics.true_density());
  CHECK(r.table_bytes == 0_B);
  prediction out;
  CHECK_THROWS_AS(p.predict(prediction_request{}, out), invalid_parameter);  // needs the truth
}

TEST_CASE("baselines: metrics count TP, FP, TN, FN over all neurons", "[predict][metrics]") {
  neuron_mask predicted(10), truth(10);
  for (std::size_t i : {0, 1, 2, 3}) predicted.set(i);
  for (std::size_t i : {2, 3, 4}) truth.set(i);
  prediction_metrics m;
  m.add(layer_kind::ffn, predicted, truth);
  const auto& c = m.of(layer_kind::ffn);
  CHECK(c.true_positive == 2);
  CHECK(c.false_positive == 2);
  CHECK(c.false_negative == 1);
  CHECK(c.true_negative == 5);
  CHECK(m.accuracy() == Approx(0.7));
  CHECK(m.recall() == Approx(2.0 / 3));
  CHECK(m.precision() == Approx(0.5));
  CHECK(m.predicted_density() == Approx(0.4));
  CHECK(m.true_density() == Approx(0.3));
  CHECK(m.of(layer_kind::attention).total() == 0);
  CHECK_THROWS_AS(m.add(layer_kind::ffn, neuron_mask(3), truth), invalid_parameter);
}

TEST_CASE("baselines: metrics on masks of many words equal a neuron-by-neuron count", "[predict][metrics]") {
  std::mt19937_64 rng(5);
  for (std::size_t n : {1u, 63u, 64u, 4095u, 4096u, 4097u, 9000u}) {  // around the 64-word blocks
    neuron_mask predicted(n), truth(n);
    std::uint64_t tp = 0, fp = 0, fn = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const bool p = rng() % 3 == 0, t = rng() % 4 == 0;
      predicted.set(i, p);
      truth.set(i, t);
      tp += p && t, fp += p && !t, fn += !p && t;
    }
    prediction_metrics m;
    m.add(layer_kind::attention, predicted, truth);
    const auto& c = m.of(layer_kind::attention);
    INFO("neurons " << n);
    CHECK(c.true_positive == tp);
    CHECK(c.false_positive == fp);
    CHECK(c.false_negative == fn);
    CHECK(c.true_negative == n - tp - fp - fn);
  }
}

TEST_CASE("baselines: static predictor = offline frequency only", "[predict][static]") {
  const auto trace = synthetic_trace(60, 2);
  static_predictor p(trace, 0, 30);
  prediction out;
  prediction_request r;
  r.layer = 2;
  r.kind = layer_kind::ffn;
  p.predict(r, out);
  const auto f = trace.frequency(2, layer_kind::ffn, 0, 30);
  const auto bands = frequency_bands::paper();
  for (std::size_t i = 0; i < f.size(); ++i) {
    CHECK(out.active.test(i) == (f[i] >= 0.5));
    CHECK(out.hot.test(i) == (bands.state_of(f[i]) > 10));
  }
  // No online learning: the same prediction after updates.
  neuron_mask all(f.size());
  all.fill();
  p.update(r, all);
  prediction again;
  p.predict(r, again);
  CHECK(again.active == out.active);
  CHECK(p.table_bytes() == bytes(2.0 * 8 * 4 * (2 + 3)));  // 2 bits/neuron in 64-bit words
}

TEST_CASE("baselines: Hermes beats random and static on a persistent, layer-correlated trace", "[predict][hermes]") {
  const auto trace = synthetic_trace(160, 3);
  const std::size_t prefill = 32, profile_end = 96;
  // Offline: the correlation table from a profile (tokens [0, 96)); online: states from the
  // prefill [0, 32), then decode [96, 160).
  auto table = correlation_table::from_trace(trace, 0, profile_end, 2);
  hermes_predictor hermes(trace.layout(), table);
  hermes.initialise_from_prefill(trace, 0, prefill);
  const auto h = replay_trace(hermes, trace, profile_end, trace.tokens());

  hermes_predictor_params token_only;
  token_only.signals = predictor_signals::token_only;
  hermes_predictor tok(trace.layout(), table, token_only);
  tok.initialise_from_prefill(trace, 0, prefill);
  const auto t = replay_trace(tok, trace, profile_end, trace.tokens());

  random_predictor rnd(trace.layout(), h.metrics.true_density(), 0.2, 42);
  const auto r = replay_trace(rnd, trace, profile_end, trace.tokens());
  static_predictor st(trace, 0, profile_end);
  const auto s = replay_trace(st, trace, profile_end, trace.tokens());

  INFO("hermes acc " << h.metrics.accuracy() << " recall " << h.metrics.recall() << " precision "
                     << h.metrics.precision() << "; token-only acc " << t.metrics.accuracy()
                     << "; static acc " << s.metrics.accuracy() << "; random acc " << r.metrics.accuracy());
  CHECK(h.metrics.accuracy() > r.metrics.accuracy());
  CHECK(h.metrics.accuracy() > s.metrics.accuracy());
  CHECK(h.metrics.recall() > r.metrics.recall());
  CHECK(h.metrics.precision() > r.metrics.precision());
  CHECK(r.metrics.predicted_density() == Approx(r.metrics.true_density()).margin(0.02));
  CHECK(h.table_bytes == hermes.table_bytes());
  CHECK(h.table_bytes > 0_B);
}

TEST_CASE("baselines: correlation table from a trace matches brute-force phi", "[predict][correlation]") {
  const auto trace = synthetic_trace(50, 4);
  const std::size_t k = 2;
  const auto table = correlation_table::from_trace(trace, 5, 45, k);
  const auto& layout = trace.layout();
  const double n = 40;
  for (std::size_t l = 0; l < layout.layers; ++l)
    for (layer_kind kind : {layer_kind::attention, layer_kind::ffn}) {
      layer_ref prev;
      if (!predecessor({l, kind}, prev)) {
        CHECK_FALSE(table.has_predecessor(l, kind));
        continue;
      }
      for (std::size_t i = 0; i < layout.neurons(kind); i += 7) {
        // phi of every candidate, by definition.
        std::vector<double> phi(layout.neurons(prev.kind), 0.0);
        double ni = 0;
        for (std::size_t t = 5; t < 45; ++t) ni += trace.mask(t, l, kind).test(i);
        for (std::size_t j = 0; j < phi.size(); ++j) {
          double nj = 0, both = 0;
          for (std::size_t t = 5; t < 45; ++t) {
            const bool a = trace.mask(t, l, kind).test(i), b = trace.mask(t, prev.layer, prev.kind).test(j);
            nj += b;
            both += a && b;
          }
          const double den = ni * (n - ni) * nj * (n - nj);
          phi[j] = den > 0 ? (n * both - ni * nj) / std::sqrt(den) : 0.0;
        }
        const auto top = table.top(l, kind, i);
        REQUIRE(top.size() == k);
        double last = 2;
        for (auto j : top) {
          if (j == correlation_table::empty_slot) continue;
          CHECK(phi[j] > 0);
          CHECK(phi[j] <= last + 1e-12);
          last = phi[j];
        }
        // Nothing left out beats the chosen ones.
        std::size_t better = 0;
        for (std::size_t j = 0; j < phi.size(); ++j)
          if (phi[j] > last + 1e-12) ++better;
        const std::size_t filled = static_cast<std::size_t>(
            std::count_if(top.begin(), top.end(), [](auto j) { return j != correlation_table::empty_slot; }));
        CHECK(better <= filled);
      }
    }
}

TEST_CASE("baselines: Deja Vu predictor charges its MLP to the ledger and models its quality", "[predict][dejavu]") {
  const auto trace = synthetic_trace(30, 5);
  ledger l;
  const auto gpu = l.add_resource("gpu", resource_kind::compute);
  dejavu_predictor_params params;
  params.hidden = 96;
  params.rank = 16;
  params.recall = 0.9;
  params.precision = 0.8;
  params.seed = 9;
  dejavu_predictor<mock_gpu> p(trace.layout(), params, mock_gpu{}, l, gpu);
  const auto r = replay_trace(p, trace, 0, trace.tokens());
  CHECK(r.metrics.recall() == Approx(0.9).margin(0.03));
  CHECK(r.metrics.precision() == Approx(0.8).margin(0.03));
  // Storage: (hidden + neurons) x rank FP16 parameters per layer and kind.
  const double per_layer = (96 + 96) * 16 + (96 + 160) * 16;
  CHECK(r.table_bytes == bytes(4 * per_layer * 2));
  // Compute: 2 FLOPs per parameter per predicted layer and token, all on the GPU.
  CHECK(l.resource(gpu).flops_done == flops(2 * per_layer * 4 * 30));
  CHECK(l.resource(gpu).stage_busy("predictor").value() == Approx(2 * per_layer * 4 * 30 / 1e12));
  // The prediction is available when the charged work ends.
  prediction out;
  prediction_request req;
  req.layer = 0;
  req.kind = layer_kind::ffn;
  req.truth = &trace.mask(0, 0, layer_kind::ffn);
  req.ready = l.free_at(gpu);
  p.predict(req, out);
  CHECK(out.available.value() == Approx((req.ready + seconds(2.0 * (96 + 160) * 16 / 1e12)).value()));
  params.precision = 0;
  CHECK_THROWS_AS(dejavu_predictor<mock_gpu>(trace.layout(), params, mock_gpu{}, l, gpu), invalid_parameter);
}
