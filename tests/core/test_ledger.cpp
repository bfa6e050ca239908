#include <catch2/catch.hpp>

#include "hermes/core/ledger.hpp"

using namespace hermes;
using namespace hermes::literals;

TEST_CASE("ledger: a resource serialises its charges", "[core][ledger]") {
  ledger l;
  const auto gpu = l.add_resource("gpu", resource_kind::compute);
  const auto dimm = l.add_resource("dimm0", resource_kind::memory);
  CHECK(l.charge(gpu, 0_s, 2_s, "gpu_compute") == 2_s);
  // ready at 1 s but the GPU is busy until 2 s
  CHECK(l.charge(gpu, 1_s, 1_s, "gpu_compute") == 3_s);
  // an idle resource starts as soon as the input is ready
  CHECK(l.charge(dimm, 5_s, 1_s, "dimm_compute") == 6_s);
  CHECK(l.resource(gpu).busy == 3_s);
  CHECK(l.makespan() == 6_s);
  CHECK(l.stage_busy("gpu_compute") == 3_s);
  CHECK(l.stage_busy("pcie") == 0_s);
}

TEST_CASE("ledger: counters add up and reset keeps resources", "[core][ledger]") {
  ledger l;
  l.keep_intervals(true);
  const auto d = l.add_resource("dimm0", resource_kind::memory);
  device_cost c;
  c.time = 1_us;
  c.bytes_moved = 4_KiB;
  c.dram.activates = 2;
  c.dram.reads = 64;
  l.charge(d, 0_s, c, "dimm_compute");
  l.charge(d, 0_s, c, "dimm_compute");
  CHECK(l.resource(d).bytes_moved == 8_KiB);
  CHECK(l.resource(d).dram.activates == 4);
  CHECK(l.resource(d).dram.reads == 128);
  REQUIRE(l.resource(d).intervals.size() == 2);
  CHECK(l.resource(d).intervals[1].start == 1_us);
  l.reset();
  CHECK(l.resource(d).busy == 0_s);
  CHECK(l.id("dimm0") == d);
}

TEST_CASE("ledger: bad use is reported with names", "[core][ledger]") {
  ledger l;
  l.add_resource("gpu", resource_kind::compute);
  CHECK_THROWS_WITH(l.add_resource("gpu", resource_kind::compute), Catch::Contains("already"));
  CHECK_THROWS_WITH(l.id("npu"), Catch::Contains("known: gpu"));
  device_cost neg;
  neg.time = seconds(-1.0);
  CHECK_THROWS(l.charge(0, 0_s, neg, "x"));
}
