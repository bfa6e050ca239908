#pragma once
// The requirement sets that device policies satisfy. A policy is a plain value type (its
// numbers come from a preset or a config file); it only accounts time and traffic, it never
// computes the math (Kokkos does that in the layers).
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

// One matrix-vector product over a subset of weight rows, the unit of work of sparse inference.
// A "chunk" is the weights of one neuron that are stored together (for a gated FFN neuron: its
// FC1 row, its gate row and its FC2 column, rows_per_chunk = 3).
struct gemv_work {
  std::size_t chunks = 0;           // weight chunks read (usually: active neurons on the device)
  std::size_t rows_per_chunk = 1;   // weight rows per chunk
  std::size_t cols = 0;             // elements per row (the model dimension)
  std::size_t batch = 1;            // input vectors each row is multiplied with
  double bytes_per_element = 2.0;   // width of a weight in the modelled hardware (FP16)
  // Device-local byte address of each chunk, for memories whose timing depends on the access
  // pattern (DRAM). Empty: the chunks are packed one after another from address 0.
  std::span<const std::uint64_t> chunk_addresses{};
  // (chunk, sequence) pairs multiplied: a chunk read once is multiplied only with the input
  // vectors of the sequences that need it (a neuron of a batch fires for some sequences, not
  // all). 0 = every chunk with every one of the `batch` vectors (chunks x batch); otherwise at
  // least `chunks` and at most chunks x batch (validate_gemv_work, roofline.hpp).
  std::size_t products = 0;
  // The rows are gathered through an index list (a sparse kernel over the active neurons), even
  // when no chunk addresses are given: devices charge the gather's index reads and access
  // granularity (roofline.hpp, access_of).
  bool gathered = false;

  // The (chunk, sequence) pairs multiplied (see `products`).
  [[nodiscard]] constexpr std::size_t chunk_products() const {
    return products == 0 ? chunks * batch : products;
  }
  [[nodiscard]] constexpr double chunk_bytes() const {
    return static_cast<double>(rows_per_chunk * cols) * bytes_per_element;
  }
  [[nodiscard]] constexpr bytes weight_bytes() const {
    return bytes(static_cast<double>(chunks) * chunk_bytes());
  }
  [[nodiscard]] constexpr flops flop_count() const {
    return flops(2.0 * static_cast<double>(chunk_products()) * static_cast<double>(rows_per_chunk * cols));
  }
};

// Element-wise / reduction work on vectors (softmax, activation functions, merges).
struct vector_work {
  std::size_t elements = 0;
  double flops_per_element = 1.0;
  double bytes_per_element = 2.0;  // read + written once each from the device's memory
};

template <class T>
concept named_device = requires(const T& t) {
  { t.name() } -> std::convertible_to<std::string_view>;
};

// A memory that holds weights (GPU memory, one NDP-DIMM, host DRAM, a PIM device).
template <class T>
concept memory_device = named_device<T> && requires(const T& t) {
  { t.capacity() } -> std::same_as<bytes>;
};

// Something that executes work and reports its cost (a GPU, an NDP core with its DRAM, a CPU).
template <class T>
concept compute_device = named_device<T> && requires(const T& t, const gemv_work& g,
                                                      const vector_work& v) {
  { t.gemv(g) } -> std::same_as<device_cost>;
  { t.vector_op(v) } -> std::same_as<device_cost>;
};

// A point-to-point interconnect: latency + bytes / bandwidth, with an energy per transfer.
template <class T>
concept link_device = named_device<T> && requires(const T& t, bytes b) {
  { t.transfer(b) } -> std::same_as<device_cost>;
};

}  // namespace hermes
