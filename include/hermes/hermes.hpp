#pragma once
// Umbrella header: everything in hermes.
#include "hermes/core/concepts.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
