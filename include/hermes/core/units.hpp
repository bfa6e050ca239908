#pragma once
// Strong physical units with compile-time dimensional analysis.
//
// A quantity carries the exponents of four base dimensions: bytes, seconds, floating-point
// operations and joules. Multiplying and dividing quantities adds and subtracts exponents, so
// bytes / bandwidth is seconds, and passing a bandwidth where a size is expected does not
// compile. A ratio of two quantities of the same dimension is a plain double.
#include <cmath>
#include <compare>
#include <ostream>

namespace hermes {

template <int Bytes, int Seconds, int Flops, int Joules>
class quantity {
 public:
  constexpr quantity() = default;
  constexpr explicit quantity(double v) : value_(v) {}
  [[nodiscard]] constexpr double value() const { return value_; }

  constexpr quantity& operator+=(quantity o) { value_ += o.value_; return *this; }
  constexpr quantity& operator-=(quantity o) { value_ -= o.value_; return *this; }
  constexpr quantity& operator*=(double s) { value_ *= s; return *this; }
  constexpr quantity& operator/=(double s) { value_ /= s; return *this; }

  friend constexpr quantity operator+(quantity a, quantity b) { return quantity(a.value_ + b.value_); }
  friend constexpr quantity operator-(quantity a, quantity b) { return quantity(a.value_ - b.value_); }
  friend constexpr quantity operator-(quantity a) { return quantity(-a.value_); }
  friend constexpr quantity operator*(quantity a, double s) { return quantity(a.value_ * s); }
  friend constexpr quantity operator*(double s, quantity a) { return quantity(a.value_ * s); }
  friend constexpr quantity operator/(quantity a, double s) { return quantity(a.value_ / s); }
  friend constexpr auto operator<=>(quantity, quantity) = default;
  friend constexpr bool operator==(quantity, quantity) = default;

 private:
  double value_ = 0.0;
};

namespace detail {
template <int B, int S, int F, int J>
constexpr auto make_quantity(double v) {
  if constexpr (B == 0 && S == 0 && F == 0 && J == 0) {
    return v;  // dimensionless: a plain number
  } else {
    return quantity<B, S, F, J>(v);
  }
}
}  // namespace detail

template <int B1, int S1, int F1, int J1, int B2, int S2, int F2, int J2>
constexpr auto operator*(quantity<B1, S1, F1, J1> a, quantity<B2, S2, F2, J2> b) {
  return detail::make_quantity<B1 + B2, S1 + S2, F1 + F2, J1 + J2>(a.value() * b.value());
}
template <int B1, int S1, int F1, int J1, int B2, int S2, int F2, int J2>
constexpr auto operator/(quantity<B1, S1, F1, J1> a, quantity<B2, S2, F2, J2> b) {
  return detail::make_quantity<B1 - B2, S1 - S2, F1 - F2, J1 - J2>(a.value() / b.value());
}
template <int B, int S, int F, int J>
constexpr auto operator/(double s, quantity<B, S, F, J> a) {
  return detail::make_quantity<-B, -S, -F, -J>(s / a.value());
}

using bytes = quantity<1, 0, 0, 0>;
using seconds = quantity<0, 1, 0, 0>;
using flops = quantity<0, 0, 1, 0>;
using joules = quantity<0, 0, 0, 1>;
using bandwidth = quantity<1, -1, 0, 0>;   // bytes per second
using flop_rate = quantity<0, -1, 1, 0>;   // FLOP per second
using frequency = quantity<0, -1, 0, 0>;   // per second (clocks)
using energy_per_byte = quantity<-1, 0, 0, 1>;
using watts = quantity<0, -1, 0, 1>;       // joules per second (power)

template <int B, int S, int F, int J>
constexpr quantity<B, S, F, J> max(quantity<B, S, F, J> a, quantity<B, S, F, J> b) {
  return a < b ? b : a;
}
template <int B, int S, int F, int J>
constexpr quantity<B, S, F, J> min(quantity<B, S, F, J> a, quantity<B, S, F, J> b) {
  return b < a ? b : a;
}

namespace detail {
inline void print_unit(std::ostream& os, const char* symbol, int exponent) {
  if (exponent == 0) return;
  os << ' ' << symbol;
  if (exponent != 1) os << '^' << exponent;
}
}  // namespace detail

template <int B, int S, int F, int J>
std::ostream& operator<<(std::ostream& os, quantity<B, S, F, J> q) {
  os << q.value();
  detail::print_unit(os, "B", B);
  detail::print_unit(os, "s", S);
  detail::print_unit(os, "FLOP", F);
  detail::print_unit(os, "J", J);
  return os;
}

// Literals. Decimal prefixes for rates and marketing sizes (GB/s, TFLOPS, GB); binary prefixes
// (KiB, MiB, GiB) for buffers and rows.
namespace literals {
constexpr bytes operator""_B(unsigned long long v) { return bytes(static_cast<double>(v)); }
constexpr bytes operator""_KiB(unsigned long long v) { return bytes(v * 1024.0); }
constexpr bytes operator""_MiB(unsigned long long v) { return bytes(v * 1048576.0); }
constexpr bytes operator""_GiB(unsigned long long v) { return bytes(v * 1073741824.0); }
constexpr bytes operator""_GB(long double v) { return bytes(static_cast<double>(v) * 1e9); }
constexpr bytes operator""_GB(unsigned long long v) { return bytes(v * 1e9); }
constexpr seconds operator""_s(long double v) { return seconds(static_cast<double>(v)); }
constexpr seconds operator""_s(unsigned long long v) { return seconds(static_cast<double>(v)); }
constexpr seconds operator""_ms(long double v) { return seconds(static_cast<double>(v) * 1e-3); }
constexpr seconds operator""_ms(unsigned long long v) { return seconds(v * 1e-3); }
constexpr seconds operator""_us(long double v) { return seconds(static_cast<double>(v) * 1e-6); }
constexpr seconds operator""_us(unsigned long long v) { return seconds(v * 1e-6); }
constexpr seconds operator""_ns(long double v) { return seconds(static_cast<double>(v) * 1e-9); }
constexpr seconds operator""_ns(unsigned long long v) { return seconds(v * 1e-9); }
constexpr bandwidth operator""_GBps(long double v) { return bandwidth(static_cast<double>(v) * 1e9); }
constexpr bandwidth operator""_GBps(unsigned long long v) { return bandwidth(v * 1e9); }
constexpr flop_rate operator""_TFLOPS(long double v) { return flop_rate(static_cast<double>(v) * 1e12); }
constexpr flop_rate operator""_TFLOPS(unsigned long long v) { return flop_rate(v * 1e12); }
constexpr flop_rate operator""_GFLOPS(long double v) { return flop_rate(static_cast<double>(v) * 1e9); }
constexpr flop_rate operator""_GFLOPS(unsigned long long v) { return flop_rate(v * 1e9); }
constexpr frequency operator""_GHz(long double v) { return frequency(static_cast<double>(v) * 1e9); }
constexpr frequency operator""_GHz(unsigned long long v) { return frequency(v * 1e9); }
constexpr frequency operator""_MHz(long double v) { return frequency(static_cast<double>(v) * 1e6); }
constexpr frequency operator""_MHz(unsigned long long v) { return frequency(v * 1e6); }
constexpr joules operator""_pJ(long double v) { return joules(static_cast<double>(v) * 1e-12); }
constexpr joules operator""_pJ(unsigned long long v) { return joules(v * 1e-12); }
constexpr watts operator""_W(long double v) { return watts(static_cast<double>(v)); }
constexpr watts operator""_W(unsigned long long v) { return watts(static_cast<double>(v)); }
}  // namespace literals

}  // namespace hermes
