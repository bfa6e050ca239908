#pragma once
// One NDP-DIMM of Hermes (Sec IV-A, Table II): a DDR4 DIMM whose buffer chip holds an NDP core
// (GEMV unit, activation unit, buffer) that reads the DIMM's own ranks in parallel.
//
// Cost model of a sparse GEMV: the weights of the active chunks (neurons) stream from the DRAM
// (the dram_model of the DIMM times the actual addresses); the input vectors sit in the NDP
// buffer; the GEMV unit consumes weights as they arrive, so DRAM time and compute time overlap
// and the slower one decides, plus one pipeline fill per column tile of the input. A batch
// multiplies every weight by `batch` vectors: compute grows, DRAM traffic does not.
//
// Exact and fast paths: a call with chunk addresses is simulated exactly on its addresses when
// it has at most exact_simulation_max_chunks chunks or its chunks are smaller than
// fast_path_min_chunk_bytes; other calls, and calls without addresses (packed chunks), use the
// memoised packed-stream estimate of chunk_read_estimator (see dram.hpp). For chunks of
// 16-48 KiB at random positions the estimate is at most 5% faster than the exact simulation
// (it assumes consecutive chunks share rows; scattered ones add some row conflicts), which
// tests/device/test_ndp_dimm.cpp checks.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/checked.hpp"
#include "hermes/core/concepts.hpp"
#include "hermes/core/device_traits.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/dram.hpp"
#include "hermes/device/dram_energy.hpp"
#include "hermes/device/energy.hpp"
#include "hermes/device/roofline.hpp"

namespace hermes {

// The GEMV unit: `multipliers` bit-serial multipliers, each working on values_per_multiplier
// FP16 weights at once and taking cycles_per_multiply cycles per product (one operand bit per
// cycle). MACs per cycle = multipliers x values_per_multiplier / cycles_per_multiply.
// Hermes Table II gives 256 multipliers x 8 FP16 values, "bit-serial"; the cycles per product
// are ours (16: one per bit of the 16-bit operand). Derivation and alternatives:
// docs/parameters.md "DRAM and NDP-DIMM".
struct ndp_gemv_unit {
  std::size_t multipliers = 256;          // Table II; swept by the simulator
  std::size_t values_per_multiplier = 8;  // Table II
  std::size_t cycles_per_multiply = 16;   // bit-serial over a 16-bit operand

  [[nodiscard]] double macs_per_cycle() const {
    return static_cast<double>(multipliers * values_per_multiplier) /
           static_cast<double>(cycles_per_multiply);
  }
};

// The activation unit (Table II): 256 FP16 exp, 256 adders, 256 multipliers, plus comparator,
// adder trees and a divider. Each unit does one operation per cycle; an element's operations
// pass through them one after another, so the unit retires `lanes` element-operations a cycle.
struct ndp_activation_unit {
  std::size_t exp_units = 256;
  std::size_t add_units = 256;
  std::size_t mul_units = 256;
  [[nodiscard]] std::size_t lanes() const { return std::min({exp_units, add_units, mul_units}); }
};

// Upper bounds of an NDP core's configuration, checked by ndp_dimm_config::validate(): they
// keep multipliers x values_per_multiplier and the modelled times finite (2^61 multipliers
// used to wrap the MAC rate to 0 and report a decode time of inf). Hermes Table II: 256 x 8
// multipliers at 1 GHz, 256 activation lanes.
namespace ndp_limits {
inline constexpr std::size_t multipliers = std::size_t{1} << 20;  // 1,048,576 (--multipliers)
inline constexpr std::size_t values_per_multiplier = 1024;
inline constexpr std::size_t cycles_per_multiply = 1024;
inline constexpr std::size_t activation_units = std::size_t{1} << 20;
inline constexpr std::size_t pipeline_fill_cycles = 1'000'000;
inline constexpr double clock_hz = 1e11;  // 100 GHz
}  // namespace ndp_limits

struct ndp_dimm_config {
  std::string name = "ndp-dimm";
  dram_config dram;
  bytes capacity{};                 // what the mappers may place on this DIMM
  frequency clock{};                // NDP core clock
  ndp_gemv_unit gemv;
  ndp_activation_unit activation;
  bytes buffer{};                   // holds the input vectors of a GEMV
  std::size_t pipeline_fill_cycles = 0;  // multiply + adder tree depth before the first result
  // Calls with addresses and at most this many chunks are simulated exactly; others use the
  // memoised estimate (a few microseconds per call matter: ~1300 calls per LLaMA2-70B token).
  std::size_t exact_simulation_max_chunks = 32;
  // Chunks smaller than this are always simulated exactly: the packed estimate assumes chunks
  // share rows, which scattered small chunks do not (1 KiB chunks at random row stripes run
  // 20-35% slower than packed ones), and small chunks are cheap to simulate. 16 KiB is below
  // every neuron of the evaluated models (the smallest: OPT-13B FFN, 2 x 5120 x 2 B = 20 KiB).
  std::size_t fast_path_min_chunk_bytes = 16384;
  // Energy (device/dram_energy.hpp, device/energy.hpp): the DRAM chips' IDD currents and the
  // core's per-operation energies. A GEMV charges its DRAM commands and MACs; the DRAM's
  // background and refresh and the core's static power are the DIMM's static power.
  dram_power_config dram_power = dram_power_presets::micron_8gb_x8_ddr4_3200();
  ndp_core_energy core_energy = ndp_energy_presets::horowitz_45nm_fp16();

  void validate() const {
    dram.validate();
    dram_power.validate();
    core_energy.validate();
    if (!(clock.value() > 0.0 && clock.value() <= ndp_limits::clock_hz))
      throw invalid_parameter("ndp_dimm.clock", to_text(clock.value()), "a clock in (0, 1e11] Hz");
    require_count("ndp_dimm.gemv.multipliers", gemv.multipliers);
    require_count("ndp_dimm.gemv.values_per_multiplier", gemv.values_per_multiplier);
    require_count("ndp_dimm.gemv.cycles_per_multiply", gemv.cycles_per_multiply);
    require_at_most("ndp_dimm.gemv.multipliers", gemv.multipliers, ndp_limits::multipliers);
    require_at_most("ndp_dimm.gemv.values_per_multiplier", gemv.values_per_multiplier,
                    ndp_limits::values_per_multiplier);
    require_at_most("ndp_dimm.gemv.cycles_per_multiply", gemv.cycles_per_multiply,
                    ndp_limits::cycles_per_multiply);
    require_count("ndp_dimm.activation.exp_units", activation.exp_units);
    require_count("ndp_dimm.activation.add_units", activation.add_units);
    require_count("ndp_dimm.activation.mul_units", activation.mul_units);
    require_at_most("ndp_dimm.activation.exp_units", activation.exp_units, ndp_limits::activation_units);
    require_at_most("ndp_dimm.activation.add_units", activation.add_units, ndp_limits::activation_units);
    require_at_most("ndp_dimm.activation.mul_units", activation.mul_units, ndp_limits::activation_units);
    require_at_most("ndp_dimm.pipeline_fill_cycles", pipeline_fill_cycles, ndp_limits::pipeline_fill_cycles);
    if (!(buffer.value() > 0.0 && std::isfinite(buffer.value())))
      throw invalid_parameter("ndp_dimm.buffer", to_text(buffer.value()), "a finite size > 0 bytes");
    const bytes dram_capacity = dram.organization.capacity();
    if (!(capacity > bytes{}) || capacity > dram_capacity)
      throw invalid_parameter("ndp_dimm.capacity", to_text(capacity),
                              "a size > 0 and at most the DRAM's " +
                                  to_text(dram_capacity));
  }
};

namespace ndp_dimm_presets {

// Hermes Table II: DDR4-3200 32 GB DIMM, 1 GHz NDP core, 256 x 8 FP16 bit-serial GEMV unit,
// 256 KB buffer, 256 exp / add / mul activation units.
[[nodiscard]] inline ndp_dimm_config hermes_table2() {
  ndp_dimm_config c;
  c.name = "NDP-DIMM (Hermes Table II)";
  c.dram = dram_presets::ddr4_3200_hermes();
  c.capacity = c.dram.organization.capacity();  // "32 GB": DRAM sizes are binary, 32 GiB
  c.clock = frequency(1e9);                     // Sec IV-A: 1 GHz
  c.buffer = bytes(256.0 * 1024);               // Table II: 256 KB
  // 16 bit-serial cycles + log2(256 x 8) = 11 adder-tree levels, one cycle each.
  c.pipeline_fill_cycles = 16 + 11;
  return c;
}

}  // namespace ndp_dimm_presets

class ndp_dimm {
 public:
  explicit ndp_dimm(ndp_dimm_config config)
      : config_((config.validate(), std::move(config))), reads_(dram_model(config_.dram)),
        energy_(config_.dram_power, config_.dram) {
    // Streaming bandwidth of this DIMM, for vector work: 1 MiB read sequentially.
    const std::vector<dram_request> stream = {{0, 1u << 20}};
    const auto c = reads_.model().read(stream);
    stream_bandwidth_ = c.bytes_moved / c.time;
  }

  [[nodiscard]] std::string_view name() const { return config_.name; }
  [[nodiscard]] bytes capacity() const { return config_.capacity; }
  [[nodiscard]] const ndp_dimm_config& config() const { return config_; }
  [[nodiscard]] const dram_model& dram() const { return reads_.model(); }
  [[nodiscard]] bandwidth stream_bandwidth() const { return stream_bandwidth_; }
  [[nodiscard]] const dram_energy& energy_model() const { return energy_; }
  // Drawn over the whole run: DRAM background + refresh, and the core's static power.
  [[nodiscard]] watts static_power() const {
    return energy_.background_power() + config_.core_energy.static_power;
  }
  [[nodiscard]] flop_rate gemv_peak() const {
    return flop_rate(2.0 * config_.gemv.macs_per_cycle() * config_.clock.value());
  }

  // The exact path where it is cheap, the memoised estimate elsewhere (see the header comment).
  [[nodiscard]] device_cost gemv(const gemv_work& w) const {
    check(w);
    const bool exact = !w.chunk_addresses.empty() &&
                       (w.chunks <= config_.exact_simulation_max_chunks ||
                        w.chunk_bytes() < static_cast<double>(config_.fast_path_min_chunk_bytes));
    return combine(w, exact ? exact_reads(w) : estimated_reads(w));
  }
  // Always simulates the DRAM reads of the given (or packed) addresses.
  [[nodiscard]] device_cost gemv_exact(const gemv_work& w) const {
    check(w);
    return combine(w, exact_reads(w));
  }
  // Always uses the memoised estimate.
  [[nodiscard]] device_cost gemv_estimated(const gemv_work& w) const {
    check(w);
    return combine(w, estimated_reads(w));
  }

  [[nodiscard]] seconds gemv_compute_time(const gemv_work& w) const {
    return w.flop_count() / gemv_peak();
  }

  // Element-wise work on the activation unit; operands stream from and to the DIMM's DRAM at
  // its streaming bandwidth (writes are costed like reads: the DRAM model has no writes).
  [[nodiscard]] device_cost vector_op(const vector_work& v) const {
    require_non_negative("vector_work.flops_per_element", v.flops_per_element);
    require_non_negative("vector_work.bytes_per_element", v.bytes_per_element);
    device_cost c;
    if (v.elements == 0) return c;
    const double ops = static_cast<double>(v.elements) * v.flops_per_element;
    c.flops_done = flops(ops);
    c.bytes_moved = bytes(static_cast<double>(v.elements) * v.bytes_per_element);
    const seconds compute(ops / (static_cast<double>(config_.activation.lanes()) *
                                 config_.clock.value()));
    c.time = max(compute, c.bytes_moved / stream_bandwidth_) + fill_time();
    // The activation unit's operations, and the operands' bursts read (writes costed as reads,
    // like the time; no activates: the operands stream from open rows).
    const double bursts =
        std::ceil(c.bytes_moved.value() / static_cast<double>(config_.dram.organization.burst_bytes()));
    c.energy = config_.core_energy.per_vector_op * ops + energy_.read_burst() * bursts;
    return c;
  }

  // Steady-state time one more chunk (neuron) adds to a long GEMV: what the offline ILP uses as
  // t_l^DIMM per activated neuron.
  [[nodiscard]] seconds time_per_chunk(bytes chunk_bytes, std::size_t batch = 1,
                                       double bytes_per_element = 2.0) const {
    require_positive("chunk bytes", chunk_bytes.value());
    require_count("gemv_work.batch", batch);
    require_positive("gemv_work.bytes_per_element", bytes_per_element);
    const auto whole = static_cast<std::uint64_t>(std::ceil(chunk_bytes.value()));
    const seconds memory = reads_.steady_time_per_chunk(whole);
    const flops work(2.0 * chunk_bytes.value() / bytes_per_element * static_cast<double>(batch));
    return max(memory, work / gemv_peak());
  }

 private:
  [[nodiscard]] seconds fill_time() const {
    return seconds(static_cast<double>(config_.pipeline_fill_cycles) / config_.clock.value());
  }

  void check(const gemv_work& w) const {
    validate_gemv_work(w);
    require_count("gemv_work.rows_per_chunk", w.rows_per_chunk);
    require_count("gemv_work.cols", w.cols);
    require_count("gemv_work.batch", w.batch);
    require_positive("gemv_work.bytes_per_element", w.bytes_per_element);
    if (!w.chunk_addresses.empty() && w.chunk_addresses.size() != w.chunks)
      throw invalid_parameter("gemv_work.chunk_addresses",
                              std::to_string(w.chunk_addresses.size()) + " addresses",
                              "none, or one per chunk (" + std::to_string(w.chunks) + ")");
  }

  [[nodiscard]] std::uint64_t chunk_bytes(const gemv_work& w) const {
    return static_cast<std::uint64_t>(std::ceil(w.chunk_bytes()));
  }

  [[nodiscard]] device_cost exact_reads(const gemv_work& w) const {
    const auto size = chunk_bytes(w);
    std::vector<dram_request> requests(w.chunks);
    for (std::size_t i = 0; i < w.chunks; ++i)
      requests[i] = {w.chunk_addresses.empty() ? i * size : w.chunk_addresses[i], size};
    return reads_.model().read(requests);
  }

  [[nodiscard]] device_cost estimated_reads(const gemv_work& w) const {
    const auto size = chunk_bytes(w);
    if (w.chunk_addresses.empty()) return reads_.packed(size, w.chunks);
    const auto cap = static_cast<std::uint64_t>(capacity().value());
    const auto last = *std::max_element(w.chunk_addresses.begin(), w.chunk_addresses.end());
    if (last >= cap || size > cap - last)
      throw invalid_parameter("gemv_work.chunk_addresses", std::to_string(last),
                              "chunks inside the " + std::to_string(cap) + "-byte " +
                                  config_.name);
    return reads_.packed(size, w.chunks);
  }

  // DRAM streaming overlapped with the GEMV unit; one pipeline fill per column tile of inputs.
  [[nodiscard]] device_cost combine(const gemv_work& w, device_cost reads) const {
    if (w.chunks == 0) return device_cost{};
    const double input_bytes =
        static_cast<double>(w.cols * w.batch) * w.bytes_per_element;
    const double tiles = std::ceil(input_bytes / config_.buffer.value());
    reads.flops_done = w.flop_count();
    reads.time = max(reads.time, gemv_compute_time(w)) + fill_time() * tiles;
    // Energy: the DRAM commands of the reads, and one MAC per weight per input vector.
    reads.energy = energy_.commands(reads.dram) + config_.core_energy.per_mac * (w.flop_count().value() / 2.0);
    return reads;
  }

  ndp_dimm_config config_;
  chunk_read_estimator reads_;
  dram_energy energy_;
  bandwidth stream_bandwidth_{};
};

static_assert(compute_device<ndp_dimm>, "ndp_dimm must model hermes::compute_device");
static_assert(memory_device<ndp_dimm>, "ndp_dimm must model hermes::memory_device");

// An NDP-DIMM's core computes beside its DRAM.
template <>
struct device_traits<ndp_dimm> {
  static constexpr resource_kind kind = resource_kind::near_memory;
  static constexpr std::string_view prefix = "dimm";
};

}  // namespace hermes
