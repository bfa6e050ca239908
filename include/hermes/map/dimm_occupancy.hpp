#pragma once
// Bytes stored on each NDP-DIMM across all layers: what online remapping must respect when it
// moves a neuron's home from one DIMM to another.
#include <cstddef>
#include <string>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"
#include "hermes/core/placement.hpp"

namespace hermes {

class dimm_occupancy {
 public:
  dimm_occupancy(std::size_t dimms, bytes capacity_per_dimm) : used_(dimms), capacity_(capacity_per_dimm) {
    require_positive("dimm_occupancy.dimms", dimms);
    require_positive("dimm_occupancy.capacity", capacity_per_dimm.value());
  }

  // The occupancy of a Hermes placement (devices 1..D are the DIMMs; every neuron has a home).
  static dimm_occupancy of(const std::vector<layer_placement>& layers, const std::vector<bytes>& neuron_bytes,
                           std::size_t dimms, bytes capacity_per_dimm) {
    if (neuron_bytes.size() != layers.size())
      throw invalid_parameter("dimm_occupancy::of.neuron_bytes.size()", std::to_string(neuron_bytes.size()),
                              std::to_string(layers.size()) + " (one per layer)");
    dimm_occupancy o(dimms, capacity_per_dimm);
    for (std::size_t l = 0; l < layers.size(); ++l)
      for (device_index h : layers[l].home) o.add(h, neuron_bytes[l]);
    return o;
  }

  [[nodiscard]] std::size_t dimms() const { return used_.size(); }
  [[nodiscard]] bytes capacity() const { return capacity_; }
  [[nodiscard]] bytes used(device_index dimm) const { return used_[slot(dimm)]; }
  [[nodiscard]] bool fits(device_index dimm, bytes b) const { return used_[slot(dimm)] + b <= capacity_; }

  // Adds a neuron's bytes to its home; throws capacity_exceeded if the DIMM is full.
  void add(device_index dimm, bytes b) {
    if (!fits(dimm, b))
      throw capacity_exceeded("DIMM " + std::to_string(dimm) + " is full: " +
                              to_text(used_[slot(dimm)].value()) + " B used of " +
                              to_text(capacity_.value()) + " B, " + to_text(b.value()) +
                              " B more requested");
    used_[slot(dimm)] += b;
  }
  void move(device_index from, device_index to, bytes b) {
    add(to, b);
    used_[slot(from)] -= b;
  }

 private:
  [[nodiscard]] std::size_t slot(device_index dimm) const {
    if (dimm < 1 || dimm > used_.size())
      throw invalid_parameter("DIMM device", std::to_string(dimm), "1.." + std::to_string(used_.size()));
    return dimm - 1u;
  }
  std::vector<bytes> used_;
  bytes capacity_;
};

}  // namespace hermes
