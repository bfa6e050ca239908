// Deja Vu adapted to offloading: OPT only, a hand-derived resident case (predictor + sparse
// compute on the GPU, exact predictions), the bytes an offloaded run moves, and capacity.
#include <catch2/catch.hpp>

#include <string>

#include "hermes/system/dejavu.hpp"
#include "../support/test_models.hpp"

using namespace hermes;

namespace {

// The baseline tests' toy model (tests/support/test_models.hpp), named OPT so that Deja Vu accepts it.
model_shape toy_opt() { return test::toy_model("OPT-toy"); }

workload_config toy_workload() {
  workload_config w;
  w.model = toy_opt();
  w.input_len = 4;
  w.output_len = 3;
  w.profile_tokens = 8;
  return w;
}

hardware_config toy_hardware(double gpu_free) {
  hardware_config h;
  h.gpu_reserved = bytes(1000.0);
  h.gpu.name = "toy-gpu";
  h.gpu.memory_capacity = bytes(gpu_free + 1000.0);
  h.gpu.memory_bandwidth = bandwidth(1e9);
  h.gpu.peak_fp16_tensor = flop_rate(1e15);
  h.gpu.peak_fp32 = flop_rate(1e15);
  h.gpu.kernel_launch_overhead = seconds(0.0);
  h.gpu.dense_bandwidth_efficiency = 1.0;
  h.gpu.gathered_bandwidth_efficiency = 1.0;
  h.pcie = link_config{.name = "toy-pcie", .bandwidth = bandwidth(1e8), .latency = seconds(0.0),
                       .energy_per_bit = joules(0.0)};
  return h;
}

dejavu_options exact_predictor() {
  dejavu_options o;
  o.predictor_rank = 8;
  o.recall = 1.0;
  o.precision = 1.0;
  return o;
}

}  // namespace

TEST_CASE("Deja Vu runs OPT models only", "[baselines][dejavu]") {
  workload_config w;
  w.model = model_presets::llama2_13b();
  const sim_result r = run_dejavu(w, hardware_config{});
  CHECK_FALSE(r.supported);
  CHECK(r.reason.find("OPT") != std::string::npos);
  CHECK(dejavu_supports(model_presets::opt_66b()));
  CHECK_FALSE(dejavu_supports(model_presets::falcon_40b()));
}

TEST_CASE("Deja Vu, all weights resident: predictor and sparse compute on the GPU, by hand", "[baselines][dejavu]") {
  const workload_config w = toy_workload();
  const hardware_config h = toy_hardware(1e7);
  const dejavu_options o = exact_predictor();
  const dejavu_plan plan = plan_dejavu(w, h, o);
  REQUIRE(plan.supported);
  CHECK(plan.resident_layers == 3);
  CHECK(plan.resident_projections == 3);
  // (64 + 64) + (64 + 256) predictor outputs/inputs x rank 8 x 3 layers x 2 B.
  CHECK(plan.predictors.value() == 3 * 448 * 8 * 2);
  const sim_result r = run_dejavu(w, h, o);
  REQUIRE(r.supported);
  CHECK(r.prediction_recall == 1.0);
  CHECK(r.prediction_precision == 1.0);
  CHECK(r.breakdown.pcie_weights.value() == 0.0);

  // The same activations the run consumed: the batch union per decoded token.
  batch_activations acts(w);
  token_masks truth(acts.layout());
  // Predictor per token: per stage a down GEMV 8 x 64 (1024 + (64 + 8) x 2 = 1168 B) and an up
  // GEMV, attention 64 x 8 (1168 B) or FFN 256 x 8 (4096 + (8 + 256) x 2 = 4624 B).
  const double predictor_bytes = 3 * (1168 + 1168 + 1168 + 4624);
  double expected = 0;
  for (std::size_t tok = 0; tok < w.output_len; ++tok) {
    acts.next_union(truth);
    const double c = static_cast<double>(w.input_len + tok + 1);
    double bytes_moved = predictor_bytes;
    for (std::size_t l = 0; l < 3; ++l) {
      const double a = static_cast<double>(truth.mask(l, layer_kind::attention).count());
      const double f = static_cast<double>(truth.mask(l, layer_kind::ffn).count());
      // Gathered QKV: a rows of 384 B + a 4 B indices + (192 + a) x 2 activations; attention
      // over the cache 288c + 64 (test_dense_baselines); Wo 8448; gathered FFN: 2f rows of 128 B
      // + f indices + (64 + 2f) x 2.
      bytes_moved += 388 * a + (192 + a) * 2 + 288 * c + 64 + 8448 + 260 * f + (64 + 2 * f) * 2;
    }
    // The final norm and LM head (sim/lm_head.hpp): 2 x 64 x 2 + 128 x 64 x 2 + (64 + 128) x 2.
    bytes_moved += 256 + 16768;
    expected += bytes_moved / 1e9;
  }
  CHECK(r.seconds_decode.value() == Approx(expected).epsilon(1e-9));
  CHECK(r.breakdown.predictor.value() == Approx(w.output_len * predictor_bytes / 1e9).epsilon(1e-9));
}

TEST_CASE("Deja Vu moves exactly the predicted neurons of offloaded layers", "[baselines][dejavu]") {
  const workload_config w = toy_workload();
  // Fixed: predictors 21504 + KV 4608 + staging 2 x 65536 + embedding 16384 = 173568 B; all Wo
  // 24576 B; then room for one layer's neurons (90112 B) but not two.
  const hardware_config h = toy_hardware(173568.0 + 24576.0 + 100000.0);
  const dejavu_options o = exact_predictor();
  const dejavu_plan plan = plan_dejavu(w, h, o);
  REQUIRE(plan.supported);
  CHECK(plan.resident_projections == 3);
  CHECK(plan.resident_layers == 1);
  CHECK(plan.host_bytes.value() == 2 * 90112.0);
  const sim_result r = run_dejavu(w, h, o);
  REQUIRE(r.supported);

  batch_activations acts(w);
  token_masks truth(acts.layout());
  double moved = 2 * 90112.0;  // prefill: layers 1 and 2 streamed whole
  for (std::size_t tok = 0; tok < w.output_len; ++tok) {
    acts.next_union(truth);
    for (std::size_t l = 1; l < 3; ++l)
      moved += 384.0 * static_cast<double>(truth.mask(l, layer_kind::attention).count()) +
               256.0 * static_cast<double>(truth.mask(l, layer_kind::ffn).count());
  }
  // Zero link latency: the busy time of the weight copies is bytes / 1e8 B/s.
  CHECK(r.breakdown.pcie_weights.value() == Approx(moved / 1e8).epsilon(1e-9));
  // The host gathered every moved row: read with cache-line rounding and an index each, written
  // once, so at least twice the decode bytes at host bandwidth.
  CHECK(r.breakdown.host_compute.value() > 0.0);
  // A slower link makes it slower.
  hardware_config slow = h;
  slow.pcie.bandwidth = bandwidth(5e7);
  CHECK(run_dejavu(w, slow, o).decode_tokens_per_second < r.decode_tokens_per_second);
}

TEST_CASE("Deja Vu reports the predictor quality it was given", "[baselines][dejavu]") {
  workload_config w;
  w.model = model_presets::opt_13b();
  w.output_len = 2;
  const sim_result r = run_dejavu(w, hardware_config{});
  REQUIRE(r.supported);
  CHECK(r.has_prediction);
  CHECK(r.prediction_precision == 1.0);
  CHECK(r.prediction_recall == Approx(0.99).margin(0.01));
  CHECK(r.predicted_density <= r.true_density);
}

TEST_CASE("Deja Vu capacity: the KV cache must sit on the GPU next to the predictors", "[baselines][dejavu]") {
  workload_config w;
  w.model = model_presets::opt_66b();
  w.batch = 64;  // 2.36 MB x 64 x 256 tokens = 38.7 GB of KV cache
  const dejavu_plan p = plan_dejavu(w, hardware_config{});
  CHECK_FALSE(p.supported);
  CHECK(p.reason.find("KV cache") != std::string::npos);
  dejavu_options bad;
  bad.recall = 0.0;
  CHECK_THROWS_AS(run_dejavu(toy_workload(), toy_hardware(1e7), bad), invalid_parameter);
}
