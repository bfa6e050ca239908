// io/profile_json.hpp: the JSON form of a frequency profile, both directions.
#include <catch2/catch.hpp>

#include "hermes/activation/profile.hpp"
#include "hermes/activation/source.hpp"
#include "hermes/activation/synthetic_source.hpp"
#include "hermes/io/profile_json.hpp"

using namespace hermes;

TEST_CASE("profile JSON: the round trip is exact", "[io][profile]") {
  synthetic_source src(trace_layout{3, 40, 90});
  const auto prompt = read_prompt(src, 17);
  const auto json = profile_from_json(to_json(prompt.profile));
  CHECK(json.layout() == prompt.profile.layout());
  for (std::size_t l = 0; l < 3; ++l)
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn})
      CHECK(json.frequencies(l, k) == prompt.profile.frequencies(l, k));
}

TEST_CASE("profile JSON: input is validated", "[io][profile]") {
  frequency_profile p(trace_layout{1, 1, 2});
  auto j = to_json(p);
  j["ffn"][0][1] = 2.0;
  CHECK_THROWS_WITH(profile_from_json(j), Catch::Contains("neuron 1") && Catch::Contains("[0, 1]"));
  j = to_json(p);
  j["ffn"][0].erase(1);
  CHECK_THROWS_WITH(profile_from_json(j), Catch::Contains("ffn[0]"));
  j = to_json(p);
  j.erase("layers");
  CHECK_THROWS_WITH(profile_from_json(j), Catch::Contains("layers"));
}

TEST_CASE("profile JSON: declared counts are checked against the arrays before allocating", "[io][profile_json]") {
  // 10^12 FFN neurons with one short array: an error naming the array, not an 8 TB profile.
  nlohmann::json j = {{"layers", 1u}, {"attention_neurons", 1u}, {"ffn_neurons", 1000000000000ull},
                      {"attention", {{0.5}}}, {"ffn", {{0.5}}}};
  CHECK_THROWS_WITH(profile_from_json(j), Catch::Contains("ffn[0]") && Catch::Contains("1000000000000 frequencies"));
  j = {{"layers", 1000000000000ull}, {"attention_neurons", 1u}, {"ffn_neurons", 1u}, {"attention", {{0.5}}}, {"ffn", {{0.5}}}};
  CHECK_THROWS_WITH(profile_from_json(j), Catch::Contains("profile JSON.attention = an array of 1"));
  // A value that is no number is a hermes::error naming it, not nlohmann's type_error.
  j = {{"layers", 1u}, {"attention_neurons", 1u}, {"ffn_neurons", 1u}, {"attention", {{"x"}}}, {"ffn", {{0.5}}}};
  CHECK_THROWS_AS(profile_from_json(j), hermes::invalid_parameter);
  CHECK_THROWS_WITH(profile_from_json(j), Catch::Contains("attention[0][0] = a string"));
  j = {{"layers", nlohmann::json::array({1, 2})}};
  CHECK_THROWS_WITH(profile_from_json(j), Catch::Contains("layers = an array"));
  CHECK_THROWS_WITH(profile_from_json(nlohmann::json(3)), Catch::Contains("layers = missing"));
}
