#pragma once
// Lookup by name, case-insensitive, for every named set (GPU, host CPU, link and model presets):
// an unknown name is rejected with the list of valid ones.
#include <string>
#include <string_view>

#include "hermes/core/error.hpp"
#include "hermes/core/text.hpp"

namespace hermes {

// The element of `named` whose .name equals `name` ignoring case; otherwise throws
// invalid_parameter(field, name, "one of: <every valid name>").
template <class Range>
[[nodiscard]] auto find_named(const Range& named, std::string_view name, std::string_view field) {
  std::string valid;
  for (const auto& element : named) {
    if (equals_ignoring_case(element.name, name)) return element;
    valid += (valid.empty() ? "" : ", ") + std::string(element.name);
  }
  throw invalid_parameter(field, std::string(name), "one of: " + valid);
}

}  // namespace hermes
