// The dense baselines (Accelerate, FlexGen, TensorRT-LLM): hand-derived times on a toy model
// whose every byte is countable, capacity verdicts on the evaluated models, and the directions
// the policies must move in (more PCIe bandwidth -> faster; larger batch -> more tokens/s).
#include <catch2/catch.hpp>

#include <string>

#include "hermes/system/accelerate.hpp"
#include "hermes/system/flexgen.hpp"
#include "hermes/system/tensorrt_llm.hpp"
#include "../support/test_models.hpp"

using namespace hermes;

namespace {

// The toy model whose every byte is countable (tests/support/test_models.hpp has the byte counts).
model_shape toy_model() { return test::toy_model(); }

// A GPU whose time is bytes / 1 GB/s: no launch overhead, full efficiency, compute so fast that
// no decode GEMV is compute-bound.
gpu_config toy_gpu(double capacity) {
  gpu_config g;
  g.name = "toy-gpu";
  g.memory_capacity = bytes(capacity);
  g.memory_bandwidth = bandwidth(1e9);
  g.peak_fp16_tensor = flop_rate(1e15);
  g.peak_fp32 = flop_rate(1e15);
  return g;
}

workload_config toy_workload() {
  workload_config w;
  w.model = toy_model();
  w.batch = 1;
  w.input_len = 4;
  w.output_len = 2;  // decode contexts 5 and 6
  return w;
}

hardware_config toy_hardware(double gpu_free) {
  hardware_config h;
  h.gpu_reserved = bytes(1000.0);
  h.gpu = toy_gpu(gpu_free + 1000.0);
  h.pcie = link_config{.name = "toy-pcie", .bandwidth = bandwidth(1e8), .latency = seconds(0.0),
                       .energy_per_bit = joules(0.0)};
  return h;
}

// GPU bytes of one dense decode layer of the toy model at context c, batch 1 (roofline.hpp:
// weights + batch x (cols + rows) activations per GEMV; vector_op reads and writes each element):
//   QKV   64 chunks x 192:   24576 + (192 + 64) x 2           = 25088
//   K, V  4c rows x 16 (x1): 2 x (128c + (16 + 4c) x 2)       = 272c + 64
//   softmax 4c scores:       2 x 4c x 2                        = 16c
//   Wo    64 rows x 64:      8192 + (64 + 64) x 2              = 8448
//   FFN   256 chunks x 2 x 64: 65536 + (64 + 512) x 2          = 66688
double toy_layer_bytes(double c) { return 25088 + 272 * c + 64 + 16 * c + 8448 + 66688; }
// GPU bytes of the final norm and LM head of one pass (sim/lm_head.hpp), batch 1:
//   norm  64 elements read and written: 2 x 64 x 2                = 256
//   head  128 vocabulary rows x 64: 16384 + (64 + 128) x 2         = 16768
constexpr double toy_lm_head_bytes = 256 + 16768;

}  // namespace

TEST_CASE("decoder_slice splits a layer like the model shape counts it", "[baselines]") {
  const model_shape m = model_presets::llama2_70b();
  const decoder_slice whole = decoder_slice::whole(m);
  CHECK(whole.weight_bytes().value() * static_cast<double>(m.layers) +
            static_cast<double>(2 * m.vocab * m.hidden) * m.bytes_per_param ==
        Approx(m.weight_bytes().value()));
  CHECK(whole.kv_bytes_per_token().value() * static_cast<double>(m.layers) == Approx(m.kv_bytes_per_token().value()));
  // 64 query heads, 8 KV heads, 28672 neurons over 5 ranks: the busiest gets 13, 2, 5735.
  const decoder_slice share = decoder_slice::rank_share(m, 5);
  CHECK(share.heads == 13);
  CHECK(share.kv_heads == 2);
  CHECK(share.ffn_neurons == 5735);
  CHECK(share.queries_per_kv() == 7);
  CHECK_THROWS_AS(decoder_slice::rank_share(m, 0), invalid_parameter);
}

TEST_CASE("Accelerate: offloaded layers are copied (pageable) then computed, nothing overlaps", "[baselines]") {
  // 250000 B free: embedding 16384 + KV 6 x 768 = 4608 + one layer buffer 98304 leave 130704 B,
  // one resident layer; layers 1 and 2 are offloaded.
  const workload_config w = toy_workload();
  const hardware_config h = toy_hardware(250000.0);
  const accelerate_plan plan = plan_accelerate(w, h);
  REQUIRE(plan.supported);
  CHECK(plan.resident_layers == 1);
  CHECK(plan.layer_bytes.value() == 98304.0);
  CHECK(plan.offloaded.value() == 2 * 98304.0);

  accelerate_options o;
  CHECK(o.weights_memory == host_memory_kind::pageable);  // Accelerate's offload hook copies pageable tensors
  hardware_config hp = h;
  hp.pcie.pageable_fraction = 0.5;  // 1e8 B/s x 0.5
  hp.pcie.pinned_fraction = 0.9;    // not what Accelerate's copies use
  const sim_result r = run_accelerate(w, hp, o);
  REQUIRE(r.supported);
  // Per token: 3 layers computed at 1 GB/s + 2 layers copied at 5e7 B/s.
  const double copies = 2 * 98304 / 5e7;
  const double expected = 3 * (toy_layer_bytes(5) + toy_layer_bytes(6)) / 1e9 + 2 * copies + 2 * toy_lm_head_bytes / 1e9;
  CHECK(r.seconds_decode.value() == Approx(expected).epsilon(1e-9));
  CHECK(r.decode_tokens_per_second == Approx(2 / expected).epsilon(1e-9));
  // The stage split adds up to the decode time but the LM head (copies count to the attention stage).
  CHECK((r.attention_latency_per_token + r.mlp_latency_per_token).value() * 2 ==
        Approx(expected - 2 * toy_lm_head_bytes / 1e9).epsilon(1e-9));
  CHECK(r.breakdown.pcie_weights.value() > 0.0);
  CHECK(r.dimms == 0);
}

TEST_CASE("Accelerate: everything resident when the model fits", "[baselines]") {
  const workload_config w = toy_workload();
  const hardware_config h = toy_hardware(1e7);
  const sim_result r = run_accelerate(w, h);
  REQUIRE(r.supported);
  CHECK(r.breakdown.pcie_weights.value() == 0.0);
  CHECK(r.seconds_decode.value() ==
        Approx((3 * (toy_layer_bytes(5) + toy_layer_bytes(6)) + 2 * toy_lm_head_bytes) / 1e9).epsilon(1e-9));
  // The LM head of one pass, by hand: 17024 B at 1 GB/s.
  CHECK(lm_head_cost(gpu(h.gpu), w.model, 1, 2.0).time.value() == Approx(17.024e-6));
}

TEST_CASE("FlexGen: per layer max(next layer's weight load, compute) with wg from the GPU memory", "[baselines]") {
  // KV on the GPU. Budget after embedding and KV: wg W + 2 (1 - wg) x 65536 (largest layer: the
  // MLP). With 212992 B for weights, wg = (212992 - 131072) / (294912 - 131072) = 0.5.
  const workload_config w = toy_workload();
  const hardware_config h = toy_hardware(212992.0 + 16384.0 + 4608.0);
  const flexgen_policy p = plan_flexgen(w, h, kv_cache_home::gpu);
  REQUIRE(p.feasible);
  CHECK(p.weights_on_gpu == Approx(0.5));

  flexgen_options o;
  o.kv_home = kv_cache_home::gpu;
  const sim_result r = run_flexgen(w, h, o);
  REQUIRE(r.supported);
  // Loads at 1e8 B/s: half an attention layer 16384 B = 163.84 us, half an MLP 32768 B =
  // 327.68 us, both longer than the computes (at most 66.7 us): every iteration lasts its load.
  // An attention iteration loads the MLP, an MLP iteration the next attention; the very last
  // iteration has nothing to load and lasts its MLP compute (66688 B at 1 GB/s) plus the LM head;
  // earlier steps' LM heads end within their iteration's load.
  const double step = 3 * (327.68e-6 + 163.84e-6);
  const double expected = 2 * step - 163.84e-6 + 66688e-9 + toy_lm_head_bytes / 1e9;
  CHECK(r.seconds_decode.value() == Approx(expected).epsilon(1e-9));
  CHECK(r.decode_tokens_per_second == Approx(2 / expected).epsilon(1e-9));
}

TEST_CASE("FlexGen: the policy search keeps the faster feasible KV placement", "[baselines]") {
  workload_config w;
  w.model = model_presets::opt_30b();
  w.batch = 4;
  w.output_len = 4;
  const hardware_config h;
  flexgen_options gpu_kv, host_kv;
  gpu_kv.kv_home = kv_cache_home::gpu;
  host_kv.kv_home = kv_cache_home::host;
  const sim_result a = run_flexgen(w, h, gpu_kv), b = run_flexgen(w, h, host_kv), best = run_flexgen(w, h);
  REQUIRE(best.supported);
  CHECK(best.decode_tokens_per_second == Approx(std::max(a.decode_tokens_per_second, b.decode_tokens_per_second)));
  // The KV cache on the host frees GPU memory for weights.
  CHECK(plan_flexgen(w, h, kv_cache_home::host).weights_on_gpu > plan_flexgen(w, h, kv_cache_home::gpu).weights_on_gpu);
}

TEST_CASE("TensorRT-LLM: per layer the rank's share plus two ring all-reduces", "[baselines]") {
  const workload_config w = toy_workload();
  hardware_config h = toy_hardware(1e7);
  h.gpus = 2;  // the user's own tensor-parallel machine: 2 x toy-gpu
  h.gpu_link = link_config{.name = "toy-nvlink", .bandwidth = bandwidth(1e9), .latency = seconds(1e-6),
                           .energy_per_bit = joules(0.0)};
  const sim_result r = run_tensorrt_llm(w, h);
  REQUIRE(r.supported);
  CHECK(r.gpu == "2 x toy-gpu");
  // Rank share: 2 heads (q_dim 32, kv_dim 32), 128 neurons. Bytes at context c:
  //   QKV 64 x 96: 12288 + (96 + 64) x 2 = 12608;  K, V: 2 x (64c + (16 + 2c) x 2) = 136c + 64;
  //   softmax 2c: 8c;  Wo 64 x 32: 4096 + (32 + 64) x 2 = 4288;  FFN 128 x 2 x 64: 32768 + 640.
  // All-reduce of 128 B over 2 ranks: 2 steps of (1 us + 64 B / 1 GB/s).
  auto layer = [](double c) { return (12608 + 136 * c + 64 + 8 * c + 4288 + 33408) / 1e9 + 2 * 2 * (1e-6 + 64e-9); };
  // The LM head split over the ranks: 64 rows x 64: 8192 + (64 + 64) x 2 = 8448, norm 256.
  const double expected = 3 * (layer(5) + layer(6)) + 2 * (8448 + 256) / 1e9;
  CHECK(r.seconds_decode.value() == Approx(expected).epsilon(1e-9));
  CHECK(ring_all_reduce(hermes::link(h.gpu_link), 1, bytes(1e6)).time.value() == 0.0);
}

TEST_CASE("TensorRT-LLM uses the paper's 5 x A100-40GB on the single-GPU Hermes machine", "[baselines]") {
  const hardware_config h;  // gpus = 1
  const tensorrt_llm_machine machine = tensorrt_llm_machine_for(h);
  CHECK(machine.gpus == 5);
  CHECK(machine.gpu.name == "A100-40GB");
  workload_config w;
  w.model = model_presets::opt_66b();
  w.output_len = 2;
  const sim_result r = run_tensorrt_llm(w, h);
  CHECK(r.supported);
  CHECK(r.gpu == "5 x A100-40GB");
  // Two A100-40GB cannot hold 131 GB of OPT-66B.
  hardware_config two = h;
  two.gpus = 2;
  two.gpu = gpu_presets::a100_40gb();
  const sim_result u = run_tensorrt_llm(w, two);
  CHECK_FALSE(u.supported);
  CHECK(u.reason.find("OPT-66B") != std::string::npos);
}

TEST_CASE("Capacity: OPT-66B does not fit a bare 24 GB GPU without host memory to offload to", "[baselines]") {
  workload_config w;
  w.model = model_presets::opt_66b();
  w.output_len = 2;
  hardware_config h;
  h.host.memory_capacity = bytes(64e9);  // 64 GB of host memory: far below the 131 GB model
  const sim_result a = run_accelerate(w, h);
  CHECK_FALSE(a.supported);
  CHECK(a.reason.find("host memory") != std::string::npos);
  const sim_result f = run_flexgen(w, h);
  CHECK_FALSE(f.supported);
  CHECK(f.reason.find("host memory") != std::string::npos);
  // A KV cache that cannot sit next to one layer on the GPU: Accelerate refuses.
  workload_config big = w;
  big.model = model_presets::opt_13b();
  big.batch = 256;
  big.input_len = 1024;
  big.output_len = 1024;
  const sim_result k = run_accelerate(big, hardware_config{});
  CHECK_FALSE(k.supported);
  CHECK(k.reason.find("KV cache") != std::string::npos);
}

TEST_CASE("Offloading baselines get faster with more PCIe bandwidth", "[baselines]") {
  workload_config w;
  w.model = model_presets::opt_13b();
  w.output_len = 4;
  hardware_config slow, fast;
  slow.pcie.bandwidth = bandwidth(16e9);
  fast.pcie.bandwidth = bandwidth(32e9);
  CHECK(run_accelerate(w, fast).decode_tokens_per_second > run_accelerate(w, slow).decode_tokens_per_second);
  CHECK(run_flexgen(w, fast).decode_tokens_per_second > run_flexgen(w, slow).decode_tokens_per_second);
}

TEST_CASE("FlexGen generates more tokens per second with a larger batch", "[baselines]") {
  workload_config w;
  w.model = model_presets::opt_30b();
  w.output_len = 4;
  double previous = 0.0;
  for (std::size_t batch : {1, 2, 4, 8, 16}) {
    w.batch = batch;
    const sim_result r = run_flexgen(w, hardware_config{});
    REQUIRE(r.supported);
    CHECK(r.decode_tokens_per_second > previous);
    previous = r.decode_tokens_per_second;
  }
}

TEST_CASE("Baselines reject bad options by name", "[baselines]") {
  accelerate_options a;
  a.name.clear();
  CHECK_THROWS_AS(run_accelerate(toy_workload(), toy_hardware(1e7), a), invalid_parameter);
  hardware_config bad = toy_hardware(1e7);
  bad.pcie.pageable_fraction = 0.0;
  CHECK_THROWS_WITH(run_accelerate(toy_workload(), bad), Catch::Contains("pageable_fraction"));
  tensorrt_llm_options t;
  t.default_gpus = 1;
  CHECK_THROWS_AS(run_tensorrt_llm(toy_workload(), toy_hardware(1e7), t), invalid_parameter);
}
