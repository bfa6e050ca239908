#pragma once
// Everything in hermes: the core (hermes.hpp), the JSON forms (io/, needs hermes::json), the CBC
// placement mapper and the systems built on it (needs hermes::cbc). Link hermes::all, or both
// hermes::json and hermes::cbc (find_package(hermes COMPONENTS json cbc)).
#include "hermes/hermes.hpp"
#include "hermes/io/config_json.hpp"
#include "hermes/io/price_json.hpp"
#include "hermes/io/profile_json.hpp"
#include "hermes/io/result_json.hpp"
#include "hermes/map/ilp_mapper.hpp"
#include "hermes/system/baselines.hpp"
#include "hermes/system/hermes_family.hpp"
#include "hermes/system/kernel_family.hpp"
#include "hermes/system/registry.hpp"
#include "hermes/system/system_entry.hpp"
