#pragma once
// Numbers and names as text, written once for the library and the programs: values in messages
// (to_text, preview), tables (to_text with a precision, significant_text), sizes (gigabytes), and the
// case-insensitive comparison every lookup by name uses (presets, systems, command-line flags).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>
#include <string_view>

#include "hermes/core/units.hpp"

namespace hermes {

// v as an ostream prints it (six significant digits for a double).
template <class T>
[[nodiscard]] std::string to_text(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// At most `max_chars` characters of `text` for an error message, with "..." when it was longer
// (then max_chars - 3 characters and "..."): a message quoting a value read from a file stays
// one readable line however long the value is. Cuts at bytes; a multi-byte character at the
// cut is cut too.
[[nodiscard]] inline std::string preview(std::string_view text, std::size_t max_chars = 60) {
  if (text.size() <= max_chars) return std::string(text);
  if (max_chars < 3) return std::string(max_chars, '.');
  return std::string(text.substr(0, max_chars - 3)) + "...";
}

// v with `precision` significant digits, as an ostream prints it ("1.235e+05" when it must).
[[nodiscard]] inline std::string to_text(double v, int precision) {
  std::ostringstream os;
  os << std::setprecision(precision) << v;
  return os.str();
}

// v for a report: `significant` digits in fixed notation without trailing zeros, whole numbers
// from 1e4 up, scientific below 1e-3; "n/a" for NaN, "inf" / "-inf".
[[nodiscard]] inline std::string significant_text(double v, int significant = 4) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  const double a = std::abs(v);
  if (a >= 1e4) {
    os << std::fixed << std::setprecision(0) << v;
  } else if (a != 0.0 && a < 1e-3) {
    os << std::setprecision(significant) << v;
  } else {
    const int digits = a == 0.0 ? 0 : static_cast<int>(std::floor(std::log10(a))) + 1;
    os << std::fixed << std::setprecision(std::max(0, significant - std::max(digits, 1))) << v;
    std::string s = os.str();
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s;
  }
  return os.str();
}

// A size in decimal gigabytes, truncated to one decimal: "137.4 GB".
[[nodiscard]] inline std::string gigabytes(bytes b) {
  const double gb = b.value() / 1e9;
  std::string s = std::to_string(gb);
  return s.substr(0, s.find('.') + 2) + " GB";
}

[[nodiscard]] inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

[[nodiscard]] inline std::string lower_case(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace hermes
