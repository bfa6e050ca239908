#pragma once
// Internal helpers shared by the device policies: validation of achievable fractions and
// lookup of a named preset. Include the device headers instead of this one.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "hermes/core/error.hpp"

namespace hermes::detail {

// Throws invalid_parameter unless 0 < f <= 1: an achievable fraction of a peak rate.
inline void require_fraction(std::string_view field, double f) {
  if (!(f > 0.0 && f <= 1.0)) throw invalid_parameter(field, to_text(f), "a fraction in (0, 1]");
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// The element of `presets` whose .name equals `name` (case-insensitive); otherwise throws
// invalid_parameter(field, name, "one of: <every valid name>").
template <class Range>
auto find_named_preset(const Range& presets, std::string_view name, std::string_view field) {
  std::string valid;
  for (const auto& preset : presets) {
    if (equals_ignoring_case(preset.name, name)) return preset;
    valid += (valid.empty() ? "" : ", ") + std::string(preset.name);
  }
  throw invalid_parameter(field, std::string(name), "one of: " + valid);
}

}  // namespace hermes::detail
