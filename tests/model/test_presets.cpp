#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <set>
#include <string>

#include "hermes/model/presets.hpp"

using namespace hermes;

TEST_CASE("model presets: parameter counts match the published sizes", "[model][presets]") {
  struct published {
    const char* name;
    double params;  // the size the model is published as
  };
  // OPT: Zhang et al. 2022 Table 1; LLaMA: Touvron et al. 2023 (6.7B, 13.0B); LLaMA2: 6.7B,
  // 13.0B, 69.0B (Touvron et al. 2023b); Falcon-40B; GPT-2 as counted by HuggingFace
  // (355M/774M/1.56B); GPT-3 175B.
  const published sizes[] = {
      {"OPT-13B", 13e9},      {"OPT-30B", 30e9},      {"OPT-66B", 66e9},
      {"LLaMA-7B", 6.7e9},    {"LLaMA-13B", 13.0e9},  {"LLaMA2-7B", 6.7e9},
      {"LLaMA2-13B", 13.0e9}, {"LLaMA2-70B", 69e9},   {"Falcon-40B", 40e9},
      {"GPT2-M", 355e6},      {"GPT2-L", 774e6},      {"GPT2-XL", 1.558e9},
      {"GPT2-2.5B", 2.5e9},   {"GPT3-175B", 175e9}};
  for (const auto& p : sizes) {
    CAPTURE(p.name);
    // Biases, norms and position embeddings are not counted: within a few percent.
    CHECK(find_model_preset(p.name).params() == Approx(p.params).epsilon(0.04));
  }
  // Hand-derived exact values of the shape formula:
  // LLaMA2-70B: 80 x (28672 x 3 x 8192 + 8192 x (8192 + 2 x 1024) + 8192^2) + 2 x 32000 x 8192.
  CHECK(model_presets::llama2_70b().params() ==
        80.0 * (28672.0 * 3 * 8192 + 8192.0 * (8192 + 2 * 1024) + 8192.0 * 8192) +
            2.0 * 32000 * 8192);
  // OPT-66B, tied head: 64 x (36864 x 2 x 9216 + 9216 x 3 x 9216 + 9216^2) + 50272 x 9216.
  CHECK(model_presets::opt_66b().params() ==
        64.0 * (36864.0 * 2 * 9216 + 9216.0 * 3 * 9216 + 9216.0 * 9216) + 50272.0 * 9216);
  // GPT2-2.5B (Megatron-LM 2.5B), tied head: 54 x 12 x 1920^2 + 50257 x 1920 = 2.485e9.
  CHECK(model_presets::gpt2_2_5b().params() == 54.0 * 12 * 1920.0 * 1920 + 50257.0 * 1920);
  CHECK(find_model_preset("gpt2-2.5b").layers == 54);
  CHECK(find_model_preset("GPT2-2.5B").heads == 20);
  // Chinchilla: 80 x 12 x 8192^2 + 2 x 32000 x 8192 = 64.9e9 (nominal 70B; see presets.hpp).
  CHECK(model_presets::chinchilla_70b().params() ==
        80.0 * 12 * 8192.0 * 8192 + 2.0 * 32000 * 8192);
}

TEST_CASE("model presets: stories260K matches the shipped checkpoint", "[model][presets]") {
  const model_shape s = model_presets::stories260k();
  std::ifstream in(std::string(HERMES_DATA_DIR) + "/stories260K/stories260K.bin",
                   std::ios::binary);
  REQUIRE(in);
  std::int32_t header[7] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  REQUIRE(in);
  CHECK(static_cast<std::size_t>(header[0]) == s.hidden);
  CHECK(static_cast<std::size_t>(header[1]) == s.ffn);
  CHECK(static_cast<std::size_t>(header[2]) == s.layers);
  CHECK(static_cast<std::size_t>(header[3]) == s.heads);
  CHECK(static_cast<std::size_t>(header[4]) == s.kv_heads);
  CHECK(header[5] > 0);  // positive vocab: the classifier is the embedding
  CHECK(s.tied_embeddings);
  CHECK(static_cast<std::size_t>(header[5]) == s.vocab);
  CHECK(static_cast<std::size_t>(header[6]) == s.max_context);
  // 5 x (172 x 3 x 64 + 64 x (64 + 2 x 32) + 64^2) + 512 x 64 = 259 328: "260K".
  CHECK(s.params() == 259328.0);
}

TEST_CASE("model presets: attention and FFN structure per the paper", "[model][presets]") {
  const auto llama70 = model_presets::llama2_70b();
  CHECK(llama70.kv_heads == 8);
  CHECK(llama70.head_dim() == 128);
  CHECK(llama70.kv_dim() == 1024);
  CHECK(llama70.ffn_type == ffn_kind::relu_glu);
  CHECK(llama70.gated());
  CHECK(llama70.max_context == 4096);
  const auto falcon = model_presets::falcon_40b();
  CHECK(falcon.kv_heads == 8);
  CHECK(falcon.kv_dim() == 512);
  CHECK(falcon.ffn == 4 * falcon.hidden);
  CHECK(falcon.ffn_type == ffn_kind::relu);
  CHECK_FALSE(falcon.gated());
  CHECK(model_presets::opt_30b().ffn_type == ffn_kind::relu);
  CHECK(model_presets::opt_30b().max_context == 2048);
  CHECK(model_presets::gpt2_xl().ffn_type == ffn_kind::gelu);
  CHECK_FALSE(model_presets::gpt2_xl().relu_before_qkv);
  CHECK(model_presets::stories260k().ffn_type == ffn_kind::swiglu);

  std::set<std::string> names;
  for (const auto& s : model_presets::all()) {
    CAPTURE(s.name);
    CHECK(names.insert(s.name).second);  // unique
    CHECK(s.layers > 0);
    CHECK(s.hidden % s.heads == 0);
    CHECK(s.heads % s.kv_heads == 0);
    CHECK(s.vocab > 0);
    CHECK(s.max_context > 0);
    // Sparse evaluation models carry the inserted ReLU; ReLU-family FFNs only there.
    const bool relu_family = s.ffn_type == ffn_kind::relu || s.ffn_type == ffn_kind::relu_glu;
    CHECK(relu_family == s.relu_before_qkv);
  }
}

TEST_CASE("model presets: lookup by name; unknown names list the valid ones",
          "[model][presets]") {
  const auto names = model_preset_names();
  CHECK(names.size() == model_presets::all().size());
  for (auto n : names) CHECK(find_model_preset(n).name == n);
  CHECK(find_model_preset("llama2-70b").name == "LLaMA2-70B");
  try {
    (void)find_model_preset("LLaMA3-8B");
    FAIL("an unknown name was accepted");
  } catch (const invalid_parameter& e) {
    const std::string what = e.what();
    CHECK(e.field() == "model preset");
    CHECK(what.find("LLaMA3-8B") != std::string::npos);
    for (auto n : names) CHECK(what.find(std::string(n)) != std::string::npos);
  }
}
