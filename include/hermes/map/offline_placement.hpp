#pragma once
// What an offline mapper returns, and the requirement set an offline mapper satisfies.
//
// Every mapper reports the same numbers, whatever produced the placement: the exact objective of
// Eq 1-7, the LP lower bound (the relaxation at neuron granularity, see lp_relaxation.hpp), the
// relative gap between them, the wall time, and which method produced the answer.
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/units.hpp"
#include "hermes/core/placement.hpp"
#include "hermes/map/placement_problem.hpp"

namespace hermes {

enum class placement_method {
  cbc_optimal,         // CBC proved its (grouped) ILP optimal
  cbc_feasible,        // CBC stopped at its limit with an incumbent
  lp_rounding_repair,  // LP relaxation, rounded down, repaired neuron by neuron
  greedy,              // hot by frequency until capacity or balance
  random,              // Hermes-random: random neurons on the GPU, random home DIMMs
  layer_fill,          // Hermes-base: whole layers on the GPU in order while they fit
  custom,              // a user's mapper (examples/custom_mapper.cpp)
};

[[nodiscard]] constexpr std::string_view to_string(placement_method m) {
  switch (m) {
    case placement_method::cbc_optimal: return "cbc-optimal";
    case placement_method::cbc_feasible: return "cbc-feasible";
    case placement_method::lp_rounding_repair: return "lp-rounding+repair";
    case placement_method::greedy: return "greedy";
    case placement_method::random: return "random";
    case placement_method::layer_fill: return "layer-fill";
    case placement_method::custom: return "custom";
  }
  return "unknown";
}

// Details of a CBC run, when one happened.
struct cbc_report {
  bool ran = false;
  bool has_solution = false;     // CBC returned an incumbent (not the 1e50 "no solution")
  bool proven_optimal = false;
  bool proven_infeasible = false;
  bool time_limit_reached = false;  // the result then depends on the machine's speed
  bool node_limit_reached = false;
  seconds objective{};           // CBC's incumbent, of the ILP it solved (grouped)
  seconds best_bound{};          // CBC's bound on that ILP
  double seconds_used = 0.0;     // wall time inside Cbc_solve
  std::size_t columns = 0;
  std::size_t rows = 0;
  std::size_t binaries = 0;
  bool full_formulation = false;  // per-DIMM variables (exact) or GPU/DIMM split + spread
};

struct placement_result {
  std::vector<layer_placement> layers;
  placement_cost cost;          // evaluated exactly on `layers`
  seconds objective{};          // == cost.total
  seconds lower_bound{};        // LP relaxation at neuron granularity: no placement beats it
  double gap = 0.0;             // (objective - lower_bound) / lower_bound
  double solve_seconds = 0.0;   // wall time of the whole mapper call
  placement_method method = placement_method::greedy;
  cbc_report cbc;
};

// Evaluates `layers` exactly, checks the capacities and fills in the common report.
[[nodiscard]] inline placement_result finish_placement(const placement_problem& p,
                                                       std::vector<layer_placement> layers,
                                                       placement_method method, seconds lower_bound,
                                                       std::chrono::steady_clock::time_point started) {
  placement_result r;
  r.cost = evaluate(p, layers);
  if (!fits(p, r.cost))
    throw error("placement (" + std::string(to_string(method)) + ") exceeds a capacity: GPU " +
                to_text(r.cost.gpu_bytes.value()) + " B of " +
                to_text(p.gpu_capacity.value()) + " B; this is a mapper bug");
  r.layers = std::move(layers);
  r.objective = r.cost.total;
  r.lower_bound = lower_bound;
  r.gap = lower_bound.value() > 0.0 ? (r.objective - lower_bound) / lower_bound : 0.0;
  r.method = method;
  r.solve_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

// An offline mapper: a value with `place(problem) -> placement_result`.
template <class M>
concept offline_mapper = requires(M& m, const placement_problem& p) {
  { m.place(p) } -> std::same_as<placement_result>;
};

// A mapper whose placement is a deterministic function of the problem and `memo_key()`: the
// engine then computes it once per process for every system that asks for the same problem
// (the Hermes ablations share LLaMA2-70B's placement). A mapper without it is called every run.
template <class M>
concept memoisable_mapper = offline_mapper<M> && requires(const M& m) {
  { m.memo_key() } -> std::convertible_to<std::uint64_t>;
};

// A mapper that accepts a placement within a stated gap of the LP bound reports it.
template <class M>
concept toleranced_mapper = offline_mapper<M> && requires(const M& m) {
  { m.target_gap() } -> std::convertible_to<double>;
};

template <offline_mapper M>
[[nodiscard]] double mapper_target_gap(const M& m) {
  if constexpr (toleranced_mapper<M>) return m.target_gap();
  else return 0.0;
}

// Call as `static_assert(check_offline_mapper<MyMapper>())`: names what is missing.
template <class M>
consteval bool check_offline_mapper() {
  static_assert(offline_mapper<M>,
                "an offline mapper needs `hermes::placement_result place(const hermes::placement_problem&)` "
                "(finish_placement() fills the result from the layers it chose)");
  return offline_mapper<M>;
}

// FNV-1a over a mapper's name and settings: memo keys (memoisable_mapper), the library's mappers'
// and a user's: mix_key(mapper_key_seed("my-mapper"), setting) for each setting.
[[nodiscard]] inline std::uint64_t mix_key(std::uint64_t h, std::uint64_t v) {
  for (int b = 0; b < 8; ++b) h = (h ^ ((v >> (8 * b)) & 0xFF)) * 0x100000001b3ULL;
  return h;
}
[[nodiscard]] inline std::uint64_t mix_key(std::uint64_t h, double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return mix_key(h, bits);
}
[[nodiscard]] inline std::uint64_t mapper_key_seed(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

}  // namespace hermes
