#pragma once
// The key/value cache of one attention layer: for every sequence of the batch, the rotated keys
// and the values of every position decoded so far, [sequences][max_context][kv_dim].
#include <Kokkos_Core.hpp>

#include <cstddef>

#include "hermes/core/error.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

template <class MemSpace>
class kv_cache {
 public:
  using cache_view = Kokkos::View<float***, Kokkos::LayoutRight, MemSpace>;

  kv_cache() = default;
  kv_cache(std::size_t sequences, std::size_t max_context, std::size_t kv_dim)
      : keys_("hermes::kv_cache::keys", checked("kv_cache.sequences", sequences),
              checked("kv_cache.max_context", max_context), checked("kv_cache.kv_dim", kv_dim)),
        values_("hermes::kv_cache::values", sequences, max_context, kv_dim) {}

  [[nodiscard]] cache_view keys() const { return keys_; }
  [[nodiscard]] cache_view values() const { return values_; }
  [[nodiscard]] std::size_t sequences() const { return keys_.extent(0); }
  [[nodiscard]] std::size_t max_context() const { return keys_.extent(1); }
  [[nodiscard]] std::size_t kv_dim() const { return keys_.extent(2); }
  // Memory held (fp32 here; the modelled hardware's width is a cost parameter).
  [[nodiscard]] bytes footprint() const {
    return bytes(2.0 * static_cast<double>(keys_.size() * sizeof(float)));
  }
  // Forgets every sequence (a new batch of prompts).
  void clear() {
    Kokkos::deep_copy(keys_, 0.0f);
    Kokkos::deep_copy(values_, 0.0f);
  }

 private:
  static std::size_t checked(const char* field, std::size_t v) {
    require_positive(field, v);
    return v;
  }
  cache_view keys_;
  cache_view values_;
};

}  // namespace hermes
