// A user-written offline mapper, plugged into a whole Hermes simulation without touching the
// library: any type with `place(const placement_problem&) -> placement_result` models
// hermes::offline_mapper. This one is deliberately simple:
//   - the GPU takes the neurons with the highest activation frequency over all layer stages,
//     hottest first, until its memory for neuron copies is full;
//   - every layer's neurons are dealt to the DIMMs in order of frequency (snake order: 1..D,
//     D..1, ...), so each DIMM gets as many hot neurons as cold ones.
// finish_placement() evaluates it on the paper's objective (Eq 1-7), checks every capacity and
// reports the gap to the LP bound, like the library's own mappers.
//
// Run: build/examples/custom_mapper   (LLaMA2-70B, RTX 4090 + 8 NDP-DIMMs, 128 + 128 tokens)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "hermes/all.hpp"  // the systems and the registry need the CBC component (hermes::all)

struct hottest_first_mapper {
  hermes::placement_result place(const hermes::placement_problem& p) const {
    const auto started = std::chrono::steady_clock::now();
    const hermes::lp_relaxation lp = hermes::solve_lp_relaxation(p);  // validates p; the bound to report
    std::vector<hermes::layer_placement> layers;
    for (const auto& layer : p.layers) layers.emplace_back(layer.neurons(), hermes::cold_device(0), hermes::hot_device);
    // Homes: each layer's neurons by decreasing frequency (lp.order), dealt in snake order.
    for (std::size_t l = 0; l < p.layers.size(); ++l)
      for (std::size_t rank = 0; rank < lp.order[l].size(); ++rank) {
        const std::size_t round = rank / p.dimms, pos = rank % p.dimms;
        layers[l].home[lp.order[l][rank]] = hermes::cold_device(round % 2 == 0 ? pos : p.dimms - 1 - pos);
      }
    // GPU copies: the hottest neurons of the whole model while they fit.
    struct candidate {
      double frequency;
      std::uint32_t layer, neuron;
    };
    std::vector<candidate> all;
    for (std::uint32_t l = 0; l < p.layers.size(); ++l)
      for (std::uint32_t i = 0; i < p.layers[l].neurons(); ++i) all.push_back({p.layers[l].frequency[i], l, i});
    std::stable_sort(all.begin(), all.end(), [](const candidate& a, const candidate& b) { return a.frequency > b.frequency; });
    double room = p.gpu_capacity.value();
    for (const candidate& c : all) {
      const double b = p.layers[c.layer].neuron_bytes.value();
      if (c.frequency <= 0.0 || b > room) continue;
      layers[c.layer].cached.set(c.neuron);
      room -= b;
    }
    return hermes::finish_placement(p, std::move(layers), hermes::placement_method::custom, lp.bound, started);
  }
};
static_assert(hermes::check_offline_mapper<hottest_first_mapper>());

// Hermes with this mapper instead of its ILP, beside Hermes itself.
inline int compare_mappers(const hermes::workload_config& w, const hermes::hardware_config& h) {
  const auto mine = hermes::make_split_system<hermes::ndp_dimm>(
      "Hermes + hottest-first", hermes::hermes_predictor_factory{}, hottest_first_mapper{},
      hermes::hot_cold_adjustment_policy{}, hermes::window_remapping_policy{});
  const hermes::sim_result results[] = {hermes::run_system("Hermes", w, h), hermes::run_split(mine, w, h)};
  std::printf("%s, batch %zu, %zu + %zu tokens\n", w.model.name.c_str(), w.batch, w.input_len, w.output_len);
  std::printf("%-24s %20s %10s %16s %14s\n", "system", "placement", "tokens/s", "objective (ms)", "gap to bound");
  for (const auto& r : results)
    std::printf("%-24s %20s %10.3g %16.4g %13.2f%%\n", r.system.c_str(), r.placement_method.c_str(), r.decode_tokens_per_second,
                1e3 * r.placement_objective.value(), 100.0 * r.placement_gap);
  return results[1].supported && results[1].placement_method == "custom" ? 0 : 1;
}

int main() {
  hermes::workload_config w;  // LLaMA2-70B, batch 1, 128 prompt + 128 generated tokens
  w.model = hermes::model_presets::llama2_70b();
  return compare_mappers(w, hermes::hardware_config{});  // RTX 4090 + 8 NDP-DIMMs
}
