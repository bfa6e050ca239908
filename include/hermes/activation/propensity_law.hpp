#pragma once
// The per-neuron firing propensity of the synthetic generator: a power law over neuron rank
// with a saturated head,
//
//     p(x) = min(1, (w / (x - s))^alpha)      x in [0, 1) = rank / neurons, 0 = most active,
//
// i.e. the neurons below rank s + w fire on every token and the rest follow a power-law tail
// of exponent alpha whose pole sits at s. Three numbers the paper states pin its three
// parameters (docs/parameters.md, "Synthetic activations"):
//   density     D = integral of p            (1 - the layer kind's sparsity)
//   hot share   H = integral of p over [0, hot_fraction) / D   ("20% of neurons carry 80%")
//   floor       F = integral of p^2 / D      the token-wise similarity at large distance: for
//                  independent draws, the chance that a neuron active at token t is active at
//                  t + d is p, weighted by how often it is active, p / D.
// A plain capped Zipf law (s = 0) has only two parameters and cannot meet all three: at 10%
// density and H = 0.8 its floor is 0.57, not the paper's 0.7; the pole shift s is what lets
// the head be steep and the tail flat, as the measured distributions are (PowerInfer Fig 2).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "hermes/core/error.hpp"

namespace hermes {

struct propensity_law {
  double pole = 0.0;      // s
  double width = 0.0;     // w: the saturated head is [0, s + w)
  double exponent = 1.0;  // alpha

  [[nodiscard]] double saturated() const { return std::min(1.0, pole + width); }

  // (r^k - 1) / k, continuous through k = 0 (where it is ln r).
  static double growth(double k, double r) {
    const double lr = std::log(r);
    return std::abs(k * lr) < 1e-12 ? lr : std::expm1(k * lr) / k;
  }
  [[nodiscard]] double at(double x) const {
    return x < saturated() ? 1.0 : std::pow(width / (x - pole), exponent);
  }
  // Integral of p over [0, x].
  [[nodiscard]] double cumulative(double x) const {
    const double head = saturated();
    if (x <= head) return x;
    return head + width * growth(1.0 - exponent, (x - pole) / width);
  }
  // Integral of p^2 over [0, 1].
  [[nodiscard]] double second_moment() const {
    const double head = saturated();
    if (head >= 1.0) return 1.0;
    return head + width * growth(1.0 - 2.0 * exponent, (1.0 - pole) / width);
  }
  [[nodiscard]] double density() const { return cumulative(1.0); }
  [[nodiscard]] double share_of_top(double fraction) const { return cumulative(fraction) / density(); }
  [[nodiscard]] double similarity_floor() const { return second_moment() / density(); }

  // p of each of `neurons` rank slots: the mean of p over the slot, so the slots' mean is
  // exactly the law's density for any layer width.
  [[nodiscard]] std::vector<double> slots(std::size_t neurons) const {
    std::vector<double> p(neurons);
    const double n = static_cast<double>(neurons);
    double prev = 0.0;
    for (std::size_t r = 0; r < neurons; ++r) {
      const double x = static_cast<double>(r + 1) / n;
      const double next = cumulative(x);
      // Slots wholly inside the head fire always: exactly 1, not 1 minus rounding.
      p[r] = x <= saturated() ? 1.0 : std::clamp((next - prev) * n, 0.0, 1.0);
      prev = next;
    }
    return p;
  }

  // ---- calibration -------------------------------------------------------------------------
  // Bisection on a function increasing in its argument; the caller has checked the bracket.
  template <class F>
  static double bisect(F&& f, double lo, double hi, double target) {
    for (int it = 0; it < 200 && hi - lo > 1e-15 * std::max(1.0, std::abs(hi)); ++it) {
      const double mid = 0.5 * (lo + hi);
      (f(mid) < target ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
  }

  // The law with pole s and exponent alpha whose density is D (w solved; needs s < D).
  static propensity_law with_density(double s, double alpha, double density) {
    const auto d = [&](double w) { return propensity_law{s, w, alpha}.density(); };
    return propensity_law{s, bisect(d, 0.0, 1.0 - s, density), alpha};
  }
  // The law with exponent alpha, density D and similarity floor F (s and w solved).
  static propensity_law with_density_and_floor(double alpha, double density, double floor) {
    const auto f = [&](double s) { return with_density(s, alpha, density).similarity_floor(); };
    const double lowest = f(0.0);
    if (!(floor > lowest && floor < 1.0))
      throw invalid_parameter("synthetic long_range_similarity", to_text(floor),
                              "a value in (" + to_text(lowest) + ", 1) for density " + to_text(density) +
                                  " and exponent " + to_text(alpha) + " (a power law cannot be flatter)");
    return with_density(bisect(f, 0.0, density * (1.0 - 1e-9), floor), alpha, density);
  }
  // The law meeting density D, hot share H of the top `hot_fraction`, and floor F.
  static propensity_law calibrate(double density, double hot_fraction, double hot_share, double floor) {
    // Steeper exponents raise the floor of the unshifted law; the steepest usable one has
    // exactly the target floor at s = 0. Below alpha 0.05 the tail is flat to within 5%.
    constexpr double alpha_lo = 0.05;
    const auto floor0 = [&](double a) { return with_density(0.0, a, density).similarity_floor(); };
    if (!(floor > floor0(alpha_lo) && floor < 1.0))
      throw invalid_parameter("synthetic long_range_similarity", to_text(floor),
                              "a value in (" + to_text(floor0(alpha_lo)) + ", 1) for density " +
                                  to_text(density));
    const double alpha_hi = bisect(floor0, alpha_lo, 64.0, floor) * (1.0 - 1e-6);
    const auto h = [&](double a) { return with_density_and_floor(a, density, floor).share_of_top(hot_fraction); };
    const double h_lo = h(alpha_lo), h_hi = h(alpha_hi);
    if (!(hot_share > h_lo && hot_share < h_hi))
      throw invalid_parameter("synthetic hot_share", to_text(hot_share),
                              "a value in (" + to_text(h_lo) + ", " + to_text(h_hi) +
                                  ") for density " + to_text(density) + ", hot fraction " +
                                  to_text(hot_fraction) + " and similarity floor " + to_text(floor));
    const propensity_law law = with_density_and_floor(bisect(h, alpha_lo, alpha_hi, hot_share), density, floor);
    // Near the steepest head the inner solves saturate (the tail width underflows) and the law
    // misses its targets; refuse it rather than return a law of another density.
    const auto off = [](double got, double want) { return std::abs(got - want) > 1e-3 * std::max(1e-3, want); };
    if (off(law.density(), density) || off(law.share_of_top(hot_fraction), hot_share) || off(law.similarity_floor(), floor))
      throw invalid_parameter("synthetic long_range_similarity", to_text(floor),
                              "a floor the power law can meet together with density " + to_text(density) + " and hot share " +
                                  to_text(hot_share) + " of the top " + to_text(hot_fraction) + " (it reaches density " +
                                  to_text(law.density()) + ", share " + to_text(law.share_of_top(hot_fraction)) + ", floor " +
                                  to_text(law.similarity_floor()) + ")");
    return law;
  }
};

}  // namespace hermes
