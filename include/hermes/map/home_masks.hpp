#pragma once
// The homes of one layer's neurons as one neuron mask per device: bit i of device d's mask is set
// iff placement.home[i] == d.
//
// The simulator counts a layer's active neurons per device for every layer of every token (the
// GEMV sizes it charges, the window loads it records). From the per-neuron homes that is a lookup
// per active neuron; from these masks it is a few word operations per 64 neurons and device
// (count_active_by_device, device_neuron_counts in layer/device_neurons.hpp), and the window
// remapper finds a DIMM's neurons of a given count the same way.
//
// The masks are a copy of what layer_placement::home says, so the code that changes a home keeps
// them equal to home_masks(placement, devices()) by calling move() with it: in the simulator only
// the window remapper changes homes (the hot/cold adjuster changes copies, which live in
// placement.cached, not homes). matches() checks the invariant; the tests pin it.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/placement.hpp"

namespace hermes {

class home_masks {
 public:
  home_masks() = default;

  // The masks of `placement`'s homes over devices 0..devices-1; throws if a home is not below
  // `devices`.
  home_masks(const layer_placement& placement, std::size_t devices)
      : neurons_(placement.neurons()), words_((placement.neurons() + 63) / 64), devices_(devices),
        masks_(devices * words_, 0), homed_(devices, 0) {
    require_positive("home_masks.devices", devices);
    for (std::size_t i = 0; i < neurons_; ++i) {
      const device_index d = placement.home[i];
      if (d >= devices)
        throw invalid_parameter("layer_placement: home of neuron " + std::to_string(i), std::to_string(d),
                                "a device below " + std::to_string(devices));
      masks_[d * words_ + i / 64] |= std::uint64_t{1} << (i % 64);
      ++homed_[d];
    }
  }

  [[nodiscard]] std::size_t devices() const { return devices_; }
  [[nodiscard]] std::size_t neurons() const { return neurons_; }
  // Words per mask: (neurons + 63) / 64; bits past the last neuron are clear.
  [[nodiscard]] std::size_t words() const { return words_; }
  // Device d's mask: the neurons whose home is d.
  [[nodiscard]] std::span<const std::uint64_t> of(device_index d) const {
    return std::span<const std::uint64_t>(masks_).subspan(checked(d) * words_, words_);
  }
  // How many neurons have their home on device d (a device without any has an empty mask, which
  // counting can skip).
  [[nodiscard]] std::size_t homed_on(device_index d) const { return homed_[checked(d)]; }

  // Neuron i's home changes from `from` to `to`: the one call a home change needs to keep the
  // masks equal to the placement. Throws if i's home is not `from` here (masks out of step).
  void move(std::size_t i, device_index from, device_index to) {
    if (i >= neurons_)
      throw invalid_parameter("home_masks::move neuron", std::to_string(i),
                              "an index below " + std::to_string(neurons_));
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    std::uint64_t& from_word = masks_[checked(from) * words_ + i / 64];
    std::uint64_t& to_word = masks_[checked(to) * words_ + i / 64];  // checked before anything changes
    if ((from_word & bit) == 0)
      throw error("home_masks::move: neuron " + std::to_string(i) + " is not homed on device " +
                  std::to_string(from));
    from_word &= ~bit;
    to_word |= bit;
    --homed_[from];
    ++homed_[to];
  }

  // Whether these are exactly the masks of `placement`'s homes (the invariant move() keeps).
  [[nodiscard]] bool matches(const layer_placement& placement) const {
    if (placement.neurons() != neurons_) return false;
    for (std::size_t i = 0; i < neurons_; ++i) {
      const device_index d = placement.home[i];
      if (d >= devices_ || ((masks_[d * words_ + i / 64] >> (i % 64)) & 1u) == 0) return false;
    }
    // Every neuron's bit is set in its home's mask; as many bits as neurons rules out bits set
    // in other masks, and each device's count must be its mask's bits.
    std::size_t bits = 0;
    for (std::size_t d = 0; d < devices_; ++d) {
      std::size_t on_d = 0;
      for (std::size_t k = 0; k < words_; ++k)
        on_d += static_cast<std::size_t>(std::popcount(masks_[d * words_ + k]));
      if (on_d != homed_[d]) return false;
      bits += on_d;
    }
    return bits == neurons_;
  }

 private:
  [[nodiscard]] std::size_t checked(device_index d) const {
    if (d >= devices_)
      throw invalid_parameter("home_masks device", std::to_string(d),
                              "a device below " + std::to_string(devices_));
    return d;
  }

  std::size_t neurons_ = 0;
  std::size_t words_ = 0;
  std::size_t devices_ = 0;
  std::vector<std::uint64_t> masks_;  // device d's mask is words [d * words_, (d + 1) * words_)
  std::vector<std::size_t> homed_;    // [d]: set bits of device d's mask
};

}  // namespace hermes
