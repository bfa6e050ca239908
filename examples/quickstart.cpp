// The 30-second tour (README): one sparse FFN layer of LLaMA2-70B's shape, its neurons split
// between an RTX 4090 and 8 NDP-DIMMs, timed by the devices' cost models; then a whole
// end-to-end Hermes run. Timing only: no weights are allocated.
#include <cstdio>

#include <hermes/all.hpp>

int main() {
  using namespace hermes;
  const model_shape m = model_presets::llama2_70b();
  const ffn_shape ffn = ffn_shape::of(m);

  // A system is a compile-time set of device kinds, each with a runtime count and config.
  device_set devices(group<gpu>("gpu", 1, gpu_presets::rtx4090()),
                     group<ndp_dimm>("dimm", 8, ndp_dimm_presets::hermes_table2()));
  ledger timing;
  devices.attach(timing);

  // Neuron i lives on DIMM i % 8; the first 2048 neurons also have a copy on the GPU (device 0).
  layer_placement placement(ffn.neurons, cold_device(0), hot_device);
  for (std::size_t i = 0; i < ffn.neurons; ++i) placement.home[i] = cold_device(i % 8);
  for (std::size_t i = 0; i < 2048; ++i) placement.cached.set(i);

  // 10% of the neurons fire for this token.
  neuron_mask active(ffn.neurons);
  for (std::size_t i = 0; i < ffn.neurons; i += 10) active.set(i);

  const device_neurons groups(active, placement, devices.size());
  const layer_timing t = charge_sparse_ffn(ffn, /*batch=*/1, groups, devices, timing, seconds{});
  std::printf("one MLP layer: %.1f us (GPU %.1f us, slowest DIMM %.1f us)\n", t.end.value() * 1e6,
              (t.device_end[0] - t.ready).value() * 1e6, (t.compute_end - t.ready).value() * 1e6);

  // The whole system, end to end: prefill + 16 decoded tokens, scheduler included.
  workload_config w;  // LLaMA2-70B, batch 1, 128 in / 128 out
  w.output_len = 16;  // keep the tour short (hermes-sim decodes the paper's 128)
  const sim_result r = run_system("Hermes", w, hardware_config{});
  std::printf("%s on %s: %.2f tokens/s (predictor accuracy %.3f)\n", r.system.c_str(),
              r.model.c_str(), r.decode_tokens_per_second, r.prediction_accuracy);
  return 0;
}
