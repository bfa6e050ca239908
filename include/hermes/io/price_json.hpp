#pragma once
// The price table (sim/cost.hpp) as a JSON file a user edits: data/prices.json holds the
// defaults with their dates and sources; `hermes-sim --prices FILE` reads one. The file overlays
// the compiled-in defaults (price_presets::defaults()): every key it has replaces the default,
// GPUs are added or replaced by name. Unknown keys, a price without "usd", a negative price, a
// utilisation outside (0, 1] are errors naming the file and the JSON pointer (config_error).
//
//   {"currency": "USD",
//    "gpus": {"RTX4090": {"usd": 1599, "date": "2022-10", "source": "..."}, ...},
//    "dimm": {...}, "ndp_dimm_premium": {...}, "host": {...}, "multi_gpu_host": {...},
//    "power": {"usd_per_kwh": 0.128, "date": "2024", "source": "..."},
//    "lifetime_years": 3, "utilisation": 0.5}
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "hermes/core/error.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/io/config_json.hpp"
#include "hermes/io/json.hpp"
#include "hermes/sim/cost.hpp"

namespace hermes {

namespace price_json_detail {

using config_json_detail::reader;

// One price object; `amount_key` is "usd" ("usd_per_kwh" for the power price). The amount is
// required, date and source optional (they document, they do not compute).
inline void read_item(reader& parent, std::string_view key, price_item& out, std::string_view amount_key = "usd") {
  parent.object(key, [&](reader& o) {
    if (!o.has(amount_key))
      o.fail(o.path(), "has no \"" + std::string(amount_key) + "\": every price needs its amount in USD");
    o.number(amount_key, out.usd, number_range::non_negative);
    o.text("date", out.date, false);
    o.text("source", out.source, false);
  });
}

inline void apply(price_table& t, const nlohmann::ordered_json& j, const std::string& source) {
  reader r(j, "", source);
  std::string currency = "USD";
  r.text("currency", currency);
  if (currency != "USD") r.reject("currency", "\"USD\" (the only currency the prices are in)");
  if (const auto* gpus = r.raw("gpus")) {
    if (!gpus->is_object()) r.reject("gpus", "an object of GPU name -> price");
    reader g(*gpus, r.at("gpus"), source);
    for (const auto& [name, value] : gpus->items()) {
      if (name.empty()) g.fail(g.at(name), "a GPU name must not be empty");
      price_item item;
      read_item(g, name, item);
      bool replaced = false;
      for (auto& [n, p] : t.gpus)
        if (lower_case(n) == lower_case(name)) {
          p = item;
          replaced = true;
        }
      if (!replaced) t.gpus.emplace_back(name, item);
    }
    g.finish();
  }
  read_item(r, "dimm", t.dimm);
  read_item(r, "ndp_dimm_premium", t.ndp_dimm_premium);
  read_item(r, "host", t.host);
  read_item(r, "multi_gpu_host", t.multi_gpu_host);
  read_item(r, "power", t.power, "usd_per_kwh");
  r.number("lifetime_years", t.lifetime_years, number_range::positive);
  r.number("utilisation", t.utilisation, number_range::fraction);
  r.finish();
  try {
    t.validate();
  } catch (const invalid_parameter& e) {
    // "prices.lifetime_years" -> "/lifetime_years"
    std::string pointer = e.field();
    if (pointer.rfind("prices.", 0) == 0) pointer = pointer.substr(7);
    for (auto& c : pointer)
      if (c == '.') c = '/';
    throw config_error(source, "/" + pointer, e.what());
  }
}

}  // namespace price_json_detail

// Reads a price file over `base` (the defaults unless given). Throws config_error naming the
// file and the JSON pointer of the offending value.
[[nodiscard]] inline price_table read_price_file(const std::string& path,
                                                 price_table base = price_presets::defaults()) {
  price_json_detail::apply(base, read_config_json_file(path, "a JSON price file"), path);
  return base;
}

// The table as the file format (what data/prices.json holds).
[[nodiscard]] inline nlohmann::ordered_json to_json(const price_table& t) {
  const auto item = [](const price_item& p, const char* amount = "usd") {
    nlohmann::ordered_json j;
    j[amount] = p.usd;
    j["date"] = p.date;
    j["source"] = p.source;
    return j;
  };
  nlohmann::ordered_json j;
  j["currency"] = "USD";
  nlohmann::ordered_json g = nlohmann::ordered_json::object();
  for (const auto& [name, p] : t.gpus) g[name] = item(p);
  j["gpus"] = g;
  j["dimm"] = item(t.dimm);
  j["ndp_dimm_premium"] = item(t.ndp_dimm_premium);
  j["host"] = item(t.host);
  j["multi_gpu_host"] = item(t.multi_gpu_host);
  j["power"] = item(t.power, "usd_per_kwh");
  j["lifetime_years"] = t.lifetime_years;
  j["utilisation"] = t.utilisation;
  return j;
}

}  // namespace hermes
