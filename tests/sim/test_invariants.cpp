// The split engine's invariant checks (sim/invariants.hpp), switched on here whatever the build
// type: each check stays quiet on every registered split system and fires on a deliberately
// broken policy (a remapper that moves neurons without charging the link or without updating the
// home masks or the occupancy, an adjuster that overfills the GPU or charges outside its stage).
#undef HERMES_CHECK_INVARIANTS
#define HERMES_CHECK_INVARIANTS 1

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "hermes/system/registry.hpp"

#include "../support/test_models.hpp"

using namespace hermes;

using test::small_gpu;
using test::tiny_workload;

static_assert(invariants_checked, "this test program checks the invariants whatever NDEBUG says");

namespace {

// What a broken remapper forgets.
enum class remap_fault { no_link_charge, no_home_mask, no_occupancy };

// Moves one uncached neuron of DIMM 1 to DIMM 2 after every token, forgetting one thing.
struct broken_remapper {
  remap_fault fault;
  hermes::link cold_link;
  bool record(const neuron_mask&) { return true; }
  remap_report remap(layer_placement& p, home_masks& homes, bytes neuron_bytes, dimm_occupancy& occupancy, ledger& l,
                     sender_links links, seconds ready) {
    remap_report r;
    r.end = ready;
    const device_index from = cold_device(0), to = cold_device(1);
    for (std::size_t i = 0; i < p.neurons(); ++i) {
      if (p.home[i] != from || p.cached.test(i)) continue;
      if (fault != remap_fault::no_occupancy) occupancy.move(from, to, neuron_bytes);
      p.home[i] = to;
      if (fault != remap_fault::no_home_mask) homes.move(i, from, to);
      if (fault != remap_fault::no_link_charge)
        r.end = l.charge(links(from, to), ready, cold_link.transfer(neuron_bytes), "dimm_link_remap");
      r.moves.push_back(remap_move{static_cast<std::uint32_t>(i), from, to, 1});
      break;
    }
    return r;
  }
};
struct broken_remapping_policy {
  remap_fault fault;
  [[nodiscard]] broken_remapper make(std::size_t, std::size_t, const hermes::link& l, std::size_t) const {
    return {fault, l};
  }
};

enum class adjust_fault { fill_gpu, charge_before_stage, nan_time, move_home };

// Breaks the GPU copies or the ledger during the projection.
struct broken_adjuster {
  adjust_fault fault;
  hermes::link pcie;
  ledger::resource_id pcie_id;
  template <class Predictor>
  hot_cold_adjustment adjust(layer_placement& p, const Predictor&, std::size_t, layer_kind, std::size_t,
                             bytes neuron_bytes, ledger& l, seconds ready) const {
    hot_cold_adjustment r;
    r.end = ready;
    switch (fault) {
      case adjust_fault::fill_gpu: {  // copies every neuron, charged correctly: the GPU overflows
        const std::size_t before = p.cached.count();
        p.cached.fill();
        r.copied = neuron_bytes * static_cast<double>(p.cached.count() - before);
        if (r.copied > bytes{}) r.end = l.charge(pcie_id, ready, pcie.transfer(r.copied), "pcie_hot_copy");
        break;
      }
      case adjust_fault::charge_before_stage: {  // a resource of its own, busy from time 0
        const auto id = l.has("side_link") ? l.id("side_link") : l.add_resource("side_link", resource_kind::link);
        l.charge(id, seconds{}, seconds(1e-9), "side");
        break;
      }
      case adjust_fault::move_home:  // an adjuster may change copies, never homes
        for (std::size_t i = 0; i < p.neurons(); ++i)
          if (p.home[i] == cold_device(0)) {
            p.home[i] = cold_device(1);
            break;
          }
        break;
      case adjust_fault::nan_time:
        l.charge(pcie_id, ready, seconds(std::numeric_limits<double>::quiet_NaN()), "pcie_hot_copy");
        break;
    }
    return r;
  }
};
struct broken_adjustment_policy {
  adjust_fault fault;
  [[nodiscard]] broken_adjuster make(const hermes::link& l, ledger::resource_id id) const { return {fault, l, id}; }
};

template <class Adjustment, class Remapping>
sim_result run_broken(Adjustment a, Remapping r) {
  const auto s = make_split_system<ndp_dimm>("broken", hermes_predictor_factory{}, engine_ilp_mapper(), a, r);
  return run_split(s, tiny_workload(), small_gpu());
}

}  // namespace

TEST_CASE("invariants: every registered split system passes them on every token", "[sim][invariants]") {
  for (const char* name : {"Hermes", "Hermes-random", "Hermes-partition", "Hermes-adjustment",
                           "Hermes-token-adjustment", "Hermes-layer-adjustment", "Hermes-base", "Hermes-host"}) {
    INFO(name);
    auto w = tiny_workload();
    CHECK_NOTHROW(run_system(name, w, small_gpu()));
    w.batch = 3;
    CHECK_NOTHROW(run_system(name, w, small_gpu()));
  }
}

TEST_CASE("invariants: a remap that moves a neuron without charging the link is caught", "[sim][invariants]") {
  CHECK_THROWS_MATCHES(run_broken(no_adjustment_policy{}, broken_remapping_policy{remap_fault::no_link_charge}),
                       invariant_violation,
                       Catch::Matchers::Predicate<invariant_violation>([](const invariant_violation& e) {
                         return e.violated().find("link bytes: the remap charged 0 B") != std::string::npos &&
                                e.where().find("remap") != std::string::npos &&
                                e.where().find("decode token 0, layer 0, attention stage") != std::string::npos;
                       }));
}

TEST_CASE("invariants: a home changed without its home mask is caught (a neuron counted on two devices)",
          "[sim][invariants]") {
  CHECK_THROWS_WITH(run_broken(no_adjustment_policy{}, broken_remapping_policy{remap_fault::no_home_mask}),
                    Catch::Contains("computed once: the home masks differ from the placement's homes"));
}

TEST_CASE("invariants: a home changed without the occupancy is caught", "[sim][invariants]") {
  CHECK_THROWS_WITH(run_broken(no_adjustment_policy{}, broken_remapping_policy{remap_fault::no_occupancy}),
                    Catch::Contains("capacity: cold device 1 homes") && Catch::Contains("occupancy says"));
}

TEST_CASE("invariants: an adjuster that copies more than the GPU holds is caught", "[sim][invariants]") {
  CHECK_THROWS_WITH(run_broken(broken_adjustment_policy{adjust_fault::fill_gpu}, no_remapping_policy{}),
                    Catch::Contains("capacity: the GPU holds") && Catch::Contains("adjustment of stage"));
}

TEST_CASE("invariants: an adjuster that moves a home is caught", "[sim][invariants]") {
  CHECK_THROWS_WITH(run_broken(broken_adjustment_policy{adjust_fault::move_home}, no_remapping_policy{}),
                    Catch::Contains("computed once: the adjustment changed neuron homes") &&
                        Catch::Contains("decode token 0, layer 0, attention stage"));
}

TEST_CASE("invariants: a charge before its stage and a NaN duration are caught", "[sim][invariants]") {
  CHECK_THROWS_WITH(run_broken(broken_adjustment_policy{adjust_fault::charge_before_stage}, no_remapping_policy{}),
                    Catch::Contains("ledger: charge 'side' on 'side_link' starts at 0 s") &&
                        Catch::Contains("before its stage is ready"));
  CHECK_THROWS_WITH(run_broken(broken_adjustment_policy{adjust_fault::nan_time}, no_remapping_policy{}),
                    Catch::Contains("ledger: charge 'pcie_hot_copy' on 'pcie_to_gpu' has a non-finite interval"));
}

TEST_CASE("invariants: a non-finite modelled time is an error, never a result", "[sim][invariants]") {
  sim_result r;
  r.system = "S";
  r.model = "M";
  r.seconds_decode = seconds(std::numeric_limits<double>::infinity());
  CHECK_THROWS_AS(require_finite_result(r), invariant_violation);
  CHECK_THROWS_WITH(require_finite_result(r), Catch::Contains("sim_result.seconds_decode = inf is not finite") &&
                                                  Catch::Contains("the result of S on M"));
  r.seconds_decode = seconds(1.0);
  r.breakdown.pcie = seconds(std::nan(""));
  CHECK_THROWS_WITH(require_finite_result(r), Catch::Contains("sim_result.breakdown.pcie"));
  r.supported = false;  // an unsupported result has no numbers to check
  CHECK_NOTHROW(require_finite_result(r));
}
