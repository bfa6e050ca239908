#pragma once
// The LP relaxation rounded down and repaired neuron by neuron, the cold neurons spread over the
// DIMMs by the LPT rule: a mapper of its own, and the placement the CBC mapper (ilp_mapper.hpp)
// starts from and falls back to. Needs no solver: the relaxation has a closed form
// (lp_relaxation.hpp).
#include <chrono>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/map/dimm_spread.hpp"
#include "hermes/map/lp_relaxation.hpp"
#include "hermes/map/offline_placement.hpp"

namespace hermes {

// The rounded + repaired split, spread over the DIMMs. Throws capacity_exceeded when the LPT
// spread cannot pack whole neurons into the DIMMs.
[[nodiscard]] inline std::vector<layer_placement> lp_rounding_placement(const placement_problem& p,
                                                                        const lp_relaxation& lp) {
  return spread_over_dimms(p, lp_rounded_split(p, lp), lp.order);
}

// True when `layers` is within `target_gap` (relative) of the LP bound `lp`: no placement, and so
// no solver, can then gain more than that. A target_gap of 0 is never met.
[[nodiscard]] inline bool within_target_gap(const placement_problem& p, const std::vector<layer_placement>& layers,
                                            const lp_relaxation& lp, double target_gap) {
  if (!(target_gap > 0.0)) return false;
  return evaluate(p, layers).total.value() <= lp.bound.value() * (1.0 + target_gap);
}

struct lp_rounding_mapper {
  [[nodiscard]] std::uint64_t memo_key() const { return mapper_key_seed("lp_rounding"); }
  [[nodiscard]] placement_result place(const placement_problem& p) const {
    const auto started = std::chrono::steady_clock::now();
    const lp_relaxation lp = solve_lp_relaxation(p);
    return finish_placement(p, lp_rounding_placement(p, lp), placement_method::lp_rounding_repair, lp.bound,
                            started);
  }
};

static_assert(offline_mapper<lp_rounding_mapper>);

}  // namespace hermes
