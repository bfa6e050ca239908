#pragma once
// A llama2.c checkpoint run on a modelled system: the math with Kokkos, the time in a ledger.
//
// The system is one GPU (device 0) and D NDP-DIMMs (devices 1..D), with PCIe between the GPU and
// the DIMMs and a DIMM-link out of every DIMM. Two placements:
//   dense:  every weight and every piece of work on the GPU (the DIMMs stay idle);
//   hetero: the FFN neurons split as Hermes splits them (Sec IV-A/B): the most active
//           `gpu_neuron_fraction` of each layer's neurons have a copy on the GPU, every other
//           neuron computes on its home DIMM, homes spread by activity (spread_over_dimms), and
//           the partial results merge on the DIMMs.
// "Most active" comes from a short profiling run of the dense model (what Hermes does during
// prefill, Sec IV-A.2). stories260K is a SwiGLU model: silu never outputs an exact zero, so a
// neuron "fires" for a token when |h_i| = |silu(w1 x)_i * (w3 x)_i|, the value that scales its
// w2 column, exceeds the layer's threshold; the threshold is the `firing_quantile` quantile of
// all |h| of the layer over the profiling run (CATS, Lee et al. 2024, arXiv 2404.08763, calibrate
// a magnitude threshold per layer to a target sparsity; we use their 50% setting). Frequency f_i
// is the fraction of profiled tokens in which neuron i fired (docs/parameters.md, "model").
// An attention neuron is QKV input channel i; it fires when |x_i| of the normalised layer input
// exceeds that layer's quantile threshold in the same way (TEAL, Liu et al. 2024, arXiv
// 2408.14690, thresholds the inputs of each projection by magnitude).
//
// Every neuron is computed in both placements (no predictor skips any), so both produce the
// dense model's text; the placements differ in where the work runs and therefore in time.
//
// Two additive options make the model itself sparse (runtime/real_model_source.hpp uses
// them to record real activation traces):
//   ffn_activation = relu_glu  swaps silu for relu on the same weights (the untrained form of a
//                              ReLU-fied LLaMA, Mirzadeh et al. 2023 "ReLU Strikes Back"), so h
//                              has exact zeros;
//   set_sparsity(thresholds)   skips, per layer, the FFN neurons with |h_i| <= threshold (CATS)
//                              and the QKV input channels with |x_i| <= threshold (TEAL).
// Skipping works like a perfect magnitude predictor: every h_i is first evaluated (math only,
// not charged), then the layer runs, and is charged, over the neurons above the threshold
// only; their h_i are the dense values, the skipped ones contribute nothing.
// step_masks() reports, after every step, which neurons each layer computed and found firing.
//
// The layers are the library's: attention (QKV split like the FFN, RoPE, grouped-query attention
// over its KV cache, dense Wo) and sparse_ffn, each doing its math and charging its time. Dense:
// everything on the GPU. Hetero: the attention neurons (QKV input channels) split by the same
// rule as the FFN's, the KV heads homed on the DIMMs (Hermes Sec IV-A.2 step 2; head g on DIMM
// g mod D), the output projection on the GPU (step 3), merges on the DIMMs (step 5).
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "hermes/activation/token_masks.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/device/device_set.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/device/ndp_dimm.hpp"
#include "hermes/layer/attention.hpp"
#include "hermes/layer/device_neurons.hpp"
#include "hermes/layer/ffn_shape.hpp"
#include "hermes/layer/sparse_charging.hpp"
#include "hermes/layer/sparse_ffn.hpp"
#include "hermes/map/dimm_spread.hpp"
#include "hermes/map/placement_problem.hpp"
#include "hermes/model/generate.hpp"
#include "hermes/model/llama2c.hpp"
#include "hermes/model/sampler.hpp"
#include "hermes/model/tokenizer.hpp"

namespace hermes {

enum class llama2c_placement { dense, hetero };

struct llama2c_system_options {
  llama2c_placement placement = llama2c_placement::dense;
  gpu_config gpu = gpu_presets::rtx4090();                      // hermes.md: RTX 4090
  ndp_dimm_config dimm = ndp_dimm_presets::hermes_table2();      // Table II
  std::size_t dimms = 8;                                        // Table II: 8 NDP-DIMMs
  link_config pcie = link_presets::pcie4_x16();                 // Sec V-A: PCIe 4.0
  link_config dimm_link = link_presets::dimm_link();            // Sec IV-A: 25 GB/s DIMM-link
  // "About 20% of neurons (hot) carry about 80% of the activations" (Sec III, hermes.md).
  double gpu_neuron_fraction = 0.2;
  std::size_t profile_steps = 32;     // greedy tokens of the profiling run
  std::string profile_prompt;         // the profiling run continues this prompt
  double firing_quantile = 0.5;       // CATS 50% target sparsity (see the header comment)
  // swiglu: the checkpoint's own FFN; relu_glu: relu in place of silu (see the header comment).
  ffn_kind ffn_activation = ffn_kind::swiglu;
};

// Per-layer magnitude thresholds applied during decoding (see the header comment). An empty
// vector leaves that layer kind dense. skip = false keeps the math dense: the thresholds then
// only decide step_masks(), which observes what a magnitude rule would skip on the dense model.
struct llama2c_sparsity {
  std::vector<float> ffn_threshold;        // [layer]: |h_i| must exceed it
  std::vector<float> attention_threshold;  // [layer]: |x_i| of the normalised input must exceed it
  bool skip = true;
};

// The per-layer FFN activity of a profiling run: |h| of every neuron for every token.
struct ffn_activity {
  std::size_t layers = 0;
  std::size_t neurons = 0;
  std::vector<std::vector<float>> magnitude;  // [layer][token * neurons + i]
  std::size_t attention_neurons = 0;
  std::vector<std::vector<float>> attention_magnitude;  // |QKV input channel|, same layout

  [[nodiscard]] std::size_t tokens() const {
    return layers == 0 || neurons == 0 ? 0 : magnitude[0].size() / neurons;
  }
  // The firing masks under a per-layer magnitude threshold at `quantile` (see the header).
  [[nodiscard]] activation_trace firing_trace(double quantile) const {
    if (!(quantile >= 0.0 && quantile < 1.0))
      throw invalid_parameter("firing_quantile", std::to_string(quantile), "a value in [0, 1)");
    activation_trace t(trace_layout{layers, attention_neurons, neurons});
    for (std::size_t k = 0; k < tokens(); ++k) t.append_token();
    for (std::size_t l = 0; l < layers; ++l) {
      std::vector<float> sorted = magnitude[l];
      if (sorted.empty()) continue;
      const auto at = static_cast<std::size_t>(quantile * static_cast<double>(sorted.size() - 1));
      std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(at), sorted.end());
      const float threshold = sorted[at];
      for (std::size_t k = 0; k < tokens(); ++k)
        for (std::size_t i = 0; i < neurons; ++i)
          if (magnitude[l][k * neurons + i] > threshold) t.mask(k, l, layer_kind::ffn).set(i);
      std::vector<float> a = attention_magnitude[l];
      if (a.empty()) continue;
      const auto at_a = static_cast<std::size_t>(quantile * static_cast<double>(a.size() - 1));
      std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(at_a), a.end());
      for (std::size_t k = 0; k < tokens(); ++k)
        for (std::size_t i = 0; i < attention_neurons; ++i)
          if (attention_magnitude[l][k * attention_neurons + i] > a[at_a])
            t.mask(k, l, layer_kind::attention).set(i);
    }
    return t;
  }
};

template <class ExecSpace = Kokkos::DefaultExecutionSpace>
class llama2c_transformer {
 public:
  using execution_space = ExecSpace;
  using memory_space = typename ExecSpace::memory_space;
  using vec = Kokkos::View<float*, memory_space>;
  using mat = Kokkos::View<float**, Kokkos::LayoutRight, memory_space>;
  using cube = Kokkos::View<float***, Kokkos::LayoutRight, memory_space>;
  using devices_type = device_set<gpu, ndp_dimm>;

  llama2c_transformer(const llama2c_checkpoint& ck, const tokenizer& tok,
                      const llama2c_system_options& opts)
      : c_(ck.config), opts_(checked(opts)),
        devices_(group<gpu>("gpu", 1, opts_.gpu), group<ndp_dimm>("dimm", opts_.dimms, opts_.dimm)),
        pcie_(opts_.pcie), dimm_link_(opts_.dimm_link) {
    upload_weights(ck);
    setup_ledger();
    const std::size_t neurons = c_.hidden_dim;
    if (opts_.placement == llama2c_placement::dense) {
      ffn_placement_.assign(c_.n_layers, layer_placement(neurons, hot_device, hot_device));
      attention_placement_.assign(c_.n_layers, layer_placement(c_.dim, hot_device, hot_device));
      ffn_opts_.merge_devices = {hot_device};
    } else {
      const auto activity = profile(ck, tok, opts_);
      ffn_placement_ = hetero_placement(activity, layer_kind::ffn);
      attention_placement_ = hetero_placement(activity, layer_kind::attention);
      ffn_opts_.merge_devices.clear();
      for (std::size_t j = 0; j < opts_.dimms; ++j) ffn_opts_.merge_devices.push_back(cold_device(j));
      for (std::size_t g = 0; g < c_.n_kv_heads; ++g)
        attention_opts_.kv_head_home.push_back(cold_device(g % opts_.dimms));
    }
    ffn_mask_ = neuron_mask(neurons);
    channel_mask_ = neuron_mask(c_.dim);
    // The checkpoint's weights are FP32 and so is the modelled traffic (model_shape of llama2c).
    ffn_opts_.weight_bytes_per_element = 4.0;
    ffn_opts_.activation_bytes_per_element = 4.0;
    ffn_opts_.move = [this](device_index from, device_index to, bytes size, seconds ready) {
      return move(from, to, size, ready);
    };
    static_cast<sparse_cost_options&>(attention_opts_) = ffn_opts_;
    attention_opts_.projection_device = hot_device;
    attention_opts_.kv_bytes_per_element = 4.0;
    all_neurons_ = neuron_mask(neurons);
    all_neurons_.fill();
    all_channels_ = neuron_mask(c_.dim);
    all_channels_.fill();
  }

  // One decoding step: the logits of the token after `token` at position `pos`.
  std::span<float> operator()(int token, std::size_t pos) {
    if (token < 0 || static_cast<std::size_t>(token) >= c_.vocab_size)
      throw invalid_parameter("token", std::to_string(token),
                              "an id below vocab_size = " + std::to_string(c_.vocab_size));
    if (pos >= c_.seq_len)
      throw invalid_parameter("pos", std::to_string(pos),
                              "a position below seq_len = " + std::to_string(c_.seq_len));
    const std::size_t dim = c_.dim;
    Kokkos::deep_copy(Kokkos::subview(x_, 0, Kokkos::ALL),
                      Kokkos::subview(embedding_, static_cast<std::size_t>(token), Kokkos::ALL));
    seconds t = timing_.free_at(gpu_id());
    for (std::size_t l = 0; l < c_.n_layers; ++l) {
      rmsnorm(xb_, x_, Kokkos::subview(rms_att_, l, Kokkos::ALL));
      t = charge_gpu_vector(t, dim, "rmsnorm");
      if (recording_) record_attention_input(l);
      if (tracking_masks_) select_channels(l);
      t = attention_block(l, pos, t);
      add_into(x_, xb2_);
      rmsnorm(xb_, x_, Kokkos::subview(rms_ffn_, l, Kokkos::ALL));
      t = charge_gpu_vector(t, dim, "rmsnorm");
      t = ffn(l, t);
      add_into(x_, ffn_out_);
      if (recording_) record(l);
    }
    rmsnorm(x_, x_, rms_final_);
    t = charge_gpu_vector(t, dim, "rmsnorm");
    gemv(logits_, classifier_, x_);
    gemv_work w;
    w.chunks = c_.vocab_size;
    w.cols = dim;
    w.bytes_per_element = 4.0;
    devices_.charge_gemv(timing_, hot_device, t, w, "classifier");
    Kokkos::deep_copy(logits_host_, Kokkos::subview(logits_, 0, Kokkos::ALL));
    return std::span<float>(logits_host_.data(), logits_host_.extent(0));
  }

  [[nodiscard]] const ledger& timing() const { return timing_; }
  [[nodiscard]] const llama2c_config& config() const { return c_; }
  [[nodiscard]] const std::vector<layer_placement>& ffn_placement() const { return ffn_placement_; }
  [[nodiscard]] const std::vector<layer_placement>& attention_placement() const {
    return attention_placement_;
  }
  llama2c_transformer(const llama2c_transformer&) = delete;  // the transfer hook holds `this`
  llama2c_transformer& operator=(const llama2c_transformer&) = delete;
  [[nodiscard]] std::string device_summary() const {
    return opts_.placement == llama2c_placement::dense
               ? "1 x " + opts_.gpu.name + " (dense)"
               : "1 x " + opts_.gpu.name + " + " + std::to_string(opts_.dimms) + " x " +
                     opts_.dimm.name + " (hetero)";
  }

  // Records |h| of every FFN neuron per step from now on (the profiling run).
  void record_activity(bool on) {
    recording_ = on;
    activity_ = ffn_activity{c_.n_layers, c_.hidden_dim,
                             std::vector<std::vector<float>>(c_.n_layers), c_.dim,
                             std::vector<std::vector<float>>(c_.n_layers)};
  }
  [[nodiscard]] const ffn_activity& activity() const { return activity_; }

  // Applies per-layer magnitude thresholds from the next step on (see llama2c_sparsity) and
  // starts reporting step_masks().
  void set_sparsity(llama2c_sparsity s) {
    const auto check = [&](const std::vector<float>& t, const char* field) {
      if (!t.empty() && t.size() != c_.n_layers)
        throw invalid_parameter(field, std::to_string(t.size()) + " thresholds",
                                "none (dense) or one per layer (" + std::to_string(c_.n_layers) + ")");
      for (float v : t)
        if (!(v >= 0.0f && std::isfinite(v)))
          throw invalid_parameter(field, std::to_string(v), "finite thresholds >= 0");
    };
    check(s.ffn_threshold, "llama2c_sparsity.ffn_threshold");
    check(s.attention_threshold, "llama2c_sparsity.attention_threshold");
    sparsity_ = std::move(s);
    tracking_masks_ = true;
    step_masks_ = token_masks(trace_layout{c_.n_layers, c_.dim, c_.hidden_dim});
  }
  [[nodiscard]] const llama2c_sparsity& sparsity() const { return sparsity_; }
  // The masks of the last step, once set_sparsity was called: per layer, the QKV input channels
  // above the threshold (without one: the non-zero channels) and the FFN neurons above the
  // threshold (without one: those with h_i != 0, e.g. relu_glu's natural non-zeros). With
  // skip, exactly these neurons were computed.
  [[nodiscard]] const token_masks& step_masks() const {
    if (!tracking_masks_) throw error("llama2c_transformer::step_masks: call set_sparsity first");
    return step_masks_;
  }

 private:
  static const llama2c_system_options& checked(const llama2c_system_options& o) {
    if (!(o.gpu_neuron_fraction >= 0.0 && o.gpu_neuron_fraction <= 1.0))
      throw invalid_parameter("gpu_neuron_fraction", std::to_string(o.gpu_neuron_fraction),
                              "a fraction in [0, 1]");
    if (o.dimms == 0) throw invalid_parameter("dimms", "0", "at least 1 NDP-DIMM");
    if (o.profile_steps == 0) throw invalid_parameter("profile_steps", "0", "at least 1 token");
    if (o.ffn_activation != ffn_kind::swiglu && o.ffn_activation != ffn_kind::relu_glu)
      throw invalid_parameter("ffn_activation", std::to_string(static_cast<int>(o.ffn_activation)),
                              "swiglu or relu_glu (a llama2.c checkpoint has a gated FFN)");
    return o;
  }

  // The profiling run: the dense model, greedy, on the profiling prompt.
  static ffn_activity profile(const llama2c_checkpoint& ck, const tokenizer& tok,
                              const llama2c_system_options& opts) {
    llama2c_system_options dense = opts;
    dense.placement = llama2c_placement::dense;
    llama2c_transformer model(ck, tok, dense);
    model.record_activity(true);
    sampler greedy(0.0f, 0.0f, 1);
    const std::size_t steps = std::min(opts.profile_steps, ck.config.seq_len);
    generate(tok, model, opts.profile_prompt, steps, ck.config.seq_len, greedy);
    return model.activity();
  }

  std::vector<layer_placement> hetero_placement(const ffn_activity& a, layer_kind kind) const {
    const bool is_ffn = kind == layer_kind::ffn;
    const std::size_t n = is_ffn ? c_.hidden_dim : c_.dim;
    const auto& magnitude = is_ffn ? a.magnitude : a.attention_magnitude;
    const activation_trace trace = a.firing_trace(opts_.firing_quantile);
    placement_problem p;
    p.dimms = opts_.dimms;
    p.dimm_capacity = opts_.dimm.capacity;
    p.gpu_capacity = opts_.gpu.memory_capacity;
    const ffn_shape shape{opts_.ffn_activation, c_.dim, c_.hidden_dim, false};
    std::vector<neuron_mask> on_gpu;
    std::vector<std::vector<std::uint32_t>> order;
    for (std::size_t l = 0; l < c_.n_layers; ++l) {
      placement_layer L;
      L.name = "layer " + std::to_string(l) + (is_ffn ? " ffn" : " attention");
      L.frequency = trace.frequency(l, kind, 0, trace.tokens());
      L.neuron_bytes = bytes(static_cast<double>(is_ffn ? shape.chunk_elements()
                                                        : c_.dim + 2 * c_.kv_dim()) * 4.0);
      // Ties in frequency go to the neuron with the larger mean |h| ("strongly activated").
      std::vector<double> strength(n, 0.0);
      for (std::size_t k = 0; k < a.tokens(); ++k)
        for (std::size_t i = 0; i < n; ++i) strength[i] += magnitude[l][k * n + i];
      std::vector<std::uint32_t> rank(n);
      std::iota(rank.begin(), rank.end(), 0u);
      std::stable_sort(rank.begin(), rank.end(), [&](std::uint32_t x, std::uint32_t y) {
        if (L.frequency[x] != L.frequency[y]) return L.frequency[x] > L.frequency[y];
        return strength[x] > strength[y];
      });
      const auto hot = static_cast<std::size_t>(
          std::llround(opts_.gpu_neuron_fraction * static_cast<double>(n)));
      neuron_mask g(n);
      for (std::size_t r = 0; r < hot; ++r) g.set(rank[r]);
      on_gpu.push_back(g);
      order.push_back(rank);
      p.layers.push_back(std::move(L));
    }
    return spread_over_dimms(p, on_gpu, order);
  }

  void upload_weights(const llama2c_checkpoint& ck) {
    const auto& w = ck.weights;
    auto to_device = [](const auto& host) {
      return Kokkos::create_mirror_view_and_copy(memory_space(), host);
    };
    embedding_ = to_device(w.token_embedding);
    classifier_ = c_.shared_classifier ? embedding_ : mat(to_device(w.classifier));
    rms_att_ = to_device(w.rms_att);
    rms_ffn_ = to_device(w.rms_ffn);
    rms_final_ = to_device(w.rms_final);
    const std::size_t n = c_.hidden_dim, h = c_.dim, per_layer = n * h, kv = c_.kv_dim();
    const attention_shape ashape{h, c_.n_heads, c_.n_kv_heads, c_.head_size(), c_.seq_len,
                                 /*relu_before_qkv=*/false, /*bias=*/false};
    for (std::size_t l = 0; l < c_.n_layers; ++l) {
      attention<ExecSpace> layer(ashape, 1);
      dense_attention_weights dw;
      dw.wq = std::span<const float>(w.wq.data() + l * h * h, h * h);
      dw.wk = std::span<const float>(w.wk.data() + l * kv * h, kv * h);
      dw.wv = std::span<const float>(w.wv.data() + l * kv * h, kv * h);
      dw.wo = std::span<const float>(w.wo.data() + l * h * h, h * h);
      layer.load_dense(dw);
      attention_.push_back(std::move(layer));
    }
    for (std::size_t l = 0; l < c_.n_layers; ++l) {
      sparse_ffn<ExecSpace> layer(ffn_shape{opts_.ffn_activation, h, n, false});
      dense_ffn_weights dw;
      dw.fc1 = std::span<const float>(w.w1.data() + l * per_layer, per_layer);
      dw.gate = std::span<const float>(w.w3.data() + l * per_layer, per_layer);
      dw.fc2 = std::span<const float>(w.w2.data() + l * per_layer, per_layer);
      layer.load_dense(dw);
      ffn_.push_back(std::move(layer));
    }
    x_ = mat("hermes::llama2c::x", 1, h);
    xb_ = mat("hermes::llama2c::xb", 1, h);
    xb2_ = mat("hermes::llama2c::xb2", 1, h);
    ffn_out_ = mat("hermes::llama2c::ffn_out", 1, h);
    logits_ = mat("hermes::llama2c::logits", 1, c_.vocab_size);
    logits_host_ = Kokkos::View<float*, Kokkos::HostSpace>("hermes::llama2c::logits_host",
                                                           c_.vocab_size);
  }

  void setup_ledger() {
    devices_.attach(timing_);
    pcie_id_ = timing_.add_resource("pcie", resource_kind::link);
    for (std::size_t j = 0; j < opts_.dimms; ++j)
      dimm_link_ids_.push_back(
          timing_.add_resource("dimm_link" + std::to_string(j), resource_kind::link));
  }
  [[nodiscard]] ledger::resource_id gpu_id() const { return devices_.resource(hot_device); }

  // Intermediate results between devices: GPU <-> DIMM over PCIe, DIMM -> DIMM over the
  // sending DIMM's DIMM-link.
  seconds move(device_index from, device_index to, bytes size, seconds ready) {
    if (from == to) return ready;
    if (from != hot_device && to != hot_device)
      return timing_.charge(dimm_link_ids_[from - 1], ready, dimm_link_.transfer(size), "dimm_link");
    return timing_.charge(pcie_id_, ready, pcie_.transfer(size), "pcie");
  }

  seconds charge_gpu_vector(seconds ready, std::size_t elements, std::string_view stage) {
    vector_work v;
    v.elements = elements;
    v.flops_per_element = 3.0;  // square, accumulate, scale
    v.bytes_per_element = 4.0;
    return devices_.charge_vector_op(timing_, hot_device, ready, v, stage);
  }

  // The FFN of layer l on xb_ into ffn_out_, through the library layer; returns when its
  // output is back on the GPU.
  seconds ffn(std::size_t l, seconds ready) {
    const bytes activation(static_cast<double>(c_.dim) * 4.0);
    seconds start = ready;
    // The DIMMs compute with the normalised input too: it crosses PCIe once (broadcast).
    if (opts_.placement == llama2c_placement::hetero) start = move(hot_device, cold_device(0), activation, ready);
    const typename sparse_ffn<ExecSpace>::const_matrix x(xb_);
    const bool thresholded = tracking_masks_ && !sparsity_.ffn_threshold.empty();
    const neuron_mask* active = &all_neurons_;
    if (thresholded && sparsity_.skip) {
      // Evaluate every h_i (math only: a predictor stands in for this in a real system), then
      // run and charge the layer over the neurons above the threshold.
      ffn_[l].forward(x, ffn_out_, all_neurons_, ffn_placement_[l]);
      threshold_mask(ffn_[l].activations(), sparsity_.ffn_threshold[l], ffn_mask_);
      active = &ffn_mask_;
    }
    const auto timing = ffn_[l].forward(x, ffn_out_, *active, ffn_placement_[l], devices_, timing_,
                                        start, ffn_opts_);
    if (tracking_masks_) {
      if (!thresholded) step_masks_.mask(l, layer_kind::ffn) = ffn_[l].fired(0);
      else if (!sparsity_.skip) threshold_mask(ffn_[l].activations(), sparsity_.ffn_threshold[l], ffn_mask_);
      if (thresholded) step_masks_.mask(l, layer_kind::ffn) = ffn_mask_;
    }
    return fetch_merged(ffn_opts_, hot_device, activation, timing.end);
  }

  // The attention block of layer l on xb_ into xb2_, through the library layer; returns when
  // its output is on the GPU (the output projection runs there).
  seconds attention_block(std::size_t l, std::size_t pos, seconds ready) {
    const bytes activation(static_cast<double>(c_.dim) * 4.0);
    seconds start = ready;
    if (opts_.placement == llama2c_placement::hetero)
      start = move(hot_device, cold_device(0), activation, ready);
    const bool skip = tracking_masks_ && sparsity_.skip && !sparsity_.attention_threshold.empty();
    const auto timing = attention_[l].forward(
        typename attention<ExecSpace>::const_matrix(xb_), xb2_, pos, skip ? channel_mask_ : all_channels_,
        attention_placement_[l], devices_, timing_, start, attention_opts_);
    return timing.end;
  }

  // out(0, r) = sum_c w(r, c) x(0, c), a row per work item, summed in column order.
  template <class Out, class W>
  static void gemv_into(const Out& out, const W& w, const mat& x) {
    const std::size_t cols = w.extent(1);
    Kokkos::parallel_for(
        "hermes::llama2c::gemv", Kokkos::RangePolicy<ExecSpace>(0, w.extent(0)),
        KOKKOS_LAMBDA(const std::size_t r) {
          float s = 0.0f;
          for (std::size_t c = 0; c < cols; ++c) s += w(r, c) * x(0, c);
          out(r) = s;
        });
  }
  template <class W>
  static void gemv(const mat& out, const W& w, const mat& x) {
    gemv_into(Kokkos::subview(out, 0, Kokkos::ALL), w, x);
  }

  // o = weight * x / sqrt(mean(x^2) + 1e-5) (RMSNorm, eps from llama2.c).
  template <class Weight>
  static void rmsnorm(const mat& o, const mat& x, const Weight& weight) {
    const std::size_t n = x.extent(1);
    float ss = 0.0f;
    Kokkos::parallel_reduce(
        "hermes::llama2c::rmsnorm_sum", Kokkos::RangePolicy<ExecSpace>(0, n),
        KOKKOS_LAMBDA(const std::size_t j, float& acc) { acc += x(0, j) * x(0, j); }, ss);
    const float scale = 1.0f / std::sqrt(ss / static_cast<float>(n) + 1e-5f);
    Kokkos::parallel_for(
        "hermes::llama2c::rmsnorm", Kokkos::RangePolicy<ExecSpace>(0, n),
        KOKKOS_LAMBDA(const std::size_t j) { o(0, j) = weight(j) * (scale * x(0, j)); });
  }

  static void add_into(const mat& x, const mat& y) {
    Kokkos::parallel_for(
        "hermes::llama2c::residual", Kokkos::RangePolicy<ExecSpace>(0, x.extent(1)),
        KOKKOS_LAMBDA(const std::size_t j) { x(0, j) += y(0, j); });
  }

  // {i : |v(0, i)| > threshold} into `out`.
  template <class Values>
  static void threshold_mask(const Values& v, float threshold, neuron_mask& out) {
    const auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
    out.clear();
    for (std::size_t i = 0; i < host.extent(1); ++i)
      if (std::fabs(host(0, i)) > threshold) out.set(i);
  }
  // The QKV input channels of layer l that run (and are reported) this step.
  void select_channels(std::size_t l) {
    if (sparsity_.attention_threshold.empty()) {
      const auto x = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), xb_);
      channel_mask_.clear();
      for (std::size_t i = 0; i < c_.dim; ++i)
        if (x(0, i) != 0.0f) channel_mask_.set(i);
    } else {
      threshold_mask(xb_, sparsity_.attention_threshold[l], channel_mask_);
    }
    step_masks_.mask(l, layer_kind::attention) = channel_mask_;
  }

  void record_attention_input(std::size_t l) {
    const auto x = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), xb_);
    for (std::size_t i = 0; i < c_.dim; ++i)
      activity_.attention_magnitude[l].push_back(std::fabs(x(0, i)));
  }
  void record(std::size_t l) {
    const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ffn_[l].activations());
    for (std::size_t i = 0; i < c_.hidden_dim; ++i)
      activity_.magnitude[l].push_back(std::fabs(h(0, i)));
  }

  llama2c_config c_;
  llama2c_system_options opts_;
  devices_type devices_;
  link pcie_;
  link dimm_link_;
  ledger timing_;
  ledger::resource_id pcie_id_ = 0;
  std::vector<ledger::resource_id> dimm_link_ids_;
  std::vector<layer_placement> ffn_placement_;
  sparse_cost_options ffn_opts_;
  neuron_mask all_neurons_;
  std::vector<sparse_ffn<ExecSpace>> ffn_;
  mat embedding_, classifier_, rms_att_, rms_ffn_;
  vec rms_final_;
  std::vector<attention<ExecSpace>> attention_;
  std::vector<layer_placement> attention_placement_;
  attention_cost_options attention_opts_;
  neuron_mask all_channels_;
  mat x_, xb_, xb2_, ffn_out_, logits_;
  Kokkos::View<float*, Kokkos::HostSpace> logits_host_;
  bool recording_ = false;
  ffn_activity activity_;
  bool tracking_masks_ = false;
  llama2c_sparsity sparsity_;
  token_masks step_masks_;
  neuron_mask ffn_mask_, channel_mask_;
};

}  // namespace hermes
