#pragma once
// A seeded synthetic activation source for model shapes we cannot run (OPT-13B..66B,
// LLaMA2-13B/70B, Falcon-40B), calibrated to the workload statistics the Hermes paper reports
// (Sec III, Fig 4) and to published sparsities (docs/parameters.md, "Synthetic activations";
// docs/activation-statistics.md compares it with real traces). It is a stochastic process, not
// a replay of numbers:
//
//  * Clusters. The neurons of a layer kind are grouped into clusters of about `cluster_size`
//    neurons that fire together: a neuron fires on a token iff its cluster is active AND its own
//    gate is open. The cluster of neuron i = 64 w + b (word w, bit b) is bit b of cluster word
//    sigma_l(w), sigma_l a random balanced map of the layer's mask words onto its cluster words,
//    so a token's mask is, per 64 neurons, one cluster word ANDed with 64 gate bits.
//  * Clusters chain across layers (Hermes Fig 4b, layer-wise correlation). Cluster c of layer
//    l >= 1 is linked to cluster c of layer l - 1 with probability `layer_coupling` (drawn with
//    the model): a linked cluster is active exactly when its predecessor cluster is, so a
//    neuron's 2 predecessors (ground truth: correlation()) are two neurons of its cluster in the
//    previous layer, and when one of them fires the neuron fires with probability a (its gate):
//    a = next_layer_cofiring, the paper's "over 90%". An unlinked cluster runs its own chain.
//  * Power law (Hermes Sec III-A). A cluster holds a rank slot; the slot's activity pi follows
//    the propensity_law, calibrated so that the top hot_fraction of neurons carry hot_share of
//    the activations at the kind's density (pi scaled by a). The attention law shares the FFN's
//    exponent. No neuron fires on every token: at most a fraction a of them.
//  * Token-wise persistence (Sec III-B, Fig 4a). A cluster's activity and a neuron's gate are
//    two-state Markov chains: with probability rho the state is kept, otherwise drawn afresh
//    (cluster: on with pi; gate: open with a). Marginals stay pi and a, and
//        S(d) = (a + (1 - a) rho^d) (e^(-lambda d) (F + (1 - F) rho^d) + (1 - e^(-lambda d)) D_c)
//    with F = the clusters' floor (integral pi^2 / integral pi), D_c = integral pi, lambda the
//    drift rate below. rho and F are solved from S(1) = adjacent_similarity and the mean of S(d)
//    over d = 11..32 = long_range_similarity ("about 70% at distance > 10") within a context,
//    i.e. at lambda = 0: with the default drift the mean over 11..32 is 0.66 (FFN), as measured.
//    A neuron's 2 predecessors are ground truth; the head of the law (clusters with pi = 1) is
//    active on every token only while it holds a head slot, and its neurons fire with a.
//  * Drift (Sec III-B, IV-C: "about 52% of the initialized hot neurons exhibit varied activity
//    during inference"; the input moves on). Every token each cluster swaps its slot with a
//    uniformly random other cluster with probability q = 1 - e^(-lambda / 2) (a swap moves two
//    clusters, so each is moved at rate lambda), so the activity distribution is invariant while
//    which clusters are hot changes, head included: no block of neurons is frozen. A moved
//    cluster lands on a uniformly random slot, so of the initial hot set a share
//    (1 - e^(-lambda T)) (1 - hot_fraction) is no longer hot after T tokens; lambda is solved
//    from hot_turnover (latent, default 25%) at T = turnover_horizon. Measured like the paper's
//    52% (top 20% of the prompt's tokens vs the decode's), sampling noise included, that is 0.51. The slot a cluster holds
//    depends on the input (its seed), so an offline profile of one input ranks other clusters
//    hot than a later input does: the input-dependent load a fixed placement cannot foresee.
//
// Random numbers come from xoshiro256**: the model's structure (sigma, links, predecessors,
// initial slots) from one generator seeded with config.seed; the input-dependent draws from
// generators seeded with mix_seed(input seed, stream): one per layer kind (drift, layer-0
// clusters) and two per unit (layer and kind: unlinked clusters, gates). Each stream is consumed
// in token order, so a seed gives bit-identical traces everywhere.
// Per 64 neurons and token the work is one bit-parallel two-threshold Bernoulli word (about
// 8 random words) and an AND; per cluster and token a share of a Bernoulli word and, for the
// 1 - rho that redraw, one 32-bit uniform. The state is a few bits per neuron (the gates,
// 0.7 MB at LLaMA2-70B shape), so a token is generated straight into the caller's masks.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "hermes/activation/layer_predecessors.hpp"
#include "hermes/core/neuron_mask.hpp"
#include "hermes/activation/propensity_law.hpp"
#include "hermes/activation/random.hpp"
#include "hermes/activation/source.hpp"
#include "hermes/activation/token_masks.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"

namespace hermes {

// Per layer kind targets. Sources in docs/parameters.md, "Synthetic activations".
struct synthetic_kind_targets {
  double sparsity = 0.9;                // fraction of neurons silent on a token
  // Mean of S(d) over d = 11..32 (Hermes Sec III-B: "about 70%" beyond 10 tokens).
  double long_range_similarity = 0.70;
};

struct synthetic_config {
  std::uint64_t seed = 0x4865726d6573ULL;  // "Hermes"; any value works
  // FFN: ProSparse reports 89.32% / 88.80% for ReLU-fied LLaMA2-7B / 13B and OPT's native ReLU
  // FFN is above 90% (ReLU Strikes Back, Fig 1); 90% for every model alike.
  synthetic_kind_targets ffn{0.90, 0.70};
  // Attention input (QKV) after the inserted ReLU: the ReLU follows a normalisation layer whose
  // outputs are centred on zero per token, so about half are cut (ReLU Strikes Back, stage 2).
  synthetic_kind_targets attention{0.50, 0.70};
  double hot_fraction = 0.20;          // "hot" = the top 20% of neurons by frequency ...
  double hot_share = 0.80;             // ... carrying 80% of the FFN activations (Hermes Sec III-A)
  double adjacent_similarity = 0.92;   // S(1): "over 90%" (Hermes Sec III-B)
  // P(a neuron fires | one of its correlated predecessors fired): "over 90%" (Hermes Fig 4b).
  double next_layer_cofiring = 0.92;
  // Latent share of the initially hot clusters no longer hot after turnover_horizon tokens. The
  // paper's "about 52% of the initialized hot neurons exhibit varied activity" is a measured
  // share, sampling noise included; 0.25 latent measures 0.51 (docs/parameters.md).
  double hot_turnover = 0.25;
  std::size_t turnover_horizon = 128;  // (Hermes Sec III-B, IV-C; the evaluation generates 128 tokens)
  // Share of clusters linked to the same cluster of the previous layer: 1 = every cluster
  // chains (calibrated), 0 = no layer-wise correlation (an ablation; predecessors are still
  // members of the same-numbered cluster, whose activity law is the same).
  double layer_coupling = 1.0;
  // Neurons per cluster (at least 2): a generator choice, not a paper figure (docs/parameters.md).
  std::size_t cluster_size = 16;
};

// What calibration solved for one layer kind.
struct synthetic_kind_calibration {
  propensity_law law;          // cluster activity pi over cluster rank
  double cofiring = 0.0;       // a: a gate's open probability
  double cluster_floor = 0.0;  // F = integral pi^2 / integral pi
  double persistence = 0.0;    // rho, exactly persistence_fixed / 2^32
  std::uint32_t persistence_fixed = 0;
  double drift_rate = 0.0;     // lambda: jumps per cluster per token (solved, continuous)
  // q: chance that a cluster starts a swap on one token, exactly jump_fixed / 2^32; it is moved
  // at rate 2q (its own swaps and those that pick it), q = 1 - e^(-lambda / 2).
  double jump_probability = 0.0;
  std::uint32_t jump_fixed = 0;
  std::size_t clusters = 0;    // clusters per layer (each holds a slot)

  // The model's S(d) (header comment); the generator's measured curve follows it.
  [[nodiscard]] double similarity(double d) const {
    const double r = std::pow(persistence, d), stay = std::exp(-drift_rate * d);
    return (cofiring + (1.0 - cofiring) * r) *
           (stay * (cluster_floor + (1.0 - cluster_floor) * r) + (1.0 - stay) * law.density());
  }
  // Mean of similarity(d) over d = 11..32, the calibrated long-range figure.
  [[nodiscard]] double long_range_similarity() const {
    double s = 0.0;
    for (int d = long_from; d <= long_to; ++d) s += similarity(d);
    return s / static_cast<double>(long_to - long_from + 1);
  }
  static constexpr int long_from = 11, long_to = 32;
};

class synthetic_source {
 public:
  // Hermes correlates each neuron with its 2 most correlated neurons of the previous layer.
  static constexpr std::size_t predecessors = 2;

  synthetic_source(trace_layout layout, synthetic_config config = {}) : layout_(layout), config_(config), rng_(config.seed) {
    validate();
    calibrate();
    build();
    reseed_input(config.seed);
  }

  [[nodiscard]] trace_layout layout() const { return layout_; }
  [[nodiscard]] const synthetic_config& config() const { return config_; }
  [[nodiscard]] const synthetic_kind_calibration& calibration(layer_kind k) const {
    return calibration_[static_cast<std::size_t>(k)];
  }
  [[nodiscard]] std::size_t tokens_generated() const { return tokens_; }

  // Restarts the input-dependent randomness (cluster activity, gates, drift) from `seed`,
  // keeping the model's structure (clusters, links, predecessors) and its state at the last
  // token handed out. A copy of a source reseeded this way is the same model on another input:
  // how a batch's sequences are made.
  void reseed_input(std::uint64_t seed) {
    for (std::size_t k = 0; k < layer_kinds; ++k) kinds_[k].rng = xoshiro256ss(mix_seed(seed, k));
    for (std::size_t i = 0; i < units_.size(); ++i) {
      units_[i].rng_cluster = xoshiro256ss(mix_seed(seed, layer_kinds + 2 * i));
      units_[i].rng_gate = xoshiro256ss(mix_seed(seed, layer_kinds + 2 * i + 1));
    }
  }

  void next_token(token_masks& out) {
    if (!(out.layout() == layout_)) out = token_masks(layout_);
    const bool first = tokens_ == 0;
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      kind_state& ks = kinds_[static_cast<std::size_t>(k)];
      if (!first) drift(k, ks);
      for (std::size_t l = 0; l < layout_.layers; ++l) step_clusters(k, ks, l, first);
    }
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) step_neurons(units_[index(l, k)], first, out.mask(l, k));
    ++tokens_;
  }

  // Ground truth: the predecessors (in layer - 1, same kind) of every neuron of `layer`.
  [[nodiscard]] layer_predecessors correlation(std::size_t layer, layer_kind k) const {
    const unit& u = units_[index(layer, k)];
    layer_predecessors t(layout_.neurons(k), predecessors);
    if (layer > 0) t.predecessors = u.pred;
    return t;
  }
  // The cluster of every neuron of `layer` (clusters of consecutive layers with the same number
  // are the linked ones).
  [[nodiscard]] std::vector<std::uint32_t> clusters(std::size_t layer, layer_kind k) const {
    const unit& u = units_[index(layer, k)];
    std::vector<std::uint32_t> c(layout_.neurons(k));
    for (std::size_t i = 0; i < c.size(); ++i) c[i] = cluster_of(u, i);
    return c;
  }
  // Current latent propensity of every neuron (its long-run firing frequency right now): its
  // cluster's activity pi times the gate's a.
  [[nodiscard]] std::vector<double> propensities(std::size_t layer, layer_kind k) const {
    const unit& u = units_[index(layer, k)];
    const kind_state& ks = kinds_[static_cast<std::size_t>(k)];
    const double a = calibration(k).cofiring;
    std::vector<double> p(layout_.neurons(k));
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = a * ks.slot_p[ks.slot_of[cluster_of(u, i)]];
    return p;
  }
  // Current latent hot set: the neurons of the clusters holding the top hot_fraction slots.
  [[nodiscard]] neuron_mask hot_set(std::size_t layer, layer_kind k) const {
    const unit& u = units_[index(layer, k)];
    const kind_state& ks = kinds_[static_cast<std::size_t>(k)];
    const auto hot = static_cast<std::uint32_t>(std::llround(config_.hot_fraction * static_cast<double>(ks.slot_p.size())));
    neuron_mask m(layout_.neurons(k));
    for (std::size_t i = 0; i < m.size(); ++i)
      if (ks.slot_of[cluster_of(u, i)] < hot) m.set(i);
    return m;
  }

 private:
  static constexpr double fixed_one = 4294967296.0;  // 2^32: thresholds compare with 32-bit uniforms
  static constexpr std::uint32_t max_fixed = std::numeric_limits<std::uint32_t>::max();

  // One layer kind of one layer.
  struct unit {
    std::size_t neurons = 0, words = 0;
    std::uint64_t last_valid = 0;               // valid bits of the last mask word
    std::vector<std::uint32_t> cluster_word;    // sigma: the cluster word of each mask word
    std::vector<std::uint32_t> pred;            // predecessors, `predecessors` per neuron (layer >= 1)
    std::vector<std::uint64_t> linked;          // per cluster word: clusters chained to layer - 1
    std::vector<std::uint64_t> active;          // per cluster word: clusters active on the last token
    std::vector<std::uint64_t> gate;            // per mask word: open gates on the last token
    bool any_unlinked = true;
    layer_kind kind = layer_kind::ffn;
    xoshiro256ss rng_cluster{0}, rng_gate{0};
  };
  // What all layers of a kind share: the slots' activity law and the clusters' slots.
  struct kind_state {
    std::size_t cluster_words = 0, clusters = 0;  // clusters: populated cluster lanes (64 per word, or n if n < 64)
    std::vector<double> slot_p;                   // activity pi of each slot, non-increasing
    std::vector<std::uint64_t> slot_fixed;        // pi as a 32-bit threshold (2^32 = always)
    std::vector<std::uint32_t> slot_of;           // slot of each cluster
    xoshiro256ss rng{0};
  };

  [[nodiscard]] std::uint32_t cluster_of(const unit& u, std::size_t i) const {
    return u.cluster_word[i >> 6] * 64u + static_cast<std::uint32_t>(i & 63);
  }

  void validate() const {
    const auto in_open_unit = [](const char* field, double v) {
      if (!(v > 0.0 && v < 1.0)) throw invalid_parameter(field, to_text(v), "a value in (0, 1)");
    };
    if (layout_.layers == 0) throw invalid_parameter("synthetic layout.layers", "0", "at least 1");
    if (layout_.attention_neurons == 0 || layout_.ffn_neurons == 0)
      throw invalid_parameter("synthetic layout neurons", std::to_string(layout_.attention_neurons) + " attention, " +
                              std::to_string(layout_.ffn_neurons) + " FFN", "at least 1 of each");
    if (std::max(layout_.attention_neurons, layout_.ffn_neurons) >= std::numeric_limits<std::uint32_t>::max() / 2)
      throw invalid_parameter("synthetic layout neurons", std::to_string(std::max(layout_.attention_neurons, layout_.ffn_neurons)),
                              "fewer than 2^31 per layer");
    in_open_unit("synthetic ffn.sparsity", config_.ffn.sparsity);
    in_open_unit("synthetic attention.sparsity", config_.attention.sparsity);
    in_open_unit("synthetic ffn.long_range_similarity", config_.ffn.long_range_similarity);
    in_open_unit("synthetic attention.long_range_similarity", config_.attention.long_range_similarity);
    in_open_unit("synthetic hot_fraction", config_.hot_fraction);
    in_open_unit("synthetic adjacent_similarity", config_.adjacent_similarity);
    if (!(config_.next_layer_cofiring > 0.0 && config_.next_layer_cofiring <= 1.0))
      throw invalid_parameter("synthetic next_layer_cofiring", to_text(config_.next_layer_cofiring), "a value in (0, 1]");
    for (auto [name, t] : {std::pair{"synthetic ffn.sparsity", config_.ffn}, std::pair{"synthetic attention.sparsity", config_.attention}})
      if (!(1.0 - t.sparsity < config_.next_layer_cofiring))
        throw invalid_parameter(name, to_text(t.sparsity),
                                "a density 1 - sparsity below next_layer_cofiring " + to_text(config_.next_layer_cofiring) +
                                    " (a neuron fires at most when its gate is open)");
    if (!(config_.hot_turnover >= 0.0 && config_.hot_turnover < 1.0 - config_.hot_fraction))
      throw invalid_parameter("synthetic hot_turnover", to_text(config_.hot_turnover),
                              "a value in [0, " + to_text(1.0 - config_.hot_fraction) +
                                  ") (a cluster that jumps lands in the hot set again with chance hot_fraction)");
    if (config_.turnover_horizon == 0) throw invalid_parameter("synthetic turnover_horizon", "0", "at least 1 token");
    if (!(config_.layer_coupling >= 0.0 && config_.layer_coupling <= 1.0))
      throw invalid_parameter("synthetic layer_coupling", to_text(config_.layer_coupling), "a value in [0, 1]");
    if (config_.cluster_size < 2 || config_.cluster_size > 1u << 20)
      throw invalid_parameter("synthetic cluster_size", std::to_string(config_.cluster_size), "2..1048576 neurons");
  }

  // Mask words of a layer of n neurons and the cluster words they map onto: at least 2 mask
  // words per cluster word (floor), so every cluster word holds a full mask word and all of its
  // 64 clusters have members; a one-word layer has one cluster per neuron.
  [[nodiscard]] std::size_t cluster_words_for(std::size_t n) const {
    const std::size_t words = (n + 63) / 64;
    return std::max<std::size_t>(1, words / config_.cluster_size);
  }
  [[nodiscard]] static std::size_t populated_clusters(std::size_t n, std::size_t cluster_words) {
    return n < 64 ? n : 64 * cluster_words;
  }

  void calibrate() {
    const double a = config_.next_layer_cofiring, h = config_.hot_fraction;
    const double lambda = config_.hot_turnover == 0.0
                              ? 0.0
                              : -std::log1p(-config_.hot_turnover / (1.0 - h)) / static_cast<double>(config_.turnover_horizon);
    const double q = -std::expm1(-lambda / 2.0);  // a swap moves two clusters (drift())
    const auto q_fixed = static_cast<std::uint32_t>(std::min(std::round(q * fixed_one), fixed_one - 1.0));
    // FFN first: attention shares its exponent.
    for (layer_kind k : {layer_kind::ffn, layer_kind::attention}) {
      auto& c = calibration_[static_cast<std::size_t>(k)];
      const auto& t = k == layer_kind::ffn ? config_.ffn : config_.attention;
      const double density = (1.0 - t.sparsity) / a;
      c.cofiring = a;
      c.drift_rate = lambda;
      c.jump_fixed = q_fixed;
      c.jump_probability = static_cast<double>(q_fixed) / fixed_one;
      // A placeholder of the right density: similarity() reads only the law's density.
      c.law = propensity_law::with_density(0.0, 1.0, density);
      // For a floor F: rho from S(1), then the long-range mean; the latter rises with F.
      const auto with_floor = [&](double floor) {
        synthetic_kind_calibration x = c;
        x.drift_rate = 0.0;  // the within-context floor (see calibrate())
        x.cluster_floor = floor;
        const auto s1 = [&](double rho) {
          x.persistence = rho;
          return x.similarity(1.0);
        };
        x.persistence = propensity_law::bisect(s1, 0.0, 1.0, config_.adjacent_similarity);
        return x;
      };
      const auto s1_max = [&](double floor) {
        synthetic_kind_calibration x = c;
        x.drift_rate = 0.0;  // the within-context floor (see calibrate())
        x.cluster_floor = floor;
        x.persistence = 1.0;
        return x.similarity(1.0);
      };
      const double lo = density * (1.0 + 1e-9), hi = 1.0 - 1e-9;
      const auto long_range = [&](double floor) { return with_floor(floor).long_range_similarity(); };
      if (!(s1_max(lo) > config_.adjacent_similarity))
        throw invalid_parameter("synthetic adjacent_similarity", to_text(config_.adjacent_similarity),
                                "a value below " + to_text(s1_max(lo)) + " (what drift lets " + std::string(to_string(k)) +
                                    " reach at full persistence)");
      const double l_lo = long_range(lo), l_hi = long_range(hi);
      if (!(t.long_range_similarity > l_lo && t.long_range_similarity < l_hi))
        throw invalid_parameter(std::string("synthetic ") + std::string(to_string(k)) + ".long_range_similarity",
                                to_text(t.long_range_similarity),
                                "a value in (" + to_text(l_lo) + ", " + to_text(l_hi) + ") for the adjacent similarity " +
                                    to_text(config_.adjacent_similarity) + ", next_layer_cofiring and hot_turnover");
      const double floor = propensity_law::bisect(long_range, lo, hi, t.long_range_similarity);
      const auto solved = with_floor(floor);
      if (!(std::abs(solved.similarity(1.0) - config_.adjacent_similarity) < 1e-6))
        throw invalid_parameter("synthetic adjacent_similarity", to_text(config_.adjacent_similarity),
                                "a value the " + std::string(to_string(k)) + " chains reach with persistence in [0, 1) (" +
                                    to_text(solved.similarity(1.0)) + " at the solved floor; it must exceed the long-range similarity)");
      c.cluster_floor = floor;
      c.persistence_fixed = static_cast<std::uint32_t>(std::min(std::round(solved.persistence * fixed_one), fixed_one - 1.0));
      c.persistence = static_cast<double>(c.persistence_fixed) / fixed_one;
      if (k == layer_kind::ffn) {
        c.law = propensity_law::calibrate(density, h, config_.hot_share, floor);
      } else {
        c.law = propensity_law::with_density_and_floor(calibration_[static_cast<std::size_t>(layer_kind::ffn)].law.exponent,
                                                        density, floor);
      }
    }
  }

  void build() {
    units_.resize(layout_.layers * layer_kinds);
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      auto& c = calibration_[static_cast<std::size_t>(k)];
      kind_state& ks = kinds_[static_cast<std::size_t>(k)];
      const std::size_t n = layout_.neurons(k), words = (n + 63) / 64;
      ks.cluster_words = cluster_words_for(n);
      ks.clusters = populated_clusters(n, ks.cluster_words);
      c.clusters = ks.clusters;
      ks.slot_p = c.law.slots(ks.clusters);
      ks.slot_fixed.resize(ks.clusters);
      for (std::size_t s = 0; s < ks.clusters; ++s)
        ks.slot_fixed[s] = static_cast<std::uint64_t>(std::llround(ks.slot_p[s] * fixed_one));
      // Clusters 64 * cluster_words; unpopulated lanes (a layer under 64 neurons) keep slot 0
      // but never fire: they have no neurons.
      ks.slot_of.assign(64 * ks.cluster_words, 0);
      for (std::size_t s = 0; s < ks.clusters; ++s) ks.slot_of[s] = static_cast<std::uint32_t>(s);
      for (std::size_t s = ks.clusters - 1; s > 0; --s) std::swap(ks.slot_of[s], ks.slot_of[rng_.below(s + 1)]);
      std::vector<std::vector<std::uint32_t>> prev_words_of;  // layer - 1: mask words of each cluster word
      for (std::size_t l = 0; l < layout_.layers; ++l) {
        unit& u = units_[index(l, k)];
        u.neurons = n;
        u.kind = k;
        u.words = words;
        u.last_valid = n % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (n % 64)) - 1;
        // sigma: a balanced random map of mask words onto cluster words (word w -> w mod C,
        // then shuffled).
        u.cluster_word.resize(words);
        for (std::size_t w = 0; w < words; ++w) u.cluster_word[w] = static_cast<std::uint32_t>(w % ks.cluster_words);
        for (std::size_t w = words - 1; w > 0; --w) std::swap(u.cluster_word[w], u.cluster_word[rng_.below(w + 1)]);
        std::vector<std::vector<std::uint32_t>> words_of(ks.cluster_words);
        for (std::size_t w = 0; w < words; ++w) words_of[u.cluster_word[w]].push_back(static_cast<std::uint32_t>(w));
        u.linked.assign(ks.cluster_words, 0);
        u.any_unlinked = true;
        if (l > 0) {
          const auto link_fixed = static_cast<std::uint32_t>(std::min(std::round(config_.layer_coupling * fixed_one), fixed_one - 1.0));
          bool unlinked = false;
          for (std::size_t cw = 0; cw < ks.cluster_words; ++cw) {
            u.linked[cw] = config_.layer_coupling >= 1.0 ? ~std::uint64_t{0} : bernoulli_word(rng_, link_fixed, link_fixed, 0);
            unlinked |= ~u.linked[cw] != 0;
          }
          u.any_unlinked = unlinked;
          choose_predecessors(u, prev_words_of, n);
        }
        u.active.assign(ks.cluster_words, 0);
        u.gate.assign(words, 0);
        prev_words_of = std::move(words_of);
      }
    }
  }

  // Two distinct members of the neuron's cluster in the previous layer (same lane b, a mask word
  // mapped to the same cluster word), at random; with a single member, that one and a random
  // other neuron.
  void choose_predecessors(unit& u, const std::vector<std::vector<std::uint32_t>>& prev_words_of, std::size_t n) {
    u.pred.resize(n * predecessors);
    std::vector<std::uint32_t> members;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t b = static_cast<std::uint32_t>(i & 63);
      members.clear();
      for (std::uint32_t w : prev_words_of[u.cluster_word[i >> 6]])
        if (std::size_t{w} * 64 + b < n) members.push_back(w * 64 + b);
      std::uint32_t first = 0, second = 0;
      if (members.size() >= 2) {
        const auto x = rng_.below(members.size()), y = rng_.below(members.size() - 1);
        first = members[x];
        second = members[y >= x ? y + 1 : y];
      } else if (members.size() == 1) {
        first = members[0];
        second = n > 1 ? static_cast<std::uint32_t>((first + 1 + rng_.below(n - 1)) % n) : first;
      } else {
        first = static_cast<std::uint32_t>(rng_.below(n));
        second = first;
      }
      u.pred[i * predecessors] = first;
      u.pred[i * predecessors + 1] = second;
    }
  }

  // 64 independent Bernoulli bits, exactly: lane i is 1 iff its random binary fraction
  // 0.r1 r2 ... r32 (bit j of the j-th random word) is below its threshold, `on` / 2^32 for the
  // lanes set in `select`, `off` / 2^32 for the others. Compared from the most significant bit,
  // a lane is decided at its first bit that differs from its threshold's, so the loop stops
  // once all 64 lanes are decided (about log2(64) + 1.3 random words on average), and at the
  // thresholds' lowest set bit, past which no lane can still turn 1.
  static std::uint64_t bernoulli_word(xoshiro256ss& rng, std::uint32_t on, std::uint32_t off, std::uint64_t select) {
    std::uint64_t ones = 0, undecided = ~std::uint64_t{0};
    const int lowest = std::min(std::countr_zero(on), std::countr_zero(off));
    for (int bit = 31; bit >= lowest && undecided != 0; --bit) {
      const std::uint64_t r = rng();
      const std::uint64_t f = (select & (std::uint64_t{0} - ((on >> bit) & 1u))) | (~select & (std::uint64_t{0} - ((off >> bit) & 1u)));
      ones |= undecided & ~r & f;  // random bit 0 under a 1 of the threshold: below
      undecided &= ~(r ^ f);       // equal bits: not decided yet
    }
    return ones;
  }

  // One token of drift for a kind: every cluster jumps with probability q and swaps its slot
  // with a uniformly random other cluster, so both land on a uniformly random slot (a jumper is
  // picked regardless of its slot) and the slots stay a permutation. A cluster is thus moved at
  // rate 2q per token: q = 1 - e^(-lambda / 2) (calibrate()).
  void drift(layer_kind k, kind_state& ks) {
    const auto& c = calibration(k);
    if (c.jump_fixed == 0 || ks.clusters < 2) return;
    xoshiro256ss rng = ks.rng;
    for (std::size_t w = 0; w * 64 < ks.clusters; ++w) {
      const std::size_t left = ks.clusters - w * 64;
      const std::uint64_t valid = left >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << left) - 1;
      for (std::uint64_t jump = bernoulli_word(rng, c.jump_fixed, c.jump_fixed, 0) & valid; jump; jump &= jump - 1) {
        const std::size_t j = w * 64 + static_cast<std::size_t>(std::countr_zero(jump));
        const std::size_t other = (j + 1 + rng.below(ks.clusters - 1)) % ks.clusters;
        std::swap(ks.slot_of[j], ks.slot_of[other]);
      }
    }
    ks.rng = rng;
  }

  // The clusters of one layer on this token: layer 0 runs its chains on the kind's generator;
  // a linked cluster of layer l copies layer l - 1, an unlinked one runs its own chain.
  void step_clusters(layer_kind k, kind_state& ks, std::size_t l, bool first) {
    unit& u = units_[index(l, k)];
    const unit* prev = l == 0 ? nullptr : &units_[index(l - 1, k)];
    const auto& c = calibration(k);
    xoshiro256ss& rng = l == 0 ? ks.rng : u.rng_cluster;
    xoshiro256ss local = rng;
    for (std::size_t cw = 0; cw < ks.cluster_words; ++cw) {
      const std::uint64_t linked = prev ? u.linked[cw] : 0;
      const std::uint64_t own = ~linked;
      std::uint64_t next = prev ? (prev->active[cw] & linked) : 0;
      if (own != 0 && (prev == nullptr || u.any_unlinked)) {
        const std::uint64_t keep = first ? 0 : bernoulli_word(local, c.persistence_fixed, c.persistence_fixed, 0);
        std::uint64_t fresh = own & ~keep;
        const std::size_t base = cw * 64;
        if (base + 64 > ks.clusters) fresh &= base >= ks.clusters ? 0 : (std::uint64_t{1} << (ks.clusters - base)) - 1;
        std::uint64_t drawn = 0;
        for (; fresh; fresh &= fresh - 1) {
          const auto b = static_cast<std::size_t>(std::countr_zero(fresh));
          drawn |= static_cast<std::uint64_t>((local() >> 32) < ks.slot_fixed[ks.slot_of[base + b]]) << b;
        }
        next |= ((u.active[cw] & keep) | drawn) & own;
      }
      u.active[cw] = next;
    }
    rng = local;
  }

  // The neurons of one unit on this token: gates step their chains (open with a, kept with
  // rho), and a neuron fires iff its gate is open and its cluster active.
  void step_neurons(unit& u, bool first, neuron_mask& out) const {
    const auto& c = calibration(u.kind);
    const double a = c.cofiring, rho = c.persistence;
    const auto fixed = [](double v) { return static_cast<std::uint32_t>(std::min(std::round(v * fixed_one), fixed_one - 1.0)); };
    const std::uint32_t stay_open = c.cofiring >= 1.0 ? max_fixed : fixed(rho + (1.0 - rho) * a);
    const std::uint32_t open_now = fixed(first ? a : (1.0 - rho) * a);
    xoshiro256ss rng = u.rng_gate;
    std::uint64_t* words = out.words().data();
    for (std::size_t w = 0; w < u.words; ++w) {
      const std::uint64_t g = c.cofiring >= 1.0 ? ~std::uint64_t{0} : bernoulli_word(rng, stay_open, open_now, first ? 0 : u.gate[w]);
      u.gate[w] = g;
      words[w] = g & u.active[u.cluster_word[w]];
    }
    words[u.words - 1] &= u.last_valid;
    u.rng_gate = rng;
  }

  [[nodiscard]] std::size_t index(std::size_t layer, layer_kind k) const {
    if (layer >= layout_.layers)
      throw error("synthetic_source: layer " + std::to_string(layer) + " outside [0, " + std::to_string(layout_.layers) + ")");
    return layer * layer_kinds + static_cast<std::size_t>(k);
  }

  trace_layout layout_;
  synthetic_config config_;
  xoshiro256ss rng_;  // the model's structure (build())
  std::array<synthetic_kind_calibration, layer_kinds> calibration_{};
  std::array<kind_state, layer_kinds> kinds_;
  std::vector<unit> units_;
  std::size_t tokens_ = 0;  // tokens handed out
};

static_assert(activation_source<synthetic_source>);

}  // namespace hermes
