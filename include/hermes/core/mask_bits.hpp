#pragma once
// Counting set bits over many neuron_mask words without a per-word popcount instruction.
//
// The package is built for any x86-64 (no -march), so std::popcount compiles to a libgcc call
// (__popcountdi2) per word; the simulator counts whole masks every layer of every token, where
// those calls showed up in profiles. The SWAR count below (Knuth TAOCP 7.1.3, "sideways
// addition") keeps 8 per-byte counts per word and sums bytes over up to 31 words before folding
// them, so a mask costs about 10 ALU operations per word and no calls.
#include <cstddef>
#include <cstdint>
#include <span>

namespace hermes {

// The number of set bits in word_at(0), ..., word_at(words - 1): words computed on the fly, e.g.
// the AND of several masks, counted without materialising them.
template <class WordAt>
[[nodiscard]] inline std::size_t count_bits_of(std::size_t words, WordAt&& word_at) {
  constexpr std::uint64_t pairs = 0x5555555555555555ULL, nibbles = 0x3333333333333333ULL,
                          bytes = 0x0f0f0f0f0f0f0f0fULL, even_bytes = 0x00ff00ff00ff00ffULL;
  // A byte holds at most 8 per word; 31 words keep it at 248, below the byte's 255.
  constexpr std::size_t words_per_fold = 31;
  std::size_t total = 0;
  for (std::size_t k = 0; k < words;) {
    const std::size_t end = words - k > words_per_fold ? k + words_per_fold : words;
    std::uint64_t byte_counts = 0;
    for (; k < end; ++k) {
      std::uint64_t x = word_at(k);
      x -= (x >> 1) & pairs;
      x = (x & nibbles) + ((x >> 2) & nibbles);
      byte_counts += (x + (x >> 4)) & bytes;
    }
    // Bytes pairwise into 16-bit lanes (<= 496 each), then the four lanes summed in the top one.
    const std::uint64_t lanes = (byte_counts & even_bytes) + ((byte_counts >> 8) & even_bytes);
    total += static_cast<std::size_t>((lanes * 0x0001000100010001ULL) >> 48);
  }
  return total;
}

// The number of set bits in `words`.
[[nodiscard]] inline std::size_t count_bits(std::span<const std::uint64_t> words) {
  return count_bits_of(words.size(), [words](std::size_t k) { return words[k]; });
}

// Whether any bit of `words` is set (stops at the first non-zero word).
[[nodiscard]] inline bool any_bit(std::span<const std::uint64_t> words) {
  for (const std::uint64_t w : words)
    if (w != 0) return true;
  return false;
}

}  // namespace hermes
