#pragma once
// A DDR-style DRAM timing model: how long a set of contiguous reads takes on a memory of a given
// organisation, timing, address mapping and controller, and which DRAM commands it needs.
//
// What it models (all in DRAM clock cycles of length tCK):
//   bank:        ACT -> RD >= tRCD, ACT -> PRE >= tRAS, RD -> PRE >= tRTP, PRE -> ACT >= tRP,
//                ACT -> ACT >= tRC; one open row per bank (row hit / miss / conflict).
//   bank group:  RD -> RD >= tCCD_L inside one bank group, >= tCCD_S across bank groups;
//                ACT -> ACT >= tRRD_L inside one bank group, >= tRRD_S across.
//   rank:        at most 4 ACTs in any rolling tFAW window (JESD79-4 "four activate window");
//                optional all-bank refresh: every tREFI the rank precharges and is busy tRFC.
//   data bus:    every burst occupies tBL cycles of its bus; a read's data ends tCL + tBL after
//                its RD command. A bus is a channel, or one rank when the reader owns one
//                internal data bus per rank (center-buffer NDP-DIMM, see rank_data_bus).
//                On a bus shared by ranks, consecutive reads from different ranks are spaced
//                by tBL + tRTRS (rank-to-rank switching: the driving rank changes, JESD79-4
//                ODT/turnaround; controllers insert 1-2 nCK).
//   command bus: one command (ACT, RD, PRE) per clock per bus controller, so a read needing
//                N commands before its last RD ends no earlier than (N - 1) + tCL + tBL.
//
// How it schedules (documented because it decides the numbers):
//   * Each request is cut into bursts; the bursts of one request that fall into one row of one
//     bank form a "row segment", the unit of the simulation.
//   * Every bus has its own controller with a read queue of read_queue_depth bursts that fills
//     in request order: a segment becomes visible (may activate its row) once fewer than
//     read_queue_depth bursts older than its first burst on that bus remain unissued.
//   * Banks serve their visible segments in order (in-order per bank); a segment to the open
//     row is a hit, otherwise the bank precharges (conflict) or activates (miss). Activates are
//     issued as early as tRC/tRP/tRRD/tFAW allow, the earliest-ready first, oldest on ties.
//   * Column reads are simulated as a fluid at segment granularity: between two events every
//     reading segment gets a constant burst rate, handed out oldest first (FR-FCFS) under the
//     caps 1/tCCD_L per bank group, 1/tCCD_S per rank and 1/tBL per bus. So two bank groups
//     interleave at tCCD_S, a lone bank group is held to tCCD_L, and nothing beats the pins.
//     A segment's last RD is one burst slot before its fluid end, which makes single-segment
//     timings exact (tRCD + (n - 1) tCCD_L + tCL + tBL for n bursts in one row).
//   * Rank switching: while segments of two or more ranks read on one shared bus, the bus cap
//     is 1/(tBL + tRTRS): the oldest-first scheduler of a cycle-level simulator (Ramulator's
//     FR-FCFS) alternates ranks when their bursts interleave, paying the turnaround on every
//     burst; never faster than that.
//   * Command bus: the commands a bus issues before its last RD (every RD and ACT, and the
//     PREs issued before it) take one clock each, which bounds the read's end from below:
//     end >= (N - 1) + tCL + tBL. A fluid bound on the whole call, not a per-cycle schedule;
//     with BL8 (one RD per 4 clocks) it binds only for row-miss-heavy streams.
//   Not modelled: writes, per-bank refresh, power-down.
//
// Every read() starts from an idle memory (all banks precharged, refresh phase 0), so calls are
// independent and reproducible; its cost does not depend on earlier calls.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

// The address fields a byte address is split into (see dram_config::address_mapping).
enum class dram_field : std::uint8_t { column, bank_group, bank, rank, row, channel };
inline constexpr std::size_t dram_field_count = 6;

[[nodiscard]] constexpr std::string_view to_string(dram_field f) {
  switch (f) {
    case dram_field::column: return "column";
    case dram_field::bank_group: return "bank_group";
    case dram_field::bank: return "bank";
    case dram_field::rank: return "rank";
    case dram_field::row: return "row";
    case dram_field::channel: return "channel";
  }
  return "?";
}

// Open: a row stays open after its reads (later hits are cheap, a different row pays tRP).
// Closed: the bank precharges after a segment unless the next queued segment hits the same row.
enum class row_buffer_policy { open, closed };

// Whether the reader has one data bus per rank (the center-buffer NDP-DIMM of RecNMP (Ke et al.,
// ISCA 2020) and Hermes Sec IV-A: the buffer chip reads every rank of its DIMM at once) or the
// ranks share the channel's bus (a plain DIMM read by a host memory controller).
enum class rank_data_bus { shared, per_rank };

// Upper bounds of a DRAM organisation, checked by dram_config::validate(). They keep every
// product of the counts below 2^64 and bound the scheduler's work: simulate_bus visits every
// bank of a bus at each event, so the banks on one bus are capped (a shared-bus channel with
// tens of thousands of banks would take minutes per read). Real parts are far below them
// (DDR4: 4 ranks x 4 bank groups x 4 banks, 2^17 rows of 8 KiB; DDR5: 8 x 4 banks).
namespace dram_limits {
inline constexpr std::size_t channels = 16;
inline constexpr std::size_t dimms_per_channel = 4;
inline constexpr std::size_t ranks = 16;            // per DIMM
inline constexpr std::size_t bank_groups = 16;      // per rank
inline constexpr std::size_t banks_per_group = 16;
inline constexpr std::size_t banks_per_bus = 1024;  // banks one controller schedules
inline constexpr std::size_t rows = std::size_t{1} << 24;       // per bank
inline constexpr std::size_t row_bytes = std::size_t{1} << 20;  // 1 MiB
inline constexpr std::size_t bus_bytes = 64;
inline constexpr std::size_t burst_length = 64;
inline constexpr std::uint64_t capacity = std::uint64_t{1} << 50;  // 1 PiB per memory
inline constexpr std::size_t read_queue_depth = 4096;
inline constexpr std::uint32_t cycles = 1'000'000;  // any timing parameter, in clock cycles
inline constexpr double max_tCK = 1e-6;             // seconds: a clock of at least 1 MHz
}  // namespace dram_limits

struct dram_organization {
  std::size_t channels = 0;
  std::size_t dimms_per_channel = 0;
  std::size_t ranks = 0;            // per DIMM
  std::size_t bank_groups = 0;      // per rank
  std::size_t banks_per_group = 0;
  std::size_t rows = 0;             // per bank
  std::size_t row_bytes = 0;        // one row across the chips of a rank (8 x8 chips x 1 KiB)
  std::size_t bus_bytes = 0;        // data bus width (64 bit -> 8)
  std::size_t burst_length = 0;     // transfers per burst (BL8)

  [[nodiscard]] constexpr std::size_t burst_bytes() const { return bus_bytes * burst_length; }
  [[nodiscard]] constexpr std::size_t ranks_per_channel() const { return dimms_per_channel * ranks; }
  [[nodiscard]] constexpr std::size_t banks_per_rank() const { return bank_groups * banks_per_group; }
  [[nodiscard]] constexpr std::size_t bursts_per_row() const { return row_bytes / burst_bytes(); }
  [[nodiscard]] constexpr bytes capacity() const {
    return bytes(static_cast<double>(channels) * static_cast<double>(ranks_per_channel()) *
                 static_cast<double>(banks_per_rank()) * static_cast<double>(rows) *
                 static_cast<double>(row_bytes));
  }
};

// Timing parameters in clock cycles of length tCK (the datasheet's nRCD, nRP, ... values).
struct dram_timing {
  seconds tCK{};
  std::uint32_t tRC = 0, tRCD = 0, tCL = 0, tRP = 0, tRAS = 0, tRTP = 0;
  std::uint32_t tBL = 0;                 // data-bus cycles per burst (BL8 at double data rate: 4)
  std::uint32_t tCCD_S = 0, tCCD_L = 0;  // RD -> RD, other / same bank group
  std::uint32_t tRRD_S = 0, tRRD_L = 0;  // ACT -> ACT, other / same bank group
  std::uint32_t tFAW = 0;                // window holding at most 4 ACTs per rank
  // Extra data-bus cycles between reads of different ranks on a shared bus (rank-to-rank
  // switching); 0 = none. Unused with per-rank buses.
  std::uint32_t tRTRS = 0;
  bool refresh = false;                  // all-bank refresh; off by default
  std::uint32_t tRFC = 0, tREFI = 0;     // used only when refresh is on
};

struct dram_config {
  std::string name = "dram";
  dram_organization organization;
  dram_timing timing;
  // The fields of a burst address (byte address / burst bytes), from the lowest digit to the
  // highest; each field appears exactly once. Example: {column, bank_group, bank, rank, row,
  // channel} keeps a whole row in one bank; {rank, bank_group, column, bank, row, channel}
  // spreads consecutive bursts over ranks and bank groups.
  std::vector<dram_field> address_mapping;
  row_buffer_policy row_policy = row_buffer_policy::open;
  rank_data_bus rank_bus = rank_data_bus::shared;
  // Read-queue entries (bursts) per controller: Ramulator 2.0's default request buffer (32).
  std::size_t read_queue_depth = 32;

  void validate() const;
};

// One contiguous read (a neuron's weight chunk): `bytes` bytes starting at byte `address`.
struct dram_request {
  std::uint64_t address = 0;
  std::uint64_t bytes = 0;
};

struct dram_location {
  std::uint64_t channel = 0, rank = 0, bank_group = 0, bank = 0, row = 0, column = 0;
  friend bool operator==(const dram_location&, const dram_location&) = default;
};

namespace detail {
inline void require_cycles(std::string_view field, std::uint32_t v) {
  if (v == 0) throw invalid_parameter(field, "0", "a number of clock cycles >= 1");
  require_at_most(field, v, dram_limits::cycles);
}
}  // namespace detail

inline void dram_config::validate() const {
  const auto& o = organization;
  require_count("dram.organization.channels", o.channels);
  require_count("dram.organization.dimms_per_channel", o.dimms_per_channel);
  require_count("dram.organization.ranks", o.ranks);
  require_count("dram.organization.bank_groups", o.bank_groups);
  require_count("dram.organization.banks_per_group", o.banks_per_group);
  require_count("dram.organization.rows", o.rows);
  require_count("dram.organization.bus_bytes", o.bus_bytes);
  require_count("dram.organization.burst_length", o.burst_length);
  require_at_most("dram.organization.channels", o.channels, dram_limits::channels);
  require_at_most("dram.organization.dimms_per_channel", o.dimms_per_channel, dram_limits::dimms_per_channel);
  require_at_most("dram.organization.ranks", o.ranks, dram_limits::ranks);
  require_at_most("dram.organization.bank_groups", o.bank_groups, dram_limits::bank_groups);
  require_at_most("dram.organization.banks_per_group", o.banks_per_group, dram_limits::banks_per_group);
  require_at_most("dram.organization.rows", o.rows, dram_limits::rows);
  require_at_most("dram.organization.row_bytes", o.row_bytes, dram_limits::row_bytes);
  require_at_most("dram.organization.bus_bytes", o.bus_bytes, dram_limits::bus_bytes);
  require_at_most("dram.organization.burst_length", o.burst_length, dram_limits::burst_length);
  {
    // The banks one controller schedules: a channel's, or one rank's with per-rank buses.
    const std::uint64_t per_bus =
        checked_mul("dram.organization (banks per bus)",
                    {rank_bus == rank_data_bus::per_rank ? 1 : o.dimms_per_channel * o.ranks,
                     o.bank_groups, o.banks_per_group});
    if (per_bus > dram_limits::banks_per_bus)
      throw invalid_parameter("dram.organization.bank_groups",
                              std::to_string(o.bank_groups) + " (" + std::to_string(per_bus) + " banks per bus)",
                              "at most " + std::to_string(dram_limits::banks_per_bus) +
                                  " banks per bus: ranks sharing a bus x bank_groups x banks_per_group");
    const std::uint64_t cap = checked_mul("dram.organization capacity (channels x dimms_per_channel x ranks x "
                                          "bank_groups x banks_per_group x rows x row_bytes)",
                                          {o.channels, o.dimms_per_channel, o.ranks, o.bank_groups,
                                           o.banks_per_group, o.rows, o.row_bytes});
    if (cap > dram_limits::capacity)
      throw invalid_parameter("dram.organization.rows", std::to_string(o.rows) + " (capacity " + std::to_string(cap) + " bytes)",
                              "a capacity of at most 2^50 bytes (channels x dimms_per_channel x ranks x "
                              "bank_groups x banks_per_group x rows x row_bytes)");
  }
  if (o.row_bytes == 0 || o.row_bytes % o.burst_bytes() != 0)
    throw invalid_parameter("dram.organization.row_bytes", std::to_string(o.row_bytes),
                            "a positive multiple of the burst size bus_bytes x burst_length = " +
                                std::to_string(o.burst_bytes()));

  const auto& t = timing;
  if (!(t.tCK > seconds{}) || !(t.tCK.value() <= dram_limits::max_tCK))
    throw invalid_parameter("dram.timing.tCK", to_text(t.tCK), "a clock period in (0, 1e-6] s");
  detail::require_cycles("dram.timing.tRC", t.tRC);
  detail::require_cycles("dram.timing.tRCD", t.tRCD);
  detail::require_cycles("dram.timing.tCL", t.tCL);
  detail::require_cycles("dram.timing.tRP", t.tRP);
  detail::require_cycles("dram.timing.tRAS", t.tRAS);
  detail::require_cycles("dram.timing.tRTP", t.tRTP);
  detail::require_cycles("dram.timing.tBL", t.tBL);
  detail::require_cycles("dram.timing.tCCD_S", t.tCCD_S);
  detail::require_cycles("dram.timing.tCCD_L", t.tCCD_L);
  detail::require_cycles("dram.timing.tRRD_S", t.tRRD_S);
  detail::require_cycles("dram.timing.tRRD_L", t.tRRD_L);
  detail::require_cycles("dram.timing.tFAW", t.tFAW);
  require_at_most("dram.timing.tRTRS", t.tRTRS, dram_limits::cycles);
  if (t.tRC < t.tRAS + t.tRP)
    throw invalid_parameter("dram.timing.tRC", std::to_string(t.tRC),
                            "at least tRAS + tRP = " + std::to_string(t.tRAS + t.tRP) +
                                " cycles (a row cycle is an activate plus a precharge)");
  if (t.tCCD_L < t.tCCD_S)
    throw invalid_parameter("dram.timing.tCCD_L", std::to_string(t.tCCD_L),
                            "at least tCCD_S = " + std::to_string(t.tCCD_S) + " cycles");
  if (t.tRRD_L < t.tRRD_S)
    throw invalid_parameter("dram.timing.tRRD_L", std::to_string(t.tRRD_L),
                            "at least tRRD_S = " + std::to_string(t.tRRD_S) + " cycles");
  if (t.refresh) {
    detail::require_cycles("dram.timing.tRFC", t.tRFC);
    detail::require_cycles("dram.timing.tREFI", t.tREFI);
    if (t.tREFI <= t.tRFC)
      throw invalid_parameter("dram.timing.tREFI", std::to_string(t.tREFI),
                              "more cycles than tRFC = " + std::to_string(t.tRFC) +
                                  " when refresh is on");
  }

  if (address_mapping.size() != dram_field_count)
    throw invalid_parameter("dram.address_mapping", std::to_string(address_mapping.size()) + " fields",
                            "each of column, bank_group, bank, rank, row, channel exactly once");
  std::array<int, dram_field_count> seen{};
  for (const auto f : address_mapping) {
    const auto i = static_cast<std::size_t>(f);
    if (i >= dram_field_count || seen[i]++ != 0)
      throw invalid_parameter("dram.address_mapping", std::string(to_string(f)) + " repeated",
                              "each of column, bank_group, bank, rank, row, channel exactly once");
  }
  require_count("dram.read_queue_depth", read_queue_depth);
  require_at_most("dram.read_queue_depth", read_queue_depth, dram_limits::read_queue_depth);
}

namespace dram_presets {

// Hermes Table II / Sec V-A: DDR4-3200, 32 GB per DIMM, 4 ranks per DIMM, 2 bank groups per rank,
// 4 banks per bank group; tRC=76, tRCD=24, tCL=24, tRP=24, tBL=4, tCCD_S=4, tCCD_L=8, tRRD_S=4,
// tRRD_L=6, tFAW=26 (these equal JEDEC speed bin DDR4-3200AC except tRRD_L/tFAW, which are the
// paper's). Note: real DDR4 x8 parts have 4 bank groups x 4 banks; the paper's 2 x 4 is kept.
// Organisation of ONE DIMM: its NDP core sees only its own DIMM.
[[nodiscard]] inline dram_config ddr4_3200_hermes() {
  dram_config c;
  c.name = "DDR4-3200 NDP-DIMM (Hermes Table II)";
  auto& o = c.organization;
  o.channels = 1;            // the DIMM's own (internal) channel
  o.dimms_per_channel = 1;   // the NDP core reads only its own DIMM
  o.ranks = 4;               // Table II
  o.bank_groups = 2;         // Table II
  o.banks_per_group = 4;     // Table II
  o.row_bytes = 8192;        // 8 x8 chips x 1 KiB page (JESD79-4 x8 page size)
  o.bus_bytes = 8;           // 64-bit DIMM data bus (ECC lanes excluded)
  o.burst_length = 8;        // DDR4 BL8
  // 32 GiB per DIMM (Table II "32 GB") / (4 ranks x 8 banks x 8 KiB rows) = 2^17 rows per bank.
  o.rows = 131072;
  auto& t = c.timing;
  t.tCK = seconds(0.625e-9);  // DDR4-3200: 1600 MHz clock
  t.tRC = 76; t.tRCD = 24; t.tCL = 24; t.tRP = 24;
  t.tRAS = 52;   // tRC - tRP (JESD79-4: tRC = tRAS + tRP)
  t.tRTP = 12;   // JESD79-4 max(4 nCK, 7.5 ns) at tCK = 0.625 ns; not in Table II
  t.tBL = 4; t.tCCD_S = 4; t.tCCD_L = 8; t.tRRD_S = 4; t.tRRD_L = 6; t.tFAW = 26;
  t.tRTRS = 2;     // rank-to-rank switch on a shared bus: Ramulator 2.0 DDR4 nRTRS = 2; unused
                   // here (per-rank buses), kept for a shared-bus use of this timing
  t.tRFC = 560;    // JESD79-4 tRFC1 of an 8 Gb die (350 ns); used only when refresh is on
  t.tREFI = 12480; // JESD79-4 tREFI 7.8 us (normal temperature)
  // Consecutive 64-byte bursts go to the next rank, then the other bank group: a neuron chunk
  // is read by all four rank buses and both bank groups at once (tCCD_S, not tCCD_L), and a
  // row holds 8 KiB of every (rank, bank group) pair. The paper leaves the mapping open; see
  // docs/parameters.md "DRAM and NDP-DIMM".
  c.address_mapping = {dram_field::rank, dram_field::bank_group, dram_field::column,
                       dram_field::bank, dram_field::row, dram_field::channel};
  c.row_policy = row_buffer_policy::open;
  c.rank_bus = rank_data_bus::per_rank;  // center-buffer design (Sec IV-A, RecNMP)
  c.read_queue_depth = 32;               // Ramulator 2.0 default, per rank controller
  return c;
}

// GDDR6 at 16 Gb/s per pin, x16 channels, as in the AiM-style memory of IANUS (Seo et al.,
// ASPLOS 2024, its PIM configuration as the project spec restates it: 16 Gb/s x16, 16 banks per
// channel, 2 KB rows, tCK 0.5 ns, tCCD_S = tCCD_L = 1 ns, tRAS 21 ns, tRP 30 ns,
// tRCDRD 36 ns). `channels` x16 channels of 1 GiB each (8 = the 8 GB of IANUS). Every value,
// and the ones the paper does not give, is documented in docs/parameters.md "IANUS: NPU and PIM".
//
// Model conventions: the command clock CK is tCK = 0.5 ns (2 GHz); a pin moves 16 Gb/s / 2 GHz =
// 8 bits per CK, so a BL16 burst of the 16-bit channel (32 bytes) occupies the bus for
// tBL = 2 CK = 1 ns, and a channel moves 32 bytes / 1 ns = 32 GB/s.
[[nodiscard]] inline dram_config gddr6_16gbps(std::size_t channels = 8) {
  require_count("gddr6_16gbps channels", channels);
  require_at_most("gddr6_16gbps channels", channels, dram_limits::channels);
  dram_config c;
  c.name = "GDDR6 16 Gb/s x16, " + std::to_string(channels) + " channels";
  auto& o = c.organization;
  o.channels = channels;
  o.dimms_per_channel = 1;   // a channel is one die's half (2 channels per chip, IANUS)
  o.ranks = 1;
  o.bank_groups = 4;         // JESD250: 16 banks in 4 bank groups of 4
  o.banks_per_group = 4;
  o.row_bytes = 2048;        // IANUS: 2 KB rows
  o.bus_bytes = 2;           // x16
  o.burst_length = 16;       // GDDR6 BL16: 32 bytes per burst
  o.rows = 32768;            // 1 GiB per channel / (16 banks x 2 KiB)
  auto& t = c.timing;
  t.tCK = seconds(0.5e-9);   // IANUS: tCK = 0.5 ns
  t.tBL = 2;                 // BL16 at 8 bits per pin per CK (see above)
  t.tCCD_S = 2;              // IANUS: 1 ns
  t.tCCD_L = 2;              // IANUS: 1 ns
  t.tRAS = 42;               // IANUS: 21 ns
  t.tRP = 60;                // IANUS: 30 ns
  t.tRCD = 72;               // IANUS: tRCDRD 36 ns (the model has reads only)
  t.tRC = t.tRAS + t.tRP;    // 51 ns: JESD250 tRC = tRAS + tRP
  // Not in IANUS: Ramulator 2.0's GDDR6 preset (GDDR6_2000_1350mV, x16, tCK 0.57 ns) in ns,
  // rounded up to 0.5 ns cycles: nCL 24 (13.7 ns), nRTP 4 (2.3 ns), nRRDS 5 (2.9 ns),
  // nRRDL 6 (3.4 ns), nFAW 28 (16.0 ns).
  t.tCL = 28;
  t.tRTP = 5;
  t.tRRD_S = 6;
  t.tRRD_L = 7;
  t.tFAW = 32;
  t.tRTRS = 0;               // one rank per channel: no rank switching
  t.refresh = false;         // not modelled (as for the DDR4 preset)
  // A 2 KiB row (one weight row of up to 1024 BF16 columns, the IANUS PIM layout) lies in one
  // bank; consecutive rows go to the next channel, then bank group, then bank: a long contiguous
  // read (a DMA of weights stored in the PIM layout) streams every channel and all 16 banks.
  // Closed page: a bank precharges after its row unless the next queued segment hits it, so the
  // row that comes back to a bank 128 rows later does not wait for a conflict precharge (open
  // page: 69% of the pins for 1 MiB; closed: 92%).
  c.address_mapping = {dram_field::column, dram_field::channel, dram_field::bank_group,
                       dram_field::bank, dram_field::row, dram_field::rank};
  c.row_policy = row_buffer_policy::closed;
  c.rank_bus = rank_data_bus::shared;
  c.read_queue_depth = 32;   // Ramulator 2.0 default, per channel controller
  return c;
}

}  // namespace dram_presets

namespace detail {

// One row segment: the bursts of one request in one row of one bank, in one bus's stream.
struct dram_segment {
  std::uint32_t bank = 0;  // bank index local to the bus
  std::uint64_t row = 0;
  std::uint64_t bursts = 0;
  std::uint64_t position = 0;  // index of its first burst in the bus's in-order burst stream
};

struct dram_bus_work {
  std::vector<dram_segment> segments;  // ordered by position
  std::uint64_t bursts = 0;
};

}  // namespace detail

class dram_model {
 public:
  explicit dram_model(dram_config config) : config_(std::move(config)) {
    config_.validate();
    const auto& o = config_.organization;
    radix_[static_cast<std::size_t>(dram_field::column)] = o.bursts_per_row();
    radix_[static_cast<std::size_t>(dram_field::bank_group)] = o.bank_groups;
    radix_[static_cast<std::size_t>(dram_field::bank)] = o.banks_per_group;
    radix_[static_cast<std::size_t>(dram_field::rank)] = o.ranks_per_channel();
    radix_[static_cast<std::size_t>(dram_field::row)] = o.rows;
    radix_[static_cast<std::size_t>(dram_field::channel)] = o.channels;
  }

  [[nodiscard]] const dram_config& config() const { return config_; }
  [[nodiscard]] bytes capacity() const { return config_.organization.capacity(); }
  [[nodiscard]] std::string_view name() const { return config_.name; }

  // Independent data buses the reader can use at once.
  [[nodiscard]] std::size_t buses() const {
    const auto& o = config_.organization;
    return config_.rank_bus == rank_data_bus::per_rank ? o.channels * o.ranks_per_channel()
                                                       : o.channels;
  }
  // Pin bandwidth of all buses together: burst bytes per tBL cycles per bus.
  [[nodiscard]] bandwidth pin_bandwidth() const {
    const auto& o = config_.organization;
    const double per_bus = static_cast<double>(o.burst_bytes()) /
                           (static_cast<double>(config_.timing.tBL) * config_.timing.tCK.value());
    return bandwidth(per_bus * static_cast<double>(buses()));
  }

  [[nodiscard]] dram_location decode(std::uint64_t address) const {
    check_address(address, 1);
    std::uint64_t x = address / config_.organization.burst_bytes();
    std::array<std::uint64_t, dram_field_count> digit{};
    for (const auto f : config_.address_mapping) {
      const auto i = static_cast<std::size_t>(f);
      digit[i] = x % radix_[i];
      x /= radix_[i];
    }
    return location_of(digit);
  }

  // Time and commands to complete all reads, starting from an idle memory.
  [[nodiscard]] device_cost read(std::span<const dram_request> requests) const {
    const auto work = split_into_segments(requests);
    device_cost cost;
    double cycles = 0.0;
    std::uint64_t bursts = 0;
    for (const auto& bus : work) {
      if (bus.segments.empty()) continue;
      cycles = std::max(cycles, simulate_bus(bus, cost.dram));
      bursts += bus.bursts;
    }
    cost.dram.reads += bursts;
    cost.time = seconds(cycles * config_.timing.tCK.value());
    cost.bytes_moved = bytes(static_cast<double>(bursts * config_.organization.burst_bytes()));
    return cost;
  }

 private:
  using digits = std::array<std::uint64_t, dram_field_count>;

  void check_address(std::uint64_t address, std::uint64_t length) const {
    const auto cap = static_cast<std::uint64_t>(capacity().value());
    if (length == 0) throw invalid_parameter("dram_request.bytes", "0", "a read of >= 1 byte");
    if (address >= cap || length > cap - address)
      throw invalid_parameter("dram_request.address",
                              std::to_string(address) + " (+" + std::to_string(length) + " bytes)",
                              "a read inside the " + std::to_string(cap) + "-byte memory of " +
                                  config_.name);
  }

  static dram_location location_of(const digits& d) {
    dram_location l;
    l.channel = d[static_cast<std::size_t>(dram_field::channel)];
    l.rank = d[static_cast<std::size_t>(dram_field::rank)];
    l.bank_group = d[static_cast<std::size_t>(dram_field::bank_group)];
    l.bank = d[static_cast<std::size_t>(dram_field::bank)];
    l.row = d[static_cast<std::size_t>(dram_field::row)];
    l.column = d[static_cast<std::size_t>(dram_field::column)];
    return l;
  }

  // Cuts the requests into per-bus row segments, in request order.
  [[nodiscard]] std::vector<detail::dram_bus_work> split_into_segments(
      std::span<const dram_request> requests) const {
    const auto& o = config_.organization;
    const bool per_rank = config_.rank_bus == rank_data_bus::per_rank;
    const std::uint64_t rpc = o.ranks_per_channel(), bg = o.bank_groups, bk = o.banks_per_group;
    const std::uint64_t burst = o.burst_bytes();
    std::vector<detail::dram_bus_work> work(buses());
    const std::size_t banks = o.channels * rpc * bg * bk;
    constexpr auto none = std::numeric_limits<std::size_t>::max();
    std::vector<std::size_t> open_request(banks, none);  // request that last added to the bank
    std::vector<std::size_t> open_segment(banks, 0);     // ... and the segment it added to

    // Bursts of the lowest field share a segment when that field is the column: add them as a run.
    const auto lowest = static_cast<std::size_t>(config_.address_mapping.front());
    const bool column_lowest = config_.address_mapping.front() == dram_field::column;

    for (std::size_t r = 0; r < requests.size(); ++r) {
      check_address(requests[r].address, requests[r].bytes);
      std::uint64_t x = requests[r].address / burst;
      const std::uint64_t last = (requests[r].address + requests[r].bytes - 1) / burst;
      digits d{};
      {
        std::uint64_t rest = x;
        for (const auto f : config_.address_mapping) {
          const auto i = static_cast<std::size_t>(f);
          d[i] = rest % radix_[i];
          rest /= radix_[i];
        }
      }
      while (x <= last) {
        std::uint64_t run = 1;
        if (column_lowest) run = std::min(radix_[lowest] - d[lowest], last - x + 1);
        const auto ch = d[static_cast<std::size_t>(dram_field::channel)];
        const auto rk = d[static_cast<std::size_t>(dram_field::rank)];
        const auto g = d[static_cast<std::size_t>(dram_field::bank_group)];
        const auto b = d[static_cast<std::size_t>(dram_field::bank)];
        const auto row = d[static_cast<std::size_t>(dram_field::row)];
        const std::size_t bus = per_rank ? ch * rpc + rk : ch;
        const std::size_t global_bank = ((ch * rpc + rk) * bg + g) * bk + b;
        auto& w = work[bus];
        if (open_request[global_bank] == r && w.segments[open_segment[global_bank]].row == row) {
          w.segments[open_segment[global_bank]].bursts += run;
        } else {
          const std::uint64_t local_rank = per_rank ? 0 : rk;
          detail::dram_segment s;
          s.bank = static_cast<std::uint32_t>((local_rank * bg + g) * bk + b);
          s.row = row;
          s.bursts = run;
          s.position = w.bursts;
          open_request[global_bank] = r;
          open_segment[global_bank] = w.segments.size();
          w.segments.push_back(s);
        }
        w.bursts += run;
        x += run;
        // Odometer step of `run` on the lowest digit (run > 1 only when it cannot carry past
        // the end of the row, so one carry pass suffices).
        d[lowest] += run;
        for (std::size_t k = 0; k < dram_field_count; ++k) {
          const auto i = static_cast<std::size_t>(config_.address_mapping[k]);
          if (d[i] < radix_[i]) break;
          d[i] = 0;
          if (k + 1 < dram_field_count) ++d[static_cast<std::size_t>(config_.address_mapping[k + 1])];
        }
      }
    }
    return work;
  }

  // Event-driven fluid simulation of one bus (see the header comment). Returns the cycle at
  // which the last burst's data has left the bus, and adds the commands to `counters`.
  [[nodiscard]] double simulate_bus(const detail::dram_bus_work& work,
                                    dram_counters& counters) const;

  dram_config config_;
  digits radix_{};
};

inline double dram_model::simulate_bus(const detail::dram_bus_work& work,
                                       dram_counters& counters) const {
  constexpr double never = -std::numeric_limits<double>::infinity();
  constexpr double infinity = std::numeric_limits<double>::infinity();
  constexpr double eps = 1e-7;  // cycles / bursts: below any real event spacing
  constexpr std::size_t activates_per_window = 4;  // JESD79-4 four-activate window

  const auto& o = config_.organization;
  const auto& tm = config_.timing;
  const double tRCD = tm.tRCD, tCL = tm.tCL, tRP = tm.tRP, tRAS = tm.tRAS, tRTP = tm.tRTP,
               tRC = tm.tRC, tBL = tm.tBL, tRRD_S = tm.tRRD_S, tRRD_L = tm.tRRD_L,
               tFAW = tm.tFAW, tRFC = tm.tRFC, tREFI = tm.tREFI;
  const double group_cap = 1.0 / tm.tCCD_L, rank_cap = 1.0 / tm.tCCD_S, bus_cap = 1.0 / tBL;
  const double switching_bus_cap = 1.0 / (tBL + static_cast<double>(tm.tRTRS));
  const bool closed = config_.row_policy == row_buffer_policy::closed;
  const std::size_t banks_per_group = o.banks_per_group;
  const std::size_t banks_per_rank = o.banks_per_rank();
  const std::size_t ranks =
      config_.rank_bus == rank_data_bus::per_rank ? 1 : o.ranks_per_channel();
  const std::size_t banks = ranks * banks_per_rank;
  const double queue = static_cast<double>(config_.read_queue_depth);
  const auto& segs = work.segments;

  enum class phase { idle, wait_activate, reading };
  struct bank_state {
    bool open = false;
    std::uint64_t row = 0;
    double activated = never, read_ready = 0.0, last_read = never, next_activate = 0.0;
    phase ph = phase::idle;
    std::uint64_t target_row = 0;
    double start = 0.0, remaining = 0.0, rate = 0.0;
    std::size_t segment = 0;
    std::vector<std::size_t> queued;  // visible segments, in order
    std::size_t head = 0;
  };
  struct rank_state {
    double last_activate = never;
    std::vector<double> last_activate_in_group;
    std::array<double, activates_per_window> window{never, never, never, never};
    std::size_t window_next = 0;
    double blocked_until = 0.0;
    double next_refresh = 0.0;
  };
  std::vector<bank_state> bank(banks);
  std::vector<rank_state> rank(ranks);
  for (auto& r : rank) {
    r.last_activate_in_group.assign(o.bank_groups, never);
    r.next_refresh = tm.refresh ? tREFI : infinity;
  }
  const auto group_of = [&](std::size_t b) { return b / banks_per_group; };  // bus-local group
  const auto rank_of = [&](std::size_t b) { return b / banks_per_rank; };

  double t = 0.0, issued = 0.0, data_end = 0.0;
  std::size_t visible = 0, finished = 0;
  std::vector<std::size_t> active;
  std::vector<double> group_left(ranks * o.bank_groups), rank_left(ranks);

  const auto activate_time = [&](std::size_t b) {
    const auto& r = rank[rank_of(b)];
    const auto g = group_of(b) % o.bank_groups;
    return std::max({t, bank[b].next_activate, r.last_activate + tRRD_S,
                     r.last_activate_in_group[g] + tRRD_L, r.window[r.window_next] + tFAW,
                     r.blocked_until});
  };
  std::vector<double> precharge_times;  // for the command-bus bound
  std::uint64_t activates_here = 0;
  const auto precharge = [&](bank_state& b, double earliest) {
    const double pre = std::max({earliest, b.activated + tRAS, b.last_read + tRTP});
    ++counters.precharges;
    precharge_times.push_back(pre);
    b.open = false;
    b.next_activate = std::max(b.next_activate, pre + tRP);
    return pre;
  };

  while (finished < segs.size()) {
    // 1. Segments whose first burst has entered the read queue.
    while (visible < segs.size() &&
           static_cast<double>(segs[visible].position) <= issued + queue - 1.0 + eps) {
      bank[segs[visible].bank].queued.push_back(visible);
      ++visible;
    }
    // 2. Idle banks take their next visible segment: hit, miss or conflict.
    for (auto& b : bank) {
      if (b.ph != phase::idle || b.head >= b.queued.size()) continue;
      const auto& s = segs[b.queued[b.head]];
      b.segment = b.queued[b.head];
      b.remaining = static_cast<double>(s.bursts);
      if (b.open && b.row == s.row) {
        counters.row_hits += s.bursts;
        b.ph = phase::reading;
        b.start = std::max(t, b.read_ready);
      } else {
        if (b.open) {
          precharge(b, t);
          ++counters.row_conflicts;
        } else {
          ++counters.row_misses;
        }
        counters.row_hits += s.bursts - 1;
        b.ph = phase::wait_activate;
        b.target_row = s.row;
      }
    }
    // 3. Activates that can issue now: earliest-ready first, oldest on ties.
    for (;;) {
      std::size_t best = banks;
      double best_time = infinity;
      for (std::size_t b = 0; b < banks; ++b) {
        if (bank[b].ph != phase::wait_activate) continue;
        const double when = activate_time(b);
        if (when < best_time - eps ||
            (when < best_time + eps && best < banks &&
             segs[bank[b].segment].position < segs[bank[best].segment].position)) {
          best = b;
          best_time = when;
        }
      }
      if (best == banks || best_time > t + eps) break;
      auto& b = bank[best];
      auto& r = rank[rank_of(best)];
      ++counters.activates;
      ++activates_here;
      b.open = true;
      b.row = b.target_row;
      b.activated = t;
      b.read_ready = t + tRCD;
      b.next_activate = t + tRC;
      b.ph = phase::reading;
      b.start = b.read_ready;
      r.last_activate = t;
      r.last_activate_in_group[group_of(best) % o.bank_groups] = t;
      r.window[r.window_next] = t;
      r.window_next = (r.window_next + 1) % activates_per_window;
    }
    // 4. Column bandwidth for the reading segments, oldest first.
    active.clear();
    for (std::size_t b = 0; b < banks; ++b) {
      bank[b].rate = 0.0;
      if (bank[b].ph == phase::reading && bank[b].start <= t + eps) active.push_back(b);
    }
    std::sort(active.begin(), active.end(), [&](std::size_t a, std::size_t b) {
      return segs[bank[a].segment].position < segs[bank[b].segment].position;
    });
    std::fill(group_left.begin(), group_left.end(), group_cap);
    std::fill(rank_left.begin(), rank_left.end(), rank_cap);
    bool ranks_interleave = false;  // segments of two or more ranks read on this (shared) bus
    for (const auto b : active)
      if (rank_of(b) != rank_of(active.front())) {
        ranks_interleave = true;
        break;
      }
    double bus_left = ranks_interleave ? switching_bus_cap : bus_cap, total_rate = 0.0;
    for (const auto b : active) {
      const double rate = std::min({group_left[group_of(b)], rank_left[rank_of(b)], bus_left});
      if (rate <= 1e-12) continue;
      bank[b].rate = rate;
      group_left[group_of(b)] -= rate;
      rank_left[rank_of(b)] -= rate;
      bus_left -= rate;
      total_rate += rate;
    }
    // 5. The next event.
    double next = infinity;
    for (std::size_t b = 0; b < banks; ++b) {
      const auto& s = bank[b];
      if (s.ph == phase::reading) {
        if (s.rate > 0.0) next = std::min(next, t + s.remaining / s.rate);
        else if (s.start > t + eps) next = std::min(next, s.start);
      } else if (s.ph == phase::wait_activate) {
        next = std::min(next, activate_time(b));
      }
    }
    if (visible < segs.size() && total_rate > 0.0) {
      const double needed = static_cast<double>(segs[visible].position) - queue + 1.0 - issued;
      next = std::min(next, t + std::max(needed, 0.0) / total_rate);
    }
    for (const auto& r : rank) next = std::min(next, r.next_refresh);
    if (!(next < infinity))
      throw error("dram_model: the scheduler of " + config_.name + " stalled (internal error)");
    // 6. Advance the fluid to the event and complete what finished.
    const double dt = std::max(next - t, 0.0);
    for (const auto b : active) {
      bank[b].remaining -= bank[b].rate * dt;
      issued += bank[b].rate * dt;
    }
    t = std::max(next, t);
    for (const auto bi : active) {
      auto& b = bank[bi];
      if (b.rate <= 0.0 || b.remaining > eps) continue;
      b.last_read = t - 1.0 / b.rate;
      data_end = std::max(data_end, b.last_read + tCL + tBL);
      ++b.head;
      ++finished;
      b.ph = phase::idle;
      if (closed) {
        const bool next_hits = b.head < b.queued.size() && segs[b.queued[b.head]].row == b.row;
        if (!next_hits) precharge(b, b.last_read);
      }
    }
    // 7. All-bank refresh of the ranks whose refresh is due.
    for (std::size_t ri = 0; ri < ranks; ++ri) {
      auto& r = rank[ri];
      if (r.next_refresh > t + eps) continue;
      double refresh_at = t;
      for (std::size_t bi = ri * banks_per_rank; bi < (ri + 1) * banks_per_rank; ++bi) {
        auto& b = bank[bi];
        if (b.ph == phase::reading) {
          // A segment cut by the refresh re-activates; its next burst becomes a miss.
          if (b.remaining < static_cast<double>(segs[b.segment].bursts) - eps) {
            --counters.row_hits;
            ++counters.row_misses;
          }
          if (b.rate > 0.0) b.last_read = t;
          b.ph = phase::wait_activate;
          b.target_row = b.row;
        }
        if (b.open) refresh_at = std::max(refresh_at, precharge(b, t) + tRP);
      }
      ++counters.refreshes;
      r.blocked_until = refresh_at + tRFC;
      for (std::size_t bi = ri * banks_per_rank; bi < (ri + 1) * banks_per_rank; ++bi)
        bank[bi].next_activate = std::max(bank[bi].next_activate, r.blocked_until);
      r.next_refresh += tREFI;
    }
  }
  // The command bus: every RD and ACT, and every PRE issued before the last RD, took a clock of
  // its own, the last RD included; its data ends tCL + tBL later.
  const double last_read = data_end - tCL - tBL;
  std::uint64_t commands = work.bursts + activates_here;
  for (const double pre : precharge_times) commands += pre < last_read ? 1 : 0;
  data_end = std::max(data_end, static_cast<double>(commands) - 1.0 + tCL + tBL);
  return data_end;
}

// The line through (x0, a) and (x1, b) evaluated at x, every field of the cost; counters are
// rounded (and never below 0). Extrapolates the cost of long reads from two simulated ones
// (chunk_read_estimator, gddr6_memory in device/pim.hpp).
[[nodiscard]] inline device_cost cost_on_line(const device_cost& a, std::size_t x0, const device_cost& b,
                        std::size_t x1, std::size_t x) {
  const double f = (static_cast<double>(x) - static_cast<double>(x0)) /
                   (static_cast<double>(x1) - static_cast<double>(x0));
  const auto mix = [f](double u, double v) { return u + (v - u) * f; };
  const auto count = [&](std::uint64_t u, std::uint64_t v) {
    return static_cast<std::uint64_t>(
        std::llround(std::max(0.0, mix(static_cast<double>(u), static_cast<double>(v)))));
  };
  device_cost c;
  c.time = seconds(mix(a.time.value(), b.time.value()));
  c.bytes_moved = bytes(mix(a.bytes_moved.value(), b.bytes_moved.value()));
  c.flops_done = flops(mix(a.flops_done.value(), b.flops_done.value()));
  c.energy = joules(mix(a.energy.value(), b.energy.value()));
  c.dram.activates = count(a.dram.activates, b.dram.activates);
  c.dram.precharges = count(a.dram.precharges, b.dram.precharges);
  c.dram.reads = count(a.dram.reads, b.dram.reads);
  c.dram.writes = count(a.dram.writes, b.dram.writes);
  c.dram.row_hits = count(a.dram.row_hits, b.dram.row_hits);
  c.dram.row_misses = count(a.dram.row_misses, b.dram.row_misses);
  c.dram.row_conflicts = count(a.dram.row_conflicts, b.dram.row_conflicts);
  c.dram.refreshes = count(a.dram.refreshes, b.dram.refreshes);
  return c;
}


// The fast path for streams of equal-size chunks (the NDP GEMV's weight reads).
//
// The simulator reads thousands of chunks per call, a million calls per run; simulating each
// call is too slow. A stream of packed chunks reaches a steady state after a few chunks (each
// further chunk adds the same bursts, activates and time), so its cost is nearly affine in the
// count. The estimator memoises exact simulations of `count` chunks packed from address 0:
// every count up to exact_up_to, then counts exact_up_to x 2^k, interpolating linearly
// between them, and beyond extrapolate_from it extrapolates the slope between
// extrapolate_from / 2 and extrapolate_from. tests/device/test_ndp_dimm.cpp checks it against
// exact simulations of random subsets of packed and of row-aligned layouts.
// Copies share the memo (it depends only on the immutable model); it is thread-safe.
class chunk_read_estimator {
 public:
  explicit chunk_read_estimator(dram_model model, std::size_t exact_up_to = 64,
                                std::size_t extrapolate_from = 512)
      : memo_(std::make_shared<memo>(std::move(model))),
        exact_up_to_(exact_up_to),
        extrapolate_from_(extrapolate_from) {
    require_count("chunk_read_estimator.exact_up_to", exact_up_to);
    if (extrapolate_from < 2 * exact_up_to)
      throw invalid_parameter("chunk_read_estimator.extrapolate_from",
                              std::to_string(extrapolate_from),
                              "at least 2 x exact_up_to = " + std::to_string(2 * exact_up_to));
  }

  [[nodiscard]] const dram_model& model() const { return memo_->model; }

  // Estimated cost of reading `count` chunks of `chunk_bytes` packed from address 0.
  [[nodiscard]] device_cost packed(std::uint64_t chunk_bytes, std::size_t count) const {
    if (chunk_bytes == 0) throw invalid_parameter("chunk bytes", "0", "a chunk of >= 1 byte");
    if (count == 0) return device_cost{};
    const std::size_t fit = max_chunks(chunk_bytes);
    if (count > fit)
      throw invalid_parameter("chunk count", std::to_string(count),
                              "at most " + std::to_string(fit) + " chunks of " +
                                  std::to_string(chunk_bytes) + " bytes in " +
                                  std::string(model().name()));
    std::lock_guard lock(memo_->mutex);
    auto& table = memo_->tables[chunk_bytes];
    if (count <= exact_up_to_) return point(table, chunk_bytes, count);
    std::size_t lo = exact_up_to_, hi = 2 * exact_up_to_;
    while (hi < count && hi < extrapolate_from_) { lo = hi; hi *= 2; }
    hi = std::min(hi, fit);
    if (count == hi || lo >= hi) return point(table, chunk_bytes, count);
    return cost_on_line(point(table, chunk_bytes, lo), lo, point(table, chunk_bytes, hi), hi, count);
  }

  // The added time per chunk in a long packed stream: the slope of packed().
  [[nodiscard]] seconds steady_time_per_chunk(std::uint64_t chunk_bytes) const {
    const std::size_t hi = std::min(extrapolate_from_, max_chunks(chunk_bytes));
    const std::size_t lo = hi / 2;
    if (lo == 0) return packed(chunk_bytes, 1).time;
    return (packed(chunk_bytes, hi).time - packed(chunk_bytes, lo).time) /
           static_cast<double>(hi - lo);
  }

 private:
  struct memo {
    explicit memo(dram_model m) : model(std::move(m)) {}
    dram_model model;
    std::mutex mutex;
    std::map<std::uint64_t, std::map<std::size_t, device_cost>> tables;
  };

  [[nodiscard]] std::size_t max_chunks(std::uint64_t chunk_bytes) const {
    return static_cast<std::size_t>(static_cast<std::uint64_t>(model().capacity().value()) /
                                    chunk_bytes);
  }

  [[nodiscard]] device_cost point(std::map<std::size_t, device_cost>& table,
                                  std::uint64_t chunk_bytes, std::size_t count) const {
    if (const auto it = table.find(count); it != table.end()) return it->second;
    std::vector<dram_request> requests(count);
    for (std::size_t i = 0; i < count; ++i) requests[i] = {i * chunk_bytes, chunk_bytes};
    return table.emplace(count, model().read(requests)).first->second;
  }


  std::shared_ptr<memo> memo_;
  std::size_t exact_up_to_;
  std::size_t extrapolate_from_;
};

}  // namespace hermes
