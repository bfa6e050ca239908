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

// Dot product of n contiguous floats. Sixteen independent partial sums: a single running sum is
// a serial chain of dependent adds that strict IEEE semantics forbid the compiler to reorder,
// which caps a core far below its memory bandwidth; sixteen chains fill four 4-wide SIMD
// registers (the x86-64 baseline) and hide the add latency.
KOKKOS_INLINE_FUNCTION float dot(const float* a, const float* b, std::size_t n) {
  constexpr std::size_t lanes = 16;
  float s[lanes] = {};
  std::size_t j = 0;
  for (; j + lanes <= n; j += lanes)
    for (std::size_t u = 0; u < lanes; ++u) s[u] += a[j + u] * b[j + u];
  float tail = 0.0f;
  for (; j < n; ++j) tail += a[j] * b[j];
  for (std::size_t w = lanes / 2; w > 0; w /= 2)
    for (std::size_t u = 0; u < w; ++u) s[u] += s[u + w];
  return s[0] + tail;
}

// y[0..n) += s * w[0..n): no reduction, so it vectorises as it stands.
KOKKOS_INLINE_FUNCTION void axpy(float* y, const float* w, float s, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) y[j] += s * w[j];
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

// partials(d, b, c) = sum over the neurons i of device d of scale(b, i) * chunks(i, offset + c),
// for c in [0, length). The neurons of device d are order[offsets(d) .. offsets(d + 1)), in
// ascending index. Each team owns one output block of one device, so writes never race.
template <class ExecSpace>
void accumulate_scaled_chunks(const char* label,
                              const const_matrix<typename ExecSpace::memory_space>& chunks,
                              std::size_t offset, std::size_t length,
                              const index_list<typename ExecSpace::memory_space>& order,
                              const offset_list<typename ExecSpace::memory_space>& offsets,
                              std::size_t devices,
                              const const_matrix<typename ExecSpace::memory_space>& scale,
                              std::size_t batch,
                              const cube<typename ExecSpace::memory_space>& partials) {
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
        for (std::size_t k = offsets(d); k < offsets(d + 1); ++k) {
          const std::uint32_t i = order(k);
          const float* w = &chunks(i, offset);
          for (std::size_t b = 0; b < batch; ++b) {
            const float s = scale(b, i);
            float* out = &partials(d, b, 0);
            // The same thread owns the same slice for every k: no barrier needed.
            for_each_slice(team, c0, c1,
                           [&](std::size_t lo, std::size_t hi) { axpy(out + lo, w + lo, s, hi - lo); });
          }
        }
      });
}

// out(b, c) = bias(c) + sum over d in [0, devices) of partials(d, b, c), devices in increasing
// order (a fixed order: the result does not depend on scheduling). bias may be empty.
template <class ExecSpace>
void merge_partials(const char* label, const cube<typename ExecSpace::memory_space>& partials,
                    std::size_t devices, std::size_t batch, std::size_t length,
                    const Kokkos::View<const float*, typename ExecSpace::memory_space>& bias,
                    const matrix<typename ExecSpace::memory_space>& out) {
  const bool has_bias = bias.extent(0) > 0;
  Kokkos::parallel_for(
      label, Kokkos::RangePolicy<ExecSpace>(0, batch * length), KOKKOS_LAMBDA(const std::size_t e) {
        const std::size_t b = e / length;
        const std::size_t c = e % length;
        float sum = has_bias ? bias(c) : 0.0f;
        for (std::size_t d = 0; d < devices; ++d) sum += partials(d, b, c);
        out(b, c) = sum;
      });
}

}  // namespace kernels
}  // namespace hermes
