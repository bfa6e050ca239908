#include <hermes/hermes.hpp>

#include <Kokkos_Core.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  using namespace hermes::literals;
  Kokkos::initialize(argc, argv);
  int rc = 0;
  {
    hermes::ledger l;
    const auto gpu = l.add_resource("gpu", hermes::resource_kind::compute);
    const hermes::seconds t = 1_GB / 1000_GBps;  // 1 ms
    l.charge(gpu, 0_s, t, "gpu_compute");
    Kokkos::View<float*> v("v", 4);
    Kokkos::deep_copy(v, 2.0f);
    float sum = 0;
    Kokkos::parallel_reduce("sum", 4, KOKKOS_LAMBDA(int i, float& s) { s += v(i); }, sum);
    rc = (l.makespan() == t && sum == 8.0f) ? 0 : 1;
    std::printf("consumer: makespan %g s, sum %g\n", l.makespan().value(), sum);
  }
  Kokkos::finalize();
  return rc;
}
