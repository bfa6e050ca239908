#pragma once
// A set of neurons of one layer as a bit mask: which neurons fired (or are predicted to) for one
// token. 64 neurons per word, so a LLaMA2-70B FFN layer (28672 neurons) is 448 words.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hermes/core/error.hpp"

namespace hermes {

class neuron_mask {
 public:
  using word = std::uint64_t;
  static constexpr std::size_t word_bits = 64;

  neuron_mask() = default;
  explicit neuron_mask(std::size_t neurons) : size_(neurons), words_((neurons + 63) / 64, 0) {}

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool test(std::size_t i) const { return (words_[i / 64] >> (i % 64)) & 1u; }
  void set(std::size_t i) { words_[i / 64] |= word{1} << (i % 64); }
  void set(std::size_t i, bool v) { v ? set(i) : reset(i); }
  void reset(std::size_t i) { words_[i / 64] &= ~(word{1} << (i % 64)); }
  void clear() { std::fill(words_.begin(), words_.end(), 0); }
  void fill() {
    std::fill(words_.begin(), words_.end(), ~word{0});
    trim();
  }

  [[nodiscard]] std::size_t count() const {
    std::size_t c = 0;
    for (word w : words_) c += static_cast<std::size_t>(std::popcount(w));
    return c;
  }
  [[nodiscard]] double density() const {
    return size_ == 0 ? 0.0 : static_cast<double>(count()) / static_cast<double>(size_);
  }

  // |this & other|, the overlap of two masks of the same size.
  [[nodiscard]] std::size_t intersection_count(const neuron_mask& o) const {
    check_same(o);
    std::size_t c = 0;
    for (std::size_t k = 0; k < words_.size(); ++k)
      c += static_cast<std::size_t>(std::popcount(words_[k] & o.words_[k]));
    return c;
  }

  // Calls f(i) for every set neuron, in increasing order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t k = 0; k < words_.size(); ++k) {
      word w = words_[k];
      while (w) {
        const auto b = static_cast<std::size_t>(std::countr_zero(w));
        f(k * 64 + b);
        w &= w - 1;
      }
    }
  }

  // The indices of the set neurons, in increasing order.
  [[nodiscard]] std::vector<std::uint32_t> indices() const {
    std::vector<std::uint32_t> out;
    out.reserve(count());
    for_each([&](std::size_t i) { out.push_back(static_cast<std::uint32_t>(i)); });
    return out;
  }

  neuron_mask& operator&=(const neuron_mask& o) {
    check_same(o);
    for (std::size_t k = 0; k < words_.size(); ++k) words_[k] &= o.words_[k];
    return *this;
  }
  neuron_mask& operator|=(const neuron_mask& o) {
    check_same(o);
    for (std::size_t k = 0; k < words_.size(); ++k) words_[k] |= o.words_[k];
    return *this;
  }

  [[nodiscard]] const std::vector<word>& words() const { return words_; }
  [[nodiscard]] std::vector<word>& words() { return words_; }  // callers keep the tail clear
  friend bool operator==(const neuron_mask&, const neuron_mask&) = default;

 private:
  void trim() {
    if (size_ % 64 != 0 && !words_.empty()) words_.back() &= (word{1} << (size_ % 64)) - 1;
  }
  void check_same(const neuron_mask& o) const {
    if (o.size_ != size_)
      throw error("neuron_mask: sizes differ (" + std::to_string(size_) + " vs " +
                  std::to_string(o.size_) + ")");
  }
  std::size_t size_ = 0;
  std::vector<word> words_;
};

}  // namespace hermes
