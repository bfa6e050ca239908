#pragma once
// What a remapper is (Sec IV-D: cold neurons moved between cold devices to balance their load),
// and the two policies a split system picks from: Algorithm 1 every window, or none.
//
// The engine makes one remapper per layer stage (`policy.make(neurons, cold_devices, link,
// window)`), hands it every token's true activations (`record(fired)`, true when a window is
// complete) and then lets it move homes:
//   remap(placement, homes, neuron_bytes, occupancy, ledger, sender_links, ready) -> remap_report
#include <concepts>
#include <cstddef>
#include <vector>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/link.hpp"
#include "hermes/map/dimm_occupancy.hpp"
#include "hermes/map/home_masks.hpp"
#include "hermes/core/placement.hpp"
#include "hermes/map/window_remapper.hpp"

namespace hermes {

// The ledger resource of the link a cold device sends on (its own DIMM-link, Sec IV-A): cold
// devices are device indices 1..D, their links ids[0..D-1].
struct sender_links {
  const std::vector<ledger::resource_id>* ids = nullptr;
  [[nodiscard]] ledger::resource_id operator()(device_index from, device_index) const { return (*ids)[from - 1]; }
};

template <class R>
concept remapper = requires(R& r, const neuron_mask& fired, layer_placement& p, home_masks& homes,
                            bytes neuron_bytes, dimm_occupancy& occupancy, ledger& l, sender_links links,
                            seconds ready) {
  { r.record(fired) } -> std::same_as<bool>;
  { r.remap(p, homes, neuron_bytes, occupancy, l, links, ready) } -> std::same_as<remap_report>;
};

// A remapping policy: makes one stage's remapper.
template <class Policy>
concept remapping_policy = requires(const Policy& policy, std::size_t n, const link& l) {
  { policy.make(n, n, l, n) } -> remapper;
};

// Homes stay where the offline placement put them.
struct no_remapper {
  bool record(const neuron_mask&) { return false; }
  remap_report remap(layer_placement&, home_masks&, bytes, dimm_occupancy&, ledger&, sender_links,
                     seconds ready) {
    remap_report r;
    r.end = ready;
    return r;
  }
};

struct no_remapping_policy {
  [[nodiscard]] no_remapper make(std::size_t, std::size_t, const link&, std::size_t) const { return {}; }
};

// Algorithm 1 every `window` tokens over the cold devices' links.
struct window_remapping_policy {
  [[nodiscard]] window_remapper<link> make(std::size_t neurons, std::size_t cold_devices, const link& cold_link,
                                           std::size_t window) const {
    return window_remapper<link>(neurons, cold_devices, cold_link, window);
  }
};

static_assert(remapping_policy<no_remapping_policy> && remapping_policy<window_remapping_policy>);

}  // namespace hermes
