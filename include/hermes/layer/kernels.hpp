#pragma once
// The Kokkos kernels shared by the sparse layers. Weights are stored neuron by neuron: one row
// of a 2-D view per neuron (its "chunk", as an NDP-DIMM stores it), so a sparse product streams
// the chunks of the active neurons contiguously and never touches the others.
//
// Portability: every kernel is templated on the execution space and reads views only inside
// kernels. Work inside a team is split into one contiguous slice per thread, which on host
// backends (team size 1) becomes a plain loop over contiguous memory the compiler vectorises,
// and on GPUs (many threads, small blocks) becomes fine-grained parallelism. Partial results
// are owned by exactly one team, so no atomics are needed on any backend.
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace hermes {

namespace kmath {
#if KOKKOS_VERSION >= 30700
using Kokkos::cos;
using Kokkos::exp;
using Kokkos::pow;
using Kokkos::sin;
using Kokkos::sqrt;
using Kokkos::tanh;
#else
using Kokkos::Experimental::cos;
using Kokkos::Experimental::exp;
using Kokkos::Experimental::pow;
using Kokkos::Experimental::sin;
using Kokkos::Experimental::sqrt;
using Kokkos::Experimental::tanh;
#endif
}  // namespace kmath

namespace kernels {

template <class MemSpace>
using matrix = Kokkos::View<float**, Kokkos::LayoutRight, MemSpace>;
template <class MemSpace>
using const_matrix = Kokkos::View<const float**, Kokkos::LayoutRight, MemSpace>;
template <class MemSpace>
using cube = Kokkos::View<float***, Kokkos::LayoutRight, MemSpace>;
template <class MemSpace>
using vector = Kokkos::View<float*, MemSpace>;
template <class MemSpace>
using index_list = Kokkos::View<std::uint32_t*, MemSpace>;
template <class MemSpace>
using offset_list = Kokkos::View<std::size_t*, MemSpace>;

// How many neurons a kernel streams at once. Several concurrent streams keep more cache-line
// fetches in flight on one core than a single stream does, and an output element is loaded and
// stored once per group instead of once per neuron.
inline constexpr int neuron_group = 8;

// sums[r] = dot(rows[r][0..n), x[0..n)) for R rows at once. Eight independent partial sums
// per row: a single running sum is a chain of dependent adds that strict IEEE semantics forbid
// the compiler to reorder, which caps a core far below its memory bandwidth; eight chains fill
// two 4-wide SIMD registers (the x86-64 baseline) per row. Every row is summed in the same order
// whatever R is, so grouping neurons never changes a result.
template <int R>
KOKKOS_INLINE_FUNCTION void dot_rows(const float* const* rows, const float* x, std::size_t n,
                                     float* sums) {
  constexpr std::size_t lanes = 8;
  float s[R][lanes] = {};
  std::size_t j = 0;
  for (; j + lanes <= n; j += lanes)
    for (int r = 0; r < R; ++r)
      for (std::size_t u = 0; u < lanes; ++u) s[r][u] += rows[r][j + u] * x[j + u];
  for (int r = 0; r < R; ++r) {
    float tail = 0.0f;
    for (std::size_t t = j; t < n; ++t) tail += rows[r][t] * x[t];
    for (std::size_t w = lanes / 2; w > 0; w /= 2)
      for (std::size_t u = 0; u < w; ++u) s[r][u] += s[r][u + w];
    sums[r] = s[r][0] + tail;
  }
}

KOKKOS_INLINE_FUNCTION float dot(const float* a, const float* b, std::size_t n) {
  float sum = 0.0f;
  dot_rows<1>(&a, b, n, &sum);
  return sum;
}

// y[j] = (((y[j] + s[0] w[0][j]) + s[1] w[1][j]) + ...) for R rows: the same additions, in the
// same order, as R single-row updates one after another, so the result does not depend on how
// neurons are grouped; there is no reduction, so it vectorises as it stands.
template <int R>
KOKKOS_INLINE_FUNCTION void axpy_rows(float* y, const float* const* w, const float* s,
                                      std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) {
    float v = y[j];
    for (int r = 0; r < R; ++r) v += s[r] * w[r][j];
    y[j] = v;
  }
}

// Runtime group sizes 1..neuron_group dispatched to the fixed-size versions above.
KOKKOS_INLINE_FUNCTION void dot_group(int rows, const float* const* w, const float* x,
                                      std::size_t n, float* sums) {
  switch (rows) {
    case 8: dot_rows<8>(w, x, n, sums); break;
    case 7: dot_rows<7>(w, x, n, sums); break;
    case 6: dot_rows<6>(w, x, n, sums); break;
    case 5: dot_rows<5>(w, x, n, sums); break;
    case 4: dot_rows<4>(w, x, n, sums); break;
    case 3: dot_rows<3>(w, x, n, sums); break;
    case 2: dot_rows<2>(w, x, n, sums); break;
    default: dot_rows<1>(w, x, n, sums); break;
  }
}
KOKKOS_INLINE_FUNCTION void axpy_group(int rows, float* y, const float* const* w, const float* s,
                                       std::size_t n) {
  switch (rows) {
    case 8: axpy_rows<8>(y, w, s, n); break;
    case 7: axpy_rows<7>(y, w, s, n); break;
    case 6: axpy_rows<6>(y, w, s, n); break;
    case 5: axpy_rows<5>(y, w, s, n); break;
    case 4: axpy_rows<4>(y, w, s, n); break;
    case 3: axpy_rows<3>(y, w, s, n); break;
    case 2: axpy_rows<2>(y, w, s, n); break;
    default: axpy_rows<1>(y, w, s, n); break;
  }
}
KOKKOS_INLINE_FUNCTION void axpy(float* y, const float* w, float s, std::size_t n) {
  axpy_rows<1>(y, &w, &s, n);
}

// Splits [begin, end) into one contiguous slice per thread of the team and calls f(lo, hi).
template <class Member, class F>
KOKKOS_INLINE_FUNCTION void for_each_slice(const Member& team, std::size_t begin, std::size_t end,
                                           const F& f) {
  const std::size_t threads = static_cast<std::size_t>(team.team_size());
  const std::size_t n = end - begin;
  Kokkos::parallel_for(Kokkos::TeamThreadRange(team, threads), [&](const std::size_t t) {
    const std::size_t lo = begin + t * n / threads;
    const std::size_t hi = begin + (t + 1) * n / threads;
    if (lo < hi) f(lo, hi);
  });
}

// Dot product computed by a whole team: one contiguous slice per thread, then a team sum.
template <class Member>
KOKKOS_INLINE_FUNCTION float team_dot(const Member& team, const float* a, const float* b,
                                      std::size_t n) {
  const std::size_t threads = static_cast<std::size_t>(team.team_size());
  float sum = 0.0f;
  Kokkos::parallel_reduce(
      Kokkos::TeamThreadRange(team, threads),
      [&](const std::size_t t, float& acc) {
        const std::size_t lo = t * n / threads;
        const std::size_t hi = (t + 1) * n / threads;
        acc += dot(a + lo, b + lo, hi - lo);
      },
      sum);
  return sum;
}

// How the partial output of each device is produced. Both are race-free without atomics and
// sum every output element over the device's neurons in ascending neuron order.
enum class partial_strategy {
  // One worker per unit of concurrency owns a whole output vector and streams a contiguous
  // share of the device's neurons, each chunk read once front to back: long contiguous streams
  // for CPU cores. Partials: devices x workers.
  per_worker,
  // Each team owns a block of output elements and reads that block's slice of every active
  // chunk: many small teams for GPUs. Partials: one per device.
  output_blocks,
};

// per_worker where the execution space runs on the host (Serial, OpenMP, Threads),
// output_blocks on accelerators.
template <class ExecSpace>
constexpr partial_strategy default_strategy() {
  return Kokkos::SpaceAccessibility<ExecSpace, Kokkos::HostSpace>::accessible
             ? partial_strategy::per_worker
             : partial_strategy::output_blocks;
}

// Workers per device for per_worker: one per unit of concurrency, capped so the partials
// (workers x batch x output) stay a small fraction of the weights they summarise.
template <class ExecSpace>
std::size_t workers_per_device(partial_strategy strategy) {
  constexpr std::size_t max_workers = 64;
  if (strategy == partial_strategy::output_blocks) return 1;
  const auto concurrency = static_cast<std::size_t>(ExecSpace().concurrency());
  return std::clamp<std::size_t>(concurrency, 1, max_workers);
}

// The neurons [lo, hi) of order that worker w of device d streams under per_worker.
KOKKOS_INLINE_FUNCTION void worker_range(std::size_t first, std::size_t last, std::size_t w,
                                         std::size_t workers, std::size_t& lo, std::size_t& hi) {
  const std::size_t n = last - first;
  lo = first + w * n / workers;
  hi = first + (w + 1) * n / workers;
}

// How many output blocks to cut an output of `length` elements into, for `producers` partials:
// enough teams to occupy the execution space, but blocks of at least min_block elements
// (2 KiB of fp32), so each team reads runs of whole DRAM rows' worth of a chunk.
template <class ExecSpace>
std::size_t output_blocks(std::size_t length, std::size_t producers) {
  constexpr std::size_t min_block = 512;
  const auto concurrency = static_cast<std::size_t>(ExecSpace().concurrency());
  const std::size_t wanted = (concurrency + producers - 1) / std::max<std::size_t>(producers, 1);
  const std::size_t most = (length + min_block - 1) / min_block;
  return std::clamp<std::size_t>(wanted, 1, std::max<std::size_t>(most, 1));
}

// partials(p, b, c) = sum over the neurons i of partial p of scale(b, i) * chunks(i, offset + c),
// for c in [0, length). The neurons of device d are order[offsets(d) .. offsets(d + 1)), in
// ascending index. Partial p covers device p / workers (see partial_strategy); returns the
// number of partials written.
template <class ExecSpace>
std::size_t accumulate_scaled_chunks(
    const char* label, partial_strategy strategy,
    const const_matrix<typename ExecSpace::memory_space>& chunks, std::size_t offset,
    std::size_t length, const index_list<typename ExecSpace::memory_space>& order,
    const offset_list<typename ExecSpace::memory_space>& offsets, std::size_t devices,
    const const_matrix<typename ExecSpace::memory_space>& scale, std::size_t batch,
    const cube<typename ExecSpace::memory_space>& partials) {
  if (strategy == partial_strategy::per_worker) {
    const std::size_t workers = workers_per_device<ExecSpace>(strategy);
    Kokkos::parallel_for(
        label, Kokkos::RangePolicy<ExecSpace>(0, devices * workers),
        KOKKOS_LAMBDA(const std::size_t p) {
          std::size_t lo = 0, hi = 0;
          worker_range(offsets(p / workers), offsets(p / workers + 1), p % workers, workers, lo, hi);
          for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t c = 0; c < length; ++c) partials(p, b, c) = 0.0f;
          for (std::size_t k = lo; k < hi; k += neuron_group) {
            const int rows = static_cast<int>(hi - k < neuron_group ? hi - k : neuron_group);
            const float* w[neuron_group] = {};
            for (int r = 0; r < rows; ++r) w[r] = &chunks(order(k + r), offset);
            for (std::size_t b = 0; b < batch; ++b) {
              float s[neuron_group] = {};
              for (int r = 0; r < rows; ++r) s[r] = scale(b, order(k + r));
              axpy_group(rows, &partials(p, b, 0), w, s, length);
            }
          }
        });
    return devices * workers;
  }
  using policy = Kokkos::TeamPolicy<ExecSpace>;
  using member = typename policy::member_type;
  const std::size_t blocks = output_blocks<ExecSpace>(length, devices);
  const std::size_t block_len = (length + blocks - 1) / blocks;
  Kokkos::parallel_for(
      label, policy(static_cast<int>(devices * blocks), Kokkos::AUTO),
      KOKKOS_LAMBDA(const member& team) {
        const std::size_t d = static_cast<std::size_t>(team.league_rank()) / blocks;
        const std::size_t block = static_cast<std::size_t>(team.league_rank()) % blocks;
        const std::size_t c0 = block * block_len;
        const std::size_t c1 = c0 + block_len < length ? c0 + block_len : length;
        if (c0 >= c1) return;
        for (std::size_t b = 0; b < batch; ++b) {
          float* out = &partials(d, b, 0);
          for_each_slice(team, c0, c1, [&](std::size_t lo, std::size_t hi) {
            for (std::size_t c = lo; c < hi; ++c) out[c] = 0.0f;
          });
        }
        const std::size_t last = offsets(d + 1);
        for (std::size_t k = offsets(d); k < last; k += neuron_group) {
          const int rows = static_cast<int>(last - k < neuron_group ? last - k : neuron_group);
          const float* w[neuron_group] = {};
          for (int r = 0; r < rows; ++r) w[r] = &chunks(order(k + r), offset);
          for (std::size_t b = 0; b < batch; ++b) {
            float s[neuron_group] = {};
            for (int r = 0; r < rows; ++r) s[r] = scale(b, order(k + r));
            float* out = &partials(d, b, 0);
            // The same thread owns the same slice for every k: no barrier needed.
            for_each_slice(team, c0, c1, [&](std::size_t lo, std::size_t hi) {
              const float* wl[neuron_group] = {};
              for (int r = 0; r < rows; ++r) wl[r] = w[r] + lo;
              axpy_group(rows, out + lo, wl, s, hi - lo);
            });
          }
        }
      });
  return devices;
}

// out(b, c) = bias(c) + sum over p in [0, count) of partials(p, b, c), in increasing p (a fixed
// order: the result does not depend on scheduling). bias may be empty.
template <class ExecSpace>
void merge_partials(const char* label, const cube<typename ExecSpace::memory_space>& partials,
                    std::size_t count, std::size_t batch, std::size_t length,
                    const Kokkos::View<const float*, typename ExecSpace::memory_space>& bias,
                    const matrix<typename ExecSpace::memory_space>& out) {
  const bool has_bias = bias.extent(0) > 0;
  Kokkos::parallel_for(
      label, Kokkos::RangePolicy<ExecSpace>(0, batch * length), KOKKOS_LAMBDA(const std::size_t e) {
        const std::size_t b = e / length;
        const std::size_t c = e % length;
        float sum = has_bias ? bias(c) : 0.0f;
        for (std::size_t p = 0; p < count; ++p) sum += partials(p, b, c);
        out(b, c) = sum;
      });
}

}  // namespace kernels
}  // namespace hermes
