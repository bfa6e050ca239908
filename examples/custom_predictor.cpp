// A user-written predictor, plugged in without touching the library: a 2-bit saturating counter
// per neuron (predict "active" while the counter is >= 2). Any type with predict / update /
// table_bytes models hermes::predictor and runs wherever the library takes one.
#include <cstdio>
#include <random>
#include <vector>

#include "hermes/predict/all.hpp"

struct two_bit_counter_predictor {
  explicit two_bit_counter_predictor(const hermes::trace_layout& layout) : layout(layout) {
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (auto k : {hermes::layer_kind::attention, hermes::layer_kind::ffn})
        counters.emplace_back(layout.neurons(k), std::uint8_t{1});
  }
  void predict(const hermes::prediction_request& r, hermes::prediction& out) const {
    const auto& c = counters.at(slot(r));
    hermes::resize_mask(out.active, c.size());
    for (std::size_t i = 0; i < c.size(); ++i) out.active.set(i, c[i] >= 2);
    out.hot = out.active;
    out.available = r.ready;
  }
  void update(const hermes::prediction_request& r, const hermes::neuron_mask& actual) {
    auto& c = counters.at(slot(r));
    for (std::size_t i = 0; i < c.size(); ++i)
      c[i] = actual.test(i) ? std::uint8_t(c[i] < 3 ? c[i] + 1 : 3) : std::uint8_t(c[i] > 0 ? c[i] - 1 : 0);
  }
  hermes::bytes table_bytes() const {  // stored one per byte here; 2 bits of information each
    double n = 0;
    for (const auto& c : counters) n += static_cast<double>(c.size());
    return hermes::bytes(n);
  }
  static std::size_t slot(const hermes::prediction_request& r) {
    return r.layer * hermes::layer_kinds + static_cast<std::size_t>(r.kind);
  }
  hermes::trace_layout layout;
  std::vector<std::vector<std::uint8_t>> counters;
};
static_assert(hermes::check_predictor<two_bit_counter_predictor>());

int main() {
  // A small trace where every neuron repeats its last token's state 90% of the time.
  hermes::activation_trace trace(hermes::trace_layout{4, 64, 256});
  std::mt19937_64 rng(1);
  std::bernoulli_distribution keep(0.9), fire(0.2);
  for (std::size_t t = 0; t < 64; ++t) {
    trace.append_token();
    for (std::size_t l = 0; l < 4; ++l)
      for (auto k : {hermes::layer_kind::attention, hermes::layer_kind::ffn})
        for (std::size_t i = 0; i < trace.layout().neurons(k); ++i)
          trace.mask(t, l, k).set(i, t > 0 && keep(rng) ? trace.mask(t - 1, l, k).test(i) : fire(rng));
  }
  two_bit_counter_predictor mine(trace.layout());
  const auto run = hermes::replay_trace(mine, trace, 0, trace.tokens());
  std::printf("2-bit counter: accuracy %.3f recall %.3f precision %.3f, %.0f table bytes\n",
              run.metrics.accuracy(), run.metrics.recall(), run.metrics.precision(), run.table_bytes.value());
  return run.metrics.accuracy() > 0.5 ? 0 : 1;
}
