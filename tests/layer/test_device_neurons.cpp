#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "hermes/layer/device_neurons.hpp"
#include "hermes/map/home_masks.hpp"

using namespace hermes;

namespace {

// The grouping by definition: device by device, the active neurons it computes, ascending.
std::vector<std::vector<std::uint32_t>> brute_force(const neuron_mask& active, const layer_placement& p,
                                                    std::size_t devices) {
  std::vector<std::vector<std::uint32_t>> by_device(devices);
  for (std::size_t i = 0; i < active.size(); ++i)
    if (active.test(i)) by_device[p.compute_device(i)].push_back(static_cast<std::uint32_t>(i));
  return by_device;
}

}  // namespace

TEST_CASE("device_neurons groups like a per-neuron scan, any fast device and homes on it",
          "[layer][grouping]") {
  std::mt19937_64 rng(23);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = 1 + rng() % 1000, devices = 1 + rng() % 9;
    // The fast device is any device; homes may be on it too (whole layers on the GPU), so copies
    // and home-computed neurons of one device interleave within a word.
    layer_placement p(n, 0, static_cast<device_index>(rng() % devices));
    neuron_mask active(n);
    const unsigned density = 1 + static_cast<unsigned>(rng() % 8);
    for (std::size_t i = 0; i < n; ++i) {
      p.home[i] = static_cast<device_index>(rng() % devices);
      if (rng() % 3 == 0) p.cached.set(i);
      if (rng() % density == 0) active.set(i);
    }
    const device_neurons g(active, p, devices);
    const auto want = brute_force(active, p, devices);
    REQUIRE(g.devices() == devices);
    CHECK(g.layer_neurons() == n);
    CHECK(g.total() == active.count());
    CHECK(g.offsets().front() == 0);
    CHECK(g.offsets().back() == g.total());
    for (std::size_t d = 0; d < devices; ++d) {
      const auto on = g.on(static_cast<device_index>(d));
      CHECK(std::vector<std::uint32_t>(on.begin(), on.end()) == want[d]);
    }
  }
}

TEST_CASE("device_neurons checks the devices of active neurons only", "[layer][grouping]") {
  layer_placement p(130, 1, 0);
  p.home[100] = 7;  // outside 2 devices, but inactive below
  neuron_mask active(130);
  active.set(3);
  active.set(129);
  CHECK_NOTHROW(device_neurons(active, p, 2));
  active.set(100);
  CHECK_THROWS_WITH(device_neurons(active, p, 2), Catch::Contains("device of neuron 100"));
  // A copy on a fast device that does not exist.
  layer_placement q(130, 1, 5);
  q.cached.set(3);
  active.reset(100);
  CHECK_THROWS_WITH(device_neurons(active, q, 2), Catch::Contains("fast_device"));
  // No copies: the fast device is never used, whatever it is.
  layer_placement r(130, 1, 5);
  const device_neurons g(active, r, 2);
  CHECK(g.count(1) == 2);
  CHECK(g.count(0) == 0);
}

TEST_CASE("count_active_by_device equals the grouping's per-device counts", "[layer][grouping]") {
  std::mt19937_64 rng(29);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = 1 + rng() % 1000, devices = 1 + rng() % 9;
    layer_placement p(n, 0, static_cast<device_index>(rng() % devices));
    neuron_mask active(n);
    for (std::size_t i = 0; i < n; ++i) {
      p.home[i] = static_cast<device_index>(rng() % devices);
      if (rng() % 3 == 0) p.cached.set(i);
      if (rng() % 3 == 0) active.set(i);
    }
    std::vector<std::size_t> counts(devices, 99);  // stale values are overwritten
    count_active_by_device(active, p, counts);
    const device_neurons g(active, p, devices);
    for (std::size_t d = 0; d < devices; ++d) CHECK(counts[d] == g.count(static_cast<device_index>(d)));
  }
  layer_placement p(70, 3, 0);
  neuron_mask active(70);
  active.set(69);
  std::vector<std::size_t> two(2);
  CHECK_THROWS_WITH(count_active_by_device(active, p, two), Catch::Contains("device of neuron 69"));
  CHECK_THROWS_WITH(count_active_by_device(neuron_mask(69), p, two), Catch::Contains("mask size"));
  layer_placement q(70, 1, 4);
  q.cached.set(69);
  CHECK_THROWS_WITH(count_active_by_device(active, q, two), Catch::Contains("fast_device"));
}

static_assert(neuron_listing<device_neurons>, "the math path's grouping lists its neurons");
static_assert(neuron_grouping<device_neuron_counts>);
static_assert(!neuron_listing<device_neuron_counts>, "counts only: which neurons is not known");
static_assert(!neuron_grouping<neuron_mask>, "a mask is not grouped by device");

TEST_CASE("count_active_by_device from home masks equals the per-neuron count", "[layer][grouping]") {
  std::mt19937_64 rng(31);
  for (int round = 0; round < 300; ++round) {
    // Sizes on and off word boundaries, any fast device, homes on the fast device too, and
    // devices that home nothing (skipped by the count).
    const std::size_t n = 1 + rng() % 1100, devices = 1 + rng() % 9;
    layer_placement p(n, 0, static_cast<device_index>(rng() % devices));
    neuron_mask active(n);
    const std::size_t used = 1 + rng() % devices;
    const unsigned density = 1 + static_cast<unsigned>(rng() % 8);
    for (std::size_t i = 0; i < n; ++i) {
      p.home[i] = static_cast<device_index>(rng() % used);
      if (rng() % 3 == 0) p.cached.set(i);
      if (rng() % density == 0) active.set(i);
    }
    const home_masks homes(p, devices);
    std::vector<std::size_t> by_masks(devices, 99), by_neuron(devices, 77);
    count_active_by_device(active, p, homes, by_masks);
    count_active_by_device(active, p, by_neuron);
    REQUIRE(by_masks == by_neuron);
    const device_neuron_counts counts(active, p, homes);
    const device_neurons listed(active, p, devices);
    REQUIRE(counts.devices() == devices);
    CHECK(counts.layer_neurons() == n);
    CHECK(counts.total() == listed.total());
    CHECK(counts.busy_devices() == listed.busy_devices());
    for (std::size_t d = 0; d < devices; ++d)
      CHECK(counts.count(static_cast<device_index>(d)) == listed.count(static_cast<device_index>(d)));
  }
}

TEST_CASE("count_active_by_device from home masks: bad input", "[layer][grouping]") {
  layer_placement p(70, 1, 0);
  const home_masks homes(p, 2);
  neuron_mask active(70);
  active.set(69);
  std::vector<std::size_t> three(3);
  CHECK_THROWS_WITH(count_active_by_device(active, p, homes, three), Catch::Contains("counts.size()"));
  std::vector<std::size_t> two(2);
  CHECK_THROWS_WITH(count_active_by_device(neuron_mask(69), p, homes, two), Catch::Contains("mask size"));
  const home_masks other(layer_placement(71, 1, 0), 2);
  CHECK_THROWS_WITH(count_active_by_device(active, p, other, two), Catch::Contains("home masks"));
  layer_placement q(70, 1, 4);  // a copy on a fast device that does not exist
  q.cached.set(69);
  CHECK_THROWS_WITH(count_active_by_device(active, q, home_masks(q, 2), two), Catch::Contains("fast_device"));
  q.cached.reset(69);  // no copies: the fast device is never used
  count_active_by_device(active, q, home_masks(q, 2), two);
  CHECK(two == std::vector<std::size_t>{0, 1});
}
