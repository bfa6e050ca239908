# Finds the dependencies of the header-only hermes library. Shared by our own build and by the
# installed hermesConfig.cmake, so a consumer gets exactly the same targets.
#
# Included, it finds the core's (hermes::hermes): Kokkos, Eigen, Boost headers, Threads. The
# optional components find theirs only when asked, through hermes_find_component():
#   json  nlohmann-json                 (hermes::json: the io/ headers)
#   cbc   COIN-OR CBC through pkg-config (hermes::cbc: map/ilp_mapper.hpp)
# so a core-only consumer needs neither installed.
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
# hermes-sim reproduce spreads its simulations over std::threads (sim/parallel.hpp).
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_dependency(Threads)

# hermes_find_component(<json|cbc> [REQUIRED] [QUIET]): finds what the component needs and sets
# hermes_<component>_FOUND (TRUE or FALSE), and hermes_<component>_NOT_FOUND_MESSAGE when it
# is missing. A macro, not a function: find_package's imported targets and variables must reach
# the caller.
macro(hermes_find_component _hermes_component)
  set(_hermes_fc_args ${ARGN})
  set(hermes_${_hermes_component}_FOUND FALSE)
  unset(hermes_${_hermes_component}_NOT_FOUND_MESSAGE)
  if("${_hermes_component}" STREQUAL "json")
    if(NOT TARGET nlohmann_json::nlohmann_json)
      find_package(nlohmann_json 3.10 ${_hermes_fc_args})
    endif()
    if(TARGET nlohmann_json::nlohmann_json)
      set(hermes_json_FOUND TRUE)
    else()
      set(hermes_json_NOT_FOUND_MESSAGE
          "hermes component json needs nlohmann-json >= 3.10 (find_package(nlohmann_json)), not found")
    endif()
  elseif("${_hermes_component}" STREQUAL "cbc")
    # COIN-OR CBC ships no CMake config on Debian; it does ship cbc.pc.
    set(_hermes_fc_required FALSE)
    if("REQUIRED" IN_LIST _hermes_fc_args)
      set(_hermes_fc_required TRUE)
      list(REMOVE_ITEM _hermes_fc_args REQUIRED)  # reported below, naming the component
    endif()
    if(NOT TARGET PkgConfig::CBC)
      find_package(PkgConfig ${_hermes_fc_args})
      if(PKG_CONFIG_FOUND)
        pkg_check_modules(CBC ${_hermes_fc_args} IMPORTED_TARGET GLOBAL cbc)
      endif()
    endif()
    if(TARGET PkgConfig::CBC)
      set(hermes_cbc_FOUND TRUE)
    else()
      set(hermes_cbc_NOT_FOUND_MESSAGE
          "hermes component cbc needs COIN-OR CBC (pkg-config module cbc), not found")
      if(_hermes_fc_required)
        message(FATAL_ERROR "${hermes_cbc_NOT_FOUND_MESSAGE}")
      endif()
    endif()
    unset(_hermes_fc_required)
  else()
    set(hermes_${_hermes_component}_NOT_FOUND_MESSAGE
        "hermes has no component '${_hermes_component}' (known: json, cbc)")
  endif()
  unset(_hermes_fc_args)
endmacro()
