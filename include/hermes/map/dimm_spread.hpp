#pragma once
// From a GPU/DIMM split to a full Hermes placement: give every neuron a home DIMM.
//
// Cold neurons (no GPU copy) load the DIMM they live on, so they are spread per layer with the
// longest-processing-time rule: hottest first, each onto the currently least-loaded DIMM that has
// room. Neurons that never fired add no load; they, and the neurons with a GPU copy, go to the DIMM
// with the most free bytes so that memory stays even for later layers and for online remapping.
#include <cstdint>
#include <string>
#include <vector>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/placement.hpp"
#include "hermes/map/placement_problem.hpp"

namespace hermes {

// `order[l]`: the neurons of layer l by decreasing frequency (frequency_order()).
[[nodiscard]] inline std::vector<layer_placement> spread_over_dimms(
    const placement_problem& p, const std::vector<neuron_mask>& gpu,
    const std::vector<std::vector<std::uint32_t>>& order) {
  const std::size_t D = p.dimms;
  std::vector<double> free_bytes(D, p.dimm_capacity.value());
  std::vector<layer_placement> out;
  out.reserve(p.layers.size());
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    const auto& L = p.layers[l];
    const double b = L.neuron_bytes.value();
    layer_placement lp(L.neurons(), cold_device(0), hot_device);
    lp.cached = gpu[l];
    std::vector<double> load(D, 0.0);
    auto most_free = [&]() {
      std::size_t best = D;
      for (std::size_t j = 0; j < D; ++j)
        if (free_bytes[j] >= b && (best == D || free_bytes[j] > free_bytes[best])) best = j;
      return best;
    };
    auto least_loaded = [&]() {
      std::size_t best = D;
      for (std::size_t j = 0; j < D; ++j)
        if (free_bytes[j] >= b &&
            (best == D || load[j] < load[best] || (load[j] == load[best] && free_bytes[j] > free_bytes[best])))
          best = j;
      return best;
    };
    for (std::uint32_t i : order[l]) {
      const bool cold = !gpu[l].test(i);
      const double f = L.frequency[i];
      const std::size_t j = (cold && f > 0.0) ? least_loaded() : most_free();
      if (j == D)
        throw capacity_exceeded("placement: no DIMM has room for neuron " + std::to_string(i) + " of " +
                                L.name + " (" + to_text(b) + " B); the DIMMs are too full to "
                                "hold whole neurons");
      lp.home[i] = cold_device(j);
      free_bytes[j] -= b;
      if (cold) load[j] += f;
    }
    out.push_back(std::move(lp));
  }
  return out;
}

}  // namespace hermes
