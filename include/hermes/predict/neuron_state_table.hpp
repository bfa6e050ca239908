#pragma once
// The neuron state table of the Hermes predictor (Sec IV-C.1): one 4-bit saturating counter per
// neuron, for every layer and layer kind.
//
// Storage: 4 bits per neuron, i.e. two states per byte, stored bit-sliced: for each group of 64
// neurons, four 64-bit words hold bit 0, bit 1, bit 2 and bit 3 of their 64 states. That is the
// same N/2 bytes as packing two nibbles per byte, but every operation the predictor needs then
// works on 64 neurons per instruction and lines up with neuron_mask words with no bit shuffling:
// the fired mask of a token is directly the select mask of the update, and "state >= c" is a
// 64-neuron bitset after a 4-step comparator. (Measured in bench/predictor.cpp against a
// nibble-packed SWAR update: about 10x faster; see docs/performance.md, "Predictor cost".)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hermes/core/neuron_mask.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

namespace bitslice {
using word = std::uint64_t;
inline constexpr int state_bits = 4;  // Hermes Sec IV-C.1: 4-bit state per neuron
inline constexpr int max_state = 15;

// A constant 0..15 as four all-ones/all-zero words, one per bit, so that a runtime constant can
// be used in branch-free bit-sliced arithmetic.
struct constant4 {
  word bit[state_bits] = {};
  constexpr explicit constant4(unsigned c = 0) {
    for (int i = 0; i < state_bits; ++i) bit[i] = ((c >> i) & 1u) ? ~word{0} : word{0};
  }
};

// Per lane: (s >= c) for a constant c in 1..15, evaluated from bit 0 upwards:
// R_i = s_i & R_{i-1} where c_i = 1, s_i | R_{i-1} where c_i = 0, with R_{-1} = true.
inline word at_least(const word s[state_bits], const constant4& c) {
  word r = ~word{0};
  for (int i = 0; i < state_bits; ++i) r = (s[i] & r) | (~c.bit[i] & (s[i] | r));
  return r;
}

// (s >= C) for a compile-time C in 1..15: the same comparator with the constant folded away,
// one AND or OR per bit from the lowest set bit of C upwards (s >= 4 is s2 | s3; s >= 11 is
// s3 & (s2 | s1 & s0)). The predictor's thresholds are fixed for its lifetime, so it picks the
// instance once per layer (at_least_words) instead of paying the generic four-step mux per word.
template <unsigned C>
inline word at_least(const word s[state_bits]) {
  static_assert(C >= 1 && C <= 15, "at_least<C>: C must be 1..15 (0 and 16 are constant masks)");
  word r = ~word{0};
  for (int i = 0; i < state_bits; ++i) r = ((C >> i) & 1u) ? (s[i] & r) : (s[i] | r);
  return r;
}

namespace detail {
template <unsigned C>
void at_least_words(const word* planes, std::size_t groups, word* out) {
  for (std::size_t g = 0; g < groups; ++g) out[g] = at_least<C>(planes + g * state_bits);
}
template <std::size_t... C>
void at_least_words_dispatch(unsigned c, const word* planes, std::size_t groups, word* out,
                             std::index_sequence<C...>) {
  // c is 1..15 here: exactly one instance matches.
  (void)((c == C + 1 ? (at_least_words<C + 1>(planes, groups, out), true) : false) || ...);
}
}  // namespace detail

// out[g] = (state >= c) for the 64 neurons of every group g < groups, for a runtime c 0..16
// (0: every lane, 16 or more: none; `planes` is not read then and may be null).
inline void at_least_words(const word* planes, std::size_t groups, unsigned c, word* out) {
  if (c == 0) {
    std::fill(out, out + groups, ~word{0});
  } else if (c > static_cast<unsigned>(max_state)) {
    std::fill(out, out + groups, word{0});
  } else {
    detail::at_least_words_dispatch(c, planes, groups, out, std::make_index_sequence<max_state>{});
  }
}

// s + c per lane with carry out; lanes that overflow 15 saturate at 15.
inline void add_saturating(const word s[state_bits], const constant4& c, word out[state_bits]) {
  word carry = 0;
  for (int i = 0; i < state_bits; ++i) {
    const word x = s[i] ^ c.bit[i];
    out[i] = x ^ carry;
    carry = (s[i] & c.bit[i]) | (carry & x);
  }
  for (int i = 0; i < state_bits; ++i) out[i] |= carry;
}

// s - c per lane, computed as s + (16 - c): a carry out of bit 3 means no borrow (s >= c);
// lanes that would go below 0 saturate at 0. `neg` is constant4(16 - c) and c is 1..15.
inline void sub_saturating(const word s[state_bits], const constant4& neg, word out[state_bits]) {
  word carry = 0;
  for (int i = 0; i < state_bits; ++i) {
    const word x = s[i] ^ neg.bit[i];
    out[i] = x ^ carry;
    carry = (s[i] & neg.bit[i]) | (carry & x);
  }
  for (int i = 0; i < state_bits; ++i) out[i] &= carry;
}
}  // namespace bitslice

class neuron_state_table {
 public:
  using word = bitslice::word;
  static constexpr int max_state = bitslice::max_state;

  neuron_state_table() = default;
  explicit neuron_state_table(const trace_layout& layout) : layout_(layout) {
    offsets_.reserve(layout.layers * layer_kinds + 1);
    std::size_t words = 0;
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (std::size_t k = 0; k < layer_kinds; ++k) {
        offsets_.push_back(words);
        words += bitslice::state_bits * words_for(layout.neurons(static_cast<layer_kind>(k)));
      }
    offsets_.push_back(words);
    planes_.assign(words, 0);
  }

  [[nodiscard]] const trace_layout& layout() const { return layout_; }

  [[nodiscard]] std::uint8_t state(std::size_t layer, layer_kind k, std::size_t neuron) const {
    const word* seg = planes_.data() + segment_offset(layer, k, neuron);
    const std::size_t g = neuron / 64, b = neuron % 64;
    std::uint8_t s = 0;
    for (int i = 0; i < bitslice::state_bits; ++i)
      s = static_cast<std::uint8_t>(s | (((seg[g * bitslice::state_bits + static_cast<std::size_t>(i)] >> b) & 1u) << i));
    return s;
  }

  void set_state(std::size_t layer, layer_kind k, std::size_t neuron, unsigned s) {
    if (s > max_state)
      throw invalid_parameter("neuron state", std::to_string(s), "a 4-bit value 0..15");
    word* seg = planes_.data() + segment_offset(layer, k, neuron);
    const std::size_t g = neuron / 64, b = neuron % 64;
    for (int i = 0; i < bitslice::state_bits; ++i) {
      word& w = seg[g * bitslice::state_bits + static_cast<std::size_t>(i)];
      w = (w & ~(word{1} << b)) | (word{(s >> i) & 1u} << b);
    }
  }

  // The token update of Sec IV-C.1: +step_up where the neuron fired, -step_down elsewhere, both
  // saturating to 0..15. The steps are 0..15 (validated by the owner of the parameters).
  void update(std::size_t layer, layer_kind k, const neuron_mask& fired, unsigned step_up,
              unsigned step_down) {
    check_mask(layer, k, fired, "fired");
    word* seg = planes_.data() + offsets_[layer * layer_kinds + static_cast<std::size_t>(k)];
    const word* f = fired.words().data();
    const std::size_t groups = fired.words().size();
    if (step_up == paper_step_up && step_down == paper_step_down) {
      update_paper_steps(seg, f, groups);
      return;
    }
    const bitslice::constant4 up(step_up), down_neg(16u - step_down);
    for (std::size_t g = 0; g < groups; ++g) {
      word* s = seg + g * bitslice::state_bits;
      word up_s[bitslice::state_bits], down_s[bitslice::state_bits];
      if (step_up) bitslice::add_saturating(s, up, up_s);
      else for (int i = 0; i < bitslice::state_bits; ++i) up_s[i] = s[i];
      if (step_down) bitslice::sub_saturating(s, down_neg, down_s);
      else for (int i = 0; i < bitslice::state_bits; ++i) down_s[i] = s[i];
      for (int i = 0; i < bitslice::state_bits; ++i) s[i] = down_s[i] ^ ((up_s[i] ^ down_s[i]) & f[g]);
    }
  }

  // The paper's steps (Sec IV-C.1: +4 on fire, -1 otherwise), which every Hermes configuration
  // uses, get a kernel with the constants folded: about a third of the generic one's operations.
  // The generic path above stays for any other steps; tests pin both against a scalar counter.
  static constexpr unsigned paper_step_up = 4, paper_step_down = 1;

  // out = the neurons of (layer, k) whose state is >= threshold (threshold 0..16; 16 = none).
  void at_least(std::size_t layer, layer_kind k, unsigned threshold, neuron_mask& out) const {
    const std::size_t n = neurons_of(layer, k);
    if (out.size() != n) out = neuron_mask(n);
    auto& o = out.words();
    if (threshold == 0) { out.fill(); return; }
    if (threshold > max_state) { out.clear(); return; }
    const word* seg = planes_.data() + offsets_[layer * layer_kinds + static_cast<std::size_t>(k)];
    bitslice::at_least_words(seg, o.size(), threshold, o.data());
    trim(o, n);
  }

  // The four planes of (layer, k): words [4g + i] hold bit i of the states of neurons 64g..64g+63.
  [[nodiscard]] const word* planes(std::size_t layer, layer_kind k) const {
    (void)neurons_of(layer, k);  // validates the layer index
    return planes_.data() + offsets_[layer * layer_kinds + static_cast<std::size_t>(k)];
  }
  [[nodiscard]] word* planes(std::size_t layer, layer_kind k) {
    (void)neurons_of(layer, k);  // validates the layer index
    return planes_.data() + offsets_[layer * layer_kinds + static_cast<std::size_t>(k)];
  }

  // Real storage: 4 bits per neuron, rounded up to whole 64-neuron groups per layer.
  [[nodiscard]] bytes storage_bytes() const { return bytes(static_cast<double>(planes_.size() * sizeof(word))); }
  // The paper's formula: layers x neurons per layer x 4 bits.
  [[nodiscard]] static bytes packed_bytes(const trace_layout& l) {
    return bytes(static_cast<double>(l.layers * (l.attention_neurons + l.ffn_neurons)) *
                 bitslice::state_bits / 8.0);
  }

  [[nodiscard]] std::size_t neurons_of(std::size_t layer, layer_kind k) const {
    if (layer >= layout_.layers)
      throw invalid_parameter("layer", std::to_string(layer),
                              "a layer index < " + std::to_string(layout_.layers));
    return layout_.neurons(k);
  }

  static std::size_t words_for(std::size_t neurons) { return (neurons + 63) / 64; }
  static void trim(std::vector<word>& w, std::size_t neurons) {
    if (neurons % 64 != 0 && !w.empty()) w.back() &= (word{1} << (neurons % 64)) - 1;
  }

 private:
  std::size_t segment_offset(std::size_t layer, layer_kind k, std::size_t neuron) const {
    const std::size_t n = neurons_of(layer, k);
    if (neuron >= n)
      throw invalid_parameter("neuron", std::to_string(neuron), "an index < " + std::to_string(n));
    return offsets_[layer * layer_kinds + static_cast<std::size_t>(k)];
  }
  void check_mask(std::size_t layer, layer_kind k, const neuron_mask& m, const char* what) const {
    const std::size_t n = neurons_of(layer, k);
    if (m.size() != n)
      throw invalid_parameter(std::string(what) + " mask size", std::to_string(m.size()),
                              std::to_string(n) + " neurons (layer " + std::to_string(layer) + ")");
  }

  // +4 saturating at 15 where the neuron fired, -1 saturating at 0 elsewhere, 64 lanes per word.
  static void update_paper_steps(word* seg, const word* fired, std::size_t groups) {
    for (std::size_t g = 0; g < groups; ++g) {
      word* s = seg + g * bitslice::state_bits;
      const word s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3], f = fired[g];
      // s + 4: bits 0 and 1 unchanged, bit 2 flips, carry into bit 3; overflow (s >= 12)
      // saturates every bit to 1.
      const word over = s3 & s2;
      const word u0 = s0 | over, u1 = s1 | over, u2 = ~s2 | over, u3 = (s3 ^ s2) | over;
      // s - 1: a borrow ripples up through the zero bits; s = 0 (borrow out of bit 3) stays 0.
      const word b0 = ~s0, b1 = b0 & ~s1, b2 = b1 & ~s2, zero = b2 & ~s3;
      const word d0 = ~s0 & ~zero, d1 = (s1 ^ b0) & ~zero, d2 = (s2 ^ b1) & ~zero, d3 = (s3 ^ b2) & ~zero;
      s[0] = d0 ^ ((u0 ^ d0) & f);
      s[1] = d1 ^ ((u1 ^ d1) & f);
      s[2] = d2 ^ ((u2 ^ d2) & f);
      s[3] = d3 ^ ((u3 ^ d3) & f);
    }
  }

  trace_layout layout_{};
  std::vector<std::size_t> offsets_;  // first word of each (layer, kind) segment
  std::vector<word> planes_;
};

}  // namespace hermes
