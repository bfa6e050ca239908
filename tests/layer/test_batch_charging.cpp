// Per-sequence batch charging: a neuron that fires for some sequences of a batch has its weights
// read once and its multiply-accumulates charged only for the sequences that fire it, on the
// NDP-DIMMs and on the GPU (device_neuron_counts' firing-count planes -> gemv_work::products).
#include <catch2/catch.hpp>

#include <cstddef>
#include <span>
#include <vector>

#include "hermes/core/ledger.hpp"
#include "hermes/device/device_set.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/ndp_dimm.hpp"
#include "hermes/layer/device_neurons.hpp"
#include "hermes/layer/ffn_shape.hpp"
#include "hermes/map/home_masks.hpp"

using namespace hermes;

TEST_CASE("gemv_work: products default to every chunk with every sequence", "[layer][batch]") {
  gemv_work w;
  w.chunks = 3;
  w.rows_per_chunk = 2;
  w.cols = 10;
  w.batch = 4;
  CHECK(w.chunk_products() == 12);
  CHECK(w.flop_count().value() == 2.0 * 12 * 2 * 10);
  w.products = 5;  // 3 chunks, 5 (chunk, sequence) pairs
  CHECK(w.flop_count().value() == 2.0 * 5 * 2 * 10);
  CHECK(w.weight_bytes().value() == 3 * 2 * 10 * 2.0);  // weights read once whatever the products

  const gpu g(gpu_presets::rtx4090());
  w.products = 2;  // fewer than one per chunk
  CHECK_THROWS_WITH(g.gemv(w), Catch::Contains("gemv_work.products") && Catch::Contains("2"));
  w.products = 13;  // more than chunks x batch
  CHECK_THROWS_WITH(g.gemv(w), Catch::Contains("gemv_work.products"));
  const ndp_dimm dimm(ndp_dimm_presets::hermes_table2());
  CHECK_THROWS_WITH(dimm.gemv(w), Catch::Contains("gemv_work.products"));
  w.products = 12;
  CHECK_NOTHROW(dimm.gemv(w));
}

TEST_CASE("device_neuron_counts: products sum each computed neuron's firing sequences", "[layer][batch]") {
  // 8 neurons: 0-3 homed on device 1, 4-7 on device 2; neuron 5 has a copy on the GPU (device 0).
  layer_placement p(8, 1, 0);
  for (std::size_t i = 4; i < 8; ++i) p.home[i] = 2;
  p.cached.set(5);
  const home_masks homes(p, 3);
  neuron_mask active(8);
  for (std::size_t i : {0u, 1u, 4u, 5u, 6u}) active.set(i);
  // Batch 4: firing counts 0:1, 1:4, 4:2, 5:3, 6:1 (count - 1 = 0, 3, 1, 2, 0).
  neuron_mask plane0(8), plane1(8);
  plane0.set(1);  // 3 = 0b11
  plane1.set(1);
  plane0.set(4);  // 1
  plane1.set(5);  // 2
  const neuron_mask* planes[] = {&plane0, &plane1};
  const device_neuron_counts counts(active, p, homes, planes);
  CHECK(counts.count(0) == 1);
  CHECK(counts.count(1) == 2);
  CHECK(counts.count(2) == 2);
  CHECK(counts.products(0) == 3);      // neuron 5 on the GPU: 3 sequences
  CHECK(counts.products(1) == 1 + 4);  // neurons 0 and 1
  CHECK(counts.products(2) == 2 + 1);  // neurons 4 and 6
  // A computed neuron no sequence fires (a false positive) is multiplied once.
  neuron_mask more = active;
  more.set(7);
  CHECK(device_neuron_counts(more, p, homes, planes).products(2) == 2 + 1 + 1);
  // Without planes: 0, i.e. every neuron with every sequence.
  CHECK(device_neuron_counts(active, p, homes).products(1) == 0);
  const neuron_mask wrong(9);
  const neuron_mask* bad[] = {&wrong};
  CHECK_THROWS_WITH(device_neuron_counts(active, p, homes, bad), Catch::Contains("extra_firings plane 0"));
}

TEST_CASE("batch of 2, a neuron firing for one sequence: weights read once, MACs once", "[layer][batch]") {
  // One GPU (device 0) and one NDP-DIMM (device 1); FFN neuron 0 cold on the DIMM, neuron 1 hot
  // (a GPU copy). Batch 2: each neuron fires for one sequence (plane empty), or for both.
  const ffn_shape shape{ffn_kind::relu_glu, 4096, 64, false};
  layer_placement p(shape.neurons, 1, 0);
  p.cached.set(1);
  const home_masks homes(p, 2);
  neuron_mask active(shape.neurons);
  active.set(0);
  active.set(1);
  const neuron_mask none(shape.neurons);
  neuron_mask both(shape.neurons);
  both.set(0);
  both.set(1);
  const neuron_mask* one_sequence[] = {&none};
  const neuron_mask* two_sequences[] = {&both};

  const auto charge = [&](std::span<const neuron_mask* const> planes) {
    device_set devices{group<gpu>("gpu", 1, gpu_presets::rtx4090()),
                       group<ndp_dimm>("dimm", 1, ndp_dimm_presets::hermes_table2())};
    ledger l;
    devices.attach(l);
    sparse_cost_options opts;
    opts.merge_devices = {1};
    charge_sparse_ffn(shape, 2, device_neuron_counts(active, p, homes, planes), devices, l, seconds{}, opts);
    struct out {
      double gpu_bytes, gpu_flops, dimm_bytes, dimm_flops;
    };
    const auto& g = l.resource(devices.resource(0));
    const auto& d = l.resource(devices.resource(1));
    return out{g.bytes_moved.value(), g.flops_done.value(), d.bytes_moved.value(), d.flops_done.value()};
  };
  const auto once = charge(one_sequence);
  const auto twice = charge(two_sequences);
  const double macs = static_cast<double>(shape.chunk_elements());  // one neuron x one sequence
  // Bytes: the same weights are read whether one or both sequences fire the neuron.
  CHECK(once.gpu_bytes == twice.gpu_bytes);
  CHECK(once.dimm_bytes == twice.dimm_bytes);
  // MACs: one sequence's worth, against two when both fire (the merge adds 1 FLOP per element
  // of the 2 x hidden output on the DIMM in both cases).
  const double merge = 2.0 * 2.0 * static_cast<double>(shape.hidden);
  CHECK(once.gpu_flops == Approx(2.0 * macs));
  CHECK(twice.gpu_flops == Approx(2.0 * 2.0 * macs));
  CHECK(once.dimm_flops - merge == Approx(2.0 * macs));
  CHECK(twice.dimm_flops - merge == Approx(2.0 * 2.0 * macs));
}

TEST_CASE("NDP-DIMM at batch 16: sparse per-sequence firing keeps the GEMV DRAM-bound", "[layer][batch]") {
  // 2000 LLaMA2-70B FFN neurons (3 x 8192 FP16 each), batch 16. Multiplied with all 16 sequences
  // the 128 MAC/cycle GEMV unit is the bottleneck (16 MACs per weight vs 51.2 G weights/s);
  // each neuron fired by 1.5 sequences on average it is DRAM-bound.
  const ndp_dimm dimm(ndp_dimm_presets::hermes_table2());
  gemv_work w;
  w.chunks = 2000;
  w.rows_per_chunk = 3;
  w.cols = 8192;
  w.batch = 16;
  const device_cost all = dimm.gemv(w);
  w.products = 3000;
  const device_cost sparse = dimm.gemv(w);
  CHECK(all.bytes_moved == sparse.bytes_moved);
  CHECK(all.time > 5.0 * sparse.time);
  w.batch = 1;
  w.products = 0;
  const device_cost single = dimm.gemv(w);
  CHECK(sparse.time.value() == Approx(single.time.value()).epsilon(0.05));  // the DRAM sets both
}
