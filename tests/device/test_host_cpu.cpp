#include <catch2/catch.hpp>

#include <string>

#include "hermes/device/host_cpu.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {
struct no_vector_op {
  std::string_view name() const { return "x"; }
  device_cost gemv(const gemv_work&) const { return {}; }
};

gemv_work llama70b_cold_ffn(std::size_t batch) {
  // 10% of 28672 gated LLaMA2-70B neurons (3 rows of 8192 FP16 elements).
  return gemv_work{.chunks = 2867, .rows_per_chunk = 3, .cols = 8192, .batch = batch};
}
}  // namespace

TEST_CASE("host_cpu: models compute_device and memory_device", "[device][host_cpu]") {
  STATIC_REQUIRE(compute_device<host_cpu>);
  STATIC_REQUIRE(memory_device<host_cpu>);
  STATIC_REQUIRE_FALSE(compute_device<no_vector_op>);
}

TEST_CASE("host_cpu: i9-13900K peak derives from cores x clock x FLOP/cycle",
          "[device][host_cpu]") {
  const host_cpu cpu(host_cpu_presets::i9_13900k());
  CHECK(cpu.name() == "i9-13900K");
  CHECK(cpu.capacity() == 192_GB);
  CHECK(cpu.config().peak_flops().value() == Approx(8 * 5.4e9 * 32));  // 1382.4 GFLOPS
  CHECK(cpu.effective_bandwidth().value() == Approx(67.2e9));          // 75% of 89.6 GB/s
}

TEST_CASE("host_cpu: GEMV golden value and regime switch", "[device][host_cpu]") {
  const host_cpu cpu(host_cpu_presets::i9_13900k());
  const auto one = cpu.gemv(llama70b_cold_ffn(1));
  const double weights = 2867.0 * 3 * 8192 * 2;
  const double activations = (8192.0 + 2867.0 * 3) * 2;
  CHECK(one.bytes_moved.value() == Approx(weights + activations));
  CHECK(one.time.value() == Approx((weights + activations) / 67.2e9));  // no per-call overhead

  // The evaluation's largest batch, 16, is still bandwidth-bound (16 FLOP/B < 20.6 FLOP/B)...
  const auto sixteen = cpu.gemv(llama70b_cold_ffn(16));
  CHECK(sixteen.time.value() == Approx(sixteen.bytes_moved.value() / 67.2e9));
  // ...and 64 is compute-bound on the eight P-cores.
  const auto sixty_four = cpu.gemv(llama70b_cold_ffn(64));
  CHECK(sixty_four.time.value() == Approx(sixty_four.flops_done.value() / 1382.4e9));
  CHECK(sixty_four.flops_done.value() == Approx(2.0 * 2867 * 3 * 8192 * 64));

  const auto v = cpu.vector_op(vector_work{.elements = 1000, .flops_per_element = 1.0,
                                           .bytes_per_element = 4.0});
  CHECK(v.time.value() == Approx(8000.0 / 67.2e9));
}

TEST_CASE("host_cpu: invalid configurations are rejected naming the field",
          "[device][host_cpu]") {
  const auto field_of = [](host_cpu_config c) -> std::string {
    try {
      host_cpu cpu(c);
    } catch (const invalid_parameter& e) {
      return e.field();
    }
    return "accepted";
  };
  const host_cpu_config good = host_cpu_presets::i9_13900k();
  host_cpu_config c = good;
  c.cores = 0;
  CHECK(field_of(c) == "host_cpu_config.cores");
  c = good;
  c.core_clock = frequency(0.0);
  CHECK(field_of(c) == "host_cpu_config.core_clock");
  c = good;
  c.bandwidth_efficiency = 1.01;
  CHECK(field_of(c) == "host_cpu_config.bandwidth_efficiency");
  c = good;
  c.memory_bandwidth = bandwidth(0.0);
  CHECK(field_of(c) == "host_cpu_config.memory_bandwidth");
  c = good;
  c.fp32_flops_per_cycle = 0.0;
  CHECK(field_of(c) == "host_cpu_config.fp32_flops_per_cycle");
  CHECK(field_of(good) == "accepted");
  CHECK(find_host_cpu_preset("I9-13900K").name == "i9-13900K");
  CHECK_THROWS_WITH(find_host_cpu_preset("EPYC"), Catch::Contains("i9-13900K"));
}
