// The core, as an installed package: units, the ledger, Kokkos, and one sparse FFN layer charged
// to a GPU + 4 NDP-DIMMs, with nothing but hermes::hermes.
#include <hermes/hermes.hpp>

#if defined(INCLUDE_NLOHMANN_JSON_HPP_) || defined(NLOHMANN_JSON_VERSION_MAJOR) || defined(CbcModelC_H)
#error "<hermes/hermes.hpp> included an optional dependency (nlohmann-json or CBC)"
#endif

#include <Kokkos_Core.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  using namespace hermes;
  using namespace hermes::literals;
  Kokkos::initialize(argc, argv);
  int rc = 0;
  {
    ledger l;
    const auto gpu_resource = l.add_resource("gpu", resource_kind::compute);
    const seconds t = 1_GB / 1000_GBps;  // 1 ms
    l.charge(gpu_resource, 0_s, t, "gpu_compute");
    Kokkos::View<float*> v("v", 4);
    Kokkos::deep_copy(v, 2.0f);
    float sum = 0;
    Kokkos::parallel_reduce("sum", 4, KOKKOS_LAMBDA(int i, float& s) { s += v(i); }, sum);

    // One MLP layer of OPT-13B's shape: neuron i homed on DIMM i % 4, the first 1024 copied to
    // the GPU, every 8th neuron active.
    const ffn_shape ffn = ffn_shape::of(find_model_preset("OPT-13B"));
    device_set devices(group<gpu>("gpu", 1, gpu_presets::rtx4090()),
                       group<ndp_dimm>("dimm", 4, ndp_dimm_presets::hermes_table2()));
    ledger timing;
    devices.attach(timing);
    layer_placement placement(ffn.neurons, cold_device(0), hot_device);
    for (std::size_t i = 0; i < ffn.neurons; ++i) placement.home[i] = cold_device(i % 4);
    for (std::size_t i = 0; i < 1024; ++i) placement.cached.set(i);
    neuron_mask active(ffn.neurons);
    for (std::size_t i = 0; i < ffn.neurons; i += 8) active.set(i);
    const layer_timing layer =
        charge_sparse_ffn(ffn, 1, device_neurons(active, placement, devices.size()), devices, timing, seconds{});

    const bool ok = l.makespan() == t && sum == 8.0f && layer.compute_end > seconds{} && layer.end >= layer.compute_end;
    rc = ok ? 0 : 1;
    std::printf("core consumer: makespan %g s, sum %g, one MLP layer %.1f us\n", l.makespan().value(), sum,
                layer.end.value() * 1e6);
  }
  Kokkos::finalize();
  return rc;
}
