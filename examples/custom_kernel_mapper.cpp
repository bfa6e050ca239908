// A user-written kernel mapper, plugged into IANUS' machine without touching the library: any
// type with `name()` and `assign(kernels, phase, estimate) -> roles` models hermes::kernel_mapper
// (map/kernel_mapper.hpp). This one keeps IANUS' Algorithm 1 for the FCs but puts both attention
// products in memory whenever the machine can run them there (QK^T with head dim 64 uses 64 of
// the PIM's 1024 columns per row: the spec's 6.25% efficiency), to see what that costs.
//
// The composition is one line (make_kernel_system: a machine factory, a kernel mapper, optionally
// a buffer mapper); it runs through the same engine, scheduler and ledger as the registry's
// systems.
//
// Run: build/examples/custom_kernel_mapper   (GPT2-XL, 128 + 64 tokens, IANUS' NPU + unified PIM)
#include <cmath>
#include <cstdio>
#include <span>
#include <vector>

#include "hermes/all.hpp"

struct attention_in_memory_mapper {
  [[nodiscard]] std::string_view name() const { return "attention-in-memory"; }
  [[nodiscard]] std::vector<hermes::target_role> assign(std::span<const hermes::kernel> ks, hermes::decode_phase phase,
                                                        const hermes::kernel_estimate& estimate) const {
    std::vector<hermes::target_role> roles = hermes::pim_offload_mapper{}.assign(ks, phase, estimate);
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const bool attention = ks[i].kind == hermes::kernel_kind::attention_score ||
                             ks[i].kind == hermes::kernel_kind::attention_context;
      // An infinite estimate means the machine cannot run it there (no PIM, KV not in PIM memory).
      const bool possible = std::isfinite(estimate(ks[i], hermes::target_role::in_memory, i ? &ks[i - 1] : nullptr).value());
      if (attention && possible) roles[i] = hermes::target_role::in_memory;
    }
    return roles;
  }
};
static_assert(hermes::check_kernel_mapper<attention_in_memory_mapper>());

// Runs the custom composition beside IANUS; returns 0 when both ran.
int compare_attention_mappings(const hermes::workload_config& w, const hermes::hardware_config& h) {
  const auto mine = hermes::make_kernel_system("IANUS-attention-in-PIM",
                                               hermes::npu_machine_factory{hermes::npu_memory_layout::unified},
                                               attention_in_memory_mapper{});
  const hermes::sim_result a = hermes::run_kernel_system(mine, w, h);
  const hermes::sim_result b = hermes::run_system("IANUS", w, h);
  if (!a.supported || !b.supported) {
    std::printf("not supported: %s%s\n", a.reason.c_str(), b.reason.c_str());
    return 1;
  }
  for (const hermes::sim_result* r : {&b, &a}) {
    const double attention = r->decode_seconds_of(hermes::kernel_kind::attention_score) +
                             r->decode_seconds_of(hermes::kernel_kind::attention_context);
    std::printf("%-24s decode %8.2f ms, of which attention %7.2f ms; %6.1f tokens/s end to end\n",
                r->system.c_str(), 1e3 * r->seconds_decode.value(), 1e3 * attention,
                r->end_to_end_tokens_per_second);
  }
  return 0;
}

int main() {
  hermes::workload_config w;
  w.model = hermes::model_presets::gpt2_xl();
  w.input_len = 128;
  w.output_len = 64;
  return compare_attention_mappings(w, hermes::hardware_config{});
}
