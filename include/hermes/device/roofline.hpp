#pragma once
// What a GEMV moves through a memory, shared by the roofline devices (GPU, host CPU).
//
// A GEMV reads every weight of its chunks once, whatever the batch (the B input vectors reuse
// each weight: that is what makes batching cheaper per token), reads the B input vectors and
// writes one output element per row per input vector. A sparse layer gathers the rows of its
// active neurons through an index list: every gathered row then starts a new run of memory
// transfers (whole DRAM sectors or cache lines), and the index list itself is read.
#include <cmath>
#include <cstddef>
#include <string>

#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

// How the rows of a GEMV sit in memory: one contiguous matrix (a dense layer) or rows gathered
// through an index list (the active neurons of a sparse layer).
enum class row_access { contiguous, gathered };

// gemv_work's own convention: no chunk addresses means the chunks are packed one after another;
// addresses that are not back to back mean the kernel gathers rows.
[[nodiscard]] inline row_access access_of(const gemv_work& work) {
  if (work.gathered) return row_access::gathered;
  const auto& a = work.chunk_addresses;
  const double stride = work.chunk_bytes();
  for (std::size_t i = 1; i < a.size(); ++i)
    if (static_cast<double>(a[i]) != static_cast<double>(a[i - 1]) + stride)
      return row_access::gathered;
  return row_access::contiguous;
}

// Throws invalid_parameter naming the first field of `work` no device can execute.
inline void validate_gemv_work(const gemv_work& work) {
  if (work.batch == 0) throw invalid_parameter("gemv_work.batch", "0", "a batch >= 1");
  if (work.rows_per_chunk == 0)
    throw invalid_parameter("gemv_work.rows_per_chunk", "0", "at least one row per chunk");
  if (work.cols == 0) throw invalid_parameter("gemv_work.cols", "0", "at least one column");
  if (!(work.bytes_per_element > 0.0))
    throw invalid_parameter("gemv_work.bytes_per_element",
                            to_text(work.bytes_per_element), "a width > 0 bytes");
  if (!work.chunk_addresses.empty() && work.chunk_addresses.size() != work.chunks)
    throw invalid_parameter("gemv_work.chunk_addresses",
                            std::to_string(work.chunk_addresses.size()) + " addresses",
                            "none, or one per chunk (" + std::to_string(work.chunks) + ")");
  if (work.products != 0 && (work.products < work.chunks || work.products / work.batch > work.chunks ||
                             (work.products / work.batch == work.chunks && work.products % work.batch != 0)))
    throw invalid_parameter("gemv_work.products", std::to_string(work.products),
                            "0 (every chunk with every sequence) or between chunks (" + std::to_string(work.chunks) +
                                ") and chunks x batch (" + std::to_string(work.chunks) + " x " +
                                std::to_string(work.batch) + ")");
}

// Bytes of weights a GEMV reads. Gathered rows are rounded up to whole `granule`s (the memory's
// access granularity) and each chunk adds one `index_entry` of the active-neuron list.
[[nodiscard]] inline bytes gemv_weight_traffic(const gemv_work& work, row_access access,
                                               bytes granule, bytes index_entry) {
  if (access == row_access::contiguous) return work.weight_bytes();
  const double rows = static_cast<double>(work.chunks * work.rows_per_chunk);
  const double row_bytes = static_cast<double>(work.cols) * work.bytes_per_element;
  const double g = granule.value();
  return bytes(rows * std::ceil(row_bytes / g) * g +
               static_cast<double>(work.chunks) * index_entry.value());
}

// Bytes of activations a GEMV moves: B input vectors read, B x rows outputs written.
[[nodiscard]] inline bytes gemv_activation_traffic(const gemv_work& work) {
  const double rows = static_cast<double>(work.chunks * work.rows_per_chunk);
  return bytes(static_cast<double>(work.batch) * (static_cast<double>(work.cols) + rows) *
               work.bytes_per_element);
}

}  // namespace hermes
