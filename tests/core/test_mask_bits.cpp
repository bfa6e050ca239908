#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "hermes/core/mask_bits.hpp"
#include "hermes/core/neuron_mask.hpp"

using namespace hermes;

TEST_CASE("count_bits equals a popcount per word, across the 31-word folds", "[activation][mask]") {
  std::mt19937_64 rng(3);
  // Lengths around the fold size, all-ones words (the per-byte maximum) and random words.
  for (const std::size_t n : {0u, 1u, 30u, 31u, 32u, 62u, 63u, 100u, 448u}) {
    std::vector<std::uint64_t> ones(n, ~std::uint64_t{0});
    CHECK(count_bits(ones) == 64 * n);
    std::vector<std::uint64_t> w(n);
    std::size_t expected = 0;
    for (auto& x : w) {
      x = rng() & rng();
      expected += static_cast<std::size_t>(std::popcount(x));
    }
    CHECK(count_bits(w) == expected);
    CHECK(any_bit(w) == (expected > 0));
  }
  CHECK_FALSE(any_bit(std::vector<std::uint64_t>(7, 0)));
}

TEST_CASE("count_bits of a neuron_mask's words equals its count()", "[activation][mask]") {
  neuron_mask m(28672);
  std::mt19937_64 rng(4);
  for (int k = 0; k < 5000; ++k) m.set(rng() % m.size());
  CHECK(count_bits(m.words()) == m.count());
}
