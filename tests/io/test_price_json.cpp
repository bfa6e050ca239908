// The price file (io/price_json.hpp): data/prices.json is the compiled-in default table, a file
// overlays the defaults, and bad files are refused naming the file and the JSON pointer.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "hermes/io/price_json.hpp"
#include "hermes/io/result_json.hpp"

#include "../support/scratch_dir.hpp"

using namespace hermes;

namespace {

std::string message_of(const std::string& path) {
  try {
    (void)read_price_file(path);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("price file: data/prices.json is the compiled-in default table", "[io][prices]") {
  const price_table file = read_price_file(std::string(HERMES_DATA_DIR) + "/prices.json");
  const price_table defaults = price_presets::defaults();
  CHECK(to_json(file) == to_json(defaults));
  REQUIRE(file.gpu("RTX4090"));
  CHECK(file.gpu("rtx4090")->usd == 1599.0);
  CHECK(file.power.usd == 0.128);
  CHECK(file.lifetime_years == 3.0);
  CHECK(file.utilisation == 0.5);
  for (const auto& [name, p] : defaults.gpus) {
    INFO(name);
    CHECK_FALSE(p.date.empty());
    CHECK_FALSE(p.source.empty());
  }
}

TEST_CASE("price file: a file overlays the defaults", "[io][prices]") {
  hermes::test::scratch_dir dir("price-json");
  const std::string path = (dir.path() / "p.json").string();
  std::ofstream(path) << R"({"gpus": {"RTX4090": {"usd": 1800}, "H100": {"usd": 30000, "date": "2024-01"}},
                            "power": {"usd_per_kwh": 0.3}, "utilisation": 1})";
  const price_table t = read_price_file(path);
  CHECK(t.gpu("RTX4090")->usd == 1800.0);
  CHECK(t.gpu("RTX4090")->date.empty());  // the item is replaced whole
  CHECK(t.gpu("H100")->usd == 30000.0);
  CHECK(t.gpu("A100-40GB")->usd == 10000.0);  // kept
  CHECK(t.power.usd == 0.3);
  CHECK(t.utilisation == 1.0);
  CHECK(t.dimm.usd == 90.0);
}

TEST_CASE("price file: bad files name the file and the JSON pointer", "[io][prices]") {
  hermes::test::scratch_dir dir("price-json-bad");
  const auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir.path() / name).string();
    std::ofstream(path) << text;
    return path;
  };
  CHECK_THAT(message_of(write("a.json", R"({"gpus": {"RTX4090": {"usd": -1}}})")),
             Catch::Contains("a.json") && Catch::Contains("/gpus/RTX4090/usd"));
  CHECK_THAT(message_of(write("b.json", R"({"host": {"source": "x"}})")), Catch::Contains("/host") &&
                                                                            Catch::Contains("\"usd\""));
  CHECK_THAT(message_of(write("c.json", R"({"hots": {"usd": 1}})")), Catch::Contains("hots"));
  CHECK_THAT(message_of(write("d.json", R"({"utilisation": 0})")), Catch::Contains("/utilisation"));
  CHECK_THAT(message_of(write("e.json", R"({"lifetime_years": 500})")), Catch::Contains("/lifetime_years"));
  CHECK_THAT(message_of(write("f.json", R"({"currency": "EUR"})")), Catch::Contains("/currency"));
  CHECK_THAT(message_of(write("g.json", R"({"gpus": []})")), Catch::Contains("/gpus"));
  CHECK_THAT(message_of(write("h.json", R"({"power": {"usd": 0.1}})")), Catch::Contains("usd_per_kwh"));
  CHECK_THAT(message_of(write("i.json", "{")), Catch::Contains("not valid JSON"));
  CHECK_THAT(message_of((dir.path() / "missing.json").string()), Catch::Contains("missing.json"));
}

TEST_CASE("result JSON: energy and cost objects with fixed keys", "[io][prices]") {
  sim_result r = sim_result::unsupported("m", "s", "why");
  const auto j = to_json(r);
  REQUIRE(j.contains("energy"));
  CHECK(j["energy"]["joules_per_token"].is_null());
  CHECK(j["energy"]["by_resource"].size() == 5);
  REQUIRE(j.contains("cost"));
  CHECK(j["cost"]["usd_per_million_tokens"].is_null());
  for (const char* k : {"hardware_usd", "tokens_per_second_per_kusd", "usd_per_million_tokens",
                        "hardware_usd_per_million_tokens", "energy_usd_per_million_tokens", "unpriced_reason"})
    CHECK(j["cost"].contains(k));
}
