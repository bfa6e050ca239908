#pragma once
// The llama2.c BPE tokenizer (tokenizer.bin / tok512.bin format), encoding and decoding exactly
// like llama2.c's run.c so that generated text is byte-for-byte the reference's.
//
// File format (little-endian): int32 max_token_length, then for each of vocab_size tokens:
// float32 merge score, int32 length, `length` bytes of the piece (no terminator). The file does
// not store vocab_size; it comes from the model header, as in llama2.c.
//
// Token ids with a fixed meaning in llama2.c vocabularies: 0 <unk>, 1 BOS, 2 EOS, and
// 3 + b for the raw byte b (byte fallback, "<0xNN>" pieces).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/input_file.hpp"

namespace hermes {

class tokenizer {
 public:
  static constexpr int unk_token = 0;
  static constexpr int bos_token = 1;
  static constexpr int eos_token = 2;
  static constexpr int byte_token_offset = 3;  // token of raw byte b is 3 + b

  // Upper bounds on what a tokenizer file may declare (docs/errors.md). A piece longer than
  // max_piece_bytes is in no real vocabulary (llama2.c's and Llama 2's longest are below 64
  // bytes); the vocabulary size comes from the model header and is bounded by the file itself:
  // every token takes at least 8 bytes (score and length).
  static constexpr std::int32_t max_piece_bytes = 1 << 16;

  // Reads `vocab_size` tokens from a llama2.c tokenizer file. The file must hold exactly that
  // many tokens: a longer file belongs to a different vocabulary than the model's.
  static tokenizer load(const std::filesystem::path& path, std::size_t vocab_size) {
    const std::string where = "tokenizer '" + path.string() + "'";
    check_vocab_size(where, vocab_size);
    opened_input f = open_input_file(path, input_caps::tokenizer, where);
    return read(f.stream, f.size, vocab_size, where);
  }

  // Reads `vocab_size` tokens from the `size` bytes of `in` (a tokenizer file's whole content).
  // `where` names the input in messages. Nothing is allocated before the bytes it needs are
  // known to be there: the token table needs 8 bytes per token, a piece its length.
  static tokenizer read(std::istream& in, std::uint64_t size, std::size_t vocab_size,
                        const std::string& where = "tokenizer") {
    check_vocab_size(where, vocab_size);
    std::uint64_t offset = 0;
    auto read_exact = [&](void* dst, std::uint64_t n, const std::string& what) {
      if (size - offset < n)
        throw input_file_error(where + ": truncated in " + what + ": expected " + std::to_string(n) +
                    " bytes at offset " + std::to_string(offset) + ", found " +
                    std::to_string(size - offset));
      in.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
      if (!in) throw input_file_error(where + ": read error in " + what);
      offset += n;
    };

    tokenizer t;
    std::int32_t max_len = 0;
    read_exact(&max_len, sizeof max_len, "the header (int32 max_token_length)");
    if (max_len <= 0 || max_len > max_piece_bytes)
      throw invalid_parameter(where + ": max_token_length", std::to_string(max_len),
                              "1 .. " + std::to_string(max_piece_bytes) + " bytes");
    // Each token is at least its float32 score and int32 length.
    const std::uint64_t table_min = checked_mul<std::uint64_t>(where + ": vocab_size x 8 bytes", vocab_size, 8);
    if (size - offset < table_min)
      throw input_file_error(where + ": truncated: " + std::to_string(vocab_size) + " tokens need at least " +
                  std::to_string(table_min) + " bytes after the header, the file has " +
                  std::to_string(size - offset));
    t.max_token_length_ = static_cast<std::size_t>(max_len);
    t.pieces_.resize(vocab_size);
    t.scores_.resize(vocab_size);
    for (std::size_t i = 0; i < vocab_size; ++i) {
      const std::string what = "token " + std::to_string(i) + " of " + std::to_string(vocab_size);
      float score = 0;
      std::int32_t len = 0;
      read_exact(&score, sizeof score, what + " (float32 score)");
      read_exact(&len, sizeof len, what + " (int32 length)");
      if (len < 0 || len > max_len)
        throw invalid_parameter(where + ": " + what + " length", std::to_string(len),
                                "0 .. max_token_length = " + std::to_string(max_len));
      if (size - offset < static_cast<std::uint64_t>(len))
        throw input_file_error(where + ": truncated in " + what + " (" + std::to_string(len) +
                    " bytes): expected " + std::to_string(len) + " bytes at offset " +
                    std::to_string(offset) + ", found " + std::to_string(size - offset));
      std::string piece(static_cast<std::size_t>(len), '\0');
      read_exact(piece.data(), piece.size(), what + " (" + std::to_string(len) + " bytes)");
      // llama2.c handles pieces as C strings; a NUL inside would silently cut the piece short.
      if (piece.find('\0') != std::string::npos)
        throw input_file_error(where + ": " + what + " contains a NUL byte; pieces are C strings");
      t.scores_[i] = score;
      t.pieces_[i] = std::move(piece);
    }
    if (offset != size)
      throw input_file_error(where + ": " + std::to_string(size - offset) + " bytes follow the " +
                  std::to_string(vocab_size) + " tokens the model expects (file has " +
                  std::to_string(size) + " bytes, " + std::to_string(offset) +
                  " consumed): the tokenizer belongs to a different vocabulary");
    // Lookup by piece; with duplicate pieces the lowest id wins.
    for (std::size_t i = vocab_size; i-- > 0;) t.lookup_[t.pieces_[i]] = static_cast<int>(i);
    return t;
  }

  [[nodiscard]] std::size_t vocab_size() const { return pieces_.size(); }
  [[nodiscard]] std::size_t max_token_length() const { return max_token_length_; }
  [[nodiscard]] const std::string& piece(int token) const { return pieces_.at(checked(token)); }
  [[nodiscard]] float score(int token) const { return scores_.at(checked(token)); }
  // The id of an exact piece, or -1.
  [[nodiscard]] int find(std::string_view piece) const {
    const auto it = lookup_.find(std::string(piece));
    return it == lookup_.end() ? -1 : it->second;
  }

  // llama2.c encode(): optional BOS, a dummy-space token before non-empty text (SentencePiece's
  // add_dummy_prefix), one token per UTF-8 code point (or its bytes as byte tokens 3 + b when
  // the code point has no token), then repeatedly the single best merge of two adjacent tokens,
  // best = highest score of the merged piece, leftmost on ties, until no pair merges.
  [[nodiscard]] std::vector<int> encode(std::string_view text, bool bos, bool eos) const {
    std::vector<int> tokens;
    if (bos) tokens.push_back(bos_token);
    if (!text.empty()) {
      const int space = find(" ");
      if (space < 0)
        throw input_file_error("tokenizer: the vocabulary has no \" \" piece, which encoding needs as the "
                    "dummy prefix");
      tokens.push_back(space);
    }
    auto byte_at = [&](std::size_t i) -> unsigned char {
      return i < text.size() ? static_cast<unsigned char>(text[i]) : 0;
    };
    std::string code_point;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const unsigned char c = byte_at(i);
      if ((c & 0xC0) != 0x80) code_point.clear();  // not a continuation byte: a new code point
      code_point.push_back(static_cast<char>(c));
      // Continue while the next byte continues this code point (at most 4 bytes in UTF-8).
      if ((byte_at(i + 1) & 0xC0) == 0x80 && code_point.size() < 4) continue;
      const int id = find(code_point);
      if (id >= 0) {
        tokens.push_back(id);
      } else {
        for (unsigned char b : code_point) {
          if (static_cast<std::size_t>(byte_token(b)) >= pieces_.size())
            throw input_file_error("tokenizer: byte " + std::to_string(b) + " has no token (byte fallback "
                        "needs token 3 + byte < vocab_size = " + std::to_string(pieces_.size()) +
                        ")");
          tokens.push_back(byte_token(b));
        }
      }
      code_point.clear();
    }
    while (true) {
      float best_score = -1e10f;
      int best_id = -1;
      std::size_t best_at = 0;
      for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        const int id = find(pieces_[static_cast<std::size_t>(tokens[i])] +
                            pieces_[static_cast<std::size_t>(tokens[i + 1])]);
        if (id >= 0 && scores_[static_cast<std::size_t>(id)] > best_score) {
          best_score = scores_[static_cast<std::size_t>(id)];
          best_id = id;
          best_at = i;
        }
      }
      if (best_id < 0) break;
      tokens[best_at] = best_id;
      tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best_at) + 1);
    }
    if (eos) tokens.push_back(eos_token);
    return tokens;
  }

  // The bytes of a prompt a model of `context` positions can use: every token is at most
  // max_token_length bytes, so a text of more than context x max_token_length bytes encodes to
  // more tokens than the context holds. Saturates instead of wrapping.
  [[nodiscard]] std::size_t prompt_byte_budget(std::size_t context) const {
    std::size_t budget = 0;
    if (__builtin_mul_overflow(context, max_token_length_, &budget)) return static_cast<std::size_t>(-1);
    return budget;
  }

  // encode(text, BOS, no EOS) of what a model of `context` positions can use. BPE merging is
  // quadratic in the text's length, so a text longer than prompt_byte_budget(context) is cut
  // there (at a UTF-8 code point boundary) before it is encoded: a 130 KB prompt costs what
  // its first few KB cost. A prompt that fits the context is never cut, so its tokens are
  // exactly encode()'s; a longer one still gives more tokens than the context holds, the
  // first `context` of which are all a model reads.
  [[nodiscard]] std::vector<int> encode_prompt(std::string_view text, std::size_t context) const {
    const std::size_t budget = prompt_byte_budget(context);
    if (text.size() > budget) {
      std::size_t cut = budget;
      // Do not split a code point (its bytes would fall back to byte tokens).
      for (int k = 0; k < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80; ++k) --cut;
      text = text.substr(0, cut);
    }
    return encode(text, /*bos=*/true, /*eos=*/false);
  }

  // llama2.c decode(): the piece of `token` as it follows `prev_token`. After BOS one leading
  // space is dropped (it is the dummy prefix); a "<0xNN>" piece stands for the raw byte NN.
  [[nodiscard]] std::string_view decode(int prev_token, int token) const {
    std::string_view p = piece(token);
    if (prev_token == bos_token && !p.empty() && p.front() == ' ') p.remove_prefix(1);
    // llama2.c tests sscanf(piece, "<0x%02hhX>") == 1: "<0x" then one or two hex digits.
    if (p.size() >= 4 && p.substr(0, 3) == "<0x") {
      int value = hex_digit(p[3]);
      if (value >= 0) {
        const int low = p.size() >= 5 ? hex_digit(p[4]) : -1;
        if (low >= 0) value = value * 16 + low;
        return std::string_view(&byte_pieces()[static_cast<std::size_t>(value)], 1);
      }
    }
    return p;
  }

  // llama2.c safe_printf(): what printing a decoded piece shows. A piece that is one byte which
  // is neither printable nor whitespace (in the C locale) prints nothing, so stray control bytes
  // and lone UTF-8 fragments from byte fallback never reach the terminal.
  [[nodiscard]] static std::string_view printable(std::string_view piece) {
    if (piece.empty() || piece.front() == '\0') return {};
    if (piece.size() == 1) {
      const auto b = static_cast<unsigned char>(piece.front());
      const bool print = b >= 0x20 && b <= 0x7E;
      const bool space = b == ' ' || (b >= '\t' && b <= '\r');
      if (!print && !space) return {};
    }
    return piece;
  }

  // The text llama2.c prints when `token` follows `prev_token`.
  [[nodiscard]] std::string_view text(int prev_token, int token) const {
    return printable(decode(prev_token, token));
  }

  [[nodiscard]] static int byte_token(unsigned char b) { return byte_token_offset + b; }

 private:
  tokenizer() = default;

  static void check_vocab_size(const std::string& where, std::size_t vocab_size) {
    if (vocab_size == 0 || vocab_size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw invalid_parameter(where + ": vocab_size", std::to_string(vocab_size),
                              "1 .. 2^31-1 tokens (the model header's vocab_size)");
  }

  [[nodiscard]] std::size_t checked(int token) const {
    if (token < 0 || static_cast<std::size_t>(token) >= pieces_.size())
      throw invalid_parameter("token", std::to_string(token),
                              "an id in [0, " + std::to_string(pieces_.size()) + ")");
    return static_cast<std::size_t>(token);
  }
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  }
  // One char per byte value, so a decoded byte piece is a view into static storage.
  static const std::string& byte_pieces() {
    static const std::string all = [] {
      std::string s(256, '\0');
      for (int b = 0; b < 256; ++b) s[static_cast<std::size_t>(b)] = static_cast<char>(b);
      return s;
    }();
    return all;
  }

  std::size_t max_token_length_ = 0;
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int> lookup_;
};

}  // namespace hermes
