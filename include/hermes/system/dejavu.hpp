#pragma once
// Deja Vu (Liu et al., ICML 2023) adapted to offloading, the sparse baseline of the Hermes
// evaluation (Sec V-A: "Deja Vu (OPT only, adapted to offloading)").
//
// Deja Vu predicts, per layer, which neurons a token needs with a low-rank MLP predictor on the
// GPU (predict/dejavu_predictor.hpp) and computes only those. Adapted to a model larger than the
// GPU, the weights that do not fit stay in pinned host memory and every token the predicted
// neurons of each offloaded layer are gathered and copied over PCIe:
//
//   GPU memory  the predictors of every layer, the KV cache (attention runs on the GPU), the
//               embedding, two staging buffers (one stage computing, the next arriving), then in
//               this order: the dense output projections Wo (needed whole every token, so a byte
//               of Wo on the GPU saves more transfer than a byte of neurons), then the sparse
//               neurons (QKV input channels + FFN neurons) of whole layers from layer 0 on, while
//               they fit. There is no hot/cold notion: the share on the GPU is static.
//   per stage   (QKV+attention+Wo of a layer, or its MLP) with the asynchronous lookahead of
//               Deja Vu (Sec 4.4): the predictor of stage s+1 runs on the GPU from the input of
//               stage s, before stage s computes. For an offloaded stage the predicted indices go
//               to the host (one small PCIe transfer), the host gathers those neurons' rows into a
//               pinned buffer (each row a separate run of cache lines plus an index read: the
//               per-row overhead of scattered rows), one DMA moves the packed rows (and the
//               stage's Wo if that is offloaded too) to the GPU, and the GPU computes over them.
//               So the transfer of stage s+1 overlaps the compute of stage s.
//   batch       the layers compute a neuron when any sequence needs it: the union of the batch's
//               masks (sim/activations.hpp), predicted with the Deja Vu quality model.
//   prefill     dense on the GPU; offloaded weights streamed whole, one stage ahead (the two
//               staging buffers).
//
// Attention sparsity uses the same neuron view as Hermes (QKV input channels after the ReLU the
// evaluation inserts) instead of Deja Vu's head sparsity, so both systems skip the same work and
// differ in where weights live and how they move (docs/systems.md).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/activation/token_masks.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/device_set.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/host_cpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/device/roofline.hpp"
#include "hermes/predict/dejavu_predictor.hpp"
#include "hermes/predict/prediction_metrics.hpp"
#include "hermes/predict/predictor.hpp"
#include "hermes/sim/activations.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/lm_head.hpp"
#include "hermes/sim/memory_plan.hpp"
#include "hermes/sim/result.hpp"
#include "hermes/system/detail/baseline_report.hpp"
#include "hermes/system/decoder_slice.hpp"

namespace hermes {

struct dejavu_options {
  std::string name = "DejaVu";
  // Predictor width: r = 1024 for every model (docs/parameters.md, "Predictor").
  std::size_t predictor_rank = 1024;
  // Recall 0.99: Deja Vu trains each predictor until its validation recall exceeds 0.99
  // (FMInference/DejaVu, sparse_predictor/trainer_mlp.py, the stopping rule `base_acc > 0.99`).
  double recall = 0.99;
  // Precision 1.0: Deja Vu publishes no precision; no false positives is the baseline's best
  // case (fewest neurons moved), so the reported speedup over Deja Vu is a lower bound.
  double precision = 1.0;
  std::uint64_t predictor_seed = 11;
  // The host memory of the offloaded weights and the gather buffer: pinned. Deja Vu's own code
  // keeps every weight on the GPU (no offload); this adaptation gathers the predicted rows into
  // a page-locked staging buffer, which is what one DMA per stage needs (docs/systems.md). The
  // link gives the rate (link_config::pinned_fraction).
  host_memory_kind host_memory = host_memory_kind::pinned;

  void validate() const {
    if (name.empty()) throw invalid_parameter("dejavu_options.name", "\"\"", "a non-empty name");
    require_positive("dejavu_options.predictor_rank", predictor_rank);
    if (!(recall > 0.0 && recall <= 1.0))
      throw invalid_parameter("dejavu_options.recall", to_text(recall), "a value in (0, 1]");
    if (!(precision > 0.0 && precision <= 1.0))
      throw invalid_parameter("dejavu_options.precision", to_text(precision), "a value in (0, 1]");
  }
};

// Where Deja Vu keeps what, and whether it fits.
struct dejavu_plan {
  bool supported = true;
  std::string reason;
  bytes predictors{};                     // all layers' predictors, on the GPU
  bytes kv_cache{};                       // on the GPU
  bytes staging{};                        // two stage buffers at full density, on the GPU
  std::size_t resident_projections = 0;   // layers 0..n-1 keep Wo on the GPU
  std::size_t resident_layers = 0;        // layers 0..n-1 keep their sparse neurons on the GPU
  bytes host_bytes{};                     // offloaded weights, pinned in host memory
};

// Deja Vu's released predictors and sparse kernels are for OPT; the Hermes paper runs it on the
// OPT models only.
[[nodiscard]] inline bool dejavu_supports(const model_shape& m) {
  return m.name.size() >= 3 && equals_ignoring_case(std::string_view(m.name).substr(0, 3), "OPT");
}

[[nodiscard]] inline dejavu_plan plan_dejavu(const workload_config& w, const hardware_config& h,
                                             const dejavu_options& o = {}) {
  const model_shape& m = w.model;
  dejavu_plan p;
  if (!dejavu_supports(m)) {
    p.supported = false;
    p.reason = m.name + " on Deja Vu: its predictors and sparse kernels exist for OPT models only "
                        "(the Hermes evaluation runs Deja Vu on OPT only)";
    return p;
  }
  const decoder_slice s = decoder_slice::whole(m);
  // (hidden + neurons) x rank parameters per predicted layer and kind (dejavu_predictor).
  p.predictors = bytes(static_cast<double>(m.layers * ((2 * m.hidden) + (m.hidden + m.ffn_neurons())) *
                                           o.predictor_rank) * m.bytes_per_param);
  p.kv_cache = detail::full_kv_cache(w);
  p.staging = max(s.attention_bytes(), s.ffn_bytes()) * 2.0;
  const bytes fixed = p.predictors + p.kv_cache + p.staging + detail::embedding_bytes(m);
  const bytes gpu_free = h.gpu.memory_capacity - h.gpu_reserved;
  if (fixed > gpu_free) {
    p.supported = false;
    p.reason = m.name + " on Deja Vu: the predictors (" + gigabytes(p.predictors) + "), the KV cache of batch " +
               std::to_string(w.batch) + " (" + gigabytes(p.kv_cache) + ") and the staging buffers (" +
               gigabytes(p.staging) + ") must be on the GPU, but " + h.gpu.name + " has " + gigabytes(gpu_free) + " free";
    return p;
  }
  double room = (gpu_free - fixed).value();
  p.resident_projections = std::min<std::size_t>(m.layers, static_cast<std::size_t>(room / s.projection_bytes().value()));
  room -= static_cast<double>(p.resident_projections) * s.projection_bytes().value();
  const bytes neurons_per_layer = s.qkv_bytes() + s.ffn_bytes();
  p.resident_layers = std::min<std::size_t>(m.layers, static_cast<std::size_t>(room / neurons_per_layer.value()));
  p.host_bytes = s.projection_bytes() * static_cast<double>(m.layers - p.resident_projections) +
                 neurons_per_layer * static_cast<double>(m.layers - p.resident_layers);
  if (p.host_bytes > h.host.memory_capacity) {
    p.supported = false;
    p.reason = m.name + " on Deja Vu: the offloaded weights need " + gigabytes(p.host_bytes) +
               " of host memory, but " + h.host.name + " has " + gigabytes(h.host.memory_capacity);
  }
  return p;
}

[[nodiscard]] inline sim_result run_dejavu(const workload_config& w, const hardware_config& h,
                                           const dejavu_options& o = {}) {
  w.validate();
  h.validate();
  o.validate();
  sim_result r = detail::baseline_result(w, o.name, h.gpu.name);
  const dejavu_plan plan = plan_dejavu(w, h, o);
  if (!plan.supported) return detail::not_supported(r, plan.reason);

  const model_shape& m = w.model;
  const decoder_slice s = decoder_slice::whole(m);
  const gpu g(h.gpu);
  const host_cpu cpu(h.host);
  const link pcie(h.pcie);
  const double bpe = s.bytes_per_element;
  const device_cost lm_head = lm_head_cost(g, m, w.batch, bpe);

  ledger L;
  device_set devices(group<gpu>("gpu", 1, g), group<host_cpu>("host", 1, cpu));
  devices.attach(L);
  const auto gpu_id = devices.resource(0);
  const auto host_id = devices.resource(1);  // the second group: the host
  const link_resources pcie_ids = add_link_resources(L, "pcie", h.pcie);  // full duplex: one per direction
  const auto weights_id = pcie_ids.to_gpu;  // host -> GPU copies
  const auto pcie_id = pcie_ids.from_gpu;   // indices GPU -> host
  const host_memory_kind mem = o.host_memory;

  const std::size_t stages = 2 * m.layers;
  auto layer_of = [](std::size_t stage) { return stage / 2; };
  auto kind_of = [](std::size_t stage) { return stage % 2 == 0 ? layer_kind::attention : layer_kind::ffn; };
  auto neurons_offloaded = [&](std::size_t stage) { return layer_of(stage) >= plan.resident_layers; };
  auto projection_offloaded = [&](std::size_t stage) {
    return kind_of(stage) == layer_kind::attention && layer_of(stage) >= plan.resident_projections;
  };
  auto chunk_elements = [&](layer_kind k) { return k == layer_kind::attention ? s.qkv_chunk_elements() : s.ffn_rows * s.hidden; };

  // ---- prefill: dense, offloaded weights streamed whole one stage ahead ----
  auto stage_weights = [&](std::size_t stage) {
    bytes b{};
    if (neurons_offloaded(stage)) b += kind_of(stage) == layer_kind::attention ? s.qkv_bytes() : s.ffn_bytes();
    if (projection_offloaded(stage)) b += s.projection_bytes();
    return b;
  };
  seconds t{};
  {
    std::vector<seconds> arrived(stages);
    auto load = [&](std::size_t stage, seconds ready) {
      const bytes b = stage_weights(stage);
      arrived[stage] = b > bytes{} ? L.charge(weights_id, ready, pcie.transfer(b, mem), "pcie_weights") : ready;
    };
    load(0, seconds{});
    for (std::size_t st = 0; st < stages; ++st) {
      // Stage st+1 goes into the buffer of stage st-1, free once that stage has computed (now).
      if (st + 1 < stages) load(st + 1, t);
      const device_cost c = kind_of(st) == layer_kind::attention ? prefill_attention_cost(g, s, w.batch, w.input_len)
                                                                : prefill_mlp_cost(g, s, w.batch, w.input_len);
      t = L.charge(gpu_id, max(t, arrived[st]), c, "prefill_compute");
    }
    t = L.charge(gpu_id, t, lm_head, "lm_head");
  }
  const seconds prefill = t;

  // ---- decode ----
  batch_activations acts(w);
  const trace_layout layout = acts.layout();
  dejavu_predictor_params params;
  params.hidden = m.hidden;
  params.rank = o.predictor_rank;
  params.recall = o.recall;
  params.precision = o.precision;
  params.batch = w.batch;
  params.bytes_per_param = bpe;
  params.seed = o.predictor_seed;
  dejavu_predictor<gpu> predictor(layout, params, g, L, gpu_id);
  prediction_metrics metrics;
  token_masks truth(layout);
  std::vector<prediction> predicted(stages);
  std::vector<seconds> weights_at(stages);
  seconds attention_time{}, mlp_time{};

  // Predicts stage `st` from an input ready at `ready`, then (offloaded) moves its neurons.
  auto prepare = [&](std::size_t token, std::size_t st, seconds ready) {
    prediction_request req;
    req.token = token;
    req.layer = layer_of(st);
    req.kind = kind_of(st);
    req.truth = &truth.mask(req.layer, req.kind);
    req.ready = ready;
    prediction& out = predicted[st];
    predictor.predict(req, out);
    metrics.add(req.kind, out.active, *req.truth);
    seconds at = out.available;
    const std::size_t active = out.active.count();
    bytes moved{};
    if (neurons_offloaded(st) && active > 0) {
      // The indices to the host, the host gathers the rows into the pinned buffer.
      at = L.charge(pcie_id, at, pcie.transfer(bytes(static_cast<double>(active) * cpu.config().index_entry.value()), mem), "pcie");
      gemv_work rows;
      rows.chunks = active;
      rows.rows_per_chunk = 1;
      rows.cols = chunk_elements(req.kind);
      rows.bytes_per_element = bpe;
      device_cost gather;
      gather.bytes_moved = gemv_weight_traffic(rows, row_access::gathered, cpu.config().cache_line,
                                               cpu.config().index_entry) + rows.weight_bytes();
      gather.time = gather.bytes_moved / cpu.effective_bandwidth();
      at = L.charge(host_id, at, gather, "host_gather");
      moved += rows.weight_bytes();
    }
    if (projection_offloaded(st)) moved += s.projection_bytes();
    weights_at[st] = moved > bytes{} ? L.charge(weights_id, at, pcie.transfer(moved, mem), "pcie_weights") : at;
  };

  for (std::size_t tok = 0; tok < w.output_len; ++tok) {
    acts.next_union(truth);
    const std::size_t context = w.input_len + tok + 1;
    const seconds token_start = t;
    prepare(tok, 0, token_start);
    seconds stage_input = token_start;  // when the current stage's input is ready
    for (std::size_t st = 0; st < stages; ++st) {
      // Lookahead: stage st+1 is predicted from stage st's input, before stage st computes.
      if (st + 1 < stages) prepare(tok, st + 1, stage_input);
      const neuron_mask& active = predicted[st].active;
      // Resident neurons are gathered from the full matrix; moved ones arrive packed.
      const row_access access = neurons_offloaded(st) ? row_access::contiguous : row_access::gathered;
      device_cost c;
      if (kind_of(st) == layer_kind::attention) {
        c = g.gemv(qkv_work(s, w.batch, active.count()), access);
        c += attention_core_cost(g, s, w.batch, context);
        c += g.gemv(projection_work(s, w.batch), row_access::contiguous);
      } else {
        c = g.gemv(ffn_work(s, w.batch, active.count()), access);
      }
      const seconds begin = t;
      t = L.charge(gpu_id, max(t, max(predicted[st].available, weights_at[st])), c,
                   kind_of(st) == layer_kind::attention ? "attention" : "mlp");
      (kind_of(st) == layer_kind::attention ? attention_time : mlp_time) += t - begin;
      stage_input = t;
    }
    t = L.charge(gpu_id, t, lm_head, "lm_head");  // final norm and LM head, resident on the GPU
  }
  detail::report_throughput(r, w, prefill, t - prefill, attention_time, mlp_time);
  read_breakdown(L, r.breakdown);  // the predictors run on the GPU; the host's gathers are host compute
  record_energy(r, L);
  record_prediction(r, metrics, predictor.table_bytes());
  return r;
}

}  // namespace hermes
