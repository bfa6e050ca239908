#pragma once
// Where the neurons of one layer live and which device computes each.
//
// Devices are numbered by the system that owns them; a split system numbers its hot device
// (Hermes' GPU) 0 and its cold devices (Hermes' NDP-DIMMs) 1..D. Every neuron has exactly one home (the memory that stores it; in Hermes always a DIMM,
// which keeps every neuron). A neuron may additionally have a copy on the fast device (the
// GPU's hot set); it is then computed there. Eviction of a copy is an overwrite, not a move.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/neuron_mask.hpp"

namespace hermes {

using device_index = std::uint16_t;

// The device that holds the hot neurons' copies (the GPU in Hermes), and cold device j
// (0-based; an NDP-DIMM in Hermes, the host CPU in Hermes-host) in a split system's numbering.
inline constexpr device_index hot_device = 0;
[[nodiscard]] constexpr device_index cold_device(std::size_t j) {
  return static_cast<device_index>(j + 1);
}

struct layer_placement {
  std::vector<device_index> home;  // home[i]: the device storing neuron i
  neuron_mask cached;              // cached.test(i): a copy of neuron i is on the fast device
  device_index fast_device = 0;    // the device that holds the copies (the GPU)

  layer_placement() = default;
  layer_placement(std::size_t neurons, device_index home_device, device_index fast = 0)
      : home(neurons, home_device), cached(neurons), fast_device(fast) {}

  [[nodiscard]] std::size_t neurons() const { return home.size(); }
  // The device that computes neuron i.
  [[nodiscard]] device_index compute_device(std::size_t i) const {
    return cached.test(i) ? fast_device : home[i];
  }
  [[nodiscard]] std::size_t count_on(device_index d) const {
    std::size_t c = 0;
    for (std::size_t i = 0; i < home.size(); ++i) c += compute_device(i) == d;
    return c;
  }
  // Throws unless the placement is consistent with `devices` devices.
  void validate(std::size_t devices) const {
    if (cached.size() != home.size())
      throw error("layer_placement: cached mask has " + std::to_string(cached.size()) +
                  " neurons, home has " + std::to_string(home.size()));
    for (std::size_t i = 0; i < home.size(); ++i)
      if (home[i] >= devices)
        throw error("layer_placement: neuron " + std::to_string(i) + " has home device " +
                    std::to_string(home[i]) + ", but there are only " + std::to_string(devices));
  }
};

}  // namespace hermes
