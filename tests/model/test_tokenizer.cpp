// The llama2.c tokenizer: encoding (dummy prefix, code points, byte fallback, merges by score),
// decoding as llama2.c prints, and rejection of broken files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "hermes/model/tokenizer.hpp"
#include "../support/scratch_dir.hpp"

using hermes::tokenizer;
using hermes::test::byte_writer;
using hermes::test::read_all;
using hermes::test::scratch_dir;

namespace {

const std::filesystem::path tok_path =
    std::filesystem::path(HERMES_DATA_DIR) / "stories260K" / "tok512.bin";

tokenizer real() { return tokenizer::load(tok_path, 512); }

// A llama2.c-style vocabulary: <unk>, BOS, EOS, the 256 byte tokens, then `extra` pieces.
std::vector<char> vocabulary(const std::vector<std::pair<std::string, float>>& extra,
                             std::int32_t max_len = 6) {
  byte_writer w;
  w.put(max_len);
  auto piece = [&](const std::string& s, float score) {
    w.put(score).put(static_cast<std::int32_t>(s.size())).put_text(s);
  };
  piece("<unk>", 0);
  piece("\n<s>\n", 0);
  piece("\n</s>\n", 0);
  const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) piece(std::string("<0x") + hex[b / 16] + hex[b % 16] + ">", 0);
  for (const auto& [s, score] : extra) piece(s, score);
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

// What llama2.c prints for a token sequence starting with BOS.
std::string print(const tokenizer& t, const std::vector<int>& tokens) {
  std::string s;
  for (std::size_t i = 1; i < tokens.size(); ++i) s += t.text(tokens[i - 1], tokens[i]);
  return s;
}

}  // namespace

TEST_CASE("tok512 loads the README's vocabulary", "[model][tokenizer]") {
  const auto t = real();
  CHECK(t.vocab_size() == 512);
  CHECK(t.max_token_length() == 7);
  CHECK(t.piece(0) == "<unk>");
  CHECK(t.piece(1) == "\n<s>\n");
  CHECK(t.piece(2) == "\n</s>\n");
  CHECK(t.piece(3) == "<0x00>");
  CHECK(t.piece(258) == "<0xFF>");
  CHECK(t.find(" ") == 410);
  CHECK(t.find(" a") == 261);
  CHECK(t.score(261) == -2.0f);
  CHECK(t.find("not a piece") == -1);
  CHECK_THROWS_AS(t.piece(512), hermes::invalid_parameter);
  CHECK_THROWS_AS(t.piece(-1), hermes::invalid_parameter);
}

TEST_CASE("encode follows llama2.c", "[model][tokenizer]") {
  const auto t = real();
  SECTION("empty text is BOS alone, with no dummy prefix") {
    CHECK(t.encode("", true, false) == std::vector<int>{1});
    CHECK(t.encode("", false, false).empty());
    CHECK(t.encode("", true, true) == std::vector<int>{1, 2});
  }
  SECTION("the dummy space merges with the first character") {
    // [BOS, " ", "a"] -> " " + "a" = " a" (id 261) is the only merge.
    CHECK(t.encode("a", true, false) == std::vector<int>{1, 261});
    CHECK(t.encode("a", false, false) == std::vector<int>{261});
  }
  SECTION("whole words of the vocabulary") {
    CHECK(t.encode("Once upon a time", true, false) ==
          std::vector<int>{1, t.find(" Once"), t.find(" upon"), t.find(" a"), t.find(" time")});
  }
  SECTION("a multi-byte code point with a token is one token") {
    REQUIRE(t.find("\xc3\xa9") == 485);  // é
    // " " + "é" is no piece, so no merge.
    CHECK(t.encode("\xc3\xa9", true, false) == std::vector<int>{1, 410, 485});
  }
  SECTION("a code point without a token falls back to its bytes, 3 + byte") {
    REQUIRE(t.find("\xe6\x97\xa5") == -1);  // U+65E5
    CHECK(t.encode("\xe6\x97\xa5", true, false) ==
          std::vector<int>{1, 410, 3 + 0xE6, 3 + 0x97, 3 + 0xA5});
    // A 4-byte code point is one unit too (and also falls back here).
    REQUIRE(t.find("\xf0\x9f\x98\x80") == -1);
    CHECK(t.encode("\xf0\x9f\x98\x80", false, false) ==
          std::vector<int>{410, 3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80});
  }
  SECTION("printing the tokens gives the text back") {
    const std::string text = "Lily saw a big, red ball. She said, \"I want to play!\"\nThe end.";
    CHECK(print(t, t.encode(text, true, false)) == text);
  }
}

TEST_CASE("merges go by score, leftmost on ties", "[model][tokenizer]") {
  scratch_dir dir("tokenizer");
  SECTION("the best-scoring pair merges first, wherever it is") {
    // ids: 259 " ", 260 "a", 261 "b", 262 "ab", 263 "ba", 264 " a", 265 "aba".
    const auto p = dir.write("v.bin", vocabulary({{" ", 0}, {"a", 0}, {"b", 0}, {"ab", -5},
                                                  {"ba", -1}, {" a", -3}, {"aba", -10}}));
    const auto t = tokenizer::load(p, 266);
    // [BOS " " a b a]: "ba" (-1) beats " a" (-3) and "ab" (-5) -> [BOS " " a ba];
    // then " a" (-3) beats "aba" (-10) -> [BOS " a" ba]; " aba" is no piece: done.
    CHECK(t.encode("aba", true, false) == std::vector<int>{1, 264, 263});
  }
  SECTION("equal scores: the leftmost pair") {
    const auto p = dir.write("v.bin", vocabulary({{" ", 0}, {"a", 0}, {"b", 0}, {"ab", -1},
                                                  {"ba", -1}, {" a", -3}, {"aba", -10}}));
    const auto t = tokenizer::load(p, 266);
    // "ab" (at 2) and "ba" (at 3) tie at -1: "ab" merges -> [BOS " " ab a];
    // " ab" is no piece, "aba" (-10) is -> [BOS " " aba].
    CHECK(t.encode("aba", true, false) == std::vector<int>{1, 259, 265});
  }
  SECTION("encoding needs the dummy-prefix piece") {
    const auto p = dir.write("v.bin", vocabulary({{"a", 0}}));
    const auto t = tokenizer::load(p, 260);
    CHECK_THROWS_WITH(t.encode("a", true, false), Catch::Contains("\" \""));
    CHECK(t.encode("", true, false) == std::vector<int>{1});
  }
}

TEST_CASE("decode and print follow llama2.c", "[model][tokenizer]") {
  const auto t = real();
  SECTION("one leading space is dropped after BOS only") {
    CHECK(t.decode(1, 261) == "a");
    CHECK(t.decode(261, 261) == " a");
    CHECK(t.decode(1, 410) == "");
  }
  SECTION("<0xNN> pieces are raw bytes") {
    CHECK(t.decode(5, 3 + 'A') == "A");
    CHECK(t.text(5, 3 + 'A') == "A");
    CHECK(t.text(5, 3 + '\n') == "\n");
    CHECK(t.text(5, 3 + '\t') == "\t");
  }
  SECTION("a single non-printable, non-space byte prints nothing") {
    CHECK(t.decode(5, 3 + 0x01).size() == 1);
    CHECK(t.text(5, 3 + 0x01).empty());
    CHECK(t.text(5, 3 + 0x00).empty());
    CHECK(t.text(5, 3 + 0x7F).empty());
    CHECK(t.text(5, 3 + 0xE2).empty());  // a lone UTF-8 lead byte
  }
  SECTION("multi-byte pieces print whole") {
    CHECK(t.text(5, 507) == "\xe2\x84\xa2");
    CHECK(t.text(5, 1) == "\n<s>\n");
  }
  SECTION("the printable filter on its own") {
    CHECK(tokenizer::printable("") == "");
    CHECK(tokenizer::printable("x") == "x");
    CHECK(tokenizer::printable("\r") == "\r");
    CHECK(tokenizer::printable("\x1b") == "");
    CHECK(tokenizer::printable("\x1b[") == "\x1b[");  // only single bytes are filtered
  }
}

TEST_CASE("broken tokenizer files are rejected", "[model][tokenizer]") {
  scratch_dir dir("tokenizer");
  using Catch::Matchers::Contains;
  const auto bytes = read_all(tok_path);

  SECTION("missing file names the path") {
    const auto p = dir.file("absent.bin");
    CHECK_THAT(error_of([&] { tokenizer::load(p, 512); }),
               Contains(p.string()) && Contains("cannot open"));
  }
  SECTION("truncated inside a token names the token") {
    const auto p = dir.write("cut.bin", std::vector<char>(bytes.begin(), bytes.end() - 3));
    CHECK_THAT(error_of([&] { tokenizer::load(p, 512); }),
               Contains("token 511 of 512") && Contains("found"));
    CHECK_THROWS_AS(tokenizer::load(p, 512), hermes::input_file_error);
  }
  SECTION("a vocabulary larger than the file") {
    CHECK_THAT(error_of([&] { tokenizer::load(tok_path, 513); }),
               Contains("token 512 of 513") && Contains("expected 4 bytes"));
  }
  SECTION("a vocabulary smaller than the file") {
    CHECK_THAT(error_of([&] { tokenizer::load(tok_path, 511); }),
               Contains("different vocabulary"));
  }
  SECTION("a zero vocabulary size") {
    CHECK_THROWS_AS(tokenizer::load(tok_path, 0), hermes::invalid_parameter);
  }
  SECTION("bad max_token_length") {
    const auto p = dir.write("max.bin", vocabulary({}, 0));
    CHECK_THAT(error_of([&] { tokenizer::load(p, 259); }), Contains("max_token_length = 0"));
  }
  SECTION("a piece longer than max_token_length") {
    const auto p = dir.write("long.bin", vocabulary({{"abcdefgh", 0}}, 6));
    CHECK_THAT(error_of([&] { tokenizer::load(p, 260); }),
               Contains("token 259 of 260 length = 8") && Contains("0 .. max_token_length = 6"));
  }
  SECTION("a negative piece length") {
    byte_writer w;
    w.put(std::int32_t{6}).put(0.0f).put(std::int32_t{-2});
    const auto p = dir.write("neg.bin", w.bytes);
    CHECK_THAT(error_of([&] { tokenizer::load(p, 1); }), Contains("length = -2"));
  }
  SECTION("a NUL inside a piece") {
    const auto p = dir.write("nul.bin", vocabulary({{std::string("a\0b", 3), 0}}));
    CHECK_THAT(error_of([&] { tokenizer::load(p, 260); }), Contains("NUL"));
  }
}

TEST_CASE("a tokenizer file cannot make the reader allocate what it does not hold", "[model][tokenizer]") {
  using Catch::Matchers::Contains;
  const auto read = [](const std::vector<char>& bytes, std::size_t vocab) {
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    return error_of([&] { (void)tokenizer::read(in, bytes.size(), vocab, "t.bin"); });
  };
  SECTION("a piece length of 2^31 - 1 in a 12-byte file") {
    byte_writer w;
    w.put(std::int32_t{0x7fffffff}).put(0.0f).put(std::int32_t{0x7fffffff});
    CHECK_THAT(read(w.bytes, 1), Contains("max_token_length = 2147483647") && Contains("1 .. 65536 bytes"));
  }
  SECTION("a piece length within max_token_length but beyond the file") {
    byte_writer w;
    w.put(std::int32_t{65536}).put(0.0f).put(std::int32_t{65536}).put_text("abc");
    CHECK_THAT(read(w.bytes, 1), Contains("truncated in token 0 of 1 (65536 bytes)") && Contains("found 3"));
  }
  SECTION("a vocabulary of 2^31 - 1 tokens for a file of a few bytes") {
    byte_writer w;
    w.put(std::int32_t{6}).put(0.0f).put(std::int32_t{1}).put_text("a");
    CHECK_THAT(read(w.bytes, 0x7fffffff),
               Contains("2147483647 tokens need at least 17179869176 bytes after the header, the file has 9"));
  }
  SECTION("the stream reader reads the real file like load()") {
    const auto bytes = read_all(tok_path);
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    const auto t = tokenizer::read(in, bytes.size(), 512);
    CHECK(t.encode("Once upon a time", true, false) == real().encode("Once upon a time", true, false));
  }
}

TEST_CASE("a prompt is cut to what the context can use before BPE merging", "[model][tokenizer]") {
  const auto t = real();
  REQUIRE(t.max_token_length() == 7);
  CHECK(t.prompt_byte_budget(512) == 512 * 7);
  CHECK(t.prompt_byte_budget(static_cast<std::size_t>(-1)) == static_cast<std::size_t>(-1));
  SECTION("a prompt within the budget gives exactly encode()'s tokens") {
    const std::string story = "Once upon a time, there was a little girl named Lily. She loved to play outside. ";
    std::string text;
    while (text.size() + story.size() <= t.prompt_byte_budget(64)) text += story;
    CHECK(t.encode_prompt(text, 64) == t.encode(text, true, false));
    CHECK(t.encode_prompt("", 64) == std::vector<int>{1});
  }
  SECTION("a 130 KB prompt costs what its first bytes cost and still fills the context") {
    std::string text;
    while (text.size() < 130000) text += "Once upon a time, there was a little girl named Lily. ";
    const auto start = std::chrono::steady_clock::now();
    const auto tokens = t.encode_prompt(text, 512);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(tokens.size() > 512);
    CHECK(seconds < 20.0);  // uncut: hours of quadratic merging
    // The tokens a model reads are those of the uncut text (compared on a long prefix).
    const auto prefix = t.encode(text.substr(0, 2000), true, false);
    CHECK(std::equal(prefix.begin(), prefix.begin() + 200, tokens.begin()));
  }
  SECTION("the cut does not split a UTF-8 code point") {
    const auto p = [] {
      std::vector<char> v = vocabulary({{" ", 0}, {"\xc3\xa9", 0}}, 6);
      return v;
    }();
    std::istringstream in(std::string(p.begin(), p.end()));
    const auto small = tokenizer::read(in, p.size(), 261);
    std::string text = "a";
    for (int i = 0; i < 20; ++i) text += "\xc3\xa9";
    // Budget 3 x 6 = 18 bytes: byte 18 continues a code point, so the cut is at 17.
    const auto tokens = small.encode_prompt(text, 3);
    CHECK(tokens.size() == 1 + 1 + 1 + 8);  // BOS, " ", byte token 'a', 8 x "é"
    CHECK(std::count(tokens.begin(), tokens.end(), tokenizer::byte_token(0xC3)) == 0);
  }
}
