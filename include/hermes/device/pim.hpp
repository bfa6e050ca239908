#pragma once
// GDDR6 memory and GDDR6-AiM-style processing-in-memory (PIM), the memories of the IANUS system
// (Seo et al., ASPLOS 2024) and of its NPU-MEM and partitioned baselines.
//
// gddr6_memory: plain GDDR6 read by DMA. A read of `size` bytes is one contiguous read from
// address 0 timed by the DDR-style DRAM model (device/dram.hpp) with the gddr6_16gbps mapping,
// which spreads it over every channel and bank. The DRAM model has no writes: a DMA write of the
// same size is charged as a read of that size (same bursts, same pins). Dynamic energy only:
// bytes on the pins x 8 x the read energy per bit.
//
// pim_memory: the same DRAM with one processing unit (PU) per bank and one global buffer (GB)
// per channel (AiM: Lee et al., ISSCC 2022; Kwon et al., Hot Chips 34, 2022). A GEMV of a
// rows x cols BF16 weight matrix stored in the IANUS layout (a weight tile is banks x channels
// rows by up to tile_columns columns: matrix row r is one DRAM row of bank r mod (banks x
// channels)) runs as AiM's command sequence, all channels in lock step:
//
//   for each row tile (ceil(rows / (banks x channels)) of them):
//     for each column block (ceil(cols / tile_columns) of them, c columns each):
//       WR_GB   the block's c BF16 inputs into every channel's GB over its own pins: ceil(2c / 32)
//               bursts of tBL (skipped after the first tile when the GEMV has one block: the GB
//               still holds the vector)
//       ACT16   opens the tile's row in all 16 banks of a channel at once
//       MAC16   ceil(2c / 32) commands, one 32-byte burst (16 BF16 weights) per bank each,
//               multiplied by the GB's inputs and accumulated in the bank's MAC register; one
//               every max(tCCD_L, 16 MACs / PU rate); the first tRCDRD after ACT16
//       PRE     after max(tCCD, tRTP) from the last MAC16 and >= tRAS after ACT16; the next
//               ACT16 tRP later
//     RD_MAC    the tile's results (one BF16 per bank) leave every channel in
//               ceil(2 x banks / 32) bursts of tBL
//
// The sequence and its constraints follow the AiM simulator built on Ramulator 2.0
// (github.com/arkhadem/aim_simulator, src/dram/impl/GDDR6.cpp: MAC16 after ACT16 >= nRCDRD,
// MAC16 -> PRE >= nRTP, ACT16 -> PRE >= nRAS, PRE -> ACT16 >= nRP, WRGB / RDMAC16 occupy the
// external bus nBL per burst with no CAS latency for registers (nCLREG = 0), and no four-activate
// window for all-bank activates). tRAS never binds with the IANUS timings (tRCDRD 36 ns > tRAS
// 21 ns). Partial tiles and blocks pay a whole ACT/PRE (a head-dimension-64 GEMV uses 64 of 1024
// columns). Derivation and hand-worked values: docs/parameters.md "IANUS: NPU and PIM".
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/dram.hpp"

namespace hermes {

// Average GDDR6 device energy per bit moved, 7.5 pJ/bit (Micron, "Ultra-Bandwidth Solutions"
// memory comparison table, GDDR6 "Average Device Power (pJ/bit)"). Dynamic only.
inline constexpr double gddr6_read_energy_pj_per_bit = 7.5;

// Upper bounds of the PIM and NPU configurations (keep products and times finite).
namespace pim_limits {
inline constexpr double clock_hz = 1e11;
inline constexpr std::size_t macs_per_cycle = std::size_t{1} << 20;
inline constexpr std::size_t matrix_dim = std::size_t{1} << 32;  // rows, cols, tokens, elements
}  // namespace pim_limits

class gddr6_memory {
 public:
  // Reads up to exact_read_limit bytes are simulated exactly; longer ones extrapolate the
  // steady slope between exact_read_limit / 2 and exact_read_limit (a stream of rows reaches its
  // steady state long before: 8 MiB and 32 MiB reads differ in efficiency by < 0.2%).
  static constexpr std::uint64_t exact_read_limit = std::uint64_t{32} << 20;

  explicit gddr6_memory(dram_config config, double read_energy_pj_per_bit = gddr6_read_energy_pj_per_bit)
      : memo_(std::make_shared<memo>(dram_model(std::move(config)))),
        energy_per_bit_(joules(read_energy_pj_per_bit * 1e-12)) {
    if (!(read_energy_pj_per_bit > 0.0) || !std::isfinite(read_energy_pj_per_bit))
      throw invalid_parameter("gddr6.read_energy_pj_per_bit", to_text(read_energy_pj_per_bit),
                              "a finite energy > 0 pJ per bit");
  }

  [[nodiscard]] std::string_view name() const { return memo_->model.name(); }
  [[nodiscard]] bytes capacity() const { return memo_->model.capacity(); }
  [[nodiscard]] bandwidth pin_bandwidth() const { return memo_->model.pin_bandwidth(); }
  [[nodiscard]] std::size_t channels() const { return memo_->model.config().organization.channels; }
  [[nodiscard]] const dram_model& dram() const { return memo_->model; }
  [[nodiscard]] joules energy_per_bit() const { return energy_per_bit_; }

  // One contiguous DMA read of `size` bytes (rounded up to whole bytes) from address 0; also the
  // cost of a DMA write of that size (the DRAM model has no writes). Memoised per size.
  [[nodiscard]] device_cost read(bytes size) const {
    if (!(size.value() >= 0.0) || !std::isfinite(size.value()))
      throw invalid_parameter("gddr6 read size", to_text(size.value()), "a finite size >= 0 bytes");
    const double cap = capacity().value();
    if (size.value() > cap)
      throw invalid_parameter("gddr6 read size", to_text(size.value()),
                              "at most the " + to_text(cap) + "-byte capacity of " + std::string(name()));
    const auto n = static_cast<std::uint64_t>(std::ceil(size.value()));
    if (n == 0) return device_cost{};
    std::lock_guard lock(memo_->mutex);
    if (const auto it = memo_->table.find(n); it != memo_->table.end()) return it->second;
    device_cost c;
    if (n <= exact_read_limit) {
      c = simulate(n);
    } else {
      c = cost_on_line(cached(exact_read_limit / 2), exact_read_limit / 2, cached(exact_read_limit), exact_read_limit, n);
    }
    return memo_->table.emplace(n, c).first->second;
  }

 private:
  struct memo {
    explicit memo(dram_model m) : model(std::move(m)) {}
    dram_model model;
    std::mutex mutex;
    std::map<std::uint64_t, device_cost> table;
  };

  [[nodiscard]] device_cost simulate(std::uint64_t n) const {
    const dram_request r{0, n};
    device_cost c = memo_->model.read(std::span<const dram_request>(&r, 1));
    c.energy = energy_per_bit_ * (8.0 * c.bytes_moved.value());
    return c;
  }
  // Under the lock.
  [[nodiscard]] device_cost cached(std::uint64_t n) const {
    if (const auto it = memo_->table.find(n); it != memo_->table.end()) return it->second;
    return memo_->table.emplace(n, simulate(n)).first->second;
  }

  std::shared_ptr<memo> memo_;  // copies share the memo (it depends only on the model)
  joules energy_per_bit_{};
};

struct pim_config {
  std::string name = "pim";
  dram_config dram;
  double pu_clock_hz = 1e9;              // AiM: 1 GHz PU per bank
  std::size_t pu_macs_per_cycle = 16;    // 16 BF16 MACs per cycle: 32 GFLOPS per bank
  bytes global_buffer{2048};             // AiM: 2 KB global buffer per channel
  std::size_t tile_columns = 1024;       // IANUS layout: up to 1024 BF16 columns per tile
  double pim_energy_vs_read = 3.0;       // IANUS: PIM compute at 3x the DRAM read power
  double read_energy_pj_per_bit = gddr6_read_energy_pj_per_bit;

  void validate() const {
    if (name.empty()) throw invalid_parameter("pim.name", "\"\"", "a non-empty name");
    dram.validate();
    if (!(pu_clock_hz > 0.0 && pu_clock_hz <= pim_limits::clock_hz))
      throw invalid_parameter("pim.pu_clock_hz", to_text(pu_clock_hz), "a clock in (0, 1e11] Hz");
    require_count("pim.pu_macs_per_cycle", pu_macs_per_cycle);
    require_at_most("pim.pu_macs_per_cycle", pu_macs_per_cycle, pim_limits::macs_per_cycle);
    if (!(global_buffer.value() > 0.0) || !std::isfinite(global_buffer.value()))
      throw invalid_parameter("pim.global_buffer", to_text(global_buffer.value()), "a finite size > 0 bytes");
    require_count("pim.tile_columns", tile_columns);
    const double block_bytes = 2.0 * static_cast<double>(tile_columns);
    if (block_bytes > global_buffer.value())
      throw invalid_parameter("pim.tile_columns", std::to_string(tile_columns),
                              "a block of BF16 inputs that fits the global buffer: at most " +
                                  to_text(std::floor(global_buffer.value() / 2.0)) + " columns");
    if (block_bytes > static_cast<double>(dram.organization.row_bytes))
      throw invalid_parameter("pim.tile_columns", std::to_string(tile_columns),
                              "a block of BF16 weights that fits one DRAM row: at most " +
                                  std::to_string(dram.organization.row_bytes / 2) + " columns");
    if (!(pim_energy_vs_read > 0.0) || !std::isfinite(pim_energy_vs_read))
      throw invalid_parameter("pim.pim_energy_vs_read", to_text(pim_energy_vs_read), "a finite factor > 0");
    if (!(read_energy_pj_per_bit > 0.0) || !std::isfinite(read_energy_pj_per_bit))
      throw invalid_parameter("pim.read_energy_pj_per_bit", to_text(read_energy_pj_per_bit),
                              "a finite energy > 0 pJ per bit");
  }
};

namespace pim_presets {

// GDDR6-AiM as IANUS configures it: 16 Gb/s x16 channels of 16 banks, one 1 GHz 32 GFLOPS PU per
// bank, one 2 KB GB per channel. 8 channels = the 8 GB unified IANUS memory (4096 GB/s internal);
// 4 = the 4 GB PIM half of the partitioned baseline.
[[nodiscard]] inline pim_config aim_gddr6(std::size_t channels = 8) {
  pim_config c;
  c.dram = dram_presets::gddr6_16gbps(channels);
  c.name = "GDDR6-AiM PIM, " + std::to_string(channels) + " channels";
  return c;
}

}  // namespace pim_presets

class pim_memory {
 public:
  explicit pim_memory(pim_config config)
      : config_((config.validate(), std::move(config))),
        memory_(config_.dram, config_.read_energy_pj_per_bit) {}

  [[nodiscard]] std::string_view name() const { return config_.name; }
  [[nodiscard]] const pim_config& config() const { return config_; }
  [[nodiscard]] bytes capacity() const { return memory_.capacity(); }
  [[nodiscard]] const gddr6_memory& memory() const { return memory_; }

  // Banks of the whole memory (channels x banks per channel): rows of one weight tile.
  [[nodiscard]] std::size_t banks() const {
    const auto& o = config_.dram.organization;
    return o.channels * o.ranks_per_channel() * o.banks_per_rank();
  }
  [[nodiscard]] std::size_t banks_per_channel() const {
    const auto& o = config_.dram.organization;
    return o.ranks_per_channel() * o.banks_per_rank();
  }
  // Time between two MAC16 commands: the column-to-column delay, or the PU's time for a burst's
  // BF16 values when it is slower.
  [[nodiscard]] seconds mac_interval() const {
    const auto& t = config_.dram.timing;
    const double ccd = static_cast<double>(t.tCCD_L) * t.tCK.value();
    const double pu = static_cast<double>(burst_bytes() / 2) /
                      (static_cast<double>(config_.pu_macs_per_cycle) * config_.pu_clock_hz);
    return seconds(std::max(ccd, pu));
  }
  // Bytes all PUs read per second: banks x one burst per MAC interval (4096 GB/s for 8 channels).
  [[nodiscard]] bandwidth internal_bandwidth() const {
    return bandwidth(static_cast<double>(banks()) * static_cast<double>(burst_bytes()) / mac_interval().value());
  }

  [[nodiscard]] device_cost read(bytes size) const { return memory_.read(size); }

  // One in-memory GEMV macro of a rows x cols BF16 matrix for `tokens` input vectors, one after
  // another (tokens x the one-vector cost).
  [[nodiscard]] device_cost gemv(std::size_t rows, std::size_t cols, std::size_t tokens) const {
    require_count("pim gemv rows", rows);
    require_count("pim gemv cols", cols);
    require_at_most("pim gemv rows", rows, pim_limits::matrix_dim);
    require_at_most("pim gemv cols", cols, pim_limits::matrix_dim);
    require_at_most("pim gemv tokens", tokens, pim_limits::matrix_dim);
    if (tokens == 0) return device_cost{};
    const auto& t = config_.dram.timing;
    const double tck = t.tCK.value();
    const std::uint64_t tiles = ceil_div(rows, banks());
    const std::uint64_t blocks = ceil_div(cols, config_.tile_columns);
    const std::uint64_t full = config_.tile_columns;
    const std::uint64_t last = cols - (blocks - 1) * full;  // columns of the last block
    const double readout = static_cast<double>(ceil_div(2 * banks_per_channel(), burst_bytes()) * t.tBL) * tck;

    double time = 0.0;
    std::uint64_t mac_bursts = 0, fill_bursts = 0;  // per bank / per channel, one token
    if (blocks == 1) {
      time = fill_time(cols) + static_cast<double>(tiles) * (block_time(cols) + readout);
      fill_bursts = bursts_for(cols);
      mac_bursts = tiles * bursts_for(cols);
    } else {
      const double per_tile = static_cast<double>(blocks - 1) * (fill_time(full) + block_time(full)) +
                              fill_time(last) + block_time(last) + readout;
      time = static_cast<double>(tiles) * per_tile;
      fill_bursts = tiles * ((blocks - 1) * bursts_for(full) + bursts_for(last));
      mac_bursts = tiles * ((blocks - 1) * bursts_for(full) + bursts_for(last));
    }
    const double n = static_cast<double>(tokens);
    const std::uint64_t ch = config_.dram.organization.channels;
    const std::uint64_t readout_bursts = tiles * ceil_div(2 * banks_per_channel(), burst_bytes());
    const double pu_bytes = static_cast<double>(mac_bursts * banks() * burst_bytes());
    const double pin_bytes = static_cast<double>((fill_bursts + readout_bursts) * ch * burst_bytes());
    const double bit = memory_.energy_per_bit().value();

    device_cost c;
    c.time = seconds(time * n);
    c.bytes_moved = bytes((pu_bytes + pin_bytes) * n);
    c.flops_done = flops(2.0 * static_cast<double>(rows) * static_cast<double>(cols) * n);
    c.energy = joules((config_.pim_energy_vs_read * pu_bytes + pin_bytes) * 8.0 * bit * n);
    const std::uint64_t acts = tiles * blocks * banks();
    c.dram.activates = acts * tokens;
    c.dram.precharges = acts * tokens;
    c.dram.row_misses = acts * tokens;
    c.dram.reads = mac_bursts * banks() * tokens;  // row reads of the PUs (RD_MAC reads registers)
    c.dram.row_hits = (mac_bursts * banks() - acts) * tokens;
    c.dram.writes = fill_bursts * ch * tokens;  // WR_GB bursts (to the GB, not a row)
    return c;
  }

  // AiM's activation-function unit (AF16) on GEMV results (GELU fused after FC1): per row tile
  // of `elements` results, ACT16 of the reserved row that holds the function's lookup table
  // (AiM keeps it in DRAM, Lee et al., JSSC 2023), one AF16 command (tRCDRD after the ACT), and
  // PRE (tRTP after it, >= tRAS after the ACT, then tRP). Its results leave the channel instead
  // of the MAC results (RD_AF replaces RD_MAC): no extra readout. Energy: the LUT row's burst per
  // bank at the PIM rate. tokens x the one-vector cost.
  [[nodiscard]] device_cost gemv_activation(std::size_t elements, std::size_t tokens) const {
    require_count("pim gemv_activation elements", elements);
    require_at_most("pim gemv_activation elements", elements, pim_limits::matrix_dim);
    require_at_most("pim gemv_activation tokens", tokens, pim_limits::matrix_dim);
    if (tokens == 0) return device_cost{};
    const auto& t = config_.dram.timing;
    const double tck = t.tCK.value();
    const std::uint64_t tiles = ceil_div(elements, banks());
    const double open = static_cast<double>(t.tRCD) * tck + std::max(mac_interval().value(), t.tRTP * tck);
    const double per_tile = std::max(open, static_cast<double>(t.tRAS) * tck) + static_cast<double>(t.tRP) * tck;
    const double n = static_cast<double>(tokens);
    const double lut_bytes = static_cast<double>(tiles * banks() * burst_bytes());
    device_cost c;
    c.time = seconds(static_cast<double>(tiles) * per_tile * n);
    c.bytes_moved = bytes(lut_bytes * n);
    c.flops_done = flops(static_cast<double>(elements) * n);  // one lookup-table operation each
    c.energy = joules(config_.pim_energy_vs_read * lut_bytes * 8.0 * memory_.energy_per_bit().value() * n);
    c.dram.activates = tiles * banks() * tokens;
    c.dram.precharges = tiles * banks() * tokens;
    c.dram.row_misses = tiles * banks() * tokens;
    c.dram.reads = tiles * banks() * tokens;
    return c;
  }

  // The parts of one GEMV, exposed for tests and docs: the GB fill of a c-column block and the
  // ACT16 + MAC16s + PRE of one (row tile, block).
  [[nodiscard]] double fill_time(std::uint64_t c) const {
    const auto& t = config_.dram.timing;
    return static_cast<double>(bursts_for(c) * t.tBL) * t.tCK.value();
  }
  [[nodiscard]] double block_time(std::uint64_t c) const {
    const auto& t = config_.dram.timing;
    const double tck = t.tCK.value();
    const double iv = mac_interval().value();
    const double to_pre = static_cast<double>(t.tRCD) * tck +
                          static_cast<double>(bursts_for(c) - 1) * iv +
                          std::max(iv, static_cast<double>(t.tRTP) * tck);
    return std::max(to_pre, static_cast<double>(t.tRAS) * tck) + static_cast<double>(t.tRP) * tck;
  }

 private:
  [[nodiscard]] std::uint64_t burst_bytes() const { return config_.dram.organization.burst_bytes(); }
  // Bursts of c BF16 values.
  [[nodiscard]] std::uint64_t bursts_for(std::uint64_t c) const { return ceil_div(2 * c, burst_bytes()); }
  static std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

  pim_config config_;
  gddr6_memory memory_;
};

}  // namespace hermes
