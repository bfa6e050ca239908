#pragma once
// Machines of the kernel engine (sim/kernel_engine.hpp): how a kernel, once a mapper gave it a
// target role, becomes commands on ledger resources. A machine is a composition of device
// policies; no machine knows a system's name.
//
// npu_machine: an NPU (matrix unit MU, vector unit VU, DMA engines) in front of one or two
// memories, each plain GDDR6 or PIM-enabled GDDR6 (device/pim.hpp). Three layouts express
// IANUS and its baselines:
//   plain        one plain memory (NPU-MEM): every FC on the MU, weights by DMA;
//   unified      one PIM memory holding every weight once (IANUS): DMA reads and PIM GEMVs share
//                it, so PIM access scheduling keeps them apart (sim/command_scheduler.hpp);
//   partitioned  half the channels plain, half PIM: the FC weights live in both (the MU reads its
//                copy by DMA, the PIM computes on its own), the KV cache and embeddings in the
//                plain memory.
// Lowering, per kernel and role:
//   fc / lm_head on matrix: the weight matrix in tiles of npu::weight_tile_bytes() (half of every
//       core's weight scratch-pad: double buffering); tile j is one DMA (a normal access to the
//       memory holding the weights) followed by one MU command; DMA tile j waits for MU tile j-2
//       of the same step (its scratch-pad half is free then), so weights of later kernels are
//       prefetched while earlier ones compute, unless a PIM macro blocks the memory.
//   fc / lm_head in_memory: one PIM macro (pim_memory::gemv: n tokens x PIM(rows, cols)).
//   activation in_memory (GELU fused after an FC on the PIM): one PIM command.
//   attention on matrix: one DMA of the cached K (or V) of the layer, then one MU command;
//       in_memory: one PIM command costed as heads x sequences GEMV macros back to back (K rows x
//       head_dim columns for QK^T, head_dim rows x context columns for SV).
//   kv_append: one DMA of the new K and V (a normal access; the DRAM model has no writes, so a
//       write costs a read of the same size: docs/parameters.md).
//   norm, softmax, residual, activation on vector: one VU command.
// Every command depends on the previous kernel's last command (a decoder step is a chain).
//
// node_machine<Node>: compute attached to each memory (H2M2's memory nodes, or one GPU): a kernel
// runs on the node holding its buffer (weights, or the KV cache for attention); a kernel without
// a buffer runs where the previous one ran. Activations crossing nodes and buffer migrations are
// commands on the node link ("node_link", stages "activations" and "migration").
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/kernel.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/model_shape.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/device/memory_node.hpp"
#include "hermes/device/npu.hpp"
#include "hermes/device/pim.hpp"
#include "hermes/layer/decoder_kernels.hpp"
#include "hermes/map/kernel_mapper.hpp"
#include "hermes/map/kernel_memory_mapper.hpp"
#include "hermes/map/logical_buffers.hpp"
#include "hermes/sim/command_scheduler.hpp"
#include "hermes/sim/result.hpp"

namespace hermes {

// What a machine needs to know of the run to place its buffers.
struct kernel_run_shape {
  model_shape model;
  std::size_t batch = 1;
  std::size_t max_tokens = 1;  // input_len + output_len: the KV cache's full length
};

namespace detail {

[[nodiscard]] inline bool is_vector_kind(kernel_kind k) {
  return k == kernel_kind::norm || k == kernel_kind::softmax || k == kernel_kind::residual ||
         k == kernel_kind::activation;
}
// Every DRAM counter times n (n whole: a cost repeated n times).
[[nodiscard]] inline dram_counters scaled_counters(dram_counters d, double n) {
  const auto x = [n](std::uint64_t v) { return static_cast<std::uint64_t>(static_cast<double>(v) * n); };
  d.activates = x(d.activates);
  d.precharges = x(d.precharges);
  d.reads = x(d.reads);
  d.writes = x(d.writes);
  d.row_hits = x(d.row_hits);
  d.row_misses = x(d.row_misses);
  d.row_conflicts = x(d.row_conflicts);
  d.refreshes = x(d.refreshes);
  return d;
}

[[nodiscard]] inline bool is_weight_kind(kernel_kind k) { return k == kernel_kind::fc || k == kernel_kind::lm_head; }
[[nodiscard]] inline bool is_attention_kind(kernel_kind k) {
  return k == kernel_kind::attention_score || k == kernel_kind::attention_context;
}

// Bytes of one layer's KV cache at full length for the whole batch.
[[nodiscard]] inline bytes layer_kv_bytes(const kernel_run_shape& s) {
  return bytes(2.0 * static_cast<double>(s.model.kv_dim()) * s.model.bytes_per_param *
               static_cast<double>(s.batch * s.max_tokens));
}

// Creates the weight and KV buffers of a decoder in `t`: the layers' weights (qkv, wo, fc1, fc2)
// in `weights_home`, the LM head in `lm_head_home`, the KV caches in `kv_home`, empty: they grow
// by one token per sequence as tokens are cached (the engine grows them; a machine checks the
// full length when it places the model).
inline decoder_buffers make_decoder_buffers(const kernel_run_shape& s, buffer_table& t, memory_id weights_home,
                                            memory_id lm_head_home, memory_id kv_home) {
  const model_shape& m = s.model;
  const double b = m.bytes_per_param, h = static_cast<double>(m.hidden);
  decoder_buffers d;
  d.layers.resize(m.layers);
  for (std::size_t l = 0; l < m.layers; ++l) {
    const std::string p = "layer " + std::to_string(l) + " ";
    layer_buffers& lb = d.layers[l];
    lb.qkv = t.create(p + "qkv", bytes(static_cast<double>(m.hidden + 2 * m.kv_dim()) * h * b), weights_home);
    lb.wo = t.create(p + "wo", bytes(h * h * b), weights_home);
    lb.fc1 = t.create(p + "fc1", bytes(static_cast<double>((m.gated() ? 2 : 1) * m.ffn) * h * b), weights_home);
    lb.fc2 = t.create(p + "fc2", bytes(static_cast<double>(m.ffn) * h * b), weights_home);
    lb.kv = t.create(p + "kv", bytes{}, kv_home);
  }
  d.lm_head = t.create("lm_head", bytes(static_cast<double>(m.vocab) * h * b), lm_head_home);
  return d;
}

}  // namespace detail

// ------------------------------------------------------------------------------------------------
// NPU + (PIM) memory machines (IANUS, NPU-MEM, the partitioned system).

enum class npu_memory_layout { plain, unified, partitioned };

[[nodiscard]] constexpr std::string_view to_string(npu_memory_layout l) {
  switch (l) {
    case npu_memory_layout::plain: return "plain";
    case npu_memory_layout::unified: return "unified";
    case npu_memory_layout::partitioned: return "partitioned";
  }
  return "unknown";
}

class npu_machine {
 public:
  // `dram` describes the plain memory of the plain and partitioned layouts, `pim` the PIM memory
  // of the unified and partitioned ones (the partitioned machine's configs are already halved by
  // the caller: system/kernel_family.hpp).
  npu_machine(npu_config npu_cfg, npu_memory_layout layout, std::optional<dram_config> dram,
              std::optional<pim_config> pim)
      : npu_(std::move(npu_cfg)), layout_(layout) {
    if (layout != npu_memory_layout::unified) {
      if (!dram) throw invalid_parameter("npu_machine.dram", "none", "a plain memory for the " +
                                                                       std::string(to_string(layout)) + " layout");
      plain_.emplace(std::move(*dram));
    }
    if (layout != npu_memory_layout::plain) {
      if (!pim) throw invalid_parameter("npu_machine.pim", "none", "a PIM memory for the " +
                                                                     std::string(to_string(layout)) + " layout");
      pim_.emplace(std::move(*pim));
    }
  }

  [[nodiscard]] npu_memory_layout layout() const { return layout_; }
  [[nodiscard]] const npu& processor() const { return npu_; }
  [[nodiscard]] bool has_pim() const { return pim_.has_value(); }
  [[nodiscard]] const pim_memory& pim() const { return *pim_; }

  // Memory ids in the buffer table and the command scheduler: the plain memory (if any) first.
  [[nodiscard]] memory_id plain_memory() const { return 0; }
  [[nodiscard]] memory_id pim_memory_id() const { return layout_ == npu_memory_layout::partitioned ? 1 : 0; }

  // Registers the machine's memories in `t` and creates the decoder's buffers; returns why the
  // model does not fit (naming sizes and capacities), or nothing.
  [[nodiscard]] std::optional<std::string> place(const kernel_run_shape& s, buffer_table& t, decoder_buffers& d) {
    const bytes kv_full = detail::layer_kv_bytes(s) * static_cast<double>(s.model.layers);
    const auto fits = [&](std::string_view memory, bytes capacity, bytes weights, bytes kv) -> std::optional<std::string> {
      if (weights + kv <= capacity) return std::nullopt;
      return s.model.name + " needs " + gigabytes(weights) + " of weights" +
             (kv > bytes{} ? " and " + gigabytes(kv) + " of KV cache (batch " + std::to_string(s.batch) + ", " +
                                 std::to_string(s.max_tokens) + " tokens)"
                           : std::string()) +
             " in the " + std::string(memory) + ", which holds " + gigabytes(capacity);
    };
    const bytes all_weights = weights_of(s.model, true);
    const bytes fc_weights = weights_of(s.model, false);
    switch (layout_) {
      case npu_memory_layout::plain: {
        if (auto why = fits(plain_->name(), plain_->capacity(), all_weights, kv_full)) return why;
        t.add_memory(std::string(plain_->name()), plain_->capacity());
        d = detail::make_decoder_buffers(s, t, 0, 0, 0);
        break;
      }
      case npu_memory_layout::unified: {
        if (auto why = fits(pim_->name(), pim_->capacity(), all_weights, kv_full)) return why;
        t.add_memory(std::string(pim_->name()), pim_->capacity());
        d = detail::make_decoder_buffers(s, t, 0, 0, 0);
        break;
      }
      case npu_memory_layout::partitioned: {
        // The plain memory holds every weight (the MU's copy, LM head included) and the KV cache;
        // the PIM memory a second copy of the FC weights.
        if (auto why = fits("PIM memory " + std::string(pim_->name()) + " (its copy of the FC weights)",
                            pim_->capacity(), fc_weights, bytes{}))
          return why;
        if (auto why = fits("plain memory " + std::string(plain_->name()), plain_->capacity(), all_weights, kv_full))
          return why;
        t.add_memory(std::string(plain_->name()), plain_->capacity());
        t.add_memory(std::string(pim_->name()), pim_->capacity());
        // The LM head (the tied embedding) is not an FC of a layer: the partitioned system keeps
        // it in the plain memory only (docs/parameters.md, "IANUS: NPU and PIM").
        d = detail::make_decoder_buffers(s, t, 1, 0, 0);
        replica_.assign(t.buffers(), false);
        for (buffer_id b = 0; b < t.buffers(); ++b)
          if (t.home(b) == 1) {
            replica_[b] = true;
            t.create(std::string(t.name(b)) + " (MU copy)", t.size(b), 0);
          }
        replica_.resize(t.buffers(), false);
        break;
      }
    }
    return std::nullopt;
  }

  // Ledger resources: the MU and VU ("npu_mu", "npu_vu"), one DMA engine per memory ("dma_plain",
  // "dma_pim") and the PIM memory's processing units ("pim_compute").
  void attach(ledger& l) {
    dma_.clear();
    mu_ = l.add_resource("npu_mu", resource_kind::compute);
    vu_ = l.add_resource("npu_vu", resource_kind::compute);
    if (plain_) dma_.push_back(l.add_resource("dma_plain", resource_kind::memory));
    if (pim_) {
      dma_.push_back(l.add_resource("dma_pim", resource_kind::memory));
      pim_unit_ = l.add_resource("pim_compute", resource_kind::near_memory);
    }
  }

  // The machine's estimate of kernel `k` on `role` given the kernel before it: what the mappers
  // compare. The MU estimate of an FC is IANUS' Algorithm 1 formula over this machine's tiles:
  //   (mu_tile + w_load) + (tiles - 1) x max(w_load, mu_tile) - t_prefetch,
  // with a prefetch credit only when the previous kernel is a VU operation (the first tile's
  // weights stream in while the VU works): the part of one tile's load that the VU operation's
  // own time can hide; the PIM estimate is n x PIM(rows, cols).
  [[nodiscard]] seconds estimate(const kernel& k, target_role role, const kernel* previous,
                                 const buffer_table& t) const {
    constexpr double never = std::numeric_limits<double>::infinity();
    if (role == target_role::in_memory && !readable_by_pim(k, t)) return seconds(never);
    if (detail::is_weight_kind(k.kind)) {
      if (role == target_role::in_memory) return pim_gemv(k.rows, k.cols, k.tokens).time;
      if (role != target_role::matrix) return seconds(never);
      const fc_tiles tiles = tiles_of(k);
      const seconds w_load = dma(memory_of_weights(k, t), tiles.tile_bytes).time;
      const seconds mu_tile = npu_.matmul(k.tokens, tiles.rows_per_tile, k.cols).time;
      // t_prefetch: the part of the first tile's load hidden behind the previous VU operation
      // (at most the load itself, at most that operation's own time).
      const bool after_vu = previous != nullptr && detail::is_vector_kind(previous->kind) && !previous->follows_fc;
      const seconds prefetch =
          after_vu ? min(w_load, npu_.vector_op(previous->tokens * previous->elements, previous->flops_per_element).time)
                   : seconds{};
      return (mu_tile + w_load) + max(w_load, mu_tile) * static_cast<double>(tiles.count - 1) - prefetch;
    }
    if (detail::is_attention_kind(k.kind)) {
      if (role == target_role::in_memory) return attention_pim(k).time;
      if (role == target_role::matrix) return dma(memory_of_kv(k, t), bytes(k.operand_bytes())).time + attention_mu(k).time;
      return seconds(never);
    }
    if (k.kind == kernel_kind::activation && role == target_role::in_memory)
      return pim_->gemv_activation(k.elements, k.tokens).time;
    if (k.kind == kernel_kind::kv_append) return dma(memory_of_kv(k, t), bytes(k.operand_bytes())).time;
    if (role == target_role::vector) return npu_.vector_op(k.tokens * k.elements, k.flops_per_element).time;
    return seconds(never);
  }

  // Appends the commands of `kernels` (roles from the mapper) to `g`; last[i] = the index of
  // kernel i's last command. `after` is a command every first command depends on (a migration),
  // or no_command.
  void lower(std::span<const kernel> kernels, std::span<const target_role> roles, const buffer_table& t,
             command_graph& g, std::vector<std::uint32_t>& last, std::uint32_t after = no_command) {
    last.assign(kernels.size(), 0);
    mu_tiles_.clear();
    std::uint32_t prev = after;
    // (by reference: the span points at the caller's variable)
    const auto deps1 = [](const std::uint32_t& a) {
      return a == no_command ? std::span<const std::uint32_t>{} : std::span<const std::uint32_t>(&a, 1);
    };
    for (std::size_t i = 0; i < kernels.size(); ++i) {
      const kernel& k = kernels[i];
      const target_role role = roles[i];
      std::uint32_t end = prev;
      const auto fail = [&](std::string_view why) {
        throw invalid_parameter("kernel mapper role of " + std::string(to_string(k.kind)) + " (layer " +
                                    std::to_string(k.layer) + ")",
                                std::string(to_string(role)), std::string(why));
      };
      if (detail::is_weight_kind(k.kind)) {
        if (role == target_role::in_memory) {
          if (!readable_by_pim(k, t)) fail("matrix: its weights are not in a PIM memory");
          end = g.add(pim_unit_, pim_gemv(k.rows, k.cols, k.tokens), "pim_fc", deps1(prev), pim_memory_id(),
                      memory_access::in_memory);
        } else if (role == target_role::matrix) {
          const fc_tiles tiles = tiles_of(k);
          const memory_id mem = memory_of_weights(k, t);
          std::size_t rows_left = k.rows;
          for (std::size_t j = 0; j < tiles.count; ++j) {
            const std::size_t r = std::min(tiles.rows_per_tile, rows_left);
            rows_left -= r;
            const bytes tile_bytes(static_cast<double>(r) * static_cast<double>(k.cols) * k.bytes_per_element);
            std::uint32_t d_deps[1];
            std::size_t nd = 0;
            if (mu_tiles_.size() >= 2) d_deps[nd++] = mu_tiles_[mu_tiles_.size() - 2];
            const std::uint32_t load = g.add(dma_[mem], dma(mem, tile_bytes), "dma_weights",
                                             std::span<const std::uint32_t>(d_deps, nd), mem, memory_access::normal);
            std::uint32_t m_deps[2] = {load, prev};
            const std::uint32_t mu = g.add(mu_, npu_.matmul(k.tokens, r, k.cols), "mu_fc",
                                           std::span<const std::uint32_t>(m_deps, prev == no_command ? 1 : 2));
            mu_tiles_.push_back(mu);
            end = mu;
          }
        } else {
          fail("matrix or in_memory");
        }
      } else if (detail::is_attention_kind(k.kind)) {
        if (role == target_role::in_memory) {
          if (!readable_by_pim(k, t)) fail("matrix: the KV cache is not in a PIM memory");
          end = g.add(pim_unit_, attention_pim(k), "pim_attention", deps1(prev), pim_memory_id(),
                      memory_access::in_memory);
        } else if (role == target_role::matrix) {
          const memory_id mem = memory_of_kv(k, t);
          const std::uint32_t load = g.add(dma_[mem], dma(mem, bytes(k.operand_bytes())), "dma_kv", std::span<const std::uint32_t>{}, mem,
                                           memory_access::normal);
          std::uint32_t m_deps[2] = {load, prev};
          end = g.add(mu_, attention_mu(k), "mu_attention",
                      std::span<const std::uint32_t>(m_deps, prev == no_command ? 1 : 2));
        } else {
          fail("matrix or in_memory");
        }
      } else if (k.kind == kernel_kind::kv_append) {
        const memory_id mem = memory_of_kv(k, t);
        end = g.add(dma_[mem], dma(mem, bytes(k.operand_bytes())), "dma_kv_append", deps1(prev), mem,
                    memory_access::normal);
      } else if (k.kind == kernel_kind::activation && role == target_role::in_memory) {
        if (!has_pim()) fail("vector: this machine has no PIM");
        end = g.add(pim_unit_, pim_->gemv_activation(k.elements, k.tokens), "pim_activation", deps1(prev),
                    pim_memory_id(), memory_access::in_memory);
      } else if (role == target_role::vector) {
        end = g.add(vu_, npu_.vector_op(k.tokens * k.elements, k.flops_per_element), "vu", deps1(prev));
      } else {
        fail("vector");
      }
      last[i] = end;
      prev = end;
    }
  }

  // What sim_result::gpu names and what the price table is asked for (no market prices: an NPU
  // and PIM memory are research hardware).
  [[nodiscard]] std::string compute_name() const { return std::string(npu_.name()); }
  [[nodiscard]] hardware_inventory inventory() const {
    hardware_inventory i;
    i.unpriced_parts.push_back("NPU " + std::string(npu_.name()));
    if (plain_) i.unpriced_parts.push_back("GDDR6 memory " + std::string(plain_->name()));
    if (pim_) i.unpriced_parts.push_back("PIM memory " + std::string(pim_->name()));
    return i;
  }

  // Whether every part's energy is modelled: the NPU has no energy model (the spec gives none),
  // so a run reports no energy rather than the memories' share as if it were the whole.
  [[nodiscard]] bool energy_modelled() const { return false; }

  // The NPU machines place every buffer once (place()): nothing to remap.
  [[nodiscard]] remap_context remap_rates(std::size_t steps_left, std::size_t steps_until_next_plan) const {
    remap_context c;
    c.steps_left = steps_left;
    c.steps_until_next_plan = steps_until_next_plan;
    return c;
  }
  [[nodiscard]] std::uint32_t lower_moves(std::span<const buffer_move> moves, command_graph&) {
    if (!moves.empty())
      throw invariant_violation("an NPU machine's buffers never move, but a remapping policy planned " +
                                    std::to_string(moves.size()) + " moves",
                                "npu_machine::lower_moves");
    return no_command;
  }

  static constexpr std::uint32_t no_command = std::numeric_limits<std::uint32_t>::max();

 private:
  struct fc_tiles {
    std::size_t count = 1;
    std::size_t rows_per_tile = 1;
    bytes tile_bytes{};
  };

  [[nodiscard]] static bytes weights_of(const model_shape& m, bool with_lm_head) {
    const double h = static_cast<double>(m.hidden), b = m.bytes_per_param;
    const double per_layer = (static_cast<double>(m.hidden + 2 * m.kv_dim()) * h + h * h +
                              static_cast<double>((m.gated() ? 3 : 2) * m.ffn) * h) * b;
    return bytes(per_layer * static_cast<double>(m.layers) +
                 (with_lm_head ? static_cast<double>(m.vocab) * h * b : 0.0));
  }

  // An FC's weight tiles: as many rows as one scratch-pad half of every core holds.
  [[nodiscard]] fc_tiles tiles_of(const kernel& k) const {
    fc_tiles f;
    const double row_bytes = static_cast<double>(k.cols) * k.bytes_per_element;
    const auto rows_fit = static_cast<std::size_t>(npu_.weight_tile_bytes().value() / row_bytes);
    f.rows_per_tile = std::max<std::size_t>(1, std::min(rows_fit, k.rows));
    f.count = (k.rows + f.rows_per_tile - 1) / f.rows_per_tile;
    f.tile_bytes = bytes(static_cast<double>(f.rows_per_tile) * row_bytes);
    return f;
  }

  [[nodiscard]] bool readable_by_pim(const kernel& k, const buffer_table& t) const {
    if (!pim_) return false;
    const buffer_id b = detail::is_weight_kind(k.kind) ? k.weights : k.kv;
    if (k.kind == kernel_kind::activation) return true;
    return b != no_buffer && t.home(b) == pim_memory_id();
  }
  // The memory an MU load of this kernel's weights reads: the MU copy when there is one.
  [[nodiscard]] memory_id memory_of_weights(const kernel& k, const buffer_table& t) const {
    if (k.weights >= replica_.size() || !replica_[k.weights]) return t.home(k.weights);
    return plain_memory();
  }
  [[nodiscard]] memory_id memory_of_kv(const kernel& k, const buffer_table& t) const { return t.home(k.kv); }

  [[nodiscard]] device_cost dma(memory_id m, bytes size) const {
    if (layout_ == npu_memory_layout::unified || (layout_ == npu_memory_layout::partitioned && m == 1))
      return pim_->read(size);
    return plain_->read(size);
  }

  [[nodiscard]] device_cost pim_gemv(std::size_t rows, std::size_t cols, std::size_t tokens) const {
    const auto key = std::make_tuple(rows, cols, tokens);
    if (auto it = pim_memo_.find(key); it != pim_memo_.end()) return it->second;
    const device_cost c = pim_->gemv(rows, cols, tokens);
    pim_memo_.emplace(key, c);
    return c;
  }

  // Per-sequence attention: each sequence's new tokens against its own cache.
  [[nodiscard]] device_cost attention_mu(const kernel& k) const {
    const std::size_t per_seq = std::max<std::size_t>(1, k.tokens / std::max<std::size_t>(1, k.sequences));
    const std::size_t ctx = std::max<std::size_t>(1, k.context);
    device_cost one = k.kind == kernel_kind::attention_score ? npu_.matmul(per_seq, ctx * k.heads, k.head_dim)
                                                             : npu_.matmul(per_seq, k.head_dim * k.heads, ctx);
    return scaled(one, static_cast<double>(k.sequences));
  }
  [[nodiscard]] device_cost attention_pim(const kernel& k) const {
    const std::size_t per_seq = std::max<std::size_t>(1, k.tokens / std::max<std::size_t>(1, k.sequences));
    const std::size_t ctx = std::max<std::size_t>(1, k.context);
    const device_cost one = k.kind == kernel_kind::attention_score ? pim_gemv(ctx, k.head_dim, per_seq)
                                                                   : pim_gemv(k.head_dim, ctx, per_seq);
    return scaled(one, static_cast<double>(k.heads * k.sequences));
  }
  [[nodiscard]] static device_cost scaled(device_cost c, double n) {
    c.time = c.time * n;
    c.bytes_moved = c.bytes_moved * n;
    c.flops_done = c.flops_done * n;
    c.energy = c.energy * n;
    c.dram = detail::scaled_counters(c.dram, n);
    return c;
  }

  npu npu_;
  npu_memory_layout layout_;
  std::optional<gddr6_memory> plain_;
  std::optional<pim_memory> pim_;
  std::vector<bool> replica_;
  ledger::resource_id mu_ = 0, vu_ = 0, pim_unit_ = 0;
  std::vector<ledger::resource_id> dma_;  // by memory id
  std::vector<std::uint32_t> mu_tiles_;
  mutable std::map<std::tuple<std::size_t, std::size_t, std::size_t>, device_cost> pim_memo_;
};

// ------------------------------------------------------------------------------------------------
// Compute-at-memory node machines (H2M2, a single GPU).

// What a kernel costs on a node: a roofline over the bytes it reads and writes and its FLOPs.
[[nodiscard]] inline bytes kernel_activation_bytes(const kernel& k) {
  const double n = static_cast<double>(k.tokens), b = k.bytes_per_element;
  switch (k.kind) {
    case kernel_kind::fc:
    case kernel_kind::lm_head: return bytes(n * static_cast<double>(k.rows + k.cols) * b);
    case kernel_kind::attention_score:
    case kernel_kind::attention_context:
      return bytes(n * static_cast<double>(k.heads * (k.head_dim + k.context)) * b);
    case kernel_kind::kv_append: return bytes{};
    default: return bytes{};  // vector kernels: operand_bytes already counts their input and output
  }
}
[[nodiscard]] inline device_cost node_kernel_cost(const memory_node& node, const kernel& k) {
  return node.run(bytes(k.operand_bytes()) + kernel_activation_bytes(k), flops(k.flop_count()));
}
[[nodiscard]] inline device_cost node_kernel_cost(const gpu& g, const kernel& k) {
  const std::size_t per_seq = std::max<std::size_t>(1, k.tokens / std::max<std::size_t>(1, k.sequences));
  const std::size_t ctx = std::max<std::size_t>(1, k.context);
  switch (k.kind) {
    case kernel_kind::fc:
    case kernel_kind::lm_head: return g.matmul(k.tokens, k.rows, k.cols, k.bytes_per_element);
    case kernel_kind::attention_score:
    case kernel_kind::attention_context: {
      // The queries of a KV head's group against that head's cached K (or V): the cache is read
      // once (kv_heads heads), the FLOPs are every query head's.
      const std::size_t kv = std::max<std::size_t>(1, k.kv_heads);
      const std::size_t queries = per_seq * std::max<std::size_t>(1, k.heads / kv);
      device_cost c = k.kind == kernel_kind::attention_score
                          ? g.matmul(queries, ctx * kv, k.head_dim, k.bytes_per_element)
                          : g.matmul(queries, k.head_dim * kv, ctx, k.bytes_per_element);
      const double n = static_cast<double>(k.sequences);
      c.time = c.time * n;
      c.bytes_moved = c.bytes_moved * n;
      c.flops_done = c.flops_done * n;
      c.energy = c.energy * n;
      c.dram = detail::scaled_counters(c.dram, n);
      return c;
    }
    case kernel_kind::kv_append:
      return g.vector_op(vector_work{static_cast<std::size_t>(k.operand_bytes() / k.bytes_per_element / 2.0), 0.0,
                                     k.bytes_per_element});
    default:
      return g.vector_op(vector_work{k.tokens * k.elements, k.flops_per_element, k.bytes_per_element});
  }
}
[[nodiscard]] inline bandwidth node_bandwidth(const memory_node& n) { return n.effective_bandwidth(); }
[[nodiscard]] inline flop_rate node_compute(const memory_node& n) { return n.effective_peak(); }
[[nodiscard]] inline bandwidth node_bandwidth(const gpu& g) { return g.effective_bandwidth(row_access::contiguous); }
[[nodiscard]] inline flop_rate node_compute(const gpu& g) { return g.effective_peak(2.0); }

// What the price table is asked for: GPUs (and their host) have prices, memory nodes do not.
[[nodiscard]] inline hardware_inventory node_inventory(const std::vector<gpu>& nodes) {
  hardware_inventory i;
  i.gpu_model = std::string(nodes.front().name());
  i.gpus = nodes.size();
  i.hosts = 1;
  return i;
}
[[nodiscard]] inline hardware_inventory node_inventory(const std::vector<memory_node>& nodes) {
  hardware_inventory i;
  for (const memory_node& x : nodes) i.unpriced_parts.push_back("memory node " + std::string(x.name()));
  return i;
}

[[nodiscard]] inline bool node_energy_modelled(const std::vector<gpu>&) { return true; }
[[nodiscard]] inline bool node_energy_modelled(const std::vector<memory_node>&) { return false; }

template <class Node>
class node_machine {
 public:
  // Nodes in order of preference for the initial placement: the last one is the capacity node
  // every buffer starts in (the only one when there is one node).
  node_machine(std::vector<Node> nodes, link_config node_link)
      : nodes_(std::move(nodes)), link_(std::move(node_link)) {
    if (nodes_.empty()) throw invalid_parameter("node_machine.nodes", "0", "at least one memory node");
  }

  [[nodiscard]] const std::vector<Node>& nodes() const { return nodes_; }
  [[nodiscard]] memory_id capacity_node() const { return static_cast<memory_id>(nodes_.size() - 1); }

  // Every buffer starts in the capacity node; a remapping policy moves them (sim/kernel_engine.hpp).
  [[nodiscard]] std::optional<std::string> place(const kernel_run_shape& s, buffer_table& t, decoder_buffers& d) {
    const Node& home = nodes_.back();
    const bytes kv_full = detail::layer_kv_bytes(s) * static_cast<double>(s.model.layers);
    bytes total_capacity{};
    for (const Node& n : nodes_) total_capacity += n.capacity();
    const bytes weights = s.model.weight_bytes();
    if (weights + kv_full > total_capacity || weights > home.capacity())
      return s.model.name + " needs " + gigabytes(weights) + " of weights and " + gigabytes(kv_full) +
             " of KV cache (batch " + std::to_string(s.batch) + ", " + std::to_string(s.max_tokens) +
             " tokens); " + std::string(home.name()) + " holds " + gigabytes(home.capacity()) +
             (nodes_.size() > 1 ? ", all nodes " + gigabytes(total_capacity) : std::string());
    for (const Node& n : nodes_) t.add_memory(std::string(n.name()), n.capacity());
    d = detail::make_decoder_buffers(s, t, capacity_node(), capacity_node(), capacity_node());
    return std::nullopt;
  }

  void attach(ledger& l) {
    node_ids_.clear();
    for (const Node& n : nodes_) {
      node_ids_.push_back(l.add_resource("node_" + std::string(n.name()), device_traits<Node>::kind));
      // A node that knows its idle power (a GPU) draws it over the whole run (device/energy.hpp).
      if constexpr (requires { n.static_power(); }) l.set_static_power(node_ids_.back(), n.static_power());
    }
    link_id_ = l.add_resource("node_link", resource_kind::link);
  }

  [[nodiscard]] std::string compute_name() const {
    std::string n;
    for (const Node& x : nodes_) n += (n.empty() ? "" : " + ") + std::string(x.name());
    return n;
  }
  [[nodiscard]] hardware_inventory inventory() const { return node_inventory(nodes_); }
  // A GPU has a power model (device/energy.hpp); a memory node has none.
  [[nodiscard]] bool energy_modelled() const { return node_energy_modelled(nodes_); }

  [[nodiscard]] remap_context remap_rates(std::size_t steps_left, std::size_t steps_until_next_plan) const {
    remap_context c;
    for (const Node& n : nodes_) c.nodes.push_back(node_rates{node_bandwidth(n), node_compute(n)});
    c.link = link_.config().bandwidth;
    c.steps_left = steps_left;
    c.steps_until_next_plan = steps_until_next_plan;
    return c;
  }

  [[nodiscard]] seconds estimate(const kernel& k, target_role, const kernel*, const buffer_table& t) const {
    return node_kernel_cost(nodes_[node_of(k, t, capacity_node())], k).time;
  }

  // Migrations: one link command per move (the first kernel of the step waits for all of them).
  [[nodiscard]] std::uint32_t lower_moves(std::span<const buffer_move> moves, command_graph& g) {
    std::uint32_t last = no_command;
    for (const buffer_move& m : moves) {
      std::uint32_t deps[1] = {last};
      last = g.add(link_id_, link_.transfer(m.size), "migration",
                   std::span<const std::uint32_t>(deps, last == no_command ? 0 : 1));
    }
    return last;
  }

  void lower(std::span<const kernel> kernels, std::span<const target_role>, const buffer_table& t, command_graph& g,
             std::vector<std::uint32_t>& last, std::uint32_t after = no_command) {
    last.assign(kernels.size(), 0);
    std::uint32_t prev = after;
    memory_id where = capacity_node();
    double produced = 0.0;  // bytes of the last kernel's output (kv_append passes QKV's through)
    for (std::size_t i = 0; i < kernels.size(); ++i) {
      const kernel& k = kernels[i];
      const memory_id node = node_of(k, t, where);
      if (node != where && i > 0) {
        // the previous kernel's output crosses to this node
        std::uint32_t deps[1] = {prev};
        prev = g.add(link_id_, link_.transfer(bytes(produced)), "activations",
                     std::span<const std::uint32_t>(deps, prev == no_command ? 0 : 1));
      }
      if (k.kind != kernel_kind::kv_append) produced = output_bytes(k);
      std::uint32_t deps[1] = {prev};
      prev = g.add(node_ids_[node], node_kernel_cost(nodes_[node], k), stage_of(k),
                   std::span<const std::uint32_t>(deps, prev == no_command ? 0 : 1));
      last[i] = prev;
      where = node;
    }
  }

  static constexpr std::uint32_t no_command = std::numeric_limits<std::uint32_t>::max();

 private:
  [[nodiscard]] static memory_id node_of(const kernel& k, const buffer_table& t, memory_id previous) {
    const buffer_id b = detail::is_weight_kind(k.kind) ? k.weights
                        : (detail::is_attention_kind(k.kind) || k.kind == kernel_kind::kv_append) ? k.kv
                                                                                                   : no_buffer;
    return b == no_buffer ? previous : t.home(b);
  }
  [[nodiscard]] static double output_bytes(const kernel& k) {
    const double n = static_cast<double>(k.tokens) * k.bytes_per_element;
    switch (k.kind) {
      case kernel_kind::fc:
      case kernel_kind::lm_head: return n * static_cast<double>(k.rows);
      case kernel_kind::attention_score: return n * static_cast<double>(k.heads * k.context);
      case kernel_kind::attention_context: return n * static_cast<double>(k.heads * k.head_dim);
      default: return n * static_cast<double>(k.elements);
    }
  }
  [[nodiscard]] static std::string_view stage_of(const kernel& k) {
    if (detail::is_weight_kind(k.kind)) return "fc";
    if (detail::is_attention_kind(k.kind) || k.kind == kernel_kind::kv_append) return "attention";
    return "vector";
  }

  std::vector<Node> nodes_;
  link link_;
  std::vector<ledger::resource_id> node_ids_;
  ledger::resource_id link_id_ = 0;
};

}  // namespace hermes
