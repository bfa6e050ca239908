#include <catch2/catch.hpp>

#include <string>

#include "hermes/device/link.hpp"

using namespace hermes;
using namespace hermes::literals;
// Spelled hermes::link below: POSIX declares a function ::link (unistd.h), which a using-directive
// would make ambiguous.

namespace {
struct no_transfer {
  std::string_view name() const { return "x"; }
};
struct transfer_takes_double {
  std::string_view name() const { return "x"; }
  device_cost transfer(double) const { return {}; }
  device_cost transfer(bytes) const = delete;
};
}  // namespace

TEST_CASE("link: models link_device; look-alikes do not", "[device][link]") {
  STATIC_REQUIRE(link_device<hermes::link>);
  STATIC_REQUIRE_FALSE(link_device<no_transfer>);
  STATIC_REQUIRE_FALSE(link_device<transfer_takes_double>);
}

TEST_CASE("link: time = latency + bytes / bandwidth, energy = bits x energy per bit",
          "[device][link]") {
  const hermes::link l({.name = "hand", .bandwidth = 10_GBps, .latency = 3_us,
                .energy_per_bit = 2.0_pJ});
  CHECK(l.name() == "hand");
  const auto c = l.transfer(1_MiB);
  CHECK(c.time.value() == Approx(3e-6 + 1048576.0 / 10e9));
  CHECK(c.bytes_moved == 1_MiB);
  CHECK(c.energy.value() == Approx(8.0 * 1048576.0 * 2e-12));
  CHECK(c.flops_done == flops(0.0));
  // Linear in the payload: doubling it adds exactly one more payload time.
  CHECK((l.transfer(2_MiB).time - c.time).value() == Approx(1048576.0 / 10e9));
  // A zero-byte transfer is a synchronisation: latency only, no energy.
  CHECK(l.transfer(0_B).time == 3_us);
  CHECK(l.transfer(0_B).energy == joules(0.0));
  CHECK_THROWS_AS(l.transfer(bytes(-1.0)), invalid_parameter);
}

TEST_CASE("link: presets follow the paper and their sources", "[device][link]") {
  const hermes::link dimm(link_presets::dimm_link());
  CHECK(dimm.config().bandwidth.value() == 25e9);
  // One LLaMA2-70B gated neuron (3 x 8192 FP16 = 48 KiB) between two DIMMs.
  const auto neuron = dimm.transfer(48_KiB);
  CHECK(neuron.time.value() == Approx(20e-9 + 49152.0 / 25e9));
  CHECK(neuron.energy.value() == Approx(49152.0 * 8.0 * 1.17e-12));

  CHECK(link_presets::pcie4_x16().bandwidth.value() == 64e9);
  CHECK(link_presets::pcie4_x16_per_direction().bandwidth.value() ==
        Approx(16e9 * 16 * 128.0 / 130.0 / 8.0));
  CHECK(link_presets::pcie4_x16_per_direction().bandwidth.value() == Approx(31.5e9).epsilon(1e-3));
  CHECK(link_presets::host_memory_bus().bandwidth.value() == Approx(89.6e9));

  for (const auto& c : link_presets::all()) {
    CAPTURE(c.name);
    CHECK_NOTHROW(c.validate());
    CHECK(find_link_preset(c.name).name == c.name);
  }
  CHECK(find_link_preset("dimm-LINK").name == "DIMM-link");
  CHECK_THROWS_WITH(find_link_preset("NVLink"),
                    Catch::Contains("NVLink") && Catch::Contains("PCIe4-x16") &&
                        Catch::Contains("DIMM-link"));
}

TEST_CASE("link: invalid configurations are rejected naming the field", "[device][link]") {
  const auto field_of = [](link_config c) -> std::string {
    try {
      hermes::link l(c);
    } catch (const invalid_parameter& e) {
      return e.field();
    }
    return "accepted";
  };
  link_config good = link_presets::dimm_link();
  link_config c = good;
  c.name.clear();
  CHECK(field_of(c) == "link_config.name");
  c = good;
  c.bandwidth = bandwidth(0.0);
  CHECK(field_of(c) == "link_config.bandwidth");
  c = good;
  c.latency = seconds(-1e-9);
  CHECK(field_of(c) == "link_config.latency");
  c = good;
  c.energy_per_bit = joules(-1e-12);
  CHECK(field_of(c) == "link_config.energy_per_bit");
  CHECK(field_of(good) == "accepted");
}
