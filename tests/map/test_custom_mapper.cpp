// Builds examples/custom_mapper.cpp into this test (its main renamed): the user-written offline
// mapper compiles against the public headers only and drives a whole Hermes simulation.
#include <catch2/catch.hpp>

#define main custom_mapper_example_main
#include "../../examples/custom_mapper.cpp"
#undef main

#include "../support/test_models.hpp"

TEST_CASE("custom mapper example: a valid placement, reported like the library's mappers", "[map][example]") {
  STATIC_REQUIRE(hermes::offline_mapper<hottest_first_mapper>);
  STATIC_REQUIRE_FALSE(hermes::memoisable_mapper<hottest_first_mapper>);  // placed anew every run
  hermes::placement_problem p;
  p.dimms = 2;
  p.sync_time = hermes::seconds(1e-6);
  p.gpu_capacity = hermes::bytes(2);  // room for two neurons of one byte
  p.dimm_capacity = hermes::bytes(10);
  hermes::placement_layer l;
  l.name = "layer 0 ffn";
  l.frequency = {0.9, 0.1, 0.5, 0.7};
  l.neuron_bytes = hermes::bytes(1);
  l.gpu_time_per_activation = hermes::seconds(1e-6);
  l.dimm_time_per_activation = hermes::seconds(4e-6);
  p.layers = {l};
  const auto r = hottest_first_mapper{}.place(p);
  REQUIRE(r.layers.size() == 1);
  // The two hottest neurons (0 and 3) are copied to the GPU.
  CHECK(r.layers[0].cached.test(0));
  CHECK(r.layers[0].cached.test(3));
  CHECK(r.layers[0].cached.count() == 2);
  // Snake order by frequency 0, 3, 2, 1: DIMM 1, 2, 2, 1.
  CHECK(r.layers[0].home[0] == hermes::cold_device(0));
  CHECK(r.layers[0].home[3] == hermes::cold_device(1));
  CHECK(r.layers[0].home[2] == hermes::cold_device(1));
  CHECK(r.layers[0].home[1] == hermes::cold_device(0));
  CHECK(r.method == hermes::placement_method::custom);
  CHECK(r.objective >= r.lower_bound);
}

TEST_CASE("custom mapper example: runs in a whole Hermes simulation beside the ILP", "[map][example][sim]") {
  const auto w = hermes::test::tiny_workload();
  const auto h = hermes::test::small_gpu();
  CHECK(compare_mappers(w, h) == 0);
  const auto mine = hermes::make_split_system<hermes::ndp_dimm>(
      "mine", hermes::hermes_predictor_factory{}, hottest_first_mapper{}, hermes::hot_cold_adjustment_policy{},
      hermes::window_remapping_policy{});
  const auto r = hermes::run_split(mine, w, h);
  const auto ilp = hermes::run_system("Hermes", w, h);
  REQUIRE(r.supported);
  CHECK(r.placement_method == "custom");
  CHECK(r.placement_target_gap == 0.0);  // a mapper without a stated tolerance
  // The ILP's placement is within 0.1% of the bound; a frequency-only greedy cannot beat it.
  CHECK(r.placement_objective >= ilp.placement_objective * (1.0 - 1e-3));
}
