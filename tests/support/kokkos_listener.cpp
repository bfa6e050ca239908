// Initialises Kokkos once per test program (before the first test case) and finalises it after
// the last, whatever backend the user's Kokkos was built with.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <Kokkos_Core.hpp>

namespace {
struct kokkos_listener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testRunStarting(Catch::TestRunInfo const&) override {
    if (!Kokkos::is_initialized()) Kokkos::initialize();
  }
  void testRunEnded(Catch::TestRunStats const&) override {
    if (Kokkos::is_initialized()) Kokkos::finalize();
  }
};
}  // namespace
CATCH_REGISTER_LISTENER(kokkos_listener)
