#pragma once
// The timing ledger: where every modelled device writes what it did.
//
// A resource (a GPU, one NDP-DIMM, the PCIe link, one DIMM-link, the host CPU) executes the work
// charged to it one piece after another: a charge starts when both its inputs are ready and the
// resource is free, and the resource is busy until the charge ends. Besides time, the ledger
// keeps the traffic and work counters that explain that time (bytes, FLOPs, DRAM commands,
// energy), per resource and per stage ("gpu_compute", "dimm_compute", "pcie", ...).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

// DRAM command and row-buffer counters reported by a DRAM timing model.
struct dram_counters {
  std::uint64_t activates = 0;
  std::uint64_t precharges = 0;
  std::uint64_t reads = 0;  // column read bursts
  std::uint64_t writes = 0;  // column write bursts
  std::uint64_t row_hits = 0;
  std::uint64_t row_misses = 0;  // closed bank: activate needed
  std::uint64_t row_conflicts = 0;  // other row open: precharge + activate needed
  std::uint64_t refreshes = 0;

  dram_counters& operator+=(const dram_counters& o) {
    activates += o.activates; precharges += o.precharges; reads += o.reads; writes += o.writes;
    row_hits += o.row_hits; row_misses += o.row_misses; row_conflicts += o.row_conflicts;
    refreshes += o.refreshes;
    return *this;
  }
  friend bool operator==(const dram_counters&, const dram_counters&) = default;
};

// What a device reports for one piece of work: how long it takes and what it moved or computed.
struct device_cost {
  seconds time{};
  bytes bytes_moved{};
  flops flops_done{};
  dram_counters dram{};
  joules energy{};

  device_cost& operator+=(const device_cost& o) {
    time += o.time; bytes_moved += o.bytes_moved; flops_done += o.flops_done; dram += o.dram;
    energy += o.energy;
    return *this;
  }
};

// What kind of hardware a ledger resource is; results are read from the ledger by kind
// (sim/result.hpp), so no report needs to know which system it came from.
enum class resource_kind {
  compute,      // an accelerator with its own memory (GPU, NPU)
  memory,       // a memory without compute
  link,         // an interconnect (PCIe, DIMM-link, NVLink)
  host,         // the host CPU
  near_memory,  // compute beside the memory it reads (an NDP-DIMM's core, PIM)
};

[[nodiscard]] constexpr std::string_view to_string(resource_kind k) {
  switch (k) {
    case resource_kind::compute: return "compute";
    case resource_kind::memory: return "memory";
    case resource_kind::link: return "link";
    case resource_kind::host: return "host";
    case resource_kind::near_memory: return "near_memory";
  }
  return "unknown";
}

struct busy_interval {
  seconds start{};
  seconds end{};
  std::string stage;
};

struct resource_record {
  std::string name;
  resource_kind kind = resource_kind::compute;
  seconds free_at{};   // when the last charged piece of work ends
  seconds busy{};      // total busy time (sum of charged durations)
  bytes bytes_moved{};
  flops flops_done{};
  dram_counters dram{};
  joules energy{};      // dynamic energy of the charged work (device_cost::energy summed)
  watts static_power{}; // drawn over the whole run whether busy or not (idle / background power)
  std::uint64_t charges = 0;
  std::vector<std::pair<std::string, seconds>> busy_by_stage;  // few stages: a flat list
  std::vector<busy_interval> intervals;                         // only when kept

  [[nodiscard]] seconds stage_busy(std::string_view stage) const {
    for (const auto& [s, t] : busy_by_stage)
      if (s == stage) return t;
    return seconds{};
  }
};

// Sees every charge as the ledger books it (sim/invariants.hpp checks the engine's charges with
// one). `previous_free_at` is when the resource was free before this charge.
class charge_observer {
 public:
  virtual ~charge_observer() = default;
  virtual void on_charge(std::size_t resource, const resource_record& record, seconds ready,
                         seconds previous_free_at, seconds start, seconds end, const device_cost& cost,
                         std::string_view stage) = 0;
};

class ledger {
 public:
  using resource_id = std::size_t;

  // Registers a resource; names are unique.
  resource_id add_resource(std::string name, resource_kind kind) {
    for (const auto& r : resources_)
      if (r.name == name) throw error("ledger: a resource named '" + name + "' already exists");
    resources_.push_back(resource_record{});
    resources_.back().name = std::move(name);
    resources_.back().kind = kind;
    return resources_.size() - 1;
  }

  [[nodiscard]] bool has(std::string_view name) const {
    return std::any_of(resources_.begin(), resources_.end(),
                       [&](const resource_record& r) { return r.name == name; });
  }

  [[nodiscard]] resource_id id(std::string_view name) const {
    for (std::size_t i = 0; i < resources_.size(); ++i)
      if (resources_[i].name == name) return i;
    std::string known;
    for (const auto& r : resources_) known += (known.empty() ? "" : ", ") + r.name;
    throw error("ledger: no resource named '" + std::string(name) + "' (known: " + known + ")");
  }

  // Charges `cost` to resource r for work whose inputs are ready at `ready`. The work starts when
  // the resource is also free; returns the time it ends.
  seconds charge(resource_id r, seconds ready, const device_cost& cost, std::string_view stage) {
    auto& rec = at(r);
    if (cost.time < seconds{})
      throw error("ledger: negative duration charged to '" + rec.name + "'");
    const seconds previous = rec.free_at;
    const seconds start = max(ready, rec.free_at);
    const seconds end = start + cost.time;
    rec.free_at = end;
    rec.busy += cost.time;
    rec.bytes_moved += cost.bytes_moved;
    rec.flops_done += cost.flops_done;
    rec.dram += cost.dram;
    rec.energy += cost.energy;
    ++rec.charges;
    add_stage(rec, stage, cost.time);
    if (keep_intervals_) rec.intervals.push_back(busy_interval{start, end, std::string(stage)});
    if (observer_) observer_->on_charge(r, rec, ready, previous, start, end, cost, stage);
    return end;
  }

  // Convenience: a charge of pure duration.
  seconds charge(resource_id r, seconds ready, seconds duration, std::string_view stage) {
    device_cost c;
    c.time = duration;
    return charge(r, ready, c, stage);
  }

  // The power resource r draws over the whole run, busy or idle (a device's idle or background
  // power; the energy of its work is charged with the work). Read by read_energy (sim/result.hpp).
  void set_static_power(resource_id r, watts p) {
    auto& rec = at(r);
    if (!(p.value() >= 0.0) || !std::isfinite(p.value()))
      throw error("ledger: static power of '" + rec.name + "' must be finite and >= 0 W, got " +
                  std::to_string(p.value()));
    rec.static_power = p;
  }

  [[nodiscard]] seconds free_at(resource_id r) const { return at(r).free_at; }
  [[nodiscard]] const resource_record& resource(resource_id r) const { return at(r); }
  [[nodiscard]] const std::vector<resource_record>& resources() const { return resources_; }
  [[nodiscard]] std::size_t size() const { return resources_.size(); }

  // The latest end time over all resources: the makespan of everything charged so far.
  [[nodiscard]] seconds makespan() const {
    seconds m{};
    for (const auto& r : resources_) m = max(m, r.free_at);
    return m;
  }

  // Busy time of one stage summed over all resources.
  [[nodiscard]] seconds stage_busy(std::string_view stage) const {
    seconds t{};
    for (const auto& r : resources_) t += r.stage_busy(stage);
    return t;
  }

  void keep_intervals(bool on) { keep_intervals_ = on; }
  // Every later charge is also shown to `o` (nullptr: none). The observer must outlive its use.
  void observe(charge_observer* o) { observer_ = o; }

  // Clears all times and counters, keeping the registered resources.
  void reset() {
    for (auto& r : resources_) {
      const auto name = std::move(r.name);
      const auto kind = r.kind;
      const auto power = r.static_power;
      r = resource_record{};
      r.name = name;
      r.kind = kind;
      r.static_power = power;
    }
  }

 private:
  resource_record& at(resource_id r) {
    if (r >= resources_.size()) throw error("ledger: resource id out of range");
    return resources_[r];
  }
  const resource_record& at(resource_id r) const {
    if (r >= resources_.size()) throw error("ledger: resource id out of range");
    return resources_[r];
  }
  static void add_stage(resource_record& rec, std::string_view stage, seconds t) {
    for (auto& [s, total] : rec.busy_by_stage)
      if (s == stage) { total += t; return; }
    rec.busy_by_stage.emplace_back(std::string(stage), t);
  }

  std::vector<resource_record> resources_;
  bool keep_intervals_ = false;
  charge_observer* observer_ = nullptr;
};

}  // namespace hermes
