// The concepts a split system's policies model, each with a positive and a negative case, and
// the device traits the engine reads instead of asking a device's type.
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

#include "hermes/core/device_traits.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/host_cpu.hpp"
#include "hermes/device/ndp_dimm.hpp"
#include "hermes/map/greedy_mapper.hpp"
#include "hermes/map/layer_fill_mapper.hpp"
#include "hermes/map/online_adjuster.hpp"
#include "hermes/map/random_mapper.hpp"
#include "hermes/map/remapper.hpp"
#include "hermes/predict/hermes_predictor.hpp"
#include "hermes/predict/layer_only_predictor.hpp"
#include "hermes/system/registry.hpp"

#include "../support/test_models.hpp"

using namespace hermes;

namespace {
struct not_a_mapper {
  int place(const placement_problem&) const { return 0; }
};
struct stateless_predictor {  // a predictor without per-neuron states
  void predict(const prediction_request&, prediction&) {}
  void update(const prediction_request&, const neuron_mask&) {}
  bytes table_bytes() const { return bytes{}; }
};
struct counting_remapper {  // records, never moves
  bool record(const neuron_mask&) { return false; }
};
struct user_device {};  // no device_traits specialisation
}  // namespace

TEST_CASE("engine policies: offline mappers", "[sim][concepts]") {
  STATIC_REQUIRE(offline_mapper<greedy_mapper>);
  STATIC_REQUIRE(offline_mapper<ilp_mapper>);
  STATIC_REQUIRE_FALSE(offline_mapper<not_a_mapper>);
  STATIC_REQUIRE(memoisable_mapper<ilp_mapper>);
  STATIC_REQUIRE(toleranced_mapper<ilp_mapper>);
  STATIC_REQUIRE_FALSE(toleranced_mapper<greedy_mapper>);
  CHECK(mapper_target_gap(greedy_mapper{}) == 0.0);
  CHECK(mapper_target_gap(engine_ilp_mapper()) == 1e-3);
  // Memo keys tell mappers and their settings apart.
  CHECK(greedy_mapper{}.memo_key() != layer_fill_mapper{}.memo_key());
  CHECK(random_mapper{1}.memo_key() != random_mapper{2}.memo_key());
  ilp_options other;
  other.target_gap = 0.5;
  CHECK(engine_ilp_mapper().memo_key() != ilp_mapper(other).memo_key());
  CHECK(engine_ilp_mapper().memo_key() == engine_ilp_mapper().memo_key());
}

TEST_CASE("engine policies: online adjusters read predictors with states", "[sim][concepts]") {
  using adjuster = hot_cold_adjuster<hermes::link>;
  STATIC_REQUIRE(online_adjuster<adjuster, hermes_predictor>);
  STATIC_REQUIRE(online_adjuster<adjuster, layer_only_predictor>);
  STATIC_REQUIRE_FALSE(online_adjuster<adjuster, stateless_predictor>);
  STATIC_REQUIRE(online_adjuster<no_adjuster, stateless_predictor>);
  STATIC_REQUIRE(online_adjuster<no_adjuster, no_prediction>);
  STATIC_REQUIRE(adjustment_policy<hot_cold_adjustment_policy>);
  STATIC_REQUIRE_FALSE(adjustment_policy<greedy_mapper>);
}

TEST_CASE("engine policies: remappers", "[sim][concepts]") {
  STATIC_REQUIRE(remapper<window_remapper<hermes::link>>);
  STATIC_REQUIRE(remapper<no_remapper>);
  STATIC_REQUIRE_FALSE(remapper<counting_remapper>);
  STATIC_REQUIRE(remapping_policy<window_remapping_policy>);
  STATIC_REQUIRE_FALSE(remapping_policy<no_adjustment_policy>);
  no_remapper r;
  CHECK_FALSE(r.record(neuron_mask(10)));
}

TEST_CASE("engine policies: predictors, their optional members and defaults", "[sim][concepts]") {
  STATIC_REQUIRE(predictor<hermes_predictor>);
  STATIC_REQUIRE(prefill_initialised<hermes_predictor>);
  STATIC_REQUIRE(costed_predictor<hermes_predictor>);
  STATIC_REQUIRE_FALSE(prefill_initialised<stateless_predictor>);
  STATIC_REQUIRE_FALSE(costed_predictor<stateless_predictor>);
  STATIC_REQUIRE_FALSE(predictor<no_prediction>);
  // hermes_predictor: the 4-bit state and 2 x 2-byte correlation entries per neuron, read once.
  const trace_layout layout{2, 8, 16};
  const hermes_predictor hp(layout, correlation_table(layout, 2));
  const vector_work hw = predictor_host_work(hp, 16, 48);
  CHECK(hw.elements == 16);
  CHECK(hw.flops_per_element == 2.0);
  CHECK(hw.bytes_per_element == 2.25);
  // Default: its share of its own table, one operation per neuron.
  struct sized : stateless_predictor {
    bytes table_bytes() const { return bytes(96); }
  };
  const vector_work dw = predictor_host_work(sized{}, 16, 48);
  CHECK(dw.elements == 16);
  CHECK(dw.flops_per_element == 1.0);
  CHECK(dw.bytes_per_element == 2.0);  // 96 bytes over 48 neurons
}

TEST_CASE("device traits: what each device is, without asking its type", "[sim][concepts]") {
  STATIC_REQUIRE(device_traits<gpu>::kind == resource_kind::compute);
  STATIC_REQUIRE(device_traits<ndp_dimm>::kind == resource_kind::near_memory);
  STATIC_REQUIRE(device_traits<host_cpu>::kind == resource_kind::host);
  STATIC_REQUIRE(is_near_memory_v<ndp_dimm>);
  STATIC_REQUIRE_FALSE(is_near_memory_v<host_cpu>);
  STATIC_REQUIRE(device_traits<user_device>::kind == resource_kind::compute);  // the documented default
  // A device_set's resources carry the kinds.
  device_set devices(group<gpu>("gpu", 1, gpu_presets::rtx4090()), group<ndp_dimm>("dimm", 2, ndp_dimm_presets::hermes_table2()),
                     group<host_cpu>("cpu", 1, host_cpu_presets::i9_13900k()));
  ledger l;
  devices.attach(l);
  CHECK(l.resource(devices.resource(0)).kind == resource_kind::compute);
  CHECK(l.resource(devices.resource(1)).kind == resource_kind::near_memory);
  CHECK(l.resource(devices.resource(3)).kind == resource_kind::host);
}

TEST_CASE("results are read from the ledger by resource kind", "[sim][result]") {
  ledger l;
  const auto g = l.add_resource("gpu", resource_kind::compute);
  const auto d0 = l.add_resource("d0", resource_kind::near_memory);
  const auto d1 = l.add_resource("d1", resource_kind::near_memory);
  const auto h = l.add_resource("cpu", resource_kind::host);
  const auto p = l.add_resource("pcie", resource_kind::link);
  l.charge(g, seconds{}, seconds(1.0), "mlp");
  l.charge(d0, seconds{}, seconds(2.0), "mlp");
  l.charge(d1, seconds{}, seconds(4.0), "mlp");
  l.charge(h, seconds{}, seconds(3.0), "cpu_attention");
  l.charge(h, seconds{}, seconds(0.5), "predictor");
  l.charge(p, seconds{}, seconds(0.25), "pcie");
  l.charge(p, seconds{}, seconds(0.125), "pcie_weights");
  time_breakdown b;
  read_breakdown(l, b);
  CHECK(b.gpu_compute == seconds(1.0));
  CHECK(b.near_memory_compute == seconds(4.0));
  CHECK(b.near_memory_compute_mean == seconds(3.0));
  CHECK(b.host_compute == seconds(3.0));  // its predictor time is reported apart
  CHECK(b.predictor == seconds(0.5));
  CHECK(b.pcie == seconds(0.25));
  CHECK(b.pcie_weights == seconds(0.125));
}

TEST_CASE("the host CPU's work lands in host compute, whatever system runs it", "[sim][result]") {
  const auto w = test::tiny_workload();
  const auto h = test::small_gpu();
  const sim_result host = run_system("Hermes-host", w, h);
  REQUIRE(host.supported);
  CHECK(host.breakdown.host_compute > seconds{});
  CHECK(host.breakdown.near_memory_compute == seconds{});
  CHECK(host.dimms == 0);
  CHECK(host.window_loads.empty());  // loads are recorded for near-memory cold devices only
  const sim_result ndp = run_system("Hermes", w, h);
  CHECK(ndp.breakdown.near_memory_compute > seconds{});
  CHECK(ndp.breakdown.host_compute == seconds{});
  CHECK_FALSE(ndp.window_loads.empty());
}
