// The umbrella header compiles on its own (no two components define the same name) and gives
// the whole library: a user's `#include <hermes/hermes.hpp>` is enough for every example.
#include <catch2/catch.hpp>

#include <hermes/hermes.hpp>

TEST_CASE("umbrella: every component is reachable from hermes.hpp", "[core][umbrella]") {
  using namespace hermes;
  STATIC_REQUIRE(compute_device<gpu>);
  STATIC_REQUIRE(compute_device<ndp_dimm>);
  STATIC_REQUIRE(link_device<hermes::link>);
  STATIC_REQUIRE(predictor<hermes_predictor>);
  STATIC_REQUIRE(offline_mapper<ilp_mapper>);
  CHECK_FALSE(system_names().empty());
  CHECK(find_model_preset("LLaMA2-70B").layers == 80);
}
