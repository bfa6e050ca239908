#pragma once
// The active neurons of one layer, grouped by the device that computes them.
//
// Both halves of a sparse layer start here: the math runs one partial product per device over
// that device's neurons, and the cost model charges one GEMV per device over the same neurons.
// Building the grouping once and handing it to both is what keeps the charged work and the
// computed work identical.
//
// Charging alone needs only how many active neurons each device computes (a GEMV's cost depends
// on how many chunks it reads; on which ones only when the cost options give chunk addresses).
// The timing-only simulator therefore charges from device_neuron_counts, which counts 64 neurons
// per word operation from the placement's home masks (map/home_masks.hpp) without listing them.
#include <algorithm>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hermes/core/mask_bits.hpp"
#include "hermes/core/neuron_mask.hpp"
#include "hermes/core/error.hpp"
#include "hermes/map/home_masks.hpp"
#include "hermes/core/placement.hpp"

namespace hermes {

// What charging a sparse layer needs from a grouping of its active neurons: the device count, the
// layer's size and how many active neurons each device computes (device_neurons,
// device_neuron_counts).
template <class G>
concept neuron_grouping = requires(const G& g, device_index d) {
  { g.devices() } -> std::convertible_to<std::size_t>;
  { g.layer_neurons() } -> std::convertible_to<std::size_t>;
  { g.count(d) } -> std::convertible_to<std::size_t>;
};

// A grouping that also knows, per device, how many (neuron, sequence) products its GEMV
// computes: a neuron of a batch is multiplied only with the sequences that fire it
// (device_neuron_counts built with the batch's firing-count planes). Charging sets
// gemv_work::products from it; other groupings multiply every neuron with every sequence.
template <class G>
concept sequence_weighted_grouping = neuron_grouping<G> && requires(const G& g, device_index d) {
  { g.products(d) } -> std::convertible_to<std::size_t>;
};

// A grouping that also lists each device's active neurons (device_neurons): what the math path
// computes over, and what charging needs when chunk addresses matter.
template <class G>
concept neuron_listing = neuron_grouping<G> && requires(const G& g, device_index d) {
  { g.on(d) } -> std::convertible_to<std::span<const std::uint32_t>>;
};

class device_neurons {
 public:
  device_neurons() = default;

  // Groups the set neurons of `active` by placement.compute_device(i), for devices 0..devices-1.
  device_neurons(const neuron_mask& active, const layer_placement& placement, std::size_t devices)
      : layer_neurons_(placement.neurons()), begin_(devices + 1, 0) {
    check_placement(placement, devices);
    if (active.size() != placement.neurons())
      throw invalid_parameter("active neuron mask size", std::to_string(active.size()),
                              "the layer's neuron count " + std::to_string(placement.neurons()));
    // One pass over the active neurons, ascending, appends each to its device's run in a
    // per-thread scratch buffer (one run per device, each as long as the layer, so no run can
    // overflow); the runs are then copied out device by device. Neurons stay ascending within
    // each device, so the summation order of a device's partial does not depend on how the mask
    // was produced. (A counting sort needs a second pass over the mask: measured on a 28672-
    // neuron layer, 9 devices, a third active, 21 us per grouping against 12.5 us for this.)
    // Only the active neurons' devices are checked (per call, O(active)): the simulator groups
    // every layer of every token, so a whole-layer validation here would dominate it.
    const auto& a = active.words();
    const auto& c = placement.cached.words();
    const std::size_t run = active.size();  // room for every neuron of the layer
    std::vector<std::uint32_t>& out = scratch();
    if (out.size() < devices * run) out.resize(devices * run);
    std::size_t* cursor = begin_.data();  // each device's write position, for now
    for (std::size_t d = 0; d < devices; ++d) cursor[d] = d * run;
    std::uint32_t* to = out.data();
    const device_index fast = placement.fast_device;
    const device_index* home = placement.home.data();
    for (std::size_t k = 0; k < a.size(); ++k)
      for (std::uint64_t m = a[k]; m != 0; m &= m - 1) {
        const auto b = static_cast<std::size_t>(std::countr_zero(m));
        const std::size_t i = k * 64 + b;
        const device_index d = (c[k] >> b) & 1u ? fast : home[i];
        if (d >= devices)
          throw invalid_parameter("layer_placement: device of neuron " + std::to_string(i),
                                  std::to_string(d), "a device below " + std::to_string(devices));
        to[cursor[d]++] = static_cast<std::uint32_t>(i);
      }
    std::size_t total = 0;
    for (std::size_t d = 0; d < devices; ++d) total += begin_[d] - d * run;
    neurons_.resize(total);
    std::size_t at = 0;
    for (std::size_t d = 0; d < devices; ++d) {
      const std::size_t count = begin_[d] - d * run;
      std::copy_n(out.begin() + static_cast<std::ptrdiff_t>(d * run), count,
                  neurons_.begin() + static_cast<std::ptrdiff_t>(at));
      begin_[d] = at;
      at += count;
    }
    begin_[devices] = at;
  }

  // The same from a list of neuron indices (any order, no duplicates).
  device_neurons(std::span<const std::uint32_t> active, const layer_placement& placement,
                 std::size_t devices)
      : device_neurons(to_mask(active, placement.neurons()), placement, devices) {}

  // Every neuron of the layer on one device (dense execution, reference runs).
  static device_neurons all_on(std::size_t neurons, device_index device, std::size_t devices) {
    neuron_mask all(neurons);
    all.fill();
    return device_neurons(all, layer_placement(neurons, device, device), devices);
  }

  [[nodiscard]] std::size_t devices() const { return begin_.empty() ? 0 : begin_.size() - 1; }
  [[nodiscard]] std::size_t layer_neurons() const { return layer_neurons_; }
  [[nodiscard]] std::size_t total() const { return neurons_.size(); }
  [[nodiscard]] std::size_t count(device_index d) const { return begin_.at(d + 1) - begin_.at(d); }
  // The active neurons computed by device d, ascending.
  [[nodiscard]] std::span<const std::uint32_t> on(device_index d) const {
    return std::span<const std::uint32_t>(neurons_).subspan(begin_.at(d), count(d));
  }
  // All active neurons, device by device; device d's are [offsets()[d], offsets()[d + 1]).
  [[nodiscard]] const std::vector<std::uint32_t>& neurons() const { return neurons_; }
  [[nodiscard]] const std::vector<std::size_t>& offsets() const { return begin_; }
  // Devices with at least one active neuron: the ones that produce a partial result.
  [[nodiscard]] std::size_t busy_devices() const {
    std::size_t n = 0;
    for (std::size_t d = 0; d < devices(); ++d) n += count(static_cast<device_index>(d)) > 0;
    return n;
  }

 private:
  static neuron_mask to_mask(std::span<const std::uint32_t> active, std::size_t neurons) {
    neuron_mask m(neurons);
    for (const std::uint32_t i : active) {
      if (i >= neurons)
        throw invalid_parameter("active neuron index", std::to_string(i),
                                "an index below the layer's " + std::to_string(neurons) +
                                    " neurons");
      if (m.test(i))
        throw invalid_parameter("active neuron index", std::to_string(i),
                                "each neuron listed once");
      m.set(i);
    }
    return m;
  }
  static void check_placement(const layer_placement& placement, std::size_t devices) {
    if (devices == 0) throw invalid_parameter("device count", "0", "at least 1 device");
    if (placement.cached.size() != placement.home.size())
      throw error("layer_placement: cached mask has " + std::to_string(placement.cached.size()) +
                  " neurons, home has " + std::to_string(placement.home.size()));
    if (any_bit(placement.cached.words()) && placement.fast_device >= devices)
      throw invalid_parameter("layer_placement.fast_device", std::to_string(placement.fast_device),
                              "a device below " + std::to_string(devices));
  }

  // The grouping's working space, reused by every grouping on this thread (the simulator builds
  // two per layer per token).
  static std::vector<std::uint32_t>& scratch() {
    thread_local std::vector<std::uint32_t> buffer;
    return buffer;
  }

  std::size_t layer_neurons_ = 0;
  std::vector<std::uint32_t> neurons_;
  std::vector<std::size_t> begin_;
};

// How many neurons of `active` each device computes: counts[d] for devices 0..counts.size()-1
// (what device_neurons(active, placement, counts.size()).count(d) gives, without listing them).
// Word by word; the devices of the active neurons are checked like device_neurons does.
inline void count_active_by_device(const neuron_mask& active, const layer_placement& placement,
                                   std::span<std::size_t> counts) {
  if (active.size() != placement.neurons() || placement.cached.size() != placement.neurons())
    throw invalid_parameter("active neuron mask size", std::to_string(active.size()),
                            "the layer's neuron count " + std::to_string(placement.neurons()) +
                                " (and a placement whose cached mask has as many)");
  std::fill(counts.begin(), counts.end(), std::size_t{0});
  const auto& a = active.words();
  const auto& c = placement.cached.words();
  const device_index* home = placement.home.data();
  std::size_t on_fast = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] == 0) continue;
    const std::uint64_t copies = a[k] & c[k];
    if (copies != 0) on_fast += count_bits(std::span<const std::uint64_t>(&copies, 1));
    for (std::uint64_t m = a[k] & ~c[k]; m != 0; m &= m - 1) {
      const std::size_t i = k * 64 + static_cast<std::size_t>(std::countr_zero(m));
      if (home[i] >= counts.size())
        throw invalid_parameter("layer_placement: device of neuron " + std::to_string(i), std::to_string(home[i]),
                                "a device below " + std::to_string(counts.size()));
      ++counts[home[i]];
    }
  }
  if (on_fast > 0) {
    if (placement.fast_device >= counts.size())
      throw invalid_parameter("layer_placement.fast_device", std::to_string(placement.fast_device),
                              "a device below " + std::to_string(counts.size()));
    counts[placement.fast_device] += on_fast;
  }
}

// The same counts from the placement's home masks (`homes` must equal home_masks(placement,
// counts.size()), which the code that changes homes keeps so): per device, the active neurons
// without a copy that it homes, plus the copies on the fast device, counted a word (64 neurons)
// at a time instead of looking up each active neuron's home.
inline void count_active_by_device(const neuron_mask& active, const layer_placement& placement,
                                   const home_masks& homes, std::span<std::size_t> counts) {
  if (active.size() != placement.neurons() || placement.cached.size() != placement.neurons() ||
      homes.neurons() != placement.neurons())
    throw invalid_parameter("active neuron mask size", std::to_string(active.size()),
                            "the layer's neuron count " + std::to_string(placement.neurons()) +
                                " (and a placement whose cached mask and home masks have as many)");
  if (counts.size() != homes.devices())
    throw invalid_parameter("count_active_by_device: counts.size()", std::to_string(counts.size()),
                            "the home masks' " + std::to_string(homes.devices()) + " devices");
  const std::uint64_t* a = active.words().data();
  const std::uint64_t* c = placement.cached.words().data();
  const std::size_t words = homes.words();
  for (std::size_t d = 0; d < counts.size(); ++d) {
    const auto dev = static_cast<device_index>(d);
    if (homes.homed_on(dev) == 0) {  // e.g. the GPU in Hermes: it holds copies, never homes
      counts[d] = 0;
      continue;
    }
    const std::uint64_t* h = homes.of(dev).data();
    counts[d] = count_bits_of(words, [&](std::size_t k) { return a[k] & ~c[k] & h[k]; });
  }
  const std::size_t on_fast = count_bits_of(words, [&](std::size_t k) { return a[k] & c[k]; });
  if (on_fast > 0) {
    if (placement.fast_device >= counts.size())
      throw invalid_parameter("layer_placement.fast_device", std::to_string(placement.fast_device),
                              "a device below " + std::to_string(counts.size()));
    counts[placement.fast_device] += on_fast;
  }
}

// How many active neurons each device computes, without listing them: the grouping the
// timing-only simulator charges (equal counts to device_neurons over the same mask and placement).
//
// With a batch, `extra_firings` may give the neurons' firing counts: plane p holds bit p of
// (sequences that fire the neuron - 1) for the neurons some sequence fires (0 elsewhere;
// batch_activations::next_extra_firings). Each computed neuron is then multiplied with
// 1 + that value sequences (at least one: a neuron computed although no sequence fires it, a
// predictor's false positive, was predicted for at least one), and products(d) is the sum over
// the device's computed neurons. Without planes products(d) is 0: every neuron with every
// sequence (gemv_work::products).
class device_neuron_counts {
 public:
  device_neuron_counts(const neuron_mask& active, const layer_placement& placement, const home_masks& homes,
                       std::span<const neuron_mask* const> extra_firings = {})
      : layer_neurons_(placement.neurons()), counts_(homes.devices()), products_(homes.devices(), 0) {
    count_active_by_device(active, placement, homes, counts_);
    if (extra_firings.empty()) return;
    const std::uint64_t* a = active.words().data();
    const std::uint64_t* c = placement.cached.words().data();
    const std::size_t words = homes.words();
    for (std::size_t p = 0; p < extra_firings.size(); ++p)
      if (extra_firings[p] == nullptr || extra_firings[p]->size() != placement.neurons())
        throw invalid_parameter("device_neuron_counts extra_firings plane " + std::to_string(p) + " size",
                                extra_firings[p] ? std::to_string(extra_firings[p]->size()) : "null",
                                "the layer's neuron count " + std::to_string(placement.neurons()));
    for (std::size_t d = 0; d < counts_.size(); ++d) {
      if (counts_[d] == 0) continue;
      const auto dev = static_cast<device_index>(d);
      const bool fast = placement.fast_device == dev;
      const bool homes_some = homes.homed_on(dev) != 0;
      const std::uint64_t* h = homes_some ? homes.of(dev).data() : nullptr;
      std::size_t extra = 0;
      for (std::size_t p = 0; p < extra_firings.size(); ++p) {
        const std::uint64_t* e = extra_firings[p]->words().data();
        const std::size_t n = count_bits_of(words, [&](std::size_t k) {
          const std::uint64_t on = (h ? (~c[k] & h[k]) : 0) | (fast ? c[k] : 0);
          return a[k] & e[k] & on;
        });
        extra += n << p;
      }
      products_[d] = counts_[d] + extra;
    }
  }

  [[nodiscard]] std::size_t devices() const { return counts_.size(); }
  [[nodiscard]] std::size_t layer_neurons() const { return layer_neurons_; }
  [[nodiscard]] std::size_t count(device_index d) const { return counts_.at(d); }
  // (neuron, sequence) products device d computes; 0 = count(d) x batch (see the constructor).
  [[nodiscard]] std::size_t products(device_index d) const { return products_.at(d); }
  [[nodiscard]] std::size_t total() const {
    std::size_t n = 0;
    for (const std::size_t c : counts_) n += c;
    return n;
  }
  [[nodiscard]] std::size_t busy_devices() const {
    std::size_t n = 0;
    for (const std::size_t c : counts_) n += c > 0;
    return n;
  }

 private:
  std::size_t layer_neurons_ = 0;
  std::vector<std::size_t> counts_;
  std::vector<std::size_t> products_;
};

// The number of devices a placement refers to (1 + the largest device index it uses).
[[nodiscard]] inline std::size_t devices_used(const layer_placement& placement) {
  std::size_t d = 0;
  for (const device_index h : placement.home) d = std::max<std::size_t>(d, h);
  if (placement.cached.count() > 0) d = std::max<std::size_t>(d, placement.fast_device);
  return d + 1;
}

}  // namespace hermes
