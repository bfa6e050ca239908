#pragma once
// What a simulation runs on (hardware_config) and what it runs (workload_config). Plain values:
// built from presets in code, or read from a JSON file (io/config_json.hpp), validated before
// any simulation starts so that a bad value is reported by name instead of simulated.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hermes/activation/synthetic_source.hpp"
#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/host_cpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/device/memory_node.hpp"
#include "hermes/device/ndp_dimm.hpp"
#include "hermes/device/npu.hpp"
#include "hermes/device/pim.hpp"
#include "hermes/model/presets.hpp"
#include "hermes/core/model_shape.hpp"

namespace hermes {

struct hardware_config {
  gpu_config gpu = gpu_presets::rtx4090();         // Hermes Sec V-A: one RTX 4090
  std::size_t gpus = 1;                            // > 1 only for tensor-parallel baselines
  std::size_t dimms = 8;                           // Hermes Sec V-A: 8 NDP-DIMMs
  ndp_dimm_config dimm = ndp_dimm_presets::hermes_table2();
  link_config pcie = link_presets::pcie4_x16();    // GPU <-> DIMMs / host: PCIe 4.0 x16
  link_config dimm_link = link_presets::dimm_link();
  link_config gpu_link = link_presets::nvlink3();  // GPU <-> GPU, tensor-parallel baselines
  host_cpu_config host = host_cpu_presets::i9_13900k();
  // GPU memory not available to weights: the CUDA context, cuBLAS workspace and activation
  // buffers. 1.5 GB: a CUDA 12 context with cuBLAS takes about 0.5-1 GB on Ada/Ampere (measured
  // by nvidia-smi on an idle process), plus decode activations and the KV staging buffer.
  bytes gpu_reserved = bytes(1.5e9);
  // Kernel-level systems (docs/systems.md). IANUS: its NPU, its PIM memory (the unified 8 GB; the
  // partitioned system uses half the channels of each memory) and the plain GDDR6 of NPU-MEM.
  npu_config npu = npu_presets::ianus();
  pim_config pim = pim_presets::aim_gddr6();
  dram_config npu_dram = dram_presets::gddr6_16gbps();
  // H2M2: the bandwidth-centric and capacity-centric memory nodes and the link between them (the
  // homogeneous LPDDR system is one node with the capacity node's memory and both nodes' compute).
  memory_node_config bandwidth_node = memory_node_presets::bandwidth_node();
  memory_node_config capacity_node = memory_node_presets::capacity_node();
  memory_node_config homogeneous_node = memory_node_presets::lpddr_only_node();
  link_config node_link = link_presets::nvlink_c2c();

  void validate() const {
    gpu.validate();
    if (gpus == 0) throw invalid_parameter("hardware.gpus", "0", "at least 1 GPU");
    if (gpus > 64) throw invalid_parameter("hardware.gpus", std::to_string(gpus), "at most 64");
    if (dimms > 64) throw invalid_parameter("hardware.dimms", std::to_string(dimms), "at most 64");
    dimm.validate();
    pcie.validate();
    dimm_link.validate();
    gpu_link.validate();
    host.validate();
    require_non_negative("hardware.gpu_reserved", gpu_reserved.value());
    npu.validate();
    pim.validate();
    npu_dram.validate();
    bandwidth_node.validate();
    capacity_node.validate();
    homogeneous_node.validate();
    node_link.validate();
    if (gpu_reserved >= gpu.memory_capacity)
      throw invalid_parameter("hardware.gpu_reserved", to_text(gpu_reserved.value()),
                              "less than the GPU memory (" +
                                  to_text(gpu.memory_capacity.value()) + " B)");
  }
};

// Upper bounds of a workload's counts, checked by workload_config::validate(): with them every
// token count the engine adds or multiplies (batch x (input_len + output_len), profile_tokens +
// input_len + output_len) stays far below 2^64. Whether a run of that size fits the host's
// memory is checked separately before anything is allocated (sim/host_memory.hpp).
namespace workload_limits {
inline constexpr std::size_t batch = 256;
inline constexpr std::size_t tokens = std::size_t{1} << 20;  // input_len, output_len, profile_tokens each
}  // namespace workload_limits

// Timing-only: no weights, the device policies account the time (any model size). Math: the
// layers also compute with Kokkos on seeded random weights (models that fit in memory); the
// modelled time is the same for the same activations.
enum class execution_mode { timing_only, math };

// Math mode holds every weight in FP32; models beyond 4 GB of them are refused by name
// (sim/math_model.hpp, workload.mode), which keeps it to models a test or a laptop can hold.
inline constexpr double math_mode_max_weight_bytes = 4e9;

struct workload_config {
  model_shape model = model_presets::llama2_70b();
  std::size_t batch = 1;          // sequences decoded together (Hermes Sec V-A: 1..16)
  std::size_t input_len = 128;    // prompt tokens (Sec V-A: 128)
  std::size_t output_len = 128;   // generated tokens (Sec V-A: 128)
  // Synthetic activations (sim/activations.hpp). `seed` draws the input: the prompt and decoded
  // tokens of every sequence. `model_seed` draws the model instance (which neurons are hot, how
  // layers correlate) and its offline profiling input; runs that differ only in their input
  // share the model's offline profile and placement, as a deployed model does.
  std::uint64_t seed = 1;
  std::uint64_t model_seed = 1;
  // Tokens of the offline profiling run whose frequencies feed the ILP placement (the paper
  // profiles offline on a calibration input, Sec IV-B); a different input than the prompt.
  std::size_t profile_tokens = 128;
  synthetic_config activations{};  // the calibrated synthetic generator's targets
  execution_mode mode = execution_mode::timing_only;
  // A recorded trace to replay instead of the synthetic generator (hermes-sim --trace; see
  // sim/activations.hpp for which tokens are the profile, the prompt and the decode).
  std::shared_ptr<const activation_trace> trace;

  void validate() const {
    if (model.layers == 0 || model.hidden == 0 || model.ffn == 0 || model.heads == 0)
      throw invalid_parameter("workload.model", model.name.empty() ? "(unnamed)" : model.name,
                              "a model with layers, hidden, ffn and heads > 0");
    model.validate("workload.model");
    if (batch == 0) throw invalid_parameter("workload.batch", "0", "1..256 sequences");
    if (batch > workload_limits::batch)
      throw invalid_parameter("workload.batch", std::to_string(batch), "1..256 sequences");
    if (input_len == 0) throw invalid_parameter("workload.input_len", "0", "at least 1 token");
    if (output_len == 0) throw invalid_parameter("workload.output_len", "0", "at least 1 token");
    require_at_most("workload.input_len", input_len, workload_limits::tokens);
    require_at_most("workload.output_len", output_len, workload_limits::tokens);
    require_at_most("workload.profile_tokens", profile_tokens, workload_limits::tokens);
    if (model.max_context > 0 && input_len + output_len > model.max_context)
      throw invalid_parameter("workload.input_len + output_len",
                              std::to_string(input_len + output_len),
                              "at most the context of " + model.name + " (" +
                                  std::to_string(model.max_context) + " tokens)");
    if (profile_tokens == 0)
      throw invalid_parameter("workload.profile_tokens", "0", "at least 1 token");
    if (activations.seed != synthetic_config{}.seed)
      throw invalid_parameter("workload.activations.seed", std::to_string(activations.seed),
                              "its default " + std::to_string(synthetic_config{}.seed) +
                                  ": the engine seeds the generator from workload.model_seed and workload.seed");
  }
};

}  // namespace hermes
