#include <catch2/catch.hpp>

#include <type_traits>

#include "hermes/core/units.hpp"

using namespace hermes;
using namespace hermes::literals;

template <class A, class B>
concept addable = requires(A a, B b) { a + b; };
template <class From, class To>
concept convertible = std::is_convertible_v<From, To>;

TEST_CASE("units: dimensions combine and mismatches do not compile", "[core][units]") {
  constexpr bytes b = 64_GB;
  constexpr bandwidth bw = 64_GBps;
  constexpr auto t = b / bw;
  static_assert(std::is_same_v<std::remove_const_t<decltype(t)>, seconds>);
  CHECK(t.value() == Approx(1.0));

  static_assert(std::is_same_v<decltype(bw * 2_s), bytes>);
  static_assert(std::is_same_v<decltype(1_GB / 1_GB), double>);  // a ratio is a number
  static_assert(std::is_same_v<decltype(10_TFLOPS * 1_ms), flops>);
  static_assert(!addable<bytes, seconds>, "bytes + seconds must not compile");
  static_assert(!addable<bytes, bandwidth>, "bytes + bandwidth must not compile");
  static_assert(!convertible<bandwidth, bytes>, "a bandwidth is not a size");
  static_assert(!convertible<double, bytes>, "construction from a number is explicit");
}

TEST_CASE("units: literals use decimal and binary prefixes as documented", "[core][units]") {
  CHECK((1_KiB).value() == 1024.0);
  CHECK((1_GiB).value() == 1073741824.0);
  CHECK((1_GB).value() == 1e9);
  CHECK((1_ns).value() == Approx(1e-9));
  CHECK((1.17_pJ).value() == Approx(1.17e-12));
  CHECK((2_GHz * 1_ns) == Approx(2.0));
  CHECK(max(1_s, 2_s) == 2_s);
  CHECK(min(1_s, 2_s) == 1_s);
  CHECK(1_ms < 1_s);
}

#include <sstream>
TEST_CASE("units: printing names the dimension", "[core][units]") {
  std::ostringstream os;
  os << 64_GBps << " | " << 2_s << " | " << (1_GB / (1_s * 1_s));
  CHECK(os.str() == "6.4e+10 B s^-1 | 2 s | 1e+09 B s^-2");
}
