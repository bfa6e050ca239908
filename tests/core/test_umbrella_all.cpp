// hermes/all.hpp: the core and the optional components (io/ with nlohmann-json, the CBC mapper
// and the systems built on it) compile together, and everything is reachable from it.
#include <catch2/catch.hpp>

#include <hermes/all.hpp>

TEST_CASE("umbrella: everything is reachable from all.hpp", "[core][umbrella]") {
  using namespace hermes;
  STATIC_REQUIRE(compute_device<gpu>);
  STATIC_REQUIRE(predictor<hermes_predictor>);
  STATIC_REQUIRE(offline_mapper<ilp_mapper>);
  STATIC_REQUIRE(offline_mapper<lp_rounding_mapper>);
  CHECK_FALSE(system_names().empty());
  CHECK(find_system("IANUS").baselines.size() == 3);
  CHECK(find_model_preset("LLaMA2-70B").layers == 80);
  CHECK(to_json(sim_config{})["system"] == "Hermes");
  CHECK(to_json(sim_result::unsupported("m", "s", "why"))["reason"] == "why");
}
