#pragma once
// A memory with compute attached: one node of an H2M2-style asymmetric memory system (Hwang et
// al., "Hardware-based Heterogeneous Memory Management for Large Language Model Inference",
// arXiv 2504.14893, 2025). Each node executes the kernels whose data it holds, so a kernel's
// time on a node is a roofline over the node's own memory bandwidth and its own compute:
//     max(traffic / (bandwidth x bandwidth efficiency), work / (peak x compute efficiency))
//     + kernel overhead.
// A kernel that moves nothing and computes nothing launches nothing and costs nothing.
//
// The presets are our own documented configuration (only H2M2's abstract is public), chosen
// before any H2M2 result existed and not changed after: a Grace Hopper (GH200)-like pairing of
// a bandwidth-centric HBM3 node and a capacity-centric LPDDR5X node, each beside the same
// accelerator. Every number is sourced in docs/parameters.md, section "H2M2 configuration".
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/lookup.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

struct memory_node_config {
  std::string name;
  bytes capacity{};
  bandwidth memory_bandwidth{};       // peak memory bandwidth (datasheet)
  double bandwidth_efficiency = 1.0;  // fraction of memory_bandwidth a streaming kernel sustains
  flop_rate peak{};                   // dense BF16/FP16 peak of the compute beside the memory
  double compute_efficiency = 1.0;    // fraction of peak a large GEMM sustains
  seconds kernel_overhead{};          // fixed cost of one kernel issued back to back

  // Throws invalid_parameter naming the first bad field, its value and what is allowed.
  void validate() const {
    if (name.empty()) throw invalid_parameter("memory_node_config.name", "\"\"", "a non-empty name");
    require_positive("memory_node_config.capacity", capacity.value());
    require_positive("memory_node_config.memory_bandwidth", memory_bandwidth.value());
    require_fraction("memory_node_config.bandwidth_efficiency", bandwidth_efficiency);
    require_positive("memory_node_config.peak", peak.value());
    require_fraction("memory_node_config.compute_efficiency", compute_efficiency);
    require_non_negative("memory_node_config.kernel_overhead", kernel_overhead.value());
  }
};

class memory_node {
 public:
  explicit memory_node(memory_node_config config) : config_(std::move(config)) { config_.validate(); }

  [[nodiscard]] std::string_view name() const { return config_.name; }
  [[nodiscard]] bytes capacity() const { return config_.capacity; }
  [[nodiscard]] const memory_node_config& config() const { return config_; }

  [[nodiscard]] bandwidth effective_bandwidth() const {
    return config_.memory_bandwidth * config_.bandwidth_efficiency;
  }
  [[nodiscard]] flop_rate effective_peak() const { return config_.peak * config_.compute_efficiency; }

  // One kernel reading and writing `traffic` bytes of this node's memory and doing `work` FLOPs
  // on its compute: the roofline plus the kernel overhead (nothing at all for an empty kernel).
  [[nodiscard]] device_cost run(bytes traffic, flops work) const {
    require_non_negative("memory_node.run traffic", traffic.value());
    require_non_negative("memory_node.run work", work.value());
    device_cost cost;
    if (traffic.value() == 0.0 && work.value() == 0.0) return cost;
    cost.bytes_moved = traffic;
    cost.flops_done = work;
    cost.time = max(traffic / effective_bandwidth(), work / effective_peak()) + config_.kernel_overhead;
    return cost;
  }

 private:
  memory_node_config config_;
};

static_assert(memory_device<memory_node>, "memory_node must model memory_device (capacity, name)");

// ------------------------------------------------------------------------------------------
// The H2M2 configuration (docs/parameters.md, "H2M2 configuration"): the two memories of an
// NVIDIA GH200 Grace Hopper Superchip (GH200 datasheet), each beside the same accelerator, an
// H100 SXM5-class compute die (H100 datasheet: 989.4 TFLOPS dense BF16 tensor). Efficiencies and
// kernel overhead are the GPU presets' documented values (device/gpu.hpp): 0.90 of peak
// bandwidth for streaming kernels, compute at peak, 0.9 us per kernel.
namespace memory_node_presets {
namespace detail {
inline memory_node_config with_h2m2_compute(std::string name, bytes capacity, bandwidth bw, double accelerators) {
  using namespace hermes::literals;
  return {.name = std::move(name), .capacity = capacity, .memory_bandwidth = bw,
          .bandwidth_efficiency = 0.90, .peak = 989.4_TFLOPS * accelerators, .compute_efficiency = 1.0,
          .kernel_overhead = 0.9_us};
}
}  // namespace detail

// Bandwidth-centric: HBM3, 96 GB at 4 TB/s (GH200 datasheet, the HBM3 version: six JESD238 stacks
// of 16 GB, 1024 data pins each at about 5.2 Gb/s, under JESD238's 6.4 Gb/s).
inline memory_node_config bandwidth_node() {
  using namespace hermes::literals;
  return detail::with_h2m2_compute("HBM3-node", 96_GB, 4000_GBps, 1.0);
}
// Capacity-centric: LPDDR5X, 480 GB at 512 GB/s (GH200 datasheet: Grace's LPDDR5X with ECC).
inline memory_node_config capacity_node() {
  using namespace hermes::literals;
  return detail::with_h2m2_compute("LPDDR5X-node", 480_GB, 512_GBps, 1.0);
}
// The homogeneous LPDDR baseline H2M2 is compared with: the capacity node's memory alone, with
// the same total compute as the two H2M2 nodes together (two accelerators' peak), so that the
// comparison measures the memory system, not extra FLOP/s (docs/parameters.md).
inline memory_node_config lpddr_only_node() {
  using namespace hermes::literals;
  return detail::with_h2m2_compute("LPDDR5X-only", 480_GB, 512_GBps, 2.0);
}

inline std::array<memory_node_config, 3> all() { return {bandwidth_node(), capacity_node(), lpddr_only_node()}; }
}  // namespace memory_node_presets

// The preset called `name` (case-insensitive); an unknown name throws invalid_parameter listing
// the valid ones.
inline memory_node_config find_memory_node_preset(std::string_view name) {
  return find_named(memory_node_presets::all(), name, "memory node preset");
}

}  // namespace hermes
