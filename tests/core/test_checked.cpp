#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "hermes/core/checked.hpp"

using namespace hermes;

TEST_CASE("checked arithmetic: products and sums that wrap are refused, naming the field", "[core][checked]") {
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  CHECK(checked_mul<std::uint64_t>("f", 1ull << 31, 1ull << 32) == (1ull << 63));
  CHECK_THROWS_WITH(checked_mul<std::uint64_t>("trace header", 1ull << 32, 1ull << 32),
                    Catch::StartsWith("trace header = 4294967296 x 4294967296 is invalid"));
  CHECK(checked_mul("dram", {2, 4, 8}) == 64);
  CHECK_THROWS_AS(checked_mul("dram", {1ull << 20, 1ull << 20, 1ull << 20, 1ull << 5}), invalid_parameter);
  CHECK(checked_add<std::uint64_t>("len", max - 1, 1) == max);
  CHECK_THROWS_WITH(checked_add<std::uint64_t>("len", max, 1), Catch::Contains("a sum of at most"));
  // 32-bit operands wrap at 2^32.
  CHECK_THROWS_AS(checked_mul<std::uint32_t>("x", 1u << 16, 1u << 16), invalid_parameter);
}

TEST_CASE("checked arithmetic: bounds and narrowing", "[core][checked]") {
  CHECK_NOTHROW(require_at_most("--batch", 256, 256));
  CHECK_THROWS_WITH(require_at_most("--batch", 257, 256), "--batch = 257 is invalid: expected at most 256");
  CHECK(checked_cast<int>("n", std::uint64_t{7}) == 7);
  CHECK_THROWS_AS(checked_cast<int>("n", std::uint64_t{1} << 40), invalid_parameter);
  CHECK_THROWS_AS(checked_cast<std::uint32_t>("n", -1), invalid_parameter);
}
