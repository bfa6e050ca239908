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

  // PCIe 4.0 x16: 16 GT/s x 16 lanes x 128b/130b per direction, full duplex; the paper's 64 GB/s
  // is kept as a preset.
  CHECK(link_presets::pcie4_x16().bandwidth.value() == Approx(16e9 * 16 * 128.0 / 130.0 / 8.0));
  CHECK(link_presets::pcie4_x16().bandwidth.value() == Approx(31.5e9).epsilon(1e-3));
  CHECK(link_presets::pcie4_x16().full_duplex);
  CHECK(link_presets::pcie4_x16_paper().bandwidth.value() == 64e9);
  CHECK(find_link_preset("pcie4-paper").name == "PCIe4-paper");
  // Measured DMA rates (RTX 4090, PCIe 4.0 x16, 64 MiB host-to-device): pinned 23.9 GB/s,
  // pageable 12.88 GB/s.
  const hermes::link pcie(link_presets::pcie4_x16());
  CHECK(pcie.rate(host_memory_kind::pinned).value() == Approx(23.9e9));
  CHECK(pcie.rate(host_memory_kind::pageable).value() == Approx(12.88e9));
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
  c = good;
  c.pinned_fraction = 0.0;
  CHECK(field_of(c) == "link_config.pinned_fraction");
  c = good;
  c.pageable_fraction = 1.5;
  CHECK(field_of(c) == "link_config.pageable_fraction");
  CHECK(field_of(good) == "accepted");
}

TEST_CASE("link: pinned and pageable host memory reach their measured fractions", "[device][link]") {
  const hermes::link l({.name = "hand", .bandwidth = 10_GBps, .latency = 1_us, .energy_per_bit = joules(0.0),
                        .full_duplex = true, .pinned_fraction = 0.8, .pageable_fraction = 0.4});
  CHECK(l.transfer(bytes(1e6)).time.value() == Approx(1e-6 + 1e6 / 8e9));  // pinned by default
  CHECK(l.transfer(bytes(1e6), host_memory_kind::pinned).time.value() == Approx(1e-6 + 1e6 / 8e9));
  CHECK(l.transfer(bytes(1e6), host_memory_kind::pageable).time.value() == Approx(1e-6 + 1e6 / 4e9));
  CHECK(l.transfer(0_B, host_memory_kind::pageable).time == 1_us);
}

TEST_CASE("link: full duplex overlaps opposite directions and serialises one direction", "[device][link]") {
  const link_config c{.name = "duplex", .bandwidth = 10_GBps, .latency = seconds(0.0),
                      .energy_per_bit = joules(0.0), .full_duplex = true};
  const hermes::link l(c);
  const seconds one = l.transfer(bytes(1e6)).time;  // 100 us
  {
    ledger L;
    const link_resources r = add_link_resources(L, "pcie", c);
    CHECK(r.to_gpu != r.from_gpu);
    CHECK(L.resource(r.to_gpu).name == "pcie_to_gpu");
    CHECK(L.resource(r.from_gpu).name == "pcie_from_gpu");
    // Opposite directions, both ready at 0: both end after one transfer time.
    CHECK(L.charge(r.to_gpu, seconds{}, l.transfer(bytes(1e6)), "pcie") == one);
    CHECK(L.charge(r.from_gpu, seconds{}, l.transfer(bytes(1e6)), "pcie") == one);
    // The same direction again: queued behind the first.
    CHECK(L.charge(r.to_gpu, seconds{}, l.transfer(bytes(1e6)), "pcie").value() == Approx(2.0 * one.value()));
  }
  {
    link_config half = c;
    half.full_duplex = false;
    ledger L;
    const link_resources r = add_link_resources(L, "bus", half);
    CHECK(r.to_gpu == r.from_gpu);
    CHECK(L.charge(r.to_gpu, seconds{}, l.transfer(bytes(1e6)), "x") == one);
    CHECK(L.charge(r.from_gpu, seconds{}, l.transfer(bytes(1e6)), "x").value() == Approx(2.0 * one.value()));
  }
}
