#pragma once
// What a device is, kept apart from the device type (the CuTe / Kokkos way): the engine and the
// reports ask these traits, never "which type are you?". A device header specialises
// device_traits for its own type; a user's device without a specialisation gets the documented
// default below.
#include <string_view>

#include "hermes/core/ledger.hpp"

namespace hermes {

template <class Device>
struct device_traits {
  // The ledger kind of the device's resources: a plain compute device by default.
  static constexpr resource_kind kind = resource_kind::compute;
  // The prefix of its instance names in a device_set ("dev0", "dev1", ...).
  static constexpr std::string_view prefix = "dev";
};

// A device whose compute sits beside the memory it reads (NDP-DIMM, PIM): the engine records the
// per-device activation loads of such devices, the quantity window remapping balances.
template <class Device>
inline constexpr bool is_near_memory_v = device_traits<Device>::kind == resource_kind::near_memory;

}  // namespace hermes
