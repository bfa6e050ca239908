#pragma once
// One exception type for every bad input the library rejects: a bad file, a bad configuration
// value, an impossible placement. The message names the field (or file), the value found and
// what is allowed, so a user can fix the input without reading the source.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "hermes/core/text.hpp"

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

// Thrown when an input file cannot be used: it is missing, unreadable, truncated, or its
// contents are not a valid file of its kind (a damaged checkpoint, tokenizer, trace or CSV). The
// message names the file and, where it can, the offset or line and what was expected there.
class input_file_error : public error {
 public:
  using error::error;
};

// Thrown when a model or working set does not fit the memory of a system.
class capacity_exceeded : public error {
 public:
  using error::error;
};

// Thrown when a request is valid but would need more of the host running the simulation than it
// has (sim/host_memory.hpp: the estimated host memory of a run over HERMES_MEMORY_BUDGET). A bad
// input (the programs exit 2): the message names the fields that drive the estimate.
class resource_limit : public invalid_parameter {
 public:
  using invalid_parameter::invalid_parameter;
};

// Thrown when a check of the simulator's own consistency fails (sim/invariants.hpp): an active
// neuron computed twice, a device over capacity, a ledger interval outside its stage, link bytes
// that do not match a placement change, a non-finite modelled time. A bug (in the library or in
// a user's policy), not a bad input: the programs exit 1. what() says what broke and where.
class invariant_violation : public error {
 public:
  invariant_violation(std::string_view what, std::string_view where)
      : error("invariant violated: " + std::string(what) + " (at " + std::string(where) + ")"),
        what_(what), where_(where) {}
  [[nodiscard]] const std::string& violated() const { return what_; }
  [[nodiscard]] const std::string& where() const { return where_; }

 private:
  std::string what_;
  std::string where_;
};


// require_positive("gpu.bandwidth", bw.value()) throws invalid_parameter unless v > 0.
template <class T>
void require_positive(std::string_view field, T v) {
  if (!(v > T{})) throw invalid_parameter(field, to_text(v), "a value > 0");
}
template <class T>
void require_non_negative(std::string_view field, T v) {
  if (!(v >= T{})) throw invalid_parameter(field, to_text(v), "a value >= 0");
}
// require_fraction("gpu.compute_efficiency", f) throws unless 0 < f <= 1: an achievable fraction
// of a peak rate.
inline void require_fraction(std::string_view field, double f) {
  if (!(f > 0.0 && f <= 1.0)) throw invalid_parameter(field, to_text(f), "a fraction in (0, 1]");
}
// require_count("dram.organization.channels", n) throws unless n >= 1.
inline void require_count(std::string_view field, std::size_t v) {
  if (v == 0) throw invalid_parameter(field, "0", "a count >= 1");
}

}  // namespace hermes
