#pragma once
// Checked arithmetic for sizes derived from input. A trace header's layer and neuron counts, a
// DRAM organisation's widths and counts, token counts added together: their products can wrap
// around a 64-bit integer and then allocate nothing, index past a buffer or divide by zero.
// Every such size is computed with these helpers, which throw invalid_parameter naming the
// field, the operands and the limit instead of wrapping.
//
//   const auto bits = checked_mul("trace header: layers x neurons", layers, neurons);
//   const auto n = checked_mul("dram.organization", {channels, ranks, bank_groups, banks});
//   require_at_most("--batch", batch, limits::batch);
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "hermes/core/error.hpp"

namespace hermes {

// a * b, or invalid_parameter(field, "a x b", "a product below 2^64") when it would wrap.
template <class T>
  requires std::is_unsigned_v<T>
[[nodiscard]] T checked_mul(std::string_view field, T a, T b) {
  T r{};
  if (__builtin_mul_overflow(a, b, &r))
    throw invalid_parameter(field, std::to_string(a) + " x " + std::to_string(b),
                            "a product of at most " + std::to_string(std::numeric_limits<T>::max()));
  return r;
}

// The product of all `factors`, checked at every step.
[[nodiscard]] inline std::uint64_t checked_mul(std::string_view field, std::initializer_list<std::uint64_t> factors) {
  std::uint64_t r = 1;
  for (const std::uint64_t f : factors) r = checked_mul<std::uint64_t>(field, r, f);
  return r;
}

// a + b, or invalid_parameter when it would wrap.
template <class T>
  requires std::is_unsigned_v<T>
[[nodiscard]] T checked_add(std::string_view field, T a, T b) {
  T r{};
  if (__builtin_add_overflow(a, b, &r))
    throw invalid_parameter(field, std::to_string(a) + " + " + std::to_string(b),
                            "a sum of at most " + std::to_string(std::numeric_limits<T>::max()));
  return r;
}

// Throws invalid_parameter unless v <= max: an upper bound a user can read in --help and
// docs/errors.md.
template <class T>
  requires std::is_integral_v<T>
void require_at_most(std::string_view field, T v, T max) {
  if (v > max) throw invalid_parameter(field, std::to_string(v), "at most " + std::to_string(max));
}

// Converts v to T, or throws invalid_parameter when it does not fit.
template <class T, class U>
  requires std::is_integral_v<T> && std::is_integral_v<U>
[[nodiscard]] T checked_cast(std::string_view field, U v) {
  if (!std::in_range<T>(v))
    throw invalid_parameter(field, std::to_string(v),
                            "a value in [" + std::to_string(std::numeric_limits<T>::min()) + ", " +
                                std::to_string(std::numeric_limits<T>::max()) + "]");
  return static_cast<T>(v);
}

}  // namespace hermes
