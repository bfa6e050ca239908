#pragma once
// One simulated system: a name, a line for `hermes-sim --list`, and the function that runs it.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hermes/sim/config.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/hermes_family.hpp"

namespace hermes {

struct system_entry {
  std::string name;
  std::string description;
  std::function<sim_result(const workload_config&, const hardware_config&)> run;
  // The systems `hermes-sim --system NAME` runs beside this one by default (empty: the Hermes
  // paper's main comparison).
  std::vector<std::string> baselines = {};
  // Whether a run builds per-token activation records, whose host memory run_system checks
  // against the budget first (sim/host_memory.hpp); kernel-level systems hold only a few buffers.
  bool needs_activation_records = true;
};

// The entry of a split system (a split_system value): it runs on the cold devices the hardware
// describes for its cold device kind.
template <class System>
[[nodiscard]] system_entry split_entry(System s, std::string description) {
  std::string name = s.name;
  return {std::move(name), std::move(description),
          [s = std::move(s)](const workload_config& w, const hardware_config& h) { return run_split(s, w, h); }};
}

}  // namespace hermes
