# Finds every dependency of the header-only hermes library. Shared by our own build and by the
# installed hermesConfig.cmake, so a consumer gets exactly the same targets.
include(CMakeFindDependencyMacro)
include(${CMAKE_CURRENT_LIST_DIR}/HermesKokkosFix.cmake)

# Kokkos forces CMAKE_CXX_EXTENSIONS and warns unless it is off before find_package(Kokkos).
if(NOT DEFINED CMAKE_CXX_EXTENSIONS)
  set(CMAKE_CXX_EXTENSIONS OFF)
endif()

find_dependency(Kokkos)
hermes_fix_kokkos_target()
find_dependency(Eigen3 3.3 NO_MODULE)
find_dependency(Boost 1.74 CONFIG)
find_dependency(nlohmann_json 3.10)
# hermes-sim reproduce spreads its simulations over std::threads (sim/reproduce.hpp).
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_dependency(Threads)
find_dependency(PkgConfig)
# COIN-OR CBC ships no CMake config on Debian; it does ship cbc.pc.
if(NOT TARGET PkgConfig::CBC)
  pkg_check_modules(CBC REQUIRED IMPORTED_TARGET GLOBAL cbc)
endif()
