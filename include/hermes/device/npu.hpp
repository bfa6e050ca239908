#pragma once
// The NPU of IANUS (Seo et al., ASPLOS 2024): `cores` cores, each with a matrix unit (MU, a
// weight-stationary systolic array of mu_rows x mu_cols processing elements of macs_per_pe MACs),
// a vector unit (VU, vu_processors VLIW processors of vu_width lanes), an activation and a weight
// scratch-pad, and pim_controllers memory controllers to its GDDR6(-AiM) memory.
//
// MU cost of a matmul (tokens input vectors x a rows x cols weight matrix already on chip):
//   * the cores split the output rows: each takes ceil(rows / cores);
//   * a PE holds macs_per_pe weights of consecutive outputs, so the array holds a PE tile of
//     mu_rows inputs x (mu_cols x macs_per_pe) outputs; a core's share is
//     ceil(cols / mu_rows) x ceil(rows_per_core / (mu_cols x macs_per_pe)) PE tiles;
//   * a PE tile streams its `tokens` vectors one per cycle; the next tile's weights shift into
//     the PEs' second weight registers meanwhile, one array row per cycle, so a tile takes
//     max(tokens, mu_rows) cycles;
//   * the systolic pipeline fills and drains once per call (per weight tile the engine brings on
//     chip): mu_rows + mu_cols cycles.
//   cycles = tiles x max(tokens, mu_rows) + mu_rows + mu_cols.
// VU cost: elements x flops_per_element operations on cores x vu_processors x vu_width lanes,
// one operation per lane per cycle (the cores split the elements like the MU's rows).
// The spec gives no NPU energy; costs carry time, bytes and FLOPs only (energy 0).
// Sources and assumptions: docs/parameters.md "IANUS: NPU and PIM".
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/lookup.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

namespace npu_limits {
inline constexpr std::size_t cores = 1024;
inline constexpr std::size_t array_dim = 65536;  // mu_rows, mu_cols, macs_per_pe, vu sizes
inline constexpr std::size_t pim_controllers = 64;
inline constexpr double clock_hz = 1e11;
inline constexpr std::size_t matrix_dim = std::size_t{1} << 32;  // tokens, rows, cols, elements
}  // namespace npu_limits

struct npu_config {
  std::string name = "npu";
  std::size_t cores = 4;
  double clock_hz = 700e6;
  std::size_t mu_rows = 128, mu_cols = 64, macs_per_pe = 4;
  std::size_t vu_processors = 16, vu_width = 4;
  bytes activation_spm{12.0 * 1048576.0}, weight_spm{4.0 * 1048576.0};  // per core
  std::size_t pim_controllers = 8;

  void validate() const {
    if (name.empty()) throw invalid_parameter("npu.name", "\"\"", "a non-empty name");
    const auto count = [](std::string_view field, std::size_t v, std::size_t max) {
      require_count(field, v);
      require_at_most(field, v, max);
    };
    count("npu.cores", cores, npu_limits::cores);
    if (!(clock_hz > 0.0 && clock_hz <= npu_limits::clock_hz))
      throw invalid_parameter("npu.clock_hz", to_text(clock_hz), "a clock in (0, 1e11] Hz");
    count("npu.mu_rows", mu_rows, npu_limits::array_dim);
    count("npu.mu_cols", mu_cols, npu_limits::array_dim);
    count("npu.macs_per_pe", macs_per_pe, npu_limits::array_dim);
    count("npu.vu_processors", vu_processors, npu_limits::array_dim);
    count("npu.vu_width", vu_width, npu_limits::array_dim);
    const auto size = [](std::string_view field, bytes b) {
      if (!(b.value() > 0.0) || !std::isfinite(b.value()))
        throw invalid_parameter(field, to_text(b.value()), "a finite size > 0 bytes");
    };
    size("npu.activation_spm", activation_spm);
    size("npu.weight_spm", weight_spm);
    count("npu.pim_controllers", pim_controllers, npu_limits::pim_controllers);
  }
};

namespace npu_presets {

// IANUS's NPU (spec: 4 cores, 700 MHz, 8 PIM memory controllers; MU 128 x 64 PEs of 4 MACs,
// 46 TFLOPS per core; VU sixteen 4-wide VLIW processors; 12 MB activation + 4 MB weight
// scratch-pad per core).
[[nodiscard]] inline npu_config ianus() {
  npu_config c;
  c.name = "IANUS-NPU";
  return c;
}

// The presets a configuration file may name.
[[nodiscard]] inline std::array<npu_config, 1> all() { return {ianus()}; }

}  // namespace npu_presets

// The preset called `name` (case-insensitive); an unknown name throws invalid_parameter listing
// the valid ones.
[[nodiscard]] inline npu_config find_npu_preset(std::string_view name) {
  return find_named(npu_presets::all(), name, "NPU preset");
}

class npu {
 public:
  explicit npu(npu_config config) : config_((config.validate(), std::move(config))) {}

  [[nodiscard]] std::string_view name() const { return config_.name; }
  [[nodiscard]] const npu_config& config() const { return config_; }

  // MU peak of all cores: cores x mu_rows x mu_cols x macs_per_pe x 2 FLOP x clock.
  [[nodiscard]] flop_rate mu_peak() const {
    return flop_rate(static_cast<double>(config_.cores) * static_cast<double>(config_.mu_rows) *
                     static_cast<double>(config_.mu_cols) * static_cast<double>(config_.macs_per_pe) *
                     2.0 * config_.clock_hz);
  }
  // VU operations per second of all cores: cores x vu_processors x vu_width x clock.
  [[nodiscard]] double vu_ops_per_second() const {
    return static_cast<double>(config_.cores) * static_cast<double>(config_.vu_processors) *
           static_cast<double>(config_.vu_width) * config_.clock_hz;
  }
  // Weights one DMA tile brings on chip for all cores: half of each core's weight scratch-pad
  // (the other half holds the tile the MU is working on) x cores.
  [[nodiscard]] bytes weight_tile_bytes() const {
    return config_.weight_spm * (0.5 * static_cast<double>(config_.cores));
  }

  // MU time of tokens x (rows x cols weights), weights on chip (see the header comment).
  [[nodiscard]] device_cost matmul(std::size_t tokens, std::size_t rows, std::size_t cols) const {
    require_at_most("npu matmul tokens", tokens, npu_limits::matrix_dim);
    require_count("npu matmul rows", rows);
    require_count("npu matmul cols", cols);
    require_at_most("npu matmul rows", rows, npu_limits::matrix_dim);
    require_at_most("npu matmul cols", cols, npu_limits::matrix_dim);
    if (tokens == 0) return device_cost{};
    const std::uint64_t rows_per_core = ceil_div(rows, config_.cores);
    const std::uint64_t tiles = ceil_div(cols, config_.mu_rows) *
                                ceil_div(rows_per_core, config_.mu_cols * config_.macs_per_pe);
    const double cycles = static_cast<double>(tiles) *
                              static_cast<double>(std::max<std::uint64_t>(tokens, config_.mu_rows)) +
                          static_cast<double>(config_.mu_rows + config_.mu_cols);
    device_cost c;
    c.time = seconds(cycles / config_.clock_hz);
    c.flops_done = flops(2.0 * static_cast<double>(tokens) * static_cast<double>(rows) *
                         static_cast<double>(cols));
    return c;
  }

  // VU time of `elements` elements of flops_per_element operations each.
  [[nodiscard]] device_cost vector_op(std::size_t elements, double flops_per_element) const {
    require_at_most("npu vector_op elements", elements, npu_limits::matrix_dim);
    if (!(flops_per_element > 0.0) || !std::isfinite(flops_per_element))
      throw invalid_parameter("npu vector_op flops_per_element", to_text(flops_per_element),
                              "a finite number of operations > 0");
    if (elements == 0) return device_cost{};
    const double ops = static_cast<double>(elements) * flops_per_element;
    device_cost c;
    c.time = seconds(ops / vu_ops_per_second());
    c.flops_done = flops(ops);
    return c;
  }

 private:
  static std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

  npu_config config_;
};

}  // namespace hermes
