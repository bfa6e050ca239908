#pragma once
// A GPU as a compute and memory policy: a roofline over its DRAM bandwidth and its peak FLOP/s,
// plus a fixed per-kernel cost.
//
// The policy only accounts. A GEMV over `chunks` weight chunks reads every weight once (a batch
// of B input vectors reuses each weight B times: that is what makes a larger batch cheaper per
// token), reads the B input vectors and writes the B output vectors; its time is
//     max(bytes / (bandwidth x bandwidth efficiency), flops / (peak x compute efficiency))
//     + kernel launch overhead.
// At decode batch sizes a GEMV needs about B FLOP per weight byte, far below any GPU's
// FLOP-per-byte balance (hundreds), so it is memory-bound; prefill multiplies a whole prompt per
// weight read and becomes compute-bound, which `matmul` models.
//
// Numbers come from a `gpu_config` (a preset below, or a user's own values); every preset value
// names its source. Choices the Hermes paper leaves open are recorded in docs/parameters.md
// (section "devices").
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

struct gpu_config {
  std::string name;
  bytes memory_capacity{};
  bandwidth memory_bandwidth{};       // peak DRAM bandwidth (spec sheet)
  flop_rate peak_fp16_tensor{};       // dense FP16 tensor-core peak (no structured sparsity)
  flop_rate peak_fp32{};              // FP32 CUDA-core peak (elementwise work, FP32 GEMV)
  seconds kernel_launch_overhead{};   // fixed cost of one kernel issued back to back in a stream
  // Fraction of memory_bandwidth a streaming kernel (dense GEMV) sustains.
  double dense_bandwidth_efficiency = 1.0;
  // Fraction of memory_bandwidth a row-gathering kernel (sparse GEMV over active neurons)
  // sustains, on top of the extra index and sector-rounding bytes the policy charges itself.
  double gathered_bandwidth_efficiency = 1.0;
  // Fraction of the FLOP/s peak a large GEMM sustains.
  double compute_efficiency = 1.0;
  // DRAM access granularity: a gathered row is fetched in whole sectors (NVIDIA L2 <-> DRAM
  // sector = 32 B since Volta; CUDA C++ Programming Guide, "Device Memory Accesses").
  bytes dram_sector{32.0};
  // Width of one entry of the active-neuron index list a gathering kernel reads (int32).
  bytes index_entry{4.0};
  // Board power: idle whenever on, busy while a kernel runs (device/energy.hpp); 0 = not modelled.
  device_power power{};

  // Throws invalid_parameter naming the first bad field.
  void validate() const {
    if (name.empty()) throw invalid_parameter("gpu_config.name", "\"\"", "a non-empty name");
    require_positive("gpu_config.memory_capacity", memory_capacity.value());
    require_positive("gpu_config.memory_bandwidth", memory_bandwidth.value());
    require_positive("gpu_config.peak_fp16_tensor", peak_fp16_tensor.value());
    require_positive("gpu_config.peak_fp32", peak_fp32.value());
    require_non_negative("gpu_config.kernel_launch_overhead", kernel_launch_overhead.value());
    require_fraction("gpu_config.dense_bandwidth_efficiency", dense_bandwidth_efficiency);
    require_fraction("gpu_config.gathered_bandwidth_efficiency",
                             gathered_bandwidth_efficiency);
    require_fraction("gpu_config.compute_efficiency", compute_efficiency);
    require_positive("gpu_config.dram_sector", dram_sector.value());
    require_non_negative("gpu_config.index_entry", index_entry.value());
    power.validate("gpu_config.power");
  }
};

class gpu {
 public:
  explicit gpu(gpu_config config) : config_(std::move(config)) { config_.validate(); }

  [[nodiscard]] std::string_view name() const { return config_.name; }
  [[nodiscard]] bytes capacity() const { return config_.memory_capacity; }
  [[nodiscard]] const gpu_config& config() const { return config_; }
  // The board's idle power, drawn over the whole run (device/energy.hpp).
  [[nodiscard]] watts static_power() const { return config_.power.idle; }

  // Effective rates after the achievable fractions.
  [[nodiscard]] bandwidth effective_bandwidth(row_access access) const {
    return config_.memory_bandwidth * (access == row_access::contiguous
                                           ? config_.dense_bandwidth_efficiency
                                           : config_.gathered_bandwidth_efficiency);
  }
  // FP16/BF16 (2-byte) operands run on the tensor cores, FP32 (4-byte) on the CUDA cores.
  [[nodiscard]] flop_rate effective_peak(double bytes_per_element) const {
    return peak_for(bytes_per_element, "bytes_per_element") * config_.compute_efficiency;
  }

  // The compute_device entry point; the access pattern follows the chunk addresses
  // (roofline.hpp: none or back to back = contiguous, otherwise gathered).
  [[nodiscard]] device_cost gemv(const gemv_work& work) const {
    return gemv(work, access_of(work));
  }

  [[nodiscard]] device_cost gemv(const gemv_work& work, row_access access) const {
    validate_gemv_work(work);
    if (work.chunks == 0) return device_cost{};  // nothing to compute: no kernel is launched
    const bytes traffic =
        gemv_weight_traffic(work, access, config_.dram_sector, config_.index_entry) +
        gemv_activation_traffic(work);
    return roofline(traffic, work.flop_count(), work.bytes_per_element, access);
  }

  // Elementwise or reduction work (softmax, activation functions, merges): every element is read
  // once and written once, each `bytes_per_element` wide, and computed on the FP32 CUDA cores.
  [[nodiscard]] device_cost vector_op(const vector_work& work) const {
    require_positive("vector_work.bytes_per_element", work.bytes_per_element);
    require_non_negative("vector_work.flops_per_element", work.flops_per_element);
    const double n = static_cast<double>(work.elements);
    device_cost cost;
    if (work.elements == 0) return cost;  // nothing to compute: no kernel is launched
    cost.bytes_moved = bytes(2.0 * n * work.bytes_per_element);
    cost.flops_done = flops(n * work.flops_per_element);
    const seconds memory_time = cost.bytes_moved / effective_bandwidth(row_access::contiguous);
    const seconds compute_time =
        cost.flops_done / (config_.peak_fp32 * config_.compute_efficiency);
    cost.time = max(memory_time, compute_time) + config_.kernel_launch_overhead;
    cost.energy = config_.power.dynamic() * cost.time;
    return cost;
  }

  // Dense (m x k) * (k x n) product, e.g. prefill: m prompt tokens times a k x n weight matrix.
  // Each operand is read once and the result written once, the traffic of a tiled GEMM whose
  // tiles reuse operands on chip; 2 m n k FLOPs.
  [[nodiscard]] device_cost matmul(std::size_t m, std::size_t n, std::size_t k,
                                   double bytes_per_element) const {
    if (m == 0 || n == 0 || k == 0)
      throw invalid_parameter("matmul.m/n/k",
                              std::to_string(m) + "/" + std::to_string(n) + "/" +
                                  std::to_string(k),
                              "all dimensions >= 1");
    const double dm = static_cast<double>(m), dn = static_cast<double>(n),
                 dk = static_cast<double>(k);
    const bytes traffic((dm * dk + dk * dn + dm * dn) * bytes_per_element);
    return roofline(traffic, flops(2.0 * dm * dn * dk), bytes_per_element,
                    row_access::contiguous);
  }

 private:
  [[nodiscard]] flop_rate peak_for(double bytes_per_element, std::string_view field) const {
    if (bytes_per_element == 2.0) return config_.peak_fp16_tensor;
    if (bytes_per_element == 4.0) return config_.peak_fp32;
    throw invalid_parameter(field, to_text(bytes_per_element),
                            "2 (FP16/BF16 on tensor cores) or 4 (FP32 on CUDA cores)");
  }

  [[nodiscard]] device_cost roofline(bytes traffic, flops work, double bytes_per_element,
                                     row_access access) const {
    device_cost cost;
    cost.bytes_moved = traffic;
    cost.flops_done = work;
    const seconds memory_time = traffic / effective_bandwidth(access);
    const seconds compute_time = work / effective_peak(bytes_per_element);
    cost.time = max(memory_time, compute_time) + config_.kernel_launch_overhead;
    cost.energy = config_.power.dynamic() * cost.time;
    return cost;
  }

  gpu_config config_;
};

static_assert(compute_device<gpu>, "gpu must model compute_device (gemv, vector_op, name)");
static_assert(memory_device<gpu>, "gpu must model memory_device (capacity, name)");

// ------------------------------------------------------------------------------------------
// Presets. Spec-sheet values are peak figures; the achievable fractions are shared by all
// presets and explained in docs/parameters.md ("devices"):
//  - dense_bandwidth_efficiency 0.90: streaming kernels (STREAM/BabelStream triad, cuBLAS GEMV
//    on large matrices) sustain about 90% of the spec DRAM bandwidth on recent NVIDIA GPUs.
//  - gathered_bandwidth_efficiency 0.90: a sparse-FFN kernel gathers whole neuron rows, each a
//    contiguous run of >= 4 KiB for every evaluated model, i.e. many full DRAM bursts, so the
//    DRAM streams as efficiently as for a dense matrix; the real extra traffic (index list,
//    partial last sector of a row) is charged explicitly by gemv().
//  - compute_efficiency 1.0: roofline peak. Every reproduced figure is bandwidth- or
//    PCIe-bound on the GPU; a user with a measured GEMM efficiency sets it here.
//  - kernel_launch_overhead 0.9 us: NVIDIA's "Getting Started with CUDA Graphs" (A. Gray,
//    2019) measured 3.8 us per launch for a 2.9 us kernel issued back to back in a stream;
//    host-side synchronisation (5.8 us more there) belongs to the PCIe link latency instead.
namespace gpu_presets {
namespace detail {
inline gpu_config with_shared_efficiencies(gpu_config c) {
  using namespace hermes::literals;
  c.kernel_launch_overhead = 0.9_us;
  c.dense_bandwidth_efficiency = 0.90;
  c.gathered_bandwidth_efficiency = 0.90;
  c.compute_efficiency = 1.0;
  return c;
}
}  // namespace detail

// NVIDIA GeForce RTX 4090 (Ada, AD102), from the NVIDIA Ada Lovelace GPU Architecture
// whitepaper v2.1, Appendix A: 24 GB GDDR6X, 384-bit at 21 Gbps = 1008 GB/s, 82.6 TFLOPS FP32,
// 330.3 TFLOPS FP16 tensor (dense, FP16 accumulate; the Hermes paper's Table II figure).
// The Hermes paper lists 936 GB/s (the RTX 3090's figure); we keep the spec sheet, because the
// paper's GPU times are measured on real 4090 kernels, and offer rtx4090_paper() for comparison.
inline gpu_config rtx4090() {
  using namespace hermes::literals;
  return detail::with_shared_efficiencies(
      {.name = "RTX4090", .memory_capacity = 24_GB, .memory_bandwidth = 1008_GBps,
       .peak_fp16_tensor = 330.3_TFLOPS, .peak_fp32 = 82.6_TFLOPS,
       .power = power_presets::rtx4090()});
}
// The RTX 4090 with the bandwidth the Hermes paper states (Sec V-A: 936 GB/s).
inline gpu_config rtx4090_paper() {
  using namespace hermes::literals;
  gpu_config c = rtx4090();
  c.name = "RTX4090-paper";
  c.memory_bandwidth = 936_GBps;
  return c;
}
// NVIDIA GeForce RTX 3090 (Ampere, GA102), NVIDIA Ampere GA102 GPU Architecture whitepaper
// v2.0, Table 9: 24 GB GDDR6X, 384-bit at 19.5 Gbps = 936 GB/s, 35.6 TFLOPS FP32,
// 142 TFLOPS FP16 tensor (dense, FP16 accumulate; Hermes Sec V-A quotes 142).
inline gpu_config rtx3090() {
  using namespace hermes::literals;
  return detail::with_shared_efficiencies(
      {.name = "RTX3090", .memory_capacity = 24_GB, .memory_bandwidth = 936_GBps,
       .peak_fp16_tensor = 142_TFLOPS, .peak_fp32 = 35.6_TFLOPS,
       .power = power_presets::rtx3090()});
}
// NVIDIA Tesla T4 (Turing, TU104), NVIDIA T4 datasheet: 16 GB GDDR6, 320 GB/s, 8.1 TFLOPS FP32,
// 65 TFLOPS FP16 mixed-precision tensor.
inline gpu_config tesla_t4() {
  using namespace hermes::literals;
  return detail::with_shared_efficiencies(
      {.name = "T4", .memory_capacity = 16_GB, .memory_bandwidth = 320_GBps,
       .peak_fp16_tensor = 65_TFLOPS, .peak_fp32 = 8.1_TFLOPS,
       .power = power_presets::tesla_t4()});
}
// NVIDIA A100 40GB SXM4 (Ampere, GA100), NVIDIA A100 datasheet: 40 GB HBM2, 1555 GB/s,
// 19.5 TFLOPS FP32, 312 TFLOPS FP16 tensor (dense). The Hermes TensorRT-LLM baseline uses five.
inline gpu_config a100_40gb() {
  using namespace hermes::literals;
  return detail::with_shared_efficiencies(
      {.name = "A100-40GB", .memory_capacity = 40_GB, .memory_bandwidth = 1555_GBps,
       .peak_fp16_tensor = 312_TFLOPS, .peak_fp32 = 19.5_TFLOPS,
       .power = power_presets::a100_sxm4()});
}
// NVIDIA A100 80GB SXM4, NVIDIA A100 datasheet: 80 GB HBM2e, 2039 GB/s, 19.5 TFLOPS FP32,
// 312 TFLOPS FP16/BF16 tensor (dense). The IANUS comparison GPU (ianus-h2m2 spec: 2039 GB/s).
inline gpu_config a100_80gb() {
  using namespace hermes::literals;
  return detail::with_shared_efficiencies(
      {.name = "A100-80GB", .memory_capacity = 80_GB, .memory_bandwidth = 2039_GBps,
       .peak_fp16_tensor = 312_TFLOPS, .peak_fp32 = 19.5_TFLOPS,
       .power = power_presets::a100_sxm4()});
}

inline std::array<gpu_config, 6> all() {
  return {rtx4090(), rtx4090_paper(), rtx3090(), tesla_t4(), a100_40gb(), a100_80gb()};
}
}  // namespace gpu_presets

// The preset called `name` (case-insensitive); an unknown name throws invalid_parameter listing
// the valid ones.
inline gpu_config find_gpu_preset(std::string_view name) {
  return find_named(gpu_presets::all(), name, "gpu preset");
}

// A GPU computes from its own memory.
template <>
struct device_traits<gpu> {
  static constexpr resource_kind kind = resource_kind::compute;
  static constexpr std::string_view prefix = "gpu";
};

}  // namespace hermes
