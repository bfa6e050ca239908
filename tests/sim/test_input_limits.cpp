// Upper bounds on every count a configuration gives the simulation (issue #14): the DRAM
// organisation, the NDP core, the model shape and the token counts are rejected by name before
// anything is simulated, instead of overflowing, running for minutes or reporting inf.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>
#include <string>

#include "hermes/io/config_json.hpp"
#include "hermes/system/registry.hpp"

#include "../support/test_models.hpp"

using namespace hermes;

namespace {

// The field of the invalid_parameter `f` throws, or "accepted".
template <class F>
std::string field_of(F&& f) {
  try {
    f();
  } catch (const invalid_parameter& e) {
    return e.field();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("limits: the DRAM organisation is bounded and its capacity cannot overflow", "[sim][limits][dram]") {
  const auto validate = [](const dram_config& c) { return field_of([&] { c.validate(); }); };
  auto c = dram_presets::ddr4_3200_hermes();
  REQUIRE(validate(c) == "accepted");
  // Tens of thousands of bank groups: rejected at once instead of minutes of scheduling.
  c.organization.bank_groups = 40000;
  CHECK(validate(c) == "dram.organization.bank_groups");
  // Within each field's bound, but too many banks on one shared bus.
  c = dram_presets::ddr4_3200_hermes();
  c.rank_bus = rank_data_bus::shared;
  c.organization.dimms_per_channel = 4;
  c.organization.ranks = 16;
  c.organization.bank_groups = 16;
  CHECK(validate(c) == "dram.organization.bank_groups");
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("banks per bus"));
  // Counts whose product wraps 2^64 (and whose capacity as a double would be accepted).
  c = dram_presets::ddr4_3200_hermes();
  c.organization.rows = std::size_t{1} << 62;
  CHECK(validate(c) == "dram.organization.rows");
  c.organization.rows = dram_limits::rows;
  c.organization.row_bytes = dram_limits::row_bytes;
  c.organization.channels = dram_limits::channels;
  CHECK(validate(c) == "dram.organization.rows");  // 16 x 4 x 2 x 4 x 2^24 x 2^20 = 2^53 > 2^50 bytes
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("capacity"));
  // Timing cycles and the clock.
  c = dram_presets::ddr4_3200_hermes();
  c.timing.tRAS = 4000000000u;  // tRAS + tRP wrapped a 32-bit sum before
  CHECK(validate(c) == "dram.timing.tRAS");
  c = dram_presets::ddr4_3200_hermes();
  c.timing.tCK = seconds(1.0);
  CHECK(validate(c) == "dram.timing.tCK");
  c = dram_presets::ddr4_3200_hermes();
  c.read_queue_depth = 1u << 20;
  CHECK(validate(c) == "dram.read_queue_depth");
}

TEST_CASE("limits: the largest organisation the bounds allow is simulated in seconds, not minutes",
          "[sim][limits][dram]") {
  auto c = dram_presets::ddr4_3200_hermes();
  c.rank_bus = rank_data_bus::shared;
  c.organization.dimms_per_channel = 4;
  c.organization.ranks = 16;
  c.organization.bank_groups = 4;
  c.organization.banks_per_group = 16;  // 4 x 16 x 4 x 16 = 4096 > 1024: rejected
  REQUIRE(field_of([&] { c.validate(); }) == "dram.organization.bank_groups");
  c.organization.bank_groups = 1;  // 1024 banks on the shared bus: the bound
  REQUIRE(field_of([&] { c.validate(); }) == "accepted");
  const auto t0 = std::chrono::steady_clock::now();
  ndp_dimm_config d = ndp_dimm_presets::hermes_table2();
  d.dram = c;
  d.capacity = c.organization.capacity();
  const ndp_dimm dimm(d);  // simulates a 1 MiB stream
  const dram_model model(c);
  std::vector<dram_request> scattered;
  for (std::uint64_t i = 0; i < 256; ++i) scattered.push_back({i * 9973 * 64 % (std::uint64_t{1} << 34), 4096});
  (void)model.read(scattered);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 20.0);
}

TEST_CASE("limits: GEMV multipliers are bounded, so the decode time stays finite", "[sim][limits][ndp]") {
  workload_config w = test::tiny_workload();
  hardware_config h = test::small_gpu();
  // 2^61 multipliers wrapped multipliers x values_per_multiplier to 0: decode time inf, exit 0.
  h.dimm.gemv.multipliers = std::size_t{1} << 61;
  CHECK(field_of([&] { (void)run_system("Hermes", w, h); }) == "ndp_dimm.gemv.multipliers");
  CHECK_THROWS_WITH(h.validate(), Catch::Contains("at most 1048576"));
  h.dimm.gemv.multipliers = ndp_limits::multipliers;
  const sim_result r = run_system("Hermes", w, h);
  CHECK(std::isfinite(r.seconds_decode.value()));
  h = test::small_gpu();
  h.dimm.clock = frequency(std::numeric_limits<double>::infinity());
  CHECK(field_of([&] { h.validate(); }) == "ndp_dimm.clock");
  h = test::small_gpu();
  h.dimm.gemv.values_per_multiplier = 1u << 20;
  CHECK(field_of([&] { h.validate(); }) == "ndp_dimm.gemv.values_per_multiplier");
}

TEST_CASE("limits: model shapes and token counts are bounded", "[sim][limits][workload]") {
  const auto validate = [](const workload_config& w) { return field_of([&] { w.validate(); }); };
  workload_config w = test::tiny_workload();
  REQUIRE(validate(w) == "accepted");
  w.model.layers = model_limits::layers + 1;
  CHECK(validate(w) == "workload.model.layers");
  w = test::tiny_workload();
  w.model.hidden = std::size_t{1} << 40;
  CHECK(validate(w) == "workload.model.hidden");
  w = test::tiny_workload();
  w.model.ffn = std::size_t{1} << 62;  // ffn x 3 x hidden wrapped before
  CHECK(validate(w) == "workload.model.ffn");
  w = test::tiny_workload();
  w.model.vocab = std::size_t{1} << 40;
  CHECK(validate(w) == "workload.model.vocab");
  w = test::tiny_workload();
  w.model.kv_heads = w.model.heads + 1;
  CHECK(validate(w) == "workload.model.kv_heads");
  w = test::tiny_workload();
  w.model.bytes_per_param = std::numeric_limits<double>::infinity();
  CHECK(validate(w) == "workload.model.bytes_per_param");
  // Token counts: each bounded, so their sums and products cannot wrap.
  w = test::tiny_workload();
  w.model.max_context = 0;  // unlimited context: only the bounds apply
  w.input_len = std::numeric_limits<std::size_t>::max();
  w.output_len = 2;  // input_len + output_len wrapped to 1 before
  CHECK(validate(w) == "workload.input_len");
  w.input_len = 16;
  w.output_len = workload_limits::tokens + 1;
  CHECK(validate(w) == "workload.output_len");
  w.output_len = 16;
  w.profile_tokens = std::numeric_limits<std::size_t>::max();
  CHECK(validate(w) == "workload.profile_tokens");
  w.profile_tokens = 32;
  w.batch = 257;
  CHECK(validate(w) == "workload.batch");
}

TEST_CASE("limits: a configuration file's model section is checked at its JSON pointer", "[sim][limits][config]") {
  const auto read = [](const std::string& text) {
    sim_config c;
    apply_json(c, parse_config_text(text, "c.json"), "c.json");
    validate_config(c, "c.json");
    return c;
  };
  CHECK_THROWS_WITH(read(R"({"workload": {"model": {"name": "big", "layers": 4, "hidden": 512, "ffn": 4611686018427387904,
                                                    "heads": 8, "kv_heads": 8, "vocab": 1000, "max_context": 256}}})"),
                    Catch::Contains("c.json: /workload/model/ffn: 4611686018427387904 is invalid: expected at most 1048576"));
  CHECK_THROWS_WITH(read(R"({"workload": {"profile_tokens": 18446744073709551615}})"),
                    Catch::Contains("/workload/profile_tokens") && Catch::Contains("at most 1048576"));
  CHECK_THROWS_WITH(read(R"({"hardware": {"dimm": {"dram": {"organization": {"bank_groups": 50000}}}}})"),
                    Catch::Contains("/hardware/dimm/dram/organization/bank_groups"));
}

TEST_CASE("limits: every model preset is inside the bounds", "[sim][limits][workload]") {
  for (const model_shape& m : model_presets::all()) {
    INFO(m.name);
    CHECK_NOTHROW(m.validate());
  }
}
