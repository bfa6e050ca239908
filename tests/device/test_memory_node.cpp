// Tests of device/memory_node.hpp (a memory with compute attached, H2M2's node): the roofline by
// hand, the validation messages, and the H2M2 configuration's promises (docs/parameters.md,
// "H2M2 configuration"): every model fits the capacity node, no model's weights fit the fast one.
#include <catch2/catch.hpp>

#include <string>

#include "hermes/device/link.hpp"
#include "hermes/device/memory_node.hpp"
#include "hermes/model/presets.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {
// Round numbers: 1000 GB/s at 0.5 efficiency = 500 GB/s; 100 TFLOPS at 0.5 = 50 TFLOPS; 1 us.
memory_node_config hand_config() {
  return {.name = "hand", .capacity = 10_GB, .memory_bandwidth = 1000_GBps, .bandwidth_efficiency = 0.5,
          .peak = 100_TFLOPS, .compute_efficiency = 0.5, .kernel_overhead = 1_us};
}
}  // namespace

TEST_CASE("memory_node: roofline plus kernel overhead, by hand", "[device][memory_node]") {
  const memory_node n(hand_config());
  CHECK(n.name() == "hand");
  CHECK(n.capacity().value() == 10e9);
  CHECK(n.effective_bandwidth().value() == Approx(500e9));
  CHECK(n.effective_peak().value() == Approx(50e12));

  // Memory-bound: 1 GB / 500 GB/s = 2 ms; 1 TFLOP / 50 TFLOPS = 20 ms would be compute-bound.
  const auto mem = n.run(1_GB, flops(1e9));  // 1 GFLOP: 20 us of compute < 2 ms of memory
  CHECK(mem.time.value() == Approx(2e-3 + 1e-6));
  CHECK(mem.bytes_moved.value() == 1e9);
  CHECK(mem.flops_done.value() == 1e9);
  const auto comp = n.run(1_GB, flops(1e12));  // 20 ms of compute > 2 ms of memory
  CHECK(comp.time.value() == Approx(20e-3 + 1e-6));
  // Nothing to do: no kernel, no overhead.
  CHECK(n.run(bytes(0), flops(0)).time.value() == 0.0);
  // A pure compute kernel still pays the overhead.
  CHECK(n.run(bytes(0), flops(50e6)).time.value() == Approx(1e-6 + 1e-6));
}

TEST_CASE("memory_node: invalid configurations are rejected naming field and value", "[device][memory_node]") {
  auto c = hand_config();
  c.name = "";
  CHECK_THROWS_WITH(memory_node(c), Catch::Contains("memory_node_config.name"));
  c = hand_config();
  c.capacity = bytes(0);
  CHECK_THROWS_WITH(memory_node(c), Catch::Contains("memory_node_config.capacity") && Catch::Contains("> 0"));
  c = hand_config();
  c.memory_bandwidth = bandwidth(-1);
  CHECK_THROWS_WITH(memory_node(c), Catch::Contains("memory_node_config.memory_bandwidth") && Catch::Contains("-1"));
  c = hand_config();
  c.bandwidth_efficiency = 1.5;
  CHECK_THROWS_WITH(memory_node(c), Catch::Contains("memory_node_config.bandwidth_efficiency") &&
                                        Catch::Contains("1.5") && Catch::Contains("(0, 1]"));
  c = hand_config();
  c.peak = flop_rate(0);
  CHECK_THROWS_WITH(memory_node(c), Catch::Contains("memory_node_config.peak"));
  c = hand_config();
  c.compute_efficiency = 0;
  CHECK_THROWS_WITH(memory_node(c), Catch::Contains("memory_node_config.compute_efficiency"));
  c = hand_config();
  c.kernel_overhead = seconds(-1e-6);
  CHECK_THROWS_WITH(memory_node(c), Catch::Contains("memory_node_config.kernel_overhead"));

  const memory_node n(hand_config());
  CHECK_THROWS_WITH(n.run(bytes(-1), flops(0)), Catch::Contains("traffic"));
  CHECK_THROWS_WITH(n.run(bytes(0), flops(-1)), Catch::Contains("work"));
}

TEST_CASE("memory_node: the H2M2 presets (GH200 memories, one H100-class die each)", "[device][memory_node]") {
  const auto fast = memory_node_presets::bandwidth_node();
  const auto slow = memory_node_presets::capacity_node();
  const auto base = memory_node_presets::lpddr_only_node();
  CHECK(fast.capacity.value() == 96e9);
  CHECK(fast.memory_bandwidth.value() == 4000e9);
  CHECK(slow.capacity.value() == 480e9);
  CHECK(slow.memory_bandwidth.value() == 512e9);
  CHECK(fast.peak.value() == Approx(989.4e12));
  CHECK(slow.peak == fast.peak);
  // The baseline: the capacity node's memory with both nodes' compute.
  CHECK(base.capacity == slow.capacity);
  CHECK(base.memory_bandwidth == slow.memory_bandwidth);
  CHECK(base.peak.value() == Approx(fast.peak.value() + slow.peak.value()));
  for (const auto& c : memory_node_presets::all()) {
    CAPTURE(c.name);
    CHECK_NOTHROW(c.validate());
    CHECK(find_memory_node_preset(c.name).name == c.name);
  }
  CHECK(find_memory_node_preset("hbm3-NODE").name == "HBM3-node");
  CHECK_THROWS_WITH(find_memory_node_preset("HBM2"),
                    Catch::Contains("HBM2") && Catch::Contains("LPDDR5X-node"));

  const auto c2c = link_presets::nvlink_c2c();
  CHECK(c2c.bandwidth.value() == 450e9);
  CHECK(c2c.full_duplex);
  CHECK(find_link_preset("nvlink-c2c").name == "NVLink-C2C");
}

TEST_CASE("memory_node: every H2M2 model fits the capacity node, none fits the bandwidth node",
          "[device][memory_node]") {
  // The workload of docs/parameters.md: batch 8, 1024 + 1024 tokens, BF16.
  constexpr double batch = 8, tokens = 2048;
  const auto fast = memory_node_presets::bandwidth_node();
  const auto slow = memory_node_presets::capacity_node();
  for (const auto& m : {model_presets::gpt3_175b(), model_presets::chinchilla_70b(), model_presets::llama2_70b()}) {
    CAPTURE(m.name);
    CHECK(m.bytes_per_param == 2.0);
    const bytes kv = m.kv_bytes_per_token() * (batch * tokens);
    CHECK(m.weight_bytes() + kv < slow.capacity);
    CHECK(m.weight_bytes() > fast.capacity);
  }
  // The documented figures (GB = 1e9 B).
  CHECK(model_presets::gpt3_175b().weight_bytes().value() == Approx(349.1e9).epsilon(1e-3));
  CHECK((model_presets::gpt3_175b().kv_bytes_per_token() * (batch * tokens)).value() ==
        Approx(77.3e9).epsilon(1e-3));
  CHECK(model_presets::chinchilla_70b().weight_bytes().value() == Approx(129.9e9).epsilon(1e-3));
  CHECK(model_presets::llama2_70b().weight_bytes().value() == Approx(138.0e9).epsilon(1e-3));
  // Batch 16 would not fit GPT3-175B (why the workload is batch 8).
  const auto gpt3 = model_presets::gpt3_175b();
  CHECK(gpt3.weight_bytes() + gpt3.kv_bytes_per_token() * (16 * tokens) > slow.capacity);
}
