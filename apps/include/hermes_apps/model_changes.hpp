#pragma once
// The history of the reproduction report's model (issue #11): each change to how the simulator
// measures or models the system, with its source, and the report's row values recorded by
// `hermes-sim reproduce` at the commits between those changes. The report's section "What changed
// in the model" is generated from this data and the current run, so a reader sees each row before
// and after every change.
//
// Recorded values are measurements, copied from the reproduction report generated at the named
// commit (docs/reproduction.md in git history); they are never inputs of a simulation.
#include <map>
#include <string>
#include <vector>

namespace hermes::repro {

// One change to the model or to what is measured.
struct model_change {
  std::string stage;   // the recorded stage it first appears in (a label of recorded_stages())
  std::string what;    // the change
  std::string source;  // the paper's text, a datasheet, a standard or a published measurement
};

// A recorded report: each row id's value, in the row's unit, as generated at `commit`.
struct recorded_stage {
  std::string label;
  std::string commit;
  std::string note;  // what the stage's values mean when a definition changed later
  std::map<std::string, double> values;
};

// The recorded stages, oldest first. The current run is the last column of the report's table.
[[nodiscard]] inline const std::vector<recorded_stage>& recorded_stages() {
  static const std::vector<recorded_stage> stages{
      {"before",
       "f7cccb7",
       "decode-only throughput; FlexGen mean over all six models; one predictor accuracy; old workload and device model",
       {{"llama2-70b-tokens", 41.41},
        {"opt-66b-tokens", 34.22},
        {"speedup-flexgen-mean", 21.53},
        {"speedup-dejavu-mean", 13.09},
        {"speedup-accelerate-opt-b1", 77.42},
        {"speedup-flexgen-opt-b1", 37.79},
        {"ablation-partition", 1.475},
        {"ablation-adjustment", 1.0},
        {"ablation-remapping", 1.0},
        {"ablation-token-only", 0.764},
        {"ablation-layer-only", 1.0},
        {"predictor-accuracy", 92.52},
        {"state-table", 236.0},
        {"similarity-adjacent", 92.04},
        {"similarity-far", 69.72},
        {"dimm-most-loaded", 1.092},
        {"dimm-variance-remapped", 4.541}}},
      {"metric",
       "9cdf6d0",
       "",
       {{"llama2-70b-tokens", 25.19},
        {"opt-66b-tokens", 22.89},
        {"speedup-flexgen-mean", 13.63},
        {"speedup-dejavu-mean", 10.38},
        {"speedup-accelerate-opt-b1", 52.43},
        {"speedup-flexgen-opt-b1", 25.57},
        {"ablation-partition", 1.475},
        {"ablation-adjustment", 1.0},
        {"ablation-remapping", 1.0},
        {"ablation-token-only", 0.764},
        {"ablation-layer-only", 1.0},
        {"predictor-accuracy", 92.52},
        {"predictor-accuracy-ffn", 96.62},
        {"predictor-accuracy-attention", 78.18},
        {"state-table", 236.0},
        {"dimm-variance-remapped", 4.541},
        {"similarity-adjacent", 92.04},
        {"similarity-far", 69.72},
        {"dimm-most-loaded", 1.092}}},
      {"physics",
       "0ceed0d",
       "",
       {{"llama2-70b-tokens", 15.8},
        {"opt-66b-tokens", 15.15},
        {"speedup-flexgen-mean", 31.12},
        {"speedup-dejavu-mean", 15.19},
        {"speedup-accelerate-opt-b1", 89.1},
        {"speedup-flexgen-opt-b1", 45.23},
        {"ablation-partition", 1.467},
        {"ablation-adjustment", 1.0},
        {"ablation-remapping", 1.0},
        {"ablation-token-only", 0.768},
        {"ablation-layer-only", 1.0},
        {"predictor-accuracy", 92.52},
        {"predictor-accuracy-ffn", 96.62},
        {"predictor-accuracy-attention", 78.18},
        {"state-table", 236.0},
        {"dimm-variance-remapped", 4.541},
        {"similarity-adjacent", 92.04},
        {"similarity-far", 69.72},
        {"dimm-most-loaded", 1.092}}},
  };
  return stages;
}

// Every change since the "before" stage, in the order they were made.
[[nodiscard]] inline const std::vector<model_change>& model_changes() {
  static const std::vector<model_change> changes{
      {"metric",
       "Throughput rows and every speedup use end-to-end tokens/s (generated tokens / (prefill + decode)); decode-only "
       "throughput stays as a second field (`decode_tokens_per_second`, renamed from `tokens_per_second`) and column. "
       "FlexGen picks its KV-cache home by end-to-end throughput too.",
       "Sec V-A4: \"the number above each bar ... indicates the end-to-end generation speed\"; Sec V-D: token generation "
       "66.40% and prompting 33.01% of Hermes' time"},
      {"metric",
       "The FlexGen and Deja Vu speedup means average over the OPT models only (batch 1..16); each row says what it "
       "averages.",
       "Sec V-A2: FlexGen and Deja Vu are \"restricted to OPT models\""},
      {"metric",
       "Predictor accuracy is reported for FFN and attention (QKV input) neurons separately as well as together, with "
       "the QKV-input density the generator assumes (the paper gives none).",
       "Sec IV-C.1 (98% accuracy, one figure for the whole predictor)"},
      {"metric",
       "Token-wise similarity and the DIMM skew of a fixed mapping become calibration checks in their own table: the "
       "generator is calibrated to them, so they are not reproduced results. A ratio that rounds to 1.00x is NO EFFECT, "
       "never a PASS.",
       "issue #11"},
      {"physics",
       "Batches: a neuron that fires for some sequences of a batch has its weights read once and its multiply-"
       "accumulates charged only for the sequences that fire it, on the NDP-DIMMs and on the GPU (before: every neuron "
       "of the batch's union was multiplied for every sequence, which made the NDP cores compute-bound at batch 16).",
       "Sec V-B2: Hermes \"is not constrained by the computation capability of NDP-DIMMs due to the presence of "
       "activation sparsity\"; tests/layer/test_batch_charging.cpp"},
      {"physics",
       "PCIe is full duplex, 31.5 GB/s per direction (16 GT/s x 16 lanes x 128b/130b); a DMA from pinned host memory "
       "reaches 23.9 GB/s and one from pageable memory 12.88 GB/s; FlexGen, Deja Vu and Hermes use pinned memory, "
       "Accelerate pageable. The paper's 64 GB/s (both directions together) is the preset PCIe4-paper.",
       "PCI Express Base Specification 4.0; measured RTX 4090 copies (NVlabs/cuda-oxide PR #976); FlexLLMGen "
       "pytorch_backend.py (pinned, --pin-weight), accelerate hooks.py (non_blocking=False from the CPU state dict); "
       "docs/parameters.md \"devices\""},
      {"physics",
       "gathered_bandwidth_efficiency is applied to every sparse GEMV (gathered rows, sector rounding, index bytes) on "
       "the GPU and the host CPU; at the defaults it equals the dense efficiency, so it moves no number.",
       "docs/parameters.md (whole-row gathers read whole DRAM bursts)"},
      {"physics",
       "The LM head (final norm + vocab x hidden GEMV) is charged on the GPU once per forward pass for every system.",
       "the models' config.json (vocab_size, hidden_size); sim/lm_head.hpp"},
      {"physics",
       "RTX 4090 memory bandwidth stays at the datasheet's 1008 GB/s (21 Gbps x 384 bit); the paper's 936 GB/s is the "
       "preset RTX4090-paper.",
       "NVIDIA Ada GPU architecture whitepaper (RTX 4090: 21 Gbps GDDR6X, 384-bit)"},
      {"physics",
       "The DRAM model charges the rank-to-rank turnaround on a shared data bus (tRTRS = 2 nCK) and the command bus "
       "(one command per clock). The NDP-DIMMs have a bus per rank, so no reported number moves; a rank-interleaved "
       "host channel now reads no faster than a cycle-level simulator.",
       "JESD79-4 timing rules; Ramulator 2.0 DDR4 (nRTRS = 2); tests/device/test_dram.cpp"},
      {"workload",
       "The synthetic activations are clusters of neurons (16 each) chained across consecutive layers: a neuron fires "
       "when its cluster is active and its own gate is open, and its two ground-truth predecessors are members of the "
       "same cluster in the previous layer, so a correlated predecessor's firing is followed with probability 0.92. "
       "Cluster activity follows the 20/80 power law, persists from token to token (solved for > 90% adjacent-token "
       "similarity and about 70% beyond 10 tokens within a context) and turns over (every cluster swaps rank with a "
       "random other one; latent 25% over 128 tokens, measured like the paper 52%). No frozen always-on block: 0.06% of "
       "FFN neurons fire on every token (was 6.7%, and 24.5% of attention neurons). Calibrated to these workload "
       "statistics only, never to a performance result; before, the layer coupling was calibrated on stories260K.",
       "Sec III-A (20% of neurons carry 80% of activations), Sec III-B and Fig 4a (token-wise similarity), Fig 4b "
       "(> 90% next-layer co-firing), Sec III-B / IV-C (about 52% of initial hot neurons vary); "
       "docs/activation-statistics.md shows each target beside the generator and the real stories260K traces"},
      {"workload",
       "One FFN sparsity (90%) for every model and 50% for the QKV input: no per-model density is published for the "
       "checkpoints the paper runs (ReluLLaMA, ReluFalcon, OPT); ProSparse's 89% figures are for its own ReLU LLaMA2.",
       "ProSparse (arXiv 2402.13516: 89.3% / 88.8% for ReLU LLaMA2-7B / 13B), ReLU Strikes Back (arXiv 2310.04564: OPT "
       "above 90%), TEAL (arXiv 2408.14690: 50% QKV input); docs/parameters.md \"FFN sparsity\""},
  };
  return changes;
}

}  // namespace hermes::repro
