#pragma once
// Hermes-base (Sec V-A): "FC layers on the GPU while their weights fit, else on the NDP-DIMMs".
// No activation sparsity drives it: whole split stages (a layer's QKV, then its MLP) get GPU
// copies in execution order until the GPU budget is spent; every neuron keeps a home DIMM,
// spread evenly over the DIMMs in round robin.
#include <chrono>
#include <cstddef>
#include <vector>

#include "hermes/map/lp_relaxation.hpp"
#include "hermes/map/offline_placement.hpp"
#include "hermes/map/placement_problem.hpp"

namespace hermes {

struct layer_fill_mapper {
  [[nodiscard]] std::uint64_t memo_key() const { return mapper_key_seed("layer_fill"); }
  [[nodiscard]] placement_result place(const placement_problem& p) const {
    const auto started = std::chrono::steady_clock::now();
    const lp_relaxation lp = solve_lp_relaxation(p);  // validates; the bound for the report
    std::vector<layer_placement> out;
    double room = p.gpu_capacity.value();
    std::vector<double> free_bytes(p.dimms, p.dimm_capacity.value());
    std::size_t next = 0;
    for (const auto& L : p.layers) {
      layer_placement lp_l(L.neurons(), cold_device(0), hot_device);
      const double b = L.neuron_bytes.value();
      const double stage = b * static_cast<double>(L.neurons());
      if (stage <= room) {
        lp_l.cached.fill();
        room -= stage;
      }
      for (std::size_t i = 0; i < L.neurons(); ++i) {
        std::size_t tries = 0;
        while (free_bytes[next] < b && tries < p.dimms) next = (next + 1) % p.dimms, ++tries;
        if (free_bytes[next] < b)
          throw capacity_exceeded("layer_fill_mapper: no DIMM has room for neuron " + std::to_string(i) +
                                  " of " + L.name);
        lp_l.home[i] = cold_device(next);
        free_bytes[next] -= b;
        next = (next + 1) % p.dimms;
      }
      out.push_back(std::move(lp_l));
    }
    return finish_placement(p, std::move(out), placement_method::layer_fill, lp.bound, started);
  }
};
static_assert(offline_mapper<layer_fill_mapper>);

}  // namespace hermes
