#pragma once
// The host CPU as a compute and memory policy, for the Hermes-host baseline (PowerInfer-style:
// cold neurons stay in host DRAM and the CPU computes them).
//
// Roofline, like the GPU: time = max(bytes / (bandwidth x efficiency), flops / (peak x
// efficiency)). The peak is derived from the cores, not quoted: cores x clock x FP32 FLOP per
// cycle per core. FP16 weights are widened to FP32 (F16C) and computed with FP32 FMAs, since AVX2
// has no FP16 arithmetic, so FP16 and FP32 work share one peak. No per-call overhead is charged:
// a thread-pool barrier costs well under a microsecond, against milliseconds for the cold part of
// a layer of the evaluated models.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "hermes/core/concepts.hpp"
#include "hermes/core/device_traits.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/core/lookup.hpp"
#include "hermes/device/energy.hpp"
#include "hermes/device/roofline.hpp"

namespace hermes {

struct host_cpu_config {
  std::string name;
  bytes memory_capacity{};            // host DRAM installed
  bandwidth memory_bandwidth{};       // peak DRAM bandwidth (channels x width x transfer rate)
  std::size_t cores = 0;              // cores running the GEMV threads
  frequency core_clock{};             // sustained clock of those cores
  double fp32_flops_per_cycle = 0.0;  // per core: FMA ports x SIMD lanes x 2
  double bandwidth_efficiency = 1.0;  // fraction of memory_bandwidth a streaming GEMV sustains
  double compute_efficiency = 1.0;    // fraction of the FLOP/s peak the FMA loop sustains
  bytes cache_line{64.0};             // a gathered row is fetched in whole cache lines (x86)
  bytes index_entry{4.0};             // one entry of the active-neuron index list (int32)
  device_power power{};               // package power, idle / busy (device/energy.hpp); 0 = not modelled

  void validate() const {
    if (name.empty()) throw invalid_parameter("host_cpu_config.name", "\"\"", "a non-empty name");
    require_positive("host_cpu_config.memory_capacity", memory_capacity.value());
    require_positive("host_cpu_config.memory_bandwidth", memory_bandwidth.value());
    require_positive("host_cpu_config.cores", cores);
    require_positive("host_cpu_config.core_clock", core_clock.value());
    require_positive("host_cpu_config.fp32_flops_per_cycle", fp32_flops_per_cycle);
    require_fraction("host_cpu_config.bandwidth_efficiency", bandwidth_efficiency);
    require_fraction("host_cpu_config.compute_efficiency", compute_efficiency);
    require_positive("host_cpu_config.cache_line", cache_line.value());
    require_non_negative("host_cpu_config.index_entry", index_entry.value());
    power.validate("host_cpu_config.power");
  }

  // cores x clock x FLOP per cycle.
  [[nodiscard]] flop_rate peak_flops() const {
    return flop_rate(static_cast<double>(cores) * core_clock.value() * fp32_flops_per_cycle);
  }
};

class host_cpu {
 public:
  explicit host_cpu(host_cpu_config config) : config_(std::move(config)) { config_.validate(); }

  [[nodiscard]] std::string_view name() const { return config_.name; }
  [[nodiscard]] bytes capacity() const { return config_.memory_capacity; }
  [[nodiscard]] const host_cpu_config& config() const { return config_; }
  // The package's idle power, drawn over the whole run (device/energy.hpp).
  [[nodiscard]] watts static_power() const { return config_.power.idle; }

  [[nodiscard]] bandwidth effective_bandwidth() const {
    return config_.memory_bandwidth * config_.bandwidth_efficiency;
  }
  [[nodiscard]] flop_rate effective_peak() const {
    return config_.peak_flops() * config_.compute_efficiency;
  }

  // The compute_device entry point; the access pattern follows the chunk addresses
  // (roofline.hpp: none or back to back = contiguous, otherwise gathered).
  [[nodiscard]] device_cost gemv(const gemv_work& work) const {
    return gemv(work, access_of(work));
  }

  [[nodiscard]] device_cost gemv(const gemv_work& work, row_access access) const {
    validate_gemv_work(work);
    if (work.chunks == 0) return device_cost{};
    const bytes traffic =
        gemv_weight_traffic(work, access, config_.cache_line, config_.index_entry) +
        gemv_activation_traffic(work);
    return roofline(traffic, work.flop_count());
  }

  // Elementwise or reduction work: every element is read once and written once, each
  // `bytes_per_element` wide.
  [[nodiscard]] device_cost vector_op(const vector_work& work) const {
    require_positive("vector_work.bytes_per_element", work.bytes_per_element);
    require_non_negative("vector_work.flops_per_element", work.flops_per_element);
    if (work.elements == 0) return device_cost{};
    const double n = static_cast<double>(work.elements);
    return roofline(bytes(2.0 * n * work.bytes_per_element), flops(n * work.flops_per_element));
  }

 private:
  [[nodiscard]] device_cost roofline(bytes traffic, flops work) const {
    device_cost cost;
    cost.bytes_moved = traffic;
    cost.flops_done = work;
    cost.time = max(traffic / effective_bandwidth(), work / effective_peak());
    cost.energy = config_.power.dynamic() * cost.time;
    return cost;
  }

  host_cpu_config config_;
};

static_assert(compute_device<host_cpu>, "host_cpu must model compute_device (gemv, vector_op)");
static_assert(memory_device<host_cpu>, "host_cpu must model memory_device (capacity, name)");

namespace host_cpu_presets {

// Intel Core i9-13900K, the Hermes-host baseline's CPU (Hermes Sec V-A), as PowerInfer's
// "PC-High" runs it (Song et al., SOSP 2024, Sec 8.1: the eight physical P-cores at 5.4 GHz,
// 192 GB host memory).
//  - memory_bandwidth 89.6 GB/s: Intel ARK, 2 channels of DDR5-5600 (Hermes Sec V-A quotes it).
//  - memory_capacity 192 GB: Intel ARK maximum, PowerInfer PC-High's installed memory.
//  - 8 cores x 5.4 GHz (Intel ARK: P-core Turbo Boost 2.0 frequency 5.4 GHz) x 32 FP32 FLOP per
//    cycle (Raptor Cove: two 256-bit FMA ports x 8 FP32 lanes x 2; AVX-512 is fused off)
//    = 1382 GFLOPS. The 16 E-cores are left out, as PowerInfer runs its CPU threads on the
//    P-cores.
//  - bandwidth_efficiency 0.75: PowerInfer reports 67.2 GB/s of host memory bandwidth on this
//    machine, 75% of 89.6 GB/s.
//  - compute_efficiency 1.0: roofline peak; an FP16 GEMV needs B FLOP per byte at batch B and
//    the machine balance is 1382 / 67.2 = 20.6 FLOP/byte, so every evaluated batch (1..16)
//    is bandwidth-bound and the compute derating would not change a result.
inline host_cpu_config i9_13900k() {
  using namespace hermes::literals;
  return {.name = "i9-13900K", .memory_capacity = 192_GB, .memory_bandwidth = 89.6_GBps,
          .cores = 8, .core_clock = 5.4_GHz, .fp32_flops_per_cycle = 32.0,
          .bandwidth_efficiency = 0.75, .compute_efficiency = 1.0,
          .power = power_presets::i9_13900k()};
}

inline std::array<host_cpu_config, 1> all() { return {i9_13900k()}; }
}  // namespace host_cpu_presets

// The preset called `name` (case-insensitive); an unknown name throws invalid_parameter listing
// the valid ones.
inline host_cpu_config find_host_cpu_preset(std::string_view name) {
  return find_named(host_cpu_presets::all(), name, "host cpu preset");
}

// The host CPU computes from host DRAM.
template <>
struct device_traits<host_cpu> {
  static constexpr resource_kind kind = resource_kind::host;
  static constexpr std::string_view prefix = "cpu";
};

}  // namespace hermes
