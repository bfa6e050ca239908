#pragma once
// A frequency profile (activation/profile.hpp) as JSON:
//   {"layers": L, "attention_neurons": A, "ffn_neurons": F,
//    "attention": [[f, ...] x L], "ffn": [[f, ...] x L]}
// The same numbers as the CSV form, for tools that prefer JSON (hermes-profile --out x.json).
#include <cstddef>
#include <string>
#include <vector>

#include "hermes/activation/profile.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"
#include "hermes/io/json.hpp"

namespace hermes {

[[nodiscard]] inline nlohmann::json to_json(const frequency_profile& p) {
  const trace_layout& layout = p.layout();
  nlohmann::json j;
  j["layers"] = layout.layers;
  j["attention_neurons"] = layout.attention_neurons;
  j["ffn_neurons"] = layout.ffn_neurons;
  for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
    auto& per_layer = j[std::string(to_string(k))] = nlohmann::json::array();
    for (std::size_t l = 0; l < layout.layers; ++l) per_layer.push_back(p.frequencies(l, k));
  }
  return j;
}

// Reads the JSON form; errors name the field ("profile JSON.ffn[0]"), the value and what is
// allowed, and every frequency must be in [0, 1] (frequency_profile::validate). The arrays are
// checked against the declared counts before the profile is allocated, so a header announcing
// 10^12 neurons is an error, not an allocation; values are named by type, never dumped whole.
[[nodiscard]] inline frequency_profile profile_from_json(const nlohmann::json& j) {
  const auto kind = [](const nlohmann::json& v) {
    return v.is_array() || v.is_object() ? std::string("an ") + v.type_name()
           : v.is_null()                 ? std::string("null")
                                         : std::string("a ") + v.type_name();
  };
  const auto get = [&](const char* field) {
    if (!j.is_object() || !j.contains(field) || !j[field].is_number_unsigned())
      throw invalid_parameter(std::string("profile JSON.") + field,
                              !j.is_object() || !j.contains(field) ? std::string("missing")
                              : j[field].is_number()                ? j[field].dump()
                                                                    : kind(j[field]),
                              "a non-negative integer");
    return j[field].get<std::size_t>();
  };
  const trace_layout layout{get("layers"), get("attention_neurons"), get("ffn_neurons")};
  for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
    const std::string name(to_string(k));
    if (!j.contains(name) || !j[name].is_array() || j[name].size() != layout.layers)
      throw invalid_parameter("profile JSON." + name,
                              !j.contains(name) ? "missing"
                              : j[name].is_array() ? "an array of " + std::to_string(j[name].size())
                                                   : kind(j[name]),
                              "an array of " + std::to_string(layout.layers) + " per-layer arrays");
    for (std::size_t l = 0; l < layout.layers; ++l) {
      const auto& a = j[name][l];
      if (!a.is_array() || a.size() != layout.neurons(k))
        throw invalid_parameter("profile JSON." + name + "[" + std::to_string(l) + "]",
                                a.is_array() ? std::to_string(a.size()) + " values" : kind(a),
                                std::to_string(layout.neurons(k)) + " frequencies");
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!a[i].is_number())
          throw invalid_parameter("profile JSON." + name + "[" + std::to_string(l) + "][" + std::to_string(i) + "]",
                                  kind(a[i]), "a frequency in [0, 1]");
    }
  }
  frequency_profile p(layout);
  for (layer_kind k : {layer_kind::attention, layer_kind::ffn})
    for (std::size_t l = 0; l < layout.layers; ++l) p.frequencies(l, k) = j[std::string(to_string(k))][l].get<std::vector<double>>();
  p.validate();
  return p;
}

}  // namespace hermes
