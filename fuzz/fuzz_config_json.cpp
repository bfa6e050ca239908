// Fuzzes the JSON configuration reader (io/config_json.hpp): parse_config_text, apply_json over
// the defaults, validate_config, and writing the result back (to_json, dump) as
// hermes-sim --print-config does.
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "hermes/io/config_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(hermes::fuzz::bytes(data, size));
  hermes::fuzz::expect_clean([&] {
    hermes::sim_config c;
    hermes::apply_json(c, hermes::parse_config_text(text, "fuzz.json"), "fuzz.json");
    hermes::validate_config(c, "fuzz.json");
    const std::string printed = hermes::to_json(c).dump(2);
    // What --print-config writes reads back to the same configuration.
    hermes::sim_config again;
    hermes::apply_json(again, hermes::parse_config_text(printed, "printed"), "printed");
    hermes::fuzz::require(hermes::to_json(again).dump(2) == printed, "config: print(read(print(c))) != print(c)");
  });
  return 0;
}
