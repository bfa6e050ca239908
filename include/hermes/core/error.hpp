#pragma once
// One exception type for every bad input the library rejects: a bad file, a bad configuration
// value, an impossible placement. The message names the field (or file), the value found and
// what is allowed, so a user can fix the input without reading the source.
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hermes {

class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when a value is outside what a parameter allows.
class invalid_parameter : public error {
 public:
  invalid_parameter(std::string_view field, std::string_view found, std::string_view allowed)
      : error(std::string(field) + " = " + std::string(found) + " is invalid: expected " +
              std::string(allowed)),
        field_(field) {}
  [[nodiscard]] const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// Thrown when a model or working set does not fit the memory of a system.
class capacity_exceeded : public error {
 public:
  using error::error;
};

namespace detail {
template <class T>
std::string to_text(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace detail

// require_positive("gpu.bandwidth", bw.value()) throws invalid_parameter unless v > 0.
template <class T>
void require_positive(std::string_view field, T v) {
  if (!(v > T{})) throw invalid_parameter(field, detail::to_text(v), "a value > 0");
}
template <class T>
void require_non_negative(std::string_view field, T v) {
  if (!(v >= T{})) throw invalid_parameter(field, detail::to_text(v), "a value >= 0");
}

}  // namespace hermes
