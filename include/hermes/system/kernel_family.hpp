#pragma once
// The kernel-level systems' machines, built from a hardware_config, and their registry entries.
//
// IANUS (Seo et al., ASPLOS 2024) and its baselines are NPU machines (sim/kernel_machines.hpp)
// that differ in their memory layout and kernel mapper; H2M2 (2025) and its homogeneous baseline
// are node machines that differ in their nodes and buffer mapper; a dense GPU is a one-node
// machine. The registry (system/registry.hpp) names the compositions; nothing here knows a name.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/memory_node.hpp"
#include "hermes/map/kernel_mapper.hpp"
#include "hermes/map/kernel_memory_mapper.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/kernel_engine.hpp"
#include "hermes/sim/kernel_machines.hpp"
#include "hermes/system/system_entry.hpp"

namespace hermes {

// `c` with `channels` channels (capacity and bandwidth scale with them).
[[nodiscard]] inline dram_config with_channel_count(dram_config c, std::size_t channels, std::string_view field) {
  if (channels == 0)
    throw invalid_parameter(field, "0 channels", "a memory with at least 2 channels (the partitioned system halves it)");
  c.organization.channels = channels;
  c.validate();
  return c;
}

// The NPU machine of a layout on hardware h: plain = h.npu_dram, unified = h.pim, partitioned =
// half the channels of each (IANUS' 4 GB + 4 GB system).
struct npu_machine_factory {
  npu_memory_layout layout = npu_memory_layout::unified;

  [[nodiscard]] npu_machine operator()(const hardware_config& h) const {
    switch (layout) {
      case npu_memory_layout::plain: return npu_machine(h.npu, layout, h.npu_dram, std::nullopt);
      case npu_memory_layout::unified: return npu_machine(h.npu, layout, std::nullopt, h.pim);
      case npu_memory_layout::partitioned: {
        const std::size_t plain_channels = h.npu_dram.organization.channels;
        const std::size_t pim_channels = h.pim.dram.organization.channels;
        if (plain_channels % 2 != 0 || pim_channels % 2 != 0)
          throw invalid_parameter("hardware.npu_dram/pim channels",
                                  std::to_string(plain_channels) + "/" + std::to_string(pim_channels),
                                  "even channel counts: the partitioned system gives half of each to plain memory and PIM");
        dram_config plain = with_channel_count(h.npu_dram, plain_channels / 2, "hardware.npu_dram.organization.channels");
        plain.name = "half of " + plain.name;
        pim_config pim = h.pim;
        pim.dram = with_channel_count(h.pim.dram, pim_channels / 2, "hardware.pim.dram.organization.channels");
        pim.name = "half of " + pim.name;
        return npu_machine(h.npu, layout, std::move(plain), std::move(pim));
      }
    }
    throw invalid_parameter("npu_machine_factory.layout", "unknown", "plain, unified or partitioned");
  }
};

// H2M2's asymmetric machine (bandwidth node first, capacity node last) or the homogeneous one
// (hardware.homogeneous_node alone: the capacity node's memory with both nodes' compute).
struct memory_node_machine_factory {
  bool heterogeneous = true;
  [[nodiscard]] node_machine<memory_node> operator()(const hardware_config& h) const {
    std::vector<memory_node> nodes;
    if (heterogeneous) {
      nodes.emplace_back(h.bandwidth_node);
      nodes.emplace_back(h.capacity_node);
    } else {
      nodes.emplace_back(h.homogeneous_node);
    }
    return node_machine<memory_node>(std::move(nodes), h.node_link);
  }
};

// One GPU (hardware.gpu) running every kernel densely from its own memory.
struct gpu_node_machine_factory {
  [[nodiscard]] node_machine<gpu> operator()(const hardware_config& h) const {
    return node_machine<gpu>({gpu(h.gpu)}, h.node_link);
  }
};

// The registry entry of a kernel system; `baselines` are the systems `hermes-sim --system NAME`
// shows beside it.
template <class System>
[[nodiscard]] system_entry kernel_entry(System s, std::string description, std::vector<std::string> baselines = {}) {
  std::string name = s.name;
  system_entry e{std::move(name), std::move(description),
                 [s = std::move(s)](const workload_config& w, const hardware_config& h) { return run_kernel_system(s, w, h); }};
  e.baselines = std::move(baselines);
  e.needs_activation_records = false;
  return e;
}

}  // namespace hermes
