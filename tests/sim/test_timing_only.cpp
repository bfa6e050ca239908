// A timing-only user of the split engine includes no Kokkos math kernel and no CBC: this file
// includes the engine, a core mapper and the Hermes predictor, checks that no Kokkos header came
// with them, and runs a whole system on the engine's default stage executor (timing_stages).
#include "hermes/map/greedy_mapper.hpp"
#include "hermes/map/online_adjuster.hpp"
#include "hermes/map/remapper.hpp"
#include "hermes/predict/hermes_predictor.hpp"
#include "hermes/sim/split_engine.hpp"

#if defined(KOKKOS_VERSION) || defined(KOKKOS_CORE_HPP)
#error "the timing-only engine pulled in Kokkos: the math kernels belong to math_stages (sim/math_model.hpp)"
#endif
#if defined(CBC_C_INTERFACE_H) || defined(HERMES_MAP_ILP_MAPPER_HPP)
#error "the timing-only engine pulled in CBC"
#endif

#include <catch2/catch.hpp>

#include "../support/test_models.hpp"

TEST_CASE("timing only: the engine runs a system without the math kernels or CBC", "[sim][engine]") {
  const auto system = hermes::make_split_system<hermes::ndp_dimm>(
      "greedy Hermes",
      [](const hermes::predictor_context& c) {
        return hermes::hermes_predictor(c.layout, c.activations.correlations(2));
      },
      hermes::greedy_mapper{}, hermes::hot_cold_adjustment_policy{}, hermes::window_remapping_policy{});
  const auto w = hermes::test::tiny_workload();
  const auto h = hermes::test::small_gpu();
  const auto r = hermes::run_split_system(system, w, h, hermes::cold_devices<hermes::ndp_dimm_config>{h.dimm, h.dimms});
  REQUIRE(r.supported);
  CHECK(r.system == "greedy Hermes");
  CHECK(r.placement_method == "greedy");
  CHECK(r.decode_tokens_per_second > 0.0);
  CHECK(r.has_prediction);
}
