#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "hermes/activation/trace.hpp"

using namespace hermes;

TEST_CASE("activation_trace::frequency equals counting each firing, for any token range", "[activation][trace]") {
  // Layer sizes with and without a partial last word; ranges whose lengths straddle powers of
  // two (the width of the bit-sliced counters) and neurons that fire on every token (the
  // largest count a range can hold).
  std::mt19937_64 rng(31);
  const trace_layout layout{2, 64, 200};
  activation_trace trace(layout);
  const std::size_t tokens = 300;
  for (std::size_t t = 0; t < tokens; ++t) {
    trace.append_token();
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        neuron_mask& m = trace.mask(t, l, k);
        for (std::size_t i = 0; i < m.size(); ++i)
          if (i % 50 == 7 || rng() % (1 + i % 5) == 0) m.set(i);
      }
  }
  const std::vector<std::pair<std::size_t, std::size_t>> ranges{
      {0, 0}, {5, 5}, {0, 1}, {3, 5}, {0, 3}, {10, 14}, {0, 7}, {0, 8}, {1, 10}, {0, 127}, {0, 128},
      {2, 258}, {0, 255}, {0, 256}, {0, 300}, {299, 300}};
  for (const auto& [begin, end] : ranges)
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        std::vector<double> want(layout.neurons(k), 0.0);
        for (std::size_t t = begin; t < end; ++t)
          for (std::size_t i = 0; i < want.size(); ++i)
            if (trace.mask(t, l, k).test(i)) want[i] += 1.0;
        if (end > begin)
          for (auto& v : want) v /= static_cast<double>(end - begin);
        INFO("tokens [" << begin << ", " << end << "), layer " << l);
        CHECK(trace.frequency(l, k, begin, end) == want);  // exact: counts are whole numbers
      }
  CHECK_THROWS_WITH(trace.frequency(0, layer_kind::ffn, 5, 4), Catch::Contains("token range"));
  CHECK_THROWS_WITH(trace.frequency(0, layer_kind::ffn, 0, 301), Catch::Contains("token range"));
  trace.mask(4, 1, layer_kind::ffn) = neuron_mask(100);
  CHECK_THROWS_WITH(trace.frequency(1, layer_kind::ffn, 0, 10), Catch::Contains("mask of 100 neurons"));
}
