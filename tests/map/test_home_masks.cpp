#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "hermes/layer/device_neurons.hpp"
#include "hermes/map/home_masks.hpp"
#include "hermes/map/hot_cold_adjuster.hpp"
#include "hermes/map/placement_problem.hpp"  // cold_device()
#include "hermes/map/window_remapper.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {

struct mock_link {
  [[nodiscard]] std::string_view name() const { return "mock link"; }
  [[nodiscard]] device_cost transfer(bytes b) const {
    device_cost c;
    c.time = b / 25_GBps;
    c.bytes_moved = b;
    return c;
  }
};

// The masks by definition: bit i of device d's mask iff home[i] == d.
void require_masks_of(const home_masks& h, const layer_placement& p, std::size_t devices) {
  REQUIRE(h.devices() == devices);
  REQUIRE(h.neurons() == p.neurons());
  REQUIRE(h.words() == (p.neurons() + 63) / 64);
  for (std::size_t d = 0; d < devices; ++d) {
    const auto mask = h.of(static_cast<device_index>(d));
    std::size_t homed = 0;
    for (std::size_t k = 0; k < h.words(); ++k)
      for (std::size_t b = 0; b < 64; ++b) {
        const std::size_t i = k * 64 + b;
        const bool set = (mask[k] >> b) & 1u;
        CHECK(set == (i < p.neurons() && p.home[i] == d));  // nothing past the last neuron
        homed += set;
      }
    CHECK(h.homed_on(static_cast<device_index>(d)) == homed);
  }
}

}  // namespace

TEST_CASE("home_masks: one mask per device, bit i set iff home[i] is that device", "[map][home_masks]") {
  std::mt19937_64 rng(41);
  for (int round = 0; round < 100; ++round) {
    const std::size_t n = 1 + rng() % 700, devices = 1 + rng() % 9;
    layer_placement p(n, 0);
    for (std::size_t i = 0; i < n; ++i) p.home[i] = static_cast<device_index>(rng() % devices);
    const home_masks h(p, devices);
    require_masks_of(h, p, devices);
    CHECK(h.matches(p));
  }
}

TEST_CASE("home_masks: move keeps the masks equal to the homes; matches() sees any difference",
          "[map][home_masks]") {
  std::mt19937_64 rng(43);
  const std::size_t n = 300, devices = 5;
  layer_placement p(n, 1);
  for (std::size_t i = 0; i < n; ++i) p.home[i] = static_cast<device_index>(rng() % devices);
  home_masks h(p, devices);
  for (int step = 0; step < 500; ++step) {
    const std::size_t i = rng() % n;
    const auto to = static_cast<device_index>(rng() % devices);
    h.move(i, p.home[i], to);
    p.home[i] = to;
    REQUIRE(h.matches(p));
  }
  require_masks_of(h, p, devices);
  // A home changed without telling the masks: out of step.
  layer_placement q = p;
  q.home[7] = static_cast<device_index>((q.home[7] + 1) % devices);
  CHECK_FALSE(h.matches(q));
  CHECK_FALSE(h.matches(layer_placement(n + 1, 1)));
}

TEST_CASE("home_masks: bad input", "[map][home_masks]") {
  layer_placement p(70, 2);
  CHECK_THROWS_WITH(home_masks(p, 2), Catch::Contains("home of neuron 0"));
  CHECK_THROWS_WITH(home_masks(p, 0), Catch::Contains("home_masks.devices"));
  home_masks h(p, 3);
  CHECK_THROWS_WITH(h.move(5, 1, 2), Catch::Contains("not homed on device 1"));
  CHECK_THROWS_WITH(h.move(70, 2, 1), Catch::Contains("an index below 70"));
  CHECK_THROWS_WITH(h.move(5, 2, 3), Catch::Contains("a device below 3"));
  CHECK_THROWS_WITH(h.of(3), Catch::Contains("a device below 3"));
  CHECK(h.matches(p));  // a failed move changes nothing
}

// The simulator's invariant: the engine keeps one home_masks per stage, the window remapper moves
// homes (updating the masks) and the hot/cold adjuster changes copies (which the masks do not
// hold). After any sequence of both, the masks are those of the placement, and the per-device
// counts taken from them are the per-neuron grouping's.
TEST_CASE("home_masks: equal to the placement's homes after random remaps and hot/cold adjustments",
          "[map][home_masks]") {
  std::mt19937_64 rng(47);
  std::size_t moves = 0;
  for (int round = 0; round < 30; ++round) {
    const std::size_t n = 64 + rng() % 600, D = 2 + rng() % 7, devices = D + 1;
    const std::size_t window = 1 + rng() % 5;
    const bytes nb = 1_KiB;
    layer_placement p(n, cold_device(0), 0);
    for (std::size_t i = 0; i < n; ++i) {
      p.home[i] = cold_device(std::min<std::size_t>(rng() % D, rng() % D));  // skewed: pairs move
      if (rng() % 6 == 0) p.cached.set(i);
    }
    const std::size_t gpu_budget = p.cached.count();
    home_masks homes(p, devices);
    auto occupancy = dimm_occupancy::of({p}, {nb}, D, nb * static_cast<double>(n));
    window_remapper<mock_link> remapper(n, D, mock_link{}, window);
    const hot_cold_adjuster<mock_link> adjuster(mock_link{}, 0);
    ledger l;
    const auto link = l.add_resource("link", resource_kind::link);
    for (std::size_t token = 0; token < 6 * window; ++token) {
      neuron_mask fired(n);
      for (std::size_t i = 0; i < n; ++i)
        if (rng() % (i < n / 6 ? 2 : 5) == 0) fired.set(i);
      std::vector<std::uint8_t> states(n);
      for (auto& s : states) s = static_cast<std::uint8_t>(rng() % 16);
      const std::vector<device_index> homes_before = p.home;
      adjuster.adjust(p, std::span<const std::uint8_t>(states), gpu_budget, nb, l, 0_s);
      CHECK(p.home == homes_before);  // copies only
      if (remapper.record(fired)) moves += remapper.remap(p, homes, nb, occupancy, l, link, 0_s).moves.size();
      REQUIRE(homes.matches(p));
      std::vector<std::size_t> by_masks(devices), by_neuron(devices);
      count_active_by_device(fired, p, homes, by_masks);
      count_active_by_device(fired, p, by_neuron);
      REQUIRE(by_masks == by_neuron);
    }
    require_masks_of(homes, p, devices);
  }
  CHECK(moves > 0);  // the skewed homes gave the remapper work
}
