#pragma once
// What every fuzz target shares: the rule that hermes::error is a rejection and anything else
// escaping a reader is a finding, and the fuzzer's bytes as a string.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "hermes/core/error.hpp"

namespace hermes::fuzz {

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `read`; hermes::error is the reader's documented rejection. Any other exception
// (std::bad_alloc, std::length_error, std::out_of_range, ...) aborts, which libFuzzer reports
// as a crash with the input that caused it.
template <class Read>
void expect_clean(Read&& read) {
  try {
    read();
  } catch (const hermes::error& e) {
    // HERMES_FUZZ_VERBOSE=1: print each rejection (to check that seeds are accepted).
    if (std::getenv("HERMES_FUZZ_VERBOSE")) std::fprintf(stderr, "rejected: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finding: a reader let a non-hermes exception escape: %s\n", e.what());
    std::abort();
  }
}

// A property the reader promises (a round trip); a violation aborts.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "finding: %s\n", what);
    std::abort();
  }
}

}  // namespace hermes::fuzz
