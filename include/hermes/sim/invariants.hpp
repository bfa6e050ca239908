#pragma once
// Consistency checks of a simulation, and when they run.
//
// The split engine (sim/split_engine.hpp) checks on every simulated token and layer stage, when
// HERMES_CHECK_INVARIANTS is 1 (its default without NDEBUG: Debug and sanitizer builds; a
// Release build can define it to 1 before including hermes):
//   computed once     every neuron the stage computes is counted on exactly one device, the same
//                     one from the home masks as from the placement's per-neuron homes, and the
//                     per-device counts add up to the computed set;
//   capacity          the GPU's copies never exceed the GPU memory left for neurons, and every
//                     cold device's homes (bytes per stage x neurons homed) equal its
//                     occupancy and fit its capacity, after every adjustment and remap;
//   ledger            every charge has a finite start and end, end >= start, starts when its
//                     resource was free (monotone per resource) and not before its stage's
//                     ready time; the compute of a stage (GPU, near-memory devices) ends by the
//                     time the stage's result is available;
//   link bytes        the bytes charged on PCIe by an adjustment equal the newly cached neurons
//                     x their chunk bytes, and the bytes charged on the cold devices' links by a
//                     remap equal the neurons whose home changed x their chunk bytes.
// Each check is O(neurons of the stage) at most (word operations over masks, or a pass over
// the active neurons), so a token costs O(all neurons) more. A failed check throws
// invariant_violation (core/error.hpp) naming the check and the token, layer and stage.
//
// require_finite_result runs in every build: a modelled time that is inf or NaN (from a
// parameter validation did not catch) is an error, never a printed result.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/units.hpp"
#include "hermes/sim/result.hpp"

#ifndef HERMES_CHECK_INVARIANTS
#ifdef NDEBUG
#define HERMES_CHECK_INVARIANTS 0
#else
#define HERMES_CHECK_INVARIANTS 1
#endif
#endif

namespace hermes {

inline constexpr bool invariants_checked = HERMES_CHECK_INVARIANTS != 0;

// Throws invariant_violation unless every modelled time and rate of a supported result is
// finite (an unsupported result carries no numbers).
inline void require_finite_result(const sim_result& r) {
  if (!r.supported) return;
  const auto where = [&] { return "the result of " + r.system + " on " + r.model; };
  const auto check = [&](std::string_view field, double v) {
    if (!std::isfinite(v))
      throw invariant_violation("sim_result." + std::string(field) + " = " + to_text(v) + " is not finite", where());
  };
  check("seconds_prefill", r.seconds_prefill.value());
  check("seconds_decode", r.seconds_decode.value());
  check("decode_tokens_per_second", r.decode_tokens_per_second);
  check("end_to_end_tokens_per_second", r.end_to_end_tokens_per_second);
  check("attention_latency_per_token", r.attention_latency_per_token.value());
  check("mlp_latency_per_token", r.mlp_latency_per_token.value());
  check("cold_load_imbalance", r.cold_load_imbalance);
  for (const auto& [name, v] : r.breakdown.items()) check("breakdown." + name, v);
}

namespace detail {

// Sees the ledger's charges during one layer stage (or a remap) of the decode: checks each
// charge as it is booked and keeps the latest end of the compute resources' charges.
class stage_charge_monitor final : public charge_observer {
 public:
  // `where` names the current stage in messages (called only when a check fails).
  void describe(std::function<std::string()> where) { where_ = std::move(where); }
  // A new stage whose inputs are ready at `ready`.
  void begin(seconds ready) {
    ready_ = ready;
    compute_end_ = ready;
  }
  void on_charge(std::size_t, const resource_record& rec, seconds, seconds previous_free_at, seconds start,
                 seconds end, const device_cost& cost, std::string_view stage) override {
    const auto fail = [&](const std::string& what) {
      throw invariant_violation("ledger: charge '" + std::string(stage) + "' on '" + rec.name + "' " + what,
                                where());
    };
    if (!std::isfinite(start.value()) || !std::isfinite(end.value()) || !std::isfinite(cost.time.value()))
      fail("has a non-finite interval [" + to_text(start.value()) + ", " + to_text(end.value()) + "] s");
    if (end < start) fail("ends before it starts");
    if (start < previous_free_at) fail("starts before the resource is free (time not monotone)");
    if (start < ready_)
      fail("starts at " + to_text(start.value()) + " s, before its stage is ready at " + to_text(ready_.value()) +
           " s");
    if (rec.kind == resource_kind::compute || rec.kind == resource_kind::near_memory)
      compute_end_ = max(compute_end_, end);
  }
  // The stage's result is available at `end`: its compute must have ended by then.
  void finish(seconds end) const {
    if (compute_end_ > end)
      throw invariant_violation("ledger: the stage's compute ends at " + to_text(compute_end_.value()) +
                                    " s, after its result is available at " + to_text(end.value()) + " s",
                                where());
  }
  [[nodiscard]] std::string where() const { return where_(); }

 private:
  seconds ready_{}, compute_end_{};
  std::function<std::string()> where_;
};

// a == b up to rounding of sums of doubles.
[[nodiscard]] inline bool same_amount(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
}

}  // namespace detail
}  // namespace hermes
