#pragma once
// How much host memory a simulation will allocate, estimated before it allocates anything, and
// the check that refuses a run whose estimate exceeds a budget (the machine's memory by default).
//
// What a split-system run (sim/split_engine.hpp) holds, by what drives it; "token" is one
// token's activation masks, one neuron_mask per layer and kind (layers x (attention + ffn) bits,
// plus each mask's own 32-byte object and its heap block):
//   model record    the synthetic model (about 8 B per neuron: two predecessors, a gate bit,
//                   the cluster map), its ground-
//                   truth predecessors (8 B per neuron) and the offline profile
//                   (profile_tokens tokens)
//   input record    the prompt and decoded tokens (input_len + output_len tokens, the union over
//                   the batch); while it is made, one model per sequence (batch models): the
//                   largest term of a big batch (LLaMA2-70B: 25 MB a model, 6 GB at batch 256)
//   engine          copies of the profile and the prompt (profile_tokens + input_len tokens),
//                   the placement problem's frequencies (8 B per neuron, twice with a batch),
//                   the correlation table (top_k x 2 B per neuron), the placement, home masks
//                   and window loads (small); in math mode every weight in FP32
// A recorded trace (workload.trace) is already in memory: only the engine term is added.
// The process's own baseline (code, Kokkos, CBC's working memory for the ILP) is a constant
// (host_memory_baseline). The estimate was checked against peak RSS (/usr/bin/time -v) of
// hermes-sim runs: docs/errors.md, "Host memory".
//
// The budget: HERMES_MEMORY_BUDGET if set (bytes: "8000000000", or with a unit: "8GB", "7.5GiB",
// "512MiB"; kB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of 1024), otherwise the machine's
// physical memory (sysconf(_SC_PHYS_PAGES) x page size), or the process's address-space limit
// or control group's memory limit when smaller, minus a quarter of it, left to the system and
// the other processes.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "hermes/activation/synthetic_source.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/memory_budget.hpp"
#include "hermes/core/layout.hpp"
#include "hermes/core/text.hpp"
#include "hermes/predict/correlation_table.hpp"
#include "hermes/sim/config.hpp"

namespace hermes {

// The terms of an estimate, in bytes.
struct host_memory_estimate {
  double token_bytes = 0.0;      // one token's masks, all layers and kinds
  double model_bytes = 0.0;      // one synthetic model
  double model_record = 0.0;     // the model half, with the profiler while it is made
  double input_record = 0.0;     // the input half, with the batch's sequences while it is made
  double engine = 0.0;           // the run's own copies, tables and placement
  double baseline = 0.0;         // the process itself
  [[nodiscard]] double total() const { return model_record + input_record + engine + baseline; }
};

// The process's memory before a simulation allocates: code, Kokkos, the C++ runtime, and CBC's
// working set for an ILP placement (measured: about 60 MB resident for hermes-sim on a tiny model).
inline constexpr double host_memory_baseline = 96.0 * 1024 * 1024;

namespace detail {
// A heap block's bookkeeping beyond its payload (glibc malloc: 16 B header, 16 B alignment).
[[nodiscard]] inline double heap_block(double payload) { return std::ceil((payload + 8.0) / 16.0) * 16.0; }
[[nodiscard]] inline double mask_bytes(std::size_t neurons) {
  return static_cast<double>(sizeof(neuron_mask)) +
         (neurons == 0 ? 0.0 : heap_block(static_cast<double>((neurons + 63) / 64) * 8.0));
}
}  // namespace detail

// The estimate for one run of workload `w` (any system: the split engine holds the most).
[[nodiscard]] inline host_memory_estimate estimate_host_memory(const workload_config& w) {
  const model_shape& m = w.model;
  const auto layers = static_cast<double>(m.layers);
  const double neurons = layers * (static_cast<double>(m.attention_neurons()) + static_cast<double>(m.ffn_neurons()));
  host_memory_estimate e;
  e.token_bytes = layers * (detail::mask_bytes(m.attention_neurons()) + detail::mask_bytes(m.ffn_neurons()));
  const auto tokens = [&](std::size_t n) { return static_cast<double>(n) * e.token_bytes; };
  // synthetic_source: per neuron two predecessors (4 B each) and its gate bit, per 64 neurons
  // its cluster word (4 B), per cluster (at most one per 2 neurons of a layer) its slot, slot
  // activity and threshold (20 B) and an active bit per layer; no tokens ahead. 8% for
  // allocator slack and the drift's scratch vectors, as measured for the previous generator.
  e.model_bytes = 1.08 * (neurons * (2.0 * 4.0 + 1.0 / 8.0 + 4.0 / 64.0 + 1.0 / 16.0) +
                          20.0 * (static_cast<double>(m.attention_neurons()) + static_cast<double>(m.ffn_neurons())) / 2.0);
  const double predecessors = neurons * 4.0 * static_cast<double>(synthetic_source::predecessors);
  const double batch = static_cast<double>(w.batch);
  if (!w.trace) {
    // The profiler (one model) is gone before the batch's sequences (batch models) are made:
    // the larger of the two transients counts, and it is the batch's.
    e.model_record = e.model_bytes + predecessors + tokens(w.profile_tokens);
    // With a batch, bit_width(batch - 1) firing-count planes per decoded token (stored) and one
    // more counter plane while they are made (sim/activations.hpp).
    const double planes = w.batch > 1 ? static_cast<double>(std::bit_width(w.batch - 1)) : 0.0;
    e.input_record = batch * e.model_bytes + tokens(w.input_len + w.output_len) + planes * tokens(w.output_len) +
                     (2.0 + (planes > 0.0 ? planes + 1.0 : 0.0)) * e.token_bytes;
  }
  // The engine: the profile and prompt copies, the placement problem's frequencies (a second
  // copy with a batch), the correlation table, placement and home masks (2 B home + 1 bit copy +
  // 1 bit per device mask per neuron: bounded by 8 B), the predictor's states (4 bits), window loads.
  const double windows = static_cast<double>((w.output_len + 4) / 5);
  e.engine = tokens(w.profile_tokens + w.input_len) + neurons * 8.0 * (w.batch > 1 ? 2.0 : 1.0) +
             neurons * 2.0 * static_cast<double>(sizeof(correlation_table::index)) +
             neurons * 8.0 + neurons / 2.0 + windows * 2.0 * layers * 64.0 * 8.0;
  // Math mode also holds every weight in FP32 (sim/math_model.hpp). A model beyond its cap is
  // refused by that check, which names workload.mode: not counted here, so that it can say so.
  if (w.mode == execution_mode::math && m.params() * 4.0 <= math_mode_max_weight_bytes) e.engine += m.params() * 4.0;
  e.baseline = host_memory_baseline;
  return e;
}


// Throws resource_limit when the estimate of a run of `w` exceeds `budget`, naming the fields
// that drive it: workload.batch (one synthetic model per sequence), workload.input_len +
// output_len and profile_tokens (activation masks per token), and workload.model (per neuron).
inline void require_host_memory(const workload_config& w, const host_memory_budget& budget) {
  if (!(budget.bytes > 0.0)) return;
  const host_memory_estimate e = estimate_host_memory(w);
  if (e.total() <= budget.bytes) return;
  const auto gb = [](double b) {  // GB, or MB below a gigabyte
    return b >= 1e9 ? gigabytes(bytes(b)) : to_text(std::floor(b / 1e5) / 10.0) + " MB";
  };
  std::string found = "an estimated " + gb(e.total()) + " of host memory for " + w.model.name + " with batch " +
                      std::to_string(w.batch) + ", input_len " + std::to_string(w.input_len) + ", output_len " +
                      std::to_string(w.output_len) + ", profile_tokens " + std::to_string(w.profile_tokens) + " (" +
                      gb(e.token_bytes) + " of activation masks per token";
  if (!w.trace)
    found += ", " + gb(e.model_bytes) + " per synthetic model: batch x model = " +
             gb(static_cast<double>(w.batch) * e.model_bytes);
  found += ")";
  throw resource_limit("workload (batch, input_len, output_len, profile_tokens, model)", found,
                       "at most the budget of " + gb(budget.bytes) + " (" + budget.source +
                           "): lower the batch, the token counts or use a smaller model");
}

// The same against the default budget (HERMES_MEMORY_BUDGET, else the machine's memory).
inline void require_host_memory(const workload_config& w, const hardware_config&) {
  require_host_memory(w, default_host_memory_budget());
}

}  // namespace hermes
