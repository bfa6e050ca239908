#pragma once
// The pseudo-random generator behind every synthetic activation: xoshiro256** (Blackman and
// Vigna, "Scrambled linear pseudorandom number generators", 2021), seeded through splitmix64.
// Both are defined bit for bit by their integer arithmetic, so a seed gives the same trace on
// every platform and compiler; std::*_distribution is implementation-defined and never used.
#include <bit>
#include <cstdint>

namespace hermes {

// splitmix64 (Steele, Lea, Flood 2014): expands one 64-bit seed into well-mixed state words.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Derives the seed of stream `stream` from `seed` (splitmix64's finaliser over seed + (stream + 1)
// times the golden ratio): the streams' generators start at unrelated states. Seeding them with
// seed, seed + 1, ... directly would not do: xoshiro256ss(s) expands s by splitmix64 steps of
// the same golden-ratio increment, so nearby seeds would share state words.
constexpr std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class xoshiro256ss {
 public:
  using result_type = std::uint64_t;
  explicit constexpr xoshiro256ss(std::uint64_t seed) {
    for (auto& w : s_) w = splitmix64(seed);
  }
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }

  constexpr result_type operator()() {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  constexpr double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0, by Lemire's multiply-shift (bias below 2^-32 for the
  // sizes used here: layer widths and token counts, all far below 2^32).
  constexpr std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>((*this)() >> 32) * n) >> 32);
  }

 private:
  std::uint64_t s_[4]{};
};

}  // namespace hermes
