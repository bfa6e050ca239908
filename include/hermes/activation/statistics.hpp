#pragma once
// Activation statistics over traces: the quantities the Hermes paper reports (Sec III) and
// the synthetic generator is calibrated to, defined once here for tests, docs and tools.
//
//  * sparsity: 1 - the mean fraction of a layer kind's neurons active on a token.
//  * token-wise similarity at distance d (Hermes Fig 4 style): the fraction of token t's
//    active neurons that are also active at token t + d, |A_t & A_t+d| / |A_t|, averaged over
//    every (t, layer) pair whose A_t is not empty.
//  * hot share: the share of all activations carried by the top `fraction` of neurons ranked
//    by frequency over the trace, averaged over layers.
//  * layer-wise correlation: the chance a neuron fires given that all of its correlated
//    predecessors (previous layer, same kind) fired, against its base rate.
//  * predecessor co-firing: the chance that at least one of a neuron's correlated predecessors
//    fired, given that the neuron fired. The Hermes predictor (lambda = 6, T = 15, 4-bit state)
//    predicts a neuron only when one of them fired, so this bounds its recall.
//  * hot-set turnover: the share of the top-`fraction` neurons of the first window that are
//    not in the top `fraction` of the last window.
//  * next-layer co-firing (Hermes Fig 4b): over every (neuron, listed predecessor) pair, the
//    chance that the neuron fires on a token given that the predecessor fired.
//  * fixed-mapping DIMM imbalance (Hermes Sec IV-D): with a placement made once from a profile
//    (the top `fraction` of each layer's neurons hot, the rest spread over the DIMMs balancing
//    their profiled frequency), the most loaded DIMM's firings over the mean of the others',
//    per window of tokens and layer.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "hermes/activation/layer_predecessors.hpp"
#include "hermes/core/neuron_mask.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"

namespace hermes {

inline double sparsity(const activation_trace& trace, layer_kind k) {
  const auto& l = trace.layout();
  if (trace.tokens() == 0) throw error("sparsity: the trace has no tokens");
  double active = 0.0;
  for (std::size_t t = 0; t < trace.tokens(); ++t)
    for (std::size_t layer = 0; layer < l.layers; ++layer) active += static_cast<double>(trace.mask(t, layer, k).count());
  return 1.0 - active / (static_cast<double>(trace.tokens() * l.layers) * static_cast<double>(l.neurons(k)));
}

inline double token_similarity(const activation_trace& trace, layer_kind k, std::size_t distance) {
  if (distance >= trace.tokens())
    throw invalid_parameter("token_similarity distance", std::to_string(distance),
                            "less than the trace's " + std::to_string(trace.tokens()) + " tokens");
  double sum = 0.0;
  std::size_t pairs = 0;
  for (std::size_t t = 0; t + distance < trace.tokens(); ++t)
    for (std::size_t layer = 0; layer < trace.layout().layers; ++layer) {
      const neuron_mask& a = trace.mask(t, layer, k);
      const std::size_t n = a.count();
      if (n == 0) continue;
      sum += static_cast<double>(a.intersection_count(trace.mask(t + distance, layer, k))) / static_cast<double>(n);
      ++pairs;
    }
  return pairs ? sum / static_cast<double>(pairs) : 0.0;
}

// similarity_curve(trace, k, D)[d] = token_similarity(trace, k, d) for d = 0..D.
inline std::vector<double> similarity_curve(const activation_trace& trace, layer_kind k, std::size_t max_distance) {
  std::vector<double> s(max_distance + 1);
  for (std::size_t d = 0; d <= max_distance; ++d) s[d] = token_similarity(trace, k, d);
  return s;
}

// The neurons with the highest values, the top round(fraction * n); ties go to the lower index.
inline std::vector<std::uint32_t> top_neurons(std::span<const double> values, double fraction) {
  if (!(fraction > 0.0 && fraction <= 1.0))
    throw invalid_parameter("top fraction", to_text(fraction), "a value in (0, 1]");
  std::vector<std::uint32_t> order(values.size());
  std::iota(order.begin(), order.end(), 0u);
  const auto top = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(values.size())));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                    [&](std::uint32_t a, std::uint32_t b) { return values[a] != values[b] ? values[a] > values[b] : a < b; });
  order.resize(top);
  return order;
}

// Share of the total carried by the top `fraction` of entries.
inline double top_share(std::span<const double> values, double fraction = 0.2) {
  const double total = std::accumulate(values.begin(), values.end(), 0.0);
  if (total <= 0.0) return 0.0;
  double top = 0.0;
  for (std::uint32_t i : top_neurons(values, fraction)) top += values[i];
  return top / total;
}

inline double hot_share(const activation_trace& trace, layer_kind k, double fraction = 0.2) {
  double sum = 0.0;
  for (std::size_t layer = 0; layer < trace.layout().layers; ++layer)
    sum += top_share(trace.frequency(layer, k, 0, trace.tokens()), fraction);
  return sum / static_cast<double>(trace.layout().layers);
}

inline double hot_set_turnover(const activation_trace& trace, std::size_t layer, layer_kind k, std::size_t window,
                               double fraction = 0.2) {
  if (window == 0 || window > trace.tokens())
    throw invalid_parameter("hot_set_turnover window", std::to_string(window),
                            "1.." + std::to_string(trace.tokens()) + " tokens");
  const auto first = top_neurons(trace.frequency(layer, k, 0, window), fraction);
  const auto last = top_neurons(trace.frequency(layer, k, trace.tokens() - window, trace.tokens()), fraction);
  if (first.empty()) return 0.0;
  neuron_mask later(trace.layout().neurons(k));
  for (auto i : last) later.set(i);
  std::size_t left = 0;
  for (auto i : first) left += !later.test(i);
  return static_cast<double>(left) / static_cast<double>(first.size());
}

namespace detail {
// Neuron-major bitsets: bit t of row i says neuron i fired on token t. Turns co-activation
// counting into AND + popcount over ceil(tokens / 64) words.
struct token_bitsets {
  std::size_t words = 0;
  std::vector<std::uint64_t> bits;
  std::vector<std::uint32_t> count;
  token_bitsets(const activation_trace& trace, std::size_t layer, layer_kind k)
      : words((trace.tokens() + 63) / 64),
        bits(trace.layout().neurons(k) * words, 0),
        count(trace.layout().neurons(k), 0) {
    for (std::size_t t = 0; t < trace.tokens(); ++t)
      trace.mask(t, layer, k).for_each([&](std::size_t i) {
        bits[i * words + t / 64] |= std::uint64_t{1} << (t % 64);
        ++count[i];
      });
  }
  [[nodiscard]] std::uint32_t together(std::size_t i, const token_bitsets& o, std::size_t j) const {
    std::uint32_t c = 0;
    for (std::size_t w = 0; w < words; ++w) c += static_cast<std::uint32_t>(std::popcount(bits[i * words + w] & o.bits[j * o.words + w]));
    return c;
  }
};
}  // namespace detail

// For every neuron i of `layer` (kind k), the k neurons j of layer - 1 (same kind; Hermes
// correlates with the previous layer) with the highest estimated P(i fires | j fired).
// The estimate is shrunk towards i's base rate with `prior_tokens` pseudo-observations,
// (C_ij + prior_tokens * P(i)) / (N_j + prior_tokens), so a neuron j that fired once, with i,
// does not outrank one that fired with i on 40 of 50 tokens. Neurons that never fired, and
// every neuron of layer 0, get layer_predecessors::none. Cost: neurons^2 * tokens / 64 ANDs.
inline layer_predecessors top_correlated(const activation_trace& trace, std::size_t layer, layer_kind kind,
                                        std::size_t k = 2, double prior_tokens = 4.0) {
  if (layer >= trace.layout().layers)
    throw invalid_parameter("top_correlated layer", std::to_string(layer), "< " + std::to_string(trace.layout().layers));
  if (!(prior_tokens >= 0.0)) throw invalid_parameter("top_correlated prior_tokens", to_text(prior_tokens), "a value >= 0");
  const std::size_t n = trace.layout().neurons(kind);
  layer_predecessors table(n, k);
  if (layer == 0 || trace.tokens() == 0) return table;
  const detail::token_bitsets cur(trace, layer, kind), prev(trace, layer - 1, kind);
  std::vector<std::uint32_t> candidates;
  for (std::size_t j = 0; j < prev.count.size(); ++j)
    if (prev.count[j] > 0) candidates.push_back(static_cast<std::uint32_t>(j));
  const double tokens = static_cast<double>(trace.tokens());
  std::vector<std::pair<double, std::uint32_t>> best;
  for (std::size_t i = 0; i < n; ++i) {
    if (cur.count[i] == 0) continue;
    const double base = static_cast<double>(cur.count[i]) / tokens;
    best.clear();
    for (std::uint32_t j : candidates) {
      const double score = (static_cast<double>(cur.together(i, prev, j)) + prior_tokens * base) /
                           (static_cast<double>(prev.count[j]) + prior_tokens);
      // Keep the k best, highest score first, lower index on ties.
      if (best.size() == k && !(score > best.back().first)) continue;
      auto at = std::find_if(best.begin(), best.end(), [&](const auto& b) { return score > b.first; });
      best.insert(at, {score, j});
      if (best.size() > k) best.pop_back();
    }
    auto slots = table.of(i);
    for (std::size_t r = 0; r < best.size(); ++r) slots[r] = best[r].second;
  }
  return table;
}

struct correlation_lift {
  double base_rate = 0.0;        // P(i fires), over neurons with predecessors and tokens
  double rate_given_all = 0.0;   // P(i fires | all of its predecessors fired)
  double rate_given_none = 0.0;  // P(i fires | none of them fired)
  std::size_t samples_all = 0, samples_none = 0;
};

namespace detail {
struct predecessor_count {
  std::size_t valid = 0;  // predecessors listed (empty slots excluded)
  std::size_t on = 0;     // of those, how many fired in `prev`
};
// How many of neuron i's listed predecessors fired in the previous layer's mask.
inline predecessor_count fired_predecessors(const layer_predecessors& table, std::size_t i, const neuron_mask& prev) {
  predecessor_count c;
  for (std::uint32_t j : table.of(i))
    if (j != layer_predecessors::none) {
      ++c.valid;
      c.on += prev.test(j);
    }
  return c;
}
}  // namespace detail

// Measures how much a table's predecessors tell about `layer`'s neurons on `trace`.
inline correlation_lift layer_correlation(const activation_trace& trace, std::size_t layer, layer_kind kind,
                                          const layer_predecessors& table) {
  if (layer == 0 || layer >= trace.layout().layers)
    throw invalid_parameter("layer_correlation layer", std::to_string(layer), "1.." + std::to_string(trace.layout().layers - 1));
  if (table.neurons() != trace.layout().neurons(kind))
    throw error("layer_correlation: the table has " + std::to_string(table.neurons()) + " neurons, the layer " +
                std::to_string(trace.layout().neurons(kind)));
  correlation_lift r;
  std::size_t fired = 0, fired_all = 0, fired_none = 0, samples = 0;
  for (std::size_t t = 0; t < trace.tokens(); ++t) {
    const neuron_mask& cur = trace.mask(t, layer, kind);
    const neuron_mask& prev = trace.mask(t, layer - 1, kind);
    for (std::size_t i = 0; i < table.neurons(); ++i) {
      const auto [valid, on] = detail::fired_predecessors(table, i, prev);
      if (valid == 0) continue;
      const bool f = cur.test(i);
      ++samples;
      fired += f;
      if (on == valid) {
        ++r.samples_all;
        fired_all += f;
      } else if (on == 0) {
        ++r.samples_none;
        fired_none += f;
      }
    }
  }
  const auto ratio = [](std::size_t a, std::size_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  r.base_rate = ratio(fired, samples);
  r.rate_given_all = ratio(fired_all, r.samples_all);
  r.rate_given_none = ratio(fired_none, r.samples_none);
  return r;
}

// Counts over (token, neuron) samples of one or more layers: every neuron with at least one
// predecessor in the table, on every token. Beside each co-firing count, what it would be if
// every neuron fired independently of its predecessors at its own rate f_i over the trace
// (sum over neurons of f_i x the samples in which the predecessors did X): pooled ratios mix
// neurons of very different rates, and hot neurons with hot predecessors co-fire often even
// without any dependence, so "above chance" must be judged neuron by neuron. Counts add up, so
// layers pool by +=.
struct cofiring_counts {
  std::uint64_t samples = 0;         // (token, neuron) pairs
  std::uint64_t fired = 0;           // ... in which the neuron fired
  std::uint64_t any = 0;             // ... in which at least one predecessor fired
  std::uint64_t fired_with_any = 0;  // ... both
  std::uint64_t all = 0;             // ... in which every predecessor fired
  std::uint64_t fired_with_all = 0;  // ... and the neuron too
  double independent_with_any = 0.0;  // expected fired_with_any under independence
  double independent_with_all = 0.0;  // expected fired_with_all under independence

  // C = P(at least one predecessor fired | the neuron fired): the share of firings the layer
  // signal can see at all, the ceiling of the Hermes predictor's recall.
  [[nodiscard]] double cofiring() const { return ratio(fired_with_any, fired); }
  // C under independence (the same neurons, rates and predecessor activity).
  [[nodiscard]] double chance() const { return fired ? independent_with_any / static_cast<double>(fired) : 0.0; }
  // (C - chance) / (1 - chance): the share of the firings a predecessor would miss by chance
  // that it does see. 0 without dependence; the generator's coupling c where it acts alone.
  [[nodiscard]] double excess() const { return chance() < 1.0 ? (cofiring() - chance()) / (1.0 - chance()) : 0.0; }
  [[nodiscard]] double base_rate() const { return ratio(fired, samples); }
  [[nodiscard]] double rate_given_any() const { return ratio(fired_with_any, any); }
  [[nodiscard]] double rate_given_all() const { return ratio(fired_with_all, all); }
  // P(fire | every predecessor fired) / P(fire), pooled (as layer_correlation reports it).
  [[nodiscard]] double lift() const { return base_rate() > 0.0 ? rate_given_all() / base_rate() : 0.0; }
  // fired_with_all over its expectation under independence: 1 without dependence.
  [[nodiscard]] double lift_over_independence() const {
    return independent_with_all > 0.0 ? static_cast<double>(fired_with_all) / independent_with_all : 0.0;
  }

  cofiring_counts& operator+=(const cofiring_counts& o) {
    samples += o.samples;
    fired += o.fired;
    any += o.any;
    fired_with_any += o.fired_with_any;
    all += o.all;
    fired_with_all += o.fired_with_all;
    independent_with_any += o.independent_with_any;
    independent_with_all += o.independent_with_all;
    return *this;
  }

 private:
  static double ratio(std::uint64_t a, std::uint64_t b) {
    return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  }
};

// Co-firing of `layer`'s neurons (kind k) with their predecessors in `table` (layer - 1, same
// kind) over every token of `trace`. Neurons whose slots are all empty are left out.
inline cofiring_counts predecessor_cofiring(const activation_trace& trace, std::size_t layer, layer_kind kind,
                                            const layer_predecessors& table) {
  if (layer == 0 || layer >= trace.layout().layers)
    throw invalid_parameter("predecessor_cofiring layer", std::to_string(layer),
                            "1.." + std::to_string(trace.layout().layers - 1) + " (layer 0 has no predecessors)");
  const std::size_t n = trace.layout().neurons(kind);
  if (table.neurons() != n)
    throw invalid_parameter("predecessor_cofiring table neurons", std::to_string(table.neurons()),
                            std::to_string(n) + " (the layer's neurons)");
  for (std::uint32_t j : table.predecessors)
    if (j != layer_predecessors::none && j >= n)
      throw invalid_parameter("predecessor_cofiring predecessor", std::to_string(j),
                              "an index < " + std::to_string(n) + " or layer_predecessors::none");
  cofiring_counts c;
  if (trace.tokens() == 0) return c;
  // Per neuron: how often it fired, and on how many tokens any / all of its predecessors did.
  std::vector<std::uint64_t> fired(n, 0), any(n, 0), all(n, 0);
  for (std::size_t t = 0; t < trace.tokens(); ++t) {
    const neuron_mask& cur = trace.mask(t, layer, kind);
    const neuron_mask& prev = trace.mask(t, layer - 1, kind);
    for (std::size_t i = 0; i < n; ++i) {
      const auto [valid, on] = detail::fired_predecessors(table, i, prev);
      if (valid == 0) continue;
      const bool f = cur.test(i);
      ++c.samples;
      fired[i] += f;
      any[i] += on > 0;
      all[i] += on == valid;
      c.fired_with_any += f && on > 0;
      c.fired_with_all += f && on == valid;
    }
  }
  const double tokens = static_cast<double>(trace.tokens());
  for (std::size_t i = 0; i < n; ++i) {
    c.fired += fired[i];
    c.any += any[i];
    c.all += all[i];
    const double rate = static_cast<double>(fired[i]) / tokens;
    c.independent_with_any += rate * static_cast<double>(any[i]);
    c.independent_with_all += rate * static_cast<double>(all[i]);
  }
  return c;
}

// P(neuron i of `layer` fires | predecessor j fired), pooled over every listed (i, j) pair and
// token of `trace`: the statistic of Hermes Fig 4b ("its correlated neurons in the next layer
// fire with probability above 90%"). Also returns the pooled base rate of those neurons.
struct next_layer_cofiring_result {
  double given_predecessor = 0.0;  // P(i fires | j fired)
  double base_rate = 0.0;          // P(i fires) over the same (pair, token) samples
  std::uint64_t samples = 0;       // (pair, token) samples in which j fired
};
inline next_layer_cofiring_result next_layer_cofiring(const activation_trace& trace, std::size_t layer, layer_kind kind,
                                                      const layer_predecessors& table) {
  if (layer == 0 || layer >= trace.layout().layers)
    throw invalid_parameter("next_layer_cofiring layer", std::to_string(layer),
                            "1.." + std::to_string(trace.layout().layers - 1) + " (layer 0 has no predecessors)");
  const std::size_t n = trace.layout().neurons(kind);
  if (table.neurons() != n)
    throw invalid_parameter("next_layer_cofiring table neurons", std::to_string(table.neurons()),
                            std::to_string(n) + " (the layer's neurons)");
  for (std::uint32_t j : table.predecessors)
    if (j != layer_predecessors::none && j >= trace.layout().neurons(kind))
      throw invalid_parameter("next_layer_cofiring predecessor", std::to_string(j),
                              "an index < " + std::to_string(n) + " or layer_predecessors::none");
  next_layer_cofiring_result r;
  std::uint64_t both = 0, fired = 0, pairs = 0;
  for (std::size_t t = 0; t < trace.tokens(); ++t) {
    const neuron_mask& cur = trace.mask(t, layer, kind);
    const neuron_mask& prev = trace.mask(t, layer - 1, kind);
    for (std::size_t i = 0; i < n; ++i) {
      const bool f = cur.test(i);
      for (std::uint32_t j : table.of(i)) {
        if (j == layer_predecessors::none) continue;
        ++pairs;
        fired += f;
        if (prev.test(j)) {
          ++r.samples;
          both += f;
        }
      }
    }
  }
  r.given_predecessor = r.samples ? static_cast<double>(both) / static_cast<double>(r.samples) : 0.0;
  r.base_rate = pairs ? static_cast<double>(fired) / static_cast<double>(pairs) : 0.0;
  return r;
}

// The DIMM load imbalance a placement fixed offline leaves (Hermes Sec IV-D, "the most loaded
// DIMM ... 1.2x to 2.5x"): per layer of kind k, the top `hot_fraction` of neurons by `profile`
// frequency are hot (on the GPU, no DIMM load); the others go to `dimms` DIMMs of equal capacity
// (ceil(cold / dimms) neurons: the ILP's memory constraint) by longest processing time on their
// profiled frequency (each to the DIMM with the least profiled load that has room, ties to the
// lower DIMM; the balance an offline mapper reaches). On `trace`, per
// window of `window` tokens and per layer, a DIMM's load is the firings of its neurons; the
// figure is the mean over (window, layer) of max / mean(other DIMMs). Windows with no load are
// skipped; a trailing partial window is left out.
struct dimm_imbalance_result {
  double most_over_others = 0.0;  // mean over (window, layer) samples
  double mean_load = 0.0;         // mean firings per DIMM per (window, layer)
  std::size_t samples = 0;
};
inline dimm_imbalance_result fixed_mapping_imbalance(const activation_trace& trace, layer_kind k,
                                                     const std::vector<std::vector<double>>& profile, std::size_t dimms,
                                                     std::size_t window, double hot_fraction = 0.2) {
  const auto& l = trace.layout();
  if (dimms < 2) throw invalid_parameter("fixed_mapping_imbalance dimms", std::to_string(dimms), "at least 2");
  if (window == 0) throw invalid_parameter("fixed_mapping_imbalance window", "0", "at least 1 token");
  if (profile.size() != l.layers)
    throw invalid_parameter("fixed_mapping_imbalance profile layers", std::to_string(profile.size()), std::to_string(l.layers));
  if (!(hot_fraction >= 0.0 && hot_fraction < 1.0))
    throw invalid_parameter("fixed_mapping_imbalance hot_fraction", to_text(hot_fraction), "a value in [0, 1)");
  const std::size_t n = l.neurons(k);
  dimm_imbalance_result r;
  double ratio_sum = 0.0, load_sum = 0.0;
  std::vector<std::int32_t> home(n);
  std::vector<double> profiled(dimms), load(dimms);
  std::vector<std::size_t> held(dimms);
  for (std::size_t layer = 0; layer < l.layers; ++layer) {
    const auto& f = profile[layer];
    if (f.size() != n)
      throw invalid_parameter("fixed_mapping_imbalance profile neurons (layer " + std::to_string(layer) + ")",
                              std::to_string(f.size()), std::to_string(n));
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return f[a] > f[b]; });
    const auto hot = static_cast<std::size_t>(std::llround(hot_fraction * static_cast<double>(n)));
    const std::size_t capacity = (n - hot + dimms - 1) / dimms;
    std::fill(profiled.begin(), profiled.end(), 0.0);
    std::fill(held.begin(), held.end(), 0);
    for (std::size_t r_ = 0; r_ < n; ++r_) {
      const std::uint32_t i = order[r_];
      if (r_ < hot) {
        home[i] = -1;
        continue;
      }
      std::size_t j = dimms;
      for (std::size_t d = 0; d < dimms; ++d)
        if (held[d] < capacity && (j == dimms || profiled[d] < profiled[j])) j = d;
      home[i] = static_cast<std::int32_t>(j);
      profiled[j] += f[i];
      ++held[j];
    }
    for (std::size_t w = 0; w + window <= trace.tokens(); w += window) {
      std::fill(load.begin(), load.end(), 0.0);
      for (std::size_t t = w; t < w + window; ++t)
        trace.mask(t, layer, k).for_each([&](std::size_t i) {
          if (home[i] >= 0) load[static_cast<std::size_t>(home[i])] += 1.0;
        });
      double sum = 0.0, mx = 0.0;
      for (double x : load) sum += x, mx = std::max(mx, x);
      const double others = (sum - mx) / static_cast<double>(dimms - 1);
      if (sum <= 0.0 || others <= 0.0) continue;
      ratio_sum += mx / others;
      load_sum += sum / static_cast<double>(dimms);
      ++r.samples;
    }
  }
  if (r.samples) {
    r.most_over_others = ratio_sum / static_cast<double>(r.samples);
    r.mean_load = load_sum / static_cast<double>(r.samples);
  }
  return r;
}

}  // namespace hermes
