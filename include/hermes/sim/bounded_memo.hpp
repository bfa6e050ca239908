#pragma once
// A small, thread-safe, per-process memo of the simulator's expensive deterministic inputs
// (activation records, offline placements): the few most recent entries by exact key, the oldest
// evicted first. `make` runs outside the lock, so two threads asking for the same new key may
// both compute it; they get equal values, since what is memoised is a deterministic function of
// its key.
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace hermes::detail {

template <class Key, class Value, std::size_t Capacity>
class bounded_memo {
  static_assert(Capacity >= 1, "bounded_memo: keep at least one entry");

 public:
  template <class Make>
  Value get(const Key& key, Make&& make) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& [k, v] : entries_)
        if (k == key) return v;
    }
    Value value = std::forward<Make>(make)();
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() >= Capacity) entries_.erase(entries_.begin());
    entries_.emplace_back(key, value);
    return value;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<Key, Value>> entries_;
};

}  // namespace hermes::detail
