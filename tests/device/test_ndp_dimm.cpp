#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "hermes/device/ndp_dimm.hpp"

using namespace hermes;

namespace {

struct no_gemv {
  std::string_view name() const { return "x"; }
  device_cost vector_op(const vector_work&) const { return {}; }
};
struct no_capacity {
  std::string_view name() const { return "x"; }
};
static_assert(compute_device<ndp_dimm> && memory_device<ndp_dimm>);
static_assert(!compute_device<no_gemv>, "a type without gemv() is not a compute device");
static_assert(!memory_device<no_capacity>, "a type without capacity() is not a memory device");

// The one DIMM shared by the test cases: its estimator memo is filled once.
const ndp_dimm& hermes_dimm() {
  static const ndp_dimm d(ndp_dimm_presets::hermes_table2());
  return d;
}

gemv_work chunks_of(std::size_t chunks, std::size_t rows, std::size_t cols, std::size_t batch = 1) {
  gemv_work w;
  w.chunks = chunks;
  w.rows_per_chunk = rows;
  w.cols = cols;
  w.batch = batch;
  return w;
}

// Sorted random subset of `count` out of `slots` chunk slots, `stride` bytes apart.
std::vector<std::uint64_t> random_subset(std::size_t slots, std::size_t count,
                                         std::uint64_t stride, std::uint64_t seed) {
  std::vector<std::uint64_t> index(slots);
  std::iota(index.begin(), index.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(index.begin(), index.end(), rng);
  index.resize(count);
  std::sort(index.begin(), index.end());
  for (auto& i : index) i *= stride;
  return index;
}

}  // namespace

TEST_CASE("ndp_dimm: Table II preset and the derived GEMV rate", "[device][ndp_dimm]") {
  const auto& d = hermes_dimm();
  CHECK(d.capacity().value() == 32.0 * 1024 * 1024 * 1024);
  CHECK(d.config().gemv.macs_per_cycle() == 128.0);  // 256 x 8 / 16 bit-serial cycles
  CHECK(d.gemv_peak().value() == Approx(256e9));      // 2 FLOP per MAC at 1 GHz
  CHECK(d.stream_bandwidth() <= d.dram().pin_bandwidth());
  CHECK(d.stream_bandwidth() / d.dram().pin_bandwidth() > 0.95);
}

TEST_CASE("ndp_dimm: one chunk, by hand", "[device][ndp_dimm]") {
  const auto& d = hermes_dimm();
  // 8 KiB = 128 bursts: 16 per (rank, bank group). Per rank: ACT group 0 at 0, group 1 at 4
  // (tRRD_S); reads alternate groups from cycle 24, the last one (group 1) at 28 + 15 x 8 = 148;
  // its data ends at 148 + tCL + tBL = 176 cycles of 0.625 ns = 110 ns. Compute: 2 x 4096 FLOP
  // at 256 GFLOPS = 32 ns, hidden. Plus the 27-cycle pipeline fill at 1 GHz.
  const std::uint64_t address = 0;
  auto w = chunks_of(1, 1, 4096);
  w.chunk_addresses = {&address, 1};
  const auto c = d.gemv(w);
  CHECK(c.time.value() == Approx(110e-9 + 27e-9));
  CHECK(c.dram.reads == 128);
  CHECK(c.dram.activates == 8);
  CHECK(c.bytes_moved.value() == 8192.0);
  CHECK(c.flops_done.value() == 8192.0);
}

TEST_CASE("ndp_dimm: batch turns a memory-bound GEMV compute-bound", "[device][ndp_dimm]") {
  const auto& d = hermes_dimm();
  // 2000 FFN neurons of a 4096-wide gated model: 3 rows x 4096 x 2 B = 24 KiB each.
  const auto one = d.gemv(chunks_of(2000, 3, 4096, 1));
  const auto two = d.gemv(chunks_of(2000, 3, 4096, 2));
  const auto sixteen = d.gemv(chunks_of(2000, 3, 4096, 16));
  const seconds fill(27e-9);
  // Weights move once whatever the batch.
  CHECK(one.bytes_moved == sixteen.bytes_moved);
  CHECK(one.dram == sixteen.dram);
  // Batch 1 and 2: memory bound, same time. 49 MB at ~100 GB/s = ~0.49 ms vs 0.19 / 0.38 ms.
  CHECK(one.time == two.time);
  CHECK(d.gemv_compute_time(chunks_of(2000, 3, 4096, 2)) < two.time);
  // Batch 16: compute bound, time is the FLOPs at the GEMV unit's peak.
  const auto w16 = chunks_of(2000, 3, 4096, 16);
  CHECK(sixteen.time.value() == Approx((w16.flop_count() / d.gemv_peak() + fill).value()));
  CHECK(sixteen.flops_done == w16.flop_count());

  // The multipliers are a runtime parameter: doubling them halves compute-bound time.
  auto cfg = ndp_dimm_presets::hermes_table2();
  cfg.gemv.multipliers = 512;
  const ndp_dimm wide(cfg);
  const auto fast = wide.gemv(w16);
  CHECK((fast.time - fill).value() == Approx((sixteen.time - fill).value() / 2));
  CHECK(wide.gemv(chunks_of(2000, 3, 4096, 1)).time == one.time);  // still memory bound
}

TEST_CASE("ndp_dimm: the fast path is the exact path where it is cheap", "[device][ndp_dimm]") {
  const auto& d = hermes_dimm();
  const auto addresses = random_subset(4096, 20, 24576, 1);
  auto w = chunks_of(20, 3, 4096);
  w.chunk_addresses = addresses;
  CHECK(d.gemv(w).time == d.gemv_exact(w).time);  // few addressed chunks: exact
  // Small chunks are simulated exactly at any count (the packed estimate does not fit them).
  const auto small = random_subset(4096, 200, 65536, 2);
  auto s = chunks_of(200, 1, 512);  // 1 KiB chunks, one per row stripe
  s.chunk_addresses = small;
  CHECK(d.gemv(s).time == d.gemv_exact(s).time);
  CHECK(d.gemv_estimated(s).time < d.gemv_exact(s).time * 0.9);
  // Packed chunks: the memo holds exact simulations up to 64 chunks.
  const auto packed = chunks_of(50, 3, 4096);
  CHECK(d.gemv(packed).time == d.gemv_exact(packed).time);
  CHECK(d.gemv(packed).dram == d.gemv_exact(packed).dram);
}

TEST_CASE("ndp_dimm: the memoised estimate is within 5% of exact simulation",
          "[device][ndp_dimm]") {
  const auto& d = hermes_dimm();
  // LLaMA2-70B chunk sizes: attention neuron 8192 + 2 x 1024 elements (20 KiB), gated FFN
  // neuron 3 x 8192 elements (48 KiB); and an OPT-style 2 x 4096 (16 KiB) neuron.
  struct shape { std::size_t rows, cols; };
  for (const auto s : {shape{1, 10240}, shape{3, 8192}, shape{2, 4096}}) {
    const std::uint64_t size = s.rows * s.cols * 2;
    const std::uint64_t aligned = (size + 65535) / 65536 * 65536;  // whole 64 KiB row stripes
    for (const auto stride : {size, aligned}) {
      for (const std::size_t active : {100, 600}) {
        const auto addresses = random_subset(3000, active, stride, active + stride);
        auto w = chunks_of(active, s.rows, s.cols);
        w.chunk_addresses = addresses;
        const auto exact = d.gemv_exact(w);
        const auto fast = d.gemv(w);
        INFO("chunk " << size << " B, stride " << stride << ", " << active << " active");
        CHECK(fast.time / exact.time == Approx(1.0).epsilon(0.05));
        CHECK(fast.dram.reads == Approx(static_cast<double>(exact.dram.reads)).epsilon(0.01));
      }
    }
  }
}

TEST_CASE("ndp_dimm: per-chunk steady-state time for the mappers", "[device][ndp_dimm]") {
  const auto& d = hermes_dimm();
  const bytes chunk(49152.0);
  const seconds t = d.time_per_chunk(chunk);
  CHECK(t >= chunk / d.dram().pin_bandwidth());
  CHECK(t < chunk / d.dram().pin_bandwidth() * 1.1);
  // It is the slope of the GEMV time in the number of chunks.
  const auto a = d.gemv(chunks_of(1000, 3, 8192));
  const auto b = d.gemv(chunks_of(3000, 3, 8192));
  CHECK(((b.time - a.time) / 2000.0).value() == Approx(t.value()).epsilon(0.02));
  // Compute-bound batches: the GEMV unit's time per chunk.
  CHECK(d.time_per_chunk(chunk, 16).value() ==
        Approx(2.0 * 24576 * 16 / d.gemv_peak().value()));
}

TEST_CASE("ndp_dimm: vector work on the activation unit", "[device][ndp_dimm]") {
  const auto& d = hermes_dimm();
  vector_work v;
  v.elements = 1u << 20;
  v.flops_per_element = 1;
  v.bytes_per_element = 2;
  const auto mem = d.vector_op(v);  // 2 MiB at the streaming bandwidth dominates
  CHECK(mem.time.value() == Approx((mem.bytes_moved / d.stream_bandwidth()).value() + 27e-9));
  v.flops_per_element = 100;  // softmax-like heavy work: 256 lanes at 1 GHz
  const auto comp = d.vector_op(v);
  CHECK(comp.time.value() == Approx(100.0 * (1u << 20) / 256e9 + 27e-9));
  CHECK(comp.flops_done.value() == 100.0 * (1u << 20));
  CHECK(d.vector_op(vector_work{}).time == seconds{});
}

TEST_CASE("ndp_dimm: bad configurations and work name the field", "[device][ndp_dimm]") {
  const auto field_of = [](ndp_dimm_config c) {
    try {
      ndp_dimm d(std::move(c));
    } catch (const invalid_parameter& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  auto c = ndp_dimm_presets::hermes_table2();
  c.gemv.multipliers = 0;
  CHECK(field_of(c) == "ndp_dimm.gemv.multipliers");
  c = ndp_dimm_presets::hermes_table2();
  c.capacity = bytes(64.0 * 1024 * 1024 * 1024);
  CHECK(field_of(c) == "ndp_dimm.capacity");
  c = ndp_dimm_presets::hermes_table2();
  c.clock = frequency(0.0);
  CHECK(field_of(c) == "ndp_dimm.clock");
  c = ndp_dimm_presets::hermes_table2();
  c.dram.timing.tFAW = 0;
  CHECK(field_of(c) == "dram.timing.tFAW");

  const auto& d = hermes_dimm();
  const std::vector<std::uint64_t> two = {0, 49152};
  auto w = chunks_of(3, 3, 8192);
  w.chunk_addresses = two;
  CHECK_THROWS_AS(d.gemv(w), invalid_parameter);
  const std::vector<std::uint64_t> outside(100, static_cast<std::uint64_t>(d.capacity().value()));
  auto far = chunks_of(100, 3, 8192);
  far.chunk_addresses = outside;
  CHECK_THROWS_AS(d.gemv(far), invalid_parameter);
  CHECK_THROWS_AS(d.gemv(chunks_of(1, 0, 8192)), invalid_parameter);
  CHECK(d.gemv(chunks_of(0, 3, 8192)).time == seconds{});
}
