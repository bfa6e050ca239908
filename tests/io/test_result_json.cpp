// io/result_json.hpp: a run's result as JSON (hermes-sim --json, the sweep's CSV columns).
#include <catch2/catch.hpp>

#include "hermes/io/result_json.hpp"

using namespace hermes;

TEST_CASE("result JSON: scalars always, prediction and placement only when the run has them", "[io][result]") {
  sim_result r = sim_result::unsupported("OPT-66B", "FlexGen", "does not fit");
  nlohmann::json j = to_json(r);
  CHECK(j["model"] == "OPT-66B");
  CHECK(j["system"] == "FlexGen");
  CHECK(j["supported"] == false);
  CHECK(j["reason"] == "does not fit");
  CHECK(j["breakdown"].size() == r.breakdown.items().size());
  CHECK(j["host_seconds"].contains("placement"));
  CHECK_FALSE(j.contains("prediction"));
  CHECK_FALSE(j.contains("placement"));
  CHECK_FALSE(j.contains("window_loads"));

  r.supported = true;
  r.decode_tokens_per_second = 12.5;
  r.seconds_decode = seconds(2.0);
  r.has_prediction = true;
  r.prediction_recall = 0.9;
  r.predictor_table = bytes(4096);
  r.has_placement = true;
  r.placement_method = "cbc-optimal";
  r.placement_gap = 1e-4;
  r.placement_cbc_ran = true;
  j = to_json(r);
  CHECK(j["decode_tokens_per_second"] == 12.5);
  CHECK(j["seconds_decode"] == 2.0);
  CHECK(j["prediction"]["recall"] == 0.9);
  CHECK(j["prediction"]["table_bytes"] == 4096.0);
  CHECK(j["placement"]["method"] == "cbc-optimal");
  CHECK(j["placement"]["gap"] == 1e-4);
  CHECK(j["placement"]["cbc_ran"] == true);
}
