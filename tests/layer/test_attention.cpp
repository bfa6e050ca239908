#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "hermes/layer/attention.hpp"
#include "hermes/map/home_masks.hpp"
#include "layer_test_support.hpp"

using namespace hermes;
using namespace hermes::literals;
using namespace layer_test;

namespace {

// A straightforward double-precision attention with its own KV cache (llama2.c's algorithm).
struct reference_attention {
  attention_shape shape;
  std::size_t sequences;
  row_matrix_f wq, wk, wv, wo;
  Eigen::VectorXf bq, bk, bv, bo;
  std::vector<std::vector<Eigen::VectorXd>> keys, values;  // [sequence][position]

  reference_attention(attention_shape s, std::size_t seqs, std::mt19937& rng)
      : shape(s), sequences(seqs), keys(seqs), values(seqs) {
    const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.hidden)));
    wq = random_matrix(s.q_dim(), s.hidden, rng, scale);
    wk = random_matrix(s.kv_dim(), s.hidden, rng, scale);
    wv = random_matrix(s.kv_dim(), s.hidden, rng, scale);
    wo = random_matrix(s.hidden, s.q_dim(), rng, scale);
    if (s.bias) {
      bq = random_matrix(s.q_dim(), 1, rng, 0.1f);
      bk = random_matrix(s.kv_dim(), 1, rng, 0.1f);
      bv = random_matrix(s.kv_dim(), 1, rng, 0.1f);
      bo = random_matrix(s.hidden, 1, rng, 0.1f);
    }
  }
  dense_attention_weights view() const {
    dense_attention_weights w{span_of(wq), span_of(wk), span_of(wv), span_of(wo), {}, {}, {}, {}};
    if (shape.bias) {
      w.bq = span_of(bq);
      w.bk = span_of(bk);
      w.bv = span_of(bv);
      w.bo = span_of(bo);
    }
    return w;
  }
  void rope(Eigen::VectorXd& v, std::size_t pos) const {
    for (Eigen::Index j = 0; j < v.size(); j += 2) {
      const double m2 = static_cast<double>(static_cast<std::size_t>(j) % shape.head_dim);
      const double angle =
          static_cast<double>(pos) * std::pow(10000.0, -m2 / static_cast<double>(shape.head_dim));
      const double v0 = v(j), v1 = v(j + 1);
      v(j) = v0 * std::cos(angle) - v1 * std::sin(angle);
      v(j + 1) = v0 * std::sin(angle) + v1 * std::cos(angle);
    }
  }
  // Decodes position pos for every row of x; inactive input channels are zeroed.
  row_matrix forward(const row_matrix_f& x, std::size_t pos, const neuron_mask& active) {
    row_matrix y(x.rows(), shape.hidden);
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
      Eigen::VectorXd u = x.row(b).transpose().cast<double>();
      for (Eigen::Index i = 0; i < u.size(); ++i) {
        if (shape.relu_before_qkv && u(i) < 0.0) u(i) = 0.0;
        if (!active.test(static_cast<std::size_t>(i))) u(i) = 0.0;
      }
      Eigen::VectorXd q = wq.cast<double>() * u, k = wk.cast<double>() * u,
                      v = wv.cast<double>() * u;
      if (shape.bias) {
        q += bq.cast<double>();
        k += bk.cast<double>();
        v += bv.cast<double>();
      }
      rope(q, pos);
      rope(k, pos);
      auto& kc = keys[static_cast<std::size_t>(b)];
      auto& vc = values[static_cast<std::size_t>(b)];
      REQUIRE(kc.size() == pos);  // positions decoded in order
      kc.push_back(k);
      vc.push_back(v);
      Eigen::VectorXd o(shape.q_dim());
      const std::size_t hd = shape.head_dim;
      for (std::size_t h = 0; h < shape.heads; ++h) {
        const std::size_t g = h / shape.queries_per_kv();
        std::vector<double> a(pos + 1);
        double largest = -1e300;
        for (std::size_t t = 0; t <= pos; ++t) {
          a[t] = q.segment(static_cast<Eigen::Index>(h * hd), static_cast<Eigen::Index>(hd))
                     .dot(kc[t].segment(static_cast<Eigen::Index>(g * hd),
                                        static_cast<Eigen::Index>(hd))) /
                 std::sqrt(static_cast<double>(hd));
          largest = std::max(largest, a[t]);
        }
        double sum = 0.0;
        for (auto& e : a) sum += (e = std::exp(e - largest));
        Eigen::VectorXd oh = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(hd));
        for (std::size_t t = 0; t <= pos; ++t)
          oh += (a[t] / sum) *
                vc[t].segment(static_cast<Eigen::Index>(g * hd), static_cast<Eigen::Index>(hd));
        o.segment(static_cast<Eigen::Index>(h * hd), static_cast<Eigen::Index>(hd)) = oh;
      }
      Eigen::VectorXd out = wo.cast<double>() * o;
      if (shape.bias) out += bo.cast<double>();
      y.row(b) = out.transpose();
    }
    return y;
  }
};

neuron_mask all_of(std::size_t n) {
  neuron_mask m(n);
  m.fill();
  return m;
}

neuron_mask random_mask(std::size_t n, double density, std::mt19937& rng) {
  std::bernoulli_distribution on(density);
  neuron_mask m(n);
  for (std::size_t i = 0; i < n; ++i)
    if (on(rng)) m.set(i);
  return m;
}

constexpr kernels::partial_strategy strategies[] = {kernels::partial_strategy::per_worker,
                                                    kernels::partial_strategy::output_blocks};

// Runs `positions` decoding steps and compares every step with the reference.
void check_against_reference(const attention_shape& shape, std::size_t batch, std::size_t positions,
                             double density, kernels::partial_strategy strategy,
                             std::uint32_t seed) {
  std::mt19937 rng(seed);
  reference_attention ref(shape, batch, rng);
  attention<exec> layer(shape, batch);
  layer.set_strategy(strategy);
  layer.load_dense(ref.view());
  for (std::size_t pos = 0; pos < positions; ++pos) {
    const row_matrix_f x = random_matrix(batch, shape.hidden, rng);
    const neuron_mask active =
        density >= 1.0 ? all_of(shape.hidden) : random_mask(shape.hidden, density, rng);
    matrix y("y", batch, shape.hidden);
    layer.forward(to_view(x), y, pos, active, layer_placement(shape.hidden, 0));
    INFO("position " << pos);
    CHECK(relative_error(to_eigen(y), ref.forward(x, pos, active)) < 1e-5);
  }
}

}  // namespace

TEST_CASE("attention: multi-head attention equals the reference over several positions",
          "[layer][attention]") {
  const attention_shape mha{32, 4, 4, 8, 16, false, false};
  for (const auto strategy : strategies) check_against_reference(mha, 1, 6, 1.0, strategy, 1);
  const attention_shape with_bias{32, 4, 4, 8, 16, false, true};
  check_against_reference(with_bias, 2, 4, 1.0, strategies[0], 2);
}

TEST_CASE("attention: grouped-query attention equals the reference", "[layer][attention]") {
  // stories260K's head layout: 8 query heads sharing 4 KV heads of 8 elements
  const attention_shape gqa{64, 8, 4, 8, 32, false, false};
  for (const auto strategy : strategies) check_against_reference(gqa, 3, 5, 1.0, strategy, 3);
  const attention_shape mqa{48, 6, 1, 8, 8, false, false};  // one KV head for all
  check_against_reference(mqa, 1, 8, 1.0, strategies[1], 4);
}

TEST_CASE("attention: ReLU before QKV and skipped attention neurons", "[layer][attention]") {
  const attention_shape relu{64, 8, 2, 8, 16, true, false};
  check_against_reference(relu, 2, 4, 1.0, strategies[0], 5);
  check_against_reference(relu, 2, 4, 0.4, strategies[1], 6);
  const attention_shape plain{64, 8, 8, 8, 16, false, true};
  check_against_reference(plain, 1, 4, 0.3, strategies[0], 7);

  // The ReLU's zeros are the fired set: negative inputs never fire.
  std::mt19937 rng(8);
  reference_attention ref(relu, 1, rng);
  attention<exec> layer(relu, 1);
  layer.load_dense(ref.view());
  const row_matrix_f x = random_matrix(1, relu.hidden, rng);
  matrix y("y", 1, relu.hidden);
  layer.forward(to_view(x), y, 0, all_of(relu.hidden), layer_placement(relu.hidden, 0));
  neuron_mask want(relu.hidden);
  for (std::size_t i = 0; i < relu.hidden; ++i)
    if (x(0, static_cast<Eigen::Index>(i)) > 0.0f) want.set(i);
  CHECK(layer.fired(0) == want);
  CHECK(want.count() > 0);
  CHECK(want.count() < relu.hidden);
}

TEST_CASE("attention: placement invariance and per-device QKV charging", "[layer][attention]") {
  std::mt19937 rng(9);
  const attention_shape shape{64, 8, 4, 8, 16, true, false};
  reference_attention ref(shape, 2, rng);
  attention<exec> spread(shape, 2), single(shape, 2);
  spread.load_dense(ref.view());
  single.load_dense(ref.view());
  auto log = std::make_shared<std::vector<gemv_record>>();
  auto devices = make_devices(4, log);
  ledger l;
  devices.attach(l);
  attention_cost_options opts;
  opts.merge_devices = {1, 2, 3, 4};
  opts.kv_head_home = {1, 2, 3, 4};
  opts.projection_device = 0;
  seconds ready{};
  for (std::size_t pos = 0; pos < 4; ++pos) {
    const row_matrix_f x = random_matrix(2, shape.hidden, rng);
    const neuron_mask active = random_mask(shape.hidden, 0.7, rng);
    layer_placement p(shape.hidden, 1, 0);
    std::uniform_int_distribution<int> dimm(1, 4);
    for (std::size_t i = 0; i < shape.hidden; ++i) {
      p.home[i] = static_cast<device_index>(dimm(rng));
      if (i % 5 == 0) p.cached.set(i);
    }
    matrix y_spread("ys", 2, shape.hidden), y_single("y1", 2, shape.hidden);
    log->clear();
    const attention_timing t =
        spread.forward(to_view(x), y_spread, pos, active, p, devices, l, ready, opts);
    single.forward(to_view(x), y_single, pos, active, layer_placement(shape.hidden, 0));
    CHECK(relative_error(to_eigen(y_spread), to_eigen(y_single)) < 1e-5);
    CHECK(relative_error(to_eigen(y_spread), ref.forward(x, pos, active)) < 1e-5);

    // The first GEMVs are the QKV ones, device by device, over exactly the active neurons there.
    std::vector<std::size_t> want(devices.size(), 0);
    active.for_each([&](std::size_t i) { ++want[p.compute_device(i)]; });
    std::size_t r = 0;
    for (std::size_t d = 0; d < devices.size(); ++d) {
      if (want[d] == 0) continue;
      REQUIRE(r < log->size());
      CHECK((*log)[r].chunks == want[d]);
      CHECK((*log)[r].cols == shape.chunk_elements());
      CHECK((*log)[r].batch == 2);
      ++r;
    }
    // Then per KV head two GEMVs over its cache (scores, weighted sum) and the projection.
    REQUIRE(log->size() == r + 2 * shape.kv_heads + 1);
    for (std::size_t g = 0; g < shape.kv_heads; ++g) {
      const gemv_record& scores = (*log)[r + 2 * g];
      CHECK(scores.device == "slow");
      CHECK(scores.chunks == 2 * (pos + 1));
      CHECK(scores.cols == shape.head_dim);
      CHECK(scores.batch == shape.queries_per_kv());
    }
    CHECK(log->back().device == "fast");
    CHECK(log->back().chunks == shape.hidden);
    CHECK(t.qkv.end >= t.qkv.compute_end);
    CHECK(t.attention_end > t.qkv.end);
    CHECK(t.end > t.attention_end);
    ready = t.end;
  }
  // Attention ran on the KV homes only, the projection on device 0 only.
  CHECK(l.resource(devices.resource(0)).stage_busy(stage::attention) == 0_s);
  for (device_index d = 1; d <= 4; ++d)
    CHECK(l.resource(devices.resource(d)).stage_busy(stage::attention) > 0_s);
  CHECK(l.stage_busy(stage::output_projection) ==
        l.resource(devices.resource(0)).stage_busy(stage::output_projection));
}

TEST_CASE("attention: timing-only charging equals the math path's charging", "[layer][attention]") {
  std::mt19937 rng(10);
  const attention_shape shape{32, 4, 2, 8, 8, true, false};
  reference_attention ref(shape, 3, rng);
  attention<exec> layer(shape, 3);
  layer.load_dense(ref.view());
  auto devices = make_devices(2, std::make_shared<std::vector<gemv_record>>());
  ledger math_ledger, timing_ledger, counts_ledger;
  devices.attach(math_ledger);
  devices.attach(timing_ledger);
  devices.attach(counts_ledger);
  attention_cost_options opts;
  opts.merge_devices = {1, 2};
  opts.kv_head_home = {2, 1};
  opts.move = [](device_index, device_index, bytes size, seconds ready) {
    return ready + seconds(size.value() / 25e9);
  };
  seconds math_ready{}, timing_ready{}, counts_ready{};
  for (std::size_t pos = 0; pos < 5; ++pos) {
    const row_matrix_f x = random_matrix(3, shape.hidden, rng);
    const neuron_mask active = random_mask(shape.hidden, 0.5, rng);
    const layer_placement p(shape.hidden, static_cast<device_index>(pos % 3), 0);
    matrix y("y", 3, shape.hidden);
    math_ready = layer.forward(to_view(x), y, pos, active, p, devices, math_ledger, math_ready, opts)
                     .end;
    timing_ready = charge_attention(shape, 3, pos, device_neurons(active, p, devices.size()),
                                    devices, timing_ledger, timing_ready, opts)
                       .end;
    // The simulator's grouping: per-device counts from the home masks, no neuron lists.
    counts_ready = charge_attention(shape, 3, pos, device_neuron_counts(active, p, home_masks(p, devices.size())),
                                    devices, counts_ledger, counts_ready, opts)
                       .end;
  }
  CHECK(math_ready == timing_ready);
  CHECK(math_ready == counts_ready);
  layer_test::check_same_ledger(math_ledger, timing_ledger);
  layer_test::check_same_ledger(math_ledger, counts_ledger);
}

TEST_CASE("attention: bad shapes and inputs are rejected", "[layer][attention]") {
  CHECK_THROWS_WITH(attention<exec>(attention_shape{32, 4, 3, 8, 8, false, false}, 1),
                    Catch::Contains("kv_heads"));
  CHECK_THROWS_WITH(attention<exec>(attention_shape{32, 4, 4, 7, 8, false, false}, 1),
                    Catch::Contains("head_dim"));
  CHECK_THROWS_AS(attention<exec>(attention_shape{32, 4, 4, 8, 0, false, false}, 1),
                  invalid_parameter);
  CHECK_THROWS_AS(attention<exec>(attention_shape{32, 4, 4, 8, 8, false, false}, 0),
                  invalid_parameter);
  const attention_shape shape{32, 4, 4, 8, 8, false, false};
  attention<exec> layer(shape, 2);
  std::vector<float> w(32 * 32);
  CHECK_THROWS_WITH(layer.load_dense(dense_attention_weights{w, w, w, {}, {}, {}, {}, {}}),
                    Catch::Contains("wo"));
  const neuron_mask all = all_of(32);
  const layer_placement p(32, 0);
  matrix x("x", 2, 32), y("y", 2, 32), x3("x3", 3, 32), y3("y3", 3, 32);
  CHECK_THROWS_WITH(layer.forward(x, y, 8, all, p), Catch::Contains("position"));
  CHECK_THROWS_WITH(layer.forward(x3, y3, 0, all, p), Catch::Contains("batch"));
  CHECK_THROWS_WITH(layer.forward(x, y3, 0, all, p), Catch::Contains("output shape"));
  auto devices = make_devices(2, std::make_shared<std::vector<gemv_record>>());
  ledger l;
  devices.attach(l);
  attention_cost_options opts;
  opts.kv_head_home = {1, 2};  // 4 KV heads need 4 homes
  CHECK_THROWS_WITH(charge_attention(shape, 1, 0, device_neurons(all, p, 3), devices, l, 0_s, opts),
                    Catch::Contains("kv_head_home"));
  opts.kv_head_home.clear();
  opts.projection_device = 3;
  CHECK_THROWS_WITH(charge_attention(shape, 1, 0, device_neurons(all, p, 3), devices, l, 0_s, opts),
                    Catch::Contains("projection_device"));
}
