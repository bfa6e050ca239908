#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "hermes/layer/sparse_ffn.hpp"
#include "hermes/map/home_masks.hpp"
#include "layer_test_support.hpp"

using namespace hermes;
using namespace hermes::literals;
using namespace layer_test;

namespace {

struct dense_ffn {
  ffn_shape shape;
  row_matrix_f fc1, gate, fc2;  // [N][H], [N][H], [H][N]
  Eigen::VectorXf b1, b2;

  dense_ffn(ffn_shape s, std::mt19937& rng) : shape(s) {
    const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.hidden)));
    fc1 = random_matrix(s.neurons, s.hidden, rng, scale);
    fc2 = random_matrix(s.hidden, s.neurons, rng, scale);
    if (s.gated()) gate = random_matrix(s.neurons, s.hidden, rng, scale);
    if (s.bias) {
      b1 = random_matrix(s.neurons, 1, rng, 0.1f);
      b2 = random_matrix(s.hidden, 1, rng, 0.1f);
    }
  }
  dense_ffn_weights view() const {
    dense_ffn_weights w;
    w.fc1 = span_of(fc1);
    w.fc2 = span_of(fc2);
    if (shape.gated()) w.gate = span_of(gate);
    if (shape.bias) {
      w.fc1_bias = span_of(b1);
      w.fc2_bias = span_of(b2);
    }
    return w;
  }
  static double act(ffn_kind k, double v) {
    switch (k) {
      case ffn_kind::swiglu: return v / (1.0 + std::exp(-v));
      case ffn_kind::gelu:
        return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
      default: return v > 0.0 ? v : 0.0;
    }
  }
  // h for each batch row (neurons outside `active` contribute 0), in double precision.
  row_matrix hidden_activations(const row_matrix_f& x, const neuron_mask& active) const {
    const row_matrix xd = x.cast<double>();
    row_matrix a = xd * fc1.cast<double>().transpose();  // [B][N]
    row_matrix h(a.rows(), a.cols());
    row_matrix g;
    if (shape.gated()) g = xd * gate.cast<double>().transpose();
    for (Eigen::Index b = 0; b < a.rows(); ++b)
      for (Eigen::Index i = 0; i < a.cols(); ++i) {
        double v = a(b, i) + (shape.bias ? static_cast<double>(b1(i)) : 0.0);
        v = act(shape.kind, v);
        if (shape.gated()) v *= g(b, i);
        h(b, i) = active.test(static_cast<std::size_t>(i)) ? v : 0.0;
      }
    return h;
  }
  row_matrix reference(const row_matrix_f& x, const neuron_mask& active) const {
    row_matrix y = hidden_activations(x, active) * fc2.cast<double>().transpose();  // [B][H]
    if (shape.bias) y.rowwise() += b2.cast<double>().transpose();
    return y;
  }
};

// Both ways of producing partials run on every backend: test both here, whatever the default.
constexpr kernels::partial_strategy strategies[] = {kernels::partial_strategy::per_worker,
                                                    kernels::partial_strategy::output_blocks};

neuron_mask random_mask(std::size_t n, double density, std::mt19937& rng) {
  std::bernoulli_distribution on(density);
  neuron_mask m(n);
  for (std::size_t i = 0; i < n; ++i)
    if (on(rng)) m.set(i);
  return m;
}

layer_placement random_placement(std::size_t n, std::size_t devices, std::mt19937& rng) {
  std::uniform_int_distribution<int> dev(1, static_cast<int>(devices) - 1);
  std::bernoulli_distribution hot(0.25);
  layer_placement p(n, 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    p.home[i] = static_cast<device_index>(dev(rng));
    if (hot(rng)) p.cached.set(i);
  }
  return p;
}

}  // namespace

TEST_CASE("sparse_ffn: dense placement with every neuron equals the Eigen reference",
          "[layer][ffn]") {
  std::mt19937 rng(7);
  for (const ffn_kind kind : {ffn_kind::relu, ffn_kind::swiglu, ffn_kind::relu_glu, ffn_kind::gelu}) {
    for (const bool bias : {false, true}) {
      const ffn_shape shape{kind, 96, 200, bias};
      const dense_ffn ref(shape, rng);
      sparse_ffn<exec> layer(shape);
      layer.load_dense(ref.view());
      const row_matrix_f x = random_matrix(3, shape.hidden, rng);
      neuron_mask all(shape.neurons);
      all.fill();
      for (const auto strategy : strategies) {
        layer.set_strategy(strategy);
        matrix y("y", 3, shape.hidden);
        layer.forward(to_view(x), y, all, layer_placement(shape.neurons, 0));
        INFO("kind " << static_cast<int>(kind) << " bias " << bias << " strategy "
                     << static_cast<int>(strategy));
        CHECK(relative_error(to_eigen(y), ref.reference(x, all)) < 1e-5);
      }
    }
  }
}

TEST_CASE("sparse_ffn: skipped neurons equal the reference with those neurons zeroed",
          "[layer][ffn]") {
  std::mt19937 rng(11);
  for (const ffn_kind kind : {ffn_kind::relu, ffn_kind::swiglu, ffn_kind::relu_glu}) {
    const ffn_shape shape{kind, 64, 300, kind == ffn_kind::relu};
    const dense_ffn ref(shape, rng);
    sparse_ffn<exec> layer(shape);
    layer.load_dense(ref.view());
    const row_matrix_f x = random_matrix(1, shape.hidden, rng);
    for (const double density : {0.0, 0.05, 0.3, 0.9}) {
      const neuron_mask active = random_mask(shape.neurons, density, rng);
      layer.set_strategy(strategies[density > 0.2 ? 0 : 1]);
      matrix y("y", 1, shape.hidden);
      layer.forward(to_view(x), y, active, layer_placement(shape.neurons, 0));
      const row_matrix want = ref.reference(x, active);
      INFO("kind " << static_cast<int>(kind) << " density " << density);
      if (active.count() == 0 && !shape.bias) {
        CHECK(to_eigen(y).norm() == 0.0);
      } else {
        CHECK(relative_error(to_eigen(y), want) < 1e-5);
      }
      // The skipped result really differs from the dense one (the test can fail).
      if (density > 0.0 && density < 0.5) {
        neuron_mask all(shape.neurons);
        all.fill();
        CHECK(relative_error(to_eigen(y), ref.reference(x, all)) > 1e-2);
      }
    }
  }
}

TEST_CASE("sparse_ffn: the activations report which neurons fired", "[layer][ffn]") {
  std::mt19937 rng(5);
  const ffn_shape shape{ffn_kind::relu_glu, 48, 160, false};
  const dense_ffn ref(shape, rng);
  sparse_ffn<exec> layer(shape);
  layer.load_dense(ref.view());
  const row_matrix_f x = random_matrix(2, shape.hidden, rng);
  const neuron_mask active = random_mask(shape.neurons, 0.6, rng);
  matrix y("y", 2, shape.hidden);
  layer.set_strategy(GENERATE(strategies[0], strategies[1]));
  layer.forward(to_view(x), y, active, layer_placement(shape.neurons, 0));
  const row_matrix h = ref.hidden_activations(x, active);
  auto got = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), layer.activations());
  REQUIRE(got.extent(0) == 2);
  neuron_mask any(shape.neurons);
  for (std::size_t b = 0; b < 2; ++b) {
    neuron_mask want(shape.neurons);
    for (std::size_t i = 0; i < shape.neurons; ++i) {
      CHECK(static_cast<double>(got(b, i)) == Approx(h(b, i)).margin(1e-5));
      if (h(b, i) != 0.0) want.set(i);
    }
    CHECK(layer.fired(b) == want);
    CHECK(want.count() < active.count());  // relu zeroed some of the computed neurons
    any |= want;
  }
  CHECK(layer.fired_any() == any);
  CHECK_THROWS_AS(layer.fired(2), invalid_parameter);
}

TEST_CASE("sparse_ffn: moving neurons between devices only changes the summation order",
          "[layer][ffn]") {
  std::mt19937 rng(3);
  const ffn_shape shape{ffn_kind::swiglu, 80, 256, false};
  const dense_ffn ref(shape, rng);
  sparse_ffn<exec> layer(shape);
  layer.load_dense(ref.view());
  const row_matrix_f x = random_matrix(4, shape.hidden, rng);  // batch > 1
  const neuron_mask active = random_mask(shape.neurons, 0.4, rng);
  matrix y_one("y1", 4, shape.hidden);
  layer.forward(to_view(x), y_one, active, layer_placement(shape.neurons, 0));
  const row_matrix one = to_eigen(y_one);
  CHECK(relative_error(one, ref.reference(x, active)) < 1e-5);
  for (int trial = 0; trial < 4; ++trial) {
    layer.set_strategy(strategies[trial % 2]);
    const layer_placement p = random_placement(shape.neurons, 5, rng);
    matrix y("y", 4, shape.hidden);
    layer.forward(to_view(x), y, active, p);
    CHECK(relative_error(to_eigen(y), one) < 1e-5);
    // the activations do not depend on the placement either
    const neuron_mask fired = layer.fired_any();
    CHECK(fired.intersection_count(active) == fired.count());
  }
  layer.set_strategy(strategies[0]);
  // An index list gives the same result as the mask it lists.
  const auto list = active.indices();
  std::vector<std::uint32_t> reversed(list.rbegin(), list.rend());
  matrix y_list("yl", 4, shape.hidden);
  layer.forward(to_view(x), y_list,
                device_neurons(std::span<const std::uint32_t>(reversed),
                               layer_placement(shape.neurons, 0), 1));
  CHECK(to_eigen(y_list) == one);
}

TEST_CASE("sparse_ffn: one GEMV per device over exactly its active neurons", "[layer][ffn]") {
  std::mt19937 rng(17);
  const ffn_shape shape{ffn_kind::relu, 32, 120, true};
  const dense_ffn ref(shape, rng);
  sparse_ffn<exec> layer(shape);
  layer.load_dense(ref.view());
  auto log = std::make_shared<std::vector<gemv_record>>();
  auto devices = make_devices(4, log);
  ledger l;
  devices.attach(l);
  const layer_placement p = random_placement(shape.neurons, devices.size(), rng);
  const neuron_mask active = random_mask(shape.neurons, 0.5, rng);
  std::vector<std::uint64_t> addresses(shape.neurons);
  for (std::size_t i = 0; i < shape.neurons; ++i) addresses[i] = 4096 * i + 64;
  sparse_cost_options opts;
  opts.merge_devices = {1, 2, 3, 4};
  opts.neuron_addresses = addresses;
  const row_matrix_f x = random_matrix(2, shape.hidden, rng);
  matrix y("y", 2, shape.hidden);
  const layer_timing t = layer.forward(to_view(x), y, active, p, devices, l, 1_ms, opts);

  // Expected per device: the active neurons it computes, ascending.
  std::vector<std::vector<std::uint64_t>> want(devices.size());
  active.for_each([&](std::size_t i) { want[p.compute_device(i)].push_back(addresses[i]); });
  std::size_t record = 0;
  for (std::size_t d = 0; d < devices.size(); ++d) {
    if (want[d].empty()) continue;
    REQUIRE(record < log->size());
    const gemv_record& r = (*log)[record++];
    CHECK(r.chunks == want[d].size());
    CHECK(r.rows_per_chunk == 2);
    CHECK(r.cols == shape.hidden);
    CHECK(r.batch == 2);
    CHECK(r.addresses == want[d]);
    const auto& res = l.resource(devices.resource(static_cast<device_index>(d)));
    CHECK(res.stage_busy(stage::ffn) > 0_s);
    // FP16 chunks: 2 rows x 32 elements x 2 B per active neuron.
    CHECK(res.bytes_moved.value() >= static_cast<double>(want[d].size() * 128));
  }
  CHECK(record == log->size());
  // Every device started at 1 ms; the merge followed the slowest GEMV.
  CHECK(t.ready == 1_ms);
  for (std::size_t d = 0; d < devices.size(); ++d) CHECK(t.device_end[d] >= 1_ms);
  CHECK(t.end > t.compute_end);
  CHECK(l.stage_busy(stage::ffn_merge) > 0_s);
  CHECK(l.resource(devices.resource(0)).stage_busy(stage::ffn_merge) == 0_s);
  // And the math is still the reference.
  CHECK(relative_error(to_eigen(y), ref.reference(x, active)) < 1e-5);
}

TEST_CASE("sparse_ffn: timing-only charging equals the math path's charging", "[layer][ffn]") {
  std::mt19937 rng(23);
  const ffn_shape shape{ffn_kind::relu_glu, 40, 150, false};
  const dense_ffn ref(shape, rng);
  sparse_ffn<exec> layer(shape);
  layer.load_dense(ref.view());
  auto devices = make_devices(3, std::make_shared<std::vector<gemv_record>>());
  ledger math_ledger, timing_ledger, counts_ledger;
  devices.attach(math_ledger);
  devices.attach(timing_ledger);
  devices.attach(counts_ledger);
  sparse_cost_options opts;
  opts.merge_devices = {1, 2, 3};
  std::size_t moves = 0;
  opts.move = [&](device_index, device_index, bytes size, seconds ready) {
    ++moves;
    return ready + seconds(size.value() / 64e9);
  };
  const row_matrix_f x = random_matrix(3, shape.hidden, rng);
  matrix y("y", 3, shape.hidden);
  seconds math_ready{}, timing_ready{}, counts_ready{};
  for (int token = 0; token < 4; ++token) {
    const layer_placement p = random_placement(shape.neurons, devices.size(), rng);
    const neuron_mask active = random_mask(shape.neurons, 0.3, rng);
    math_ready = layer.forward(to_view(x), y, active, p, devices, math_ledger, math_ready, opts).end;
    // Timing only: shapes and neuron groups, no layer object, no weights.
    timing_ready = charge_sparse_ffn(shape, 3, device_neurons(active, p, devices.size()), devices,
                                     timing_ledger, timing_ready, opts)
                       .end;
    // The simulator's grouping: per-device counts from the home masks, no neuron lists.
    counts_ready = charge_sparse_ffn(shape, 3, device_neuron_counts(active, p, home_masks(p, devices.size())),
                                     devices, counts_ledger, counts_ready, opts)
                       .end;
  }
  CHECK(moves > 0);
  CHECK(math_ready == timing_ready);
  CHECK(math_ready == counts_ready);
  // Chunk addresses need the neuron lists: counts alone are refused, not charged as packed.
  const std::vector<std::uint64_t> addresses(shape.neurons, 0);
  opts.neuron_addresses = addresses;
  const layer_placement p(shape.neurons, 1);
  neuron_mask all(shape.neurons);
  all.fill();
  CHECK_THROWS_WITH(charge_sparse_ffn(shape, 3, device_neuron_counts(all, p, home_masks(p, devices.size())), devices,
                                      counts_ledger, counts_ready, opts),
                    Catch::Contains("neuron_addresses"));
  layer_test::check_same_ledger(math_ledger, timing_ledger);
  layer_test::check_same_ledger(math_ledger, counts_ledger);
}

TEST_CASE("sparse_ffn: bad shapes and inputs are rejected", "[layer][ffn]") {
  CHECK_THROWS_AS(sparse_ffn<exec>(ffn_shape{ffn_kind::relu, 0, 10, false}), invalid_parameter);
  CHECK_THROWS_AS(sparse_ffn<exec>(ffn_shape{ffn_kind::relu, 10, 0, false}), invalid_parameter);
  const ffn_shape shape{ffn_kind::swiglu, 16, 24, false};
  sparse_ffn<exec> layer(shape);
  std::vector<float> w(16 * 24, 0.5f);
  dense_ffn_weights missing_gate{w, {}, w, {}, {}};
  CHECK_THROWS_WITH(layer.load_dense(missing_gate), Catch::Contains("gate"));
  std::vector<float> short_fc2(16 * 23);
  CHECK_THROWS_WITH(layer.load_dense(dense_ffn_weights{w, w, short_fc2, {}, {}}),
                    Catch::Contains("fc2") && Catch::Contains("368"));

  neuron_mask all(24);
  all.fill();
  const layer_placement p(24, 0);
  matrix x("x", 2, 16), y("y", 2, 16);
  matrix wide("wide", 2, 17), short_y("short", 1, 16), empty("empty", 0, 16);
  CHECK_THROWS_WITH(layer.forward(wide, y, all, p), Catch::Contains("input width"));
  CHECK_THROWS_WITH(layer.forward(x, short_y, all, p), Catch::Contains("output shape"));
  CHECK_THROWS_WITH(layer.forward(empty, empty, all, p), Catch::Contains("batch"));
  CHECK_THROWS_WITH(layer.forward(x, y, neuron_mask(23), p), Catch::Contains("mask size"));
  CHECK_THROWS_AS(layer.forward(x, y, all, layer_placement(20, 0)), invalid_parameter);
  const std::vector<std::uint32_t> twice{3, 5, 3};
  CHECK_THROWS_WITH(device_neurons(std::span<const std::uint32_t>(twice), p, 1),
                    Catch::Contains("once"));
  const std::vector<std::uint32_t> outside{3, 24};
  CHECK_THROWS_WITH(device_neurons(std::span<const std::uint32_t>(outside), p, 1),
                    Catch::Contains("24"));
  // A placement naming a device the system does not have.
  auto devices = make_devices(2, std::make_shared<std::vector<gemv_record>>());
  ledger l;
  devices.attach(l);
  layer_placement far(24, 7, 0);
  CHECK_THROWS(layer.forward(x, y, all, far, devices, l, 0_s));
  sparse_cost_options bad;
  bad.merge_devices = {9};
  CHECK_THROWS_WITH(layer.forward(x, y, all, p, devices, l, 0_s, bad),
                    Catch::Contains("merge_devices"));
}
