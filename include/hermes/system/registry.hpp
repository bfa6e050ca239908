#pragma once
// Every system the simulator knows, by name: what `hermes-sim --system NAME` accepts.
//
// A system is a function (workload, hardware) -> sim_result. The Hermes family shares the split
// engine (sim/split_engine.hpp); the baselines are their own compositions of the same device
// policies (system/baselines.hpp). Adding a system is adding one entry here.
#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/baselines.hpp"
#include "hermes/system/hermes_family.hpp"
#include "hermes/system/system_entry.hpp"

namespace hermes {

namespace detail {
inline std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace detail

// All systems, in the order reports list them.
inline const std::vector<system_entry>& all_systems() {
  static const std::vector<system_entry> systems = [] {
    std::vector<system_entry> s;
    s.push_back(detail::split_entry(hermes_systems::hermes(),
        "GPU + NDP-DIMMs: ILP placement, token+layer predictor, hot/cold adjustment, DIMM remapping"));
    s.push_back(detail::split_entry(hermes_systems::random_placement(),
        "ablation: random offline placement, no online scheduling"));
    s.push_back(detail::split_entry(hermes_systems::partition(),
        "ablation: ILP offline placement only"));
    s.push_back(detail::split_entry(hermes_systems::adjustment(),
        "ablation: ILP + online hot/cold adjustment"));
    s.push_back(detail::split_entry(hermes_systems::token_adjustment(),
        "ablation: adjustment driven by the token-wise predictor only"));
    s.push_back(detail::split_entry(hermes_systems::layer_adjustment(),
        "ablation: adjustment driven by the layer-wise predictor only"));
    s.push_back(detail::split_entry(hermes_systems::base(),
        "NDP-DIMMs without sparsity: FC layers on the GPU while they fit, else on the DIMMs"));
    s.push_back(detail::split_entry(hermes_systems::host(),
        "Hermes scheduling with cold neurons on the host CPU (PowerInfer-style)"));
    for (system_entry& baseline : detail::baseline_entries()) s.push_back(std::move(baseline));
    return s;
  }();
  return systems;
}

inline std::vector<std::string> system_names() {
  std::vector<std::string> n;
  for (const auto& s : all_systems()) n.push_back(s.name);
  return n;
}

// The system called `name` (case-insensitive); an unknown name lists the valid ones.
inline const system_entry& find_system(std::string_view name) {
  for (const auto& s : all_systems())
    if (detail::lower(s.name) == detail::lower(name)) return s;
  std::string valid;
  for (const auto& s : all_systems()) valid += (valid.empty() ? "" : ", ") + s.name;
  throw invalid_parameter("system", std::string(name), "one of: " + valid);
}

inline sim_result run_system(std::string_view name, const workload_config& w, const hardware_config& h) {
  return find_system(name).run(w, h);
}

}  // namespace hermes
