#pragma once
// The exit codes of every hermes-* program and the error a bad command line throws. Apart from
// hermes_apps/command_line.hpp so that code reporting a usage error need not include CLI11.
#include "hermes/core/error.hpp"

namespace hermes::apps {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // a run failed (out of memory, a failed write included)
inline constexpr int exit_usage = 2;    // bad input: flag, value or file

// A bad command line: the message names the flag, the value and what is allowed.
class usage_error : public error {
 public:
  using error::error;
};

}  // namespace hermes::apps
