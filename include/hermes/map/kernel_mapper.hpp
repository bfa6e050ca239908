#pragma once
// Kernel mappers: which unit of a kernel-level machine (IANUS, H2M2) runs each kernel of a
// decoder step (layer/decoder_kernels.hpp builds the list, core/kernel.hpp defines a kernel).
//
// A machine offers four roles; it decides what each means and may leave some out:
//   matrix          a matrix unit on data fetched from memory (IANUS: the NPU's MU, weights by DMA)
//   vector          a vector unit (IANUS: the NPU's VU: norms, softmax, residuals, activations)
//   in_memory       compute inside the memory holding the operands (IANUS: the PIM's GEMV)
//   memory_compute  the compute attached to a second memory (H2M2: the capacity-centric side)
// A mapper returns one role per kernel, in the kernels' order. It may ask the machine what a
// kernel would cost on a role through a kernel_estimate: seconds for kernel k on `role`, given
// the kernel that runs just before it (`previous`, nullptr for the first), since a machine's
// cost can depend on its predecessor (IANUS's MU time earns a weight-prefetch credit when the
// previous command is a VU op: that formula is the machine's, the mapper only passes `previous`).
//
// Two mappers come with the library:
//   fixed_fc_mapper     every FC and the lm_head on one role (all-FC-on-MU / all-FC-on-PIM, the
//                       IANUS ablation baselines), the rest fixed (table below).
//   pim_offload_mapper  IANUS Algorithm 1: each FC and the lm_head in memory iff the machine
//                       estimates it faster there than on the matrix unit; the attention
//                       products by the same comparison; a GELU follows its FC1 into memory.
//
//   kernel             fixed_fc_mapper                       pim_offload_mapper
//   fc, lm_head        fc_role                               in_memory iff estimate(in_memory) <
//                                                            estimate(matrix), else matrix
//   activation with    in_memory iff the FC just before it   the same
//   follows_fc         went in_memory, else vector
//   attention_score,   matrix                                the faster of matrix and in_memory
//   attention_context                                        (matrix on a tie)
//   norm, softmax,     vector                                vector
//   residual, other
//   activations
//   kv_append          matrix (the machine writes it by DMA) matrix
//
// The phase (summarization = prefill, generation = decode) is passed to every mapper; neither
// library mapper consults it: in prefill the machine's estimate of n tokens on the PIM (n x one
// GEMV) is what sends the FCs to the MU, as in the paper.
//
// A mapper of your own is any type with `name()` and `assign(kernels, phase, estimate)`:
//
//   // Attention in memory, everything else as the MU/VU would run it.
//   struct attention_in_memory_mapper {
//     std::string_view name() const { return "attention-in-memory"; }
//     std::vector<hermes::target_role> assign(std::span<const hermes::kernel> ks, hermes::decode_phase,
//                                             const hermes::kernel_estimate&) const {
//       std::vector<hermes::target_role> r;
//       for (const auto& k : ks)
//         r.push_back(k.kind == hermes::kernel_kind::attention_score ||
//                             k.kind == hermes::kernel_kind::attention_context
//                         ? hermes::target_role::in_memory
//                         : hermes::fixed_fc_mapper::fixed_role(k));
//       return r;
//     }
//   };
//   static_assert(hermes::check_kernel_mapper<attention_in_memory_mapper>());
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/kernel.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

enum class target_role : std::uint8_t { matrix, vector, in_memory, memory_compute };

inline constexpr std::size_t target_role_count = 4;

[[nodiscard]] constexpr std::string_view to_string(target_role r) {
  switch (r) {
    case target_role::matrix: return "matrix";
    case target_role::vector: return "vector";
    case target_role::in_memory: return "in_memory";
    case target_role::memory_compute: return "memory_compute";
  }
  return "unknown";
}

// A machine's estimate of kernel k on `role`, given the kernel that runs before it (nullptr for
// the first kernel of the list).
using kernel_estimate = std::function<seconds(const kernel& k, target_role role, const kernel* previous)>;

template <class M>
concept kernel_mapper = requires(const M& m, std::span<const kernel> ks, decode_phase p, const kernel_estimate& e) {
  { m.assign(ks, p, e) } -> std::same_as<std::vector<target_role>>;
  { m.name() } -> std::convertible_to<std::string_view>;
};

namespace detail {
template <class M>
concept has_kernel_assign = requires(const M& m, std::span<const kernel> ks, decode_phase p, const kernel_estimate& e) {
  { m.assign(ks, p, e) } -> std::same_as<std::vector<target_role>>;
};
template <class M>
concept has_kernel_mapper_name = requires(const M& m) {
  { m.name() } -> std::convertible_to<std::string_view>;
};

// The estimate of k on `role`, checked: a machine's estimate must be a finite time >= 0 (a NaN
// would silently lose every comparison).
[[nodiscard]] inline seconds checked_estimate(const kernel_estimate& e, const kernel& k, target_role role,
                                              const kernel* previous, std::string_view mapper) {
  // +infinity is a machine's way of saying "cannot run there" (no PIM, buffer not in a PIM
  // memory): allowed, never chosen; NaN or a negative time is a bug of the estimate.
  const seconds t = e(k, role, previous);
  if (std::isnan(t.value()) || t.value() < 0.0)
    throw invariant_violation("the estimate of a " + std::string(to_string(k.kind)) + " kernel (layer " +
                                  std::to_string(k.layer) + ") on " + std::string(to_string(role)) + " is " +
                                  to_text(t.value()) + " s, not a time >= 0 (or +infinity: cannot run there)",
                              mapper);
  return t;
}

inline void require_estimate(const kernel_estimate& e, std::string_view mapper) {
  if (!e) throw invalid_parameter(std::string(mapper) + ": kernel_estimate", "empty", "a callable estimate");
}
}  // namespace detail

// Call as `static_assert(check_kernel_mapper<MyMapper>())`: a type that misses a member fails
// with a message naming that member.
template <class M>
consteval bool check_kernel_mapper() {
  static_assert(detail::has_kernel_assign<M>,
                "a kernel mapper needs `std::vector<hermes::target_role> assign(std::span<const "
                "hermes::kernel>, hermes::decode_phase, const hermes::kernel_estimate&) const`, one "
                "role per kernel");
  static_assert(detail::has_kernel_mapper_name<M>,
                "a kernel mapper needs `name() const` returning something convertible to std::string_view");
  return kernel_mapper<M>;
}

// Every FC and the lm_head on fc_role; the other kernels on their fixed units (table above),
// except, with attention_by_estimate, QK^T and SV: matrix or in memory by the machine's estimate
// as Algorithm 1 places them, so that a comparison with Algorithm 1 differs in the FCs alone.
struct fixed_fc_mapper {
  target_role fc_role = target_role::matrix;
  bool attention_by_estimate = false;

  [[nodiscard]] std::string_view name() const {
    switch (fc_role) {
      case target_role::matrix: return "fixed-fc-matrix";
      case target_role::vector: return "fixed-fc-vector";
      case target_role::in_memory: return "fixed-fc-in-memory";
      case target_role::memory_compute: return "fixed-fc-memory-compute";
    }
    return "fixed-fc";
  }

  // The role of a kernel that no estimate decides: attention and kv_append on the matrix unit,
  // the vector kernels on the vector unit (an FC's role is the mapper's choice; here: matrix).
  [[nodiscard]] static target_role fixed_role(const kernel& k) {
    switch (k.kind) {
      case kernel_kind::fc:
      case kernel_kind::lm_head:
      case kernel_kind::attention_score:
      case kernel_kind::attention_context:
      case kernel_kind::kv_append: return target_role::matrix;
      case kernel_kind::softmax:
      case kernel_kind::norm:
      case kernel_kind::activation:
      case kernel_kind::residual: return target_role::vector;
    }
    return target_role::vector;
  }

  [[nodiscard]] std::vector<target_role> assign(std::span<const kernel> ks, decode_phase /*phase*/,
                                                const kernel_estimate& estimate) const {
    if (attention_by_estimate) detail::require_estimate(estimate, name());
    std::vector<target_role> r;
    r.reserve(ks.size());
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const kernel& k = ks[i];
      if (k.kind == kernel_kind::fc || k.kind == kernel_kind::lm_head) {
        r.push_back(fc_role);
      } else if (attention_by_estimate &&
                 (k.kind == kernel_kind::attention_score || k.kind == kernel_kind::attention_context)) {
        const kernel* previous = i > 0 ? &ks[i - 1] : nullptr;
        const seconds pim = detail::checked_estimate(estimate, k, target_role::in_memory, previous, name());
        const seconds mu = detail::checked_estimate(estimate, k, target_role::matrix, previous, name());
        r.push_back(pim < mu ? target_role::in_memory : target_role::matrix);
      } else if (k.kind == kernel_kind::activation && k.follows_fc && i > 0 && ks[i - 1].kind == kernel_kind::fc &&
               r[i - 1] == target_role::in_memory) {
        r.push_back(target_role::in_memory);
      } else {
        r.push_back(fixed_role(k));
      }
    }
    return r;
  }
};

// IANUS Algorithm 1 (Seo et al., ASPLOS 2024): FCs, the lm_head and the attention products go
// in memory iff the machine estimates them faster there than on the matrix unit (ties stay on
// the matrix unit); a follows_fc activation joins its FC in memory; the rest is fixed.
struct pim_offload_mapper {
  [[nodiscard]] std::string_view name() const { return "pim-offload"; }

  [[nodiscard]] std::vector<target_role> assign(std::span<const kernel> ks, decode_phase /*phase*/,
                                                const kernel_estimate& estimate) const {
    detail::require_estimate(estimate, name());
    std::vector<target_role> r;
    r.reserve(ks.size());
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const kernel& k = ks[i];
      const kernel* previous = i > 0 ? &ks[i - 1] : nullptr;
      switch (k.kind) {
        case kernel_kind::fc:
        case kernel_kind::lm_head:
        case kernel_kind::attention_score:
        case kernel_kind::attention_context: {
          const seconds pim = detail::checked_estimate(estimate, k, target_role::in_memory, previous, name());
          const seconds mu = detail::checked_estimate(estimate, k, target_role::matrix, previous, name());
          if (std::isinf(pim.value()) && std::isinf(mu.value()))
            throw invariant_violation("a " + std::string(to_string(k.kind)) + " kernel (layer " + std::to_string(k.layer) +
                                          ") can run neither on the matrix unit nor in memory (both estimates infinite)",
                                      name());
          r.push_back(pim < mu ? target_role::in_memory : target_role::matrix);
          break;
        }
        case kernel_kind::activation:
          r.push_back(k.follows_fc && previous != nullptr && previous->kind == kernel_kind::fc &&
                              r[i - 1] == target_role::in_memory
                          ? target_role::in_memory
                          : target_role::vector);
          break;
        default: r.push_back(fixed_fc_mapper::fixed_role(k)); break;
      }
    }
    return r;
  }
};

// Every kernel on memory_compute: machines whose compute sits at each memory (H2M2's nodes, a
// GPU) run a kernel where its buffer lives, so the only decision is the buffer placement
// (map/kernel_memory_mapper.hpp).
struct memory_compute_mapper {
  [[nodiscard]] std::string_view name() const { return "memory-compute"; }
  [[nodiscard]] std::vector<target_role> assign(std::span<const kernel> ks, decode_phase /*phase*/,
                                                const kernel_estimate& /*estimate*/) const {
    return std::vector<target_role>(ks.size(), target_role::memory_compute);
  }
};

static_assert(check_kernel_mapper<fixed_fc_mapper>());
static_assert(check_kernel_mapper<pim_offload_mapper>());
static_assert(check_kernel_mapper<memory_compute_mapper>());

}  // namespace hermes
