#pragma once
// The LP relaxation of Eq 1-7 at neuron granularity, solved exactly without an LP solver, and the
// "LP rounding + repair" placement built from it.
//
// Why a closed form exists: the DIMMs are identical, so the slowest DIMM is never faster than the
// average one, and an even fractional spread reaches the average. The relaxation therefore only
// decides how much of each layer's activation mass S_l goes to the GPU:
//   cost_l(S) = max(t_g S + 2 T_sync, t_d (F_l - S) / D),
// which falls until the balance point S*_l = (t_d F_l / D - 2 T_sync) / (t_g + t_d / D). Reaching
// a mass S with the fewest bytes takes neurons in decreasing frequency (all neurons of a layer
// have the same size), so each neuron is an item of value (t_d / D) f_i per b_l bytes, truncated
// at S*_l. Taking items in decreasing value per byte until the GPU capacity is used is optimal for
// this fractional knapsack with concave per-layer profits. The result equals the LP relaxation of
// the full per-DIMM model (tests compare it with Clp) and bounds every placement from below.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <queue>
#include <vector>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/core/units.hpp"
#include "hermes/map/placement_problem.hpp"

namespace hermes {

// Neuron indices of each layer in decreasing frequency (ties by index, so results are stable).
[[nodiscard]] inline std::vector<std::vector<std::uint32_t>> frequency_order(const placement_problem& p) {
  std::vector<std::vector<std::uint32_t>> order(p.layers.size());
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    const auto& f = p.layers[l].frequency;
    auto& o = order[l];
    o.resize(f.size());
    std::iota(o.begin(), o.end(), 0u);
    std::stable_sort(o.begin(), o.end(), [&](std::uint32_t a, std::uint32_t b) { return f[a] > f[b]; });
  }
  return order;
}

// The split-model cost of one layer with activation mass `s` on the GPU and the rest spread evenly
// over the DIMMs (the relaxation's view of a layer).
[[nodiscard]] inline double split_layer_cost(const placement_problem& p, std::size_t l, double s,
                                             double layer_total) {
  const auto& L = p.layers[l];
  const double gpu = L.gpu_time_per_activation.value() * s + 2.0 * p.sync_time.value();
  const double dimm = L.dimm_time_per_activation.value() * (layer_total - s) / static_cast<double>(p.dimms);
  return std::max(gpu, dimm);
}

struct lp_relaxation {
  seconds bound{};                                  // optimal value of the relaxation
  std::vector<std::vector<std::uint32_t>> order;    // per layer, neurons by decreasing frequency
  std::vector<double> gpu_neurons;                  // per layer, fractional GPU prefix length
  std::vector<double> layer_total;                  // per layer, F_l
};

[[nodiscard]] inline lp_relaxation solve_lp_relaxation(const placement_problem& p) {
  p.validate();
  lp_relaxation r;
  r.order = frequency_order(p);
  const std::size_t L = p.layers.size();
  r.gpu_neurons.assign(L, 0.0);
  r.layer_total.resize(L);
  const double D = static_cast<double>(p.dimms);
  const double ts2 = 2.0 * p.sync_time.value();

  struct item {
    double value_per_byte;
    std::uint32_t layer;
    double fraction;  // of the neuron that is worth taking (< 1 only at the balance point)
    double value;     // cost reduction of the whole taken fraction
  };
  std::vector<item> items;
  double bound = 0.0;
  for (std::size_t l = 0; l < L; ++l) {
    const auto& Ly = p.layers[l];
    const double F = Ly.total_frequency();
    r.layer_total[l] = F;
    const double tg = Ly.gpu_time_per_activation.value(), td = Ly.dimm_time_per_activation.value();
    const double s_star = (td * F / D - ts2) / (tg + td / D);
    bound += std::max(ts2, td * F / D);  // everything on the DIMMs
    if (s_star <= 0.0) continue;         // T_sync alone outlasts the DIMMs: the GPU cannot help
    double s = 0.0;
    for (std::uint32_t i : r.order[l]) {
      const double f = Ly.frequency[i];
      if (f <= 0.0 || s >= s_star) break;
      const double frac = std::min(1.0, (s_star - s) / f);
      items.push_back(item{td * f / (D * Ly.neuron_bytes.value()), static_cast<std::uint32_t>(l), frac,
                           td * f * frac / D});
      s += f * frac;
    }
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const item& a, const item& b) { return a.value_per_byte > b.value_per_byte; });
  double room = p.gpu_capacity.value();
  for (const auto& it : items) {
    if (room <= 0.0) break;
    const double b = p.layers[it.layer].neuron_bytes.value();
    const double take = std::min(it.fraction, room / b);
    bound -= it.value * (take / it.fraction);
    room -= take * b;
    r.gpu_neurons[it.layer] += take;
  }
  r.bound = seconds(bound);
  return r;
}

// Neuron-level repair and improvement of a GPU/DIMM split under the relaxation's even-spread view:
// first drop GPU copies from layers where the GPU is the bottleneck and dropping helps, then fill
// the free GPU capacity greedily by cost reduction per byte. Never exceeds the GPU capacity.
inline void repair_split(const placement_problem& p, const lp_relaxation& lp,
                         std::vector<neuron_mask>& gpu) {
  const std::size_t L = p.layers.size();
  std::vector<double> mass(L, 0.0);
  double used = 0.0;
  for (std::size_t l = 0; l < L; ++l) {
    gpu[l].for_each([&](std::size_t i) { mass[l] += p.layers[l].frequency[i]; });
    used += static_cast<double>(gpu[l].count()) * p.layers[l].neuron_bytes.value();
  }
  const auto& order = lp.order;
  // Over capacity (a caller's rounding went up): remove the cheapest copies first, by the same
  // value-per-byte that ranks them.
  while (used > p.gpu_capacity.value()) {
    std::size_t best_l = L, best_i = 0;
    double best_loss = 0.0;
    for (std::size_t l = 0; l < L; ++l) {
      for (auto it = order[l].rbegin(); it != order[l].rend(); ++it)
        if (gpu[l].test(*it)) {
          const double loss = (split_layer_cost(p, l, mass[l] - p.layers[l].frequency[*it], lp.layer_total[l]) -
                               split_layer_cost(p, l, mass[l], lp.layer_total[l])) /
                              p.layers[l].neuron_bytes.value();
          if (best_l == L || loss < best_loss) best_l = l, best_i = *it, best_loss = loss;
          break;
        }
    }
    if (best_l == L) break;
    gpu[best_l].reset(best_i);
    mass[best_l] -= p.layers[best_l].frequency[best_i];
    used -= p.layers[best_l].neuron_bytes.value();
  }
  // Drop copies while the GPU side is the bottleneck and dropping the coldest copy helps.
  for (std::size_t l = 0; l < L; ++l) {
    for (auto it = order[l].rbegin(); it != order[l].rend(); ++it) {
      if (!gpu[l].test(*it)) continue;
      const double f = p.layers[l].frequency[*it];
      if (split_layer_cost(p, l, mass[l] - f, lp.layer_total[l]) <
          split_layer_cost(p, l, mass[l], lp.layer_total[l])) {
        gpu[l].reset(*it);
        mass[l] -= f;
        used -= p.layers[l].neuron_bytes.value();
      } else {
        break;
      }
    }
  }
  // Fill: a max-heap of each layer's next-hottest DIMM neuron by cost reduction per byte.
  std::vector<std::size_t> next(L, 0);
  auto advance = [&](std::size_t l) {
    while (next[l] < order[l].size() && gpu[l].test(order[l][next[l]])) ++next[l];
  };
  auto gain_per_byte = [&](std::size_t l) {
    const double f = p.layers[l].frequency[order[l][next[l]]];
    return (split_layer_cost(p, l, mass[l], lp.layer_total[l]) -
            split_layer_cost(p, l, mass[l] + f, lp.layer_total[l])) /
           p.layers[l].neuron_bytes.value();
  };
  using entry = std::pair<double, std::size_t>;
  std::priority_queue<entry> heap;
  for (std::size_t l = 0; l < L; ++l) {
    advance(l);
    if (next[l] < order[l].size()) heap.emplace(gain_per_byte(l), l);
  }
  while (!heap.empty()) {
    const auto [g, l] = heap.top();
    heap.pop();
    if (g <= 0.0) break;  // no layer gains from another copy
    const double b = p.layers[l].neuron_bytes.value();
    if (used + b > p.gpu_capacity.value()) continue;  // this layer's neurons no longer fit
    const std::uint32_t i = order[l][next[l]];
    gpu[l].set(i);
    mass[l] += p.layers[l].frequency[i];
    used += b;
    advance(l);
    if (next[l] < order[l].size()) heap.emplace(gain_per_byte(l), l);
  }
}

// The LP solution rounded down to whole neurons (a feasible GPU set), then repaired.
[[nodiscard]] inline std::vector<neuron_mask> lp_rounded_split(const placement_problem& p,
                                                               const lp_relaxation& lp) {
  std::vector<neuron_mask> gpu;
  gpu.reserve(p.layers.size());
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    gpu.emplace_back(p.layers[l].neurons());
    // The 1e-9 guards floor() against a count like 2.9999999999 that is 3 in exact arithmetic.
    const auto k = static_cast<std::size_t>(std::floor(lp.gpu_neurons[l] + 1e-9));
    for (std::size_t r = 0; r < k && r < lp.order[l].size(); ++r) gpu[l].set(lp.order[l][r]);
  }
  repair_split(p, lp, gpu);
  return gpu;
}

}  // namespace hermes
