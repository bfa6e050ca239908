#pragma once
// One simulated system: a name, a line for `hermes-sim --list`, and the function that runs it.
#include <functional>
#include <string>

#include "hermes/sim/config.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/hermes_family.hpp"

namespace hermes {

struct system_entry {
  std::string name;
  std::string description;
  std::function<sim_result(const workload_config&, const hardware_config&)> run;
};

namespace detail {
inline system_entry split_entry(split_system_options o, std::string description) {
  std::string name = o.name;
  return {std::move(name), std::move(description),
          [o](const workload_config& w, const hardware_config& h) { return run_split(o, w, h); }};
}
}  // namespace detail

}  // namespace hermes
