// The kernels of one decoder step (layer/decoder_kernels.hpp): their count, order, shapes,
// tokens and contexts, and that their weight bytes and FLOPs add up to the model's parameters.
#include <catch2/catch.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/layer/decoder_kernels.hpp"
#include "hermes/model/presets.hpp"

using namespace hermes;

namespace {

decoder_buffers numbered_buffers(const model_shape& m) {
  decoder_buffers b;
  buffer_id next = 0;
  for (std::size_t l = 0; l < m.layers; ++l) {
    layer_buffers lb;
    lb.qkv = next++;
    lb.wo = next++;
    lb.fc1 = next++;
    lb.fc2 = next++;
    lb.kv = next++;
    b.layers.push_back(lb);
  }
  b.lm_head = next;
  return b;
}

bool is_weight_kernel(const kernel& k) { return k.kind == kernel_kind::fc || k.kind == kernel_kind::lm_head; }

}  // namespace

TEST_CASE("decoder kernels: GPT2-M has layers x 13 + 2 kernels in program order", "[layer][kernels]") {
  const model_shape m = model_presets::gpt2_medium();
  const auto ks = decoder_kernels(m, decoder_step{}, numbered_buffers(m));
  REQUIRE(ks.size() == m.layers * kernels_per_layer + kernels_after_layers);
  REQUIRE(ks.size() == 24 * 13 + 2);
  const std::vector<kernel_kind> layer_order = {
      kernel_kind::norm,      kernel_kind::fc,       kernel_kind::kv_append, kernel_kind::attention_score,
      kernel_kind::softmax,   kernel_kind::attention_context, kernel_kind::fc, kernel_kind::residual,
      kernel_kind::norm,      kernel_kind::fc,       kernel_kind::activation, kernel_kind::fc,
      kernel_kind::residual};
  for (std::size_t l = 0; l < m.layers; ++l)
    for (std::size_t i = 0; i < kernels_per_layer; ++i) {
      const kernel& k = ks[l * kernels_per_layer + i];
      INFO("layer " << l << " kernel " << i);
      CHECK(k.kind == layer_order[i]);
      CHECK(k.layer == l);
      CHECK(k.bytes_per_element == m.bytes_per_param);
    }
  const kernel& final_norm = ks[ks.size() - 2];
  const kernel& head = ks.back();
  CHECK(final_norm.kind == kernel_kind::norm);
  CHECK(final_norm.layer == m.layers);
  CHECK(head.kind == kernel_kind::lm_head);
  CHECK(head.rows == m.vocab);
  CHECK(head.cols == m.hidden);
  CHECK(head.weights == buffer_id{24 * 5});

  // Layer 3's shapes and buffers.
  const kernel* l3 = &ks[3 * kernels_per_layer];
  CHECK(l3[0].elements == 1024);
  CHECK(l3[0].flops_per_element == kernel_flops::layer_norm);
  CHECK(l3[1].rows == 3 * 1024);
  CHECK(l3[1].cols == 1024);
  CHECK(l3[1].weights == buffer_id{15});
  CHECK(l3[2].kv == buffer_id{19});
  CHECK(l3[3].heads == 16);
  CHECK(l3[3].kv_heads == 16);
  CHECK(l3[3].head_dim == 64);
  CHECK(l3[3].kv == buffer_id{19});
  CHECK(l3[5].kv == buffer_id{19});
  CHECK(l3[6].rows == 1024);
  CHECK(l3[6].cols == 1024);
  CHECK(l3[6].weights == buffer_id{16});
  CHECK(l3[9].rows == 4096);
  CHECK(l3[9].cols == 1024);
  CHECK(l3[9].weights == buffer_id{17});
  CHECK(l3[10].elements == 4096);
  CHECK(l3[10].follows_fc);
  CHECK(l3[10].flops_per_element == kernel_flops::gelu_tanh);
  CHECK(l3[11].rows == 1024);
  CHECK(l3[11].cols == 4096);
  CHECK(l3[11].weights == buffer_id{18});
  for (std::size_t i = 0; i < kernels_per_layer; ++i) CHECK(l3[i].follows_fc == (i == 10));
}

TEST_CASE("decoder kernels: GPT2-M weight bytes and FC FLOPs add up to the model's parameters", "[layer][kernels]") {
  const model_shape m = model_presets::gpt2_medium();
  const auto ks = decoder_kernels(m, decoder_step{}, numbered_buffers(m));
  double weight_bytes = 0.0, fc_flops = 0.0;
  for (const kernel& k : ks)
    if (is_weight_kernel(k)) {
      weight_bytes += k.operand_bytes();
      fc_flops += k.flop_count();
    }
  // GPT-2's LM head is the (tied) token embedding: every parameter is read once per step. The
  // model's count has no biases and no position embedding (1024 x 1024), so it matches exactly.
  CHECK(weight_bytes == Approx(m.params() * 2.0).epsilon(1e-12));
  CHECK(weight_bytes == Approx(m.weight_bytes().value()).epsilon(1e-12));
  // One token: two FLOPs per weight.
  CHECK(fc_flops == Approx(2.0 * m.params()).epsilon(1e-12));
  // About 355 M parameters (24 x 12.6 M + 51.5 M embedding).
  CHECK(m.params() == Approx(353.5e6).epsilon(0.01));

  // An untied model's embedding is not read by any kernel: the difference is vocab x hidden.
  const model_shape llama = model_presets::llama2_70b();
  const auto lk = decoder_kernels(llama, decoder_step{}, numbered_buffers(llama));
  double llama_bytes = 0.0;
  for (const kernel& k : lk)
    if (is_weight_kernel(k)) llama_bytes += k.operand_bytes();
  CHECK(llama.params() * 2.0 - llama_bytes == Approx(2.0 * 32000.0 * 8192.0).epsilon(1e-9));
}

TEST_CASE("decoder kernels: tokens and context of a prefill and a decode step", "[layer][kernels]") {
  const model_shape m = model_presets::gpt2_medium();
  const auto b = numbered_buffers(m);

  SECTION("prefill: 1 sequence, 128 new tokens, empty cache") {
    const auto ks = decoder_kernels(m, decoder_step{1, 128, 0}, b);
    for (std::size_t i = 0; i + kernels_after_layers < ks.size(); ++i) CHECK(ks[i].tokens == 128);
    const kernel* l0 = ks.data();
    CHECK(l0[2].context == 128);  // kv_append
    CHECK(l0[3].context == 128);
    CHECK(l0[3].sequences == 1);
    CHECK(l0[5].context == 128);
    CHECK(l0[4].elements == 16 * 128);  // softmax: heads x context per token
    // Attention counted over the whole context (the causal upper bound): 2 x 128 x 128 x 1024.
    CHECK(l0[3].flop_count() == Approx(2.0 * 128 * 128 * 1024));
    // K (or V) of 128 tokens read once.
    CHECK(l0[3].operand_bytes() == Approx(128.0 * 1024 * 2));
    // kv_append writes K and V of 128 tokens.
    CHECK(l0[2].operand_bytes() == Approx(2.0 * 128 * 1024 * 2));
    CHECK(ks[ks.size() - 2].tokens == 1);  // final norm: the last position only
    CHECK(ks.back().tokens == 1);
    // FC FLOPs: 128 tokens x 2 x weights.
    CHECK(l0[1].flop_count() == Approx(2.0 * 128 * 3 * 1024 * 1024));
  }
  SECTION("decode: 2 sequences, 1 new token each, 130 cached") {
    const auto ks = decoder_kernels(m, decoder_step{2, 1, 130}, b);
    for (std::size_t i = 0; i + kernels_after_layers < ks.size(); ++i) CHECK(ks[i].tokens == 2);
    const kernel* l5 = &ks[5 * kernels_per_layer];
    CHECK(l5[3].context == 131);
    CHECK(l5[3].sequences == 2);
    CHECK(l5[5].context == 131);
    CHECK(l5[5].sequences == 2);
    CHECK(l5[4].elements == 16 * 131);
    // Each sequence's cache is read once: 2 x 131 tokens x 1024 x 2 B.
    CHECK(l5[3].operand_bytes() == Approx(2.0 * 131 * 1024 * 2));
    CHECK(l5[3].flop_count() == Approx(2.0 * 2 * 131 * 1024));
    CHECK(ks[ks.size() - 2].tokens == 2);
    CHECK(ks.back().tokens == 2);
  }
  SECTION("the overload into a vector reuses it and gives the same list") {
    std::vector<kernel> out(5);
    decoder_kernels(m, decoder_step{2, 1, 130}, b, out);
    const auto fresh = decoder_kernels(m, decoder_step{2, 1, 130}, b);
    REQUIRE(out.size() == fresh.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      CHECK(out[i].kind == fresh[i].kind);
      CHECK(out[i].tokens == fresh[i].tokens);
      CHECK(out[i].context == fresh[i].context);
      CHECK(out[i].weights == fresh[i].weights);
    }
    const kernel* storage = out.data();
    decoder_kernels(m, decoder_step{2, 1, 131}, b, out);
    CHECK(out.data() == storage);
    CHECK(out[3].context == 132);
  }
}

TEST_CASE("decoder kernels: LLaMA2-70B's gated FFN and grouped-query attention", "[layer][kernels]") {
  const model_shape m = model_presets::llama2_70b();
  const auto ks = decoder_kernels(m, decoder_step{1, 1, 10}, numbered_buffers(m));
  const kernel* l0 = ks.data();
  CHECK(l0[0].flops_per_element == kernel_flops::rms_norm);
  CHECK(l0[1].rows == 8192 + 2 * 1024);  // Q + K + V with 8 KV heads of 128
  CHECK(l0[3].heads == 64);
  CHECK(l0[3].kv_heads == 8);
  CHECK(l0[3].head_dim == 128);
  CHECK(l0[9].rows == 2 * 28672);  // gate and up
  CHECK(l0[9].cols == 8192);
  CHECK(l0[10].elements == 28672);
  CHECK(l0[10].flops_per_element == kernel_flops::relu_glu);
  CHECK(l0[11].rows == 8192);
  CHECK(l0[11].cols == 28672);
  // Per layer the FCs hold exactly the model's layer parameters.
  double layer_weights = 0.0;
  for (std::size_t i = 0; i < kernels_per_layer; ++i)
    if (is_weight_kernel(l0[i])) layer_weights += static_cast<double>(l0[i].rows * l0[i].cols);
  CHECK(layer_weights == m.params_per_layer());
}

TEST_CASE("decoder kernels: bad inputs throw invalid_parameter naming the field", "[layer][kernels][errors]") {
  const model_shape m = model_presets::gpt2_medium();
  const auto b = numbered_buffers(m);
  const auto field_of = [&](const model_shape& shape, decoder_step s, const decoder_buffers& buffers) {
    try {
      (void)decoder_kernels(shape, s, buffers);
    } catch (const invalid_parameter& e) {
      return e.field();
    }
    return std::string("no error");
  };
  CHECK(field_of(m, decoder_step{0, 1, 0}, b) == "decoder_step.sequences");
  CHECK(field_of(m, decoder_step{1, 0, 0}, b) == "decoder_step.new_tokens");
  decoder_buffers short_buffers = b;
  short_buffers.layers.pop_back();
  CHECK(field_of(m, decoder_step{}, short_buffers) == "decoder_buffers.layers");
  CHECK(field_of(m, decoder_step{1, 1, 1023}, b) == "no error");  // exactly n_ctx = 1024
  CHECK(field_of(m, decoder_step{1, 1, 1024}, b) == "decoder_step.context");
  CHECK(field_of(m, decoder_step{1, 2, std::numeric_limits<std::size_t>::max()}, b) ==
        "decoder_step: context + new_tokens");
  model_shape no_heads = m;
  no_heads.heads = 0;
  CHECK(field_of(no_heads, decoder_step{}, b) == "model.heads");
  model_shape unlimited = m;
  unlimited.max_context = 0;  // no context limit
  CHECK(field_of(unlimited, decoder_step{1, 1, 5000}, b) == "no error");
  CHECK_THROWS_WITH(decoder_kernels(m, decoder_step{1, 1, 1024}, b),
                    Catch::Contains("1024 cached + 1 new tokens") && Catch::Contains("max_context = 1024"));
}
