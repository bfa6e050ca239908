#pragma once
// The offline placement problem of Hermes (Sec IV-B, Eq 1-7) and the exact cost of a placement.
//
// Reading of the paper used here: a "layer" of Eq 1-7 is one sparse split stage, i.e. the QKV
// generation of a transformer layer or its MLP. Each is split between the GPU (hot neurons) and
// the NDP-DIMMs (cold neurons) and ends with a synchronisation: after QKV the DIMMs run attention,
// after the MLP they merge the output, so each stage takes max(GPU time, slowest DIMM time) on its
// own and pays its own 2 x T_sync (input to the GPU, partial result back). A transformer layer
// therefore contributes two placement layers (attention, then FFN).
//
// Memory (Sec IV-A, IV-C.1): every neuron stays stored on exactly one home DIMM; the GPU holds
// copies of the hot ones. So a DIMM's capacity counts every neuron homed there, the GPU's
// capacity counts the copies, and a neuron with a GPU copy does not load its home DIMM.
// Device numbering follows layer_placement: 0 = GPU, 1..D = DIMMs.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

#include "hermes/activation/trace.hpp"
#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/core/placement.hpp"
#include "hermes/core/model_shape.hpp"

namespace hermes {

// One split stage: the neurons of one layer kind of one transformer layer.
struct placement_layer {
  std::string name;                  // for messages and reports, e.g. "layer 3 ffn"
  std::vector<double> frequency;     // f_i: activations of neuron i per token (profiled)
  bytes neuron_bytes{};              // weights of one neuron (its chunk), all neurons alike
  seconds gpu_time_per_activation{};   // t_l^GPU: GPU time per activated neuron
  seconds dimm_time_per_activation{};  // t_l^DIMM: one NDP-DIMM's time per activated neuron

  [[nodiscard]] std::size_t neurons() const { return frequency.size(); }
  [[nodiscard]] double total_frequency() const {
    return std::accumulate(frequency.begin(), frequency.end(), 0.0);
  }
};

struct placement_problem {
  std::vector<placement_layer> layers;
  seconds sync_time{};      // T_sync: one GPU <-> DIMM exchange of a split stage
  bytes gpu_capacity{};     // GPU memory available for neuron copies (after dense weights etc.)
  bytes dimm_capacity{};    // memory of each DIMM available for neuron weights
  std::size_t dimms = 0;    // number of NDP-DIMMs (all alike)

  [[nodiscard]] std::size_t devices() const { return dimms + 1; }
  [[nodiscard]] std::size_t total_neurons() const {
    std::size_t n = 0;
    for (const auto& l : layers) n += l.neurons();
    return n;
  }
  [[nodiscard]] bytes total_neuron_bytes() const {
    bytes b{};
    for (const auto& l : layers) b += l.neuron_bytes * static_cast<double>(l.neurons());
    return b;
  }

  // Rejects malformed input, naming the field, and throws capacity_exceeded when the neurons
  // cannot be stored at all (they must all fit the DIMMs, each DIMM holding whole neurons).
  void validate() const {
    if (dimms == 0) throw invalid_parameter("placement_problem.dimms", "0", "at least 1 DIMM");
    if (dimms > 65534)
      throw invalid_parameter("placement_problem.dimms", std::to_string(dimms), "at most 65534");
    require_non_negative("placement_problem.sync_time", sync_time.value());
    require_non_negative("placement_problem.gpu_capacity", gpu_capacity.value());
    require_positive("placement_problem.dimm_capacity", dimm_capacity.value());
    if (layers.empty()) throw invalid_parameter("placement_problem.layers", "empty", "at least one layer");
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const auto& L = layers[l];
      const std::string at = "placement_problem.layers[" + std::to_string(l) + "]";
      if (L.frequency.empty()) throw invalid_parameter(at + ".frequency", "empty", "one entry per neuron");
      require_positive(at + ".neuron_bytes", L.neuron_bytes.value());
      require_positive(at + ".gpu_time_per_activation", L.gpu_time_per_activation.value());
      require_positive(at + ".dimm_time_per_activation", L.dimm_time_per_activation.value());
      for (std::size_t i = 0; i < L.frequency.size(); ++i)
        if (!(L.frequency[i] >= 0.0) || !std::isfinite(L.frequency[i]))
          throw invalid_parameter(at + ".frequency[" + std::to_string(i) + "]",
                                  to_text(L.frequency[i]), "a finite value >= 0");
    }
    // Every neuron needs a home DIMM: a necessary condition. The mappers place whole neurons and
    // report the rare instance that passes it but still cannot be packed.
    const bytes total = total_neuron_bytes();
    if (total > dimm_capacity * static_cast<double>(dimms))
      throw capacity_exceeded("placement: the neurons need " + to_text(total.value() / 1e9) +
                              " GB but " + std::to_string(dimms) + " DIMMs hold only " +
                              to_text(dimm_capacity.value() * static_cast<double>(dimms) / 1e9) +
                              " GB; every neuron must have a home DIMM");
  }
};

// The cost of a placement under Eq 1-7, evaluated exactly (no grouping, no relaxation).
struct placement_cost {
  std::vector<seconds> gpu_time;                // per layer, including 2 x T_sync
  std::vector<std::vector<seconds>> dimm_time;  // [layer][dimm]
  std::vector<seconds> layer_time;              // max(GPU, slowest DIMM)
  seconds total{};                              // the objective: sum of layer times
  bytes gpu_bytes{};                            // bytes of GPU copies
  std::vector<bytes> dimm_bytes;                // bytes homed on each DIMM
};

// Checks the structural invariants (one home DIMM per neuron, copies only on the GPU) and
// evaluates the objective and the memory use. Throws if a placement does not match the problem.
[[nodiscard]] inline placement_cost evaluate(const placement_problem& p,
                                             const std::vector<layer_placement>& placement) {
  if (placement.size() != p.layers.size())
    throw invalid_parameter("placement.size()", std::to_string(placement.size()),
                            std::to_string(p.layers.size()) + " layer placements");
  placement_cost c;
  c.dimm_bytes.assign(p.dimms, bytes{});
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    const auto& L = p.layers[l];
    const auto& P = placement[l];
    if (P.neurons() != L.neurons() || P.cached.size() != L.neurons())
      throw invalid_parameter("placement[" + std::to_string(l) + "].neurons",
                              std::to_string(P.neurons()), std::to_string(L.neurons()));
    if (P.fast_device != hot_device)
      throw invalid_parameter("placement[" + std::to_string(l) + "].fast_device",
                              std::to_string(P.fast_device), "0 (the GPU)");
    double gpu_f = 0.0;
    std::vector<double> dimm_f(p.dimms, 0.0);
    for (std::size_t i = 0; i < L.neurons(); ++i) {
      const device_index h = P.home[i];
      if (h < 1 || h > p.dimms)
        throw invalid_parameter("placement[" + std::to_string(l) + "].home[" + std::to_string(i) + "]",
                                std::to_string(h), "a DIMM 1.." + std::to_string(p.dimms));
      c.dimm_bytes[h - 1] += L.neuron_bytes;
      if (P.cached.test(i)) {
        gpu_f += L.frequency[i];
        c.gpu_bytes += L.neuron_bytes;
      } else {
        dimm_f[h - 1] += L.frequency[i];
      }
    }
    const seconds g = L.gpu_time_per_activation * gpu_f + 2.0 * p.sync_time;
    std::vector<seconds> d(p.dimms);
    seconds slowest{};
    for (std::size_t j = 0; j < p.dimms; ++j) {
      d[j] = L.dimm_time_per_activation * dimm_f[j];
      slowest = max(slowest, d[j]);
    }
    c.gpu_time.push_back(g);
    c.dimm_time.push_back(std::move(d));
    c.layer_time.push_back(max(g, slowest));
    c.total += c.layer_time.back();
  }
  return c;
}

// True when the placement respects the GPU capacity and every DIMM's capacity.
[[nodiscard]] inline bool fits(const placement_problem& p, const placement_cost& c) {
  // A relative tolerance of 1e-12 absorbs the rounding of summing byte counts as doubles.
  const double slack = 1e-12;
  if (c.gpu_bytes.value() > p.gpu_capacity.value() * (1 + slack)) return false;
  for (const auto& b : c.dimm_bytes)
    if (b.value() > p.dimm_capacity.value() * (1 + slack)) return false;
  return true;
}

// Steady-state time per activated neuron on a compute device: the cost of a GEMV over
// `reference_chunks` neuron chunks divided by their number, so fixed per-call overheads (kernel
// launch, command latency) are amortised as they are in a full layer. The reference size is a
// whole layer's worth of neurons, which is what a split stage issues.
// `sequences_per_activation`: how many of the batch's sequences an activated neuron is
// multiplied with on average (gemv_work::products); 0 = all `batch`.
template <compute_device Device>
[[nodiscard]] seconds per_activation_time(const Device& device, std::size_t rows_per_chunk,
                                          std::size_t cols, std::size_t reference_chunks,
                                          double bytes_per_element = 2.0, std::size_t batch = 1,
                                          double sequences_per_activation = 0.0) {
  require_positive("per_activation_time.reference_chunks", reference_chunks);
  if (!(sequences_per_activation == 0.0 ||
        (sequences_per_activation >= 1.0 && sequences_per_activation <= static_cast<double>(batch))))
    throw invalid_parameter("per_activation_time.sequences_per_activation", to_text(sequences_per_activation),
                            "0 (every sequence) or between 1 and the batch " + std::to_string(batch));
  gemv_work w;
  w.chunks = reference_chunks;
  w.rows_per_chunk = rows_per_chunk;
  w.cols = cols;
  w.batch = batch;
  w.bytes_per_element = bytes_per_element;
  if (sequences_per_activation > 0.0)
    w.products = std::clamp<std::size_t>(
        static_cast<std::size_t>(std::llround(sequences_per_activation * static_cast<double>(reference_chunks))),
        reference_chunks, reference_chunks * batch);
  return device.gemv(w).time / static_cast<double>(reference_chunks);
}

// Per layer kind, the device-dependent inputs of the placement problem.
struct placement_stage_times {
  seconds attention_gpu{}, attention_dimm{};
  seconds ffn_gpu{}, ffn_dimm{};
};

// Builds the problem for a model from per-(layer, kind) frequencies, e.g. a prefill or profiling
// trace: placement layer 2l is the QKV stage of transformer layer l, 2l + 1 its MLP.
[[nodiscard]] inline placement_problem make_placement_problem(
    const model_shape& m, const activation_trace& profile, std::size_t begin_token,
    std::size_t end_token, const placement_stage_times& t, seconds sync_time, bytes gpu_capacity,
    bytes dimm_capacity, std::size_t dimms) {
  if (!(profile.layout() == trace_layout::of(m)))
    throw invalid_parameter("make_placement_problem.profile", "a trace of another shape",
                            "a trace laid out for model '" + m.name + "'");
  if (end_token <= begin_token)
    throw invalid_parameter("make_placement_problem.token range",
                            "[" + std::to_string(begin_token) + ", " + std::to_string(end_token) + ")",
                            "a non-empty range");
  placement_problem p;
  p.sync_time = sync_time;
  p.gpu_capacity = gpu_capacity;
  p.dimm_capacity = dimm_capacity;
  p.dimms = dimms;
  for (std::size_t l = 0; l < m.layers; ++l) {
    placement_layer a;
    a.name = "layer " + std::to_string(l) + " attention";
    a.frequency = profile.frequency(l, layer_kind::attention, begin_token, end_token);
    a.neuron_bytes = bytes(static_cast<double>(m.attention_neuron_elements()) * m.bytes_per_param);
    a.gpu_time_per_activation = t.attention_gpu;
    a.dimm_time_per_activation = t.attention_dimm;
    p.layers.push_back(std::move(a));
    placement_layer f;
    f.name = "layer " + std::to_string(l) + " ffn";
    f.frequency = profile.frequency(l, layer_kind::ffn, begin_token, end_token);
    f.neuron_bytes = bytes(static_cast<double>(m.ffn_neuron_elements()) * m.bytes_per_param);
    f.gpu_time_per_activation = t.ffn_gpu;
    f.dimm_time_per_activation = t.ffn_dimm;
    p.layers.push_back(std::move(f));
  }
  return p;
}

}  // namespace hermes
