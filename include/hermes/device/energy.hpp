#pragma once
// Power of a board or package that reports no command counts (a GPU, a host CPU): the documented
// utilisation model
//     P(t) = idle + (busy - idle) x u(t),   u = 1 while the device runs charged work, else 0,
// so a run of wall time T with busy time B uses  idle x T + (busy - idle) x B  joules. The
// device policies charge the second term with each piece of work (device_cost::energy); the first
// is the resource's static power in the ledger (ledger::set_static_power), which read_energy
// (sim/result.hpp) multiplies by the run's wall time. `busy` is the board's or package's rated
// power (TDP / total board power), drawn while a kernel runs: an upper bound for memory-bound
// GEMVs, which rarely reach it (docs/parameters.md, "Energy").
//
// Also the NDP core's per-operation energies (ndp_core_energy). Presets name their sources;
// docs/parameters.md ("Energy") has the table.
#include <cmath>
#include <string>
#include <string_view>

#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

struct device_power {
  watts idle{};  // drawn whenever the machine is on
  watts busy{};  // drawn while the device runs charged work (rated board / package power)

  [[nodiscard]] watts dynamic() const { return busy - idle; }

  // Throws invalid_parameter naming `field` + ".idle_power" / ".busy_power".
  void validate(std::string_view field) const {
    const std::string f(field);
    if (!(idle.value() >= 0.0) || !std::isfinite(idle.value()))
      throw invalid_parameter(f + ".idle_power", to_text(idle.value()), "a finite power >= 0 W");
    if (!(busy.value() >= idle.value()) || !std::isfinite(busy.value()))
      throw invalid_parameter(f + ".busy_power", to_text(busy.value()),
                              "a finite power >= the idle power (" + to_text(idle.value()) + " W)");
  }
};

// The NDP core's energies (Hermes Sec IV-A: the GEMV and activation units on the DIMM's buffer
// chip). The DRAM's own energy is dram_energy's (device/dram_energy.hpp).
struct ndp_core_energy {
  joules per_mac{};            // one FP16 multiply-accumulate of the GEMV unit
  joules per_vector_op{};      // one element-operation of the activation unit
  watts static_power{};        // leakage and clock of the core while the machine is on

  void validate() const {
    const auto check = [](std::string_view field, double v, std::string_view unit) {
      if (!(v >= 0.0) || !std::isfinite(v))
        throw invalid_parameter(field, to_text(v), "a finite value >= 0 " + std::string(unit));
    };
    check("ndp_dimm.core_energy.per_mac", per_mac.value(), "J");
    check("ndp_dimm.core_energy.per_vector_op", per_vector_op.value(), "J");
    check("ndp_dimm.core_energy.static_power", static_power.value(), "W");
  }
};

namespace power_presets {

// NVIDIA GeForce RTX 4090: 450 W total board power (NVIDIA RTX 4090 specifications page, "Total
// Graphics Power 450 W"); idle 21 W, the desktop idle TechPowerUp measured on the Founders
// Edition (review "NVIDIA GeForce RTX 4090 Founders Edition", Oct 2022, "Power Consumption").
inline device_power rtx4090() { return {.idle = watts(21.0), .busy = watts(450.0)}; }
// NVIDIA GeForce RTX 3090: 350 W total board power (NVIDIA specifications); idle 21 W, the same
// class of measurement (TechPowerUp RTX 3090 FE review, Sep 2020).
inline device_power rtx3090() { return {.idle = watts(21.0), .busy = watts(350.0)}; }
// NVIDIA Tesla T4: 70 W (NVIDIA T4 datasheet); idle 10 W (nvidia-smi idle of a T4, typical).
inline device_power tesla_t4() { return {.idle = watts(10.0), .busy = watts(70.0)}; }
// NVIDIA A100 SXM4: 400 W TDP (NVIDIA A100 datasheet, both 40 GB and 80 GB); idle 50 W, the
// idle draw nvidia-smi reports for an SXM4 A100 with no context (NVIDIA DGX A100 user guide
// lists ~50-60 W per idle GPU; we take the lower end).
inline device_power a100_sxm4() { return {.idle = watts(50.0), .busy = watts(400.0)}; }
// Intel Core i9-13900K: 253 W Maximum Turbo Power (Intel ARK), the package power at the
// all-P-core turbo the host GEMV runs at; idle 12 W, the package idle of desktop Raptor Lake
// reviews (e.g. Tom's Hardware / AnandTech i9-13900K reviews, Oct 2022: 10-15 W at idle).
inline device_power i9_13900k() { return {.idle = watts(12.0), .busy = watts(253.0)}; }

}  // namespace power_presets

namespace ndp_energy_presets {

// Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, Fig 1.1.9
// (45 nm, 0.9 V): FP16 multiply 1.1 pJ, FP16 add 0.4 pJ, so one FP16 MAC = 1.5 pJ. The Hermes
// paper does not state the NDP core's process node; we take the 45 nm figures unscaled (a DIMM
// buffer chip is made on an older logic node than a GPU; a newer node divides them by about
// 2-4, docs/parameters.md "Energy"). An activation-unit element-operation is costed as one FP16
// multiply (1.1 pJ; exp and divide cost more, add less). Static power: not modelled (0), the
// paper gives none for the core.
inline ndp_core_energy horowitz_45nm_fp16() {
  return {.per_mac = joules(1.5e-12), .per_vector_op = joules(1.1e-12), .static_power = watts(0.0)};
}

}  // namespace ndp_energy_presets

}  // namespace hermes
