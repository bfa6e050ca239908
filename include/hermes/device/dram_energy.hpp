#pragma once
// DRAM energy from the command counts of the DRAM timing model (device/dram.hpp), with the
// IDD-current method of Micron's power notes (TN-40-07 "Calculating Memory Power for DDR4
// SDRAM"), DRAMPower (Chandrasekar et al.) and DRAMsim3 (Li et al., CAL 2020; its
// Config::InitPowerParams): the datasheet's currents are measured per JESD79-4's IDD
// definitions, and each command's energy is its current above the standby it replaces, times
// the time it lasts, times VDD, times the chips of a rank (one command drives every chip):
//
//   ACT+PRE pair   E_act = VDD x (IDD0 x tRC - (IDD3N x tRAS + IDD2N x (tRC - tRAS))) x chips
//   read burst     E_rd  = VDD x (IDD4R - IDD3N) x tBL x chips           (tBL: BL8 = 4 cycles)
//   write burst    E_wr  = VDD x (IDD4W - IDD3N) x tBL x chips
//   refresh        E_ref = VDD x (IDD5B - IDD3N) x tRFC x chips          (one all-bank REF of a rank)
//   background     P_bg  = VDD x IDD3N x chips per rank                  (active standby)
//
// with every time in seconds (cycles x tCK). What we charge, and why:
//   * per charge (device_cost::energy): activates x E_act + reads x E_rd + writes x E_wr. Every
//     activate is paired with the precharge that closes its row (E_act covers both), so the
//     precharge count is not charged again.
//   * over the whole run (the NDP-DIMM's static power): every rank's background at IDD3N, since
//     the open-page policy leaves rows open between reads and no power-down is modelled, and
//     refresh at its average rate E_ref / tREFI per rank. Refresh happens every tREFI whatever
//     the reads do, so the refreshes the timing model counts inside a read (refresh on) are part
//     of that average and not charged again.
//   Not modelled: VPP (IPP) currents, I/O and termination power (the NDP core reads its own
//   DIMM through the buffer chip, not over a terminated channel), power-down and self refresh.
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/dram.hpp"

namespace hermes {

// The currents (amperes) and supply of one DRAM chip, as its datasheet's IDD table gives them,
// and how many chips a rank has (the chips one command drives).
struct dram_power_config {
  std::string name = "dram-power";
  double vdd = 0.0;    // V
  double idd0 = 0.0;   // A: one-bank ACT-PRE, tRC apart
  double idd2n = 0.0;  // A: precharge standby
  double idd3n = 0.0;  // A: active standby
  double idd4r = 0.0;  // A: burst read
  double idd4w = 0.0;  // A: burst write
  double idd5b = 0.0;  // A: burst (all-bank) refresh
  std::size_t chips_per_rank = 0;

  // Throws invalid_parameter naming the first bad field.
  void validate() const {
    const auto positive = [](std::string_view field, double v) {
      if (!(v > 0.0) || !std::isfinite(v))
        throw invalid_parameter(field, to_text(v), "a finite value > 0");
    };
    positive("dram_power.vdd", vdd);
    positive("dram_power.idd0", idd0);
    positive("dram_power.idd2n", idd2n);
    positive("dram_power.idd3n", idd3n);
    positive("dram_power.idd4r", idd4r);
    positive("dram_power.idd4w", idd4w);
    positive("dram_power.idd5b", idd5b);
    if (idd4r < idd3n)
      throw invalid_parameter("dram_power.idd4r", to_text(idd4r), "at least idd3n (" + to_text(idd3n) + " A)");
    if (idd4w < idd3n)
      throw invalid_parameter("dram_power.idd4w", to_text(idd4w), "at least idd3n (" + to_text(idd3n) + " A)");
    if (idd5b < idd3n)
      throw invalid_parameter("dram_power.idd5b", to_text(idd5b), "at least idd3n (" + to_text(idd3n) + " A)");
    if (chips_per_rank == 0 || chips_per_rank > 64)
      throw invalid_parameter("dram_power.chips_per_rank", std::to_string(chips_per_rank), "1..64 chips");
  }
};

namespace dram_power_presets {

// Micron 8Gb DDR4 SDRAM x8 (MT40A1G8), speed grade -062E (DDR4-3200), IDD table at VDD = 1.2 V,
// as DRAMsim3 carries it (configs/DDR4_8Gb_x8_3200.ini, [power]): IDD0 57 mA, IDD2N 37 mA,
// IDD3N 52 mA, IDD4R 168 mA, IDD4W 150 mA, IDD5B 250 mA. The Hermes DIMM (Table II, 32 GB,
// 4 ranks) is 4 ranks x 8 such x8 chips (64-bit data bus, ECC chips excluded like the bus).
[[nodiscard]] inline dram_power_config micron_8gb_x8_ddr4_3200() {
  return {.name = "Micron 8Gb DDR4-3200 x8 (MT40A1G8)", .vdd = 1.2, .idd0 = 0.057, .idd2n = 0.037,
          .idd3n = 0.052, .idd4r = 0.168, .idd4w = 0.150, .idd5b = 0.250, .chips_per_rank = 8};
}

}  // namespace dram_power_presets

// The per-command energies of one memory (a dram_config) built of dram_power_config chips.
class dram_energy {
 public:
  dram_energy(dram_power_config power, const dram_config& dram) : power_(std::move(power)) {
    power_.validate();
    const auto& t = dram.timing;
    const auto& o = dram.organization;
    const double tck = t.tCK.value();
    const double chips = static_cast<double>(power_.chips_per_rank);
    const double v = power_.vdd;
    const double tRC = t.tRC * tck, tRAS = t.tRAS * tck, tBL = t.tBL * tck;
    activate_ = joules(v * (power_.idd0 * tRC - (power_.idd3n * tRAS + power_.idd2n * (tRC - tRAS))) * chips);
    read_ = joules(v * (power_.idd4r - power_.idd3n) * tBL * chips);
    write_ = joules(v * (power_.idd4w - power_.idd3n) * tBL * chips);
    // tRFC / tREFI hold the JESD79-4 values even when the timing model's refresh is off (the
    // presets set them); a configuration without them (0) has no refresh energy.
    refresh_ = joules(v * (power_.idd5b - power_.idd3n) * (t.tRFC * tck) * chips);
    refresh_interval_ = seconds(t.tREFI * tck);
    refreshes_ = t.tRFC > 0 && t.tREFI > t.tRFC;
    ranks_ = static_cast<double>(o.channels * o.ranks_per_channel());
    if (activate_.value() < 0.0)
      throw invalid_parameter("dram_power.idd0", to_text(power_.idd0),
                              "a current whose ACT-PRE cycle exceeds standby (IDD0 x tRC >= IDD3N x tRAS + "
                              "IDD2N x (tRC - tRAS))");
  }

  [[nodiscard]] const dram_power_config& power() const { return power_; }
  [[nodiscard]] joules activate_precharge() const { return activate_; }  // one ACT + its PRE, one rank
  [[nodiscard]] joules read_burst() const { return read_; }
  [[nodiscard]] joules write_burst() const { return write_; }
  [[nodiscard]] joules refresh() const { return refresh_; }  // one all-bank refresh of one rank

  // The energy the commands of one charge add above background.
  [[nodiscard]] joules commands(const dram_counters& c) const {
    return activate_ * static_cast<double>(c.activates) + read_ * static_cast<double>(c.reads) +
           write_ * static_cast<double>(c.writes);
  }

  // Background of every rank (active standby) plus refresh at its average rate.
  [[nodiscard]] watts background_power() const {
    return watts(ranks_ * (power_.vdd * power_.idd3n * static_cast<double>(power_.chips_per_rank) +
                           (refreshes_ ? refresh_.value() / refresh_interval_.value() : 0.0)));
  }

 private:
  dram_power_config power_;
  joules activate_{}, read_{}, write_{}, refresh_{};
  seconds refresh_interval_{};
  double ranks_ = 0.0;
  bool refreshes_ = false;
};

}  // namespace hermes
