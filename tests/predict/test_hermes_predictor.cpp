#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "hermes/predict/all.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {
// One layer, 70 attention and 130 FFN neurons: not multiples of 64, so tails are exercised.
trace_layout small_layout() { return trace_layout{2, 70, 130}; }

// A correlation table where neuron i of layer 1 lists neurons i and i + 1 (mod the layer width)
// of the same kind in layer 0 (predecessor(): same kind, previous layer).
correlation_table ring_table(const trace_layout& layout) {
  correlation_table t(layout, 2);
  for (std::size_t l = 1; l < layout.layers; ++l)
    for (layer_kind kind : {layer_kind::attention, layer_kind::ffn}) {
      const std::size_t n = layout.neurons(kind);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t top[] = {static_cast<std::uint16_t>(i), static_cast<std::uint16_t>((i + 1) % n)};
        t.set_top(l, kind, i, top);
      }
    }
  return t;
}

hermes_predictor make(predictor_signals s = predictor_signals::token_and_layer) {
  hermes_predictor_params p;
  p.signals = s;
  return hermes_predictor(small_layout(), ring_table(small_layout()), p);
}
}  // namespace

TEST_CASE("hermes predictor: the paper's state update examples", "[predict][hermes]") {
  const auto layout = small_layout();
  neuron_state_table t(layout);
  const unsigned start[] = {7, 10, 0, 15, 12, 11, 1};
  for (std::size_t i = 0; i < 7; ++i) t.set_state(0, layer_kind::ffn, i, start[i]);
  neuron_mask fired(layout.ffn_neurons);
  fired.set(0);  // 7 fires  -> 11 (Sec IV-C.1: +4)
  fired.set(3);  // 15 fires -> 15 (saturates)
  fired.set(4);  // 12 fires -> 15 (saturates)
  fired.set(5);  // 11 fires -> 15
  t.update(0, layer_kind::ffn, fired, 4, 1);
  CHECK(t.state(0, layer_kind::ffn, 0) == 11);
  CHECK(t.state(0, layer_kind::ffn, 1) == 9);   // 10, no fire -> 9 (Sec IV-C.1: -1)
  CHECK(t.state(0, layer_kind::ffn, 2) == 0);   // 0, no fire -> stays 0
  CHECK(t.state(0, layer_kind::ffn, 3) == 15);
  CHECK(t.state(0, layer_kind::ffn, 4) == 15);
  CHECK(t.state(0, layer_kind::ffn, 5) == 15);
  CHECK(t.state(0, layer_kind::ffn, 6) == 0);   // 1, no fire -> 0
  CHECK(t.state(0, layer_kind::ffn, 100) == 0);
  // The other layer and kind are untouched.
  CHECK(t.state(1, layer_kind::ffn, 0) == 0);
  CHECK(t.state(0, layer_kind::attention, 0) == 0);
}

TEST_CASE("hermes predictor: bit-sliced update equals a scalar saturating counter", "[predict][hermes]") {
  const auto layout = small_layout();
  std::mt19937_64 rng(7);
  for (unsigned up : {0u, 1u, 4u, 7u, 15u})
    for (unsigned down : {0u, 1u, 3u, 15u}) {
      neuron_state_table t(layout);
      std::vector<int> ref(layout.ffn_neurons);
      for (std::size_t i = 0; i < ref.size(); ++i) {
        ref[i] = static_cast<int>(rng() % 16);
        t.set_state(1, layer_kind::ffn, i, static_cast<unsigned>(ref[i]));
      }
      for (int step = 0; step < 5; ++step) {
        neuron_mask fired(layout.ffn_neurons);
        for (std::size_t i = 0; i < ref.size(); ++i) fired.set(i, rng() % 3 == 0);
        t.update(1, layer_kind::ffn, fired, up, down);
        for (std::size_t i = 0; i < ref.size(); ++i)
          ref[i] = fired.test(i) ? std::min(15, ref[i] + static_cast<int>(up))
                                 : std::max(0, ref[i] - static_cast<int>(down));
      }
      for (std::size_t i = 0; i < ref.size(); ++i) {
        INFO("up " << up << " down " << down << " neuron " << i);
        REQUIRE(t.state(1, layer_kind::ffn, i) == ref[i]);
      }
      for (unsigned c = 0; c <= 16; ++c) {
        neuron_mask ge;
        t.at_least(1, layer_kind::ffn, c, ge);
        for (std::size_t i = 0; i < ref.size(); ++i) REQUIRE(ge.test(i) == (ref[i] >= static_cast<int>(c)));
        CHECK(ge.count() <= layout.ffn_neurons);  // tail bits stay clear
      }
    }
}

TEST_CASE("hermes predictor: prefill frequency bands", "[predict][hermes][bands]") {
  const auto b = frequency_bands::paper();
  CHECK(b.state_of(0.0) == 0);
  CHECK(b.state_of(0.0199) == 0);  // below 2% -> 0
  CHECK(b.state_of(0.02) == 1);
  CHECK(b.state_of(0.95) == 15);   // above 90% -> 15
  CHECK(b.state_of(0.90) == 15);
  CHECK(b.state_of(0.8999) == 14);
  CHECK(b.state_of(1.0) == 15);
  // 14 equal bands of width 88%/14 between 2% and 90%: state s starts at 2% + (s-1) * 88%/14.
  const double width = 0.88 / 14;
  for (int s = 1; s <= 14; ++s) {
    CHECK(b.state_of(0.02 + (s - 1) * width + 1e-9) == s);
    CHECK(b.state_of(0.02 + s * width - 1e-9) == s);
  }
  // Monotone.
  for (int m = 0; m < 1000; ++m) CHECK(b.state_of(m / 1000.0) <= b.state_of((m + 1) / 1000.0));
  CHECK_THROWS_AS(b.state_of(1.5), invalid_parameter);
  CHECK_THROWS_AS(b.state_of(-0.1), invalid_parameter);
  std::array<double, 15> bad = b.lower_edges();
  bad[3] = bad[2];
  CHECK_THROWS_AS(frequency_bands(bad), invalid_parameter);

  // The predictor initialises its states through the bands.
  auto p = make();
  std::vector<double> f(small_layout().attention_neurons, 0.5);
  f[0] = 0.01;
  f[1] = 0.93;
  p.initialise(1, layer_kind::attention, f);
  CHECK(p.state(1, layer_kind::attention, 0) == 0);
  CHECK(p.state(1, layer_kind::attention, 1) == 15);
  CHECK(p.state(1, layer_kind::attention, 2) == b.state_of(0.5));
  CHECK_THROWS_AS(p.initialise(1, layer_kind::attention, std::vector<double>(3, 0.5)), invalid_parameter);
}

TEST_CASE("hermes predictor: state_of and the word-wise initialise equal a per-neuron band scan",
          "[predict][hermes][bands]") {
  // The bands by definition: the first state whose next edge is above f.
  const auto b = frequency_bands::paper();
  const auto scan = [&](double f) {
    unsigned s = 0;
    while (s < 15 && f >= b.lower_edges()[s]) ++s;
    return s;
  };
  std::mt19937_64 rng(53);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int m = 0; m < 20000; ++m) {
    const double f = m < 16 ? (m < 15 ? b.lower_edges()[static_cast<std::size_t>(m)] : 1.0) : u(rng);
    REQUIRE(b.state_of(f) == scan(f));
  }
  // Every state of both layers, tails included (70 and 130 neurons), over states set before: the
  // planes are rewritten word by word and the lanes past the last neuron stay clear.
  auto p = make();
  const auto layout = small_layout();
  for (int round = 0; round < 3; ++round)
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind kind : {layer_kind::attention, layer_kind::ffn}) {
        const std::size_t n = layout.neurons(kind);
        std::vector<double> f(n);
        for (auto& v : f) v = rng() % 4 == 0 ? static_cast<double>(rng() % 129) / 128.0 : u(rng);
        p.initialise(l, kind, f);
        for (std::size_t i = 0; i < n; ++i) REQUIRE(p.state(l, kind, i) == scan(f[i]));
        const std::uint64_t* planes = p.states().planes(l, kind);
        const std::size_t last = (n - 1) / 64;
        for (std::size_t b = 0; b < 4; ++b) CHECK((planes[4 * last + b] >> (n % 64)) == 0);  // n % 64 != 0 here
      }
}

TEST_CASE("hermes predictor: active iff s1 + 6 s2 > 15 on hand-made cases", "[predict][hermes]") {
  auto p = make();
  // Paper defaults: thresholds on s1 per number of fired correlated neurons.
  CHECK(p.min_state_for(0) == 16);  // s1 <= 15: never from the state alone
  CHECK(p.min_state_for(1) == 10);  // s1 + 6 > 15  <=> s1 >= 10
  CHECK(p.min_state_for(2) == 4);   // s1 + 12 > 15 <=> s1 >= 4

  const auto layout = small_layout();
  // FFN neuron i of layer 1 lists FFN neurons i and i+1 (mod 130) of layer 0.
  p.set_state(1, layer_kind::ffn, 0, 15);   // lists 0, 1: s2 = 0 -> 15 + 0  = 15: inactive
  p.set_state(1, layer_kind::ffn, 1, 9);    // lists 1, 2: s2 = 1 -> 9 + 6   = 15: inactive
  p.set_state(1, layer_kind::ffn, 2, 10);   // lists 2, 3: s2 = 1 -> 10 + 6  = 16: active
  p.set_state(1, layer_kind::ffn, 3, 15);   // lists 3, 4: s2 = 1 -> 15 + 6  = 21: active
  p.set_state(1, layer_kind::ffn, 4, 4);    // lists 4, 5: s2 = 2 -> 4 + 12  = 16: active
  p.set_state(1, layer_kind::ffn, 5, 3);    // lists 5, 6: s2 = 2 -> 3 + 12  = 15: inactive
  p.set_state(1, layer_kind::ffn, 69, 10);  // lists 69, 70: s2 = 0 -> 10: inactive
  p.set_state(1, layer_kind::ffn, 72, 11);  // lists 72, 73: s2 = 1 -> 17: active (second word)
  neuron_mask prev(layout.ffn_neurons);
  for (std::size_t i : {2, 4, 5, 6, 73}) prev.set(i);
  prediction_request r;
  r.layer = 1;
  r.kind = layer_kind::ffn;
  r.previous = &prev;
  prediction out;
  p.predict(r, out);
  neuron_mask expected(layout.ffn_neurons);
  for (std::size_t i : {2, 3, 4, 72}) expected.set(i);
  CHECK(out.active == expected);
  neuron_mask hot(layout.ffn_neurons);  // state > T_h = 10
  for (std::size_t i : {0, 3, 72}) hot.set(i);
  CHECK(out.hot == hot);
  CHECK(p.hot_set(1, layer_kind::ffn) == hot);

  // The table predictor never reads the truth.
  neuron_mask anything(layout.ffn_neurons);
  anything.fill();
  r.truth = &anything;
  prediction again;
  p.predict(r, again);
  CHECK(again.active == expected);
}

TEST_CASE("hermes predictor: bit-sliced decision equals s1 + lambda s2 > T brute force", "[predict][hermes]") {
  std::mt19937_64 rng(11);
  const trace_layout layout{3, 90, 150};
  struct setting { double lambda, threshold; std::size_t k; };
  for (const auto& st : {setting{6, 15, 2}, setting{2.5, 7.3, 3}, setting{0, 9, 1}, setting{4, -1, 2},
                         setting{1, 14, 4}}) {
    correlation_table t(layout, st.k);
    std::vector<std::vector<std::uint16_t>> lists;
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind kind : {layer_kind::attention, layer_kind::ffn}) {
        layer_ref prev;
        if (!predecessor({l, kind}, prev)) continue;
        for (std::size_t i = 0; i < layout.neurons(kind); ++i) {
          std::vector<std::uint16_t> top;
          for (std::size_t e = 0; e < st.k; ++e)
            top.push_back(rng() % 5 == 0 ? correlation_table::empty_slot
                                         : static_cast<std::uint16_t>(rng() % layout.neurons(prev.kind)));
          t.set_top(l, kind, i, top);
        }
      }
    hermes_predictor_params params;
    params.lambda = st.lambda;
    params.threshold = st.threshold;
    params.top_k = st.k;
    hermes_predictor p(layout, t, params);
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind kind : {layer_kind::attention, layer_kind::ffn})
        for (std::size_t i = 0; i < layout.neurons(kind); ++i)
          p.set_state(l, kind, i, static_cast<unsigned>(rng() % 16));
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind kind : {layer_kind::attention, layer_kind::ffn}) {
        layer_ref prev;
        const bool has_prev = predecessor({l, kind}, prev);
        neuron_mask previous(has_prev ? layout.neurons(prev.kind) : 0);
        for (std::size_t j = 0; j < previous.size(); ++j) previous.set(j, rng() % 2 == 0);
        prediction_request r;
        r.layer = l;
        r.kind = kind;
        r.previous = has_prev ? &previous : nullptr;
        prediction out;
        p.predict(r, out);
        for (std::size_t i = 0; i < layout.neurons(kind); ++i) {
          int s2 = 0;
          if (has_prev)
            for (auto j : t.top(l, kind, i)) s2 += j != correlation_table::empty_slot && previous.test(j);
          const int s1 = p.state(l, kind, i);
          INFO("lambda " << st.lambda << " T " << st.threshold << " layer " << l << " neuron " << i);
          REQUIRE(out.active.test(i) == (s1 + st.lambda * s2 > st.threshold));
          REQUIRE(out.hot.test(i) == (s1 > 10));
        }
      }
  }
}

TEST_CASE("hermes predictor: decisions equal a scalar reference over many words, one prediction reused", "[predict][hermes]") {
  // Layer widths of many words with ragged tails, one `prediction` reused across layers of
  // different widths (the masks are resized, not rebuilt from scratch by the caller), previous
  // layers at several densities, empty slots, and states over the whole 0..15 range. Run over
  // several tokens so that update() and predict() interleave as in decoding.
  std::mt19937_64 rng(29);
  const trace_layout layout{4, 700, 1300};
  for (auto signals : {predictor_signals::token_and_layer, predictor_signals::token_only,
                       predictor_signals::layer_only}) {
    correlation_table t(layout, 2);
    for (std::size_t l = 1; l < layout.layers; ++l)
      for (layer_kind kind : {layer_kind::attention, layer_kind::ffn})
        for (std::size_t i = 0; i < layout.neurons(kind); ++i) {
          std::vector<std::uint16_t> top;
          for (int e = 0; e < 2; ++e)
            top.push_back(rng() % 7 == 0 ? correlation_table::empty_slot
                                         : static_cast<std::uint16_t>(rng() % layout.neurons(kind)));
          t.set_top(l, kind, i, top);
        }
    hermes_predictor_params params;
    params.signals = signals;
    hermes_predictor p(layout, t, params);
    std::vector<std::vector<int>> state(layout.layers * 2);
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind kind : {layer_kind::attention, layer_kind::ffn}) {
        auto& st = state[l * 2 + static_cast<std::size_t>(kind)];
        st.resize(layout.neurons(kind));
        for (std::size_t i = 0; i < st.size(); ++i) {
          st[i] = static_cast<int>(rng() % 16);
          if (signals != predictor_signals::layer_only) p.set_state(l, kind, i, static_cast<unsigned>(st[i]));
        }
      }
    prediction out;
    for (int token = 0; token < 3; ++token) {
      std::vector<neuron_mask> fired;
      for (std::size_t l = 0; l < layout.layers; ++l)
        for (layer_kind kind : {layer_kind::attention, layer_kind::ffn}) {
          neuron_mask m(layout.neurons(kind));
          const unsigned density = 1 + static_cast<unsigned>(rng() % 9);  // 10%..90%
          for (std::size_t i = 0; i < m.size(); ++i) m.set(i, rng() % 10 < density);
          fired.push_back(std::move(m));
        }
      for (std::size_t l = 0; l < layout.layers; ++l)
        for (layer_kind kind : {layer_kind::attention, layer_kind::ffn}) {
          const std::size_t at = l * 2 + static_cast<std::size_t>(kind);
          prediction_request r;
          r.layer = l;
          r.kind = kind;
          r.previous = l == 0 ? nullptr : &fired[at - 2];
          p.predict(r, out);
          REQUIRE(out.active.size() == layout.neurons(kind));
          for (std::size_t i = 0; i < layout.neurons(kind); ++i) {
            // token_only replaces the layer signal by the midpoint of its range, k / 2 = 1.
            int s2 = signals == predictor_signals::token_only ? 1 : 0;
            if (l > 0 && signals != predictor_signals::token_only)
              for (auto j : t.top(l, kind, i)) s2 += j != correlation_table::empty_slot && fired[at - 2].test(j);
            const double s1 = signals == predictor_signals::layer_only ? 7.5 : state[at][i];
            INFO("token " << token << " layer " << l << " neuron " << i << " s1 " << s1 << " s2 " << s2);
            REQUIRE(out.active.test(i) == (s1 + 6.0 * s2 > 15.0));
            REQUIRE(out.hot.test(i) == (signals == predictor_signals::layer_only ? out.active.test(i) : s1 > 10));
          }
          p.update(r, fired[at]);
          for (std::size_t i = 0; i < layout.neurons(kind); ++i)
            state[at][i] = fired[at].test(i) ? std::min(15, state[at][i] + 4) : std::max(0, state[at][i] - 1);
        }
    }
  }
}

TEST_CASE("hermes predictor: the first layer has no layer signal", "[predict][hermes]") {
  hermes_predictor_params params;
  params.threshold = 10;  // lower T so that the state alone can predict
  hermes_predictor p(small_layout(), ring_table(small_layout()), params);
  p.set_state(0, layer_kind::attention, 0, 11);
  p.set_state(0, layer_kind::attention, 1, 10);
  prediction_request r;
  r.layer = 0;
  r.kind = layer_kind::attention;
  prediction out;
  p.predict(r, out);  // no previous mask needed (and none read)
  CHECK(out.active.test(0));
  CHECK_FALSE(out.active.test(1));
  CHECK(out.active.count() == 1);
  // Every other layer needs the previous layer's activations, of the right size.
  r.layer = 1;
  CHECK_THROWS_AS(p.predict(r, out), invalid_parameter);
  neuron_mask wrong(5);
  r.previous = &wrong;
  CHECK_THROWS_AS(p.predict(r, out), invalid_parameter);
  r.layer = 2;
  CHECK_THROWS_AS(p.predict(r, out), invalid_parameter);
}

TEST_CASE("hermes predictor: token-only ignores the layer signal", "[predict][hermes][ablation]") {
  auto p = make(predictor_signals::token_only);
  const auto layout = small_layout();
  CHECK(p.min_state_for(0) == 10);  // s2 := k/2 = 1: s1 + 6 > 15 for any s2
  CHECK(p.min_state_for(2) == 10);
  for (std::size_t i = 0; i < layout.ffn_neurons; ++i) p.set_state(1, layer_kind::ffn, i, static_cast<unsigned>(i % 16));
  prediction_request r;
  r.layer = 1;
  r.kind = layer_kind::ffn;
  prediction none, all;
  p.predict(r, none);  // no previous mask at all
  neuron_mask every(layout.ffn_neurons);
  every.fill();
  r.previous = &every;
  p.predict(r, all);
  CHECK(none.active == all.active);
  for (std::size_t i = 0; i < layout.ffn_neurons; ++i) CHECK(none.active.test(i) == (i % 16 >= 10));
  CHECK(p.correlation_table_bytes() == 0_B);  // keeps no correlation table
}

TEST_CASE("hermes predictor: layer-only ignores the state", "[predict][hermes][ablation]") {
  auto p = make(predictor_signals::layer_only);
  const auto layout = small_layout();
  CHECK(p.min_state_for(0) == 16);  // s1 := 7.5: 7.5 + 6 s2 > 15 <=> s2 = 2
  CHECK(p.min_state_for(1) == 16);
  CHECK(p.min_state_for(2) == 0);
  CHECK(p.state_table_bytes() == 0_B);
  CHECK_THROWS_AS(p.state(0, layer_kind::ffn, 0), error);
  CHECK_THROWS_AS(p.hot_set(0, layer_kind::ffn), error);

  neuron_mask prev(layout.ffn_neurons);
  for (std::size_t i : {2, 3, 10, 72, 73}) prev.set(i);
  prediction_request r;
  r.layer = 1;
  r.kind = layer_kind::ffn;
  r.previous = &prev;
  prediction before, after;
  p.predict(r, before);
  // FFN neurons listing (2, 3) and (72, 73) are 2 and 72: both correlated neurons fired.
  neuron_mask expected(layout.ffn_neurons);
  expected.set(2);
  expected.set(72);
  CHECK(before.active == expected);
  CHECK(before.hot == expected);
  // Updating (with anything) changes nothing: there is no state.
  neuron_mask fired(layout.ffn_neurons);
  fired.fill();
  for (int i = 0; i < 5; ++i) p.update(r, fired);
  p.predict(r, after);
  CHECK(after.active == before.active);
}

TEST_CASE("hermes predictor: parameters are validated", "[predict][hermes]") {
  const auto layout = small_layout();
  auto with = [&](auto change) {
    hermes_predictor_params params;
    change(params);
    return hermes_predictor(layout, ring_table(layout), params);
  };
  CHECK_THROWS_AS(with([](auto& q) { q.lambda = -1; }), invalid_parameter);
  CHECK_THROWS_AS(with([](auto& q) { q.step_up = 16; }), invalid_parameter);
  CHECK_THROWS_AS(with([](auto& q) { q.hot_threshold = 16; }), invalid_parameter);
  CHECK_THROWS_AS(with([](auto& q) { q.top_k = 3; }), invalid_parameter);  // table has k = 2
  CHECK_THROWS_AS(hermes_predictor(layout, correlation_table{}, {}), invalid_parameter);
  CHECK_THROWS_AS(hermes_predictor(trace_layout{1, 70, 130}, ring_table(layout), {}), invalid_parameter);
  try {
    with([](auto& q) { q.lambda = -2; });
  } catch (const invalid_parameter& e) {
    CHECK(e.field() == "hermes_predictor.lambda");
  }
  auto p = make();
  CHECK_THROWS_AS(p.update(prediction_request{}, neuron_mask(3)), invalid_parameter);
}

TEST_CASE("hermes predictor: table bytes (LLaMA-7B state table near the paper's 232 KB)", "[predict][hermes][memory]") {
  // LLaMA-7B: 32 layers, hidden 4096 (attention neurons), FFN 11008 (config.json).
  const trace_layout llama7b{32, 4096, 11008};
  hermes_predictor_params params;
  params.signals = predictor_signals::token_only;
  hermes_predictor p(llama7b, correlation_table{}, params);
  // 32 x (4096 + 11008) x 4 bits = 241664 B = 236 KiB, stored exactly (both widths are x64).
  CHECK(p.state_table_bytes() == bytes(32.0 * (4096 + 11008) / 2));
  CHECK(p.state_table_bytes() == 236_KiB);
  CHECK(neuron_state_table::packed_bytes(llama7b) == 236_KiB);
  // The paper counted 10.5K FFN neurons: the same formula gives exactly its 232 KB (KiB).
  CHECK(neuron_state_table::packed_bytes(trace_layout{32, 4096, 10752}) == 232_KiB);
  // Tails round up to whole 64-neuron words per layer.
  CHECK(neuron_state_table(trace_layout{1, 70, 130}).storage_bytes() == bytes((2 + 3) * 4 * 8.0));

  // Correlation table: two 16-bit indices per neuron that has a previous layer (all but the
  // neurons of layer 0).
  correlation_table t(llama7b, 2);
  CHECK(t.forward_bytes() == bytes((32.0 * (4096 + 11008) - (4096 + 11008)) * 2 * 2));  // layer 0 has no predecessor
  hermes_predictor full(llama7b, t);
  CHECK(full.table_bytes() == full.state_table_bytes() + t.forward_bytes());
}
