#pragma once
// The decode engine of "split" systems: a GPU that computes the hot neurons plus one group of
// cold devices that hold every neuron and compute the cold ones (NDP-DIMMs in Hermes and its
// ablations; the host CPU in Hermes-host). One code path, the Hermes workflow (Sec IV-A.2):
//
//   prefill  the whole prompt on the GPU, the weights it does not hold streamed over PCIe from
//            the cold devices layer by layer, overlapped with compute by the ledger; the prompt's
//            activity initialises the predictor (Sec IV-C.1).
//   decode   per transformer layer:
//            1. QKV generation split GPU / cold devices by the placement, over the predicted
//               active attention neurons; partials merged on the cold devices;
//            2. attention per KV head on the cold device holding that head's KV cache;
//            3. the dense output projection on the GPU; meanwhile the host adjusts hot/cold
//               (hot neurons copied to the GPU over PCIe, Sec IV-C.1);
//            4. the MLP split like QKV, merged on the cold devices (Sec IV-A.2 step 5);
//            every GPU <-> cold exchange is one PCIe transfer (T_sync each way); layer time is
//            max(GPU, slowest cold device) plus those syncs, as the ledger's resources make it.
//            After every `window` tokens, the remapper may move cold neurons (Sec IV-D).
//            Each pass ends with the final norm and the LM head on the GPU (sim/lm_head.hpp).
//
// What differs between systems is policy, and a policy is a type (split_system below): the cold
// device, the predictor (or no_prediction), the offline mapper, the online adjuster and the
// remapper, each checked against its concept. The engine asks them and the device traits what
// to do; it never asks which system it runs.
//
// How a stage is executed is a policy too: timing_stages (below) charges the ledger from the
// layer shapes and the per-device neuron counts, nothing more, so a timing-only user never
// includes the Kokkos math kernels; math_stages (sim/math_model.hpp) computes the same stages
// with the real layers, which charge through the same functions, so both cost a layer
// identically (workload.mode picks one in system/hermes_family.hpp, run_split).
//
// In Debug and sanitizer builds (HERMES_CHECK_INVARIANTS, sim/invariants.hpp) every stage of
// every token is checked: each computed neuron on exactly one device, no device over capacity,
// the ledger's intervals inside their stage, link bytes equal to the placement changes.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hermes/activation/token_masks.hpp"
#include "hermes/core/device_traits.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/device/device_set.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/host_cpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/layer/attention_shape.hpp"
#include "hermes/layer/device_neurons.hpp"
#include "hermes/layer/ffn_shape.hpp"
#include "hermes/layer/sparse_charging.hpp"
#include "hermes/map/dimm_occupancy.hpp"
#include "hermes/map/home_masks.hpp"
#include "hermes/map/offline_placement.hpp"
#include "hermes/map/online_adjuster.hpp"
#include "hermes/map/placement_problem.hpp"
#include "hermes/map/remapper.hpp"
#include "hermes/predict/prediction_metrics.hpp"
#include "hermes/predict/predictor.hpp"
#include "hermes/sim/activations.hpp"
#include "hermes/sim/bounded_memo.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/host_memory.hpp"
#include "hermes/sim/invariants.hpp"
#include "hermes/sim/lm_head.hpp"
#include "hermes/sim/memory_plan.hpp"
#include "hermes/sim/result.hpp"

namespace hermes {

// What a predictor factory sees when the engine builds the run's predictor: the model's layout,
// the workload, and its activations (the offline profile, the correlation table).
struct predictor_context {
  const trace_layout& layout;
  const workload_config& workload;
  const batch_activations& activations;
};

namespace detail {
template <class P>
consteval bool check_predictor_or_none() {
  if constexpr (std::is_same_v<P, no_prediction>) return true;
  else return check_predictor<P>();
}
}  // namespace detail

// The timing-only stage executor: a stage's cost from its shape and how many of its computed
// neurons each device holds (counted from the home masks, 64 neurons per word operation).
struct timing_stages {
  static void require_supported(const model_shape&) {}
  explicit timing_stages(const workload_config&) {}

  // `extra_firings`: the stage's firing-count planes (device_neuron_counts): a neuron's weights
  // are read once and multiplied with the sequences that fire it. Empty: with every sequence.
  template <class DeviceSet>
  attention_timing attention(const attention_shape& shape, std::size_t batch, std::size_t, std::size_t pos,
                             const neuron_mask& computed, const layer_placement& placement, const home_masks& homes,
                             std::span<const neuron_mask* const> extra_firings, const DeviceSet& devices, ledger& L,
                             seconds ready, const attention_cost_options& opts) {
    return charge_attention(shape, batch, pos, device_neuron_counts(computed, placement, homes, extra_firings), devices,
                            L, ready, opts);
  }
  template <class DeviceSet>
  layer_timing ffn(const ffn_shape& shape, std::size_t batch, std::size_t, const neuron_mask& computed,
                   const layer_placement& placement, const home_masks& homes,
                   std::span<const neuron_mask* const> extra_firings, const DeviceSet& devices, ledger& L,
                   seconds ready, const sparse_cost_options& opts) {
    return charge_sparse_ffn(shape, batch, device_neuron_counts(computed, placement, homes, extra_firings), devices, L,
                             ready, opts);
  }
};

// A split system: its policies as types, its settings as values.
//   Cold          the cold device policy (ndp_dimm, host_cpu, or a user's compute_device)
//   MakePredictor (const predictor_context&) -> a predictor, or no_prediction
//   Mapper        an offline_mapper (memoised per process when it is a memoisable_mapper)
//   Adjustment    an adjustment_policy (hot_cold_adjustment_policy, no_adjustment_policy)
//   Remapping     a remapping_policy (window_remapping_policy, no_remapping_policy)
template <class Cold, class MakePredictor, class Mapper, class Adjustment, class Remapping>
struct split_system {
  static_assert(compute_device<Cold> && memory_device<Cold>,
                "split_system<Cold, ...>: the cold device must model hermes::compute_device and "
                "hermes::memory_device (it stores every neuron and computes the cold ones)");
  static_assert(check_offline_mapper<Mapper>());
  static_assert(adjustment_policy<Adjustment>,
                "split_system: Adjustment needs `make(const hermes::link&, hermes::ledger::resource_id)` "
                "returning the run's online adjuster (hot_cold_adjustment_policy, no_adjustment_policy)");
  static_assert(remapping_policy<Remapping>,
                "split_system: Remapping needs `make(neurons, cold_devices, const hermes::link&, window)` "
                "returning a hermes::remapper (window_remapping_policy, no_remapping_policy)");

  using cold_type = Cold;
  using predictor_type = std::invoke_result_t<const MakePredictor&, const predictor_context&>;
  static_assert(detail::check_predictor_or_none<predictor_type>(),
                "split_system: MakePredictor must return a hermes::predictor or hermes::no_prediction");

  std::string name;
  MakePredictor make_predictor;
  Mapper mapper;
  Adjustment adjustment{};
  Remapping remapping{};
  // Tokens per window: cold-device loads are recorded per window (with or without remapping, so
  // a fixed mapping's imbalance can be measured) and the remapper acts after each (Sec IV-D: 5).
  std::size_t window = 5;
  // The host-side memory of the GPU <-> cold-device transfers, which sets their PCIe rate
  // (link_config::pinned_fraction / pageable_fraction). NDP-DIMMs and the host's DMA buffers
  // are page-locked regions the DMA engine reads directly: pinned.
  host_memory_kind pcie_memory = host_memory_kind::pinned;
};

template <class Cold, class MakePredictor, class Mapper, class Adjustment, class Remapping>
[[nodiscard]] split_system<Cold, MakePredictor, Mapper, Adjustment, Remapping> make_split_system(
    std::string name, MakePredictor make_predictor, Mapper mapper, Adjustment adjustment, Remapping remapping) {
  return {std::move(name), std::move(make_predictor), std::move(mapper), std::move(adjustment),
          std::move(remapping)};
}

// The cold devices of one run: how many, configured how.
template <class Config>
struct cold_devices {
  Config config;
  std::size_t count = 0;
};

namespace detail {

// Aggregates the GPU <-> cold-device exchanges of one layer stage into single PCIe transfers:
// the slices a stage sends to (or gathers from) the cold devices leave together and are one DMA
// whose payload is spread over the cold devices' interleaved addresses, so T_sync is paid once
// per direction (Sec IV-A.2: 2 x T_sync per layer), not once per DIMM.
// PCIe is full duplex: transfers to the GPU and from it are charged to the link's two
// direction resources (add_link_resources), at the rate of the system's host memory kind.
class pcie_exchange {
 public:
  pcie_exchange(ledger& l, link_resources pcie, link pcie_link, std::size_t cold_devices, host_memory_kind memory)
      : l_(&l), pcie_(pcie), link_(std::move(pcie_link)), cold_(cold_devices), memory_(memory) {}

  seconds transfer(bool to_gpu, bytes slice, seconds ready) {
    auto& last = to_gpu ? up_ : down_;
    if (last.valid && last.ready == ready) return last.end;  // rides the same DMA
    // The slices of one exchange are equal parts of one vector: the DMA carries all of them.
    const bytes payload = slice * static_cast<double>(cold_);
    device_cost c = link_.transfer(payload, memory_);
    last.end = l_->charge(to_gpu ? pcie_.to_gpu : pcie_.from_gpu, ready, c, "pcie");
    last.ready = ready;
    last.valid = true;
    sync_latency_ += link_.config().latency;
    return last.end;
  }
  [[nodiscard]] seconds sync_latency() const { return sync_latency_; }

 private:
  struct last_transfer {
    bool valid = false;
    seconds ready{};
    seconds end{};
  };
  ledger* l_;
  link_resources pcie_;
  link link_;
  std::size_t cold_;
  host_memory_kind memory_;
  last_transfer up_{}, down_{};
  seconds sync_latency_{};
};

// Offline placements are deterministic functions of their problem and mapper, and the systems of
// one comparison (Hermes and its ablations) share them: solving LLaMA2-70B's ILP once per
// process instead of once per system keeps sweeps and the reproduction fast. Keyed by a hash of
// everything the mapper reads; a few entries are enough (one per model x hardware point).
class placement_memo {
 public:
  template <class Solve>
  placement_result get(const placement_problem& p, std::uint64_t mapper_key, Solve&& solve) {
    return entries_.get(hash(p, mapper_key), std::forward<Solve>(solve));
  }
  static placement_memo& instance() {
    static placement_memo memo;
    return memo;
  }

 private:
  static std::uint64_t hash(const placement_problem& p, std::uint64_t mapper_key) {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ mapper_key;
    const auto mix = [&](double v) { h = mix_key(h, v); };  // FNV-1a, as the mappers' keys
    mix(p.sync_time.value());
    mix(p.gpu_capacity.value());
    mix(p.dimm_capacity.value());
    mix(static_cast<double>(p.dimms));
    for (const auto& l : p.layers) {
      mix(static_cast<double>(l.frequency.size()));
      mix(l.neuron_bytes.value());
      mix(l.gpu_time_per_activation.value());
      mix(l.dimm_time_per_activation.value());
      for (double f : l.frequency) mix(f);
    }
    return h;
  }
  bounded_memo<std::uint64_t, placement_result, 8> entries_;
};

template <offline_mapper Mapper>
[[nodiscard]] placement_result place_with(const Mapper& mapper, const placement_problem& problem) {
  if constexpr (memoisable_mapper<Mapper>)
    return placement_memo::instance().get(problem, static_cast<std::uint64_t>(mapper.memo_key()),
                                          [&] { return mapper.place(problem); });
  else
    return mapper.place(problem);
}

using host_clock = std::chrono::steady_clock;
[[nodiscard]] inline double seconds_since(host_clock::time_point t0) {
  return std::chrono::duration<double>(host_clock::now() - t0).count();
}

// One run of a split system: the phases of the workflow as member functions. `Stages` executes
// a stage (timing_stages, math_stages).
template <class System, class Stages>
class split_run {
  using Cold = typename System::cold_type;
  using Predictor = typename System::predictor_type;
  static constexpr bool predicts = predictor<Predictor>;
  using Adjuster = decltype(std::declval<const System&>().adjustment.make(std::declval<const link&>(),
                                                                          ledger::resource_id{}));
  using Remapper = decltype(std::declval<const System&>().remapping.make(std::size_t{}, std::size_t{},
                                                                         std::declval<const link&>(), std::size_t{}));
  static_assert(online_adjuster<Adjuster, Predictor>,
                "split_system: its online adjuster cannot read its predictor (hot_cold_adjustment_policy "
                "needs a predictor with per-neuron states: state(layer, kind, neuron))");
  using devices_type = device_set<gpu, Cold>;

 public:
  template <class ColdConfig>
  split_run(const System& s, const workload_config& w, const hardware_config& h,
            const cold_devices<ColdConfig>& cold)
      : s_(s), w_(w), h_(h), m_(w.model), D_(cold.count), ashape_(attention_shape::of(w.model)),
        fshape_(ffn_shape::of(w.model)), bpp_(w.model.bytes_per_param),
        attn_neuron_bytes_(static_cast<double>(ashape_.chunk_elements()) * bpp_),
        ffn_neuron_bytes_(static_cast<double>(fshape_.chunk_elements()) * bpp_),
        gpu_policy_(h.gpu), cold_policy_(cold.config), host_policy_(h.host), pcie_link_(h.pcie), cold_link_(h.dimm_link),
        devices_(group<gpu>("gpu", 1, h.gpu),
                 group<Cold>(std::string(device_traits<Cold>::prefix), std::max<std::size_t>(1, D_), cold.config)) {}

  sim_result run() {
    identify();
    if (D_ == 0)
      return sim_result::unsupported(m_.name, s_.name,
                                     s_.name + " needs at least one " + std::string(device_traits<Cold>::prefix));
    if (s_.window == 0) throw invalid_parameter("system.window", "0", "at least 1 token");
    mem_ = plan_split_memory(w_, h_, cold_policy_.capacity(), D_);
    if (!mem_.supported) return unsupported(mem_.reason);
    Stages::require_supported(m_);
    attach_resources();
    auto t_host = host_clock::now();
    batch_activations acts(w_);
    const activation_trace profile = acts.profile_trace();
    r_.host_seconds_activations += seconds_since(t_host);
    place(profile);
    Predictor predictor = s_.make_predictor(predictor_context{acts.layout(), w_, acts});
    t_host = host_clock::now();
    const activation_trace prompt = acts.prompt_union();
    r_.host_seconds_activations += seconds_since(t_host);
    const auto t_sim = host_clock::now();
    if constexpr (prefill_initialised<Predictor>) predictor.initialise_from_prefill(prompt, 0, prompt.tokens());
    prefill();
    decode(acts, predictor);
    r_.host_seconds_simulation = seconds_since(t_sim) - decode_activation_seconds_;
    report(predictor);
    return r_;
  }

 private:
  void identify() {
    r_.model = m_.name;
    r_.system = s_.name;
    r_.gpu = h_.gpu.name;
    r_.dimms = is_near_memory_v<Cold> ? D_ : 0;
    r_.hardware = hardware_inventory{h_.gpu.name, 1, r_.dimms, 1, {}};
    r_.batch = w_.batch;
    r_.input_len = w_.input_len;
    r_.output_len = w_.output_len;
  }

  sim_result unsupported(const std::string& why) const {
    sim_result u = sim_result::unsupported(m_.name, s_.name, why);
    u.gpu = r_.gpu; u.dimms = r_.dimms; u.batch = r_.batch; u.input_len = r_.input_len; u.output_len = r_.output_len;
    return u;
  }

  // ---- devices, links and the host on one ledger; how a layer's work is spread ----
  void attach_resources() {
    devices_.attach(L_);
    pcie_ids_ = add_link_resources(L_, "pcie", pcie_link_.config());
    pcie_id_ = pcie_ids_.to_gpu;  // hot-neuron copies go to the GPU
    for (std::size_t j = 0; j < D_; ++j)
      cold_link_ids_.push_back(L_.add_resource("dimm_link" + std::to_string(j), resource_kind::link));
    host_id_ = L_.add_resource("host", resource_kind::host);
    // The host's idle power, once: when the cold devices are the host CPU, their resource has it.
    if constexpr (device_traits<Cold>::kind != resource_kind::host) L_.set_static_power(host_id_, host_policy_.static_power());
    exchange_.emplace(L_, pcie_ids_, pcie_link_, D_, s_.pcie_memory);

    std::vector<device_index> cold;
    for (std::size_t j = 0; j < D_; ++j) cold.push_back(cold_device(j));
    ffn_opts_.weight_bytes_per_element = bpp_;
    ffn_opts_.activation_bytes_per_element = bpp_;
    ffn_opts_.merge_devices = cold;  // Sec IV-A.2 step 5: reduced on the cold devices
    ffn_opts_.gathered_rows = true;  // sparse kernels read the active neurons' rows by index
    ffn_opts_.move = [this](device_index from, device_index to, bytes size, seconds ready) {
      return move(from, to, size, ready);
    };
    static_cast<sparse_cost_options&>(attn_opts_) = ffn_opts_;
    attn_opts_.projection_device = hot_device;  // Sec IV-A.2 step 3: dense projection on the GPU
    attn_opts_.kv_bytes_per_element = bpp_;
    // KV head g's cache lives on cold device g mod D (the paper does not say how heads spread;
    // round robin keeps every DIMM's attention work equal when D divides the KV heads).
    for (std::size_t g = 0; g < ashape_.kv_heads; ++g) attn_opts_.kv_head_home.push_back(cold_device(g % D_));
  }

  // GPU <-> cold devices: the stage's PCIe exchange; between cold devices: the sender's link.
  seconds move(device_index from, device_index to, bytes size, seconds ready) {
    if (from == to) return ready;
    if (from == hot_device || to == hot_device) return exchange_->transfer(to == hot_device, size, ready);
    return L_.charge(cold_link_ids_[from - 1], ready, cold_link_.transfer(size), "dimm_link");
  }

  // ---- offline placement (Sec IV-B) from the profile ----
  void place(const activation_trace& profile) {
    const auto t_host = host_clock::now();
    const std::size_t ref_attn = std::max<std::size_t>(1, ashape_.neurons() / 10);
    const std::size_t ref_ffn = std::max<std::size_t>(1, fshape_.neurons / 10);
    placement_stage_times t;
    t.attention_gpu = per_activation_time(gpu_policy_, 1, ashape_.chunk_elements(), ref_attn, bpp_, w_.batch);
    t.attention_dimm = per_activation_time(cold_policy_, 1, ashape_.chunk_elements(), ref_attn, bpp_, w_.batch);
    t.ffn_gpu = per_activation_time(gpu_policy_, fshape_.rows_per_chunk(), fshape_.hidden, ref_ffn, bpp_, w_.batch);
    t.ffn_dimm = per_activation_time(cold_policy_, fshape_.rows_per_chunk(), fshape_.hidden, ref_ffn, bpp_, w_.batch);
    placement_problem problem = make_placement_problem(m_, profile, 0, profile.tokens(), t, pcie_link_.config().latency,
                                                       mem_.gpu_for_neurons, mem_.cold_for_neurons_each, D_);
    // With a batch, a neuron is computed when any sequence activates it, and multiplied with the
    // sequences that activate it: per stage kind, a union activation carries on average
    // sum_i B f_i / sum_i (1 - (1 - f_i)^B) sequences (independent sequences, profiled f_i), which
    // sets the per-activation times (the weights are read once per union activation).
    if (w_.batch > 1) {
      const auto B = static_cast<double>(w_.batch);
      double fired[2] = {0.0, 0.0}, unions[2] = {0.0, 0.0};
      for (std::size_t s = 0; s < problem.layers.size(); ++s)
        for (double& f : problem.layers[s].frequency) {
          const double p = std::min(1.0, f);
          f = 1.0 - std::pow(1.0 - p, B);
          fired[s % 2] += B * p;
          unions[s % 2] += f;
        }
      const auto mean = [&](std::size_t k) {
        return unions[k] > 0.0 ? std::clamp(fired[k] / unions[k], 1.0, B) : B;
      };
      t.attention_gpu = per_activation_time(gpu_policy_, 1, ashape_.chunk_elements(), ref_attn, bpp_, w_.batch, mean(0));
      t.attention_dimm = per_activation_time(cold_policy_, 1, ashape_.chunk_elements(), ref_attn, bpp_, w_.batch, mean(0));
      t.ffn_gpu = per_activation_time(gpu_policy_, fshape_.rows_per_chunk(), fshape_.hidden, ref_ffn, bpp_, w_.batch, mean(1));
      t.ffn_dimm = per_activation_time(cold_policy_, fshape_.rows_per_chunk(), fshape_.hidden, ref_ffn, bpp_, w_.batch, mean(1));
      for (std::size_t s = 0; s < problem.layers.size(); ++s) {
        problem.layers[s].gpu_time_per_activation = s % 2 == 0 ? t.attention_gpu : t.ffn_gpu;
        problem.layers[s].dimm_time_per_activation = s % 2 == 0 ? t.attention_dimm : t.ffn_dimm;
      }
    }
    placement_result placed = place_with(s_.mapper, problem);
    r_.host_seconds_placement = seconds_since(t_host);
    r_.has_placement = true;
    r_.placement_method = std::string(to_string(placed.method));
    r_.placement_objective = placed.objective;
    r_.placement_lower_bound = placed.lower_bound;
    r_.placement_gap = placed.gap;
    r_.placement_solve_seconds = placed.solve_seconds;
    r_.placement_time_limit_reached = placed.cbc.time_limit_reached;
    r_.placement_cbc_ran = placed.cbc.ran;
    r_.placement_target_gap = mapper_target_gap(s_.mapper);
    placement_ = std::move(placed.layers);
    // The online adjuster keeps each stage's GPU share at what the offline placement gave it.
    for (const layer_placement& p : placement_) gpu_budget_.push_back(p.cached.count());
    for (std::size_t s = 0; s < placement_.size(); ++s)
      stage_bytes_.push_back(s % 2 == 0 ? attn_neuron_bytes_ : ffn_neuron_bytes_);
    occupancy_.emplace(dimm_occupancy::of(placement_, stage_bytes_, D_, mem_.cold_for_neurons_each));
    // Per stage, the homes as one mask per device: what the per-device counts of every layer and
    // token are taken from. Only the remapper changes homes, and it updates these with them.
    homes_.reserve(placement_.size());
    for (const layer_placement& p : placement_) homes_.emplace_back(p, devices_.size());
  }

  // ---- prefill: the prompt on the GPU, missing weights streamed over PCIe (Sec IV-A.2) ----
  void prefill() {
    const std::size_t tokens = w_.batch * w_.input_len;
    const ledger::resource_id gpu_id = devices_.resource(hot_device);
    seconds layer_ready{};
    for (std::size_t l = 0; l < m_.layers; ++l) {
      // Weights of this layer not resident on the GPU: everything but its GPU copies and Wo.
      const double cached = static_cast<double>(placement_[2 * l].cached.count()) * attn_neuron_bytes_.value() +
                            static_cast<double>(placement_[2 * l + 1].cached.count()) * ffn_neuron_bytes_.value();
      const bytes streamed(std::max(0.0, mem_.sparse_bytes_per_layer.value() - cached));
      const seconds weights_at =
          L_.charge(pcie_ids_.to_gpu, seconds{}, pcie_link_.transfer(streamed, s_.pcie_memory), "pcie_prefill_weights");
      // Every weight of the layer multiplies every prompt token: one GEMM per matrix.
      device_cost g = gpu_policy_.matmul(tokens, ashape_.chunk_elements(), m_.hidden, bpp_);
      g += gpu_policy_.matmul(tokens, m_.hidden, ashape_.q_dim(), bpp_);
      g += gpu_policy_.matmul(tokens, fshape_.neurons, fshape_.chunk_elements(), bpp_);
      // Attention over the prompt: QK^T and SV, causal (half the square).
      const double ctx = static_cast<double>(w_.input_len);
      g.time += seconds(2.0 * 2.0 * static_cast<double>(w_.batch) * ctx * ctx / 2.0 *
                        static_cast<double>(ashape_.q_dim()) / gpu_policy_.effective_peak(bpp_).value());
      layer_ready = L_.charge(gpu_id, std::max(weights_at, layer_ready), g, "prefill_compute");
      // The layer's KV cache goes to the cold devices that will run decode attention.
      const bytes kv(static_cast<double>(tokens) * 2.0 * static_cast<double>(ashape_.kv_dim()) * bpp_);
      L_.charge(pcie_ids_.from_gpu, layer_ready, pcie_link_.transfer(kv, s_.pcie_memory), "pcie_prefill_kv");
    }
    // The final norm and LM head at the prompt's last position (sim/lm_head.hpp).
    L_.charge(gpu_id, layer_ready, lm_head_cost(gpu_policy_, m_, w_.batch, bpp_), "lm_head");
    t_ = L_.makespan();
    r_.seconds_prefill = t_;
    r_.breakdown.prefill = t_;
    for (std::size_t j = 0; j < D_; ++j) cold_busy_at_decode_.push_back(L_.resource(devices_.resource(cold_device(j))).busy);
  }

  // ---- decode: every token through every layer stage ----
  void decode(batch_activations& acts, Predictor& predictor) {
    stages_.emplace(w_);
    const Adjuster adjuster = s_.adjustment.make(pcie_link_, pcie_id_);
    std::vector<Remapper> remappers;
    for (const layer_placement& p : placement_) remappers.push_back(s_.remapping.make(p.neurons(), D_, cold_link_, s_.window));
    if constexpr (is_near_memory_v<Cold>)
      r_.window_loads = dimm_window_loads(s_.window, (w_.output_len + s_.window - 1) / s_.window, placement_.size(), D_);
    const trace_layout& layout = acts.layout();
    token_masks truth(layout);
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      all_active_[static_cast<std::size_t>(k)] = neuron_mask(layout.neurons(k));
      all_active_[static_cast<std::size_t>(k)].fill();
    }
    active_per_device_.assign(devices_.size(), 0);
    if constexpr (invariants_checked) {
      L_.observe(&monitor_);
      monitor_.describe([this] { return where(now_.tok, now_.layer, now_.kind) + (now_.remap ? ", remap" : ""); });
      check_capacities_from_scratch();
    }
    const seconds decode_start = t_;
    const device_cost lm_head = lm_head_cost(gpu_policy_, m_, w_.batch, bpp_);
    for (std::size_t tok = 0; tok < w_.output_len; ++tok) {
      const auto t_act = host_clock::now();
      acts.next_union(truth);
      extra_firings_ = &acts.extra_firings();
      decode_activation_seconds_ += seconds_since(t_act);
      for (std::size_t l = 0; l < m_.layers; ++l)
        for (layer_kind kind : {layer_kind::attention, layer_kind::ffn}) {
          const std::size_t s = 2 * l + (kind == layer_kind::ffn ? 1 : 0);
          decode_stage(tok, l, kind, truth, predictor, adjuster);
          if (remappers[s].record(truth.mask(l, kind))) {
            double link_bytes = 0.0;
            if constexpr (invariants_checked) {
              now_.remap = true;
              monitor_.begin(t_);
              link_bytes = cold_link_bytes();
            }
            const remap_report rep = remappers[s].remap(placement_[s], homes_[s], stage_bytes_[s], *occupancy_, L_,
                                                        sender_links{&cold_link_ids_}, t_);
            r_.neurons_remapped += rep.moves.size();
            if constexpr (invariants_checked) check_after_remap(s, link_bytes);
          }
        }
      // The final norm and LM head on the GPU, once the last layer's output is there.
      t_ = L_.charge(devices_.resource(hot_device), t_, lm_head, "lm_head");
    }
    if constexpr (invariants_checked) L_.observe(nullptr);
    r_.host_seconds_activations += decode_activation_seconds_;
    r_.seconds_decode = L_.makespan() - decode_start;
  }

  // One layer stage of one token: predict, charge the stage, adjust the GPU's copies.
  void decode_stage(std::size_t tok, std::size_t l, layer_kind kind, const token_masks& truth, Predictor& predictor,
                    const Adjuster& adjuster) {
    const std::size_t s = 2 * l + (kind == layer_kind::ffn ? 1 : 0);
    const neuron_mask& actual = truth.mask(l, kind);
    const neuron_mask* computed = &all_active_[static_cast<std::size_t>(kind)];
    const seconds ready = t_;
    if constexpr (invariants_checked) {
      now_ = {tok, l, kind, false};
      monitor_.begin(ready);
    }
    if constexpr (predicts) {
      prediction_request req;
      req.token = tok;
      req.layer = l;
      req.kind = kind;
      layer_ref prev{};
      if (predecessor(layer_ref{l, kind}, prev)) req.previous = &truth.mask(prev.layer, prev.kind);
      req.ready = t_;
      predictor.predict(req, pred_);
      // The host evaluates the predictor for this layer while the previous one runs.
      L_.charge(host_id_, ready,
                host_policy_.vector_op(predictor_host_work(predictor, actual.size(), layout_neurons(truth))),
                "predictor");
      metrics_.add(kind, pred_.active, actual);
      computed = &pred_.active;
      predictor.update(req, actual);
    }
    if constexpr (is_near_memory_v<Cold>) {
      // Counted word by word, then added: the loads are whole numbers, so the sums are exact
      // whatever the order.
      double* load = r_.window_loads.of(tok / s_.window, s);
      count_active_by_device(actual, placement_[s], homes_[s], active_per_device_);
      for (std::size_t j = 0; j < D_; ++j) load[j] += static_cast<double>(active_per_device_[cold_device(j)]);
    }
    if constexpr (invariants_checked) check_computed_once(*computed, s);
    if (kind == layer_kind::attention) {
      const std::size_t pos = w_.input_len + tok;
      const attention_timing at = stages_->attention(ashape_, w_.batch, l, pos, *computed, placement_[s], homes_[s],
                                                     stage_extra_firings(l, kind), devices_, L_, ready, attn_opts_);
      attention_time_ += at.end - ready;
      t_ = at.end;
      // During the projection the cold devices idle and the host moves newly hot neurons of this
      // layer (both stages) to the GPU (Sec IV-A.2 step 3, IV-C.1).
      for (std::size_t ss : {s, s + 1}) {
        const layer_kind kk = ss == s ? layer_kind::attention : layer_kind::ffn;
        double pcie_bytes = 0.0;
        if constexpr (invariants_checked) {
          pcie_bytes = L_.resource(pcie_id_).bytes_moved.value();
          cached_before_ = placement_[ss].cached;
        }
        const hot_cold_adjustment res =
            adjuster.adjust(placement_[ss], predictor, l, kk, gpu_budget_[ss], stage_bytes_[ss], L_, at.attention_end);
        r_.hot_neurons_promoted += res.promoted.size();
        if constexpr (invariants_checked) check_after_adjustment(ss, pcie_bytes);
      }
      // The projection output goes back to the cold devices for the MLP.
      t_ = exchange_->transfer(false, bytes(static_cast<double>(w_.batch * m_.hidden) * bpp_ / static_cast<double>(D_)), t_);
    } else {
      const layer_timing ft =
          stages_->ffn(fshape_, w_.batch, l, *computed, placement_[s], homes_[s], stage_extra_firings(l, kind), devices_,
                       L_, ready, ffn_opts_);
      mlp_time_ += ft.end - ready;
      // The merged layer output is on the cold devices; the GPU fetches it for the next QKV.
      t_ = exchange_->transfer(true, bytes(static_cast<double>(w_.batch * m_.hidden) * bpp_ / static_cast<double>(D_)), ft.end);
    }
    if constexpr (invariants_checked) {
      if (!(t_ >= ready))
        throw invariant_violation("ledger: the stage ends at " + to_text(t_.value()) + " s, before it starts at " +
                                      to_text(ready.value()) + " s (time not monotone)",
                                  where(tok, l, kind));
      monitor_.finish(t_);
    }
  }

  // The firing-count planes of stage (l, kind) of the current token (empty at batch 1).
  std::span<const neuron_mask* const> stage_extra_firings(std::size_t l, layer_kind kind) {
    extra_planes_.clear();
    if (extra_firings_ != nullptr)
      for (const token_masks& p : *extra_firings_) extra_planes_.push_back(&p.mask(l, kind));
    return extra_planes_;
  }

  // ---- invariants (sim/invariants.hpp), checked when invariants_checked ----
  [[nodiscard]] std::string where(std::size_t tok, std::size_t l, layer_kind kind) const {
    return "decode token " + std::to_string(tok) + ", layer " + std::to_string(l) + ", " +
           (kind == layer_kind::attention ? "attention" : "ffn") + " stage of " + s_.name + " on " + m_.name;
  }
  [[nodiscard]] std::string where_stage(std::size_t s) const {
    return "stage " + std::to_string(s) + " (layer " + std::to_string(s / 2) + ", " +
           (s % 2 == 0 ? "attention" : "ffn") + ") of " + s_.name + " on " + m_.name;
  }

  // Each neuron the stage computes is counted on exactly one device. The stage counts the
  // computed neurons per device from the home masks (a & ~cached & home_d, plus a & cached on
  // the GPU), so every neuron is counted once exactly when the masks partition the layer's
  // neurons as the placement's homes say: checked from scratch (home_masks::matches) before the
  // decode and after every remap, the only change of homes; every adjustment must leave the
  // homes as they were (home_snapshot_). Per stage, O(devices): the masks still hold every
  // neuron once and the computed set is the layer's size. (Counting the stage's neurons again
  // per device here doubled the timing-only engine's cost at -O1.)
  void check_computed_once(const neuron_mask& computed, std::size_t s) const {  // after monitor_.begin
    const home_masks& h = homes_[s];
    std::size_t homed = 0;
    for (std::size_t d = 0; d < h.devices(); ++d) homed += h.homed_on(static_cast<device_index>(d));
    if (homed != placement_[s].neurons() || h.neurons() != placement_[s].neurons() ||
        computed.size() != placement_[s].neurons() || placement_[s].cached.size() != placement_[s].neurons())
      throw invariant_violation("computed once: the home masks hold " + std::to_string(homed) + " of " +
                                    std::to_string(placement_[s].neurons()) + " neurons (computed mask of " +
                                    std::to_string(computed.size()) + ", copies mask of " +
                                    std::to_string(placement_[s].cached.size()) + ")",
                                monitor_.where());
  }

  [[nodiscard]] double cold_link_bytes() const {
    double b = 0.0;
    for (const auto id : cold_link_ids_) b += L_.resource(id).bytes_moved.value();
    return b;
  }

  // The GPU's copies and the cold devices' homes, counted from scratch, fit their capacities and
  // equal the occupancy the remapper keeps.
  void check_capacities_from_scratch() {
    cached_count_.assign(placement_.size(), 0);
    home_snapshot_.clear();
    gpu_cached_bytes_ = 0.0;
    cold_home_bytes_.assign(D_, 0.0);
    for (std::size_t s = 0; s < placement_.size(); ++s) {
      cached_count_[s] = placement_[s].cached.count();
      home_snapshot_.push_back(placement_[s].home);
      gpu_cached_bytes_ += static_cast<double>(cached_count_[s]) * stage_bytes_[s].value();
      if (!homes_[s].matches(placement_[s]))
        throw invariant_violation("computed once: the home masks differ from the placement's homes", where_stage(s));
      for (std::size_t j = 0; j < D_; ++j)
        cold_home_bytes_[j] += static_cast<double>(homes_[s].homed_on(cold_device(j))) * stage_bytes_[s].value();
    }
    check_gpu_capacity("after the offline placement");
    check_cold_capacity("after the offline placement");
  }
  void check_gpu_capacity(const std::string& where) const {
    if (gpu_cached_bytes_ > mem_.gpu_for_neurons.value() * (1.0 + 1e-12))
      throw invariant_violation("capacity: the GPU holds " + to_text(gpu_cached_bytes_) + " B of neuron copies, more than the " +
                                    to_text(mem_.gpu_for_neurons.value()) + " B left for them",
                                where);
  }
  void check_cold_capacity(const std::string& where) const {
    for (std::size_t j = 0; j < D_; ++j) {
      const double used = occupancy_->used(cold_device(j)).value();
      if (!detail::same_amount(used, cold_home_bytes_[j]))
        throw invariant_violation("capacity: cold device " + std::to_string(cold_device(j)) + " homes " + to_text(cold_home_bytes_[j]) +
                                      " B of neurons but its occupancy says " + to_text(used) + " B",
                                  where);
      if (cold_home_bytes_[j] > occupancy_->capacity().value() * (1.0 + 1e-12))
        throw invariant_violation("capacity: cold device " + std::to_string(cold_device(j)) + " homes " + to_text(cold_home_bytes_[j]) +
                                      " B of neurons, more than its " + to_text(occupancy_->capacity().value()) + " B",
                                  where);
    }
  }

  // An adjustment of stage ss: the GPU copies still fit, and PCIe carried exactly the newly
  // cached neurons.
  void check_after_adjustment(std::size_t ss, double pcie_bytes_before) {
    const neuron_mask& now = placement_[ss].cached;
    std::size_t added = 0;
    for (std::size_t k = 0; k < now.words().size(); ++k)
      added += static_cast<std::size_t>(std::popcount(now.words()[k] & ~cached_before_.words()[k]));
    const double charged = L_.resource(pcie_id_).bytes_moved.value() - pcie_bytes_before;
    const double implied = static_cast<double>(added) * stage_bytes_[ss].value();
    if (!detail::same_amount(charged, implied))
      throw invariant_violation("link bytes: the adjustment charged " + to_text(charged) + " B on PCIe for " +
                                    std::to_string(added) + " newly cached neurons of " + to_text(stage_bytes_[ss].value()) +
                                    " B (" + to_text(implied) + " B)",
                                monitor_.where() + ", adjustment of " + where_stage(ss));
    const auto& home = placement_[ss].home;
    const auto& snapshot = home_snapshot_[ss];
    // memcmp: vectorised by the C library even in a -O1 sanitizer build (std::operator== is not).
    if (home.size() != snapshot.size() ||
        std::memcmp(home.data(), snapshot.data(), home.size() * sizeof(device_index)) != 0)
      throw invariant_violation("computed once: the adjustment changed neuron homes (it may change only the GPU copies)",
                                monitor_.where() + ", adjustment of " + where_stage(ss));
    const std::size_t count = now.count();
    gpu_cached_bytes_ += (static_cast<double>(count) - static_cast<double>(cached_count_[ss])) * stage_bytes_[ss].value();
    cached_count_[ss] = count;
    check_gpu_capacity(monitor_.where() + ", adjustment of " + where_stage(ss));
  }

  // A remap of stage s: the cold links carried exactly the neurons whose home changed, the home
  // masks still match the homes, and every cold device fits its homes.
  void check_after_remap(std::size_t s, double link_bytes_before) {
    const auto& home = placement_[s].home;
    const auto& before = home_snapshot_[s];
    std::size_t moved = 0;
    for (std::size_t i = 0; i < home.size(); ++i) moved += home[i] != before[i];
    const double charged = cold_link_bytes() - link_bytes_before;
    const double implied = static_cast<double>(moved) * stage_bytes_[s].value();
    if (!detail::same_amount(charged, implied))
      throw invariant_violation("link bytes: the remap charged " + to_text(charged) + " B on the cold devices' links for " +
                                    std::to_string(moved) + " neurons moved of " + to_text(stage_bytes_[s].value()) +
                                    " B (" + to_text(implied) + " B)",
                                monitor_.where());
    if (!homes_[s].matches(placement_[s]))
      throw invariant_violation("computed once: the home masks differ from the placement's homes after the remap",
                                monitor_.where());
    // This stage's homes per cold device, before and after.
    for (std::size_t i = 0; i < home.size(); ++i)
      if (home[i] != before[i]) {
        if (before[i] >= 1 && before[i] <= D_) cold_home_bytes_[before[i] - 1] -= stage_bytes_[s].value();
        if (home[i] >= 1 && home[i] <= D_) cold_home_bytes_[home[i] - 1] += stage_bytes_[s].value();
      }
    check_cold_capacity(monitor_.where());
    home_snapshot_[s] = home;
  }

  static std::size_t layout_neurons(const token_masks& truth) {
    const trace_layout& l = truth.layout();
    return l.layers * (l.attention_neurons + l.ffn_neurons);
  }

  // ---- results: throughput, and the busy time of every resource from the ledger ----
  void report(const Predictor& predictor) {
    const double generated = static_cast<double>(w_.batch * w_.output_len);
    r_.decode_tokens_per_second = generated / r_.seconds_decode.value();
    r_.end_to_end_tokens_per_second = generated / (r_.seconds_decode + r_.seconds_prefill).value();
    r_.attention_latency_per_token = attention_time_ / static_cast<double>(w_.output_len);
    r_.mlp_latency_per_token = mlp_time_ / static_cast<double>(w_.output_len);
    read_breakdown(L_, r_.breakdown);
    // The cold devices' balance over the decode: the busiest one's decode busy time over the mean.
    double busy_max = 0.0, busy_sum = 0.0;
    for (std::size_t j = 0; j < D_; ++j) {
      const double busy = (L_.resource(devices_.resource(cold_device(j))).busy - cold_busy_at_decode_[j]).value();
      busy_max = std::max(busy_max, busy);
      busy_sum += busy;
    }
    r_.cold_load_imbalance = busy_sum > 0.0 ? busy_max * static_cast<double>(D_) / busy_sum : 1.0;
    r_.breakdown.sync = exchange_->sync_latency();
    record_energy(r_, L_);
    if constexpr (predicts) record_prediction(r_, metrics_, predictor.table_bytes());
  }

  const System& s_;
  const workload_config& w_;
  const hardware_config& h_;
  const model_shape& m_;
  const std::size_t D_;
  const attention_shape ashape_;
  const ffn_shape fshape_;
  const double bpp_;
  const bytes attn_neuron_bytes_, ffn_neuron_bytes_;
  const gpu gpu_policy_;
  const Cold cold_policy_;
  const host_cpu host_policy_;  // evaluates the predictor
  const link pcie_link_, cold_link_;
  devices_type devices_;
  ledger L_;
  link_resources pcie_ids_{};
  ledger::resource_id pcie_id_{}, host_id_{};
  std::vector<ledger::resource_id> cold_link_ids_;
  std::optional<pcie_exchange> exchange_;
  sparse_cost_options ffn_opts_;
  attention_cost_options attn_opts_;
  memory_plan mem_;
  std::vector<layer_placement> placement_;
  std::vector<std::size_t> gpu_budget_;
  std::vector<bytes> stage_bytes_;
  std::optional<dimm_occupancy> occupancy_;
  std::vector<home_masks> homes_;
  std::optional<Stages> stages_;
  std::vector<neuron_mask> all_active_ = std::vector<neuron_mask>(layer_kinds);
  std::vector<std::size_t> active_per_device_;
  std::vector<seconds> cold_busy_at_decode_;
  prediction pred_;
  prediction_metrics metrics_;
  // The invariant checks' state (used when invariants_checked).
  detail::stage_charge_monitor monitor_;
  struct {
    std::size_t tok = 0, layer = 0;
    layer_kind kind = layer_kind::attention;
    bool remap = false;
  } now_;  // the stage being checked
  std::vector<std::size_t> cached_count_;
  double gpu_cached_bytes_ = 0.0;
  std::vector<double> cold_home_bytes_;
  neuron_mask cached_before_;
  std::vector<std::vector<device_index>> home_snapshot_;  // [stage]: the homes the masks were checked against
  seconds t_{}, attention_time_{}, mlp_time_{};
  double decode_activation_seconds_ = 0.0;
  const std::vector<token_masks>* extra_firings_ = nullptr;  // the current token's (batch_activations)
  std::vector<const neuron_mask*> extra_planes_;
  sim_result r_;
};

}  // namespace detail

// Runs one split system on `cold.count` cold devices configured as `cold.config`, its stages
// executed by `Stages` (timing only by default; math_stages computes them, sim/math_model.hpp).
template <class Stages = timing_stages, class System, class ColdConfig>
[[nodiscard]] sim_result run_split_system(const System& s, const workload_config& w, const hardware_config& h,
                                          const cold_devices<ColdConfig>& cold) {
  w.validate();
  h.validate();
  require_host_memory(w, h);
  sim_result r = detail::split_run<System, Stages>(s, w, h, cold).run();
  require_finite_result(r);
  return r;
}

}  // namespace hermes
