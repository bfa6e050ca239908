#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "hermes/map/greedy_mapper.hpp"
#include "hermes/map/ilp_mapper.hpp"
#include "hermes/map/lp_rounding_mapper.hpp"
#include "hermes/map/random_mapper.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {

placement_layer make_layer(std::vector<double> f, double neuron_bytes, double t_gpu, double t_dimm) {
  placement_layer l;
  l.name = "test layer";
  l.frequency = std::move(f);
  l.neuron_bytes = bytes(neuron_bytes);
  l.gpu_time_per_activation = seconds(t_gpu);
  l.dimm_time_per_activation = seconds(t_dimm);
  return l;
}

// A small random instance: `layers` x `neurons`, sizes and speeds that differ per layer.
placement_problem random_instance(std::uint64_t seed, std::size_t layers, std::size_t neurons,
                                  std::size_t dimms, double gpu_share, double dimm_slack) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  placement_problem p;
  p.dimms = dimms;
  p.sync_time = seconds(0.05 * u(rng));
  double total = 0.0;
  for (std::size_t l = 0; l < layers; ++l) {
    std::vector<double> f(neurons);
    for (auto& v : f) v = std::pow(u(rng), 3.0);  // skewed: a few hot neurons
    const double b = 2.0 + static_cast<double>(l % 3);
    p.layers.push_back(make_layer(std::move(f), b, 0.1 + 0.2 * u(rng), 1.0 + u(rng)));
    total += b * static_cast<double>(neurons);
  }
  p.gpu_capacity = bytes(std::floor(gpu_share * total));
  p.dimm_capacity = bytes(std::ceil(dimm_slack * total / static_cast<double>(dimms)));
  return p;
}

// Exhaustive search over every (GPU copy or not, home DIMM) for every neuron.
double brute_force(const placement_problem& p) {
  const std::size_t D = p.dimms;
  std::vector<std::pair<std::size_t, std::size_t>> neurons;
  for (std::size_t l = 0; l < p.layers.size(); ++l)
    for (std::size_t i = 0; i < p.layers[l].neurons(); ++i) neurons.emplace_back(l, i);
  const std::size_t choices = 2 * D;
  std::size_t combos = 1;
  for (std::size_t k = 0; k < neurons.size(); ++k) combos *= choices;
  double best = std::numeric_limits<double>::infinity();
  std::vector<std::size_t> pick(neurons.size(), 0);
  for (std::size_t c = 0; c < combos; ++c) {
    std::size_t v = c;
    for (auto& x : pick) { x = v % choices; v /= choices; }
    double gpu_bytes = 0.0;
    std::vector<double> dimm_bytes(D, 0.0);
    std::vector<double> gpu_f(p.layers.size(), 0.0);
    std::vector<std::vector<double>> dimm_f(p.layers.size(), std::vector<double>(D, 0.0));
    for (std::size_t k = 0; k < neurons.size(); ++k) {
      const auto [l, i] = neurons[k];
      const bool cached = pick[k] >= D;
      const std::size_t home = pick[k] % D;
      const double b = p.layers[l].neuron_bytes.value(), f = p.layers[l].frequency[i];
      dimm_bytes[home] += b;
      if (cached) { gpu_bytes += b; gpu_f[l] += f; } else { dimm_f[l][home] += f; }
    }
    if (gpu_bytes > p.gpu_capacity.value()) continue;
    bool ok = true;
    for (double b : dimm_bytes) ok = ok && b <= p.dimm_capacity.value();
    if (!ok) continue;
    double total = 0.0;
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      double t = p.layers[l].gpu_time_per_activation.value() * gpu_f[l] + 2 * p.sync_time.value();
      for (double f : dimm_f[l]) t = std::max(t, p.layers[l].dimm_time_per_activation.value() * f);
      total += t;
    }
    best = std::min(best, total);
  }
  return best;
}

void check_invariants(const placement_problem& p, const placement_result& r) {
  REQUIRE(r.layers.size() == p.layers.size());
  std::size_t homeless = 0;
  for (std::size_t l = 0; l < p.layers.size(); ++l)
    for (std::size_t i = 0; i < p.layers[l].neurons(); ++i)
      homeless += r.layers[l].home[i] < 1 || r.layers[l].home[i] > p.dimms;
  CHECK(homeless == 0);
  const auto c = evaluate(p, r.layers);
  CHECK(c.gpu_bytes <= p.gpu_capacity);
  for (const auto& b : c.dimm_bytes) CHECK(b <= p.dimm_capacity);
  CHECK(r.objective.value() == Approx(c.total.value()).epsilon(1e-12));
  CHECK(r.lower_bound.value() <= r.objective.value() * (1 + 1e-9));
}

}  // namespace

TEST_CASE("evaluate: Eq 1-7 by hand", "[map][offline]") {
  placement_problem p;
  p.dimms = 2;
  p.sync_time = 1_us;
  p.gpu_capacity = 100_B;
  p.dimm_capacity = 100_B;
  p.layers.push_back(make_layer({0.5, 0.25, 1.0}, 10, 2e-6, 10e-6));
  std::vector<layer_placement> pl{layer_placement(3, cold_device(0))};
  pl[0].cached.set(2);                 // neuron 2 on the GPU
  pl[0].home[1] = cold_device(1);      // neuron 1 homed on DIMM 2
  const auto c = evaluate(p, pl);
  CHECK(c.gpu_time[0].value() == Approx(2e-6 * 1.0 + 2e-6));
  CHECK(c.dimm_time[0][0].value() == Approx(10e-6 * 0.5));
  CHECK(c.dimm_time[0][1].value() == Approx(10e-6 * 0.25));
  CHECK(c.total.value() == Approx(5e-6));
  CHECK(c.gpu_bytes == 10_B);
  CHECK(c.dimm_bytes[0] == 20_B);  // the GPU-cached neuron is still stored on its home
  CHECK(c.dimm_bytes[1] == 10_B);
  pl[0].home[0] = 3;
  CHECK_THROWS_AS(evaluate(p, pl), invalid_parameter);
}

TEST_CASE("placement_problem: bad input names the field; an impossible model is an error", "[map][offline]") {
  placement_problem p = random_instance(1, 2, 4, 2, 0.3, 1.5);
  p.dimms = 0;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("placement_problem.dimms"));
  p = random_instance(1, 2, 4, 2, 0.3, 1.5);
  p.layers[1].frequency[2] = -0.5;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("layers[1].frequency[2]"));
  p = random_instance(1, 2, 4, 2, 0.3, 1.5);
  p.layers[0].dimm_time_per_activation = seconds(0);
  CHECK_THROWS_AS(greedy_mapper{}.place(p), invalid_parameter);

  // The model is bigger than all DIMMs together.
  p = random_instance(1, 2, 4, 2, 0.3, 0.9);
  CHECK_THROWS_AS(ilp_mapper{}.place(p), capacity_exceeded);
  CHECK_THROWS_AS(greedy_mapper{}.place(p), capacity_exceeded);
  CHECK_THROWS_AS(random_mapper{}.place(p), capacity_exceeded);
  CHECK_THROWS_WITH(lp_rounding_mapper{}.place(p), Catch::Contains("every neuron must have a home DIMM"));
}

TEST_CASE("ilp_mapper: per-DIMM ILP matches brute force on tiny instances", "[map][offline][cbc]") {
  ilp_options o;
  o.group_size = 1;
  o.formulation = ilp_formulation::per_dimm;
  o.relative_gap = 0.0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    // Alternate roomy and tight DIMMs: tight ones make the packing of homes matter.
    const double dimm_slack = seed % 2 ? 1.6 : 1.05;
    const placement_problem p = random_instance(seed, 2, 4, 2, 0.25 + 0.05 * static_cast<double>(seed % 3), dimm_slack);
    const double exact = brute_force(p);
    const placement_result r = ilp_mapper(o).place(p);
    INFO("seed " << seed << " method " << to_string(r.method));
    CHECK(r.objective.value() == Approx(exact).epsilon(1e-7));
    CHECK(r.cbc.ran);
    CHECK(r.cbc.full_formulation);
    check_invariants(p, r);
    // Every other mapper is feasible and no better than the optimum.
    for (const auto& other : {lp_rounding_mapper{}.place(p), greedy_mapper{}.place(p), random_mapper{seed}.place(p)})
      CHECK(other.objective.value() >= exact * (1 - 1e-9));
  }
}

TEST_CASE("ilp_mapper: the closed-form LP bound equals Clp's relaxation", "[map][offline][cbc]") {
  for (std::uint64_t seed = 11; seed <= 14; ++seed) {
    const placement_problem p = random_instance(seed, 3, 12, 3, 0.2, 1.5);
    const seconds bound = solve_lp_relaxation(p).bound;
    ilp_options o;
    o.group_size = 1;
    o.formulation = ilp_formulation::per_dimm;
    o.per_dimm_max_binaries = 1000000;
    CHECK(ilp_mapper(o).cbc_lp_relaxation(p).value() == Approx(bound.value()).epsilon(1e-6));
    o.formulation = ilp_formulation::split;
    CHECK(ilp_mapper(o).cbc_lp_relaxation(p).value() == Approx(bound.value()).epsilon(1e-6));
    // Coarser groups only restrict the relaxation.
    o.group_size = 4;
    CHECK(ilp_mapper(o).cbc_lp_relaxation(p).value() >= bound.value() * (1 - 1e-9));
  }
}

TEST_CASE("ilp_mapper: solves from several threads at once equal the serial ones", "[map][offline][cbc]") {
  // CBC 2.10 is not thread safe; the mapper serialises its CBC calls (detail::cbc_mutex), so the
  // simulations that hermes-sim and the reproduction run on several threads may place at once.
  ilp_options o;
  o.group_size = 1;
  o.formulation = ilp_formulation::per_dimm;
  o.relative_gap = 0.0;
  std::vector<placement_problem> problems;
  std::vector<double> serial;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    problems.push_back(random_instance(seed, 2, 4, 2, 0.3, 1.05));
    serial.push_back(ilp_mapper(o).place(problems.back()).objective.value());
  }
  std::vector<double> parallel(problems.size());
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t i = t; i < problems.size(); i += 3) parallel[i] = ilp_mapper(o).place(problems[i]).objective.value();
    });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < problems.size(); ++i) CHECK(parallel[i] == serial[i]);
}

TEST_CASE("offline mappers: capacities hold and the report is complete on larger instances", "[map][offline][cbc]") {
  for (std::uint64_t seed = 21; seed <= 23; ++seed) {
    const placement_problem p = random_instance(seed, 6, 1500, 4, 0.15, 1.3);
    ilp_options o;
    o.group_size = 16;
    o.time_limit_seconds = 2.0;
    const placement_result ilp = ilp_mapper(o).place(p);
    check_invariants(p, ilp);
    CHECK(ilp.cbc.ran);
    CHECK_FALSE(ilp.cbc.full_formulation);  // 6 x 94 groups x 5 devices is beyond the per-DIMM limit
    CHECK(ilp.gap >= 0.0);
    CHECK(ilp.solve_seconds > 0.0);
    CHECK((ilp.method == placement_method::cbc_optimal || ilp.method == placement_method::cbc_feasible ||
           ilp.method == placement_method::lp_rounding_repair));
    const placement_result lpr = lp_rounding_mapper{}.place(p);
    const placement_result gr = greedy_mapper{}.place(p);
    const placement_result rnd = random_mapper{seed}.place(p);
    for (const auto* r : {&lpr, &gr, &rnd}) check_invariants(p, *r);
    CHECK(ilp.objective <= lpr.objective);  // the fallback is always a candidate
    CHECK(ilp.objective < rnd.objective);   // the profile matters
    CHECK(lpr.gap < 0.02);
    CHECK(gr.method == placement_method::greedy);
    CHECK(rnd.method == placement_method::random);
    // The random mapper fills the GPU like the others; it just ignores which neurons are hot.
    CHECK(rnd.cost.gpu_bytes.value() >= p.gpu_capacity.value() - 4.0);
  }
}

TEST_CASE("ilp_mapper: target_gap is validated, naming the field", "[map][offline]") {
  const placement_problem p = random_instance(5, 2, 20, 2, 0.2, 1.5);
  for (double bad : {-1e-3, 1.0, 2.0, std::numeric_limits<double>::quiet_NaN()}) {
    ilp_options o;
    o.target_gap = bad;
    INFO("target_gap " << bad);
    CHECK_THROWS_AS(o.validate(), invalid_parameter);
    CHECK_THROWS_WITH(ilp_mapper(o).place(p), Catch::Contains("ilp_options.target_gap"));
  }
  ilp_options ok;
  ok.target_gap = 0.5;
  CHECK_NOTHROW(ok.validate());
}

TEST_CASE("ilp_mapper: CBC is skipped exactly when LP rounding proves the target gap", "[map][offline][cbc]") {
  for (std::uint64_t seed = 21; seed <= 23; ++seed) {
    const placement_problem p = random_instance(seed, 6, 1500, 4, 0.15, 1.3);
    const placement_result lpr = lp_rounding_mapper{}.place(p);
    REQUIRE(lpr.gap > 0.0);  // else no tolerance below it exists
    ilp_options o;
    o.group_size = 16;
    o.time_limit_seconds = 2.0;
    INFO("seed " << seed << ", LP rounding gap " << lpr.gap);

    // 0 (the mapper's default): CBC always runs.
    REQUIRE(o.target_gap == 0.0);
    const placement_result solved = ilp_mapper(o).place(p);
    CHECK(solved.cbc.ran);

    // A tolerance the rounding meets: no CBC, and the report says what produced the placement.
    o.target_gap = lpr.gap * 1.01;
    const placement_result accepted = ilp_mapper(o).place(p);
    check_invariants(p, accepted);
    CHECK_FALSE(accepted.cbc.ran);
    CHECK(accepted.method == placement_method::lp_rounding_repair);
    CHECK(accepted.gap <= o.target_gap);
    CHECK(accepted.objective == lpr.objective);
    CHECK(accepted.lower_bound == lpr.lower_bound);
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      CHECK(accepted.layers[l].cached == lpr.layers[l].cached);
      CHECK(accepted.layers[l].home == lpr.layers[l].home);
    }

    // A tolerance the rounding misses: CBC runs, and the result is never worse than the rounding.
    o.target_gap = lpr.gap * 0.5;
    const placement_result tight = ilp_mapper(o).place(p);
    check_invariants(p, tight);
    CHECK(tight.cbc.ran);
    CHECK(tight.objective <= lpr.objective);
  }
}

TEST_CASE("random_mapper: reproducible from its seed", "[map][offline]") {
  const placement_problem p = random_instance(5, 3, 50, 3, 0.2, 1.5);
  const auto a = random_mapper{7}.place(p), b = random_mapper{7}.place(p), c = random_mapper{8}.place(p);
  CHECK(a.objective == b.objective);
  CHECK(a.layers[1].home == b.layers[1].home);
  CHECK_FALSE(a.layers[1].home == c.layers[1].home);
}

TEST_CASE("offline_mapper concept", "[map][offline]") {
  STATIC_REQUIRE(offline_mapper<ilp_mapper>);
  STATIC_REQUIRE(offline_mapper<greedy_mapper>);
  STATIC_REQUIRE(offline_mapper<lp_rounding_mapper>);
  STATIC_REQUIRE(offline_mapper<random_mapper>);
  STATIC_REQUIRE_FALSE(offline_mapper<placement_problem>);
}
