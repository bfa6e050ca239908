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
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n0,mlp,0,0.5\n", one), Catch::Contains("p.csv:3") && Catch::Contains("\"mlp\""));
  CHECK_THROWS_WITH(read(header + "0,ffn,0,abc\n", one), Catch::Contains("p.csv:2") && Catch::Contains("not a number"));
  CHECK_THROWS_WITH(read(header + "0,ffn,0\n", one), Catch::Contains("3 fields"));
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n0,ffn,3,0.5\n", one), Catch::Contains("p.csv:3") && Catch::Contains("neuron 3 outside [0, 1)"));
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n1,ffn,0,0.5\n", one), Catch::Contains("p.csv:3") && Catch::Contains("layer 1"));
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n0,ffn,0,0.5\n0,ffn,0,0.5\n", one), Catch::Contains("p.csv:4") && Catch::Contains("repeats line 3"));
  CHECK_THROWS_WITH(read(header + "0,attention,0,0.5\n", one), Catch::Contains("ffn neuron 0 is missing"));
  CHECK_THROWS_WITH(read(""), Catch::Contains("empty"));
}
