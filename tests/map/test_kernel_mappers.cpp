// Kernel mappers (map/kernel_mapper.hpp) against stub estimates: IANUS Algorithm 1
// (pim_offload_mapper) picks the faster unit per FC and attention product, passes the previous
// kernel to the estimate, and sends a GELU to the PIM only with its FC1; the fixed mappers;
// the concept, with a user's mapper.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/layer/decoder_kernels.hpp"
#include "hermes/map/kernel_mapper.hpp"
#include "hermes/model/presets.hpp"

using namespace hermes;

namespace {

decoder_buffers no_buffers(const model_shape& m) {
  decoder_buffers b;
  b.layers.resize(m.layers);
  return b;
}

std::vector<kernel> gpt2_medium_decode() {
  const model_shape m = model_presets::gpt2_medium();
  return decoder_kernels(m, decoder_step{1, 1, 130}, no_buffers(m));
}

bool is_vector_kind(kernel_kind k) {
  return k == kernel_kind::norm || k == kernel_kind::softmax || k == kernel_kind::residual ||
         k == kernel_kind::activation;
}

// MU 10 us, PIM 8 us for every FC; attention: MU 1 us, PIM 2 us.
seconds stub_estimate(const kernel& k, target_role role, const kernel* /*previous*/) {
  const bool attention = k.kind == kernel_kind::attention_score || k.kind == kernel_kind::attention_context;
  if (attention) return seconds(role == target_role::in_memory ? 2e-6 : 1e-6);
  return seconds(role == target_role::in_memory ? 8e-6 : 10e-6);
}

// A user's mapper: attention in memory, the rest fixed.
struct attention_in_memory_mapper {
  std::string_view name() const { return "attention-in-memory"; }
  std::vector<target_role> assign(std::span<const kernel> ks, decode_phase, const kernel_estimate&) const {
    std::vector<target_role> r;
    for (const auto& k : ks)
      r.push_back(k.kind == kernel_kind::attention_score || k.kind == kernel_kind::attention_context
                      ? target_role::in_memory
                      : fixed_fc_mapper::fixed_role(k));
    return r;
  }
};

struct no_name_mapper {
  std::vector<target_role> assign(std::span<const kernel>, decode_phase, const kernel_estimate&) const { return {}; }
};
struct wrong_result_mapper {
  std::string_view name() const { return "wrong"; }
  std::vector<int> assign(std::span<const kernel>, decode_phase, const kernel_estimate&) const { return {}; }
};

}  // namespace

TEST_CASE("kernel mappers: the concept and the role names", "[map][kernels]") {
  STATIC_REQUIRE(kernel_mapper<fixed_fc_mapper>);
  STATIC_REQUIRE(kernel_mapper<pim_offload_mapper>);
  STATIC_REQUIRE(kernel_mapper<attention_in_memory_mapper>);
  STATIC_REQUIRE(check_kernel_mapper<attention_in_memory_mapper>());
  STATIC_REQUIRE_FALSE(kernel_mapper<no_name_mapper>);
  STATIC_REQUIRE_FALSE(kernel_mapper<wrong_result_mapper>);
  STATIC_REQUIRE_FALSE(kernel_mapper<int>);
  CHECK(to_string(target_role::matrix) == "matrix");
  CHECK(to_string(target_role::vector) == "vector");
  CHECK(to_string(target_role::in_memory) == "in_memory");
  CHECK(to_string(target_role::memory_compute) == "memory_compute");
  CHECK(pim_offload_mapper{}.name() == "pim-offload");
  CHECK(fixed_fc_mapper{}.name() == "fixed-fc-matrix");
  CHECK(fixed_fc_mapper{target_role::in_memory}.name() == "fixed-fc-in-memory");
}

TEST_CASE("pim_offload_mapper: MU 10 us vs PIM 8 us puts every FC in memory, GELU with FC1", "[map][kernels]") {
  const auto ks = gpt2_medium_decode();
  const auto r = pim_offload_mapper{}.assign(ks, decode_phase::generation, stub_estimate);
  REQUIRE(r.size() == ks.size());
  for (std::size_t i = 0; i < ks.size(); ++i) {
    INFO(i << ": " << to_string(ks[i].kind));
    switch (ks[i].kind) {
      case kernel_kind::fc:
      case kernel_kind::lm_head: CHECK(r[i] == target_role::in_memory); break;
      case kernel_kind::activation: CHECK(r[i] == target_role::in_memory); break;  // follows FC1
      case kernel_kind::attention_score:
      case kernel_kind::attention_context: CHECK(r[i] == target_role::matrix); break;  // MU 1 us < PIM 2 us
      case kernel_kind::kv_append: CHECK(r[i] == target_role::matrix); break;
      default: CHECK(r[i] == target_role::vector); break;
    }
  }
}

TEST_CASE("pim_offload_mapper: the estimate sees the previous kernel (MU prefetch credit after a VU op)",
          "[map][kernels]") {
  const auto ks = gpt2_medium_decode();
  // The MU earns a 3 us prefetch credit when the previous kernel is a VU op: MU 10 - 3 = 7 us
  // beats the PIM's 8 us after a norm or GELU (QKV, FC1, FC2, the lm_head); after attention (Wo)
  // the MU stays at 10 us and the PIM wins.
  std::vector<const kernel*> seen_previous;
  const kernel_estimate estimate = [&](const kernel& k, target_role role, const kernel* previous) {
    if (k.kind == kernel_kind::attention_score || k.kind == kernel_kind::attention_context)
      return seconds(role == target_role::in_memory ? 2e-6 : 1e-6);
    seen_previous.push_back(previous);
    if (role == target_role::in_memory) return seconds(8e-6);
    const bool credit = previous != nullptr && is_vector_kind(previous->kind);
    return seconds(credit ? 7e-6 : 10e-6);
  };
  const auto r = pim_offload_mapper{}.assign(ks, decode_phase::generation, estimate);
  const target_role* l0 = r.data();
  CHECK(l0[1] == target_role::matrix);      // QKV after the norm
  CHECK(l0[6] == target_role::in_memory);   // Wo after attention_context
  CHECK(l0[9] == target_role::matrix);      // FC1 after the norm
  CHECK(l0[10] == target_role::vector);     // GELU: its FC1 went to the MU
  CHECK(l0[11] == target_role::matrix);     // FC2 after the GELU, a VU op there
  CHECK(r.back() == target_role::matrix);  // lm_head after the final norm
  // Every FC's estimate got the kernel just before it in the list.
  for (const kernel* p : seen_previous) REQUIRE(p != nullptr);
  CHECK(seen_previous.front() == &ks[0]);
}

TEST_CASE("pim_offload_mapper: a GELU follows FC1 only into memory", "[map][kernels]") {
  const auto ks = gpt2_medium_decode();
  // Only FC1 (rows 4096, cols 1024) is faster in memory.
  const kernel_estimate fc1_only = [](const kernel& k, target_role role, const kernel*) {
    const bool fc1 = k.kind == kernel_kind::fc && k.rows == 4096;
    if (role == target_role::in_memory) return seconds(fc1 ? 1e-6 : 20e-6);
    return seconds(10e-6);
  };
  const auto r = pim_offload_mapper{}.assign(ks, decode_phase::generation, fc1_only);
  for (std::size_t l = 0; l < 24; ++l) {
    const target_role* rl = &r[l * kernels_per_layer];
    CHECK(rl[1] == target_role::matrix);
    CHECK(rl[6] == target_role::matrix);
    CHECK(rl[9] == target_role::in_memory);
    CHECK(rl[10] == target_role::in_memory);  // GELU with its FC1
    CHECK(rl[11] == target_role::matrix);
  }
  // And the other way: FC1 on the MU keeps the GELU on the vector unit.
  const kernel_estimate all_mu = [](const kernel&, target_role role, const kernel*) {
    return seconds(role == target_role::in_memory ? 20e-6 : 10e-6);
  };
  const auto mu = pim_offload_mapper{}.assign(ks, decode_phase::summarization, all_mu);
  for (std::size_t i = 0; i < ks.size(); ++i) {
    if (ks[i].kind == kernel_kind::activation) CHECK(mu[i] == target_role::vector);
    if (ks[i].kind == kernel_kind::fc || ks[i].kind == kernel_kind::lm_head) CHECK(mu[i] == target_role::matrix);
  }
  // A non-following activation stays on the vector unit even after an FC in memory.
  std::vector<kernel> pair(2);
  pair[0].kind = kernel_kind::fc;
  pair[1].kind = kernel_kind::activation;
  pair[1].follows_fc = false;
  const auto rp = pim_offload_mapper{}.assign(pair, decode_phase::generation, stub_estimate);
  CHECK(rp[0] == target_role::in_memory);
  CHECK(rp[1] == target_role::vector);
}

TEST_CASE("pim_offload_mapper: attention by estimate, ties stay on the matrix unit", "[map][kernels]") {
  const auto ks = gpt2_medium_decode();
  const kernel_estimate score_in_memory = [](const kernel& k, target_role role, const kernel*) {
    if (k.kind == kernel_kind::attention_score) return seconds(role == target_role::in_memory ? 1e-6 : 2e-6);
    return seconds(5e-6);  // a tie for everything else
  };
  const auto r = pim_offload_mapper{}.assign(ks, decode_phase::generation, score_in_memory);
  for (std::size_t i = 0; i < ks.size(); ++i) {
    if (ks[i].kind == kernel_kind::attention_score) CHECK(r[i] == target_role::in_memory);
    if (ks[i].kind == kernel_kind::attention_context) CHECK(r[i] == target_role::matrix);
    if (ks[i].kind == kernel_kind::fc) CHECK(r[i] == target_role::matrix);
  }
}

TEST_CASE("pim_offload_mapper: an empty, NaN or negative estimate is refused; infinity means cannot run there", "[map][kernels][errors]") {
  const auto ks = gpt2_medium_decode();
  CHECK_THROWS_AS(pim_offload_mapper{}.assign(ks, decode_phase::generation, kernel_estimate{}), invalid_parameter);
  const kernel_estimate nan = [](const kernel&, target_role, const kernel*) { return seconds(std::nan("")); };
  CHECK_THROWS_AS(pim_offload_mapper{}.assign(ks, decode_phase::generation, nan), invariant_violation);
  const kernel_estimate negative = [](const kernel&, target_role, const kernel*) { return seconds(-1.0); };
  CHECK_THROWS_WITH(pim_offload_mapper{}.assign(ks, decode_phase::generation, negative),
                    Catch::Contains("fc kernel (layer 0)") && Catch::Contains("pim-offload"));
  CHECK(pim_offload_mapper{}.assign({}, decode_phase::generation, stub_estimate).empty());
  // +infinity means "cannot run there": never chosen; both infinite is an error.
  const kernel_estimate no_pim = [](const kernel&, target_role r, const kernel*) {
    return r == target_role::in_memory ? seconds(std::numeric_limits<double>::infinity()) : seconds(1.0);
  };
  for (const auto r : pim_offload_mapper{}.assign(ks, decode_phase::generation, no_pim))
    CHECK(r != target_role::in_memory);
  const kernel_estimate nowhere = [](const kernel&, target_role, const kernel*) {
    return seconds(std::numeric_limits<double>::infinity());
  };
  CHECK_THROWS_WITH(pim_offload_mapper{}.assign(ks, decode_phase::generation, nowhere), Catch::Contains("neither"));
}

TEST_CASE("fixed_fc_mapper: every FC on its role, both ways", "[map][kernels]") {
  const auto ks = gpt2_medium_decode();
  std::size_t estimates = 0;
  const kernel_estimate counting = [&](const kernel&, target_role, const kernel*) {
    ++estimates;
    return seconds(1.0);
  };
  const auto mu = fixed_fc_mapper{}.assign(ks, decode_phase::generation, counting);
  const auto pim = fixed_fc_mapper{target_role::in_memory}.assign(ks, decode_phase::generation, counting);
  CHECK(estimates == 0);  // fixed: never asks
  REQUIRE(mu.size() == ks.size());
  REQUIRE(pim.size() == ks.size());
  for (std::size_t i = 0; i < ks.size(); ++i) {
    INFO(i << ": " << to_string(ks[i].kind));
    switch (ks[i].kind) {
      case kernel_kind::fc:
      case kernel_kind::lm_head:
        CHECK(mu[i] == target_role::matrix);
        CHECK(pim[i] == target_role::in_memory);
        break;
      case kernel_kind::activation:
        CHECK(mu[i] == target_role::vector);
        CHECK(pim[i] == target_role::in_memory);
        break;
      case kernel_kind::attention_score:
      case kernel_kind::attention_context:
      case kernel_kind::kv_append:
        CHECK(mu[i] == target_role::matrix);
        CHECK(pim[i] == target_role::matrix);
        break;
      default:
        CHECK(mu[i] == target_role::vector);
        CHECK(pim[i] == target_role::vector);
        break;
    }
  }
  // The user's mapper from the header comment.
  const auto att = attention_in_memory_mapper{}.assign(ks, decode_phase::generation, counting);
  CHECK(att[3] == target_role::in_memory);
  CHECK(att[5] == target_role::in_memory);
  CHECK(att[1] == target_role::matrix);
  CHECK(att[10] == target_role::vector);
}

TEST_CASE("memory_compute_mapper puts every kernel on memory_compute") {
  const hermes::model_shape m = hermes::model_presets::gpt2_medium();
  hermes::decoder_buffers b;
  b.layers.resize(m.layers);
  const auto ks = hermes::decoder_kernels(m, hermes::decoder_step{1, 1, 10}, b);
  const hermes::kernel_estimate never = [](const hermes::kernel&, hermes::target_role, const hermes::kernel*) {
    FAIL("memory_compute_mapper asked for an estimate");
    return hermes::seconds{};
  };
  const auto roles = hermes::memory_compute_mapper{}.assign(ks, hermes::decode_phase::generation, never);
  REQUIRE(roles.size() == ks.size());
  for (const auto r : roles) CHECK(r == hermes::target_role::memory_compute);
  CHECK(hermes::memory_compute_mapper{}.name() == std::string_view("memory-compute"));
}

TEST_CASE("fixed_fc_mapper with attention_by_estimate: FCs fixed, attention as Algorithm 1 places it", "[map][kernels]") {
  const auto ks = gpt2_medium_decode();
  // In memory is faster for everything: Algorithm 1 would put attention there too.
  const kernel_estimate pim_fast = [](const kernel&, target_role r, const kernel*) {
    return seconds(r == target_role::in_memory ? 1.0 : 2.0);
  };
  const auto mu = fixed_fc_mapper{target_role::matrix, true}.assign(ks, decode_phase::generation, pim_fast);
  const auto alg1 = pim_offload_mapper{}.assign(ks, decode_phase::generation, pim_fast);
  for (std::size_t i = 0; i < ks.size(); ++i) {
    INFO(i << ": " << to_string(ks[i].kind));
    if (ks[i].kind == kernel_kind::fc || ks[i].kind == kernel_kind::lm_head) CHECK(mu[i] == target_role::matrix);
    else if (ks[i].kind == kernel_kind::attention_score || ks[i].kind == kernel_kind::attention_context)
      CHECK(mu[i] == alg1[i]);
  }
  const fixed_fc_mapper by_estimate{target_role::matrix, true};
  CHECK_THROWS_AS(by_estimate.assign(ks, decode_phase::generation, kernel_estimate{}), invalid_parameter);
}
