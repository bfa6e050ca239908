// The kernel-level systems (IANUS, its baselines, H2M2, a dense GPU) as registry entries: capacity
// of the unified and partitioned layouts, PIM access scheduling on the ledger's own intervals,
// Algorithm 1's decisions on the real devices, H2M2's remapping with the capacity checked every
// step, determinism, and every entry running.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hermes/system/registry.hpp"

using namespace hermes;

namespace {

workload_config gpt2(const model_shape& m, std::size_t in, std::size_t out, std::size_t batch = 1) {
  workload_config w;
  w.model = m;
  w.input_len = in;
  w.output_len = out;
  w.batch = batch;
  return w;
}

bool overlaps(const busy_interval& a, const busy_interval& b) { return a.start < b.end && b.start < a.end; }

}  // namespace

TEST_CASE("unified IANUS holds GPT2-2.5B, the partitioned system cannot") {
  const hardware_config h;
  const sim_result unified = run_system("IANUS", gpt2(model_presets::gpt2_2_5b(), 16, 2), h);
  CHECK(unified.supported);
  const sim_result partitioned = run_system("IANUS-partitioned", gpt2(model_presets::gpt2_2_5b(), 16, 2), h);
  CHECK_FALSE(partitioned.supported);
  CHECK_THAT(partitioned.reason, Catch::Contains("PIM memory") && Catch::Contains("GB"));
  // GPT2-XL fits both layouts.
  CHECK(run_system("IANUS", gpt2(model_presets::gpt2_xl(), 16, 2), h).supported);
  CHECK(run_system("IANUS-partitioned", gpt2(model_presets::gpt2_xl(), 16, 2), h).supported);
  // The plain memory of NPU-MEM has the unified memory's 8 GB: GPT2-2.5B fits it too.
  CHECK(run_system("NPU-MEM", gpt2(model_presets::gpt2_2_5b(), 16, 2), h).supported);
}

TEST_CASE("PIM access scheduling: no DMA of a memory overlaps a PIM command on it") {
  const hardware_config h;
  kernel_run_options o;
  o.keep_intervals = true;
  const kernel_run run = simulate_kernel_system(kernel_systems::ianus(), gpt2(model_presets::gpt2_medium(), 32, 8), h, o);
  REQUIRE(run.result.supported);
  const resource_record* dma = nullptr;
  const resource_record* pim = nullptr;
  for (const auto& r : run.timeline.resources()) {
    if (r.name.rfind("dma_", 0) == 0) dma = &r;
    if (r.name.rfind("pim_", 0) == 0) pim = &r;
  }
  REQUIRE(dma != nullptr);
  REQUIRE(pim != nullptr);
  REQUIRE_FALSE(pim->intervals.empty());  // generation FCs ran in memory
  REQUIRE_FALSE(dma->intervals.empty());  // prefill weights and KV moved by DMA
  std::size_t overlapping = 0;
  for (const auto& d : dma->intervals)
    for (const auto& p : pim->intervals)
      if (overlaps(d, p)) ++overlapping;
  CHECK(overlapping == 0);
  // The MU does overlap the PIM somewhere (on-chip work is not blocked): the prefill is MU-bound,
  // its LM head on the PIM; at least the schedule is not fully serial.
  CHECK(run.commands > 0);
}

TEST_CASE("Algorithm 1 on the real devices: prefill FCs on the MU, generation FCs in memory") {
  const hardware_config h;
  npu_machine m = npu_machine_factory{npu_memory_layout::unified}(h);
  buffer_table t;
  decoder_buffers b;
  REQUIRE_FALSE(m.place(kernel_run_shape{model_presets::gpt2_xl(), 1, 256}, t, b).has_value());
  const kernel_estimate e = [&](const kernel& k, target_role r, const kernel* p) { return m.estimate(k, r, p, t); };
  const auto prefill = decoder_kernels(model_presets::gpt2_xl(), decoder_step{1, 128, 0}, b);
  const auto gen = decoder_kernels(model_presets::gpt2_xl(), decoder_step{1, 1, 128}, b);
  const auto rp = pim_offload_mapper{}.assign(prefill, decode_phase::summarization, e);
  const auto rg = pim_offload_mapper{}.assign(gen, decode_phase::generation, e);
  for (std::size_t i = 0; i + 2 < prefill.size(); ++i)
    if (prefill[i].kind == kernel_kind::fc) CHECK(rp[i] == target_role::matrix);
  for (std::size_t i = 0; i < gen.size(); ++i) {
    if (gen[i].kind == kernel_kind::fc) CHECK(rg[i] == target_role::in_memory);
    if (gen[i].kind == kernel_kind::norm || gen[i].kind == kernel_kind::softmax) CHECK(rg[i] == target_role::vector);
  }
}

TEST_CASE("IANUS generates faster than NPU-MEM; the FC time is where it gains") {
  const hardware_config h;
  const auto w = gpt2(model_presets::gpt2_xl(), 64, 8);
  const sim_result ianus = run_system("IANUS", w, h);
  const sim_result npu = run_system("NPU-MEM", w, h);
  REQUIRE(ianus.has_kernel_times);
  CHECK(ianus.seconds_decode < npu.seconds_decode);
  CHECK(ianus.decode_seconds_of(kernel_kind::fc) < npu.decode_seconds_of(kernel_kind::fc));
  // Every decode second is some kernel's.
  double sum = 0.0;
  for (double s : ianus.decode_kernel_seconds) sum += s;
  CHECK(sum == Approx(ianus.seconds_decode.value()).epsilon(1e-9));
  // No market price for an NPU: unpriced, naming it.
  CHECK_FALSE(ianus.cost.priced);
  CHECK_THAT(ianus.cost.unpriced_reason, Catch::Contains("NPU"));
}

TEST_CASE("H2M2 remaps buffers as the KV cache grows and never exceeds a capacity") {
  // Small nodes so that a GPT2-M run has to move: weights 0.7 GB, KV of batch 8 at 512 + 256
  // tokens 0.6 GB; the bandwidth node holds 0.5 GB.
  hardware_config h;
  h.bandwidth_node.capacity = bytes(0.5e9);
  h.capacity_node.capacity = bytes(4e9);
  h.homogeneous_node.capacity = bytes(4e9);
  const auto w = gpt2(model_presets::gpt2_medium(), 512, 256, 8);
  const kernel_run run = simulate_kernel_system(kernel_systems::h2m2(), w, h);
  REQUIRE(run.result.supported);
  CHECK(run.peak_used_fraction <= 1.0);
  CHECK(run.peak_used_fraction > 0.5);
  const kernel_run homogeneous = simulate_kernel_system(kernel_systems::lpddr_only(), w, h);
  CHECK(run.result.end_to_end_tokens_per_second > homogeneous.result.end_to_end_tokens_per_second);
  // Migrations go over the node link, stage "migration", and their bytes are the moved sizes.
  const resource_record& link = run.timeline.resource(run.timeline.id("node_link"));
  if (run.buffer_moves > 0) {
    CHECK(link.stage_busy("migration") > seconds{});
    CHECK(run.migrated > bytes{});
  }
}

TEST_CASE("H2M2 refuses a model its nodes cannot hold, naming sizes") {
  hardware_config h;
  h.capacity_node.capacity = bytes(1e9);
  h.homogeneous_node.capacity = bytes(1e9);
  h.bandwidth_node.capacity = bytes(0.1e9);
  const sim_result r = run_system("H2M2", gpt2(model_presets::gpt2_xl(), 64, 8), h);
  CHECK_FALSE(r.supported);
  CHECK_THAT(r.reason, Catch::Contains("GB"));
}

TEST_CASE("kernel systems are deterministic and every entry runs") {
  const hardware_config h;
  const auto w = gpt2(model_presets::gpt2_medium(), 16, 4);
  for (const char* name : {"IANUS", "IANUS-partitioned", "NPU-MEM", "IANUS-all-PIM", "IANUS-all-MU", "GPU-dense",
                           "H2M2", "LPDDR-only"}) {
    INFO(name);
    const sim_result a = run_system(name, w, h);
    const sim_result b = run_system(name, w, h);
    REQUIRE(a.supported);
    CHECK(a.end_to_end_tokens_per_second > 0.0);
    CHECK(a.seconds_decode == b.seconds_decode);
    CHECK(a.seconds_prefill == b.seconds_prefill);
    CHECK(a.energy.joules == b.energy.joules);
  }
  CHECK_FALSE(find_system("IANUS").baselines.empty());
}

TEST_CASE("an NPU machine books the KV cache once: a batch that fits runs to the end") {
  // GPT2-XL, 512 + 512 tokens: weights 3.1 GB + KV 0.315 GB per sequence; batch 12 (3.8 GB of KV)
  // fits the 8 GiB unified memory (the KV cache booked twice would not), batch 24 (7.5 GB) does not
  // and is refused up front.
  const hardware_config h;
  const sim_result fits = run_system("IANUS", gpt2(model_presets::gpt2_xl(), 512, 2, 12), h);
  CHECK(fits.supported);
  auto w = gpt2(model_presets::gpt2_xl(), 512, 512, 12);
  const kernel_run run = simulate_kernel_system(kernel_systems::ianus(), w, h);
  REQUIRE(run.result.supported);
  CHECK(run.peak_used_fraction <= 1.0);
  const double expected = (model_presets::gpt2_xl().weight_bytes().value() +
                           model_presets::gpt2_xl().kv_bytes_per_token().value() * 12 * 1024) /
                          h.pim.dram.organization.capacity().value();
  CHECK(run.peak_used_fraction == Approx(expected).epsilon(0.01));
  const sim_result too_big = run_system("IANUS", gpt2(model_presets::gpt2_xl(), 512, 512, 24), h);
  CHECK_FALSE(too_big.supported);
  CHECK_THAT(too_big.reason, Catch::Contains("KV cache"));
}

TEST_CASE("kernel systems refuse math mode") {
  auto w = gpt2(model_presets::gpt2_medium(), 16, 4);
  w.mode = execution_mode::math;
  CHECK_THROWS_WITH(simulate_kernel_system(kernel_systems::ianus(), w, hardware_config{}),
                    Catch::Contains("workload.mode") && Catch::Contains("timing_only"));
}

TEST_CASE("H2M2 on its own configuration: the bandwidth node takes part of LLaMA2-70B") {
  const hardware_config h;
  const auto w = gpt2(model_presets::llama2_70b(), 256, 4, 8);
  const kernel_run run = simulate_kernel_system(kernel_systems::h2m2(), w, h);
  REQUIRE(run.result.supported);
  CHECK(run.initial_moves > 0);
  // At most the 96 GB node, at least a good part of it.
  CHECK(run.initially_placed <= h.bandwidth_node.capacity);
  CHECK(run.initially_placed > h.bandwidth_node.capacity * 0.5);
  CHECK(run.peak_used_fraction <= 1.0);
  const sim_result lpddr = run_system("LPDDR-only", w, h);
  CHECK(run.result.end_to_end_tokens_per_second > lpddr.end_to_end_tokens_per_second);
}
