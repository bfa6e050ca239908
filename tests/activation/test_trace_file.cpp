#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "hermes/activation/synthetic_source.hpp"
#include "hermes/activation/trace_file.hpp"

using namespace hermes;
using check = trace_file_error::check;

namespace {
// 2 layers, 70 attention neurons (2 words, 6 padding bits), 130 FFN neurons (3 words).
const trace_layout layout{2, 70, 130};
activation_trace sample(std::size_t tokens) {
  synthetic_source src(layout);
  return record(src, tokens);
}
// Runs the decoder and returns the failure it reports.
trace_file_error failure(const std::vector<unsigned char>& b, std::optional<trace_layout> expected = std::nullopt) {
  try {
    (void)decode_trace(b, "t.trace", expected);
  } catch (const trace_file_error& e) {
    return e;
  }
  FAIL("decode_trace accepted a bad file");
  return trace_file_error(check::magic, 0, "");
}
void restamp(std::vector<unsigned char>& b) {  // recompute the checksum after an edit
  const std::size_t end = b.size() - 8;
  const auto h = trace_format::fnv1a64(b.data(), end);
  for (int i = 0; i < 8; ++i) b[end + static_cast<std::size_t>(i)] = static_cast<unsigned char>(h >> (8 * i));
}
}  // namespace

TEST_CASE("trace file: byte layout matches the documented format", "[activation][trace_file]") {
  const auto t = sample(3);
  const auto b = encode_trace(t);
  // 48-byte header + 3 tokens * 2 layers * (2 + 3) words * 8 bytes + 8-byte checksum.
  REQUIRE(b.size() == 48 + 3 * 2 * 5 * 8 + 8);
  CHECK(std::string(b.begin(), b.begin() + 8) == "HRMSTRCE");
  CHECK(b[8] == 1);   // version, little-endian
  CHECK(b[12] == 48); // header size
  CHECK(b[16] == 2);  // layers
  CHECK(b[24] == 70);
  CHECK(b[32] == 130);
  CHECK(b[40] == 3);  // tokens
  // The first word of token 0, layer 0, attention, byte by byte little-endian.
  const auto w = t.mask(0, 0, layer_kind::attention).words()[0];
  for (int i = 0; i < 8; ++i) CHECK(b[48 + static_cast<std::size_t>(i)] == static_cast<unsigned char>(w >> (8 * i)));
  // FNV-1a-64 reference values ("" and "a") from the algorithm's definition.
  CHECK(trace_format::fnv1a64(nullptr, 0) == 0xcbf29ce484222325ULL);
  const unsigned char a = 'a';
  CHECK(trace_format::fnv1a64(&a, 1) == 0xaf63dc4c8601ec8cULL);
}

TEST_CASE("trace file: write then read gives the same trace", "[activation][trace_file]") {
  const auto t = sample(6);
  std::stringstream ss;
  write_trace(ss, t);
  const auto back = read_trace(ss, "memory", layout);
  REQUIRE(back.tokens() == 6);
  REQUIRE(back.layout() == layout);
  for (std::size_t k = 0; k < 6; ++k)
    for (std::size_t l = 0; l < 2; ++l) {
      CHECK(back.mask(k, l, layer_kind::attention) == t.mask(k, l, layer_kind::attention));
      CHECK(back.mask(k, l, layer_kind::ffn) == t.mask(k, l, layer_kind::ffn));
    }
  // An empty trace round-trips too.
  const auto empty = decode_trace(encode_trace(activation_trace(layout)));
  CHECK(empty.tokens() == 0);
}

TEST_CASE("trace file: each corruption is rejected with what and where", "[activation][trace_file]") {
  const auto good = encode_trace(sample(4));

  SECTION("wrong magic") {
    auto b = good;
    b[3] = 'X';
    const auto e = failure(b);
    CHECK(e.failed_check() == check::magic);
    CHECK(e.byte_offset() == 0);
    CHECK_THAT(e.what(), Catch::Contains("bad magic") && Catch::Contains("t.trace"));
  }
  SECTION("newer version") {
    auto b = good;
    b[8] = 2;
    const auto e = failure(b);
    CHECK(e.failed_check() == check::version);
    CHECK(e.byte_offset() == 8);
    CHECK_THAT(e.what(), Catch::Contains("version 2"));
  }
  SECTION("shape mismatch with the model") {
    const auto e = failure(good, trace_layout{2, 70, 128});
    CHECK(e.failed_check() == check::shape);
    CHECK(e.byte_offset() == 32);
    CHECK_THAT(e.what(), Catch::Contains("FFN neurons = 130") && Catch::Contains("the model has 128"));
    CHECK(failure(good, trace_layout{3, 70, 130}).byte_offset() == 16);
  }
  SECTION("truncated inside a mask: the token, layer and kind are named") {
    // Token 2 starts at 48 + 2 * 80; its layer 1 at + 40; the FFN mask at + 16.
    const std::size_t cut = 48 + 2 * 80 + 40 + 16 + 5;
    std::vector<unsigned char> b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    const auto e = failure(b);
    CHECK(e.failed_check() == check::truncated);
    CHECK(e.byte_offset() == cut);
    CHECK_THAT(e.what(), Catch::Contains("token 2, layer 1, FFN mask"));
  }
  SECTION("truncated in the header or the checksum") {
    CHECK(failure(std::vector<unsigned char>(good.begin(), good.begin() + 20)).failed_check() == check::truncated);
    std::vector<unsigned char> b(good.begin(), good.end() - 3);
    const auto e = failure(b);
    CHECK(e.failed_check() == check::truncated);
    CHECK_THAT(e.what(), Catch::Contains("the checksum"));
  }
  SECTION("a token count far beyond the file does not overflow") {
    auto b = good;
    b[47] = 0x40;  // 2^62 + 4 tokens
    CHECK(failure(b).failed_check() == check::truncated);
  }
  SECTION("bad checksum") {
    auto b = good;
    b[100] ^= 0x10;  // one flipped bit in a mask
    const auto e = failure(b);
    CHECK(e.failed_check() == check::checksum);
    CHECK(e.byte_offset() == good.size() - 8);
    CHECK_THAT(e.what(), Catch::Contains("bad checksum"));
  }
  SECTION("bytes after the checksum") {
    auto b = good;
    b.push_back(0);
    CHECK(failure(b).failed_check() == check::trailing_bytes);
  }
  SECTION("bits set beyond the last neuron, even with a valid checksum") {
    auto b = good;
    // Token 1, layer 0, attention mask, word 1 holds neurons 64..69; set bit 7 (neuron 71).
    const std::size_t word = 48 + 80 + 8;
    b[word] |= 0x80;
    restamp(b);
    const auto e = failure(b);
    CHECK(e.failed_check() == check::padding_bits);
    CHECK(e.byte_offset() == word);
    CHECK_THAT(e.what(), Catch::Contains("token 1, layer 0, attention"));
  }
  SECTION("load_trace names a missing file") {
    CHECK_THROWS_WITH(load_trace("/nonexistent/x.trace"), Catch::Contains("/nonexistent/x.trace"));
  }
  SECTION("load_trace names a directory instead of failing inside the stream") {
    const std::string dir = std::filesystem::temp_directory_path().string();
    CHECK_THROWS_MATCHES(load_trace(dir), hermes::error, Catch::Message("load_trace: " + dir + " is a directory, not a trace file"));
  }
}

TEST_CASE("trace file: header sizes beyond the documented caps are refused", "[activation][trace_file]") {
  // A header alone (no tokens) announcing 10^12 neurons would give a trace whose frequency
  // profile needs 8 TB: the shape is refused at its own byte.
  const auto header = [](std::uint64_t layers, std::uint64_t attention, std::uint64_t ffn, std::uint64_t tokens) {
    activation_trace t(trace_layout{1, 1, 1});
    auto b = encode_trace(t);  // 0 tokens: header + checksum
    for (int i = 0; i < 8; ++i) {
      b[16 + static_cast<std::size_t>(i)] = static_cast<unsigned char>(layers >> (8 * i));
      b[24 + static_cast<std::size_t>(i)] = static_cast<unsigned char>(attention >> (8 * i));
      b[32 + static_cast<std::size_t>(i)] = static_cast<unsigned char>(ffn >> (8 * i));
      b[40 + static_cast<std::size_t>(i)] = static_cast<unsigned char>(tokens >> (8 * i));
    }
    restamp(b);
    return b;
  };
  SECTION("10^12 FFN neurons") {
    const auto e = failure(header(1, 1, 1000000000000ull, 0));
    CHECK(e.failed_check() == check::shape);
    CHECK(e.byte_offset() == 32);
    CHECK_THAT(e.what(), Catch::Contains("FFN neurons = 1000000000000 at byte 32") && Catch::Contains("at most 16777216"));
  }
  SECTION("2^64 - 1 attention neurons (ceil(n / 64) must not wrap)") {
    const auto e = failure(header(1, ~0ull, 1, 1));
    CHECK(e.failed_check() == check::shape);
    CHECK(e.byte_offset() == 24);
  }
  SECTION("2^64 - 1 layers") {
    CHECK(failure(header(~0ull, 1, 1, 0)).byte_offset() == 16);
  }
  SECTION("each count within its cap, their product beyond") {
    const auto e = failure(header(4096, 1u << 24, 1u << 24, 0));
    CHECK(e.failed_check() == check::shape);
    CHECK_THAT(e.what(), Catch::Contains("layers x (attention + FFN neurons)") && Catch::Contains("at most 33554432"));
  }
  SECTION("the largest shape within the caps, with no tokens, is read") {
    const auto t = decode_trace(header(1, 1u << 24, (1u << 25) - (1u << 24), 0));
    CHECK(t.tokens() == 0);
    CHECK(t.layout().ffn_neurons == (1u << 24));
  }
}

TEST_CASE("trace file: a trace whose decoded masks exceed the memory budget is refused before decoding",
          "[activation][trace_file]") {
  // Each mask costs its object and heap block beside its words, several times the file's bytes
  // for a small layout: checked against HERMES_MEMORY_BUDGET (core/memory_budget.hpp).
  const auto bytes_of = encode_trace(sample(6));
  ::setenv("HERMES_MEMORY_BUDGET", "1kB", 1);
  CHECK_THROWS_AS(decode_trace(bytes_of, "big.trace"), resource_limit);
  CHECK_THROWS_WITH(decode_trace(bytes_of, "big.trace"),
                    Catch::Contains("big.trace") && Catch::Contains("6 tokens") && Catch::Contains("HERMES_MEMORY_BUDGET"));
  ::setenv("HERMES_MEMORY_BUDGET", "1MB", 1);
  CHECK(decode_trace(bytes_of, "big.trace").tokens() == 6);
  ::unsetenv("HERMES_MEMORY_BUDGET");
}
