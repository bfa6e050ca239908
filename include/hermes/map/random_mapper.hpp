#pragma once
// Hermes-random (Sec V, ablation): the offline placement ignores the profile. Neurons in a random
// order fill the GPU up to its capacity (a mapper that left GPU memory idle would be a weaker
// baseline than the paper's), and every neuron gets a home DIMM drawn uniformly among the DIMMs
// with room. Seeded, so a run is reproducible.
#include <chrono>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "hermes/map/lp_relaxation.hpp"
#include "hermes/map/offline_placement.hpp"

namespace hermes {

struct random_mapper {
  std::uint64_t seed = 1;
  [[nodiscard]] std::uint64_t memo_key() const { return mapper_key_seed("random") ^ seed * 0x9e3779b97f4a7c15ULL; }

  [[nodiscard]] placement_result place(const placement_problem& p) const {
    const auto started = std::chrono::steady_clock::now();
    const lp_relaxation lp = solve_lp_relaxation(p);  // validates; the bound for the report
    std::mt19937_64 rng(seed);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> all;  // (layer, neuron)
    all.reserve(p.total_neurons());
    for (std::size_t l = 0; l < p.layers.size(); ++l)
      for (std::uint32_t i = 0; i < p.layers[l].neurons(); ++i) all.emplace_back(static_cast<std::uint32_t>(l), i);
    std::shuffle(all.begin(), all.end(), rng);

    std::vector<layer_placement> out;
    for (const auto& L : p.layers) out.emplace_back(L.neurons(), cold_device(0), hot_device);
    double room = p.gpu_capacity.value();
    std::vector<double> free_bytes(p.dimms, p.dimm_capacity.value());
    std::vector<std::size_t> open;
    open.reserve(p.dimms);
    for (const auto& [l, i] : all) {
      const double b = p.layers[l].neuron_bytes.value();
      if (b <= room) {
        out[l].cached.set(i);
        room -= b;
      }
      open.clear();
      for (std::size_t j = 0; j < p.dimms; ++j)
        if (free_bytes[j] >= b) open.push_back(j);
      if (open.empty())
        throw capacity_exceeded("random placement: no DIMM has room for neuron " + std::to_string(i) +
                                " of " + p.layers[l].name);
      const std::size_t j = open[std::uniform_int_distribution<std::size_t>(0, open.size() - 1)(rng)];
      out[l].home[i] = cold_device(j);
      free_bytes[j] -= b;
    }
    return finish_placement(p, std::move(out), placement_method::random, lp.bound, started);
  }
};

}  // namespace hermes
