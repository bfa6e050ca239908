#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "hermes/map/hot_cold_adjuster.hpp"
#include "hermes/map/placement_problem.hpp"  // cold_device()
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

  layer_placement p(8, cold_device(0));
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
  for (std::size_t i = 0; i < 8; ++i) CHECK(p.home[i] == cold_device(0));
}

TEST_CASE("hot_cold_adjuster: a full GPU keeps copies that are at least as hot", "[map][online]") {
  ledger l;
  const auto pcie = l.add_resource("pcie", resource_kind::link);
  const hot_cold_adjuster<mock_link> adj(mock_link{}, pcie);
  layer_placement p(4, cold_device(1));
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
  layer_placement p(300, cold_device(2));
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
  layer_placement p(3, cold_device(0));
  const std::vector<std::uint8_t> two{1, 2};
  CHECK_THROWS_WITH(adj.adjust(p, std::span<const std::uint8_t>(two), 1, 1_KiB, l, 0_s),
                    Catch::Contains("states.size()"));
  const std::vector<std::uint8_t> bad{1, 16, 2};
  CHECK_THROWS_WITH(adj.adjust(p, std::span<const std::uint8_t>(bad), 1, 1_KiB, l, 0_s),
                    Catch::Contains("neuron state [1]"));
}

TEST_CASE("hot_cold_adjuster: the bit-sliced predictor path decides exactly like the state scan", "[map][online]") {
  // hermes_predictor keeps its states bit-sliced; the adjuster then works 64 neurons per word.
  // The outcome (who is promoted and evicted, in which order, and the copies left) must equal
  // the plain per-neuron scan, for any threshold, resident density and budget.
  const trace_layout layout{2, 64, 300};
  std::mt19937_64 rng(5);
  ledger l;
  const auto pcie = l.add_resource("pcie", resource_kind::link);
  hermes_predictor_params params;
  params.signals = predictor_signals::token_only;
  for (int round = 0; round < 400; ++round) {
    const unsigned threshold = static_cast<unsigned>(rng() % 15);
    const hot_cold_adjuster<mock_link> adj(mock_link{}, pcie, threshold);
    hermes_predictor pred(layout, correlation_table{}, params);
    std::vector<std::uint8_t> states(layout.ffn_neurons);
    layer_placement a(layout.ffn_neurons, cold_device(0), hot_device);
    // Mostly cold states with a few hot ones (the simulator's common case) or uniform states.
    const bool skewed = round % 2 == 0;
    const unsigned resident_one_in = 1 + static_cast<unsigned>(rng() % 6);
    for (std::size_t i = 0; i < layout.ffn_neurons; ++i) {
      states[i] = static_cast<std::uint8_t>(skewed ? (rng() % 20 == 0 ? 15 - rng() % 4 : rng() % 8) : rng() % 16);
      pred.set_state(1, layer_kind::ffn, i, states[i]);
      if (rng() % resident_one_in == 0) a.cached.set(i);
    }
    layer_placement b = a;
    // Budgets below, at and above the resident count (shrinking, full and free GPU); a third of
    // the rounds at exactly the resident count, the simulator's steady state.
    const std::size_t residents = a.cached.count();
    const auto shift = round % 3 == 0 ? std::size_t{20} : static_cast<std::size_t>(rng() % 40);
    const std::size_t budget = residents + 20 >= shift ? residents + 20 - shift : 0;
    const auto fast = adj.adjust(a, pred, 1, layer_kind::ffn, budget, 1_KiB, l, 0_s);
    const auto scan = adj.adjust(b, std::span<const std::uint8_t>(states), budget, 1_KiB, l, 0_s);
    CHECK(fast.promoted == scan.promoted);
    CHECK(fast.evicted == scan.evicted);
    CHECK(fast.copied == scan.copied);
    CHECK(a.cached == b.cached);
    CHECK(a.cached.count() <= budget);
  }
}

TEST_CASE("hot_cold_adjuster: the bit-sliced path rejects a placement larger than the predictor's layer",
          "[map][online]") {
  const trace_layout layout{1, 64, 128};
  ledger l;
  const auto pcie = l.add_resource("pcie", resource_kind::link);
  const hot_cold_adjuster<mock_link> adj(mock_link{}, pcie);
  hermes_predictor_params params;
  params.signals = predictor_signals::token_only;  // no correlation table needed
  const hermes_predictor pred(layout, correlation_table{}, params);
  layer_placement p(129, cold_device(0), hot_device);
  CHECK_THROWS_WITH(adj.adjust(p, pred, 0, layer_kind::ffn, 10, 1_KiB, l, 0_s), Catch::Contains("placement neurons"));
}

TEST_CASE("hot_cold_adjuster detail: bit-sliced state buckets and the coldest-first order", "[map][online]") {
  // 64 neurons per word; states drawn at random, compared with the scalar definition.
  std::mt19937_64 rng(11);
  const std::size_t groups = 5;
  std::vector<std::uint64_t> planes(4 * groups, 0);
  std::vector<unsigned> state(64 * groups);
  std::vector<std::uint64_t> resident(groups, 0);
  for (std::size_t i = 0; i < state.size(); ++i) {
    state[i] = static_cast<unsigned>(rng() % 16);
    for (unsigned b = 0; b < 4; ++b)
      if ((state[i] >> b) & 1u) planes[4 * (i / 64) + b] |= std::uint64_t{1} << (i % 64);
    if (rng() % 3 == 0) resident[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  for (std::size_t g = 0; g < groups; ++g)
    for (unsigned v = 0; v <= 16; ++v) {
      std::uint64_t eq = 0, ge = 0;
      for (std::size_t b = 0; b < 64; ++b) {
        if (state[g * 64 + b] == v) eq |= std::uint64_t{1} << b;
        if (state[g * 64 + b] >= v) ge |= std::uint64_t{1} << b;
      }
      if (v < 16) CHECK(detail::state_equals(planes.data() + 4 * g, v) == eq);
      CHECK(detail::state_at_least(planes.data() + 4 * g, v) == ge);
    }
  // Reference order: residents sorted by (state, index).
  std::vector<std::pair<unsigned, std::uint32_t>> expected;
  for (std::size_t i = 0; i < state.size(); ++i)
    if ((resident[i / 64] >> (i % 64)) & 1u) expected.emplace_back(state[i], static_cast<std::uint32_t>(i));
  std::sort(expected.begin(), expected.end());
  detail::coldest_first order(planes.data(), resident);
  std::vector<std::pair<unsigned, std::uint32_t>> got;
  while (order.advance()) {
    CHECK(order.advance());  // idempotent until pop()
    got.emplace_back(order.state(), order.neuron());
    order.pop();
  }
  CHECK(got == expected);
  CHECK_FALSE(order.advance());
  // advance(below) yields only states below `below` and leaves the rest for a later call.
  detail::coldest_first bounded(planes.data(), resident);
  std::size_t taken = 0;
  for (unsigned below = 1; below <= 16; ++below) {
    while (bounded.advance(below)) {
      REQUIRE(taken < expected.size());
      CHECK(bounded.state() < below);
      CHECK(std::make_pair(bounded.state(), bounded.neuron()) == expected[taken++]);
      bounded.pop();
    }
    // Everything below `below` is consumed; the next one (if any) is at least `below`.
    CHECK((taken == expected.size() || expected[taken].first >= below));
    CHECK_FALSE(bounded.advance(below));
  }
  CHECK(taken == expected.size());
  const std::vector<std::uint64_t> none;
  detail::coldest_first empty(planes.data(), none);
  CHECK_FALSE(empty.advance());
}
