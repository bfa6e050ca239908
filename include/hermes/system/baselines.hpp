#pragma once
// The baseline systems of the Hermes evaluation (Sec V-A), each a composition of the same device
// policies on the same ledger as Hermes (docs/systems.md):
//   Accelerate    HuggingFace Accelerate, synchronous pageable CPU offload   (system/accelerate.hpp)
//   FlexGen       overlapped block schedule, pinned offload, CPU attention   (system/flexgen.hpp)
//   DejaVu        predicted neurons of offloaded layers gathered over PCIe   (system/dejavu.hpp)
//   TensorRT-LLM  dense tensor parallelism on 5 x A100-40GB over NVLink      (system/tensorrt_llm.hpp)
// Hermes-host and Hermes-base are split systems (system/hermes_family.hpp).
#include <vector>

#include "hermes/sim/config.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/accelerate.hpp"
#include "hermes/system/dejavu.hpp"
#include "hermes/system/flexgen.hpp"
#include "hermes/system/system_entry.hpp"
#include "hermes/system/tensorrt_llm.hpp"

namespace hermes {

// The registry entries of the baselines, in the order reports list them.
[[nodiscard]] inline std::vector<system_entry> baseline_entries() {
  return {
      {"Accelerate", "HuggingFace Accelerate: layers that do not fit copied from pageable host memory before each use",
       [](const workload_config& w, const hardware_config& h) { return run_accelerate(w, h); }},
      {"FlexGen", "FlexGen: pinned weight offload overlapped with compute, KV cache placement searched",
       [](const workload_config& w, const hardware_config& h) { return run_flexgen(w, h); }},
      {"DejaVu", "Deja Vu (OPT only): GPU predictors, predicted neurons of offloaded layers copied over PCIe",
       [](const workload_config& w, const hardware_config& h) { return run_dejavu(w, h); }},
      {"TensorRT-LLM", "TensorRT-LLM: dense tensor parallelism on 5 x A100-40GB (or hardware.gpus x hardware.gpu)",
       [](const workload_config& w, const hardware_config& h) { return run_tensorrt_llm(w, h); }},
  };
}

}  // namespace hermes
