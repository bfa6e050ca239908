#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "hermes/device/dram.hpp"

using namespace hermes;

namespace {

// Hermes timing on one rank with 2 bank groups x 4 banks and a shared bus, so that the hand
// computations below involve a single rank's constraints.
dram_config one_rank(std::vector<dram_field> mapping) {
  auto c = dram_presets::ddr4_3200_hermes();
  c.organization.ranks = 1;
  c.organization.rows = 1024;
  c.rank_bus = rank_data_bus::shared;
  c.address_mapping = std::move(mapping);
  return c;
}
const std::vector<dram_field> row_in_bank = {dram_field::column, dram_field::bank_group,
                                             dram_field::bank, dram_field::rank,
                                             dram_field::row, dram_field::channel};
const std::vector<dram_field> group_lowest = {dram_field::bank_group, dram_field::bank,
                                              dram_field::column, dram_field::rank,
                                              dram_field::row, dram_field::channel};

constexpr double tck = 0.625e-9;
double cycles(const device_cost& c) { return c.time.value() / tck; }

device_cost read(const dram_model& m, std::vector<dram_request> r) { return m.read(r); }

void check_counter_invariants(const dram_model& m, const device_cost& c) {
  CHECK(c.dram.row_hits + c.dram.row_misses + c.dram.row_conflicts == c.dram.reads);
  // A refresh can close a row between its activate and its first read: one more activate.
  if (c.dram.refreshes == 0) CHECK(c.dram.activates == c.dram.row_misses + c.dram.row_conflicts);
  CHECK(c.dram.activates >= c.dram.row_misses + c.dram.row_conflicts);
  CHECK(c.bytes_moved.value() ==
        static_cast<double>(c.dram.reads * m.config().organization.burst_bytes()));
  // Never faster than the pins: every burst occupies tBL cycles of one of the buses.
  CHECK(c.time >= c.bytes_moved / m.pin_bandwidth());
}

}  // namespace

TEST_CASE("dram: the Hermes preset is Table II", "[device][dram]") {
  const dram_model m(dram_presets::ddr4_3200_hermes());
  const auto& t = m.config().timing;
  CHECK(m.capacity().value() == 32.0 * 1024 * 1024 * 1024);
  CHECK(t.tRAS == t.tRC - t.tRP);
  CHECK(m.buses() == 4);  // one internal bus per rank (center buffer)
  // 4 ranks x 8 bytes x 3200 MT/s.
  CHECK(m.pin_bandwidth().value() == Approx(102.4e9));
  CHECK(m.config().organization.burst_bytes() == 64);
}

TEST_CASE("dram: the address mapping splits addresses low field first", "[device][dram]") {
  const dram_model m(dram_presets::ddr4_3200_hermes());  // rank, group, column, bank, row
  CHECK(m.decode(0) == dram_location{});
  CHECK(m.decode(64).rank == 1);
  CHECK(m.decode(4 * 64).bank_group == 1);
  CHECK(m.decode(8 * 64).column == 1);
  CHECK(m.decode(8 * 8192).bank == 1);
  CHECK(m.decode(4 * 8 * 8192).row == 1);
  CHECK(m.decode(4 * 8 * 8192 + 3 * 64 + 8 * 64 * 5).rank == 3);
  CHECK(m.decode(4 * 8 * 8192 + 3 * 64 + 8 * 64 * 5).column == 5);
}

TEST_CASE("dram: hand-computed timings of tiny patterns", "[device][dram]") {
  const dram_model m(one_rank(row_in_bank));
  const std::uint64_t next_row_same_bank = 8192 * 8;  // column, 2 groups x 4 banks, then row

  SECTION("one burst: tRCD + tCL + tBL") {
    const auto c = read(m, {{0, 64}});
    CHECK(cycles(c) == Approx(24 + 24 + 4));
    CHECK(c.dram.activates == 1);
    CHECK(c.dram.row_misses == 1);
    CHECK(c.dram.reads == 1);
    CHECK(c.dram.precharges == 0);
    check_counter_invariants(m, c);
  }
  SECTION("four bursts of one row in one bank group are tCCD_L apart") {
    const auto c = read(m, {{0, 256}});
    CHECK(cycles(c) == Approx(24 + 3 * 8 + 24 + 4));
    CHECK(c.dram.row_hits == 3);
  }
  SECTION("a partial burst reads the whole burst") {
    const auto c = read(m, {{60, 8}});  // straddles bursts 0 and 1
    CHECK(c.dram.reads == 2);
    CHECK(c.bytes_moved.value() == 128.0);
  }
  SECTION("a second read of the open row is a hit") {
    const auto c = read(m, {{0, 64}, {64, 64}});
    CHECK(cycles(c) == Approx(24 + 8 + 24 + 4));
    CHECK(c.dram.activates == 1);
    CHECK(c.dram.row_hits == 1);
    check_counter_invariants(m, c);
  }
  SECTION("another row of the same bank is a conflict: tRAS, tRP, tRC") {
    const auto c = read(m, {{0, 64}, {next_row_same_bank, 64}});
    // PRE at max(tRAS = 52, RD 24 + tRTP 12) = 52, ACT at max(52 + tRP, tRC) = 76, RD at 100.
    CHECK(cycles(c) == Approx(100 + 24 + 4));
    CHECK(c.dram.row_conflicts == 1);
    CHECK(c.dram.precharges == 1);
    CHECK(c.dram.activates == 2);
    check_counter_invariants(m, c);
  }
  SECTION("closed-row policy precharges after each segment: misses, no conflicts") {
    auto cfg = one_rank(row_in_bank);
    cfg.row_policy = row_buffer_policy::closed;
    const dram_model closed(cfg);
    const auto c = read(closed, {{0, 64}, {next_row_same_bank, 64}});
    CHECK(cycles(c) == Approx(128));
    CHECK(c.dram.row_conflicts == 0);
    CHECK(c.dram.row_misses == 2);
    CHECK(c.dram.precharges == 2);
    // ... but keeps the row open for a queued hit.
    const auto h = read(closed, {{0, 64}, {64, 64}});
    CHECK(h.dram.activates == 1);
    CHECK(h.dram.row_hits == 1);
  }
}

TEST_CASE("dram: bank groups, tRRD and the four-activate window", "[device][dram]") {
  SECTION("two bank groups interleave at tCCD_S") {
    const dram_model m(one_rank(group_lowest));
    const auto c = read(m, {{0, 64}, {64, 64}});  // group 0 and group 1
    // ACT 0 and 4 (tRRD_S); RD 24 and 28; data of the second ends 28 + 24 + 4.
    CHECK(cycles(c) == Approx(56));
    CHECK(c.dram.activates == 2);
  }
  SECTION("a fifth activate waits for tFAW") {
    // Banks (group, bank) = (0,0) (1,0) (0,1) (1,1) (0,2): ACTs at 0, 4, 8, 12 by tRRD_S/L and
    // the fifth at 0 + tFAW = 26 instead of max(12 + 4, 8 + 6) = 16.
    std::vector<dram_request> five;
    for (std::uint64_t i = 0; i < 5; ++i) five.push_back({i * 64, 64});
    const dram_model m(one_rank(group_lowest));
    const auto c = m.read(five);
    CHECK(cycles(c) == Approx(26 + 24 + 24 + 4));
    CHECK(c.dram.activates == 5);

    auto relaxed = one_rank(group_lowest);
    relaxed.timing.tFAW = 16;
    const auto r = dram_model(relaxed).read(five);
    CHECK(cycles(r) == Approx(16 + 24 + 24 + 4));
  }
}

TEST_CASE("dram: streaming bandwidth depends on the address mapping", "[device][dram]") {
  const std::vector<dram_request> one_mib = {{0, 1u << 20}};
  const dram_model hermes(dram_presets::ddr4_3200_hermes());
  const auto fine = hermes.read(one_mib);
  const double fine_bw = fine.bytes_moved / fine.time / hermes.pin_bandwidth();
  CHECK(fine_bw > 0.95);  // interleaved over ranks and bank groups: near the pins
  check_counter_invariants(hermes, fine);

  // Same DIMM, but a whole row in one bank: within the 32-burst read queue only one bank group
  // has work most of the time, so reads are tCCD_L = 2 tBL apart.
  auto row_cfg = dram_presets::ddr4_3200_hermes();
  row_cfg.address_mapping = row_in_bank;
  const dram_model rows(row_cfg);
  const auto coarse = rows.read(one_mib);
  const double coarse_bw = coarse.bytes_moved / coarse.time / rows.pin_bandwidth();
  CHECK(coarse_bw < 0.75);
  CHECK(coarse_bw > 0.45);
  CHECK(coarse.dram.reads == fine.dram.reads);
  check_counter_invariants(rows, coarse);

  // A deeper queue sees the other bank group's row in time and recovers the bandwidth.
  row_cfg.read_queue_depth = 256;
  const auto deep = dram_model(row_cfg).read(one_mib);
  CHECK(deep.time < coarse.time * 0.8);
}

TEST_CASE("dram: random small reads are bound by activates, scattered rows conflict",
          "[device][dram]") {
  const dram_model m(dram_presets::ddr4_3200_hermes());
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::uint64_t> burst(0, (8ull << 30) / 64 - 1);
  std::vector<dram_request> random;
  for (int i = 0; i < 4000; ++i) random.push_back({burst(rng) * 64, 64});
  const auto c = m.read(random);
  check_counter_invariants(m, c);
  CHECK(c.dram.activates > c.dram.reads * 95 / 100);  // almost every read opens a row
  CHECK(c.dram.row_conflicts > c.dram.reads / 2);     // ... mostly closing another one
  const double bw = c.bytes_moved / c.time / m.pin_bandwidth();
  // tRC: 8 banks per rank / 76 cycles vs 1 burst per 4 cycles at the pins -> at most 42%.
  CHECK(bw < 0.45);
  CHECK(bw > 0.05);

  // Two rows of one bank, alternately: every access after the first conflicts.
  const dram_model one(one_rank(row_in_bank));
  std::vector<dram_request> ping_pong;
  for (std::uint64_t i = 0; i < 10; ++i) ping_pong.push_back({(i % 2) * 8192 * 8, 64});
  const auto p = one.read(ping_pong);
  CHECK(p.dram.row_conflicts == 9);
  CHECK(p.dram.activates == 10);
  // Each conflict costs a full row cycle tRC.
  CHECK(cycles(p) == Approx(9 * 76 + 24 + 24 + 4));
}

TEST_CASE("dram: refresh stalls ranks every tREFI when switched on", "[device][dram]") {
  auto cfg = dram_presets::ddr4_3200_hermes();
  const std::vector<dram_request> stream = {{0, 16u << 20}};
  const auto off = dram_model(cfg).read(stream);
  CHECK(off.dram.refreshes == 0);
  cfg.timing.refresh = true;
  const dram_model on_model(cfg);
  const auto on = on_model.read(stream);
  check_counter_invariants(on_model, on);
  const double refresh_windows = on.time.value() / (12480 * tck);
  // Each of the 4 ranks refreshes once per elapsed tREFI.
  CHECK(on.dram.refreshes >= 4 * static_cast<std::uint64_t>(refresh_windows));
  CHECK(on.dram.refreshes <= 4 * static_cast<std::uint64_t>(refresh_windows + 1));
  // The rank is busy tRFC (+ tRP) of every tREFI and reopens its rows: 4.5% to 10% slower.
  const double slowdown = on.time / off.time;
  CHECK(slowdown > 1.0 + 560.0 / 12480.0);
  CHECK(slowdown < 1.10);
  CHECK(on.dram.activates > off.dram.activates);
}

TEST_CASE("dram: pin bandwidth bounds every pattern", "[device][dram]") {
  for (const auto bus : {rank_data_bus::shared, rank_data_bus::per_rank}) {
    auto cfg = dram_presets::ddr4_3200_hermes();
    cfg.rank_bus = bus;
    const dram_model m(cfg);
    const auto c = m.read(std::vector<dram_request>{{0, 4u << 20}});
    check_counter_invariants(m, c);
    CHECK(c.bytes_moved / c.time <= m.pin_bandwidth());
    if (bus == rank_data_bus::shared) CHECK(m.pin_bandwidth().value() == Approx(25.6e9));
  }
}

TEST_CASE("dram: bad configurations and requests name the field", "[device][dram]") {
  const auto field_of = [](dram_config c) {
    try {
      dram_model m(std::move(c));
    } catch (const invalid_parameter& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  auto c = dram_presets::ddr4_3200_hermes();
  CHECK(field_of(c) == "accepted");
  c.organization.ranks = 0;
  CHECK(field_of(c) == "dram.organization.ranks");
  c = dram_presets::ddr4_3200_hermes();
  c.organization.row_bytes = 100;
  CHECK(field_of(c) == "dram.organization.row_bytes");
  c = dram_presets::ddr4_3200_hermes();
  c.timing.tRC = 60;
  CHECK(field_of(c) == "dram.timing.tRC");
  c = dram_presets::ddr4_3200_hermes();
  c.timing.tCCD_L = 2;
  CHECK(field_of(c) == "dram.timing.tCCD_L");
  c = dram_presets::ddr4_3200_hermes();
  c.timing.tCK = seconds(0.0);
  CHECK(field_of(c) == "dram.timing.tCK");
  c = dram_presets::ddr4_3200_hermes();
  c.timing.refresh = true;
  c.timing.tREFI = 100;
  CHECK(field_of(c) == "dram.timing.tREFI");
  c = dram_presets::ddr4_3200_hermes();
  c.address_mapping[0] = dram_field::row;
  CHECK(field_of(c) == "dram.address_mapping");
  c = dram_presets::ddr4_3200_hermes();
  c.address_mapping.pop_back();
  CHECK(field_of(c) == "dram.address_mapping");
  c = dram_presets::ddr4_3200_hermes();
  c.read_queue_depth = 0;
  CHECK(field_of(c) == "dram.read_queue_depth");
  CHECK(field_of(dram_config{}) == "dram.organization.channels");

  const dram_model m(dram_presets::ddr4_3200_hermes());
  const auto cap = static_cast<std::uint64_t>(m.capacity().value());
  CHECK_THROWS_AS(read(m, {{cap - 32, 64}}), invalid_parameter);
  CHECK_THROWS_AS(read(m, {{0, 0}}), invalid_parameter);
  CHECK_NOTHROW(read(m, {{cap - 64, 64}}));
  CHECK(m.read({}).time == seconds{});
}

TEST_CASE("dram: reads of different ranks on a shared bus are spaced by tBL + tRTRS", "[device][dram]") {
  // JESD79-4 rank-to-rank switching: on a bus shared by ranks, a read of another rank follows
  // the previous read's data by tRTRS idle cycles, so interleaved ranks stream one burst per
  // tBL + tRTRS. With rank lowest in the mapping, consecutive bursts alternate 4 ranks.
  auto cfg = dram_presets::ddr4_3200_hermes();
  cfg.rank_bus = rank_data_bus::shared;  // a host memory channel: the ranks share the data bus
  cfg.organization.rows = 1024;
  const std::vector<dram_request> stream = {{0, 1u << 20}};  // 16384 bursts
  const double bursts = (1u << 20) / 64.0;
  const auto& t = cfg.timing;
  REQUIRE(t.tRTRS == 2);
  const auto switching = dram_model(cfg).read(stream);
  // Steady state: one burst every tBL + tRTRS = 6 cycles (not tBL = 4); row changes add < 3%.
  CHECK(cycles(switching) >= bursts * (t.tBL + t.tRTRS));
  CHECK(cycles(switching) == Approx(bursts * (t.tBL + t.tRTRS)).epsilon(0.03));
  check_counter_invariants(dram_model(cfg), switching);
  // Without the turnaround the same stream reaches the pins: tBL per burst.
  auto no_switch = cfg;
  no_switch.timing.tRTRS = 0;
  const auto pins = dram_model(no_switch).read(stream);
  CHECK(cycles(pins) == Approx(bursts * t.tBL).epsilon(0.01));
  // One rank alone never switches: its bank groups interleave at tCCD_S = tBL.
  const auto single = dram_model(one_rank(group_lowest)).read(std::vector<dram_request>{{0, 1u << 18}});
  CHECK(cycles(single) == Approx(4096.0 * t.tCCD_S).epsilon(0.02));
  // Two bursts of two ranks: the second's data ends tBL + tRTRS after the first's, up to the
  // fluid scheduler's sub-burst sharing of the bus (under one cycle).
  const auto two = dram_model(cfg).read(std::vector<dram_request>{{0, 128}});
  CHECK(cycles(two) >= t.tRCD + t.tCL + 2.0 * t.tBL + t.tRTRS - 1.0);
  const auto two_no_switch = dram_model(no_switch).read(std::vector<dram_request>{{0, 128}});
  CHECK(cycles(two) > cycles(two_no_switch));
  // Per-rank buses (the NDP-DIMM) have nothing to switch.
  const auto ndp = dram_model(dram_presets::ddr4_3200_hermes()).read(stream);
  CHECK(ndp.time < pins.time * 0.3);
}

TEST_CASE("dram: the command bus issues one command per clock", "[device][dram]") {
  // A row per burst and a bus as fast as the command clock (tBL = tCCD = 1): every burst needs
  // an ACT and a RD (and, once its bank's row is open, a PRE), three commands, while the data
  // bus could take one burst per clock. N commands need at least N clocks.
  auto cfg = one_rank(group_lowest);
  auto& o = cfg.organization;
  o.bank_groups = 4;
  o.banks_per_group = 4;
  o.burst_length = 2;
  o.bus_bytes = 8;
  o.row_bytes = 16;  // one burst per row
  auto& t = cfg.timing;
  t.tBL = 1; t.tCCD_S = 1; t.tCCD_L = 1; t.tRRD_S = 1; t.tRRD_L = 1; t.tFAW = 4;
  t.tRCD = 2; t.tCL = 2; t.tRP = 2; t.tRAS = 2; t.tRC = 4; t.tRTP = 1;
  cfg.address_mapping = {dram_field::bank_group, dram_field::bank, dram_field::column, dram_field::rank,
                         dram_field::row, dram_field::channel};
  const dram_model m(cfg);
  const auto c = m.read(std::vector<dram_request>{{0, 4096}});  // 256 bursts, 256 rows
  const double commands = static_cast<double>(c.dram.reads + c.dram.activates + c.dram.row_conflicts);
  CHECK(c.dram.reads == 256);
  CHECK(c.dram.activates == 256);
  // The last RD is command number >= commands; its data ends tCL + tBL after it.
  CHECK(c.time.value() / t.tCK.value() >= commands - 1.0 + t.tCL + t.tBL - 1e-6);
  // ... which is well above the data bus's own limit of one burst per clock.
  CHECK(c.time.value() / t.tCK.value() > 2.0 * 256);
}
