#pragma once
// The fast baseline mapper: the hottest neurons of the whole model go to the GPU, in decreasing
// profiled frequency, as long as they fit and their layer still waits for the DIMMs (adding a
// neuron shortens the layer); the cold neurons are spread over the DIMMs by the LPT rule.
// It ignores that layers differ in neuron size and in per-activation times, which is what the LP
// and the ILP take into account.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "hermes/map/dimm_spread.hpp"
#include "hermes/map/lp_relaxation.hpp"
#include "hermes/map/offline_placement.hpp"

namespace hermes {

struct greedy_mapper {
  [[nodiscard]] std::uint64_t memo_key() const { return mapper_key_seed("greedy"); }
  [[nodiscard]] placement_result place(const placement_problem& p) const {
    const auto started = std::chrono::steady_clock::now();
    const lp_relaxation lp = solve_lp_relaxation(p);  // validates; the bound for the report
    struct candidate {
      double frequency;
      std::uint32_t layer, neuron;
    };
    std::vector<candidate> all;
    all.reserve(p.total_neurons());
    for (std::size_t l = 0; l < p.layers.size(); ++l)
      for (std::uint32_t i = 0; i < p.layers[l].neurons(); ++i)
        if (p.layers[l].frequency[i] > 0.0)
          all.push_back({p.layers[l].frequency[i], static_cast<std::uint32_t>(l), i});
    std::stable_sort(all.begin(), all.end(),
                     [](const candidate& a, const candidate& b) { return a.frequency > b.frequency; });
    std::vector<neuron_mask> gpu;
    for (const auto& L : p.layers) gpu.emplace_back(L.neurons());
    std::vector<double> mass(p.layers.size(), 0.0);
    double room = p.gpu_capacity.value();
    for (const auto& c : all) {
      const double b = p.layers[c.layer].neuron_bytes.value();
      if (b > room) continue;
      const double F = lp.layer_total[c.layer];
      if (split_layer_cost(p, c.layer, mass[c.layer] + c.frequency, F) >=
          split_layer_cost(p, c.layer, mass[c.layer], F))
        continue;  // the layer is balanced: more GPU work would not shorten it
      gpu[c.layer].set(c.neuron);
      mass[c.layer] += c.frequency;
      room -= b;
    }
    return finish_placement(p, spread_over_dimms(p, gpu, lp.order), placement_method::greedy,
                            lp.bound, started);
  }
};

}  // namespace hermes
