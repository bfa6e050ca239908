#pragma once
// The kernel engine: runs a kernel-level system (IANUS, H2M2 and their baselines) on the ledger.
//
// A kernel system is three policies:
//   a machine factory  hardware_config -> machine (sim/kernel_machines.hpp): which devices, where
//                      the buffers live, how a kernel on a role becomes commands;
//   a kernel mapper    which role (matrix unit, vector unit, in memory, memory compute) each kernel
//                      of a step takes, from the machine's estimates (map/kernel_mapper.hpp);
//   a buffer mapper    where the logical buffers live, re-planned every `remap_every` decode steps
//                      as the KV cache grows (map/kernel_memory_mapper.hpp); no_buffer_remapping
//                      for machines whose placement is fixed.
// One run: place the buffers (a model that does not fit is reported unsupported, naming sizes);
// an initial buffer plan applied before the run (loading the model, not charged); the prefill
// step (batch x input_len tokens, "summarization"); then output_len decode steps ("generation"),
// each: re-plan buffers when due and charge the migrations on the machine's link, grow every KV
// cache by one token per sequence (a buffer past its memory's capacity is an invariant
// violation: the planner must leave headroom), build the step's kernels (layer/decoder_kernels),
// map them, lower them to commands and schedule those on the ledger (sim/command_scheduler.hpp),
// which keeps unit order, issue and pending queues and PIM access scheduling. A step starts when
// the previous one ends (the next token needs this one's output).
//
// A kernel's latency is the end of its last command minus the end of the previous kernel's last
// command: the kernels of a step are a chain, so the latencies of a step add up to its time
// (less the migrations the step waited for first); sim_result::decode_kernel_seconds sums them
// per kernel kind over the decode, and breakdown.cold_link has the migrations' link time.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/kernel.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/layer/decoder_kernels.hpp"
#include "hermes/map/kernel_mapper.hpp"
#include "hermes/map/kernel_memory_mapper.hpp"
#include "hermes/map/logical_buffers.hpp"
#include "hermes/sim/command_scheduler.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/kernel_machines.hpp"
#include "hermes/sim/result.hpp"

namespace hermes {

struct kernel_run_options {
  bool keep_intervals = false;  // keep every command's interval in the ledger (tests, traces)
  command_scheduler_options scheduler{};
};

template <class MachineFactory, class Mapper, class Remapper>
struct kernel_system {
  std::string name;
  MachineFactory machine;  // hardware_config -> machine
  Mapper mapper;
  Remapper remapper;
  std::size_t remap_every = 1;  // decode steps between buffer plans
};

template <class MachineFactory, class Mapper, class Remapper = no_buffer_remapping>
  requires kernel_mapper<Mapper> && buffer_mapper<Remapper>
[[nodiscard]] auto make_kernel_system(std::string name, MachineFactory machine, Mapper mapper,
                                      Remapper remapper = {}, std::size_t remap_every = 1) {
  if (remap_every == 0) throw invalid_parameter("kernel_system.remap_every", "0", "at least 1 decode step");
  return kernel_system<MachineFactory, Mapper, Remapper>{std::move(name), std::move(machine), std::move(mapper),
                                                         std::move(remapper), remap_every};
}

// A run's result and its ledger (tests read the command intervals from it).
struct kernel_run {
  sim_result result;
  ledger timeline;
  std::size_t commands = 0;        // commands scheduled over the run
  std::size_t initial_moves = 0;   // buffers the initial plan placed off their first memory (not charged)
  bytes initially_placed{};        // their bytes
  std::size_t buffer_moves = 0;    // buffer migrations over the decode
  bytes migrated{};                // their bytes
  seconds migration_seconds{};     // decode time spent waiting for them (not in any kernel's latency)
  double peak_used_fraction = 0.0; // the fullest memory's used / capacity over every step
};

namespace detail {

// What the kernels of one step ask of each buffer: bytes read, FLOPs, growth per decode step.
inline void buffer_demands(std::span<const kernel> ks, const buffer_table& t, bytes kv_growth_per_layer,
                           std::vector<buffer_demand>& out) {
  out.assign(t.buffers(), buffer_demand{});
  for (buffer_id b = 0; b < t.buffers(); ++b) out[b].buffer = b;
  for (const kernel& k : ks) {
    const buffer_id b = is_weight_kind(k.kind) ? k.weights
                        : (is_attention_kind(k.kind) || k.kind == kernel_kind::kv_append) ? k.kv
                                                                                         : no_buffer;
    if (b == no_buffer || b >= out.size()) continue;
    out[b].traffic_per_step += bytes(k.operand_bytes());
    out[b].work_per_step += flops(k.flop_count());
    if (k.kind == kernel_kind::kv_append) out[b].growth_per_step = kv_growth_per_layer;
  }
  std::erase_if(out, [](const buffer_demand& d) { return d.traffic_per_step <= bytes{} && d.growth_per_step <= bytes{}; });
}

inline double fullest(const buffer_table& t) {
  double f = 0.0;
  for (memory_id m = 0; m < t.memories(); ++m)
    if (t.capacity(m) > bytes{}) f = std::max(f, t.used(m).value() / t.capacity(m).value());
  return f;
}

}  // namespace detail

template <class MachineFactory, class Mapper, class Remapper>
[[nodiscard]] kernel_run simulate_kernel_system(const kernel_system<MachineFactory, Mapper, Remapper>& s,
                                                const workload_config& w, const hardware_config& h,
                                                const kernel_run_options& o = {}) {
  w.validate();
  h.validate();
  o.scheduler.validate();
  if (w.mode == execution_mode::math)
    throw invalid_parameter("workload.mode", "math",
                            "timing_only: " + s.name + " is a kernel-level system that accounts time only");
  const auto host_start = std::chrono::steady_clock::now();
  kernel_run run;
  sim_result& r = run.result;
  r.model = w.model.name;
  r.system = s.name;
  r.batch = w.batch;
  r.input_len = w.input_len;
  r.output_len = w.output_len;

  auto machine = s.machine(h);
  r.gpu = machine.compute_name();
  r.hardware = machine.inventory();
  buffer_table table;
  decoder_buffers buffers;
  const kernel_run_shape shape{w.model, w.batch, w.input_len + w.output_len};
  if (auto why = machine.place(shape, table, buffers)) {
    r.supported = false;
    r.reason = s.name + ": " + *why;
    return run;
  }
  ledger& L = run.timeline;
  L.keep_intervals(o.keep_intervals);
  machine.attach(L);

  const kernel_estimate estimate = [&](const kernel& k, target_role role, const kernel* previous) {
    return machine.estimate(k, role, previous, table);
  };
  const bytes kv_token_per_layer(2.0 * static_cast<double>(w.model.kv_dim()) * w.model.bytes_per_param *
                                 static_cast<double>(w.batch));
  const auto grow_kv = [&](std::size_t tokens) {
    for (const layer_buffers& lb : buffers.layers) {
      try {
        table.grow(lb.kv, kv_token_per_layer * static_cast<double>(tokens));
      } catch (const resource_limit& e) {
        throw invariant_violation(std::string("the KV cache outgrew its memory: ") + e.what(),
                                  s.name + " (buffer mapper " + std::string(s.remapper.name()) + ")");
      }
    }
    run.peak_used_fraction = std::max(run.peak_used_fraction, detail::fullest(table));
  };

  command_scheduler scheduler(o.scheduler);
  command_graph g;
  std::vector<kernel> ks;
  std::vector<target_role> roles;
  std::vector<std::uint32_t> last;
  std::vector<buffer_demand> demands;
  schedule_result sr;
  std::array<seconds, kernel_kind_count> per_kind{};
  seconds attention_time{}, mlp_time{}, migration_time{};

  // One step: returns its finish. `measure`: add the kernel latencies to the decode figures.
  // `built`: `ks` already holds this step's kernels (a re-plan built them for its demands; kernels
  // name buffers by id, so the moves and the KV growth since leave them valid).
  const auto step = [&](const decoder_step& st, decode_phase phase, seconds not_before, std::uint32_t after,
                        bool measure, bool built) {
    if (!built) decoder_kernels(w.model, st, buffers, ks);
    roles = s.mapper.assign(std::span<const kernel>(ks), phase, estimate);
    if (roles.size() != ks.size())
      throw invariant_violation("kernel mapper " + std::string(s.mapper.name()) + " returned " +
                                    std::to_string(roles.size()) + " roles for " + std::to_string(ks.size()) +
                                    " kernels",
                                s.name);
    machine.lower(std::span<const kernel>(ks), std::span<const target_role>(roles), table, g, last, after);
    scheduler.run(g, L, not_before, sr);
    run.commands += g.size();
    if (measure) {
      // Migrations planned before the step run first (the step's first kernel waits for them):
      // their time is the step's migration time, not its first kernel's.
      seconds prev_end = not_before;
      if (after != decltype(machine)::no_command) {
        migration_time += sr.end[after] - not_before;
        prev_end = sr.end[after];
      }
      bool in_attention = true;
      std::size_t layer = 0;
      for (std::size_t i = 0; i < ks.size(); ++i) {
        const seconds end = sr.end[last[i]];
        const seconds latency = end - prev_end;
        per_kind[static_cast<std::size_t>(ks[i].kind)] += latency;
        if (ks[i].layer != layer) {
          layer = ks[i].layer;
          in_attention = true;
        }
        if (ks[i].kind != kernel_kind::lm_head && i + 2 < ks.size()) (in_attention ? attention_time : mlp_time) += latency;
        if (ks[i].kind == kernel_kind::residual) in_attention = !in_attention;
        prev_end = end;
      }
    }
    g.clear();
    return sr.finish;
  };

  // The prompts' K and V (written by the prefill step) are there before the initial plan places
  // the buffers; then the initial plan, for the decode's demands: loading the model in place
  // costs nothing here.
  grow_kv(w.input_len);
  {
    decoder_kernels(w.model, decoder_step{w.batch, 1, w.input_len}, buffers, ks);
    detail::buffer_demands(ks, table, kv_token_per_layer, demands);
    for (const buffer_move& m : s.remapper.plan(std::span<const buffer_demand>(demands), table,
                                                machine.remap_rates(w.output_len, s.remap_every))) {
      run.initially_placed += table.move(m.buffer, m.to);
      ++run.initial_moves;
    }
  }

  const seconds prefill = step(decoder_step{w.batch, w.input_len, 0}, decode_phase::summarization, seconds{},
                               decltype(machine)::no_command, false, false);

  seconds t = prefill;
  for (std::size_t tok = 0; tok < w.output_len; ++tok) {
    std::uint32_t after = decltype(machine)::no_command;
    const bool replan = tok > 0 && tok % s.remap_every == 0;
    if (replan) {
      decoder_kernels(w.model, decoder_step{w.batch, 1, w.input_len + tok}, buffers, ks);
      detail::buffer_demands(ks, table, kv_token_per_layer, demands);
      const std::vector<buffer_move> moves = s.remapper.plan(
          std::span<const buffer_demand>(demands), table,
          machine.remap_rates(w.output_len - tok, std::min(s.remap_every, w.output_len - tok)));
      if (!moves.empty()) {
        for (const buffer_move& m : moves) {
          run.migrated += table.move(m.buffer, m.to);
          ++run.buffer_moves;
        }
        after = machine.lower_moves(std::span<const buffer_move>(moves), g);
        run.peak_used_fraction = std::max(run.peak_used_fraction, detail::fullest(table));
      }
    }
    grow_kv(1);
    t = step(decoder_step{w.batch, 1, w.input_len + tok}, decode_phase::generation, t, after, true, replan);
  }

  const seconds decode = t - prefill;
  r.seconds_prefill = prefill;
  r.seconds_decode = decode;
  r.breakdown.prefill = prefill;
  const double generated = static_cast<double>(w.batch * w.output_len);
  r.decode_tokens_per_second = generated / decode.value();
  r.end_to_end_tokens_per_second = generated / t.value();
  r.attention_latency_per_token = attention_time / static_cast<double>(w.output_len);
  r.mlp_latency_per_token = mlp_time / static_cast<double>(w.output_len);
  r.has_kernel_times = true;
  run.migration_seconds = migration_time;
  for (std::size_t k = 0; k < kernel_kind_count; ++k) r.decode_kernel_seconds[k] = per_kind[k].value();
  read_breakdown(L, r.breakdown);
  record_energy(r, L);
  if (!machine.energy_modelled()) r.energy = energy_report{};  // measured = false: not every part has an energy model
  r.host_seconds_simulation =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - host_start).count();
  return run;
}

// The result only (what the registry runs).
template <class MachineFactory, class Mapper, class Remapper>
[[nodiscard]] sim_result run_kernel_system(const kernel_system<MachineFactory, Mapper, Remapper>& s,
                                           const workload_config& w, const hardware_config& h) {
  return simulate_kernel_system(s, w, h).result;
}

}  // namespace hermes
