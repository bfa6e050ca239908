#pragma once
// The offline placement ILP of Hermes (Sec IV-B, Eq 1-7), solved with COIN-OR CBC.
//
//   minimise   sum_l z_l
//   subject to z_l >= t_l^GPU * sum_g f_g x_g,GPU + 2 T_sync          (GPU time of layer l)
//              z_l >= t_l^DIMM * sum_g f_g x_g,j          for each DIMM j
//              sum_d x_g,d = 1                               (each group computed once)
//              GPU bytes of the copies <= GPU capacity
//              bytes homed on DIMM j (computed there + GPU-cached homes) <= DIMM capacity
//
// Neurons are grouped by frequency rank within a layer (group_size neurons, a group's frequency is
// the sum); group_size = 1 is the neuron-level model. Two formulations:
//  - per_dimm: the model above with one binary per (group, device) and, per (layer, DIMM), an
//    integer count of GPU-cached neurons homed there. Exact (at group level). The identical DIMMs
//    make it highly symmetric: group k may only use DIMMs 1..k+1, which every solution satisfies
//    after relabelling the DIMMs by first use.
//  - split: one binary per group (GPU or not) and the average DIMM time in place of the slowest;
//    the cold neurons are then spread over the DIMMs by the LPT rule and the split is refined
//    neuron by neuron. This is the form that keeps a 70B model tractable.
// Whatever CBC does, the LP rounding + repair placement is built too (it is CBC's warm start);
// the better of the two is returned, and the report says which method produced it. With a
// target_gap, CBC is skipped when that placement is already within it of the LP bound.
// CBC pitfalls handled (toolchain.md): without an incumbent the objective reads 1e50, so the
// solution pointer and the value are both checked; the seconds limit may overrun, so the time
// used is measured and reported rather than assumed.
//
// This is the only header of hermes that includes CBC: link hermes::cbc to use it
// (find_package(hermes COMPONENTS cbc)). Everything it builds on (the LP bound, the LP rounding +
// repair placement, ilp_options) is in the core.
#if !__has_include(<Cbc_C_Interface.h>)
#error "hermes/map/ilp_mapper.hpp needs COIN-OR CBC (Cbc_C_Interface.h): link the hermes::cbc target (find_package(hermes COMPONENTS cbc)), or use lp_rounding_mapper (hermes/map/lp_rounding_mapper.hpp), which needs no solver"
#endif
#include <Cbc_C_Interface.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/map/dimm_spread.hpp"
#include "hermes/map/ilp_options.hpp"
#include "hermes/map/lp_relaxation.hpp"
#include "hermes/map/lp_rounding_mapper.hpp"
#include "hermes/map/offline_placement.hpp"

namespace hermes {

namespace detail {

// Clp and CBC read DBL_MAX (COIN_DBL_MAX) as an infinite bound.
inline constexpr double cbc_infinity = std::numeric_limits<double>::max();

struct neuron_group {
  std::uint32_t layer;
  std::uint32_t first;  // rank of its first neuron in the layer's frequency order
  std::uint32_t size;
  double frequency;
};

inline std::vector<neuron_group> make_groups(const placement_problem& p, const lp_relaxation& lp,
                                             std::size_t group_size, bool skip_never_fired) {
  std::vector<neuron_group> g;
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    const auto& order = lp.order[l];
    for (std::size_t r = 0; r < order.size(); r += group_size) {
      const std::size_t n = std::min(group_size, order.size() - r);
      double f = 0.0;
      for (std::size_t k = r; k < r + n; ++k) f += p.layers[l].frequency[order[k]];
      if (skip_never_fired && f <= 0.0) break;  // sorted: the rest of the layer never fired
      g.push_back({static_cast<std::uint32_t>(l), static_cast<std::uint32_t>(r),
                   static_cast<std::uint32_t>(n), f});
    }
  }
  return g;
}

// A column-wise model builder for Cbc_loadProblem.
class cbc_builder {
 public:
  int add_row(double lo, double hi) {
    row_lo_.push_back(lo);
    row_hi_.push_back(hi);
    return static_cast<int>(row_lo_.size() - 1);
  }
  int add_col(double lo, double hi, double obj, bool integer) {
    start_.push_back(static_cast<int>(index_.size()));
    col_lo_.push_back(lo);
    col_hi_.push_back(hi);
    obj_.push_back(obj);
    integer_.push_back(integer);
    return static_cast<int>(col_lo_.size() - 1);
  }
  // Coefficients of the column added last.
  void coef(int row, double v) {
    if (v == 0.0) return;
    index_.push_back(row);
    value_.push_back(v);
  }
  // Completes a start that sets every integer column: each continuous column with coefficient -1
  // (a z_l of a max()) gets the smallest value that satisfies its rows. CBC accepts a start that
  // names only some columns, but then fills the rest with a small branch-and-bound of its own that
  // can land far from the given solution.
  void complete_start(std::vector<double>& v) const {
    if (v.size() != cols()) throw error("cbc_builder: a start needs one value per column");
    std::vector<double> activity(rows(), 0.0);
    for (std::size_t c = 0; c < cols(); ++c)
      if (v[c] != 0.0)
        for (std::size_t k = static_cast<std::size_t>(start_[c]); k < end_of(c); ++k)
          activity[static_cast<std::size_t>(index_[k])] += value_[k] * v[c];
    for (std::size_t c = 0; c < cols(); ++c) {
      if (integer_[c]) continue;
      double z = col_lo_[c];
      for (std::size_t k = static_cast<std::size_t>(start_[c]); k < end_of(c); ++k)
        if (value_[k] == -1.0) {
          const auto r = static_cast<std::size_t>(index_[k]);
          z = std::max(z, activity[r] + v[c] - row_hi_[r]);
        }
      v[c] = z;
    }
  }
  [[nodiscard]] std::size_t cols() const { return col_lo_.size(); }
  [[nodiscard]] std::size_t rows() const { return row_lo_.size(); }
  [[nodiscard]] std::size_t integers() const {
    return static_cast<std::size_t>(std::count(integer_.begin(), integer_.end(), true));
  }
  void load(Cbc_Model* m, bool relax) {
    std::vector<CoinBigIndex> start(start_.begin(), start_.end());
    start.push_back(static_cast<CoinBigIndex>(index_.size()));
    Cbc_loadProblem(m, static_cast<int>(cols()), static_cast<int>(rows()), start.data(), index_.data(),
                    value_.data(), col_lo_.data(), col_hi_.data(), obj_.data(), row_lo_.data(),
                    row_hi_.data());
    if (!relax)
      for (std::size_t c = 0; c < cols(); ++c)
        if (integer_[c]) Cbc_setInteger(m, static_cast<int>(c));
  }

 private:
  [[nodiscard]] std::size_t end_of(std::size_t c) const {
    return c + 1 < cols() ? static_cast<std::size_t>(start_[c + 1]) : index_.size();
  }
  std::vector<int> start_, index_;
  std::vector<double> value_, col_lo_, col_hi_, obj_, row_lo_, row_hi_;
  std::vector<bool> integer_;
};

// CBC's warm start for the split model: whole groups, taken by cost reduction per byte (the
// LP's order) while they fit and shorten their layer. Within one group per layer (plus one for
// the capacity) of the group-level LP, so CBC can often stop at the root on the gap.
inline std::vector<int> greedy_groups(const placement_problem& p, const lp_relaxation& lp,
                                      const std::vector<detail::neuron_group>& groups) {
  const std::size_t L = p.layers.size();
  std::vector<std::vector<int>> of_layer(L);  // columns = group indices, in rank order
  for (std::size_t k = 0; k < groups.size(); ++k) of_layer[groups[k].layer].push_back(static_cast<int>(k));
  std::vector<std::size_t> next(L, 0);
  std::vector<double> mass(L, 0.0);
  auto gain_per_byte = [&](std::size_t l) {
    const auto& g = groups[static_cast<std::size_t>(of_layer[l][next[l]])];
    return (split_layer_cost(p, l, mass[l], lp.layer_total[l]) -
            split_layer_cost(p, l, mass[l] + g.frequency, lp.layer_total[l])) /
           (static_cast<double>(g.size) * p.layers[l].neuron_bytes.value());
  };
  std::priority_queue<std::pair<double, std::size_t>> heap;
  for (std::size_t l = 0; l < L; ++l)
    if (!of_layer[l].empty()) heap.emplace(gain_per_byte(l), l);
  std::vector<int> chosen;
  double room = p.gpu_capacity.value();
  while (!heap.empty()) {
    const auto [gain, l] = heap.top();
    heap.pop();
    if (gain <= 0.0) break;
    const auto& g = groups[static_cast<std::size_t>(of_layer[l][next[l]])];
    const double b = static_cast<double>(g.size) * p.layers[l].neuron_bytes.value();
    if (b > room) continue;
    chosen.push_back(of_layer[l][next[l]]);
    room -= b;
    mass[l] += g.frequency;
    if (++next[l] < of_layer[l].size()) heap.emplace(gain_per_byte(l), l);
  }
  return chosen;
}

struct cbc_model_deleter {
  void operator()(Cbc_Model* m) const { Cbc_deleteModel(m); }
};
using cbc_model_ptr = std::unique_ptr<Cbc_Model, cbc_model_deleter>;

// CBC 2.10's solve path (Cbc_solve -> CbcMain1) keeps global state and is not thread safe
// (coin-or/Cbc issues #223 and #332), while hermes-sim and the reproduction run simulations on
// several threads. Every use of a Cbc_Model, from creation to deletion, holds this lock, so
// concurrent placements queue for the solver instead of corrupting each other.
inline std::mutex& cbc_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace detail

class ilp_mapper {
 public:
  ilp_options options;

  ilp_mapper() = default;
  explicit ilp_mapper(ilp_options o) : options(o) {}

  // The stated optimality tolerance the results report (placement.target_gap).
  [[nodiscard]] double target_gap() const { return options.target_gap; }
  // Everything place() reads besides the problem: equal keys, equal placements (memoisable_mapper).
  [[nodiscard]] std::uint64_t memo_key() const {
    std::uint64_t h = mapper_key_seed("ilp");
    h = mix_key(h, options.group_size);
    h = mix_key(h, options.time_limit_seconds);
    h = mix_key(h, static_cast<std::uint64_t>(options.max_nodes));
    h = mix_key(h, options.relative_gap);
    h = mix_key(h, options.target_gap);
    h = mix_key(h, static_cast<std::uint64_t>(options.formulation));
    h = mix_key(h, options.per_dimm_max_binaries);
    h = mix_key(h, static_cast<std::uint64_t>(options.relax_integrality));
    return h;
  }

  [[nodiscard]] placement_result place(const placement_problem& p) const {
    const auto started = std::chrono::steady_clock::now();
    options.validate();
    const lp_relaxation lp = solve_lp_relaxation(p);  // validates the problem

    // The fallback, and CBC's warm start.
    std::optional<std::vector<layer_placement>> fallback;
    try {
      fallback = lp_rounding_placement(p, lp);
    } catch (const capacity_exceeded&) {
      // Tight DIMMs: the LPT spread could not pack whole neurons; the per-DIMM ILP may still.
    }

    // Within the stated tolerance of a bound that every placement respects: CBC can gain at most
    // target_gap, so it is not run.
    if (fallback && within_target_gap(p, *fallback, lp, options.target_gap))
      return finish_placement(p, std::move(*fallback), placement_method::lp_rounding_repair, lp.bound, started);

    const bool per_dimm = use_per_dimm(p);
    const auto groups = detail::make_groups(p, lp, options.group_size, /*skip_never_fired=*/!per_dimm);
    cbc_report rep;
    std::optional<std::vector<layer_placement>> from_cbc =
        per_dimm ? solve_per_dimm(p, lp, groups, fallback, rep) : solve_split(p, lp, groups, rep);

    placement_method method = placement_method::lp_rounding_repair;
    std::optional<std::vector<layer_placement>> best;
    if (from_cbc) {
      best = std::move(from_cbc);
      method = rep.proven_optimal ? placement_method::cbc_optimal : placement_method::cbc_feasible;
      if (fallback && evaluate(p, *fallback).total < evaluate(p, *best).total) {
        best = std::move(fallback);
        method = placement_method::lp_rounding_repair;
      }
    } else if (fallback) {
      best = std::move(fallback);
    } else {
      throw capacity_exceeded(std::string("placement: no feasible placement found") +
                              (rep.proven_infeasible ? " (CBC proved the model infeasible: the neurons "
                                                       "cannot be packed into the DIMMs)"
                                                     : " (CBC found no incumbent within its limit and "
                                                       "the LPT spread could not pack the DIMMs)"));
    }
    placement_result r = finish_placement(p, std::move(*best), method, lp.bound, started);
    r.cbc = rep;
    return r;
  }

  // Only the relaxation of the chosen formulation, solved by Clp through CBC: its optimum (s).
  [[nodiscard]] seconds cbc_lp_relaxation(const placement_problem& p) const {
    ilp_mapper relaxed = *this;
    relaxed.options.relax_integrality = true;
    const lp_relaxation lp = solve_lp_relaxation(p);
    const bool per_dimm = relaxed.use_per_dimm(p);
    const auto groups = detail::make_groups(p, lp, options.group_size, !per_dimm);
    cbc_report rep;
    if (per_dimm)
      (void)relaxed.solve_per_dimm(p, lp, groups, std::nullopt, rep);
    else
      (void)relaxed.solve_split(p, lp, groups, rep);
    if (!rep.has_solution) throw error("cbc_lp_relaxation: Clp found no solution");
    return rep.objective;
  }

 private:
  [[nodiscard]] bool use_per_dimm(const placement_problem& p) const {
    switch (options.formulation) {
      case ilp_formulation::per_dimm: return true;
      case ilp_formulation::split: return false;
      case ilp_formulation::automatic: break;
    }
    std::size_t groups = 0;
    for (const auto& L : p.layers) groups += (L.neurons() + options.group_size - 1) / options.group_size;
    return groups * p.devices() <= options.per_dimm_max_binaries;
  }

  // Scales keep CBC's absolute tolerances meaningful: times in units of the longest all-DIMM
  // layer, bytes in units of the largest neuron.
  static double time_scale(const placement_problem& p, const lp_relaxation& lp) {
    double s = 0.0;
    for (std::size_t l = 0; l < p.layers.size(); ++l)
      s = std::max({s, 2.0 * p.sync_time.value(),
                    p.layers[l].dimm_time_per_activation.value() * lp.layer_total[l] /
                        static_cast<double>(p.dimms)});
    return s > 0.0 ? s : 1.0;
  }
  static double byte_scale(const placement_problem& p) {
    double s = 0.0;
    for (const auto& L : p.layers) s = std::max(s, L.neuron_bytes.value());
    return s;
  }

  // Runs CBC; returns the incumbent column values, or nothing. Fills the report.
  // `start`: a value for every column (integer columns set, the rest completed here), or empty.
  std::optional<std::vector<double>> run(detail::cbc_builder& b, std::vector<double> start,
                                         double time_unit, cbc_report& rep) const {
    const std::lock_guard<std::mutex> cbc_lock(detail::cbc_mutex());
    detail::cbc_model_ptr m(Cbc_newModel());
    b.load(m.get(), options.relax_integrality);
    Cbc_setLogLevel(m.get(), options.cbc_log_level);
    Cbc_setMaximumSeconds(m.get(), options.time_limit_seconds);
    if (options.max_nodes > 0) Cbc_setMaximumNodes(m.get(), options.max_nodes);
    Cbc_setAllowableFractionGap(m.get(), std::max(options.relative_gap, options.target_gap));
    if (!start.empty() && !options.relax_integrality) {
      b.complete_start(start);
      std::vector<int> all(b.cols());
      std::iota(all.begin(), all.end(), 0);
      Cbc_setMIPStartI(m.get(), static_cast<int>(all.size()), all.data(), start.data());
      // CBC 2.10's preprocessing renumbers columns and then misreads the start (a start that
      // evaluates to 61.6 in the original model was read as 82.5 on the 70B instance); without
      // preprocessing the start is taken as given.
      Cbc_setParameter(m.get(), "preprocess", "off");
    }
    rep.ran = true;
    rep.columns = b.cols();
    rep.rows = b.rows();
    rep.binaries = options.relax_integrality ? 0 : b.integers();
    const auto t0 = std::chrono::steady_clock::now();
    Cbc_solve(m.get());
    rep.seconds_used = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rep.proven_infeasible = Cbc_isProvenInfeasible(m.get()) != 0;
    rep.time_limit_reached = Cbc_isSecondsLimitReached(m.get()) != 0;
    rep.node_limit_reached = Cbc_isNodeLimitReached(m.get()) != 0;
    const double obj = Cbc_getObjValue(m.get());
    const double* sol = options.relax_integrality ? Cbc_getColSolution(m.get()) : Cbc_bestSolution(m.get());
    // CBC reports 1e50 as the objective when it has no incumbent.
    rep.has_solution = sol != nullptr && std::abs(obj) < 1e40 && !rep.proven_infeasible;
    if (!rep.has_solution) return std::nullopt;
    rep.proven_optimal = Cbc_isProvenOptimal(m.get()) != 0;
    rep.objective = seconds(obj * time_unit);
    rep.best_bound = options.relax_integrality ? rep.objective
                                               : seconds(Cbc_getBestPossibleObjValue(m.get()) * time_unit);
    return std::vector<double>(sol, sol + b.cols());
  }

  std::optional<std::vector<layer_placement>> solve_split(const placement_problem& p, const lp_relaxation& lp,
                                                          const std::vector<detail::neuron_group>& groups,
                                                          cbc_report& rep) const {
    rep.full_formulation = false;
    const std::size_t L = p.layers.size();
    const double ts = time_scale(p, lp), bs = byte_scale(p), D = static_cast<double>(p.dimms);
    detail::cbc_builder b;
    std::vector<int> gpu_row(L), dimm_row(L);
    for (std::size_t l = 0; l < L; ++l) {
      const auto& Ly = p.layers[l];
      gpu_row[l] = b.add_row(-detail::cbc_infinity, -2.0 * p.sync_time.value() / ts);
      dimm_row[l] = b.add_row(-detail::cbc_infinity, -Ly.dimm_time_per_activation.value() * lp.layer_total[l] / (D * ts));
    }
    const int cap_row = b.add_row(-detail::cbc_infinity, p.gpu_capacity.value() / bs);
    for (const auto& g : groups) {
      const auto& Ly = p.layers[g.layer];
      b.add_col(0.0, 1.0, 0.0, true);
      b.coef(gpu_row[g.layer], Ly.gpu_time_per_activation.value() * g.frequency / ts);
      b.coef(dimm_row[g.layer], -Ly.dimm_time_per_activation.value() * g.frequency / (D * ts));
      b.coef(cap_row, static_cast<double>(g.size) * Ly.neuron_bytes.value() / bs);
    }
    for (std::size_t l = 0; l < L; ++l) {
      b.add_col(0.0, detail::cbc_infinity, 1.0, false);
      b.coef(gpu_row[l], -1.0);
      b.coef(dimm_row[l], -1.0);
    }
    std::vector<double> start(b.cols(), 0.0);
    for (int k : detail::greedy_groups(p, lp, groups)) start[static_cast<std::size_t>(k)] = 1.0;
    const auto sol = run(b, std::move(start), ts, rep);
    if (!sol || options.relax_integrality) return std::nullopt;
    std::vector<neuron_mask> gpu;
    for (const auto& Ly : p.layers) gpu.emplace_back(Ly.neurons());
    for (std::size_t k = 0; k < groups.size(); ++k)
      if ((*sol)[k] > 0.5)
        for (std::uint32_t r = groups[k].first; r < groups[k].first + groups[k].size; ++r)
          gpu[groups[k].layer].set(lp.order[groups[k].layer][r]);
    repair_split(p, lp, gpu);  // refine the group boundaries neuron by neuron
    try {
      return spread_over_dimms(p, gpu, lp.order);
    } catch (const capacity_exceeded&) {
      return std::nullopt;
    }
  }

  std::optional<std::vector<layer_placement>> solve_per_dimm(
      const placement_problem& p, const lp_relaxation& lp, const std::vector<detail::neuron_group>& groups,
      const std::optional<std::vector<layer_placement>>& warm, cbc_report& rep) const {
    rep.full_formulation = true;
    const std::size_t L = p.layers.size(), D = p.dimms, G = groups.size();
    const double ts = time_scale(p, lp), bs = byte_scale(p);
    detail::cbc_builder b;
    std::vector<int> assign_row(G), gpu_row(L), home_row(L), dcap_row(D);
    std::vector<std::vector<int>> dimm_row(L, std::vector<int>(D));
    for (std::size_t k = 0; k < G; ++k) assign_row[k] = b.add_row(1.0, 1.0);
    for (std::size_t l = 0; l < L; ++l) {
      gpu_row[l] = b.add_row(-detail::cbc_infinity, -2.0 * p.sync_time.value() / ts);
      for (std::size_t j = 0; j < D; ++j) dimm_row[l][j] = b.add_row(-detail::cbc_infinity, 0.0);
      home_row[l] = b.add_row(0.0, 0.0);
    }
    const int gcap_row = b.add_row(-detail::cbc_infinity, p.gpu_capacity.value() / bs);
    for (std::size_t j = 0; j < D; ++j) dcap_row[j] = b.add_row(-detail::cbc_infinity, p.dimm_capacity.value() / bs);

    // Columns: x[k][d] for each group and device, then c[l][j], then z[l].
    std::vector<std::vector<int>> x(G, std::vector<int>(D + 1, -1));
    for (std::size_t k = 0; k < G; ++k) {
      const auto& g = groups[k];
      const auto& Ly = p.layers[g.layer];
      const double gb = static_cast<double>(g.size) * Ly.neuron_bytes.value() / bs;
      for (std::size_t d = 0; d <= D; ++d) {
        // Symmetry breaking: group k uses only DIMMs 1..k+1.
        const double hi = (d >= 1 && d - 1 > k) ? 0.0 : 1.0;
        x[k][d] = b.add_col(0.0, hi, 0.0, true);
        b.coef(assign_row[k], 1.0);
        if (d == 0) {
          b.coef(gpu_row[g.layer], Ly.gpu_time_per_activation.value() * g.frequency / ts);
          b.coef(gcap_row, gb);
          b.coef(home_row[g.layer], -static_cast<double>(g.size));
        } else {
          b.coef(dimm_row[g.layer][d - 1], Ly.dimm_time_per_activation.value() * g.frequency / ts);
          b.coef(dcap_row[d - 1], gb);
        }
      }
    }
    std::vector<std::vector<int>> c(L, std::vector<int>(D));
    for (std::size_t l = 0; l < L; ++l)
      for (std::size_t j = 0; j < D; ++j) {
        c[l][j] = b.add_col(0.0, static_cast<double>(p.layers[l].neurons()), 0.0, true);
        b.coef(home_row[l], 1.0);
        b.coef(dcap_row[j], p.layers[l].neuron_bytes.value() / bs);
      }
    for (std::size_t l = 0; l < L; ++l) {
      b.add_col(0.0, detail::cbc_infinity, 1.0, false);
      b.coef(gpu_row[l], -1.0);
      for (std::size_t j = 0; j < D; ++j) b.coef(dimm_row[l][j], -1.0);
    }

    // Warm start from the fallback placement when every group sits on one device in it, with its
    // DIMMs relabelled by first use so that it satisfies the symmetry-breaking bounds.
    std::vector<double> start;
    if (warm) {
      std::vector<std::size_t> device(G);
      bool whole = true;
      for (std::size_t k = 0; k < G && whole; ++k) {
        const auto& g = groups[k];
        const auto& P = (*warm)[g.layer];
        device[k] = P.compute_device(lp.order[g.layer][g.first]);
        for (std::uint32_t r = g.first + 1; r < g.first + g.size && whole; ++r)
          whole = P.compute_device(lp.order[g.layer][r]) == device[k];
      }
      if (whole) {
        std::vector<std::size_t> label(D + 1, 0);  // old DIMM device -> new DIMM device
        std::size_t used = 0;
        for (std::size_t k = 0; k < G; ++k)
          if (device[k] != 0 && label[device[k]] == 0) label[device[k]] = ++used;
        for (std::size_t d = 1; d <= D; ++d)
          if (label[d] == 0) label[d] = ++used;
        start.assign(b.cols(), 0.0);
        for (std::size_t k = 0; k < G; ++k)
          start[static_cast<std::size_t>(x[k][device[k] == 0 ? 0 : label[device[k]]])] = 1.0;
        for (std::size_t l = 0; l < L; ++l)
          (*warm)[l].cached.for_each(
              [&](std::size_t i) { start[static_cast<std::size_t>(c[l][label[(*warm)[l].home[i]] - 1])] += 1.0; });
      }
    }

    const auto sol = run(b, std::move(start), ts, rep);
    if (!sol || options.relax_integrality) return std::nullopt;
    std::vector<layer_placement> out;
    for (const auto& Ly : p.layers) out.emplace_back(Ly.neurons(), cold_device(0), hot_device);
    for (std::size_t k = 0; k < G; ++k) {
      const auto& g = groups[k];
      std::size_t dev = 0;
      for (std::size_t d = 0; d <= D; ++d)
        if ((*sol)[x[k][d]] > 0.5) dev = d;
      for (std::uint32_t r = g.first; r < g.first + g.size; ++r) {
        const std::uint32_t i = lp.order[g.layer][r];
        if (dev == 0)
          out[g.layer].cached.set(i);
        else
          out[g.layer].home[i] = cold_device(dev - 1);
      }
    }
    // Home the GPU-cached neurons as the integer counts c[l][j] say.
    for (std::size_t l = 0; l < L; ++l) {
      std::vector<std::size_t> left(D);
      for (std::size_t j = 0; j < D; ++j) left[j] = static_cast<std::size_t>(std::llround((*sol)[c[l][j]]));
      std::size_t j = 0;
      bool ok = true;
      out[l].cached.for_each([&](std::size_t i) {
        while (j < D && left[j] == 0) ++j;
        if (j == D) { ok = false; return; }
        out[l].home[i] = cold_device(j);
        --left[j];
      });
      if (!ok) throw error("ilp_mapper: CBC's home counts of " + p.layers[l].name +
                           " do not cover its GPU-cached neurons");
    }
    return out;
  }
};

static_assert(offline_mapper<ilp_mapper>);

}  // namespace hermes
