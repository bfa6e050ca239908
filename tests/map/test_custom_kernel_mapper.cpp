// Builds examples/custom_kernel_mapper.cpp into this test (its main renamed): a user-written
// kernel mapper compiles against the public headers and runs on IANUS' machine.
#include <catch2/catch.hpp>

#define main custom_kernel_mapper_example_main
#include "../../examples/custom_kernel_mapper.cpp"
#undef main

TEST_CASE("custom kernel mapper example: attention goes in memory, FCs keep Algorithm 1", "[map][example]") {
  STATIC_REQUIRE(hermes::kernel_mapper<attention_in_memory_mapper>);
  const hermes::hardware_config h;
  hermes::npu_machine m = hermes::npu_machine_factory{hermes::npu_memory_layout::unified}(h);
  hermes::buffer_table t;
  hermes::decoder_buffers b;
  REQUIRE_FALSE(m.place(hermes::kernel_run_shape{hermes::model_presets::gpt2_medium(), 1, 64}, t, b).has_value());
  const hermes::kernel_estimate e = [&](const hermes::kernel& k, hermes::target_role r, const hermes::kernel* p) {
    return m.estimate(k, r, p, t);
  };
  const auto ks = hermes::decoder_kernels(hermes::model_presets::gpt2_medium(), hermes::decoder_step{1, 1, 32}, b);
  const auto mine = attention_in_memory_mapper{}.assign(ks, hermes::decode_phase::generation, e);
  const auto alg1 = hermes::pim_offload_mapper{}.assign(ks, hermes::decode_phase::generation, e);
  for (std::size_t i = 0; i < ks.size(); ++i) {
    INFO(i);
    if (ks[i].kind == hermes::kernel_kind::attention_score || ks[i].kind == hermes::kernel_kind::attention_context)
      CHECK(mine[i] == hermes::target_role::in_memory);
    else
      CHECK(mine[i] == alg1[i]);
  }
}

TEST_CASE("custom kernel mapper example: runs beside IANUS", "[map][example][sim]") {
  hermes::workload_config w;
  w.model = hermes::model_presets::gpt2_medium();
  w.input_len = 16;
  w.output_len = 4;
  CHECK(compare_attention_mappings(w, hermes::hardware_config{}) == 0);
}
