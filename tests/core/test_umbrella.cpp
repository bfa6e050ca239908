// The core umbrella header compiles on its own (no two components define the same name) and
// gives the whole core: a user's `#include <hermes/hermes.hpp>` with hermes::hermes alone. It
// pulls in neither optional dependency (this folder builds with headers that #error in their
// place; the checks below say so in the source too).
#include <catch2/catch.hpp>

#include <hermes/hermes.hpp>

#if defined(INCLUDE_NLOHMANN_JSON_HPP_) || defined(NLOHMANN_JSON_VERSION_MAJOR)
#error "hermes/hermes.hpp included nlohmann-json: only hermes/io/ (hermes::json) may"
#endif
#if defined(CbcModelC_H)
#error "hermes/hermes.hpp included CBC: only hermes/map/ilp_mapper.hpp (hermes::cbc) may"
#endif

TEST_CASE("umbrella: every core component is reachable from hermes.hpp", "[core][umbrella]") {
  using namespace hermes;
  STATIC_REQUIRE(compute_device<gpu>);
  STATIC_REQUIRE(compute_device<ndp_dimm>);
  STATIC_REQUIRE(link_device<hermes::link>);
  STATIC_REQUIRE(predictor<hermes_predictor>);
  STATIC_REQUIRE(offline_mapper<lp_rounding_mapper>);
  STATIC_REQUIRE(offline_mapper<greedy_mapper>);
  STATIC_REQUIRE(kernel_mapper<pim_offload_mapper>);
  CHECK(kernels_per_layer == 13);  // layer/decoder_kernels.hpp
  CHECK(find_model_preset("LLaMA2-70B").layers == 80);
  CHECK(ilp_options{}.group_size == 256);
  CHECK(command_scheduler_options{}.pending_slots == 256);
  CHECK(pim_presets::aim_gddr6().tile_columns == 1024);
  CHECK(npu_presets::ianus().cores == 4);
}
