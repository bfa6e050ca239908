// Fuzzes the activation trace reader (activation/trace_file.hpp, decode_trace) and, on a trace
// it accepts, the frequency profile of it and the round trip through encode_trace.
#include <cstdint>
#include <vector>

#include "fuzz_support.hpp"
#include "hermes/activation/profile.hpp"
#include "hermes/activation/trace_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<unsigned char> file(data, data + size);
  hermes::fuzz::expect_clean([&] {
    const auto trace = hermes::decode_trace(file, "fuzz trace");
    hermes::fuzz::require(hermes::encode_trace(trace) == file, "trace: encode(decode(file)) != file");
    if (trace.tokens() > 0) {
      const auto profile = hermes::frequency_profile::from_trace(trace);
      profile.validate();
    }
  });
  return 0;
}
