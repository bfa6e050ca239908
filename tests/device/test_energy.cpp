// Energy beside time (issue #13): the DRAM per-command arithmetic of device/dram_energy.hpp
// pinned by hand from the Micron IDD values, the NDP-DIMM's GEMV energy (commands + MACs), the
// GPU's and host CPU's utilisation model, and static power reaching the ledger through
// device_set::attach.
#include <catch2/catch.hpp>

#include <string>

#include "hermes/core/ledger.hpp"
#include "hermes/device/device_set.hpp"
#include "hermes/device/dram_energy.hpp"
#include "hermes/device/energy.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/host_cpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/device/ndp_dimm.hpp"

using namespace hermes;

namespace {

const ndp_dimm& hermes_dimm() {
  static const ndp_dimm d(ndp_dimm_presets::hermes_table2());
  return d;
}

std::string field_of(const dram_power_config& p) {
  try {
    p.validate();
  } catch (const invalid_parameter& e) {
    return e.field();
  }
  return "";
}

}  // namespace

TEST_CASE("dram_energy: per-command energies of the Hermes DIMM, by hand", "[device][energy]") {
  // Micron 8Gb x8 DDR4-3200: VDD 1.2 V, IDD0 57, IDD2N 37, IDD3N 52, IDD4R 168, IDD4W 150,
  // IDD5B 250 mA; 8 chips a rank; tCK 0.625 ns, tRC 76, tRAS 52, tBL 4, tRFC 560, tREFI 12480.
  const dram_energy e(dram_power_presets::micron_8gb_x8_ddr4_3200(), dram_presets::ddr4_3200_hermes());
  const double tck = 0.625e-9;
  // E_act = VDD (IDD0 tRC - (IDD3N tRAS + IDD2N (tRC - tRAS))) x 8
  //       = 1.2 x (4.332 - (2.704 + 0.888)) mA.cycles x 0.625 ns x 8 = 4.44 nJ
  CHECK(e.activate_precharge().value() == Approx(1.2 * (0.057 * 76 - (0.052 * 52 + 0.037 * 24)) * tck * 8));
  CHECK(e.activate_precharge().value() == Approx(4.44e-9));
  // E_rd = VDD (IDD4R - IDD3N) tBL x 8 = 1.2 x 0.116 x 2.5 ns x 8 = 2.784 nJ per 64-byte burst
  CHECK(e.read_burst().value() == Approx(2.784e-9));
  CHECK(e.write_burst().value() == Approx(1.2 * (0.150 - 0.052) * 4 * tck * 8));
  // E_ref = VDD (IDD5B - IDD3N) tRFC x 8 = 1.2 x 0.198 x 350 ns x 8 = 665.28 nJ
  CHECK(e.refresh().value() == Approx(6.6528e-7));
  // Background: 4 ranks x (VDD IDD3N x 8 + E_ref / tREFI) = 4 x (0.4992 + 0.0852923) W
  CHECK(e.background_power().value() == Approx(4.0 * (1.2 * 0.052 * 8 + 6.6528e-7 / (12480 * tck))));

  dram_counters c;
  c.activates = 3;
  c.precharges = 2;  // closed by the activates' pairs: not charged again
  c.reads = 10;
  c.writes = 2;
  c.refreshes = 5;   // part of the background's refresh average: not charged again
  c.row_hits = 7;
  CHECK(e.commands(c).value() ==
        Approx(3 * e.activate_precharge().value() + 10 * e.read_burst().value() + 2 * e.write_burst().value()));
  CHECK(e.commands(dram_counters{}).value() == 0.0);
}

TEST_CASE("dram_energy: without tRFC / tREFI there is no refresh power", "[device][energy]") {
  dram_config d = dram_presets::ddr4_3200_hermes();
  d.timing.tRFC = 0;
  d.timing.tREFI = 0;
  const dram_energy e(dram_power_presets::micron_8gb_x8_ddr4_3200(), d);
  CHECK(e.background_power().value() == Approx(4.0 * 1.2 * 0.052 * 8));
}

TEST_CASE("dram_power_config: a bad current is named", "[device][energy]") {
  auto p = dram_power_presets::micron_8gb_x8_ddr4_3200();
  CHECK(field_of(p).empty());
  p.idd0 = -1.0;
  CHECK(field_of(p) == "dram_power.idd0");
  p = dram_power_presets::micron_8gb_x8_ddr4_3200();
  p.idd4r = 0.01;  // below IDD3N
  CHECK(field_of(p) == "dram_power.idd4r");
  p = dram_power_presets::micron_8gb_x8_ddr4_3200();
  p.chips_per_rank = 0;
  CHECK(field_of(p) == "dram_power.chips_per_rank");
}

TEST_CASE("ndp_dimm: a GEMV's energy is its DRAM commands plus its MACs", "[device][energy]") {
  const auto& d = hermes_dimm();
  for (const std::size_t chunks : {1u, 7u, 40u, 300u}) {  // exact and estimated paths
    gemv_work w;
    w.chunks = chunks;
    w.rows_per_chunk = 1;
    w.cols = 8192;
    w.batch = 2;
    const device_cost c = d.gemv(w);
    const double macs = static_cast<double>(chunks) * 8192.0 * 2.0;
    INFO(chunks << " chunks");
    CHECK(c.dram.reads > 0);
    CHECK(c.energy.value() == Approx(d.energy_model().commands(c.dram).value() + macs * 1.5e-12));
  }
  // Static: DRAM background + refresh (the core's static power is 0 in the preset).
  CHECK(d.static_power().value() == Approx(d.energy_model().background_power().value()));
  CHECK(d.static_power().value() == Approx(2.33797).epsilon(1e-4));
}

TEST_CASE("gpu and host_cpu: (busy - idle) power while busy, idle power static", "[device][energy]") {
  const gpu g(gpu_presets::rtx4090());
  CHECK(g.static_power().value() == 21.0);
  gemv_work w;
  w.chunks = 1000;
  w.cols = 8192;
  const device_cost c = g.gemv(w);
  CHECK(c.energy.value() == Approx((450.0 - 21.0) * c.time.value()));
  const device_cost v = g.vector_op(vector_work{100000, 1.0, 2.0});
  CHECK(v.energy.value() == Approx(429.0 * v.time.value()));
  const gpu a100(gpu_presets::a100_40gb());
  CHECK(a100.config().power.busy.value() == 400.0);

  const host_cpu h(host_cpu_presets::i9_13900k());
  CHECK(h.static_power().value() == 12.0);
  const device_cost hc = h.gemv(w);
  CHECK(hc.energy.value() == Approx((253.0 - 12.0) * hc.time.value()));

  gpu_config bad = gpu_presets::rtx4090();
  bad.power.busy = watts(10.0);  // below idle
  try {
    bad.validate();
    FAIL("validate() accepted busy < idle");
  } catch (const invalid_parameter& e) {
    CHECK(e.field() == "gpu_config.power.busy_power");
  }
}

TEST_CASE("links: energy per bit of the presets", "[device][energy]") {
  const hermes::link pcie(link_presets::pcie4_x16());
  CHECK(pcie.transfer(bytes(1000.0)).energy.value() == Approx(8000.0 * 5.5e-12));
  CHECK(hermes::link(link_presets::dimm_link()).transfer(bytes(1000.0)).energy.value() == Approx(8000.0 * 1.17e-12));
  CHECK(hermes::link(link_presets::nvlink3()).config().energy_per_bit.value() == Approx(5.5e-12));
}

TEST_CASE("device_set::attach puts each device's static power in the ledger", "[device][energy]") {
  device_set devices(group<gpu>("gpu", 1, gpu_presets::rtx4090()),
                     group<ndp_dimm>("dimm", 3, ndp_dimm_presets::hermes_table2()));
  ledger l;
  devices.attach(l);
  CHECK(l.resource(l.id("gpu")).static_power.value() == 21.0);
  for (const char* name : {"dimm0", "dimm1", "dimm2"})
    CHECK(l.resource(l.id(name)).static_power.value() == Approx(hermes_dimm().static_power().value()));
  // reset() keeps the registered power; a bad power is refused by name.
  l.reset();
  CHECK(l.resource(l.id("gpu")).static_power.value() == 21.0);
  CHECK_THROWS_WITH(l.set_static_power(l.id("gpu"), watts(-1.0)), Catch::Contains("'gpu'"));
}
