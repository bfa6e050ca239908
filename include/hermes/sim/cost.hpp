#pragma once
// What a run's hardware costs and what its tokens cost: a price table (GPUs by preset name, a
// plain DIMM, the NDP premium per DIMM, a host, electricity, lifetime and utilisation), its
// compiled-in defaults (price_presets::defaults(), the same numbers as data/prices.json, which
// tests/io/test_price_json.cpp checks), and price_run, the cost_report of a sim_result.
//
//   hardware_usd               = gpus x gpu price + ndp_dimms x (dimm + ndp premium)
//                                + hosts x (host, or multi_gpu_host when the machine has > 1 GPU)
//   tokens_per_second_per_kusd = end-to-end tokens/s / (hardware_usd / 1000)
//   usd_per_million_tokens     = 1e6 x hardware_usd / (lifetime_s x utilisation x end-to-end tokens/s)
//                              + 1e6 x joules_per_token / 3.6e6 x usd_per_kwh
//
// Electricity is charged for the tokens' own energy (prefill included), not for idle hours
// outside the utilised fraction. Every price has a date and a source (docs/parameters.md, "Cost").
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/text.hpp"
#include "hermes/sim/result.hpp"

namespace hermes {

// One price: US dollars, when it was read and where.
struct price_item {
  double usd = 0.0;
  std::string date;    // YYYY-MM
  std::string source;
};

struct price_table {
  std::vector<std::pair<std::string, price_item>> gpus;  // by GPU preset name (gpu_config::name)
  price_item dimm;              // one plain 32 GB DDR4-3200 RDIMM, the NDP-DIMM's memory
  price_item ndp_dimm_premium;  // what the NDP core (buffer chip) adds per DIMM
  price_item host;              // one single-GPU desktop host: CPU, board, memory, PSU, case, SSD
  price_item multi_gpu_host;    // the server a multi-GPU machine needs (without its GPUs)
  price_item power;             // USD per kWh
  double lifetime_years = 0.0;  // the hardware is written off over this many years
  double utilisation = 0.0;     // fraction of the lifetime the machine generates tokens

  // Throws invalid_parameter naming the first bad field ("prices.<field>").
  void validate() const {
    const auto price = [](const std::string& field, const price_item& p) {
      if (!(p.usd >= 0.0) || !std::isfinite(p.usd))
        throw invalid_parameter("prices." + field + ".usd", to_text(p.usd), "a finite price >= 0 USD");
    };
    for (const auto& [name, p] : gpus) {
      if (name.empty()) throw invalid_parameter("prices.gpus", "\"\"", "GPU names that are not empty");
      price("gpus." + name, p);
    }
    price("dimm", dimm);
    price("ndp_dimm_premium", ndp_dimm_premium);
    price("host", host);
    price("multi_gpu_host", multi_gpu_host);
    price("power", power);
    if (!(lifetime_years > 0.0 && lifetime_years <= 100.0))
      throw invalid_parameter("prices.lifetime_years", to_text(lifetime_years), "a number of years in (0, 100]");
    if (!(utilisation > 0.0 && utilisation <= 1.0))
      throw invalid_parameter("prices.utilisation", to_text(utilisation), "a fraction in (0, 1]");
  }

  // The price of the GPU called `name` (case-insensitive), or nullptr.
  [[nodiscard]] const price_item* gpu(std::string_view name) const {
    for (const auto& [n, p] : gpus)
      if (lower_case(n) == lower_case(name)) return &p;
    return nullptr;
  }
};

namespace price_presets {

// The defaults; data/prices.json holds the same numbers with the same dates and sources, and
// docs/parameters.md ("Cost") explains each.
[[nodiscard]] inline price_table defaults() {
  price_table t;
  const price_item rtx4090{1599.0, "2022-10", "NVIDIA launch MSRP of the GeForce RTX 4090 (nvidia.com, Oct 2022)"};
  const price_item rtx3090{1499.0, "2020-09", "NVIDIA launch MSRP of the GeForce RTX 3090 (nvidia.com, Sep 2020)"};
  t.gpus = {
      {"RTX4090", rtx4090},
      {"RTX4090-paper", rtx4090},
      {"RTX3090", rtx3090},
      {"T4", {2000.0, "2023-06", "typical new-unit street price of an NVIDIA T4 16 GB (retail listings, mid 2023)"}},
      {"A100-40GB", {10000.0, "2021-06", "per-GPU price of an A100 40 GB SXM4 in an HGX A100 board, the figure "
                                         "commonly quoted at the time (about USD 10k; no list price is published)"}},
      {"A100-80GB", {15000.0, "2023-06", "per-GPU street price of an A100 80 GB SXM4 (about USD 15k in 2023 "
                                         "reseller listings; no list price is published)"}},
  };
  t.dimm = {90.0, "2024-06", "32 GB DDR4-3200 ECC RDIMM (e.g. Micron MTA36ASF4G72PZ-3G2), reseller price mid 2024"};
  t.ndp_dimm_premium = {150.0, "2024-06",
                        "assumption: no NDP-DIMM is sold; a buffer chip with a GEMV engine priced like an "
                        "LRDIMM data-buffer upgrade plus margin (docs/parameters.md, Cost)"};
  t.host = {2000.0, "2023-01",
            "desktop host: Intel Core i9-13900K (Intel RCP USD 589, Oct 2022), Z790 board, 64 GB DDR5, "
            "1000 W PSU, case, 2 TB SSD, retail early 2023"};
  t.multi_gpu_host = {20000.0, "2021-06",
                      "assumption: a dual-socket server chassis with the HGX baseboard, CPUs, memory, NICs "
                      "and power supplies, without the GPUs"};
  t.power = {0.128, "2024", "U.S. EIA, Electric Power Monthly Table 5.6.A: average retail price to the commercial "
                            "sector, 2024 (12.8 cents/kWh)"};
  t.lifetime_years = 3.0;   // three-year depreciation of IT hardware
  t.utilisation = 0.5;      // generating tokens half of the time
  return t;
}

}  // namespace price_presets

// The cost of run `r`'s hardware and tokens under `prices` (validated first). A run that was not
// simulated, or whose GPU the table does not price, is reported unpriced with the reason.
[[nodiscard]] inline cost_report price_run(const sim_result& r, const price_table& prices) {
  prices.validate();
  cost_report c;
  if (!r.supported) {
    c.unpriced_reason = "not simulated";
    return c;
  }
  const hardware_inventory& h = r.hardware;
  if (!h.unpriced_parts.empty()) {
    std::string parts;
    for (const auto& p : h.unpriced_parts) parts += (parts.empty() ? "" : ", ") + p;
    c.unpriced_reason = "no market price for " + parts;
    return c;
  }
  double usd = 0.0;
  if (h.gpus > 0) {
    const price_item* g = prices.gpu(h.gpu_model);
    if (!g) {
      std::string known;
      for (const auto& [n, p] : prices.gpus) known += (known.empty() ? "" : ", ") + n;
      c.unpriced_reason = "no price for GPU '" + h.gpu_model + "' (priced: " + known + ")";
      return c;
    }
    usd += static_cast<double>(h.gpus) * g->usd;
  }
  usd += static_cast<double>(h.ndp_dimms) * (prices.dimm.usd + prices.ndp_dimm_premium.usd);
  usd += static_cast<double>(h.hosts) * (h.gpus > 1 ? prices.multi_gpu_host.usd : prices.host.usd);
  c.priced = true;
  c.hardware_usd = usd;
  c.tokens_per_second_per_kusd = usd > 0.0 ? r.end_to_end_tokens_per_second / (usd / 1000.0) : 0.0;
  constexpr double seconds_per_year = 365.25 * 24.0 * 3600.0;
  const double productive_seconds = prices.lifetime_years * seconds_per_year * prices.utilisation;
  if (r.end_to_end_tokens_per_second > 0.0)
    c.hardware_usd_per_million_tokens = 1e6 * usd / (productive_seconds * r.end_to_end_tokens_per_second);
  c.energy_usd_per_million_tokens = 1e6 * r.energy.joules_per_token / 3.6e6 * prices.power.usd;
  c.usd_per_million_tokens = c.hardware_usd_per_million_tokens + c.energy_usd_per_million_tokens;
  return c;
}

}  // namespace hermes
