// GDDR6 memory and GDDR6-AiM PIM (device/pim.hpp, dram_presets::gddr6_16gbps): the IANUS
// figures (pins, internal bandwidth, capacity) and GEMV costs worked by hand from the timings.
#include <catch2/catch.hpp>

#include <string>

#include "hermes/device/pim.hpp"

using namespace hermes;

namespace {
constexpr double ns = 1e-9;
// IANUS timings in ns (tCK 0.5 ns): tRCDRD 36, tRP 30, MAC16 every tCCD = 1 ns, MAC16 -> PRE
// max(tCCD, tRTP = 5 cycles = 2.5 ns), WR_GB / RD_MAC one 32-byte burst per tBL = 1 ns.
constexpr double tRCD = 36, tRP = 30, tCCD = 1, tRTP = 2.5, tBL = 1;
// GB fill of c BF16 columns and one ACT16 + MAC16s + PRE on c columns, by hand.
double fill(double c) { return (2 * c / 32) * tBL; }
double block(double c) { return tRCD + (2 * c / 32 - 1) * tCCD + tRTP + tRP; }
constexpr double readout = tBL;  // 16 banks x 2 bytes = one burst

std::string field_of(auto&& f) {
  try {
    f();
  } catch (const invalid_parameter& e) {
    return e.field();
  }
  return "(no throw)";
}
}  // namespace

TEST_CASE("gddr6 preset: IANUS organisation and timings, and it validates", "[device][pim]") {
  const auto c = dram_presets::gddr6_16gbps();
  REQUIRE_NOTHROW(c.validate());
  CHECK(c.organization.channels == 8);
  CHECK(c.organization.banks_per_rank() == 16);
  CHECK(c.organization.row_bytes == 2048);
  CHECK(c.organization.burst_bytes() == 32);
  CHECK(c.timing.tRCD * 0.5 == 36.0);
  CHECK(c.timing.tRP * 0.5 == 30.0);
  CHECK(c.timing.tRAS * 0.5 == 21.0);
  CHECK(c.timing.tCCD_S * 0.5 == 1.0);
  CHECK(c.timing.tCCD_L * 0.5 == 1.0);
  const dram_model m(c);
  CHECK(m.capacity().value() == 8.0 * 1073741824.0);
  CHECK(m.pin_bandwidth().value() == Approx(256e9));
  CHECK(dram_model(dram_presets::gddr6_16gbps(4)).capacity().value() == 4.0 * 1073741824.0);
  // Consecutive 2 KiB rows rotate over channels, then bank groups, then banks.
  CHECK(m.decode(2048).channel == 1);
  CHECK(m.decode(8 * 2048).bank_group == 1);
  CHECK(m.decode(32 * 2048).bank == 1);
  CHECK(m.decode(128 * 2048).row == 1);
  CHECK_THROWS_AS(dram_presets::gddr6_16gbps(0), invalid_parameter);
  CHECK_THROWS_AS(dram_presets::gddr6_16gbps(17), invalid_parameter);
}

TEST_CASE("gddr6 memory: a DMA read streams all channels near the pin rate", "[device][pim]") {
  const gddr6_memory mem(dram_presets::gddr6_16gbps());
  CHECK(mem.channels() == 8);
  CHECK(mem.pin_bandwidth().value() == Approx(256e9));
  CHECK(mem.capacity().value() == 8.0 * 1073741824.0);
  const auto mib = mem.read(bytes(1048576.0));
  // 1 MiB at 256 GB/s is 4096 ns; the model takes 4461 ns (91.8%: one row per bank per 2 KiB,
  // a 10-cycle bubble per row while the next bank activates behind a 32-burst read queue).
  CHECK(mib.time.value() >= 4096e-9);
  CHECK(1048576.0 / 256e9 / mib.time.value() >= 0.90);
  CHECK(mib.bytes_moved.value() == 1048576.0);
  CHECK(mib.dram.reads == 32768);      // 32-byte bursts
  CHECK(mib.dram.activates == 512);    // one per 2 KiB row
  CHECK(mib.energy.value() == Approx(1048576.0 * 8 * 7.5e-12));
  // Memoised: the same answer again, and from a copy.
  const gddr6_memory copy = mem;
  CHECK(copy.read(bytes(1048576.0)).time == mib.time);
  CHECK(mem.read(bytes(0.0)).time.value() == 0.0);
  // Small reads are latency-bound; long ones keep the rate (extrapolated beyond 32 MiB).
  const auto big = mem.read(bytes(100.0 * 1048576));
  CHECK(100.0 * 1048576 / 256e9 / big.time.value() == Approx(0.927).margin(0.01));
  const double t32 = mem.read(bytes(32.0 * 1048576)).time.value();
  CHECK(mem.read(bytes(64.0 * 1048576)).time.value() == Approx(2 * t32).epsilon(0.01));
  CHECK(field_of([&] { (void)mem.read(bytes(9.0 * 1073741824.0)); }) == "gddr6 read size");
  CHECK(field_of([&] { (void)mem.read(bytes(-1.0)); }) == "gddr6 read size");
}

TEST_CASE("pim: IANUS capacity, pins and internal bandwidth", "[device][pim]") {
  const pim_memory pim(pim_presets::aim_gddr6());
  CHECK(pim.capacity().value() == 8.0 * 1073741824.0);
  CHECK(pim.memory().pin_bandwidth().value() == Approx(256e9));
  CHECK(pim.banks() == 128);
  CHECK(pim.internal_bandwidth().value() == Approx(4096e9));  // 128 banks x 32 GB/s
  CHECK(pim.mac_interval().value() == Approx(1e-9));
  CHECK(pim.read(bytes(4096.0)).time == pim.memory().read(bytes(4096.0)).time);
  const pim_memory half(pim_presets::aim_gddr6(4));
  CHECK(half.capacity().value() == 4.0 * 1073741824.0);
  CHECK(half.internal_bandwidth().value() == Approx(2048e9));
}

TEST_CASE("pim gemv: tiles and blocks costed by hand from the timings", "[device][pim]") {
  const pim_memory pim(pim_presets::aim_gddr6());
  SECTION("one full 1024-column tile") {
    // 64 ns fill + (36 + 63 + 2.5 + 30) ns + 1 ns readout = 196.5 ns.
    const auto c = pim.gemv(128, 1024, 1);
    CHECK(fill(1024) + block(1024) + readout == 196.5);
    CHECK(c.time.value() == Approx(196.5 * ns));
    CHECK(c.flops_done.value() == 2.0 * 128 * 1024);
    CHECK(c.dram.activates == 128);
    CHECK(c.dram.reads == 128 * 64);
    CHECK(c.dram.row_hits + c.dram.row_misses == c.dram.reads);
    // Energy: PU reads 128 banks x 64 bursts x 32 B at 3 x 7.5 pJ/bit, plus the pins: 64 fill
    // bursts and 1 readout burst per channel at 7.5 pJ/bit.
    const double pu = 128.0 * 64 * 32, pins = 8.0 * 65 * 32;
    CHECK(c.energy.value() == Approx((3 * pu + pins) * 8 * 7.5e-12));
  }
  SECTION("a head-dimension tile (64 columns) pays a whole ACT and PRE") {
    // 4 ns fill + (36 + 3 + 2.5 + 30) ns + 1 ns = 76.5 ns.
    CHECK(pim.gemv(128, 64, 1).time.value() == Approx(76.5 * ns));
    CHECK(pim.gemv(100, 64, 1).time == pim.gemv(128, 64, 1).time);
  }
  SECTION("129 rows need two row tiles; the vector is filled once") {
    CHECK(pim.gemv(129, 1024, 1).time.value() == Approx((64 + 2 * (131.5 + 1)) * ns));
    CHECK(pim.gemv(256, 1024, 1).time == pim.gemv(129, 1024, 1).time);
  }
  SECTION("1600 columns: two blocks, the GB refilled for every tile and block") {
    // Per tile: 64 + 131.5 (1024 columns) + 36 + 103.5 (576 columns) + 1 = 336 ns.
    CHECK(fill(576) + block(576) == 139.5);
    CHECK(pim.gemv(128, 1600, 1).time.value() == Approx(336 * ns));
    CHECK(pim.gemv(256, 1600, 1).time.value() == Approx(672 * ns));
  }
  SECTION("GPT2-XL shapes, one token") {
    // 4800 x 1600: 38 tiles x 336 ns; 1600 x 1600: 13 x 336; 6400 x 1600: 50 x 336;
    // 1600 x 6400: 13 x (6 x (64 + 131.5) + 16 + 83.5 + 1) = 13 x 1273.5.
    CHECK(pim.gemv(4800, 1600, 1).time.value() == Approx(12768 * ns));
    CHECK(pim.gemv(1600, 1600, 1).time.value() == Approx(4368 * ns));
    CHECK(pim.gemv(6400, 1600, 1).time.value() == Approx(16800 * ns));
    CHECK(fill(256) + block(256) == 99.5);
    CHECK(pim.gemv(1600, 6400, 1).time.value() == Approx(16555.5 * ns));
  }
  SECTION("n tokens cost n times one") {
    const auto one = pim.gemv(1600, 6400, 1);
    const auto five = pim.gemv(1600, 6400, 5);
    CHECK(five.time.value() == Approx(5 * one.time.value()));
    CHECK(five.energy.value() == Approx(5 * one.energy.value()));
    CHECK(five.flops_done.value() == Approx(5 * one.flops_done.value()));
    CHECK(five.dram.activates == 5 * one.dram.activates);
    CHECK(pim.gemv(1600, 6400, 0).time.value() == 0.0);
  }
  SECTION("the activation unit: ACT16 of the lookup-table row, AF16, PRE per row tile") {
    // 6400 results = 50 tiles x (36 + 2.5 + 30) ns.
    CHECK(pim.gemv_activation(6400, 1).time.value() == Approx(50 * 68.5 * ns));
    CHECK(pim.gemv_activation(6400, 3).time.value() == Approx(3 * 50 * 68.5 * ns));
    CHECK(pim.gemv_activation(1, 1).time.value() == Approx(68.5 * ns));
  }
  SECTION("bad shapes name the field") {
    CHECK(field_of([&] { (void)pim.gemv(0, 1024, 1); }) == "pim gemv rows");
    CHECK(field_of([&] { (void)pim.gemv(128, 0, 1); }) == "pim gemv cols");
    CHECK(field_of([&] { (void)pim.gemv_activation(0, 1); }) == "pim gemv_activation elements");
  }
}

TEST_CASE("pim config: bad values throw invalid_parameter naming the field", "[device][pim]") {
  const auto bad = [](auto change) {
    auto c = pim_presets::aim_gddr6();
    change(c);
    return field_of([&] { pim_memory p(c); });
  };
  CHECK(bad([](pim_config& c) { c.name.clear(); }) == "pim.name");
  CHECK(bad([](pim_config& c) { c.pu_clock_hz = 0; }) == "pim.pu_clock_hz");
  CHECK(bad([](pim_config& c) { c.pu_macs_per_cycle = 0; }) == "pim.pu_macs_per_cycle");
  CHECK(bad([](pim_config& c) { c.global_buffer = bytes(0.0); }) == "pim.global_buffer");
  CHECK(bad([](pim_config& c) { c.tile_columns = 0; }) == "pim.tile_columns");
  CHECK(bad([](pim_config& c) { c.tile_columns = 2048; }) == "pim.tile_columns");  // > 2 KB GB
  CHECK(bad([](pim_config& c) { c.pim_energy_vs_read = -1; }) == "pim.pim_energy_vs_read");
  CHECK(bad([](pim_config& c) { c.read_energy_pj_per_bit = 0; }) == "pim.read_energy_pj_per_bit");
  CHECK(bad([](pim_config& c) { c.dram.timing.tRCD = 0; }) == "dram.timing.tRCD");
  CHECK(bad([](pim_config&) {}) == "(no throw)");
  // A slower PU spaces the MAC commands: 8 MACs per cycle need 2 ns per 16-value burst.
  auto slow = pim_presets::aim_gddr6();
  slow.pu_macs_per_cycle = 8;
  CHECK(pim_memory(slow).mac_interval().value() == Approx(2e-9));
  CHECK(pim_memory(slow).internal_bandwidth().value() == Approx(2048e9));
}
