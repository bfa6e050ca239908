// Energy and cost of whole runs (issue #13): read_energy adds every resource's dynamic energy
// and static power x wall time, the parts add up to the total for every registered system, and
// price_run's arithmetic matches the price table by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "hermes/core/ledger.hpp"
#include "hermes/io/result_json.hpp"
#include "hermes/sim/cost.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/registry.hpp"

#include "../support/test_models.hpp"

using namespace hermes;

namespace {

double sum_of_kinds(const energy_report& e) {
  double s = 0.0;
  for (const auto& [k, j] : e.by_kind()) s += j;
  return s;
}

double sum_of_resources(const energy_report& e) {
  double s = 0.0;
  for (const auto& r : e.resources) s += r.joules();
  return s;
}

}  // namespace

TEST_CASE("read_energy: dynamic energy of the charges plus static power over the wall time", "[sim][energy]") {
  ledger l;
  const auto g = l.add_resource("gpu", resource_kind::compute);
  const auto d = l.add_resource("dimm0", resource_kind::near_memory);
  const auto p = l.add_resource("pcie", resource_kind::link);
  l.set_static_power(g, watts(20.0));
  l.set_static_power(d, watts(2.5));
  device_cost c;
  c.time = seconds(0.5);
  c.energy = joules(100.0);
  l.charge(g, seconds{}, c, "gpu");
  c.energy = joules(3.0);
  l.charge(d, seconds{}, c, "dimm");
  l.charge(d, seconds(1.0), c, "dimm");
  c.energy = joules(0.25);
  l.charge(p, seconds{}, c, "pcie");

  energy_report e;
  read_energy(l, seconds(2.0), 8.0, e);
  CHECK(e.measured);
  // 100 + 6 + 0.25 dynamic; (20 + 2.5) x 2 s static
  CHECK(e.joules == Approx(106.25 + 45.0));
  CHECK(e.static_joules == Approx(45.0));
  CHECK(e.joules_per_token == Approx(151.25 / 8.0));
  CHECK(sum_of_resources(e) == Approx(e.joules));
  CHECK(sum_of_kinds(e) == Approx(e.joules));
  const auto kinds = e.by_kind();
  REQUIRE(kinds.size() == 5);
  CHECK(kinds[0] == std::pair<std::string, double>{"compute", 140.0});
  CHECK(kinds[1].second == Approx(11.0));
  CHECK(kinds[3].second == Approx(0.25));

  // Replicas multiply every resource (TensorRT-LLM's identical ranks).
  energy_report three;
  read_energy(l, seconds(2.0), 8.0, three, 3.0);
  CHECK(three.joules == Approx(3.0 * e.joules));
}

TEST_CASE("energy adds up across the ledger for every registered system", "[sim][energy]") {
  const auto w = test::tiny_workload();
  const auto h = test::small_gpu();
  std::size_t ran = 0;
  for (const auto& name : system_names()) {
    const sim_result r = run_system(name, w, h);
    if (!r.supported) continue;
    INFO(name);
    if (!r.energy.measured) {
      // Only machines with a part that has no energy model (an NPU, a memory node) say so.
      CHECK_FALSE(r.hardware.unpriced_parts.empty());
      continue;
    }
    ++ran;
    CHECK(r.energy.joules > 0.0);
    CHECK(sum_of_resources(r.energy) == Approx(r.energy.joules).epsilon(1e-12));
    CHECK(sum_of_kinds(r.energy) == Approx(r.energy.joules).epsilon(1e-12));
    CHECK(r.energy.joules_per_token * static_cast<double>(w.batch * w.output_len) == Approx(r.energy.joules));
    if (!r.hardware.unpriced_parts.empty()) {
      // Kernel-level machines with research parts (an NPU, PIM memory, memory nodes): no idle
      // power is modelled for them (docs/systems.md) and no market price exists: unpriced, naming them.
      CHECK_FALSE(r.cost.priced);
      CHECK_THAT(r.cost.unpriced_reason, Catch::Contains(r.hardware.unpriced_parts.front()));
      CHECK(to_json(r)["cost"]["hardware_usd"].is_null());
      continue;
    }
    CHECK(r.energy.static_joules > 0.0);
    CHECK(r.energy.static_joules < r.energy.joules);
    // The GPU's idle power over the whole run is part of it.
    const double wall = (r.seconds_prefill + r.seconds_decode).value();
    double gpu_static = 0.0;
    for (const auto& x : r.energy.resources)
      if (x.kind == resource_kind::compute) gpu_static += x.static_joules;
    const double gpus = static_cast<double>(r.hardware.gpus);
    const double idle = r.hardware.gpu_model == "A100-40GB" ? 50.0 : 21.0;
    CHECK(gpu_static == Approx(gpus * idle * wall));
    // NDP-DIMM systems: each DIMM's background and refresh (2.338 W) over the run.
    if (r.dimms > 0) {
      double dimm_static = 0.0;
      for (const auto& x : r.energy.resources)
        if (x.kind == resource_kind::near_memory) dimm_static += x.static_joules;
      CHECK(dimm_static == Approx(static_cast<double>(r.dimms) * 2.33797 * wall).epsilon(1e-4));
    }
    // The JSON carries the same figures.
    const auto j = to_json(r);
    CHECK(j["energy"]["joules"].get<double>() == Approx(r.energy.joules));
    CHECK(j["energy"]["joules_per_token"].get<double>() == Approx(r.energy.joules_per_token));
    CHECK(j["energy"]["by_resource"].size() == 5);
    CHECK(j["cost"]["hardware_usd"].get<double>() == Approx(r.cost.hardware_usd));
  }
  CHECK(ran >= 5);
}

TEST_CASE("price_run: hardware, tokens/s per 1000 USD and USD per million tokens by hand", "[sim][cost]") {
  const price_table t = price_presets::defaults();
  sim_result r;
  r.supported = true;
  r.decode_tokens_per_second = 10.0;
  r.end_to_end_tokens_per_second = 8.0;
  r.energy.measured = true;
  r.energy.joules_per_token = 36.0;
  r.hardware = hardware_inventory{"RTX4090", 1, 8, 1, {}};
  const cost_report c = price_run(r, t);
  REQUIRE(c.priced);
  CHECK(c.hardware_usd == Approx(1599.0 + 8 * (90.0 + 150.0) + 2000.0));  // 5519
  CHECK(c.tokens_per_second_per_kusd == Approx(8.0 / 5.519));  // end to end, the paper's metric
  const double productive = 3.0 * 365.25 * 86400.0 * 0.5;
  CHECK(c.hardware_usd_per_million_tokens == Approx(1e6 * 5519.0 / (productive * 8.0)));
  CHECK(c.energy_usd_per_million_tokens == Approx(1e6 * 36.0 / 3.6e6 * 0.128));  // 10 kWh
  CHECK(c.usd_per_million_tokens == Approx(c.hardware_usd_per_million_tokens + c.energy_usd_per_million_tokens));

  // Several GPUs need the multi-GPU host; a GPU the table lacks leaves the run unpriced.
  r.hardware = hardware_inventory{"A100-40GB", 5, 0, 1, {}};
  CHECK(price_run(r, t).hardware_usd == Approx(5 * 10000.0 + 20000.0));
  r.hardware = hardware_inventory{"MyGPU", 1, 0, 1, {}};
  const cost_report u = price_run(r, t);
  CHECK_FALSE(u.priced);
  CHECK_THAT(u.unpriced_reason, Catch::Contains("MyGPU"));
  CHECK(to_json(u)["hardware_usd"].is_null());
  // A part without a market price (an NPU, PIM memory) leaves the run unpriced, naming it,
  // never priced as its other parts alone.
  r.hardware = hardware_inventory{"RTX4090", 1, 0, 1, {"NPU IANUS-NPU", "PIM memory AiM"}};
  const cost_report n = price_run(r, t);
  CHECK_FALSE(n.priced);
  CHECK_THAT(n.unpriced_reason, Catch::Contains("NPU IANUS-NPU") && Catch::Contains("PIM memory AiM"));

  price_table bad = t;
  bad.utilisation = 0.0;
  CHECK_THROWS_WITH(price_run(r, bad), Catch::Contains("prices.utilisation"));
}

TEST_CASE("run_system prices Hermes and the 5 x A100 TensorRT-LLM machine", "[sim][cost]") {
  const auto w = test::tiny_workload();
  const auto h = test::small_gpu();
  const sim_result hermes_run = run_system("Hermes", w, h);
  REQUIRE(hermes_run.cost.priced);
  CHECK(hermes_run.hardware.ndp_dimms == 8);
  CHECK(hermes_run.cost.hardware_usd == Approx(5519.0));
  const sim_result trt = run_system("TensorRT-LLM", w, h);
  REQUIRE(trt.supported);
  CHECK(trt.hardware.gpus == 5);
  CHECK(trt.cost.hardware_usd == Approx(70000.0));
}
