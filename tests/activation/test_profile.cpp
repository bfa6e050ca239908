#include <catch2/catch.hpp>

#include <sstream>

#include "hermes/activation/profile.hpp"
#include "hermes/activation/source.hpp"
#include "hermes/activation/synthetic_source.hpp"

using namespace hermes;

namespace {
frequency_profile read(const std::string& text, std::optional<trace_layout> expected = std::nullopt) {
  std::istringstream is(text);
  return frequency_profile::read_csv(is, "p.csv", expected);
}
const std::string header = "layer,kind,neuron,frequency\n";
}  // namespace

TEST_CASE("frequency_profile: frequencies of a trace, by hand", "[activation][profile]") {
  activation_trace t(trace_layout{1, 2, 3});
  t.append_token();
  t.append_token();
  t.mask(0, 0, layer_kind::ffn).set(2);
  t.mask(1, 0, layer_kind::ffn).set(2);
  t.mask(1, 0, layer_kind::ffn).set(0);
  t.mask(1, 0, layer_kind::attention).set(1);
  const auto p = frequency_profile::from_trace(t);
  CHECK(p.frequencies(0, layer_kind::ffn) == std::vector<double>{0.5, 0.0, 1.0});
  CHECK(p.frequencies(0, layer_kind::attention) == std::vector<double>{0.0, 0.5});
}

TEST_CASE("frequency_profile: the CSV round trip is exact", "[activation][profile]") {
  synthetic_source src(trace_layout{3, 40, 90});
  const auto prompt = read_prompt(src, 17);
  std::stringstream ss;
  prompt.profile.write_csv(ss);
  const auto back = frequency_profile::read_csv(ss, "memory", prompt.profile.layout());
  for (std::size_t l = 0; l < 3; ++l)
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      CHECK(back.frequencies(l, k) == prompt.profile.frequencies(l, k));
    }
  // Without an expected layout the CSV's own extent defines it; row order does not matter.
  const auto small = read(header + "0,ffn,1,0.5\n0,attention,0,1\n0,ffn,0,0.25\n");
  CHECK(small.layout() == trace_layout{1, 1, 2});
  CHECK(small.frequencies(0, layer_kind::ffn) == std::vector<double>{0.25, 0.5});
}

TEST_CASE("frequency_profile: bad CSV input names the line and the problem", "[activation][profile]") {
  const trace_layout one{1, 1, 1};
  CHECK_THROWS_WITH(read("layer,kind,neuron\n"), Catch::Contains("p.csv:1") && Catch::Contains("header"));
  CHECK_THROWS_WITH(read(header + "0,ffn,0,1.5\n", one), Catch::Contains("p.csv:2") && Catch::Contains("outside [0, 1]"));
  CHECK_THROWS_WITH(read(header + "0,ffn,0,-0.1\n", one), Catch::Contains("p.csv:2"));
  CHECK_THROWS_AS(read(header + "0,ffn,0,-0.1\n", one), input_file_error);  // bad input: exit 2 in the programs
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n0,mlp,0,0.5\n", one), Catch::Contains("p.csv:3") && Catch::Contains("\"mlp\""));
  CHECK_THROWS_WITH(read(header + "0,ffn,0,abc\n", one), Catch::Contains("p.csv:2") && Catch::Contains("not a number"));
  CHECK_THROWS_WITH(read(header + "0,ffn,0\n", one), Catch::Contains("3 fields"));
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n0,ffn,3,0.5\n", one), Catch::Contains("p.csv:3") && Catch::Contains("neuron 3 outside [0, 1)"));
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n1,ffn,0,0.5\n", one), Catch::Contains("p.csv:3") && Catch::Contains("layer 1"));
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n0,ffn,0,0.5\n0,ffn,0,0.5\n", one), Catch::Contains("p.csv:4") && Catch::Contains("repeats line 3"));
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n", one), Catch::Contains("ffn neuron 0 is missing"));
  CHECK_THROWS_WITH(read(""), Catch::Contains("empty"));
}

TEST_CASE("frequency_profile: a CSV cannot make the reader allocate what its rows do not cover", "[activation][profile]") {
  using Catch::Contains;
  // One row naming neuron 10^12 (or layer 10^12) would otherwise size a layout of 10^12
  // neurons before "missing" is found.
  CHECK_THROWS_WITH(read(header + "0,ffn,1000000000000,0.5\n"),
                    Contains("p.csv:2") && Contains("neuron 1000000000000 is beyond what 33554432 rows"));
  CHECK_THROWS_WITH(read(header + "1000000000000,ffn,0,0.5\n"), Contains("layer 1000000000000"));
  // 2^64 - 1 + 1 must not wrap to an empty layout.
  CHECK_THROWS_WITH(read(header + "18446744073709551615,ffn,0,0.5\n"), Contains("layer 18446744073709551615"));
  // Below the row cap, but more neurons than rows: refused before the layout is allocated.
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n30000000,ffn,20000000,0.5\n"),
                    Contains("only 2 rows: every neuron needs a row"));
}

TEST_CASE("frequency_profile: CSV messages quote at most 60 characters of a value", "[activation][profile]") {
  const std::string big(100000, '7');
  const auto message = [](const std::string& text) {
    try {
      (void)read(text);
    } catch (const error& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  for (const std::string& text : {big + "\n", header + big + ",ffn,0,0.5\n", header + "0," + big + ",0,0.5\n",
                                  header + "0,ffn," + big + "x,0.5\n", header + "0,ffn,0," + big + "\n",
                                  header + "0,ffn,0,0." + big + "x\n"}) {
    const std::string m = message(text);
    CHECK(m.size() < 200);
    CHECK_THAT(m, Catch::Contains("..."));
  }
  // A line of commas is counted, not split into a million fields.
  CHECK_THAT(message(header + std::string(1000000, ',') + "\n"), Catch::Contains("1000001 fields"));
}

TEST_CASE("frequency_profile: fuzzer finding, a row's layer index sized a 3.6 GB layout", "[activation][profile]") {
  // Found by fuzz/fuzz_frequency_csv against the reader before issue #14's caps: out of memory
  // (malloc of 3651854496 bytes) for a 238-byte file.
  const std::string file =
      "layer,kind,neuron,frequency\n0,attention,0,0.9649975950146618\n0,attention,1,0.9246633556616722303956\n"
      "0,ffn,3,1.0\n1,attention,0,0.0\n1,attention,1,1.0\n1,attention,2,0.776\n76080301,ffn,0,0.7527291892533396\n"
      "1,ffn,1,0.0\n1,ffn,2,1.0\n0,ffn,3,1.0\n";
  CHECK_THROWS_WITH(read(file), Catch::Contains("p.csv:8: layer 76080301 is beyond what 33554432 rows"));
}
