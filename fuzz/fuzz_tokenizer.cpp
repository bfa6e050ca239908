// Fuzzes the llama2.c tokenizer reader (model/tokenizer.hpp, tokenizer::read) and, on a file it
// accepts, encoding and decoding. Input: a little-endian u32 vocabulary size (what the model
// header would give), then the tokenizer file's bytes.
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>

#include "fuzz_support.hpp"
#include "hermes/model/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  std::uint32_t vocab = 0;
  std::memcpy(&vocab, data, 4);
  const std::string file(hermes::fuzz::bytes(data + 4, size - 4));
  hermes::fuzz::expect_clean([&] {
    std::istringstream in(file);
    const auto tok = hermes::tokenizer::read(in, file.size(), vocab, "fuzz tokenizer");
    // Encode a prompt with UTF-8 of 1..4 bytes, a control byte and a stray continuation byte,
    // cut to a small context, and print every token as llama2.c would.
    const auto tokens = tok.encode_prompt("Once upon a time, Lily saw a \xc3\xa9t\xc3\xa9 \xe6\x97\xa5"
                                          "\xf0\x9f\x98\x80 \x01\x80 end.", 16);
    std::string text;
    for (std::size_t i = 1; i < tokens.size(); ++i) text += tok.text(tokens[i - 1], tokens[i]);
    for (int t = 0; t < static_cast<int>(tok.vocab_size()) && t < 600; ++t) text += tok.text(t % 3, t);
  });
  return 0;
}
