// The IANUS NPU (device/npu.hpp): peak rates, weight tile, MU matmul and VU costs by hand.
#include <catch2/catch.hpp>

#include <string>

#include "hermes/device/npu.hpp"

using namespace hermes;

namespace {
std::string field_of(auto&& f) {
  try {
    f();
  } catch (const invalid_parameter& e) {
    return e.field();
  }
  return "(no throw)";
}
}  // namespace

TEST_CASE("npu: IANUS peak rates and weight tile", "[device][npu]") {
  const npu n(npu_presets::ianus());
  CHECK(n.config().cores == 4);
  // 128 x 64 PEs x 4 MACs x 2 FLOP x 0.7 GHz = 45.9 TFLOPS per core (IANUS: 46), 4 cores.
  CHECK(n.mu_peak().value() == Approx(4 * 128.0 * 64 * 4 * 2 * 0.7e9));
  CHECK(n.mu_peak().value() / 4 == Approx(45.9e12).epsilon(0.001));
  // Half of each core's 4 MiB weight scratch-pad x 4 cores.
  CHECK(n.weight_tile_bytes().value() == 8.0 * 1048576);
  // VU: 4 cores x 16 processors x 4 lanes x 0.7 GHz.
  CHECK(n.vu_ops_per_second() == Approx(4 * 16 * 4 * 0.7e9));
}

TEST_CASE("npu matmul: PE tiles, streaming and one pipeline fill, by hand", "[device][npu]") {
  const npu n(npu_presets::ianus());
  // One token x 1600 x 1600: 400 rows per core -> ceil(1600/128) = 13 x ceil(400/256) = 2 PE
  // tiles of max(1, 128) cycles, + 128 + 64 fill/drain = 3520 cycles at 700 MHz.
  const auto one = n.matmul(1, 1600, 1600);
  CHECK(one.time.value() == Approx(3520 / 0.7e9));
  CHECK(one.flops_done.value() == 2.0 * 1600 * 1600);
  // 512 tokens x 4800 x 1600: 1200 rows per core -> 13 x 5 = 65 tiles x 512 + 192 cycles.
  const auto prefill = n.matmul(512, 4800, 1600);
  CHECK(prefill.time.value() == Approx((65 * 512 + 192) / 0.7e9));
  // ... 90% of the MU peak.
  CHECK(prefill.flops_done.value() / prefill.time.value() / n.mu_peak().value() == Approx(0.897).margin(0.005));
  // A small matrix still pays one tile and the fill: (128 + 192) cycles.
  CHECK(n.matmul(1, 1, 1).time.value() == Approx(320 / 0.7e9));
  CHECK(n.matmul(0, 16, 16).time.value() == 0.0);
}

TEST_CASE("npu vector op: lanes of all cores at the clock", "[device][npu]") {
  const npu n(npu_presets::ianus());
  // 1,792,000 operations / (256 lanes x 0.7 GHz) = 10 us.
  const auto c = n.vector_op(1600 * 112, 10.0);
  CHECK(c.time.value() == Approx(1600.0 * 112 * 10 / (256 * 0.7e9)));
  CHECK(c.time.value() == Approx(10e-6));
  CHECK(c.flops_done.value() == 1600.0 * 112 * 10);
  CHECK(n.vector_op(0, 5.0).time.value() == 0.0);
  CHECK(field_of([&] { (void)n.vector_op(10, 0.0); }) == "npu vector_op flops_per_element");
  CHECK(field_of([&] { (void)n.matmul(1, 0, 10); }) == "npu matmul rows");
  CHECK(field_of([&] { (void)n.matmul(1, 10, 0); }) == "npu matmul cols");
}

TEST_CASE("npu config: bad values throw invalid_parameter naming the field", "[device][npu]") {
  const auto bad = [](auto change) {
    auto c = npu_presets::ianus();
    change(c);
    return field_of([&] { npu n(c); });
  };
  CHECK(bad([](npu_config& c) { c.name.clear(); }) == "npu.name");
  CHECK(bad([](npu_config& c) { c.cores = 0; }) == "npu.cores");
  CHECK(bad([](npu_config& c) { c.clock_hz = -1; }) == "npu.clock_hz");
  CHECK(bad([](npu_config& c) { c.mu_rows = 0; }) == "npu.mu_rows");
  CHECK(bad([](npu_config& c) { c.mu_cols = 0; }) == "npu.mu_cols");
  CHECK(bad([](npu_config& c) { c.macs_per_pe = 0; }) == "npu.macs_per_pe");
  CHECK(bad([](npu_config& c) { c.vu_processors = 0; }) == "npu.vu_processors");
  CHECK(bad([](npu_config& c) { c.vu_width = 0; }) == "npu.vu_width");
  CHECK(bad([](npu_config& c) { c.activation_spm = bytes(0.0); }) == "npu.activation_spm");
  CHECK(bad([](npu_config& c) { c.weight_spm = bytes(-1.0); }) == "npu.weight_spm");
  CHECK(bad([](npu_config& c) { c.pim_controllers = 0; }) == "npu.pim_controllers");
  CHECK(bad([](npu_config& c) { c.cores = 5000; }) == "npu.cores");
  CHECK(bad([](npu_config&) {}) == "(no throw)");
}
