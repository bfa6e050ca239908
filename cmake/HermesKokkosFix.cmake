# Debian 12's Kokkos 3.4 (from Trilinos 13.2) exports Kokkos::kokkos with an
# INTERFACE_INCLUDE_DIRECTORIES of <prefix>/lib/include, which does not exist; its headers live
# in ${Kokkos_INCLUDE_DIRS} (/usr/include/trilinos). Repair the imported target, but only when
# the recorded directory really lacks Kokkos_Core.hpp, so a correct Kokkos (OpenMP, CUDA, a
# user's own build) is left untouched.
function(hermes_fix_kokkos_target)
  if(NOT TARGET Kokkos::kokkos)
    return()
  endif()
  get_target_property(_hermes_kokkos_inc Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
  set(_hermes_found FALSE)
  foreach(_dir IN LISTS _hermes_kokkos_inc)
    if(EXISTS "${_dir}/Kokkos_Core.hpp")
      set(_hermes_found TRUE)
    endif()
  endforeach()
  if(NOT _hermes_found)
    if(NOT Kokkos_INCLUDE_DIRS OR NOT EXISTS "${Kokkos_INCLUDE_DIRS}/Kokkos_Core.hpp")
      message(FATAL_ERROR "hermes: Kokkos::kokkos has no Kokkos_Core.hpp in its include dirs "
                          "('${_hermes_kokkos_inc}') and Kokkos_INCLUDE_DIRS "
                          "('${Kokkos_INCLUDE_DIRS}') does not hold it either.")
    endif()
    get_filename_component(_real "${Kokkos_INCLUDE_DIRS}" REALPATH)
    set_target_properties(Kokkos::kokkos PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_real}")
    message(STATUS "hermes: repaired Kokkos::kokkos include dir -> ${_real}")
  endif()
endfunction()
