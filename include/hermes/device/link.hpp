#pragma once
// A point-to-point interconnect as a link policy: a transfer of b bytes takes
//     latency + b / (bandwidth x host-memory fraction)
// and costs 8 b x energy_per_bit joules. A transfer of zero bytes is a pure synchronisation
// (a doorbell or flag) and costs the latency alone.
//
// `bandwidth` is per direction. A full-duplex link (PCIe, whose lanes are dual-simplex pairs)
// carries both directions at once: its users give it one ledger resource per direction
// (add_link_resources), so opposite-direction transfers overlap and same-direction ones
// serialise. A half-duplex link has one resource for both.
//
// A DMA between a device and host memory reaches a measured fraction of the link's bandwidth
// that depends on the host memory: page-locked (pinned) buffers are read by the DMA engine
// directly; pageable ones are staged by the driver through a pinned bounce buffer. Which kind a
// transfer uses is the system's choice (its options, set by its registry entry); the fractions
// are the link's (link_config::pinned_fraction, pageable_fraction).
//
// Serialisation of concurrent transfers on one direction is the ledger's business, not the
// policy's. Presets below name their sources; the choices the Hermes paper leaves open are
// recorded in docs/parameters.md (section "devices").
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

// Where the host side of a transfer lives (see the header comment).
enum class host_memory_kind { pinned, pageable };

[[nodiscard]] constexpr std::string_view to_string(host_memory_kind k) {
  return k == host_memory_kind::pinned ? "pinned" : "pageable";
}

struct link_config {
  std::string name;
  ::hermes::bandwidth bandwidth{};  // payload bandwidth per direction
  seconds latency{};               // fixed cost of one transfer (setup, flight, completion)
  joules energy_per_bit{};         // energy to move one payload bit; 0 = not modelled
  // Both directions at once, each at `bandwidth` (one ledger resource per direction).
  bool full_duplex = true;
  // Fractions of `bandwidth` a transfer from or to pinned / pageable host memory reaches
  // (measured; 1 = the link's full rate, e.g. a link with no host memory behind it).
  double pinned_fraction = 1.0;
  double pageable_fraction = 1.0;

  void validate() const {
    if (name.empty()) throw invalid_parameter("link_config.name", "\"\"", "a non-empty name");
    require_positive("link_config.bandwidth", bandwidth.value());
    require_non_negative("link_config.latency", latency.value());
    require_non_negative("link_config.energy_per_bit", energy_per_bit.value());
    if (!(pinned_fraction > 0.0 && pinned_fraction <= 1.0))
      throw invalid_parameter("link_config.pinned_fraction", to_text(pinned_fraction), "a fraction in (0, 1]");
    if (!(pageable_fraction > 0.0 && pageable_fraction <= 1.0))
      throw invalid_parameter("link_config.pageable_fraction", to_text(pageable_fraction), "a fraction in (0, 1]");
  }
};

class link {
 public:
  explicit link(link_config config) : config_(std::move(config)) { config_.validate(); }

  [[nodiscard]] std::string_view name() const { return config_.name; }
  [[nodiscard]] const link_config& config() const { return config_; }

  // The rate a transfer from or to `memory` reaches in its direction.
  [[nodiscard]] ::hermes::bandwidth rate(host_memory_kind memory = host_memory_kind::pinned) const {
    return config_.bandwidth *
           (memory == host_memory_kind::pinned ? config_.pinned_fraction : config_.pageable_fraction);
  }

  [[nodiscard]] device_cost transfer(bytes payload, host_memory_kind memory = host_memory_kind::pinned) const {
    require_non_negative("link.transfer bytes", payload.value());
    device_cost cost;
    cost.time = config_.latency + payload / rate(memory);
    cost.bytes_moved = payload;
    cost.energy = config_.energy_per_bit * (8.0 * payload.value());
    return cost;
  }

 private:
  link_config config_;
};

static_assert(link_device<link>, "link must model link_device (transfer, name)");

// The ledger resources of one link: one per direction when it is full duplex ("<name>_to_gpu"
// and "<name>_from_gpu", named from the GPU's side, the side every PCIe transfer of the systems
// has), else one ("<name>") that both directions share.
struct link_resources {
  ledger::resource_id to_gpu{};
  ledger::resource_id from_gpu{};
};
inline link_resources add_link_resources(ledger& l, const std::string& name, const link_config& c) {
  if (!c.full_duplex) {
    const auto id = l.add_resource(name, resource_kind::link);
    return {id, id};
  }
  const auto to = l.add_resource(name + "_to_gpu", resource_kind::link);
  return {to, l.add_resource(name + "_from_gpu", resource_kind::link)};
}

namespace link_presets {

// PCIe 4.0 x16 (the GPU's link to the host and the NDP-DIMMs, Hermes Sec IV-A, V-A), physical:
// 16 GT/s x 16 lanes with 128b/130b encoding = 31.5 GB/s in each direction at once (PCI Express
// Base Specification 4.0). DMA from or to pinned host memory reaches 23.9 GB/s = 0.76 of it and
// pageable memory 12.88 GB/s = 0.41 (64 MiB host-to-device copies, RTX 4090 on PCIe 4.0 x16:
// NVlabs/cuda-oxide PR #976, pinned_overlap; docs/parameters.md).
// Latency 5 us: a host-driven DMA of a small buffer including its completion, the order that
// NVIDIA's CUDA Graphs blog (Gray 2019: 5.8 us per stream synchronisation) and small-message
// cudaMemcpy measurements report; it is the T_sync the paper leaves open (docs/parameters.md).
// Energy 5.5 pJ/bit: a board-level long-reach SerDes, the figure NVIDIA's NVLink-C2C paper
// compares against (Wei et al., ISSCC 2023, 9.3: 1.3 pJ/bit for C2C vs 5.5 pJ/bit for SerDes);
// the Hermes paper gives none (docs/parameters.md, "Energy").
inline link_config pcie4_x16() {
  using namespace hermes::literals;
  const double per_direction = 16e9 * 16.0 * 128.0 / 130.0 / 8.0;  // 31.5 GB/s
  return {.name = "PCIe4-x16",
          .bandwidth = bandwidth(per_direction),
          .latency = 5_us,
          .energy_per_bit = joules(5.5e-12),
          .full_duplex = true,
          .pinned_fraction = 23.9e9 / per_direction,
          .pageable_fraction = 12.88e9 / per_direction};
}
// The link as the Hermes paper states it (Sec IV-A, V-A: "PCIe 4.0, 64 GB/s", the figure of both
// directions together), applied to every transfer in either direction at the full rate, from
// any host memory: for comparison with the paper's own assumption.
inline link_config pcie4_x16_paper() {
  using namespace hermes::literals;
  return {.name = "PCIe4-paper", .bandwidth = 64_GBps, .latency = 5_us, .energy_per_bit = joules(5.5e-12),
          .full_duplex = true, .pinned_fraction = 1.0, .pageable_fraction = 1.0};
}
// DIMM-link between two NDP-DIMMs (Zhou et al., "DIMM-Link", HPCA 2023; Hermes Sec IV-A):
// 8 lanes x 25 Gb/s = 25 GB/s per link, 1.17 pJ/bit.
// Latency 20 ns: one SerDes hop (transmit + receive PHY and framing), our assumption; the papers
// give none, and it is at most 3% of moving one neuron (>= 16 KiB, >= 0.66 us at 25 GB/s).
inline link_config dimm_link() {
  using namespace hermes::literals;
  return {.name = "DIMM-link", .bandwidth = bandwidth(8.0 * 25e9 / 8.0),
          .latency = 20_ns, .energy_per_bit = 1.17_pJ, .full_duplex = false};
}
// Host memory bus of the Hermes-host baseline's CPU, Intel Core i9-13900K (Intel ARK):
// two DDR5-5600 channels x 8 bytes = 89.6 GB/s. Latency 100 ns: the idle load-to-use DRAM
// latency of desktop DDR5 platforms (about 90-110 ns in published Raptor Lake measurements).
// Energy: not modelled (no reproduced figure is an energy).
inline link_config host_memory_bus() {
  using namespace hermes::literals;
  return {.name = "host-DDR5", .bandwidth = 89.6_GBps, .latency = 100_ns,
          .energy_per_bit = joules(0.0), .full_duplex = false};
}
// A100 SXM4 NVLink 3: 12 links x 50 GB/s = 600 GB/s total per GPU (NVIDIA A100 datasheet);
// latency 2 us per collective step (NCCL all-reduce latency floor on NVLink, nccl-tests);
// energy 5.5 pJ/bit, a board-level SerDes like PCIe's (Wei et al., ISSCC 2023, 9.3).
inline link_config nvlink3() {
  return link_config{.name = "NVLink3", .bandwidth = bandwidth(600e9),
                     .latency = seconds(2e-6), .energy_per_bit = joules(5.5e-12), .full_duplex = true};
}
// NVLink-C2C between the two memory nodes of the H2M2 configuration (device/memory_node.hpp;
// docs/parameters.md, "H2M2 configuration"): the chip-to-chip link of the GH200 Grace Hopper
// Superchip, 900 GB/s bidirectional = 450 GB/s per direction, full duplex (GH200 datasheet);
// 1.3 pJ/bit (Wei et al., ISSCC 2023, 9.3). Latency 1 us: one DMA of a buffer with its
// completion, our assumption (no source states it); H2M2 moves whole buffers of megabytes to
// gigabytes (>= 2.2 us each at 450 GB/s), so the choice is at most a few percent of a move.
inline link_config nvlink_c2c() {
  using namespace hermes::literals;
  return {.name = "NVLink-C2C", .bandwidth = 450_GBps, .latency = 1_us, .energy_per_bit = 1.3_pJ,
          .full_duplex = true};
}
// The presets a configuration file may name (the GPU-to-GPU NVLink is not one).
inline std::array<link_config, 5> all() {
  return {pcie4_x16(), pcie4_x16_paper(), dimm_link(), host_memory_bus(), nvlink_c2c()};
}
}  // namespace link_presets

// The preset called `name` (case-insensitive); an unknown name throws invalid_parameter listing
// the valid ones.
inline link_config find_link_preset(std::string_view name) {
  return find_named(link_presets::all(), name, "link preset");
}

}  // namespace hermes
