#pragma once
// A point-to-point interconnect as a link policy: a transfer of b bytes takes
//     latency + b / bandwidth
// and costs 8 b x energy_per_bit joules. A transfer of zero bytes is a pure synchronisation
// (a doorbell or flag) and costs the latency alone.
//
// Serialisation of concurrent transfers on one link is the ledger's business (one resource per
// link), not the policy's. Presets below name their sources; the choices the Hermes paper leaves
// open are recorded in docs/parameters.md (section "devices").
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/core/lookup.hpp"

namespace hermes {

struct link_config {
  std::string name;
  ::hermes::bandwidth bandwidth{};  // payload bandwidth in the direction of a transfer
  seconds latency{};               // fixed cost of one transfer (setup, flight, completion)
  joules energy_per_bit{};         // energy to move one payload bit; 0 = not modelled

  void validate() const {
    if (name.empty()) throw invalid_parameter("link_config.name", "\"\"", "a non-empty name");
    require_positive("link_config.bandwidth", bandwidth.value());
    require_non_negative("link_config.latency", latency.value());
    require_non_negative("link_config.energy_per_bit", energy_per_bit.value());
  }
};

class link {
 public:
  explicit link(link_config config) : config_(std::move(config)) { config_.validate(); }

  [[nodiscard]] std::string_view name() const { return config_.name; }
  [[nodiscard]] const link_config& config() const { return config_; }

  [[nodiscard]] device_cost transfer(bytes payload) const {
    require_non_negative("link.transfer bytes", payload.value());
    device_cost cost;
    cost.time = config_.latency + payload / config_.bandwidth;
    cost.bytes_moved = payload;
    cost.energy = config_.energy_per_bit * (8.0 * payload.value());
    return cost;
  }

 private:
  link_config config_;
};

static_assert(link_device<link>, "link must model link_device (transfer, name)");

namespace link_presets {

// PCIe 4.0 x16 between the GPU and the NDP-DIMMs, as the Hermes paper states it (Sec IV-A,
// V-A: "PCIe 4.0, 64 GB/s"). 64 GB/s is the bidirectional figure: 16 GT/s x 16 lanes with
// 128b/130b encoding is 31.5 GB/s in each direction (PCI Express Base Specification 4.0). We
// follow the paper; pcie4_x16_per_direction() is the physical per-direction figure.
// Latency 5 us: a host-driven DMA of a small buffer including its completion, the order that
// NVIDIA's CUDA Graphs blog (Gray 2019: 5.8 us per stream synchronisation) and small-message
// cudaMemcpy measurements report; it is the T_sync the paper leaves open (docs/parameters.md).
// Energy 5.5 pJ/bit: a board-level long-reach SerDes, the figure NVIDIA's NVLink-C2C paper
// compares against (Wei et al., ISSCC 2023, 9.3: 1.3 pJ/bit for C2C vs 5.5 pJ/bit for SerDes);
// the Hermes paper gives none (docs/parameters.md, "Energy").
inline link_config pcie4_x16() {
  using namespace hermes::literals;
  return {.name = "PCIe4-x16", .bandwidth = 64_GBps, .latency = 5_us,
          .energy_per_bit = joules(5.5e-12)};
}
inline link_config pcie4_x16_per_direction() {
  using namespace hermes::literals;
  // 16 GT/s x 16 lanes x 128/130 / 8 bits = 31.5 GB/s.
  return {.name = "PCIe4-x16-per-direction",
          .bandwidth = bandwidth(16e9 * 16.0 * 128.0 / 130.0 / 8.0), .latency = 5_us,
          .energy_per_bit = joules(5.5e-12)};
}
// DIMM-link between two NDP-DIMMs (Zhou et al., "DIMM-Link", HPCA 2023; Hermes Sec IV-A):
// 8 lanes x 25 Gb/s = 25 GB/s per link, 1.17 pJ/bit.
// Latency 20 ns: one SerDes hop (transmit + receive PHY and framing), our assumption; the papers
// give none, and it is at most 3% of moving one neuron (>= 16 KiB, >= 0.66 us at 25 GB/s).
inline link_config dimm_link() {
  using namespace hermes::literals;
  return {.name = "DIMM-link", .bandwidth = bandwidth(8.0 * 25e9 / 8.0),
          .latency = 20_ns, .energy_per_bit = 1.17_pJ};
}
// Host memory bus of the Hermes-host baseline's CPU, Intel Core i9-13900K (Intel ARK):
// two DDR5-5600 channels x 8 bytes = 89.6 GB/s. Latency 100 ns: the idle load-to-use DRAM
// latency of desktop DDR5 platforms (about 90-110 ns in published Raptor Lake measurements).
// Energy: not modelled (no reproduced figure is an energy).
inline link_config host_memory_bus() {
  using namespace hermes::literals;
  return {.name = "host-DDR5", .bandwidth = 89.6_GBps, .latency = 100_ns,
          .energy_per_bit = joules(0.0)};
}
// A100 SXM4 NVLink 3: 12 links x 50 GB/s = 600 GB/s total per GPU (NVIDIA A100 datasheet);
// latency 2 us per collective step (NCCL all-reduce latency floor on NVLink, nccl-tests);
// energy 5.5 pJ/bit, a board-level SerDes like PCIe's (Wei et al., ISSCC 2023, 9.3).
inline link_config nvlink3() {
  return link_config{.name = "NVLink3", .bandwidth = bandwidth(600e9),
                     .latency = seconds(2e-6), .energy_per_bit = joules(5.5e-12)};
}
// The presets a configuration file may name (the GPU-to-GPU NVLink is not one).
inline std::array<link_config, 4> all() {
  return {pcie4_x16(), pcie4_x16_per_direction(), dimm_link(), host_memory_bus()};
}
}  // namespace link_presets

// The preset called `name` (case-insensitive); an unknown name throws invalid_parameter listing
// the valid ones.
inline link_config find_link_preset(std::string_view name) {
  return find_named(link_presets::all(), name, "link preset");
}

}  // namespace hermes
