#include <catch2/catch.hpp>

#include <random>
#include <cstdint>
#include <vector>

#include "hermes/map/hot_cold_adjuster.hpp"
#include "hermes/map/placement_problem.hpp"  // dimm_device()
#include "hermes/predict/hermes_predictor.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {

// A PCIe-like link: fixed latency plus bytes over bandwidth.
struct mock_link {
  [[nodiscard]] std::string_view name() const { return "mock pcie"; }
  [[nodiscard]] device_cost transfer(bytes b) const {
    device_cost c;
    c.time = 1_us + b / 64_GBps;
    c.bytes_moved = b;
    return c;
  }
};
struct not_a_link {
  [[nodiscard]] std::string_view name() const { return "no transfer()"; }
};
static_assert(link_device<mock_link>);
static_assert(!link_device<not_a_link>);

struct table_predictor {
  std::vector<std::uint8_t> states;
  [[nodiscard]] unsigned state(std::size_t, layer_kind, std::size_t i) const { return states[i]; }
};
static_assert(neuron_state_source<table_predictor>);
static_assert(!neuron_state_source<mock_link>);
// The library's Hermes predictor plugs in directly.
static_assert(neuron_state_source<hermes_predictor>);

}  // namespace

TEST_CASE("hot_cold_adjuster: hot neurons replace the coldest copies, within capacity", "[map][online]") {
  ledger l;
  const auto pcie = l.add_resource("pcie", resource_kind::link);
  const hot_cold_adjuster<mock_link> adj(mock_link{}, pcie);
  CHECK(adj.hot_threshold() == 10);

  layer_placement p(8, dimm_device(0));
  p.cached.set(0);
  p.cached.set(1);
  p.cached.set(2);
  //                                  0   1  2   3   4   5  6  7
  const std::vector<std::uint8_t> s{12, 3, 9, 15, 11, 10, 14, 0};
  // Capacity 4: one free slot, then evictions of copies colder than the candidate.
  const auto r = adj.adjust(p, std::span<const std::uint8_t>(s), 4, 1_KiB, l, 5_us);
  // Hot and not resident: 3 (15), 6 (14), 4 (11); 5 has state 10, not above T_h.
  REQUIRE(r.promoted == std::vector<std::uint32_t>{3, 6, 4});
  // 3 takes the free slot; 6 evicts 1 (state 3); 4 evicts 2 (state 9).
  CHECK(r.evicted == std::vector<std::uint32_t>{1, 2});
  CHECK(p.cached.count() == 4);
  for (std::size_t i : {0, 3, 4, 6}) CHECK(p.cached.test(i));
  CHECK(r.copied == 3_KiB);
  CHECK(r.end.value() == Approx((5_us + 1_us + 3_KiB / 64_GBps).value()));
  CHECK(l.resource(pcie).bytes_moved == 3_KiB);
  CHECK(l.stage_busy("pcie_hot_copy") == (1_us + 3_KiB / 64_GBps));
  // Homes never change: eviction is an overwrite, every neuron stays on its DIMM.
  for (std::size_t i = 0; i < 8; ++i) CHECK(p.home[i] == dimm_device(0));
}

TEST_CASE("hot_cold_adjuster: a full GPU keeps copies that are at least as hot", "[map][online]") {
  ledger l;
  const auto pcie = l.add_resource("pcie", resource_kind::link);
  const hot_cold_adjuster<mock_link> adj(mock_link{}, pcie);
  layer_placement p(4, dimm_device(1));
  p.cached.set(0);
  p.cached.set(1);
  const table_predictor pred{{13, 12, 12, 11}};
  const auto r = adj.adjust(p, pred, 0, layer_kind::ffn, 2, 1_KiB, l, 0_s);
  CHECK(r.promoted.empty());
  CHECK(r.evicted.empty());
  CHECK(r.end == 0_s);
  CHECK(l.resource(pcie).charges == 0);  // nothing crossed PCIe
}

TEST_CASE("hot_cold_adjuster: the GPU budget holds under random state streams", "[map][online]") {
  ledger l;
  const auto pcie = l.add_resource("pcie", resource_kind::link);
  const hot_cold_adjuster<mock_link> adj(mock_link{}, pcie);
  layer_placement p(300, dimm_device(2));
  std::uint64_t x = 88172645463325252ull;  // xorshift: a deterministic stream of states
  std::size_t promoted = 0;
  for (int token = 0; token < 50; ++token) {
    std::vector<std::uint8_t> s(300);
    for (auto& v : s) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      v = static_cast<std::uint8_t>(x % 16);
    }
    const std::size_t budget = token < 25 ? 40 : 25;  // the budget can also shrink
    const auto r = adj.adjust(p, std::span<const std::uint8_t>(s), budget, 2_KiB, l, seconds(token * 1e-3));
    promoted += r.promoted.size();
    CHECK(p.cached.count() <= budget);
    // After adjusting, every hot neuron left out is no hotter than every resident copy.
    unsigned coldest_resident = 16, hottest_left_out = 0;
    for (std::size_t i = 0; i < 300; ++i) {
      if (p.cached.test(i)) coldest_resident = std::min<unsigned>(coldest_resident, s[i]);
      else if (s[i] > 10) hottest_left_out = std::max<unsigned>(hottest_left_out, s[i]);
    }
    if (p.cached.count() == budget && hottest_left_out > 0) CHECK(hottest_left_out <= coldest_resident);
  }
  CHECK(l.resource(pcie).bytes_moved == 2_KiB * static_cast<double>(promoted));
}

TEST_CASE("hot_cold_adjuster: bad input is rejected with the field named", "[map][online]") {
  ledger l;
  const auto pcie = l.add_resource("pcie", resource_kind::link);
  CHECK_THROWS_WITH(hot_cold_adjuster<mock_link>(mock_link{}, pcie, 15), Catch::Contains("hot_threshold"));
  const hot_cold_adjuster<mock_link> adj(mock_link{}, pcie);
  layer_placement p(3, dimm_device(0));
  const std::vector<std::uint8_t> two{1, 2};
  CHECK_THROWS_WITH(adj.adjust(p, std::span<const std::uint8_t>(two), 1, 1_KiB, l, 0_s),
                    Catch::Contains("states.size()"));
  const std::vector<std::uint8_t> bad{1, 16, 2};
  CHECK_THROWS_WITH(adj.adjust(p, std::span<const std::uint8_t>(bad), 1, 1_KiB, l, 0_s),
                    Catch::Contains("neuron state [1]"));
}

TEST_CASE("hot_cold_adjuster: the predictor fast path decides exactly like the state scan", "[map][online]") {
  // hermes_predictor exposes its hot set word by word; the adjuster then reads states only for
  // resident copies and hot candidates. The outcome must equal the plain per-neuron scan.
  const trace_layout layout{2, 64, 300};
  std::mt19937_64 rng(5);
  ledger l;
  const auto pcie = l.add_resource("pcie", resource_kind::link);
  const hot_cold_adjuster<mock_link> adj(mock_link{}, pcie);
  hermes_predictor_params params;
  params.signals = predictor_signals::token_only;
  for (int round = 0; round < 40; ++round) {
    hermes_predictor pred(layout, correlation_table{}, params);
    std::vector<std::uint8_t> states(layout.ffn_neurons);
    layer_placement a(layout.ffn_neurons, dimm_device(0), gpu_device);
    for (std::size_t i = 0; i < layout.ffn_neurons; ++i) {
      states[i] = static_cast<std::uint8_t>(rng() % 16);
      pred.set_state(1, layer_kind::ffn, i, states[i]);
      if (rng() % 4 == 0) a.cached.set(i);
    }
    layer_placement b = a;
    // Budgets below, at and above the resident count (shrinking, full and free GPU).
    const std::size_t budget = a.cached.count() + static_cast<std::size_t>(rng() % 40) - 20;
    const auto fast = adj.adjust(a, pred, 1, layer_kind::ffn, budget, 1_KiB, l, 0_s);
    const auto scan = adj.adjust(b, std::span<const std::uint8_t>(states), budget, 1_KiB, l, 0_s);
    CHECK(fast.promoted == scan.promoted);
    CHECK(fast.evicted == scan.evicted);
    CHECK(a.cached == b.cached);
  }
}
