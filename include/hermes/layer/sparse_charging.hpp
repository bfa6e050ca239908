#pragma once
// Charging the work of a sparse layer to the devices of a system.
//
// A sparse layer runs as one GEMV per device over that device's active neurons, all devices
// starting together when the layer's input is ready, followed by a merge that sums the
// per-device partial results (Hermes Sec IV-A.2: "layer time = max(GPU time, slowest DIMM
// time)", then the output is reduced on the NDP-DIMMs). These functions only account: they
// take shapes and neuron groups, never weights, so the timing-only path and the math path
// charge the same work by calling the same code.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/layer/device_neurons.hpp"
#include "hermes/core/placement.hpp"

namespace hermes {

// Ledger stage names under which the layers charge their parts.
namespace stage {
inline constexpr std::string_view qkv = "qkv";                  // sparse QKV generation
inline constexpr std::string_view qkv_merge = "qkv_merge";      // summing the QKV partials
inline constexpr std::string_view attention = "attention";      // RoPE, scores, softmax, sum
inline constexpr std::string_view output_projection = "output_projection";  // dense Wo
inline constexpr std::string_view ffn = "ffn";                  // sparse FFN neurons
inline constexpr std::string_view ffn_merge = "ffn_merge";      // summing the FFN partials
}  // namespace stage

// Moves `size` bytes of intermediate results from device `from` to device `to`, ready at
// `ready`; returns when they arrive. The system supplies it (charging PCIe or DIMM-link); a
// layer used on its own leaves it empty and results move for free.
using transfer_hook = std::function<seconds(device_index from, device_index to, bytes size,
                                            seconds ready)>;

struct sparse_cost_options {
  // Width of one weight in the modelled hardware: FP16 (hermes.md, Sec V-A: all models FP16).
  double weight_bytes_per_element = 2.0;
  // Width of one activation / partial-sum element, FP16 like the weights (Sec V-A).
  double activation_bytes_per_element = 2.0;
  // The devices that sum the per-device partials, each owning an equal contiguous slice of the
  // layer output. Hermes reduces on the NDP-DIMMs (Sec IV-A.2, step 5): the system passes its
  // DIMM indices. Default: device 0, for single-device use.
  std::vector<device_index> merge_devices{0};
  // Byte address of neuron i's chunk in the memory of the device that computes it, for memory
  // models whose timing depends on where rows are (DRAM). Empty: chunks packed from address 0.
  std::span<const std::uint64_t> neuron_addresses{};
  // The device GEMVs gather the active neurons' rows through an index list (gemv_work::
  // gathered): a system whose sparse kernels do (Hermes' GPU and cold devices) sets it.
  bool gathered_rows = false;
  transfer_hook move{};

  void validate(std::size_t devices, std::size_t layer_neurons) const {
    require_positive("sparse_cost_options.weight_bytes_per_element", weight_bytes_per_element);
    require_positive("sparse_cost_options.activation_bytes_per_element",
                     activation_bytes_per_element);
    if (merge_devices.empty())
      throw invalid_parameter("sparse_cost_options.merge_devices", "{}", "at least one device");
    for (const device_index m : merge_devices)
      if (m >= devices)
        throw invalid_parameter("sparse_cost_options.merge_devices", std::to_string(m),
                                "device indices below " + std::to_string(devices));
    if (!neuron_addresses.empty() && neuron_addresses.size() != layer_neurons)
      throw invalid_parameter("sparse_cost_options.neuron_addresses size",
                              std::to_string(neuron_addresses.size()),
                              "empty or one address per neuron (" + std::to_string(layer_neurons) +
                                  ")");
  }
};

// When the parts of a sparse layer end.
struct layer_timing {
  seconds ready{};        // the layer input was ready
  seconds compute_end{};  // the slowest device's GEMV ended
  seconds end{};          // the merged output is ready
  std::vector<seconds> device_end;  // per device: its GEMV end (`ready` when it had no work)
};

// When `size` bytes moved from device `from` to device `to` arrive (now if they need no move).
inline seconds arrive(const transfer_hook& move, device_index from, device_index to, bytes size,
                      seconds ready) {
  if (from == to || !move || size.value() <= 0.0) return ready;
  return move(from, to, size, ready);
}

// When a consumer device has the merged output (or its `fraction` of it): the merged output is
// spread in equal slices over the merge devices, and the consumer fetches its share from each.
inline seconds fetch_merged(const sparse_cost_options& opts, device_index consumer,
                            bytes consumer_bytes, seconds merged_end) {
  seconds t = merged_end;
  const double share = 1.0 / static_cast<double>(opts.merge_devices.size());
  for (const device_index m : opts.merge_devices)
    t = max(t, arrive(opts.move, m, consumer, consumer_bytes * share, merged_end));
  return t;
}

namespace detail {

// One GEMV per device over its active neurons, all ready at `ready`. A neuron's chunk is
// rows_per_chunk rows of `cols` elements. Chunk addresses (opts.neuron_addresses) need to know
// which neurons a device reads, so they need a grouping that lists them (device_neurons).
template <class DeviceSet, neuron_grouping Grouping>
layer_timing charge_device_gemvs(const DeviceSet& devices, ledger& l, seconds ready,
                                 const Grouping& groups, std::size_t rows_per_chunk,
                                 std::size_t cols, std::size_t batch,
                                 const sparse_cost_options& opts, std::string_view stage_name) {
  if (groups.devices() != devices.size())
    throw invalid_parameter("device_neurons device count", std::to_string(groups.devices()),
                            "the device set's " + std::to_string(devices.size()) + " devices");
  opts.validate(devices.size(), groups.layer_neurons());
  layer_timing t;
  t.ready = ready;
  t.compute_end = ready;
  t.device_end.assign(devices.size(), ready);
  if constexpr (!neuron_listing<Grouping>)
    if (!opts.neuron_addresses.empty())
      throw invalid_parameter("sparse_cost_options.neuron_addresses", "given",
                              "empty when charging from per-device counts (chunk addresses need "
                              "the neuron lists of device_neurons)");
  std::vector<std::uint64_t> addresses;
  for (std::size_t d = 0; d < devices.size(); ++d) {
    const auto dev = static_cast<device_index>(d);
    const std::size_t chunks = groups.count(dev);
    if (chunks == 0) continue;  // no active neuron: the device does no work for this layer
    gemv_work w;
    w.chunks = chunks;
    w.rows_per_chunk = rows_per_chunk;
    w.cols = cols;
    w.batch = batch;
    w.bytes_per_element = opts.weight_bytes_per_element;
    w.gathered = opts.gathered_rows;
    // Weights read once; each chunk multiplied with the sequences that fire it, where the
    // grouping knows them (device_neurons.hpp, sequence_weighted_grouping).
    if constexpr (sequence_weighted_grouping<Grouping>) w.products = groups.products(dev);
    if constexpr (neuron_listing<Grouping>) {
      if (!opts.neuron_addresses.empty()) {
        addresses.clear();
        for (const std::uint32_t i : groups.on(dev)) addresses.push_back(opts.neuron_addresses[i]);
        w.chunk_addresses = addresses;
      }
    }
    t.device_end[d] = devices.charge_gemv(l, dev, ready, w, stage_name);
    t.compute_end = max(t.compute_end, t.device_end[d]);
  }
  t.end = t.compute_end;
  return t;
}

// Sums the partials of the devices that produced one (`producer_end[d] ` set for those) into an
// output of batch x out_len elements, split in equal slices over the merge devices. Nothing to
// sum with a single producer: its partial is the output, and `end` is when it is produced.
template <class DeviceSet>
seconds charge_merge(const DeviceSet& devices, ledger& l, const std::vector<seconds>& producer_end,
                     const std::vector<bool>& produced, std::size_t batch, std::size_t out_len,
                     const sparse_cost_options& opts, std::string_view stage_name,
                     seconds ready) {
  std::size_t producers = 0;
  seconds last = ready;
  for (std::size_t d = 0; d < produced.size(); ++d)
    if (produced[d]) {
      ++producers;
      last = max(last, producer_end[d]);
    }
  if (producers <= 1) return last;
  const std::size_t m_count = opts.merge_devices.size();
  seconds end = ready;
  for (std::size_t m = 0; m < m_count; ++m) {
    // Slice m of the output: [m * out_len / M, (m + 1) * out_len / M).
    const std::size_t slice = (m + 1) * out_len / m_count - m * out_len / m_count;
    if (slice == 0) continue;
    const device_index target = opts.merge_devices[m];
    const bytes slice_bytes(static_cast<double>(batch * slice) * opts.activation_bytes_per_element);
    seconds inputs_ready = ready;
    for (std::size_t d = 0; d < produced.size(); ++d)
      if (produced[d])
        inputs_ready = max(inputs_ready, arrive(opts.move, static_cast<device_index>(d), target,
                                                slice_bytes, producer_end[d]));
    vector_work v;
    // Each output element reads one partial element per producer and adds it.
    v.elements = producers * batch * slice;
    v.flops_per_element = 1.0;
    v.bytes_per_element = opts.activation_bytes_per_element;
    end = max(end, devices.charge_vector_op(l, target, inputs_ready, v, stage_name));
  }
  return end;
}


}  // namespace detail

// Charges a sparse layer whose neuron chunks are rows_per_chunk x cols elements and whose
// output has out_len elements per batch row: the per-device GEMVs, then the merge.
template <class DeviceSet, neuron_grouping Grouping>
layer_timing charge_sparse_layer(const DeviceSet& devices, ledger& l, seconds ready,
                                 const Grouping& groups, std::size_t rows_per_chunk,
                                 std::size_t cols, std::size_t batch, std::size_t out_len,
                                 const sparse_cost_options& opts, std::string_view gemv_stage,
                                 std::string_view merge_stage) {
  if (batch == 0) throw invalid_parameter("batch", "0", "at least 1 sequence");
  layer_timing t =
      detail::charge_device_gemvs(devices, l, ready, groups, rows_per_chunk, cols, batch, opts,
                                  gemv_stage);
  std::vector<bool> produced(devices.size());
  for (std::size_t d = 0; d < devices.size(); ++d)
    produced[d] = groups.count(static_cast<device_index>(d)) > 0;
  t.end = detail::charge_merge(devices, l, t.device_end, produced, batch, out_len, opts,
                               merge_stage, ready);
  return t;
}

}  // namespace hermes
