// A user-written predictor, plugged into a whole Hermes simulation without touching the library:
// a 2-bit saturating counter per neuron (predict "active" while the counter is >= 2). Any type
// with predict / update / table_bytes models hermes::predictor; this one also reports a 4-bit
// state per neuron (state()), so Hermes' online hot/cold adjuster can read it, and its host cost
// (host_work(); without it the engine charges a documented default).
//
// Run: build/examples/custom_predictor   (LLaMA2-70B, RTX 4090 + 8 NDP-DIMMs, 128 + 128 tokens)
#include <cstdint>
#include <cstdio>
#include <vector>

#include "hermes/all.hpp"  // the systems and the registry need the CBC component (hermes::all)

struct two_bit_counter_predictor {
  explicit two_bit_counter_predictor(const hermes::trace_layout& layout) {
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (auto k : {hermes::layer_kind::attention, hermes::layer_kind::ffn})
        counters.emplace_back(layout.neurons(k), std::uint8_t{1});
  }
  void predict(const hermes::prediction_request& r, hermes::prediction& out) const {
    const auto& c = counters.at(slot(r.layer, r.kind));
    hermes::resize_mask(out.active, c.size());
    for (std::size_t i = 0; i < c.size(); ++i) out.active.set(i, c[i] >= 2);
    out.hot = out.active;
    out.available = r.ready;
  }
  void update(const hermes::prediction_request& r, const hermes::neuron_mask& actual) {
    auto& c = counters.at(slot(r.layer, r.kind));
    for (std::size_t i = 0; i < c.size(); ++i)
      c[i] = actual.test(i) ? std::uint8_t(c[i] < 3 ? c[i] + 1 : 3) : std::uint8_t(c[i] > 0 ? c[i] - 1 : 0);
  }
  hermes::bytes table_bytes() const {  // stored one per byte here; 2 bits of information each
    double n = 0;
    for (const auto& c : counters) n += static_cast<double>(c.size());
    return hermes::bytes(n);
  }
  // For the hot/cold adjuster: counter 0..3 as a 4-bit state 0, 5, 10, 15 (hot above 10).
  unsigned state(std::size_t layer, hermes::layer_kind k, std::size_t neuron) const {
    return 5u * counters[slot(layer, k)][neuron];
  }
  // The host reads and writes one byte per neuron of the stage, one operation each.
  hermes::vector_work host_work(std::size_t neurons) const {
    hermes::vector_work w;
    w.elements = neurons;
    w.flops_per_element = 1.0;
    w.bytes_per_element = 1.0;
    return w;
  }
  static std::size_t slot(std::size_t layer, hermes::layer_kind k) {
    return layer * hermes::layer_kinds + static_cast<std::size_t>(k);
  }
  std::vector<std::vector<std::uint8_t>> counters;
};
static_assert(hermes::check_predictor<two_bit_counter_predictor>());

// Hermes with the 2-bit counters instead of its own predictor, beside Hermes itself.
inline int compare_predictors(const hermes::workload_config& w, const hermes::hardware_config& h) {
  const auto mine = hermes::make_split_system<hermes::ndp_dimm>(
      "Hermes + 2-bit counters",
      [](const hermes::predictor_context& c) { return two_bit_counter_predictor(c.layout); },
      hermes::engine_ilp_mapper(), hermes::hot_cold_adjustment_policy{}, hermes::window_remapping_policy{});
  const hermes::sim_result results[] = {hermes::run_system("Hermes", w, h), hermes::run_split(mine, w, h)};
  std::printf("%s, batch %zu, %zu + %zu tokens\n", w.model.name.c_str(), w.batch, w.input_len, w.output_len);
  std::printf("%-26s %10s %10s %8s %8s %14s\n", "system", "tokens/s", "end-to-end", "accuracy", "recall", "table (bytes)");
  for (const auto& r : results)
    std::printf("%-26s %10.3g %10.3g %8.3f %8.3f %14.0f\n", r.system.c_str(), r.decode_tokens_per_second,
                r.end_to_end_tokens_per_second, r.prediction_accuracy, r.prediction_recall, r.predictor_table.value());
  return results[1].supported && results[1].decode_tokens_per_second > 0.0 ? 0 : 1;
}

int main() {
  hermes::workload_config w;  // LLaMA2-70B, batch 1, 128 prompt + 128 generated tokens
  w.model = hermes::model_presets::llama2_70b();
  return compare_predictors(w, hermes::hardware_config{});  // RTX 4090 + 8 NDP-DIMMs
}
