#pragma once
// The options of the CBC placement mapper (map/ilp_mapper.hpp). Plain values with no CBC type,
// so a configuration (a mapper value, a JSON file) can hold them in a build without CBC.
#include <cstddef>

#include "hermes/core/error.hpp"

namespace hermes {

enum class ilp_formulation { automatic, per_dimm, split };

struct ilp_options {
  // Neurons per group, by frequency rank within a layer. 256 keeps LLaMA2-70B at 11.5k binaries,
  // which CBC proves optimal in well under a second (bench/placement.cpp); the neuron-level
  // repair after the solve recovers what the coarser grouping loses at the group boundaries.
  std::size_t group_size = 256;
  double time_limit_seconds = 5.0;      // passed to CBC (which may overrun it)
  // Branch-and-bound nodes CBC may explore (0 = no limit). Unlike the time limit, a node limit
  // stops CBC at the same point on every machine, so the placement (and everything simulated
  // from it) is reproducible; the time limit then only guards against a pathological instance.
  int max_nodes = 0;
  double relative_gap = 1e-4;           // CBC stops once its incumbent is this close to its bound
  // The placement's stated optimality tolerance, a relative gap to the closed-form LP bound
  // (neuron level: no placement beats it). The LP-rounding + repair placement is always built
  // first; when its exact gap is already at most target_gap, that bound proves no solver could
  // gain more than target_gap, so CBC is not run (the report says so: cbc.ran is false). When
  // CBC does run, it stops once its own gap is within max(relative_gap, target_gap).
  // 0 = always run CBC: the mapper used directly solves the ILP. The engine accepts 1e-3
  // (engine_ilp_mapper() in system/hermes_family.hpp; docs/parameters.md "Mappers").
  double target_gap = 0.0;
  ilp_formulation formulation = ilp_formulation::automatic;
  // automatic picks per_dimm while groups x devices stays at most this many binaries.
  std::size_t per_dimm_max_binaries = 2000;
  bool relax_integrality = false;       // solve only the LP relaxation (Clp): for checking bounds
  int cbc_log_level = 0;                // 0 = silent; 1 shows CBC's progress on stdout

  void validate() const {
    require_positive("ilp_options.group_size", group_size);
    require_positive("ilp_options.time_limit_seconds", time_limit_seconds);
    require_non_negative("ilp_options.relative_gap", relative_gap);
    require_non_negative("ilp_options.max_nodes", max_nodes);
    if (!(target_gap >= 0.0 && target_gap < 1.0))
      throw invalid_parameter("ilp_options.target_gap", to_text(target_gap),
                              "a relative gap to the LP bound in [0, 1) (0 = always run CBC)");
  }
};


}  // namespace hermes
