#pragma once
// The one way into nlohmann-json for hermes: every io/ header includes it through here, and no
// header outside io/ includes it at all, so the core builds without nlohmann-json installed.
// Link the hermes::json target (find_package(hermes COMPONENTS json)) to use io/.
#if !__has_include(<nlohmann/json.hpp>)
#error "hermes/io/ needs nlohmann-json (nlohmann/json.hpp): link the hermes::json target (find_package(hermes COMPONENTS json))"
#endif
#include <nlohmann/json.hpp>
