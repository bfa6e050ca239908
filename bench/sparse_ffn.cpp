// Sparse FFN forward vs a dense Eigen GEMV pair of the same shape.
//
// Shape: hidden 4096 x 14336 neurons (LLaMA-class FFN, Mistral-7B / LLaMA-3-8B widths), ReLU,
// fp32 weights, batch 1. The sparse layer reads only the chunks of the active neurons, so its
// time should track the density: bytes/s on the ACTIVE weight bytes should stay close to the
// dense GEMV's bytes/s on all weight bytes (docs/performance.md, "Sparse FFN vs dense Eigen
// GEMV").
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>

#include <Eigen/Dense>

#include <cstdint>
#include <memory>
#include <random>

#include "hermes/layer/sparse_ffn.hpp"

namespace {

using exec = Kokkos::DefaultExecutionSpace;
using layer_type = hermes::sparse_ffn<exec>;

constexpr std::size_t hidden = 4096;
constexpr std::size_t neurons = 14336;

// Deterministic weights in [-1/64, 1/64) from an index hash (no host staging of 470 MB).
KOKKOS_INLINE_FUNCTION float weight_value(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return (static_cast<float>(k & 0xFFFF) / 65536.0f - 0.5f) / 32.0f;
}

struct fixture {
  layer_type layer{hermes::ffn_shape{hermes::ffn_kind::relu, hidden, neurons, false}};
  layer_type::matrix x{"x", 1, hidden};
  layer_type::matrix y{"y", 1, hidden};
  Eigen::MatrixXf fc1 = Eigen::MatrixXf(neurons, hidden);  // dense y1 = fc1 x
  Eigen::MatrixXf fc2 = Eigen::MatrixXf(hidden, neurons);  // dense y = fc2 relu(y1)
  Eigen::VectorXf dense_x = Eigen::VectorXf(hidden);
  Eigen::VectorXf dense_h = Eigen::VectorXf(neurons);
  Eigen::VectorXf dense_y = Eigen::VectorXf(hidden);

  fixture() {
    const auto w = layer.weights();
    const std::size_t cols = w.extent(1);
    Kokkos::parallel_for(
        "bench::fill", Kokkos::RangePolicy<exec>(0, w.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
          for (std::size_t c = 0; c < cols; ++c) w(i, c) = weight_value(i * cols + c);
        });
    const auto xv = x;
    Kokkos::parallel_for(
        "bench::fill_x", Kokkos::RangePolicy<exec>(0, hidden),
        KOKKOS_LAMBDA(std::size_t c) { xv(0, c) = weight_value(c + 977) * 32.0f; });
    for (Eigen::Index c = 0; c < fc1.cols(); ++c)
      for (Eigen::Index r = 0; r < fc1.rows(); ++r)
        fc1(r, c) = weight_value(static_cast<std::uint64_t>(r * fc1.cols() + c));
    for (Eigen::Index c = 0; c < fc2.cols(); ++c)
      for (Eigen::Index r = 0; r < fc2.rows(); ++r)
        fc2(r, c) = weight_value(static_cast<std::uint64_t>(r * fc2.cols() + c) + 12345);
    for (Eigen::Index c = 0; c < dense_x.size(); ++c)
      dense_x(c) = weight_value(static_cast<std::uint64_t>(c) + 977) * 32.0f;
  }
};

std::unique_ptr<fixture> state;
fixture& get() {
  if (!state) state = std::make_unique<fixture>();
  return *state;
}

hermes::neuron_mask mask_with_density(double density) {
  std::mt19937 rng(42);
  std::bernoulli_distribution on(density);
  hermes::neuron_mask m(neurons);
  for (std::size_t i = 0; i < neurons; ++i)
    if (density >= 1.0 || on(rng)) m.set(i);
  return m;
}

void sparse_ffn_forward(benchmark::State& st) {
  fixture& f = get();
  const double density = static_cast<double>(st.range(0)) / 100.0;
  const hermes::neuron_mask active = mask_with_density(density);
  const hermes::layer_placement placement(neurons, 0);
  // Grouping the mask by device is part of every forward; the host work is included.
  for (auto _ : st) {
    f.layer.forward(f.x, f.y, active, placement);
    Kokkos::fence();
    benchmark::ClobberMemory();
  }
  const double active_bytes =
      static_cast<double>(active.count()) * static_cast<double>(2 * hidden * sizeof(float));
  st.SetBytesProcessed(static_cast<std::int64_t>(active_bytes) * st.iterations());
  st.counters["active_neurons"] = static_cast<double>(active.count());
}

void dense_eigen_gemv_pair(benchmark::State& st) {
  fixture& f = get();
  for (auto _ : st) {
    f.dense_h.noalias() = f.fc1 * f.dense_x;
    f.dense_h = f.dense_h.cwiseMax(0.0f);
    f.dense_y.noalias() = f.fc2 * f.dense_h;
    benchmark::DoNotOptimize(f.dense_y.data());
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(2 * hidden * neurons * sizeof(float)) *
                       st.iterations());
}

}  // namespace

BENCHMARK(dense_eigen_gemv_pair)->Unit(benchmark::kMillisecond);
BENCHMARK(sparse_ffn_forward)
    ->Arg(5)->Arg(10)->Arg(20)->Arg(50)->Arg(100)
    ->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  Kokkos::initialize(argc, argv);
  {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    state.reset();  // Kokkos views must go before Kokkos::finalize
  }
  Kokkos::finalize();
  return 0;
}
