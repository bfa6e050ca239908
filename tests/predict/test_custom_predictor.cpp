// Builds examples/custom_predictor.cpp into this test (its main renamed) and runs its comparison
// on the small engine model: the user-written predictor compiles against the public headers
// only and runs in a whole Hermes simulation, online adjustment and remapping included.
#include <catch2/catch.hpp>

#include "hermes/all.hpp"  // the example runs whole systems: the full library

#define main custom_predictor_example_main
#include "../../examples/custom_predictor.cpp"
#undef main

#include "../support/test_models.hpp"

TEST_CASE("custom predictor example: the predictor's own semantics", "[predict][example]") {
  STATIC_REQUIRE(hermes::predictor<two_bit_counter_predictor>);
  STATIC_REQUIRE(hermes::costed_predictor<two_bit_counter_predictor>);
  STATIC_REQUIRE(hermes::neuron_state_source<two_bit_counter_predictor>);
  two_bit_counter_predictor p(hermes::trace_layout{1, 3, 5});
  hermes::prediction out;
  hermes::prediction_request r;
  r.kind = hermes::layer_kind::ffn;
  hermes::neuron_mask fired(5);
  fired.set(1);
  p.update(r, fired);  // counter of neuron 1: 1 -> 2, the others 1 -> 0
  p.predict(r, out);
  CHECK(out.active.test(1));
  CHECK(out.active.count() == 1);
  CHECK(p.table_bytes() == hermes::bytes(8));
  CHECK(p.state(0, hermes::layer_kind::ffn, 1) == 10);
  CHECK(p.state(0, hermes::layer_kind::ffn, 0) == 0);
}

TEST_CASE("custom predictor example: runs in a whole Hermes simulation beside Hermes' predictor",
          "[predict][example][sim]") {
  const auto w = hermes::test::tiny_workload();
  const auto h = hermes::test::small_gpu();
  CHECK(compare_predictors(w, h) == 0);
  const auto mine = hermes::make_split_system<hermes::ndp_dimm>(
      "mine", [](const hermes::predictor_context& c) { return two_bit_counter_predictor(c.layout); },
      hermes::engine_ilp_mapper(), hermes::hot_cold_adjustment_policy{}, hermes::window_remapping_policy{});
  const auto r = hermes::run_split(mine, w, h);
  const auto hermes_run = hermes::run_system("Hermes", w, h);
  REQUIRE(r.supported);
  REQUIRE(r.has_prediction);
  CHECK(r.system == "mine");
  // Its own table (one byte per neuron of the model) and its own decisions are what is reported.
  const auto layout = hermes::trace_layout::of(w.model);
  CHECK(r.predictor_table.value() ==
        static_cast<double>(layout.layers * (layout.attention_neurons + layout.ffn_neurons)));
  CHECK(r.prediction_accuracy != hermes_run.prediction_accuracy);
  // Its host cost: one byte read + written per neuron of every stage and token, at host bandwidth.
  CHECK(r.breakdown.predictor > hermes::seconds{});
  CHECK(r.breakdown.predictor != hermes_run.breakdown.predictor);
}
