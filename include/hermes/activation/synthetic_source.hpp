#pragma once
// A seeded synthetic activation source for model shapes we cannot run (OPT-13B..66B,
// LLaMA2-13B/70B, Falcon-40B), calibrated to the activation statistics the Hermes paper reports
// (Sec III, Fig 4/5). It is a stochastic process, not a replay of numbers:
//
//  * Propensity. Each neuron holds a rank slot; the slot's propensity p follows the
//    propensity_law calibrated per layer kind to its sparsity, the similarity floor and (for the
//    FFN) the hot share; the attention law shares the FFN's exponent (one power law).
//  * Token-wise persistence. Each neuron is a two-state Markov chain: with probability rho it
//    keeps its previous state, otherwise it draws afresh. The marginal stays p, and the chance
//    that a neuron active at t is active at t + d is p + (1 - p) rho^d, so the similarity curve
//    is S(d) = F + (1 - F) rho^d: rho is solved from S(1) and the floor F.
//  * Layer-wise correlation. Each neuron of layer l >= 1 has 2 predecessors in layer l - 1 of
//    the same kind (ground truth: correlation()). A fresh draw fires with probability
//    q_m = p + kappa (m - E[m]), m = predecessors firing now, E[m] = the sum of their p, so
//    q is raised when they fire and the marginal is still exactly p. kappa is the coupling
//    (0..1) times the largest slope that keeps q_0 and q_2 in [0, 1].
//  * Drift. Neurons outside the always-firing head exchange rank slots at random (each at rate
//    lambda per token), so the propensity distribution is invariant while the identity of the
//    moderately hot neurons changes. lambda is solved so that the chosen share of the FFN's
//    initially hot neurons is no longer hot after the horizon (paper: about half over a
//    128-token generation); attention uses the same rate.
//
// Random numbers come from xoshiro256** in a fixed order, so a seed gives bit-identical traces
// everywhere. Per neuron and token the work is one 32-bit uniform, two bit lookups and an
// integer compare against a precomputed fixed-point threshold.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "hermes/activation/layer_predecessors.hpp"
#include "hermes/activation/neuron_mask.hpp"
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
  double long_range_similarity = 0.70;  // S(d) for d beyond ~25 tokens (paper Sec III: about 70%)
};

struct synthetic_config {
  std::uint64_t seed = 0x4865726d6573ULL;  // "Hermes"; any value works
  // FFN: ProSparse reports 89.3% / 88.8% for ReLU-fied LLaMA2-7B / 13B and OPT's native ReLU
  // FFN is above 90% (ReLU Strikes Back, Fig 1); 90% for every model alike.
  synthetic_kind_targets ffn{0.90, 0.70};
  // Attention input (QKV) after the inserted ReLU: the ReLU follows a normalisation layer whose
  // outputs are centred on zero per token, so about half are cut (ReLU Strikes Back, stage 2).
  synthetic_kind_targets attention{0.50, 0.70};
  double hot_fraction = 0.20;          // "hot" = the top 20% of neurons by frequency ...
  double hot_share = 0.80;             // ... carrying 80% of the FFN activations (Hermes Sec I)
  double adjacent_similarity = 0.92;   // S(1): "over 90%" (Hermes Sec III)
  double hot_turnover = 0.5;           // share of initially hot FFN neurons no longer hot ...
  std::size_t turnover_horizon = 128;  // ... after this many tokens (Hermes Sec III, 128-token runs)
  double layer_coupling = 1.0;         // 0 = no layer-wise correlation, 1 = strongest linear one
};

// What calibration solved for one layer kind.
struct synthetic_kind_calibration {
  propensity_law law;
  double persistence = 0.0;  // rho, exactly persistence_fixed / 2^16
  std::uint32_t persistence_fixed = 0;
  double drift_rate = 0.0;   // lambda: slot exchanges per tail neuron per token
};

class synthetic_source {
 public:
  // Hermes correlates each neuron with its 2 most correlated neurons of the previous layer.
  static constexpr std::size_t predecessors = 2;

  synthetic_source(trace_layout layout, synthetic_config config = {}) : layout_(layout), config_(config), rng_(config.seed) {
    validate();
    calibrate();
    build();
  }

  [[nodiscard]] trace_layout layout() const { return layout_; }
  [[nodiscard]] const synthetic_config& config() const { return config_; }
  [[nodiscard]] const synthetic_kind_calibration& calibration(layer_kind k) const {
    return calibration_[static_cast<std::size_t>(k)];
  }
  [[nodiscard]] std::size_t tokens_generated() const { return tokens_; }

  // Restarts the input-dependent randomness (firing draws and drift) from `seed`, keeping the
  // model's structure (propensity law, rank slots, predecessors). A copy of a source reseeded
  // this way is the same model on another input: how a batch's sequences are made.
  void reseed_input(std::uint64_t seed) { rng_ = xoshiro256ss(seed); }

  void next_token(token_masks& out) {
    if (!(out.layout() == layout_)) out = token_masks(layout_);
    // Layer by layer, each unit drifts just before it steps, while its arrays are in cache.
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        unit& u = units_[index(l, k)];
        if (tokens_ > 0) drift(u);
        step(u, l == 0 ? nullptr : &units_[index(l - 1, k)]);
        out.mask(l, k).words() = u.state.words();
      }
    ++tokens_;
  }

  // Ground truth: the predecessors (in layer - 1, same kind) of every neuron of `layer`.
  [[nodiscard]] layer_predecessors correlation(std::size_t layer, layer_kind k) const {
    const unit& u = units_[index(layer, k)];
    layer_predecessors t(u.neurons, predecessors);
    if (layer > 0) t.predecessors = u.pred;
    return t;
  }
  // Current latent propensity of every neuron (its long-run firing frequency right now).
  [[nodiscard]] std::vector<double> propensities(std::size_t layer, layer_kind k) const {
    const unit& u = units_[index(layer, k)];
    return u.p;
  }
  // Current latent hot set: the neurons holding the top hot_fraction rank slots.
  [[nodiscard]] neuron_mask hot_set(std::size_t layer, layer_kind k) const {
    const unit& u = units_[index(layer, k)];
    neuron_mask m(u.neurons);
    const auto hot = static_cast<std::uint32_t>(std::llround(config_.hot_fraction * static_cast<double>(u.neurons)));
    for (std::size_t i = 0; i < u.neurons; ++i)
      if (u.slot_of[i] < hot) m.set(i);
    return m;
  }

 private:
  static constexpr double fixed_one = 4294967296.0;  // 2^32: thresholds compare with 32-bit uniforms
  static constexpr int persistence_bits = 16;
  static constexpr double persistence_one = 65536.0;  // 2^16

  struct unit {
    std::size_t neurons = 0;
    std::vector<double> slot_p;           // propensity of each rank slot, non-increasing
    std::vector<std::uint32_t> slot_of;   // rank slot of each neuron
    std::vector<double> p;                // propensity of each neuron: slot_p[slot_of[i]]
    std::vector<std::uint32_t> tail;      // the neurons that drift (outside the saturated head)
    std::vector<std::uint32_t> pred;      // predecessors, `predecessors` per neuron (layer >= 1)
    std::vector<std::uint32_t> succ_begin, succ;  // neurons of the next layer that use neuron i
    std::vector<std::uint32_t> base, slope;       // fixed-point threshold: base + slope * m
    std::vector<std::uint64_t> always;    // bit mask of the neurons with p = 1 (never drift)
    std::vector<std::uint64_t> stale;     // bit mask of thresholds to recompute before use
    neuron_mask state;                    // the current token's activity
    std::vector<double> expected;         // E[m]: the sum of the predecessors' p, kept current
    std::vector<std::uint32_t> scratch;   // drift: the neurons of this token's exchanges
    double drift_credit = 0.0;            // fractional slot exchanges carried to the next token
    layer_kind kind = layer_kind::ffn;
    std::size_t previous = none;          // index of the predecessor layer (same kind)
    std::size_t next = none;              // index of the successor layer (same kind)
  };
  // Units refer to each other by index, so a copied source is self-contained.
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

  void validate() const {
    const auto in_open_unit = [](const char* field, double v) {
      if (!(v > 0.0 && v < 1.0)) throw invalid_parameter(field, detail::to_text(v), "a value in (0, 1)");
    };
    if (layout_.layers == 0) throw invalid_parameter("synthetic layout.layers", "0", "at least 1");
    if (layout_.attention_neurons == 0 || layout_.ffn_neurons == 0)
      throw invalid_parameter("synthetic layout neurons", std::to_string(layout_.attention_neurons) + " attention, " +
                              std::to_string(layout_.ffn_neurons) + " FFN", "at least 1 of each");
    if (std::max(layout_.attention_neurons, layout_.ffn_neurons) >= std::numeric_limits<std::uint32_t>::max())
      throw invalid_parameter("synthetic layout neurons", std::to_string(std::max(layout_.attention_neurons, layout_.ffn_neurons)),
                              "fewer than 2^32 per layer");
    in_open_unit("synthetic ffn.sparsity", config_.ffn.sparsity);
    in_open_unit("synthetic attention.sparsity", config_.attention.sparsity);
    in_open_unit("synthetic ffn.long_range_similarity", config_.ffn.long_range_similarity);
    in_open_unit("synthetic attention.long_range_similarity", config_.attention.long_range_similarity);
    in_open_unit("synthetic hot_fraction", config_.hot_fraction);
    in_open_unit("synthetic adjacent_similarity", config_.adjacent_similarity);
    if (!(config_.hot_turnover >= 0.0 && config_.hot_turnover < 1.0))
      throw invalid_parameter("synthetic hot_turnover", detail::to_text(config_.hot_turnover), "a value in [0, 1)");
    if (config_.turnover_horizon == 0) throw invalid_parameter("synthetic turnover_horizon", "0", "at least 1 token");
    if (!(config_.layer_coupling >= 0.0 && config_.layer_coupling <= 1.0))
      throw invalid_parameter("synthetic layer_coupling", detail::to_text(config_.layer_coupling), "a value in [0, 1]");
  }

  void calibrate() {
    auto& ffn = calibration_[static_cast<std::size_t>(layer_kind::ffn)];
    auto& att = calibration_[static_cast<std::size_t>(layer_kind::attention)];
    ffn.law = propensity_law::calibrate(1.0 - config_.ffn.sparsity, config_.hot_fraction, config_.hot_share,
                                        config_.ffn.long_range_similarity);
    att.law = propensity_law::with_density_and_floor(ffn.law.exponent, 1.0 - config_.attention.sparsity,
                                                      config_.attention.long_range_similarity);
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      auto& c = calibration_[static_cast<std::size_t>(k)];
      const double floor = c.law.similarity_floor();
      if (!(config_.adjacent_similarity > floor))
        throw invalid_parameter("synthetic adjacent_similarity", detail::to_text(config_.adjacent_similarity),
                                "a value above the " + std::string(to_string(k)) + " similarity floor " + detail::to_text(floor));
      // rho is drawn bit-parallel with 16-bit resolution; the rounded value is the model's rho.
      const double rho = (config_.adjacent_similarity - floor) / (1.0 - floor);
      c.persistence_fixed = static_cast<std::uint32_t>(std::lround(rho * persistence_one));
      c.persistence = static_cast<double>(c.persistence_fixed) / persistence_one;
    }
    // A tail neuron that jumps lands on a uniformly random tail slot. Of the initially hot
    // neurons a share `movable` is in the tail; one that jumped is hot again with chance
    // `rehot`. Not hot after horizon T: movable * (1 - e^(-lambda T)) * (1 - rehot).
    const double head = ffn.law.saturated(), h = config_.hot_fraction;
    const double movable = h > head ? (h - head) / h : 0.0;
    const double rehot = h > head ? (h - head) / (1.0 - head) : 1.0;
    const double reachable = movable * (1.0 - rehot);
    if (!(config_.hot_turnover < reachable) && config_.hot_turnover > 0.0)
      throw invalid_parameter("synthetic hot_turnover", detail::to_text(config_.hot_turnover),
                              "a value below " + detail::to_text(reachable) +
                                  ": the rest of the FFN hot set fires on every token and does not drift");
    const double rate = config_.hot_turnover == 0.0
                            ? 0.0
                            : -std::log1p(-config_.hot_turnover / reachable) / static_cast<double>(config_.turnover_horizon);
    ffn.drift_rate = att.drift_rate = rate;
  }

  void build() {
    units_.resize(layout_.layers * layer_kinds);
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      const auto& c = calibration_[static_cast<std::size_t>(k)];
      const std::size_t n = layout_.neurons(k);
      const std::vector<double> slot_p = c.law.slots(n);
      const auto head = static_cast<std::uint32_t>(
          std::count_if(slot_p.begin(), slot_p.end(), [](double p) { return p >= 1.0; }));
      for (std::size_t l = 0; l < layout_.layers; ++l) {
        unit& u = units_[index(l, k)];
        u.neurons = n;
        u.kind = k;
        u.slot_p = slot_p;
        u.state = neuron_mask(n);
        // A uniformly random assignment of slots to neurons (Fisher-Yates).
        u.slot_of.resize(n);
        for (std::size_t i = 0; i < n; ++i) u.slot_of[i] = static_cast<std::uint32_t>(i);
        for (std::size_t i = n - 1; i > 0; --i) std::swap(u.slot_of[i], u.slot_of[rng_.below(i + 1)]);
        u.p.resize(n);
        for (std::size_t i = 0; i < n; ++i) u.p[i] = slot_p[u.slot_of[i]];
        for (std::size_t i = 0; i < n; ++i)
          if (u.slot_of[i] >= head) u.tail.push_back(static_cast<std::uint32_t>(i));
        if (l > 0) {
          u.previous = index(l - 1, k);
          units_[u.previous].next = index(l, k);
          choose_predecessors(u, units_[u.previous]);
        }
      }
      for (std::size_t l = 0; l + 1 < layout_.layers; ++l) link_successors(units_[index(l, k)], units_[index(l + 1, k)]);
      for (std::size_t l = 0; l < layout_.layers; ++l) {
        unit& u = units_[index(l, k)];
        u.base.resize(n);
        u.slope.resize(n);
        u.expected.assign(n, 0.0);
        if (u.previous != none)
          for (std::size_t i = 0; i < n; ++i)
            for (std::size_t r = 0; r < predecessors; ++r) u.expected[i] += units_[u.previous].p[u.pred[i * predecessors + r]];
        u.stale.assign(u.state.words().size(), 0);
        u.always.assign(u.state.words().size(), 0);
        for (std::size_t i = 0; i < n; ++i) {
          update_threshold(u, i);
          if (u.p[i] >= 1.0) u.always[i >> 6] |= std::uint64_t{1} << (i & 63);
        }
      }
    }
  }

  // Predecessors are drawn in proportion to the Bernoulli variance p(1 - p) of their initial
  // propensity: a neuron that always (or never) fires carries no information about another.
  void choose_predecessors(unit& u, const unit& prev) {
    std::vector<double> cumulative(prev.neurons);
    double total = 0.0;
    for (std::size_t j = 0; j < prev.neurons; ++j) {
      const double p = prev.p[j];
      total += p * (1.0 - p);
      cumulative[j] = total;
    }
    const auto draw = [&]() -> std::uint32_t {
      if (total <= 0.0) return static_cast<std::uint32_t>(rng_.below(prev.neurons));
      const double x = rng_.uniform() * total;
      const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), x);
      return static_cast<std::uint32_t>(std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), prev.neurons - 1));
    };
    u.pred.resize(u.neurons * predecessors);
    for (std::size_t i = 0; i < u.neurons; ++i) {
      const std::uint32_t a = draw();
      std::uint32_t b = a;
      // Distinct predecessors when the previous layer has two; a bounded number of redraws,
      // then the next neuron, keeps the draw count deterministic.
      for (int tries = 0; b == a && prev.neurons > 1 && tries < 64; ++tries) b = draw();
      if (b == a && prev.neurons > 1) b = static_cast<std::uint32_t>((a + 1) % prev.neurons);
      u.pred[i * predecessors] = a;
      u.pred[i * predecessors + 1] = b;
    }
  }

  static void link_successors(unit& u, const unit& next) {
    u.succ_begin.assign(u.neurons + 1, 0);
    for (std::uint32_t j : next.pred) ++u.succ_begin[j + 1];
    for (std::size_t j = 0; j < u.neurons; ++j) u.succ_begin[j + 1] += u.succ_begin[j];
    u.succ.resize(next.pred.size());
    std::vector<std::uint32_t> fill(u.succ_begin.begin(), u.succ_begin.end() - 1);
    for (std::size_t i = 0; i < next.neurons; ++i)
      for (std::size_t r = 0; r < predecessors; ++r) u.succ[fill[next.pred[i * predecessors + r]]++] = static_cast<std::uint32_t>(i);
  }

  // Fresh-draw probability q_m = p + kappa (m - e) as a 32-bit fixed-point threshold
  // base + slope * m (a draw fires iff a 32-bit uniform is below it). Always-firing neurons
  // (p = 1, kappa = 0) are handled by the unit's `always` mask instead.
  void update_threshold(unit& u, std::size_t i) const {
    const double p = u.p[i];
    double kappa = 0.0, e = 0.0;
    if (u.previous != none) {
      e = u.expected[i];
      const double room_down = e > 0.0 ? p / e : 0.0;
      const double room_up = e < 2.0 ? (1.0 - p) / (2.0 - e) : room_down;
      kappa = config_.layer_coupling * std::min(room_down, room_up);
    }
    // Round to nearest; the clamp only absorbs rounding at q = 1 (those neurons are `always`).
    const auto fixed = [](double v) {
      return static_cast<std::uint32_t>(std::min(v * fixed_one + 0.5, fixed_one - 1.0));
    };
    u.base[i] = fixed(std::max(0.0, p - kappa * e));
    u.slope[i] = fixed(kappa);
  }

  // Random slot exchanges among the tail. Thresholds of the moved neurons and of their
  // successors are marked stale and recomputed when their unit steps (cache-friendly).
  void drift(unit& u) {
    const double rate = calibration_[static_cast<std::size_t>(u.kind)].drift_rate;
    if (rate == 0.0 || u.tail.size() < 2) return;
    // Each exchange moves two neurons: lambda * |tail| / 2 exchanges per token.
    u.drift_credit += rate * static_cast<double>(u.tail.size()) / 2.0;
    const auto exchanges = static_cast<std::size_t>(u.drift_credit);
    u.drift_credit -= static_cast<double>(exchanges);
    unit* next = u.next == none ? nullptr : &units_[u.next];
    // Draw every pair first and prefetch what the exchanges touch: the neurons are scattered
    // over arrays far larger than the cache, so overlapping the misses is most of the cost.
    u.scratch.resize(2 * exchanges);
    for (std::size_t e = 0; e < exchanges; ++e) {
      // Two distinct tail neurons, uniformly.
      const std::size_t ia = rng_.below(u.tail.size());
      std::size_t ib = rng_.below(u.tail.size() - 1);
      ib += ib >= ia;
      for (std::size_t x : {std::size_t{0}, std::size_t{1}}) {
        const std::uint32_t n = u.tail[x == 0 ? ia : ib];
        u.scratch[2 * e + x] = n;
        __builtin_prefetch(&u.p[n], 1);
        __builtin_prefetch(&u.slot_of[n], 1);
        if (next != nullptr) __builtin_prefetch(&u.succ_begin[n]);
      }
    }
    for (std::size_t e = 0; e < exchanges; ++e) {
      const std::uint32_t a = u.scratch[2 * e], b = u.scratch[2 * e + 1];
      std::swap(u.slot_of[a], u.slot_of[b]);
      std::swap(u.p[a], u.p[b]);
      for (std::uint32_t x : {a, b}) {
        u.stale[x >> 6] |= std::uint64_t{1} << (x & 63);
        if (next == nullptr) continue;
        const double change = u.p[x] - u.p[x == a ? b : a];
        for (std::uint32_t k = u.succ_begin[x]; k < u.succ_begin[x + 1]; ++k) {
          const std::uint32_t s = u.succ[k];
          next->expected[s] += change;
          next->stale[s >> 6] |= std::uint64_t{1} << (s & 63);
        }
      }
    }
  }

  // One token of one unit. Per 64 neurons: a bit-parallel Bernoulli(rho) mask picks the
  // neurons that keep their state; only the others (1 - rho of them) draw afresh.
  void step(unit& u, const unit* prev) {
    auto& words = u.state.words();
    const std::uint64_t* up = prev ? prev->state.words().data() : nullptr;
    const std::uint32_t rho = calibration_[static_cast<std::size_t>(u.kind)].persistence_fixed;
    const bool first = tokens_ == 0;
    std::uint64_t draws = 0;
    bool half_left = false;
    const auto uniform32 = [&]() -> std::uint32_t {
      half_left = !half_left;
      if (half_left) {
        draws = rng_();
        return static_cast<std::uint32_t>(draws);
      }
      return static_cast<std::uint32_t>(draws >> 32);
    };
    for (std::size_t w = 0; w < words.size(); ++w) {
      const std::size_t begin = w * 64;
      if (std::uint64_t stale = u.stale[w]) {
        u.stale[w] = 0;
        for (; stale; stale &= stale - 1) update_threshold(u, begin + static_cast<std::size_t>(std::countr_zero(stale)));
      }
      const std::uint64_t valid = u.neurons - begin >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << (u.neurons - begin)) - 1;
      std::uint64_t before = words[w];
      if (first) {
        // The chain starts in its stationary state: on with probability p.
        before = 0;
        for (std::size_t b = 0; begin + b < u.neurons && b < 64; ++b)
          before |= static_cast<std::uint64_t>(static_cast<double>(uniform32()) < u.p[begin + b] * fixed_one) << b;
      }
      // Bernoulli(rho / 2^16) in every bit: fold random words in, from the lowest set bit of
      // rho to the highest, OR for a 1 bit and AND for a 0 bit.
      std::uint64_t keep = 0;
      for (int bit = std::countr_zero(rho); bit < persistence_bits; ++bit)
        keep = ((rho >> bit) & 1u) ? (keep | rng_()) : (keep & rng_());
      const std::uint64_t always = u.always[w];
      std::uint64_t out = ((before & keep) | always) & valid;
      for (std::uint64_t fresh = ~keep & ~always & valid; fresh; fresh &= fresh - 1) {
        const auto b = static_cast<std::size_t>(std::countr_zero(fresh));
        const std::size_t i = begin + b;
        std::uint64_t m = 0;
        if (up) {
          const std::uint32_t pa = u.pred[2 * i], pb = u.pred[2 * i + 1];
          m = ((up[pa >> 6] >> (pa & 63)) & 1u) + ((up[pb >> 6] >> (pb & 63)) & 1u);
        }
        out |= static_cast<std::uint64_t>(uniform32() < u.base[i] + u.slope[i] * m) << b;
      }
      words[w] = out;
    }
  }

  [[nodiscard]] std::size_t index(std::size_t layer, layer_kind k) const {
    if (layer >= layout_.layers)
      throw error("synthetic_source: layer " + std::to_string(layer) + " outside [0, " + std::to_string(layout_.layers) + ")");
    return layer * layer_kinds + static_cast<std::size_t>(k);
  }

  trace_layout layout_;
  synthetic_config config_;
  xoshiro256ss rng_;
  std::array<synthetic_kind_calibration, layer_kinds> calibration_{};
  std::vector<unit> units_;
  std::size_t tokens_ = 0;
};

static_assert(activation_source<synthetic_source>);

}  // namespace hermes
