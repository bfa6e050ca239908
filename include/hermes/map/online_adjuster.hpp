#pragma once
// What an online adjuster is (Sec IV-C.1: which neurons the GPU holds, changed while decoding),
// and the two policies a split system picks from: Hermes' hot/cold adjuster, or none.
//
// The engine builds its adjuster once per run from the PCIe link (`policy.make(link, pcie)`),
// then calls, for every stage of every layer, during the output projection:
//   adjuster.adjust(placement, predictor, layer, kind, gpu_budget_neurons, neuron_bytes, ledger, ready)
// which may change the placement's GPU copies (never the homes) and charges what it copies.
#include <concepts>
#include <cstddef>

#include "hermes/activation/trace.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/link.hpp"
#include "hermes/map/hot_cold_adjuster.hpp"
#include "hermes/core/placement.hpp"

namespace hermes {

template <class A, class Predictor>
concept online_adjuster = requires(const A& a, layer_placement& p, const Predictor& pred, std::size_t layer,
                                   layer_kind kind, std::size_t budget, bytes neuron_bytes, ledger& l,
                                   seconds ready) {
  { a.adjust(p, pred, layer, kind, budget, neuron_bytes, l, ready) } -> std::same_as<hot_cold_adjustment>;
};

// An adjustment policy: makes the run's adjuster from the GPU link and its ledger resource.
template <class Policy>
concept adjustment_policy = requires(const Policy& policy, const link& pcie, ledger::resource_id id) {
  policy.make(pcie, id);
};

// Keeps the offline placement's GPU copies for the whole run.
struct no_adjuster {
  template <class Predictor>
  hot_cold_adjustment adjust(layer_placement&, const Predictor&, std::size_t, layer_kind, std::size_t, bytes,
                             ledger&, seconds ready) const {
    hot_cold_adjustment r;
    r.end = ready;
    return r;
  }
};

struct no_adjustment_policy {
  [[nodiscard]] no_adjuster make(const link&, ledger::resource_id) const { return {}; }
};

// Hermes' hot/cold adjustment (Sec IV-C.1): neurons whose predictor state passes T_h are copied to
// the GPU over PCIe, overwriting the coldest copies. Needs a predictor that reports per-neuron
// states (neuron_state_source).
struct hot_cold_adjustment_policy {
  unsigned hot_threshold = hot_cold_adjuster<link>::paper_hot_threshold;
  [[nodiscard]] hot_cold_adjuster<link> make(const link& pcie, ledger::resource_id id) const {
    return hot_cold_adjuster<link>(pcie, id, hot_threshold);
  }
};

static_assert(adjustment_policy<no_adjustment_policy> && adjustment_policy<hot_cold_adjustment_policy>);

}  // namespace hermes
