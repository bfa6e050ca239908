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
//    the same kind (ground truth: correlation()): two of the three neurons whose rank slots are
//    nearest its own (slots r - 1, r, r + 1). A neuron continues a feature of the previous layer,
//    so it fires about as often as the neurons it is most correlated with: a hot neuron's top
//    correlates are hot, a rare neuron's are rare. (Predecessors drawn regardless of rank made an
//    always-firing neuron's top-2 correlates mid-frequency neurons that were silent on most of
//    its firings, which real top-2 correlates are not: they are chosen for firing with it.)
//    A fresh draw fires with probability q_m = p + kappa (m - E[m]), m = predecessors firing
//    now, E[m] = the sum of their p, so q is raised when they fire and the marginal is still
//    exactly p. kappa is the kind's coupling c times the largest slope that keeps q_0 and q_2
//    in [0, 1]; where that slope is p / E[m] (the usual case), q_0 = (1 - c) p, so of a fresh
//    draw's firings a share c needs a predecessor firing and the rest fire regardless:
//    c = (C - chance) / (1 - chance), C = P(a predecessor fired | the neuron fired). c is
//    calibrated per kind on real traces (stories260K) under matched conditions
//    (docs/parameters.md, "Synthetic activations").
//  * Drift. Neurons outside the always-firing head jump to other rank slots of that tail, so the
//    propensity distribution is invariant while the identity of the moderately hot neurons
//    changes. A layer is swept every drift_period (K) tokens: each tail neuron jumps with
//    probability q = 1 - e^(-lambda K) (what a rate of lambda per token accumulates over K
//    tokens), and the jumpers' slots are permuted among themselves by a random cycle, so each
//    jumper lands on a uniformly random other tail slot. lambda is solved so that the chosen
//    share of the FFN's initially hot neurons is no longer hot after the horizon (paper: about
//    half over a 128-token generation); attention uses the same rate. All layers sweep on the
//    same tokens (t = K, 2K, ...), so a layer's thresholds are recomputed right after its
//    predecessor layer swept, while that layer's slots are still in cache (staggering the
//    layers over the K tokens was measured 10% slower per token). Why sweeps and not a random
//    exchange per token: an exchange touches two random neurons and their successors in
//    ~150 MB of state (LLaMA2-70B), i.e. DRAM latency per move; a sweep walks the arrays in
//    order, at streaming bandwidth.
//
// Random numbers come from xoshiro256**: the model's structure (rank slots, predecessors) from
// one generator seeded with config.seed, the input-dependent draws (firing, drift) from one
// generator per unit (layer and kind) seeded with mix_seed(input seed, unit). Each unit draws its
// numbers in a fixed order, so a seed gives bit-identical traces everywhere, and the order in
// which units are stepped does not matter. That is what lets the generator work in blocks of
// tokens: it steps one unit through up to max_block tokens (until the next drift sweep) before
// moving to the next unit, so the unit's 20 bytes per neuron are read from cache for all of them
// instead of being streamed from memory once per token (the 70B model's state is 59 MB, more
// than the last-level cache). Tokens are handed out one by one from the block.
// Per neuron and token the work is a share of a persistence mask (about 7 random words per 64
// neurons), and for a neuron that does not persist one 32-bit uniform, two bit lookups and an
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
  double long_range_similarity = 0.70;  // S(d) for d beyond ~25 tokens (paper Sec III: about 70%)
  // c in [0, 1]: the share of a fresh draw's firings that need a predecessor firing (see the
  // header comment). FFN 0.22 / attention 0.43: the values at which the generator, set to the
  // stories260K traces' own density, hot share and similarity and measured the same way
  // (top_correlated on held-out runs), reproduces their co-firing C (docs/parameters.md).
  double layer_coupling = 0.22;
};

struct synthetic_config {
  std::uint64_t seed = 0x4865726d6573ULL;  // "Hermes"; any value works
  // FFN: ProSparse reports 89.3% / 88.8% for ReLU-fied LLaMA2-7B / 13B and OPT's native ReLU
  // FFN is above 90% (ReLU Strikes Back, Fig 1); 90% for every model alike.
  synthetic_kind_targets ffn{0.90, 0.70, 0.22};
  // Attention input (QKV) after the inserted ReLU: the ReLU follows a normalisation layer whose
  // outputs are centred on zero per token, so about half are cut (ReLU Strikes Back, stage 2).
  synthetic_kind_targets attention{0.50, 0.70, 0.43};
  double hot_fraction = 0.20;          // "hot" = the top 20% of neurons by frequency ...
  double hot_share = 0.80;             // ... carrying 80% of the FFN activations (Hermes Sec I)
  double adjacent_similarity = 0.92;   // S(1): "over 90%" (Hermes Sec III)
  double hot_turnover = 0.5;           // share of initially hot FFN neurons no longer hot ...
  std::size_t turnover_horizon = 128;  // ... after this many tokens (Hermes Sec III, 128-token runs)
  // Scales both kinds' calibrated layer_coupling: 1 = calibrated, 0 = no layer-wise coupling
  // (predecessors are still rank neighbours; only the causal link is cut).
  double layer_coupling = 1.0;
  // Tokens between two drift sweeps of a layer (not a paper figure: a generator choice,
  // docs/parameters.md "Synthetic activations"). The calibrated turnover is exact at multiples
  // of it, so it should divide turnover_horizon; 16 = 128 / 8.
  std::size_t drift_period = 16;
};

// What calibration solved for one layer kind.
struct synthetic_kind_calibration {
  propensity_law law;
  double persistence = 0.0;  // rho, exactly persistence_fixed / 2^16
  std::uint32_t persistence_fixed = 0;
  double drift_rate = 0.0;   // lambda: jumps per tail neuron per token (solved, continuous)
  // q: chance that a tail neuron jumps in one sweep, exactly jump_fixed / 2^32 (the model's q).
  double jump_probability = 0.0;
  std::uint32_t jump_fixed = 0;
};

class synthetic_source {
 public:
  // Hermes correlates each neuron with its 2 most correlated neurons of the previous layer.
  static constexpr std::size_t predecessors = 2;

  // Tokens generated ahead at most: one block, which also ends before every drift sweep. 16 is
  // the default drift period, so blocks are whole periods; the buffer is max_block tokens of
  // masks (5.9 MB at LLaMA2-70B shape).
  static constexpr std::size_t max_block = 16;

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

  // Restarts the input-dependent randomness (firing draws and drift) from `seed`, keeping the
  // model's structure (propensity law, rank slots, predecessors) and its state at the last token
  // handed out. A copy of a source reseeded this way is the same model on another input: how a
  // batch's sequences are made. Tokens already generated ahead are dropped and drawn again from
  // the new seed, so the result does not depend on how far ahead the source had worked.
  void reseed_input(std::uint64_t seed) {
    for (std::size_t i = 0; i < units_.size(); ++i) units_[i].rng = xoshiro256ss(mix_seed(seed, i));
    if (tokens_ < block_begin_ + block_size_) {
      // Inside a block, tokens_ > block_begin_: the last token handed out is in the block.
      std::swap(last_, ahead_[tokens_ - 1 - block_begin_]);
      block_begin_ = tokens_;
      block_size_ = 0;
    }
  }

  void next_token(token_masks& out) {
    if (tokens_ == block_begin_ + block_size_) generate_block();
    out = ahead_[tokens_ - block_begin_];
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
    const auto& slot_p = slot_p_[static_cast<std::size_t>(k)];
    std::vector<double> p(u.neurons);
    for (std::size_t i = 0; i < u.neurons; ++i) p[i] = slot_p[u.slot_of[i]];
    return p;
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

  // One layer kind of one layer. A neuron's propensity is slot_p_[kind][slot_of[i]]: the slot
  // table is shared by every layer of a kind and stays in cache, so the per-neuron state is
  // 20 bytes (slot, two predecessors, two thresholds), which is what a token streams through.
  struct unit {
    std::size_t neurons = 0;
    std::vector<std::uint32_t> slot_of;   // rank slot of each neuron
    std::vector<std::uint32_t> pred;      // predecessors, `predecessors` per neuron (layer >= 1)
    std::vector<std::uint32_t> base, slope;  // fixed-point threshold: base + slope * m
    std::vector<std::uint64_t> always;    // bit mask of the neurons with p = 1 (never drift)
    std::vector<std::uint64_t> moved;     // bit mask of the neurons whose p the last sweep changed
    std::size_t swept_at = none;          // the token of the last sweep
    xoshiro256ss rng{0};                  // the unit's input-dependent draws (reseed_input)
    std::vector<std::uint32_t> jumpers;   // drift: the neurons jumping in this sweep ...
    std::vector<std::uint32_t> landing;   // ... and the slots they land on
    layer_kind kind = layer_kind::ffn;
  };
  // Units refer to each other by index, so a copied source is self-contained.
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

  void validate() const {
    const auto in_open_unit = [](const char* field, double v) {
      if (!(v > 0.0 && v < 1.0)) throw invalid_parameter(field, to_text(v), "a value in (0, 1)");
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
      throw invalid_parameter("synthetic hot_turnover", to_text(config_.hot_turnover), "a value in [0, 1)");
    if (config_.turnover_horizon == 0) throw invalid_parameter("synthetic turnover_horizon", "0", "at least 1 token");
    if (config_.drift_period == 0 || config_.drift_period > config_.turnover_horizon)
      throw invalid_parameter("synthetic drift_period", std::to_string(config_.drift_period),
                              "1.." + std::to_string(config_.turnover_horizon) + " tokens (at most turnover_horizon)");
    if (!(config_.layer_coupling >= 0.0 && config_.layer_coupling <= 1.0))
      throw invalid_parameter("synthetic layer_coupling", to_text(config_.layer_coupling), "a value in [0, 1]");
    if (!(config_.ffn.layer_coupling >= 0.0 && config_.ffn.layer_coupling <= 1.0))
      throw invalid_parameter("synthetic ffn.layer_coupling", to_text(config_.ffn.layer_coupling), "a value in [0, 1]");
    if (!(config_.attention.layer_coupling >= 0.0 && config_.attention.layer_coupling <= 1.0))
      throw invalid_parameter("synthetic attention.layer_coupling", to_text(config_.attention.layer_coupling),
                              "a value in [0, 1]");
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
        throw invalid_parameter("synthetic adjacent_similarity", to_text(config_.adjacent_similarity),
                                "a value above the " + std::string(to_string(k)) + " similarity floor " + to_text(floor));
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
      throw invalid_parameter("synthetic hot_turnover", to_text(config_.hot_turnover),
                              "a value below " + to_text(reachable) +
                                  ": the rest of the FFN hot set fires on every token and does not drift");
    const double rate = config_.hot_turnover == 0.0
                            ? 0.0
                            : -std::log1p(-config_.hot_turnover / reachable) / static_cast<double>(config_.turnover_horizon);
    // q = 1 - e^(-lambda K), drawn bit-parallel with 32-bit resolution (the rounded q is the model's).
    const double q = -std::expm1(-rate * static_cast<double>(config_.drift_period));
    const auto q_fixed = static_cast<std::uint32_t>(std::min(std::round(q * fixed_one), fixed_one - 1.0));
    if (rate > 0.0 && q_fixed == 0)
      throw invalid_parameter("synthetic drift_period", std::to_string(config_.drift_period),
                              "a period long enough that a neuron jumps with chance >= 2^-32 per sweep (drift rate " +
                                  to_text(rate) + " per token)");
    for (auto* c : {&ffn, &att}) {
      c->drift_rate = rate;
      c->jump_fixed = q_fixed;
      c->jump_probability = static_cast<double>(q_fixed) / fixed_one;
    }
  }

  void build() {
    units_.resize(layout_.layers * layer_kinds);
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      const auto& c = calibration_[static_cast<std::size_t>(k)];
      const std::size_t n = layout_.neurons(k);
      auto& slot_p = slot_p_[static_cast<std::size_t>(k)];
      slot_p = c.law.slots(n);
      for (std::size_t l = 0; l < layout_.layers; ++l) {
        unit& u = units_[index(l, k)];
        const unit* prev = l == 0 ? nullptr : &units_[index(l - 1, k)];
        u.neurons = n;
        u.kind = k;
        // A uniformly random assignment of slots to neurons (Fisher-Yates).
        u.slot_of.resize(n);
        for (std::size_t i = 0; i < n; ++i) u.slot_of[i] = static_cast<std::uint32_t>(i);
        for (std::size_t i = n - 1; i > 0; --i) std::swap(u.slot_of[i], u.slot_of[rng_.below(i + 1)]);
        if (prev != nullptr) choose_predecessors(u, *prev);
        u.base.resize(n);
        u.slope.resize(n);
        const std::size_t words = (n + 63) / 64;
        u.moved.assign(words, 0);
        u.always.assign(words, 0);
        for (std::size_t i = 0; i < n; ++i) {
          update_threshold(u, prev, i);
          if (slot_p[u.slot_of[i]] >= 1.0) u.always[i >> 6] |= std::uint64_t{1} << (i & 63);
        }
      }
    }
  }

  // Predecessors: two distinct neurons of the previous layer among the three holding the rank
  // slots nearest the neuron's own (r - 1, r, r + 1; the three lowest or highest at the ends),
  // chosen at random. Slots are a random permutation per layer, so the predecessors are random
  // neurons by index; only their propensity follows the neuron's. Drift later moves tail
  // neurons to other slots while the predecessors stay: the rank match loosens over a
  // generation, as the hot set turns over.
  void choose_predecessors(unit& u, const unit& prev) {
    const std::size_t np = prev.neurons;
    std::vector<std::uint32_t> neuron_of(np);
    for (std::size_t j = 0; j < np; ++j) neuron_of[prev.slot_of[j]] = static_cast<std::uint32_t>(j);
    u.pred.resize(u.neurons * predecessors);
    for (std::size_t i = 0; i < u.neurons; ++i) {
      // Candidate slots first, first + 1, first + 2, clipped to the layer; a layer of one or two
      // neurons offers only those (a one-neuron layer repeats its neuron).
      const std::size_t r = std::min<std::size_t>(u.slot_of[i], np - 1);
      const std::size_t span = std::min<std::size_t>(3, np);
      const std::size_t first = std::min(r > 0 ? r - 1 : 0, np - span);
      // Which candidate is left out (span 3) or which comes first (span 2).
      const auto skip = static_cast<std::size_t>(rng_.below(span));
      std::size_t a = 0, b = 0;
      if (span == 3) {
        a = skip == 0 ? 1 : 0;
        b = skip == 2 ? 1 : 2;
      } else if (span == 2) {
        a = skip;
        b = 1 - skip;
      }
      u.pred[i * predecessors] = neuron_of[first + a];
      u.pred[i * predecessors + 1] = neuron_of[first + b];
    }
  }

  // Fresh-draw probability q_m = p + kappa (m - e) as a 32-bit fixed-point threshold
  // base + slope * m (a draw fires iff a 32-bit uniform is below it), e = E[m] = the sum of the
  // predecessors' current p. Always-firing neurons (p = 1, kappa = 0) are handled by the
  // unit's `always` mask instead.
  void update_threshold(unit& u, const unit* prev, std::size_t i) const {
    const auto& slot_p = slot_p_[static_cast<std::size_t>(u.kind)];
    const double p = slot_p[u.slot_of[i]];
    double kappa = 0.0, e = 0.0;
    if (prev != nullptr) {
      for (std::size_t r = 0; r < predecessors; ++r) e += slot_p[prev->slot_of[u.pred[i * predecessors + r]]];
      const double room_down = e > 0.0 ? p / e : 0.0;
      const double room_up = e < 2.0 ? (1.0 - p) / (2.0 - e) : room_down;
      const auto& targets = u.kind == layer_kind::ffn ? config_.ffn : config_.attention;
      kappa = config_.layer_coupling * targets.layer_coupling * std::min(room_down, room_up);
    }
    // Round to nearest. The clamp absorbs rounding only: q_0 = p - kappa e is >= 0 and kappa
    // <= 1 up to an ulp. Clamping the integer keeps this branch-free: a branch on the sign of
    // p - kappa e (zero up to rounding when kappa = p / e) is mispredicted half the time.
    const auto fixed = [](double v) {
      const auto x = static_cast<std::int64_t>(v * fixed_one + 0.5);
      return static_cast<std::uint32_t>(std::clamp<std::int64_t>(x, 0, std::numeric_limits<std::uint32_t>::max()));
    };
    u.base[i] = fixed(p - kappa * e);
    u.slope[i] = fixed(kappa);
  }

  // 64 independent Bernoulli(fixed / 2^bits) bits, exactly: lane i is 1 iff its random binary
  // fraction 0.r1 r2 ... r_bits (bit j of the j-th random word) is below 0.f1 f2 ... f_bits,
  // the bits of `fixed`. Compared from the most significant bit, a lane is decided at its
  // first bit that differs from fixed's (below: 1, above: 0), so the loop stops once all 64
  // lanes are decided, and at fixed's lowest set bit, past which no lane can still turn 1:
  // about log2(64) + 1.3 = 7.3 random words on average, against one per bit of `fixed` for
  // the least-significant-first (Horner) scheme.
  // Takes the generator by reference: the hot loops run on a local copy (see step()).
  static std::uint64_t bernoulli_word(xoshiro256ss& rng, std::uint32_t fixed, int bits) {
    std::uint64_t ones = 0, undecided = ~std::uint64_t{0};
    const int lowest = std::countr_zero(fixed);
    for (int bit = bits - 1; bit >= lowest && undecided != 0; --bit) {
      const std::uint64_t r = rng();
      const std::uint64_t f = std::uint64_t{0} - ((fixed >> bit) & 1u);  // fixed's bit in every lane
      ones |= undecided & ~r & f;  // random bit 0 under a 1 of fixed: below
      undecided &= ~(r ^ f);       // equal bits: not decided yet
    }
    return ones;
  }

  // One drift sweep of a unit: every tail neuron jumps with probability q; the jumpers' slots
  // are rotated by a uniformly random cycle (Sattolo 1986), so each jumper lands on another
  // jumper's slot, uniformly, and the slots stay a permutation (the propensity distribution is
  // invariant). `moved` records whose p changed: the thresholds of those neurons and of their
  // successors in the next layer are recomputed when these units step in this token.
  void drift(unit& u, std::size_t token) {
    const auto& c = calibration_[static_cast<std::size_t>(u.kind)];
    if (c.jump_fixed == 0) return;
    u.jumpers.clear();
    u.landing.clear();
    const std::size_t words = u.always.size();
    xoshiro256ss rng = u.rng;  // a local copy stays in registers (see step()); written back below
    for (std::size_t w = 0; w < words; ++w) {
      const std::size_t begin = w * 64;
      const std::uint64_t valid = u.neurons - begin >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << (u.neurons - begin)) - 1;
      for (std::uint64_t jump = bernoulli_word(rng, c.jump_fixed, 32) & ~u.always[w] & valid; jump; jump &= jump - 1) {
        const std::size_t j = begin + static_cast<std::size_t>(std::countr_zero(jump));
        u.jumpers.push_back(static_cast<std::uint32_t>(j));
        u.landing.push_back(u.slot_of[j]);
      }
    }
    std::fill(u.moved.begin(), u.moved.end(), 0);
    u.swept_at = token;
    const std::size_t m = u.jumpers.size();
    // Sattolo's shuffle; a lone jumper has no other slot to take and keeps its own.
    for (std::size_t x = m > 0 ? m - 1 : 0; x > 0; --x) std::swap(u.landing[x], u.landing[rng.below(x)]);
    u.rng = rng;
    const auto& slot_p = slot_p_[static_cast<std::size_t>(u.kind)];
    for (std::size_t x = 0; x < m; ++x) {
      const std::uint32_t j = u.jumpers[x];
      const bool changed = slot_p[u.landing[x]] != slot_p[u.slot_of[j]];
      u.slot_of[j] = u.landing[x];
      u.moved[j >> 6] |= std::uint64_t{changed} << (j & 63);
    }
  }

  // Generates the next block: from the first token not handed out to the next drift sweep, at
  // most max_block tokens. Unit by unit, layer by layer (a unit's token t needs the previous
  // layer's token t): a unit due for its drift sweep sweeps first, then steps through the block
  // while its arrays stay in cache.
  void generate_block() {
    const std::size_t period = config_.drift_period, first = tokens_;
    const std::size_t size = std::min(max_block, period - first % period);
    if (block_size_ > 0) std::swap(last_, ahead_[block_size_ - 1]);  // the state the block starts from
    if (ahead_.size() < size) ahead_.resize(size, token_masks(layout_));
    if (!(last_.layout() == layout_)) last_ = token_masks(layout_);
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        unit& u = units_[index(l, k)];
        const unit* prev = l == 0 ? nullptr : &units_[index(l - 1, k)];
        if (first > 0 && first % period == 0) drift(u, first);
        for (std::size_t t = 0; t < size; ++t) {
          const neuron_mask& before = t == 0 ? last_.mask(l, k) : ahead_[t - 1].mask(l, k);
          const std::uint64_t* up = prev ? ahead_[t].mask(l - 1, k).words().data() : nullptr;
          step(u, prev, first + t, before.words().data(), up, ahead_[t].mask(l, k).words().data());
        }
      }
    block_begin_ = first;
    block_size_ = size;
  }

  // One token of one unit: `before` is its previous token (unused on token 0), `up` the previous
  // layer's mask of this token (nullptr on layer 0), `words` receives this token's mask. Per 64
  // neurons: a bit-parallel Bernoulli(rho) mask picks the neurons that keep their state; only
  // the others (1 - rho of them) draw afresh.
  void step(unit& u, const unit* prev, std::size_t token, const std::uint64_t* before_words, const std::uint64_t* up,
            std::uint64_t* words) {
    const std::uint32_t rho = calibration_[static_cast<std::size_t>(u.kind)].persistence_fixed;
    const auto& slot_p = slot_p_[static_cast<std::size_t>(u.kind)];
    const bool first = token == 0;
    // Thresholds to recompute: this unit's neurons that moved in a sweep this token, and the
    // neurons with a predecessor that did.
    const std::uint64_t* own_moved = u.swept_at == token ? u.moved.data() : nullptr;
    const std::uint64_t* prev_moved = prev != nullptr && prev->swept_at == token ? prev->moved.data() : nullptr;
    // The generator's state is copied into a local for the token and written back at the end:
    // as a member it may alias the words this loop stores, so the compiler reloaded and stored
    // its 32 bytes around every draw. The sequence of numbers is the same.
    xoshiro256ss rng = u.rng;
    const std::size_t word_count = u.always.size();
    for (std::size_t w = 0; w < word_count; ++w) {
      const std::size_t begin = w * 64;
      const std::size_t count = std::min<std::size_t>(64, u.neurons - begin);
      const std::uint64_t valid = count == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
      std::uint64_t stale = own_moved ? own_moved[w] : 0;
      if (prev_moved)
        for (std::size_t b = 0; b < count; ++b) {
          const std::uint32_t* pr = &u.pred[(begin + b) * predecessors];
          stale |= (((prev_moved[pr[0] >> 6] >> (pr[0] & 63)) | (prev_moved[pr[1] >> 6] >> (pr[1] & 63))) & 1u) << b;
        }
      for (; stale; stale &= stale - 1) update_threshold(u, prev, begin + static_cast<std::size_t>(std::countr_zero(stale)));
      std::uint64_t before = first ? 0 : before_words[w];
      if (first) {
        // The chain starts in its stationary state: on with probability p.
        for (std::size_t b = 0; b < count; ++b)
          before |= static_cast<std::uint64_t>(static_cast<double>(rng() >> 32) < slot_p[u.slot_of[begin + b]] * fixed_one) << b;
      }
      const std::uint64_t keep = bernoulli_word(rng, rho, persistence_bits);
      const std::uint64_t always = u.always[w];
      const std::uint64_t fresh = ~keep & ~always & valid;
      const std::uint64_t drawn = up ? fresh_draws<true>(rng, fresh, begin, u.pred.data(), u.base.data(), u.slope.data(), up)
                                     : fresh_draws<false>(rng, fresh, begin, u.pred.data(), u.base.data(), u.slope.data(), up);
      words[w] = ((before & keep) | always | drawn) & valid;
    }
    u.rng = rng;
  }

  // The fresh draws of one word (neurons begin + b for the bits b of `fresh`): a neuron fires iff
  // a 32-bit uniform is below base + slope * m, m = how many of its predecessors fired in this
  // token (`up`, the previous layer; Coupled = false on layer 0, where m = 0). One random word
  // serves two neurons. Separate from step() so that the loop keeps everything in registers.
  template <bool Coupled>
  static std::uint64_t fresh_draws(xoshiro256ss& rng, std::uint64_t fresh, std::size_t begin, const std::uint32_t* pred,
                                   const std::uint32_t* base, const std::uint32_t* slope, const std::uint64_t* up) {
    const auto fires = [&](std::size_t b, std::uint64_t uniform) -> std::uint64_t {
      const std::size_t i = begin + b;
      std::uint64_t threshold = base[i];  // 64-bit: base + 2 slope may exceed 2^32 - 1 by rounding when q_2 = 1
      if constexpr (Coupled) {
        const std::uint32_t pa = pred[2 * i], pb = pred[2 * i + 1];
        threshold += std::uint64_t{slope[i]} * (((up[pa >> 6] >> (pa & 63)) & 1u) + ((up[pb >> 6] >> (pb & 63)) & 1u));
      }
      return static_cast<std::uint64_t>(uniform < threshold) << b;
    };
    std::uint64_t out = 0;
    while (fresh != 0) {
      const std::uint64_t r = rng();
      out |= fires(static_cast<std::size_t>(std::countr_zero(fresh)), r & 0xFFFFFFFFu);
      fresh &= fresh - 1;
      if (fresh == 0) break;
      out |= fires(static_cast<std::size_t>(std::countr_zero(fresh)), r >> 32);
      fresh &= fresh - 1;
    }
    return out;
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
  std::array<std::vector<double>, layer_kinds> slot_p_;  // propensity of each rank slot, non-increasing
  std::vector<unit> units_;
  std::size_t tokens_ = 0;  // tokens handed out
  // The block of tokens generated ahead, [block_begin_, block_begin_ + block_size_), and the
  // token before it (the state the block started from; the next block starts from its last).
  std::vector<token_masks> ahead_;
  std::size_t block_begin_ = 0, block_size_ = 0;
  token_masks last_;
};

static_assert(activation_source<synthetic_source>);

}  // namespace hermes
