// The llama2.c checkpoint loader: the real stories260K file, a synthetic checkpoint with a
// separate classifier, every kind of broken file, and the reference forward pass that must
// reproduce the golden text byte for byte.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hermes/model/generate.hpp"
#include "hermes/model/llama2c.hpp"
#include "hermes/model/tokenizer.hpp"
#include "../support/llama2c_reference.hpp"
#include "../support/scratch_dir.hpp"

using hermes::test::byte_writer;
using hermes::test::read_all;
using hermes::test::scratch_dir;

namespace {

const std::filesystem::path data_dir = std::filesystem::path(HERMES_DATA_DIR) / "stories260K";
const std::filesystem::path checkpoint_path = data_dir / "stories260K.bin";

// The float at index i of the real checkpoint's tensor area (after the 28-byte header), read
// independently of the loader.
float file_float(const std::vector<char>& file, std::size_t i) {
  float f = 0;
  std::memcpy(&f, file.data() + 28 + 4 * i, 4);
  return f;
}

std::string slurp_text(const std::filesystem::path& p) {
  const auto b = read_all(p);
  return {b.begin(), b.end()};
}

// A synthetic checkpoint: header + `floats` values 0.001 * k.
std::vector<char> synthetic(const std::vector<std::int32_t>& header, std::size_t floats) {
  byte_writer w;
  for (auto h : header) w.put(h);
  for (std::size_t k = 0; k < floats; ++k) w.put(0.001f * static_cast<float>(k));
  return w.bytes;
}

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const hermes::error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("stories260K header and shapes", "[model][llama2c]") {
  const auto ck = hermes::load_llama2c(checkpoint_path);
  const auto& c = ck.config;
  CHECK(c.dim == 64);
  CHECK(c.hidden_dim == 172);
  CHECK(c.n_layers == 5);
  CHECK(c.n_heads == 8);
  CHECK(c.n_kv_heads == 4);
  CHECK(c.vocab_size == 512);
  CHECK(c.seq_len == 512);
  CHECK(c.shared_classifier);
  CHECK(c.head_size() == 8);
  CHECK(c.kv_dim() == 32);
  CHECK(c.kv_group() == 2);

  const auto& w = ck.weights;
  CHECK(w.token_embedding.extent(0) == 512);
  CHECK(w.token_embedding.extent(1) == 64);
  CHECK(w.wk.extent(0) == 5);
  CHECK(w.wk.extent(1) == 32);
  CHECK(w.wk.extent(2) == 64);
  CHECK(w.w2.extent(1) == 64);
  CHECK(w.w2.extent(2) == 172);
  CHECK(w.rms_final.extent(0) == 64);
  // A shared classifier is the embedding itself, not a copy.
  CHECK(w.classifier.data() == w.token_embedding.data());

  const auto shape = c.shape("stories260K");
  CHECK(shape.layers == 5);
  CHECK(shape.ffn_neurons() == 172);
  CHECK(shape.kv_dim() == 32);
  CHECK(shape.gated());
}

TEST_CASE("stories260K tensors land at their file offsets", "[model][llama2c]") {
  const auto ck = hermes::load_llama2c(checkpoint_path);
  const auto file = read_all(checkpoint_path);
  REQUIRE(file.size() == 1056540);
  const auto& w = ck.weights;
  // Offsets in floats, summed by hand from the README's tensor order and shapes.
  constexpr std::size_t emb = 0, rms_att = 32768, wq = rms_att + 320, wk = wq + 20480,
                        wv = wk + 10240, wo = wv + 10240, rms_ffn = wo + 20480,
                        w1 = rms_ffn + 320, w2 = w1 + 55040, w3 = w2 + 55040,
                        rms_final = w3 + 55040, freq = rms_final + 64;
  static_assert(freq + 2 * 512 * 4 == 264128, "the README's float count");
  CHECK(w.token_embedding(0, 0) == file_float(file, emb));
  CHECK(w.token_embedding(511, 63) == file_float(file, emb + 511 * 64 + 63));
  CHECK(w.rms_att(4, 63) == file_float(file, rms_att + 4 * 64 + 63));
  CHECK(w.wq(2, 3, 5) == file_float(file, wq + 2 * 4096 + 3 * 64 + 5));
  CHECK(w.wk(1, 31, 7) == file_float(file, wk + 1 * 2048 + 31 * 64 + 7));
  CHECK(w.wv(4, 0, 63) == file_float(file, wv + 4 * 2048 + 63));
  CHECK(w.wo(3, 63, 0) == file_float(file, wo + 3 * 4096 + 63 * 64));
  CHECK(w.rms_ffn(0, 1) == file_float(file, rms_ffn + 1));
  CHECK(w.w1(4, 171, 63) == file_float(file, w1 + 4 * 11008 + 171 * 64 + 63));
  CHECK(w.w2(2, 63, 171) == file_float(file, w2 + 2 * 11008 + 63 * 172 + 171));
  CHECK(w.w3(0, 100, 10) == file_float(file, w3 + 100 * 64 + 10));
  CHECK(w.rms_final(63) == file_float(file, rms_final + 63));
}

TEST_CASE("a negative vocab_size loads the separate classifier after the RoPE tables",
          "[model][llama2c]") {
  scratch_dir dir("llama2c");
  // dim 8, hidden 12, 2 layers, 2 heads, 1 KV head (kv_dim 4), vocab 10 (separate), seq 3.
  const std::size_t weights = 10 * 8 + 2 * 8 + 2 * 64 + 2 * 32 + 2 * 32 + 2 * 64 + 2 * 8 +
                              3 * 2 * 96 + 8;
  const std::size_t rope = 2 * 3 * 2;
  const std::size_t total = weights + rope + 10 * 8;
  const auto path = dir.write("separate.bin", synthetic({8, 12, 2, 2, 1, -10, 3}, total));
  const auto ck = hermes::load_llama2c(path);
  CHECK_FALSE(ck.config.shared_classifier);
  CHECK(ck.config.vocab_size == 10);
  CHECK(ck.config.kv_dim() == 4);
  const auto& w = ck.weights;
  CHECK(w.classifier.data() != w.token_embedding.data());
  CHECK(w.classifier.extent(0) == 10);
  CHECK(w.classifier.extent(1) == 8);
  CHECK(w.classifier(0, 0) == 0.001f * static_cast<float>(weights + rope));
  CHECK(w.classifier(9, 7) == 0.001f * static_cast<float>(total - 1));
  CHECK(w.rms_final(7) == 0.001f * static_cast<float>(weights - 1));
  CHECK(w.wk(1, 3, 7) == 0.001f * static_cast<float>(10 * 8 + 2 * 8 + 2 * 64 + 32 + 31));
}

TEST_CASE("broken checkpoints are rejected with what was expected and found",
          "[model][llama2c]") {
  scratch_dir dir("llama2c");
  using Catch::Matchers::Contains;
  const auto real = read_all(checkpoint_path);

  SECTION("missing file names the path") {
    const auto p = dir.file("absent.bin");
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }),
               Contains(p.string()) && Contains("cannot open"));
  }
  SECTION("a file shorter than the header") {
    const auto p = dir.write("short.bin", std::vector<char>(real.begin(), real.begin() + 10));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }),
               Contains("truncated header") && Contains("expected 28") && Contains("found 10"));
    // A damaged file is an input_file_error: the programs report it as bad input (exit 2).
    CHECK_THROWS_AS(hermes::load_llama2c(p), hermes::input_file_error);
  }
  SECTION("dim not divisible by n_heads") {
    const auto p = dir.write("heads.bin", synthetic({64, 172, 5, 7, 7, 512, 512}, 16));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }),
               Contains("n_heads = 7") && Contains("divisor of dim = 64"));
  }
  SECTION("n_kv_heads not dividing n_heads") {
    const auto p = dir.write("kv.bin", synthetic({64, 172, 5, 8, 3, 512, 512}, 16));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }),
               Contains("n_kv_heads = 3") && Contains("divisor of n_heads = 8"));
  }
  SECTION("more KV heads than query heads") {
    const auto p = dir.write("kv16.bin", synthetic({64, 172, 5, 8, 16, 512, 512}, 16));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }), Contains("n_kv_heads = 16"));
  }
  SECTION("non-positive fields") {
    const auto p = dir.write("layers.bin", synthetic({64, 172, 0, 8, 4, 512, 512}, 16));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }),
               Contains("n_layers = 0") && Contains("> 0"));
    const auto q = dir.write("dim.bin", synthetic({-64, 172, 5, 8, 4, 512, 512}, 16));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(q); }), Contains("dim = -64"));
    const auto v = dir.write("vocab.bin", synthetic({64, 172, 5, 8, 4, 0, 512}, 16));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(v); }), Contains("vocab_size = 0"));
  }
  SECTION("an odd head size cannot be rotated in pairs") {
    const auto p = dir.write("odd.bin", synthetic({12, 16, 1, 4, 4, 8, 4}, 16));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }), Contains("even"));
  }
  SECTION("a file truncated inside a tensor names the tensor") {
    // w1 spans bytes 379420 .. 599580 (28 + 4 * 94848 and 55040 floats later).
    const auto p = dir.write("cut.bin", std::vector<char>(real.begin(), real.begin() + 500000));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }),
               Contains("tensor w1") && Contains("expected 220160 bytes at offset 379420") &&
                   Contains("found 120580"));
  }
  SECTION("a header describing a bigger model than the file") {
    auto bytes = real;
    const std::int32_t seq = 1024;  // doubles the RoPE tables
    std::memcpy(bytes.data() + 24, &seq, 4);
    const auto p = dir.write("seq.bin", bytes);
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }), Contains("tensor freq_cis_imag"));
  }
  SECTION("trailing bytes after the last tensor") {
    auto bytes = real;
    bytes.insert(bytes.end(), 4, '\0');
    const auto p = dir.write("long.bin", bytes);
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }),
               Contains("1056544 bytes") && Contains("implies exactly 1056540 bytes"));
  }
  SECTION("sizes that overflow") {
    const std::int32_t big = 2147483600;
    const auto p = dir.write("huge.bin", synthetic({big, big, big, 2, 2, big, 4}, 16));
    CHECK_THAT(error_of([&] { hermes::load_llama2c(p); }),
               Contains("header sizes of tensor wq") && Contains("a product of at most 18446744073709551615"));
  }
}

TEST_CASE("the reference forward pass reproduces the golden text byte for byte",
          "[model][llama2c][golden]") {
  const auto ck = hermes::load_llama2c(checkpoint_path);
  const auto tok = hermes::tokenizer::load(data_dir / "tok512.bin", ck.config.vocab_size);
  hermes::test::reference_llama2c forward(ck);
  hermes::sampler greedy(0.0f, 0.9f, 1);
  const auto g = hermes::generate(tok, forward, "", 200, ck.config.seq_len, greedy);
  const std::string golden = slurp_text(data_dir / "golden_t0_n200.txt");
  CHECK(g.steps == 200);
  CHECK_FALSE(g.stopped_at_bos);
  CHECK(g.prompt_tokens == 1);
  CHECK(g.tokens.size() == 201);
  CHECK(g.text == golden);
}
