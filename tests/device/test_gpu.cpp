#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "hermes/device/gpu.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {
// Round numbers so every expected value below can be derived by hand.
gpu_config hand_config() {
  gpu_config c;
  c.name = "hand";
  c.memory_capacity = 8_GB;
  c.memory_bandwidth = 1000_GBps;
  c.peak_fp16_tensor = 100_TFLOPS;
  c.peak_fp32 = 10_TFLOPS;
  c.kernel_launch_overhead = 2_us;
  c.dense_bandwidth_efficiency = 0.5;     // 500 GB/s effective
  c.gathered_bandwidth_efficiency = 0.25;  // 250 GB/s effective
  c.compute_efficiency = 1.0;
  return c;
}

gemv_work ffn_work(std::size_t batch) {
  gemv_work w;
  w.chunks = 1000;
  w.rows_per_chunk = 2;
  w.cols = 4096;
  w.batch = batch;
  w.bytes_per_element = 2.0;
  return w;
}

// A struct with everything but gemv: must not model compute_device.
struct no_gemv {
  std::string_view name() const { return "x"; }
  device_cost vector_op(const vector_work&) const { return {}; }
};
// gemv returning a plain number instead of a device_cost.
struct wrong_gemv_result {
  std::string_view name() const { return "x"; }
  double gemv(const gemv_work&) const { return 0.0; }
  device_cost vector_op(const vector_work&) const { return {}; }
};
// No capacity: not a memory.
struct no_capacity {
  std::string_view name() const { return "x"; }
};
}  // namespace

TEST_CASE("gpu: models compute_device and memory_device; look-alikes do not", "[device][gpu]") {
  STATIC_REQUIRE(compute_device<gpu>);
  STATIC_REQUIRE(memory_device<gpu>);
  STATIC_REQUIRE_FALSE(compute_device<no_gemv>);
  STATIC_REQUIRE_FALSE(compute_device<wrong_gemv_result>);
  STATIC_REQUIRE_FALSE(memory_device<no_capacity>);
  const gpu g(hand_config());
  CHECK(g.name() == "hand");
  CHECK(g.capacity() == 8_GB);
}

TEST_CASE("gpu: batch-1 GEMV is memory-bound, golden value by hand", "[device][gpu]") {
  const gpu g(hand_config());
  const auto c = g.gemv(ffn_work(1));
  // weights 1000 x 2 x 4096 x 2 B = 16 384 000 B; activations (4096 in + 2000 out) x 2 B.
  const double bytes_expected = 16384000.0 + (4096.0 + 2000.0) * 2.0;
  CHECK(c.bytes_moved.value() == Approx(bytes_expected));
  CHECK(c.flops_done.value() == Approx(2.0 * 2000 * 4096));
  // 16 396 192 B / 500 GB/s = 32.792384 us, FLOPs need only 0.164 us; + 2 us launch.
  CHECK(c.time.value() == Approx(bytes_expected / 500e9 + 2e-6));
  CHECK(c.time.value() == Approx(34.792384e-6));
}

TEST_CASE("gpu: the batch reuses weights; large batches turn compute-bound", "[device][gpu]") {
  const gpu g(hand_config());
  const auto one = g.gemv(ffn_work(1));
  const auto two = g.gemv(ffn_work(2));
  // Memory-bound: a second input vector adds only its activations, not the weights again.
  CHECK(two.bytes_moved.value() - one.bytes_moved.value() == Approx((4096.0 + 2000.0) * 2.0));
  CHECK(two.time < one.time * 1.01);

  const auto big = g.gemv(ffn_work(4096));
  const double flops_expected = 2.0 * 2000 * 4096 * 4096;
  const double bytes_expected = 16384000.0 + 4096.0 * (4096.0 + 2000.0) * 2.0;
  CHECK(big.flops_done.value() == Approx(flops_expected));
  REQUIRE(flops_expected / 100e12 > bytes_expected / 500e9);  // the regime this case checks
  CHECK(big.time.value() == Approx(flops_expected / 100e12 + 2e-6));
  // Per token, the large batch is far cheaper than batch 1.
  CHECK(big.time.value() / 4096.0 < one.time.value() / 10.0);
}

TEST_CASE("gpu: launch overhead is added exactly once per call", "[device][gpu]") {
  gpu_config without = hand_config();
  without.kernel_launch_overhead = seconds(0.0);
  const gpu with_overhead(hand_config()), no_overhead(without);
  for (std::size_t batch : {1u, 4096u}) {
    CHECK((with_overhead.gemv(ffn_work(batch)).time - no_overhead.gemv(ffn_work(batch)).time)
              .value() == Approx(2e-6));
  }
  const vector_work v{.elements = 1 << 20, .flops_per_element = 5.0, .bytes_per_element = 2.0};
  CHECK((with_overhead.vector_op(v).time - no_overhead.vector_op(v).time).value() ==
        Approx(2e-6));
  CHECK((with_overhead.matmul(128, 4096, 4096, 2.0).time -
         no_overhead.matmul(128, 4096, 4096, 2.0).time)
            .value() == Approx(2e-6));
  // No work, no kernel: nothing is charged.
  gemv_work empty = ffn_work(1);
  empty.chunks = 0;
  CHECK(with_overhead.gemv(empty).time == seconds(0.0));
  CHECK(with_overhead.vector_op(vector_work{.elements = 0}).time == seconds(0.0));
}

TEST_CASE("gpu: gathered rows pay sector rounding, the index list and their own efficiency",
          "[device][gpu]") {
  const gpu g(hand_config());
  gemv_work w;
  w.chunks = 3;
  w.rows_per_chunk = 1;
  w.cols = 100;  // 200 B per row: 7 sectors of 32 B = 224 B fetched
  w.bytes_per_element = 2.0;

  // No addresses, or back-to-back addresses: a contiguous matrix.
  CHECK(access_of(w) == row_access::contiguous);
  const std::vector<std::uint64_t> packed{1000, 1200, 1400};
  w.chunk_addresses = packed;
  CHECK(access_of(w) == row_access::contiguous);
  const auto dense = g.gemv(w);
  CHECK(dense.bytes_moved.value() == Approx(600.0 + (100.0 + 3.0) * 2.0));

  const std::vector<std::uint64_t> scattered{0, 4096, 100000};
  w.chunk_addresses = scattered;
  CHECK(access_of(w) == row_access::gathered);
  const auto sparse = g.gemv(w);
  const double bytes_expected = 3 * 224.0 + 3 * 4.0 + (100.0 + 3.0) * 2.0;
  CHECK(sparse.bytes_moved.value() == Approx(bytes_expected));
  CHECK(sparse.time.value() == Approx(bytes_expected / 250e9 + 2e-6));
  // The explicit overload overrides the address-based choice.
  CHECK(g.gemv(w, row_access::contiguous).bytes_moved == dense.bytes_moved);
}

TEST_CASE("gpu: vector_op and matmul golden values", "[device][gpu]") {
  const gpu g(hand_config());
  // 1 Mi elements, read + written at 2 B: 4 MiB at 500 GB/s; 5 FLOP each on 10 TFLOPS FP32.
  const vector_work v{.elements = 1 << 20, .flops_per_element = 5.0, .bytes_per_element = 2.0};
  const auto c = g.vector_op(v);
  CHECK(c.bytes_moved.value() == Approx(4.0 * (1 << 20)));
  CHECK(c.time.value() == Approx(4.0 * (1 << 20) / 500e9 + 2e-6));

  // Prefill-like GEMM, FP16: 2 x 4096^3 FLOP at 100 TFLOPS vs 3 x 4096^2 x 2 B at 500 GB/s.
  const auto m = g.matmul(4096, 4096, 4096, 2.0);
  CHECK(m.flops_done.value() == Approx(2.0 * 4096.0 * 4096.0 * 4096.0));
  CHECK(m.bytes_moved.value() == Approx(3.0 * 4096.0 * 4096.0 * 2.0));
  CHECK(m.time.value() == Approx(2.0 * 4096.0 * 4096.0 * 4096.0 / 100e12 + 2e-6));
  // FP32 operands use the CUDA-core peak.
  const auto m32 = g.matmul(4096, 4096, 4096, 4.0);
  CHECK(m32.time.value() == Approx(2.0 * 4096.0 * 4096.0 * 4096.0 / 10e12 + 2e-6));
  // One token (m = 1) is a GEMV again: memory-bound.
  const auto m1 = g.matmul(1, 4096, 4096, 2.0);
  CHECK(m1.time.value() == Approx((4096.0 + 4096.0 * 4096.0 + 4096.0) * 2.0 / 500e9 + 2e-6));
}

TEST_CASE("gpu: invalid configurations and work are rejected naming the field",
          "[device][gpu]") {
  const auto rejects = [](auto mutate, const std::string& field) {
    gpu_config c = hand_config();
    mutate(c);
    try {
      gpu g(c);
      FAIL("accepted a bad " << field);
    } catch (const invalid_parameter& e) {
      CHECK(e.field() == field);
    }
  };
  rejects([](gpu_config& c) { c.name.clear(); }, "gpu_config.name");
  rejects([](gpu_config& c) { c.memory_capacity = bytes(0.0); }, "gpu_config.memory_capacity");
  rejects([](gpu_config& c) { c.memory_bandwidth = bandwidth(-1.0); },
          "gpu_config.memory_bandwidth");
  rejects([](gpu_config& c) { c.peak_fp16_tensor = flop_rate(0.0); },
          "gpu_config.peak_fp16_tensor");
  rejects([](gpu_config& c) { c.peak_fp32 = flop_rate(0.0); }, "gpu_config.peak_fp32");
  rejects([](gpu_config& c) { c.kernel_launch_overhead = seconds(-1e-6); },
          "gpu_config.kernel_launch_overhead");
  rejects([](gpu_config& c) { c.dense_bandwidth_efficiency = 1.5; },
          "gpu_config.dense_bandwidth_efficiency");
  rejects([](gpu_config& c) { c.gathered_bandwidth_efficiency = 0.0; },
          "gpu_config.gathered_bandwidth_efficiency");
  rejects([](gpu_config& c) { c.compute_efficiency = -0.1; }, "gpu_config.compute_efficiency");
  rejects([](gpu_config& c) { c.dram_sector = bytes(0.0); }, "gpu_config.dram_sector");

  const gpu g(hand_config());
  gemv_work w = ffn_work(0);
  CHECK_THROWS_AS(g.gemv(w), invalid_parameter);
  w = ffn_work(1);
  w.bytes_per_element = 3.0;  // neither FP16 nor FP32
  CHECK_THROWS_WITH(g.gemv(w), Catch::Contains("bytes_per_element") && Catch::Contains("3"));
  w = ffn_work(1);
  const std::vector<std::uint64_t> two{0, 1};
  w.chunk_addresses = two;  // 2 addresses for 1000 chunks
  CHECK_THROWS_WITH(g.gemv(w), Catch::Contains("gemv_work.chunk_addresses"));
  CHECK_THROWS_AS(g.matmul(0, 1, 1, 2.0), invalid_parameter);
}

TEST_CASE("gpu: presets are valid, sourced values, found by name", "[device][gpu]") {
  for (const auto& c : gpu_presets::all()) {
    CAPTURE(c.name);
    CHECK_NOTHROW(c.validate());
    CHECK(find_gpu_preset(c.name).name == c.name);
  }
  CHECK(gpu_presets::rtx4090().memory_bandwidth.value() == 1008e9);
  CHECK(gpu_presets::rtx4090_paper().memory_bandwidth.value() == 936e9);
  CHECK(gpu_presets::rtx4090().memory_capacity == 24_GB);
  CHECK(gpu_presets::rtx3090().peak_fp16_tensor.value() == 142e12);
  CHECK(gpu_presets::tesla_t4().memory_bandwidth.value() == 320e9);
  CHECK(gpu_presets::a100_40gb().memory_capacity == 40_GB);
  CHECK(find_gpu_preset("rtx4090").name == "RTX4090");
  CHECK_THROWS_WITH(find_gpu_preset("H100"),
                    Catch::Contains("H100") && Catch::Contains("RTX4090") &&
                        Catch::Contains("A100-80GB"));
}

TEST_CASE("gpu: an RTX 4090 decodes a LLaMA2-70B FFN neuron set memory-bound", "[device][gpu]") {
  // 20% of 28672 gated neurons (3 rows of 8192) at batch 1..16: the bytes decide.
  const gpu g(gpu_presets::rtx4090());
  for (std::size_t batch : {1u, 16u}) {
    gemv_work w{.chunks = 5734, .rows_per_chunk = 3, .cols = 8192, .batch = batch};
    const auto c = g.gemv(w);
    const seconds memory_time = c.bytes_moved / g.effective_bandwidth(row_access::contiguous);
    CHECK(c.time.value() == Approx((memory_time + 0.9_us).value()));
  }
}

TEST_CASE("gpu: a gathered GEMV without addresses charges the gather (index, sectors, efficiency)",
          "[device][gpu]") {
  const gpu g(hand_config());
  gemv_work w = ffn_work(1);
  w.cols = 4095;  // a row of 8190 B: 256 sectors of 32 B = 8192 B read
  const auto dense = g.gemv(w);
  w.gathered = true;  // a sparse kernel over an index list (sparse_cost_options::gathered_rows)
  const auto gathered = g.gemv(w);
  const double weights = 1000.0 * 2.0 * 8192.0 + 1000.0 * 4.0;  // sector-rounded rows + int32 index
  const double activations = (4095.0 + 2000.0) * 2.0;
  CHECK(gathered.bytes_moved.value() == Approx(weights + activations));
  CHECK(gathered.time.value() == Approx((weights + activations) / 250e9 + 2e-6));  // gathered efficiency
  CHECK(dense.time.value() == Approx((1000.0 * 2.0 * 8190.0 + activations) / 500e9 + 2e-6));
}
