// Builds examples/custom_predictor.cpp into this test (its main renamed) and runs it: the
// user-written predictor compiles against the public headers only and runs in the replay loop.
#include <catch2/catch.hpp>

#define main custom_predictor_example_main
#include "../../examples/custom_predictor.cpp"
#undef main

TEST_CASE("custom predictor example builds and runs", "[predict][example]") {
  STATIC_REQUIRE(hermes::predictor<two_bit_counter_predictor>);
  CHECK(custom_predictor_example_main() == 0);
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
}
