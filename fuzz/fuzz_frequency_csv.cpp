// Fuzzes the frequency-profile CSV reader (activation/profile.hpp, frequency_profile::read_csv)
// and, on a profile it accepts, the round trip through write_csv.
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_support.hpp"
#include "hermes/activation/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file(hermes::fuzz::bytes(data, size));
  hermes::fuzz::expect_clean([&] {
    std::istringstream in(file);
    const auto p = hermes::frequency_profile::read_csv(in, "fuzz.csv");
    p.validate();
    std::ostringstream out;
    p.write_csv(out);
    std::istringstream again(out.str());
    const auto q = hermes::frequency_profile::read_csv(again, "fuzz.csv (written back)", p.layout());
    for (std::size_t l = 0; l < p.layout().layers; ++l)
      for (auto k : {hermes::layer_kind::attention, hermes::layer_kind::ffn})
        hermes::fuzz::require(p.frequencies(l, k) == q.frequencies(l, k), "profile CSV: read(write(p)) != p");
  });
  return 0;
}
