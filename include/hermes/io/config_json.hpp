#pragma once
// JSON <-> simulation configuration: what `hermes-sim --config FILE` reads and
// `hermes-sim --print-config` writes.
//
// The file describes one run:
//   { "system": "Hermes",
//     "hardware": { "gpu": "RTX4090" | {...}, "gpus": 1, "dimms": 8, "dimm": {...},
//                   "pcie": "PCIe4-x16" | {...}, "dimm_link": ..., "gpu_link": ...,
//                   "host": "i9-13900K" | {...}, "gpu_reserved_B": 1.5e9,
//                   "npu": "IANUS-NPU" | {...}, "pim": {..., "dram": {...}}, "npu_dram": {...},
//                   "bandwidth_node": "HBM3-node" | {...}, "capacity_node": ...,
//                   "homogeneous_node": ..., "node_link": "NVLink-C2C" | {...} },
//     "workload": { "model": "LLaMA2-70B" | {...}, "batch": 1, "input_len": 128,
//                   "output_len": 128, "seed": 1, "model_seed": 1, "profile_tokens": 128,
//                   "activations": {...}, "trace": "" } }
//
// Units: every physical quantity is a plain number in its SI base unit, and its key ends in
// that unit: _B (bytes), _Bps (bytes per second), _s (seconds), _Hz, _FLOPS (FLOP per second),
// _J (joules). So "memory_bandwidth_Bps": 1.008e12, "latency_s": 5e-06. Base units, not GB or
// us, because then a value printed by --print-config reads back bit-identical (a decimal
// prefix would divide and multiply by 1e9, which does not round-trip every double), and one
// rule covers every key. Counts (including DRAM timings in clock cycles, named as in the
// datasheet: tRC, tCCD_L, ...) and dimensionless fractions have no suffix. One exception: the
// PIM's "read_energy_pj_per_bit" keeps its field's name and unit (picojoules per bit, as the
// datasheet states it), because scaling it to joules and back would not read back bit-identical.
//
// Every key is optional: a file overlays the configuration it is applied to (the built-in
// presets, in hermes-sim). A device or model given as a string is that preset; an object may
// name a "preset" to start from and override some of its fields.
//
// Errors name the file and the JSON pointer (RFC 6901) of the offending value:
//   config.json: /hardware/dimm/gemv/multipliers: -3 (a number) is invalid: expected an integer >= 1
// Unknown keys are rejected with the list of the keys allowed there, and a key given twice in one
// object is rejected too, so a typo is never silently ignored; after reading, the configurations' own validate() runs and its errors are reported
// at the path of the value they name.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/units.hpp"
#include "hermes/device/dram.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/host_cpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/device/memory_node.hpp"
#include "hermes/device/ndp_dimm.hpp"
#include "hermes/device/npu.hpp"
#include "hermes/device/pim.hpp"
#include "hermes/io/json.hpp"
#include "hermes/model/presets.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/cost.hpp"

namespace hermes {

// One run as a configuration file describes it: the hardware, the workload, the system to run
// and (optionally) a recorded activation trace to replay instead of the synthetic generator.
struct sim_config {
  hardware_config hardware{};
  workload_config workload{};
  std::string system = "Hermes";
  std::string trace;  // path of a recorded trace file (activation/trace_file.hpp); empty = synthetic
  // The price table costs are computed with (sim/cost.hpp; hermes-sim --prices, io/price_json.hpp).
  // Not part of a configuration file: prices have their own file.
  price_table prices = price_presets::defaults();
};

// A configuration value that is not allowed, at a JSON pointer of a named source (a file name).
class config_error : public error {
 public:
  config_error(std::string source, std::string pointer, const std::string& message)
      : error(source + ": " + (pointer.empty() ? std::string("(top level)") : pointer) + ": " + message),
        source_(std::move(source)), pointer_(std::move(pointer)) {}
  // An error of the file as a whole (it cannot be read, it is not JSON): no JSON pointer.
  config_error(std::string source, const std::string& message)
      : error(source + ": " + message), source_(std::move(source)) {}
  [[nodiscard]] const std::string& source() const { return source_; }
  [[nodiscard]] const std::string& pointer() const { return pointer_; }

 private:
  std::string source_;
  std::string pointer_;
};

// The allowed range of a plain number; each mirrors a check of the configs' validate() (or of
// the synthetic generator's), so that the error is reported at the value's own path.
enum class number_range {
  any,             // any finite number
  positive,        // > 0
  non_negative,    // >= 0
  fraction,        // (0, 1]: an achievable fraction of a peak rate
  open_unit,       // (0, 1): a probability that must be neither 0 nor 1
  closed_unit,     // [0, 1]
  half_open_unit,  // [0, 1)
};

// JSON nesting deeper than this is refused while parsing (parse_config_text), before a value is
// built: a configuration needs 4 levels, and a deeply nested file must neither overflow the
// stack nor take long when a value of it is shown in a message.
inline constexpr std::size_t max_config_depth = 64;

namespace config_json_detail {

inline std::string pointer_token(std::string_view key) {
  std::string out;  // RFC 6901: '~' -> "~0", '/' -> "~1"
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

inline const char* type_name(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return "null";
    case nlohmann::ordered_json::value_t::object: return "an object";
    case nlohmann::ordered_json::value_t::array: return "an array";
    case nlohmann::ordered_json::value_t::string: return "a string";
    case nlohmann::ordered_json::value_t::boolean: return "a boolean";
    case nlohmann::ordered_json::value_t::binary: return "binary data";
    case nlohmann::ordered_json::value_t::discarded: return "nothing";
    default: return "a number";
  }
}

// Appends the JSON text of `j` to `out` until `out` holds more than `limit` characters: a
// preview of a value of any size or depth costs O(limit), never a whole dump (and never more
// than max_config_depth levels of recursion).
inline void dump_bounded(const nlohmann::ordered_json& j, std::string& out, std::size_t limit, std::size_t depth = 0) {
  using json = nlohmann::ordered_json;
  if (out.size() > limit) return;
  if (depth >= max_config_depth) {
    out += "...";
    return;
  }
  const auto scalar = [&](const json& v) { out += v.dump(-1, ' ', false, json::error_handler_t::replace); };
  if (j.is_object() || j.is_array()) {
    out += j.is_object() ? '{' : '[';
    bool first = true;
    for (const auto& [key, v] : j.items()) {
      if (out.size() > limit) return;
      if (!first) out += ',';
      first = false;
      if (j.is_object()) {
        scalar(json(key.size() > limit ? key.substr(0, limit + 1) : key));
        out += ':';
      }
      dump_bounded(v, out, limit, depth + 1);
    }
    out += j.is_object() ? '}' : ']';
  } else if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    scalar(json(s.size() > limit ? s.substr(0, limit + 1) : s));
  } else {
    scalar(j);
  }
}

// A value for an error message: at most 60 characters of its JSON text ("..." when cut), and
// its type.
inline std::string shown(const nlohmann::ordered_json& j) {
  std::string text;
  dump_bounded(j, text, 60);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text + " (" + type_name(j) + ")";
}

inline const char* range_text(number_range r) {
  switch (r) {
    case number_range::any: return "a finite number";
    case number_range::positive: return "a number > 0";
    case number_range::non_negative: return "a number >= 0";
    case number_range::fraction: return "a number in (0, 1]";
    case number_range::open_unit: return "a number in (0, 1)";
    case number_range::closed_unit: return "a number in [0, 1]";
    case number_range::half_open_unit: return "a number in [0, 1)";
  }
  return "a number";
}

inline bool in_range(double v, number_range r) {
  if (!std::isfinite(v)) return false;
  switch (r) {
    case number_range::any: return true;
    case number_range::positive: return v > 0.0;
    case number_range::non_negative: return v >= 0.0;
    case number_range::fraction: return v > 0.0 && v <= 1.0;
    case number_range::open_unit: return v > 0.0 && v < 1.0;
    case number_range::closed_unit: return v >= 0.0 && v <= 1.0;
    case number_range::half_open_unit: return v >= 0.0 && v < 1.0;
  }
  return false;
}

// Every unit suffix a quantity key can carry (see unit_suffix).
inline constexpr std::string_view unit_suffixes[] = {"_B", "_Bps", "_s", "_Hz", "_FLOPS", "_J", "_W"};

// The key suffix of a quantity type: its SI base unit.
template <class Q>
constexpr std::string_view unit_suffix() {
  if constexpr (std::is_same_v<Q, bytes>) return "_B";
  else if constexpr (std::is_same_v<Q, bandwidth>) return "_Bps";
  else if constexpr (std::is_same_v<Q, seconds>) return "_s";
  else if constexpr (std::is_same_v<Q, frequency>) return "_Hz";
  else if constexpr (std::is_same_v<Q, flop_rate>) return "_FLOPS";
  else if constexpr (std::is_same_v<Q, joules>) return "_J";
  else if constexpr (std::is_same_v<Q, watts>) return "_W";
  else static_assert(sizeof(Q) == 0, "config_json: add a key suffix for this quantity type");
}

template <class Q>
std::string quantity_key(std::string_view name) {
  return std::string(name) + std::string(unit_suffix<Q>());
}

// One name <-> one enumerator, for enum-valued keys.
template <class E>
struct enum_name {
  E value;
  std::string_view name;
};

template <class E, std::size_t N>
std::string names_of(const enum_name<E> (&table)[N]) {
  std::string s;
  for (const auto& e : table) s += (s.empty() ? "" : ", ") + std::string("\"") + std::string(e.name) + "\"";
  return s;
}

inline constexpr enum_name<ffn_kind> ffn_kind_names[] = {
    {ffn_kind::relu, "relu"}, {ffn_kind::swiglu, "swiglu"}, {ffn_kind::relu_glu, "relu_glu"}, {ffn_kind::gelu, "gelu"}};
inline constexpr enum_name<row_buffer_policy> row_policy_names[] = {
    {row_buffer_policy::open, "open"}, {row_buffer_policy::closed, "closed"}};
inline constexpr enum_name<rank_data_bus> rank_bus_names[] = {
    {rank_data_bus::shared, "shared"}, {rank_data_bus::per_rank, "per_rank"}};

// ------------------------------------------------------------------------------------------
// The reader: one per JSON object; it knows its path, applies the keys it is asked for and, at
// finish(), rejects every key nobody asked for.
class reader {
 public:
  reader(const nlohmann::ordered_json& j, std::string path, const std::string& source)
      : j_(&j), path_(std::move(path)), source_(&source) {
    if (!j.is_object()) fail(path_, shown(j) + " is invalid: expected an object");
  }

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& source() const { return *source_; }
  [[nodiscard]] std::string at(std::string_view key) const { return path_ + "/" + pointer_token(key); }
  [[nodiscard]] bool has(std::string_view key) const { return j_->contains(std::string(key)); }

  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const {
    throw config_error(*source_, pointer, message);
  }
  [[noreturn]] void reject(std::string_view key, const std::string& expected) const {
    fail(at(key), shown(value(key)) + " is invalid: expected " + expected);
  }

  void text(std::string_view key, std::string& out, bool non_empty = true) {
    if (!take(key)) return;
    const auto& v = value(key);
    if (!v.is_string() || (non_empty && v.get_ref<const std::string&>().empty()))
      reject(key, non_empty ? "a non-empty string" : "a string");
    out = v.get<std::string>();
  }

  void flag(std::string_view key, bool& out) {
    if (!take(key)) return;
    if (!value(key).is_boolean()) reject(key, "true or false");
    out = value(key).get<bool>();
  }

  void number(std::string_view key, double& out, number_range r = number_range::any) {
    if (!take(key)) return;
    const auto& v = value(key);
    if (!v.is_number() || !in_range(v.get<double>(), r)) reject(key, range_text(r));
    out = v.get<double>();
  }

  template <class Q>
  void quantity(std::string_view name, Q& out, number_range r = number_range::any) {
    double v = out.value();
    number(quantity_key<Q>(name), v, r);
    out = Q(v);
  }

  // An unsigned integer in [min, max]; a number with a fraction or a sign is rejected.
  template <class Unsigned>
  void count(std::string_view key, Unsigned& out, Unsigned min = 0,
             Unsigned max = std::numeric_limits<Unsigned>::max()) {
    if (!take(key)) return;
    const auto& v = value(key);
    const std::string expected =
        max == std::numeric_limits<Unsigned>::max()
            ? "an integer >= " + std::to_string(min)
            : "an integer in " + std::to_string(min) + ".." + std::to_string(max);
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u < min || u > max) reject(key, expected);
      out = static_cast<Unsigned>(u);
      return;
    }
    if (v.is_number_float()) {  // 8.0 is an integer; 8.5 or 1e30 is not
      const double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && d >= static_cast<double>(min) &&
          d <= static_cast<double>(max) && d < 18446744073709551616.0) {
        out = static_cast<Unsigned>(d);
        return;
      }
    }
    reject(key, expected);
  }

  template <class E, std::size_t N>
  void choice(std::string_view key, E& out, const enum_name<E> (&table)[N]) {
    if (!take(key)) return;
    const auto& v = value(key);
    if (v.is_string())
      for (const auto& e : table)
        if (e.name == v.get_ref<const std::string&>()) {
          out = e.value;
          return;
        }
    reject(key, "one of " + names_of(table));
  }

  // A nested object; `fill(reader&)` reads its keys.
  template <class Fill>
  void object(std::string_view key, Fill&& fill) {
    if (!take(key)) return;
    reader sub(value(key), at(key), *source_);
    fill(sub);
    sub.finish();
  }

  // The raw value of a key the caller handles itself (a preset name or an object).
  const nlohmann::ordered_json* raw(std::string_view key) {
    if (!take(key)) return nullptr;
    return &value(key);
  }

  // Rejects the keys no field asked for.
  void finish() const {
    for (const auto& [key, v] : j_->items()) {
      bool known = false;
      for (const auto& k : allowed_) known = known || k == key;
      if (!known) {
        std::string list;
        for (const auto& k : allowed_) list += (list.empty() ? "" : ", ") + k;
        fail(at(preview(key)), "unknown key \"" + preview(key) + "\"; allowed here: " + list);
      }
    }
  }

 private:
  bool take(std::string_view key) {
    allowed_.emplace_back(key);
    return has(key);
  }
  [[nodiscard]] const nlohmann::ordered_json& value(std::string_view key) const { return (*j_)[std::string(key)]; }

  const nlohmann::ordered_json* j_;
  std::string path_;
  const std::string* source_;
  std::vector<std::string> allowed_;
};

// ------------------------------------------------------------------------------------------
// The writer: the same calls as the reader, filling a JSON object in declaration order.
class writer {
 public:
  nlohmann::ordered_json j = nlohmann::ordered_json::object();

  void text(std::string_view key, const std::string& v, bool = true) { j[std::string(key)] = v; }
  void flag(std::string_view key, bool v) { j[std::string(key)] = v; }
  void number(std::string_view key, double v, number_range = number_range::any) { j[std::string(key)] = v; }
  template <class Q>
  void quantity(std::string_view name, const Q& v, number_range = number_range::any) {
    j[quantity_key<Q>(name)] = v.value();
  }
  template <class Unsigned>
  void count(std::string_view key, Unsigned v, Unsigned = 0, Unsigned = std::numeric_limits<Unsigned>::max()) {
    j[std::string(key)] = static_cast<std::uint64_t>(v);
  }
  template <class E, std::size_t N>
  void choice(std::string_view key, E v, const enum_name<E> (&table)[N]) {
    for (const auto& e : table)
      if (e.value == v) j[std::string(key)] = std::string(e.name);
  }
  template <class Fill>
  void object(std::string_view key, Fill&& fill) {
    writer sub;
    fill(sub);
    j[std::string(key)] = std::move(sub.j);
  }
};

// ------------------------------------------------------------------------------------------
// The fields of each configuration, once, for both directions. `C` is the config or a const
// config (writer); every key name and range lives only here.
// A board's or package's power (device/energy.hpp): "power": {"idle_W", "busy_W"}.
template <class V, class P>
void power_fields(V& v, P& p) {
  v.object("power", [&](auto& o) {
    o.quantity("idle", p.idle, number_range::non_negative);
    o.quantity("busy", p.busy, number_range::non_negative);
  });
}

template <class V, class C>
void gpu_fields(V& v, C& c) {
  v.text("name", c.name);
  v.quantity("memory_capacity", c.memory_capacity, number_range::positive);
  v.quantity("memory_bandwidth", c.memory_bandwidth, number_range::positive);
  v.quantity("peak_fp16_tensor", c.peak_fp16_tensor, number_range::positive);
  v.quantity("peak_fp32", c.peak_fp32, number_range::positive);
  v.quantity("kernel_launch_overhead", c.kernel_launch_overhead, number_range::non_negative);
  v.number("dense_bandwidth_efficiency", c.dense_bandwidth_efficiency, number_range::fraction);
  v.number("gathered_bandwidth_efficiency", c.gathered_bandwidth_efficiency, number_range::fraction);
  v.number("compute_efficiency", c.compute_efficiency, number_range::fraction);
  v.quantity("dram_sector", c.dram_sector, number_range::positive);
  v.quantity("index_entry", c.index_entry, number_range::non_negative);
  power_fields(v, c.power);
}

template <class V, class C>
void link_fields(V& v, C& c) {
  v.text("name", c.name);
  v.quantity("bandwidth", c.bandwidth, number_range::positive);
  v.quantity("latency", c.latency, number_range::non_negative);
  v.quantity("energy_per_bit", c.energy_per_bit, number_range::non_negative);
  v.flag("full_duplex", c.full_duplex);
  v.number("pinned_fraction", c.pinned_fraction, number_range::fraction);
  v.number("pageable_fraction", c.pageable_fraction, number_range::fraction);
}

template <class V, class C>
void host_fields(V& v, C& c) {
  v.text("name", c.name);
  v.quantity("memory_capacity", c.memory_capacity, number_range::positive);
  v.quantity("memory_bandwidth", c.memory_bandwidth, number_range::positive);
  v.count("cores", c.cores, std::size_t{1});
  v.quantity("core_clock", c.core_clock, number_range::positive);
  v.number("fp32_flops_per_cycle", c.fp32_flops_per_cycle, number_range::positive);
  v.number("bandwidth_efficiency", c.bandwidth_efficiency, number_range::fraction);
  v.number("compute_efficiency", c.compute_efficiency, number_range::fraction);
  v.quantity("cache_line", c.cache_line, number_range::positive);
  v.quantity("index_entry", c.index_entry, number_range::non_negative);
  power_fields(v, c.power);
}

inline constexpr enum_name<dram_field> dram_field_names[] = {
    {dram_field::column, "column"}, {dram_field::bank_group, "bank_group"}, {dram_field::bank, "bank"},
    {dram_field::rank, "rank"},     {dram_field::row, "row"},               {dram_field::channel, "channel"}};

// address_mapping: an array of field names, lowest address digit first.
inline void mapping_field(reader& r, std::vector<dram_field>& out) {
  const auto* v = r.raw("address_mapping");
  if (!v) return;
  const std::string expected = "an array naming each of " + names_of(dram_field_names) + " once";
  if (!v->is_array()) r.reject("address_mapping", expected);
  std::vector<dram_field> fields;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& e = (*v)[i];
    bool found = false;
    for (const auto& f : dram_field_names)
      if (e.is_string() && f.name == e.get_ref<const std::string&>()) {
        fields.push_back(f.value);
        found = true;
      }
    if (!found)
      r.fail(r.at("address_mapping") + "/" + std::to_string(i), shown(e) + " is invalid: expected one of " +
                                                                    names_of(dram_field_names));
  }
  out = std::move(fields);
}
inline void mapping_field(writer& w, const std::vector<dram_field>& in) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto f : in) a.push_back(std::string(to_string(f)));
  w.j["address_mapping"] = std::move(a);
}

template <class V, class C>
void dram_fields(V& v, C& c) {
  using std::size_t;
  using u32 = std::uint32_t;
  v.text("name", c.name);
  v.object("organization", [&](auto& o) {
    auto& g = c.organization;
    o.count("channels", g.channels, size_t{1});
    o.count("dimms_per_channel", g.dimms_per_channel, size_t{1});
    o.count("ranks", g.ranks, size_t{1});
    o.count("bank_groups", g.bank_groups, size_t{1});
    o.count("banks_per_group", g.banks_per_group, size_t{1});
    o.count("rows", g.rows, size_t{1});
    o.count("row_bytes", g.row_bytes, size_t{1});
    o.count("bus_bytes", g.bus_bytes, size_t{1});
    o.count("burst_length", g.burst_length, size_t{1});
  });
  v.object("timing", [&](auto& o) {
    auto& t = c.timing;
    o.quantity("tCK", t.tCK, number_range::positive);
    o.count("tRC", t.tRC, u32{1});
    o.count("tRCD", t.tRCD, u32{1});
    o.count("tCL", t.tCL, u32{1});
    o.count("tRP", t.tRP, u32{1});
    o.count("tRAS", t.tRAS, u32{1});
    o.count("tRTP", t.tRTP, u32{1});
    o.count("tBL", t.tBL, u32{1});
    o.count("tCCD_S", t.tCCD_S, u32{1});
    o.count("tCCD_L", t.tCCD_L, u32{1});
    o.count("tRRD_S", t.tRRD_S, u32{1});
    o.count("tRRD_L", t.tRRD_L, u32{1});
    o.count("tFAW", t.tFAW, u32{1});
    o.count("tRTRS", t.tRTRS);
    o.flag("refresh", t.refresh);
    o.count("tRFC", t.tRFC);
    o.count("tREFI", t.tREFI);
  });
  mapping_field(v, c.address_mapping);
  v.choice("row_policy", c.row_policy, row_policy_names);
  v.choice("rank_bus", c.rank_bus, rank_bus_names);
  v.count("read_queue_depth", c.read_queue_depth, size_t{1});
}

template <class V, class C>
void dimm_fields(V& v, C& c) {
  using std::size_t;
  v.text("name", c.name);
  v.quantity("capacity", c.capacity, number_range::positive);
  v.quantity("clock", c.clock, number_range::positive);
  v.quantity("buffer", c.buffer, number_range::positive);
  v.count("pipeline_fill_cycles", c.pipeline_fill_cycles);
  v.count("exact_simulation_max_chunks", c.exact_simulation_max_chunks);
  v.count("fast_path_min_chunk_bytes", c.fast_path_min_chunk_bytes);
  v.object("gemv", [&](auto& o) {
    o.count("multipliers", c.gemv.multipliers, size_t{1});
    o.count("values_per_multiplier", c.gemv.values_per_multiplier, size_t{1});
    o.count("cycles_per_multiply", c.gemv.cycles_per_multiply, size_t{1});
  });
  v.object("activation", [&](auto& o) {
    o.count("exp_units", c.activation.exp_units, size_t{1});
    o.count("add_units", c.activation.add_units, size_t{1});
    o.count("mul_units", c.activation.mul_units, size_t{1});
  });
  v.object("dram", [&](auto& o) { dram_fields(o, c.dram); });
  v.object("core_energy", [&](auto& o) {
    o.quantity("per_mac", c.core_energy.per_mac, number_range::non_negative);
    o.quantity("per_vector_op", c.core_energy.per_vector_op, number_range::non_negative);
    o.quantity("static_power", c.core_energy.static_power, number_range::non_negative);
  });
  // The DRAM chips' datasheet currents (A) and supply (V): device/dram_energy.hpp.
  v.object("dram_power", [&](auto& o) {
    o.text("name", c.dram_power.name);
    o.number("vdd_V", c.dram_power.vdd, number_range::positive);
    o.number("idd0_A", c.dram_power.idd0, number_range::positive);
    o.number("idd2n_A", c.dram_power.idd2n, number_range::positive);
    o.number("idd3n_A", c.dram_power.idd3n, number_range::positive);
    o.number("idd4r_A", c.dram_power.idd4r, number_range::positive);
    o.number("idd4w_A", c.dram_power.idd4w, number_range::positive);
    o.number("idd5b_A", c.dram_power.idd5b, number_range::positive);
    o.count("chips_per_rank", c.dram_power.chips_per_rank, size_t{1}, size_t{64});
  });
}

// The NPU of the kernel-level systems (device/npu.hpp); the ranges mirror npu_config::validate().
template <class V, class C>
void npu_fields(V& v, C& c) {
  using std::size_t;
  v.text("name", c.name);
  v.count("cores", c.cores, size_t{1}, npu_limits::cores);
  v.number("clock_Hz", c.clock_hz, number_range::positive);
  v.count("mu_rows", c.mu_rows, size_t{1}, npu_limits::array_dim);
  v.count("mu_cols", c.mu_cols, size_t{1}, npu_limits::array_dim);
  v.count("macs_per_pe", c.macs_per_pe, size_t{1}, npu_limits::array_dim);
  v.count("vu_processors", c.vu_processors, size_t{1}, npu_limits::array_dim);
  v.count("vu_width", c.vu_width, size_t{1}, npu_limits::array_dim);
  v.quantity("activation_spm", c.activation_spm, number_range::positive);
  v.quantity("weight_spm", c.weight_spm, number_range::positive);
  v.count("pim_controllers", c.pim_controllers, size_t{1}, npu_limits::pim_controllers);
}

// The PIM memory of the kernel-level systems (device/pim.hpp): its DRAM as "dram" (the same keys
// as the NDP-DIMM's "dimm/dram") and the processing units' fields.
template <class V, class C>
void pim_fields(V& v, C& c) {
  using std::size_t;
  v.text("name", c.name);
  v.object("dram", [&](auto& o) { dram_fields(o, c.dram); });
  v.number("pu_clock_Hz", c.pu_clock_hz, number_range::positive);
  v.count("pu_macs_per_cycle", c.pu_macs_per_cycle, size_t{1}, pim_limits::macs_per_cycle);
  v.quantity("global_buffer", c.global_buffer, number_range::positive);
  v.count("tile_columns", c.tile_columns, size_t{1});
  v.number("pim_energy_vs_read", c.pim_energy_vs_read, number_range::positive);
  v.number("read_energy_pj_per_bit", c.read_energy_pj_per_bit, number_range::positive);
}

// A memory node of the H2M2-style systems (device/memory_node.hpp).
template <class V, class C>
void memory_node_fields(V& v, C& c) {
  v.text("name", c.name);
  v.quantity("capacity", c.capacity, number_range::positive);
  v.quantity("memory_bandwidth", c.memory_bandwidth, number_range::positive);
  v.number("bandwidth_efficiency", c.bandwidth_efficiency, number_range::fraction);
  v.quantity("peak", c.peak, number_range::positive);
  v.number("compute_efficiency", c.compute_efficiency, number_range::fraction);
  v.quantity("kernel_overhead", c.kernel_overhead, number_range::non_negative);
}

template <class V, class C>
void model_fields(V& v, C& c) {
  using std::size_t;
  v.text("name", c.name);
  v.count("layers", c.layers, size_t{1});
  v.count("hidden", c.hidden, size_t{1});
  v.count("ffn", c.ffn, size_t{1});
  v.count("heads", c.heads, size_t{1});
  v.count("kv_heads", c.kv_heads, size_t{1});
  v.count("vocab", c.vocab, size_t{1});
  v.count("max_context", c.max_context);  // 0 = unlimited
  v.choice("ffn_type", c.ffn_type, ffn_kind_names);
  v.flag("relu_before_qkv", c.relu_before_qkv);
  v.number("bytes_per_param", c.bytes_per_param, number_range::positive);
  v.flag("tied_embeddings", c.tied_embeddings);
}

// The ranges mirror synthetic_source's checks (activation/synthetic_source.hpp, validate()).
// No "seed": the engine seeds the generator from workload.model_seed and workload.seed
// (sim/activations.hpp).
template <class V, class C>
void activation_fields(V& v, C& c) {
  using std::size_t;
  const auto kind = [&](std::string_view key, auto& k) {
    v.object(key, [&](auto& o) {
      o.number("sparsity", k.sparsity, number_range::open_unit);
      o.number("long_range_similarity", k.long_range_similarity, number_range::open_unit);
    });
  };
  kind("ffn", c.ffn);
  kind("attention", c.attention);
  v.number("hot_fraction", c.hot_fraction, number_range::open_unit);
  v.number("hot_share", c.hot_share, number_range::open_unit);
  v.number("adjacent_similarity", c.adjacent_similarity, number_range::open_unit);
  v.number("next_layer_cofiring", c.next_layer_cofiring, number_range::fraction);
  v.number("hot_turnover", c.hot_turnover, number_range::half_open_unit);
  v.count("turnover_horizon", c.turnover_horizon, size_t{1});
  v.number("layer_coupling", c.layer_coupling, number_range::closed_unit);
  v.count("cluster_size", c.cluster_size, size_t{2});
}

// A device or model that may be given as a preset name (string) or as an object, optionally
// starting from {"preset": NAME}.
template <class T, class Find, class Fields>
void preset_or_object(reader& r, std::string_view key, T& out, Find&& find, Fields&& fields) {
  const auto* v = r.raw(key);
  if (!v) return;
  const std::string path = r.at(key);
  const auto from_preset = [&](const nlohmann::ordered_json& name, const std::string& where) {
    if (!name.is_string()) r.fail(where, shown(name) + " is invalid: expected a preset name or an object");
    try {
      return find(name.template get<std::string>());
    } catch (const invalid_parameter& e) {
      // find_*_preset lists the valid names after "expected".
      const std::string what = e.what();
      const auto at = what.find(" is invalid: expected ");
      r.fail(where, shown(name) + " is not a preset: expected " +
                        (at == std::string::npos ? what : what.substr(at + 22)));
    }
  };
  if (v->is_string()) {
    out = from_preset(*v, path);
    return;
  }
  reader sub(*v, path, r.source());
  if (const auto* p = sub.raw("preset")) out = from_preset(*p, sub.at("preset"));
  fields(sub, out);
  sub.finish();
}

}  // namespace config_json_detail

// ------------------------------------------------------------------------------------------
// Writing: the full configuration, every field expanded (presets written out), so the file
// alone reproduces the run.
[[nodiscard]] inline nlohmann::ordered_json to_json(const sim_config& c) {
  using namespace config_json_detail;
  writer top;
  top.text("system", c.system);
  top.object("hardware", [&](writer& h) {
    const hardware_config& hw = c.hardware;
    h.object("gpu", [&](writer& o) { gpu_fields(o, hw.gpu); });
    h.count("gpus", hw.gpus);
    h.count("dimms", hw.dimms);
    h.object("dimm", [&](writer& o) { dimm_fields(o, hw.dimm); });
    h.object("pcie", [&](writer& o) { link_fields(o, hw.pcie); });
    h.object("dimm_link", [&](writer& o) { link_fields(o, hw.dimm_link); });
    h.object("gpu_link", [&](writer& o) { link_fields(o, hw.gpu_link); });
    h.object("host", [&](writer& o) { host_fields(o, hw.host); });
    h.quantity("gpu_reserved", hw.gpu_reserved);
    h.object("npu", [&](writer& o) { npu_fields(o, hw.npu); });
    h.object("pim", [&](writer& o) { pim_fields(o, hw.pim); });
    h.object("npu_dram", [&](writer& o) { dram_fields(o, hw.npu_dram); });
    h.object("bandwidth_node", [&](writer& o) { memory_node_fields(o, hw.bandwidth_node); });
    h.object("capacity_node", [&](writer& o) { memory_node_fields(o, hw.capacity_node); });
    h.object("homogeneous_node", [&](writer& o) { memory_node_fields(o, hw.homogeneous_node); });
    h.object("node_link", [&](writer& o) { link_fields(o, hw.node_link); });
  });
  top.object("workload", [&](writer& w) {
    const workload_config& wl = c.workload;
    w.object("model", [&](writer& o) { model_fields(o, wl.model); });
    w.count("batch", wl.batch);
    w.count("input_len", wl.input_len);
    w.count("output_len", wl.output_len);
    w.count("seed", wl.seed);
    w.count("model_seed", wl.model_seed);
    w.count("profile_tokens", wl.profile_tokens);
    w.object("activations", [&](writer& o) { activation_fields(o, wl.activations); });
    w.text("trace", c.trace);
  });
  return std::move(top.j);
}

// ------------------------------------------------------------------------------------------
// Reading: overlays `j` on `c`. `source` names the input in errors (the file name).
// Throws config_error. Does not run validate(); see validate_config.
inline void apply_json(sim_config& c, const nlohmann::ordered_json& j, const std::string& source) {
  using namespace config_json_detail;
  reader top(j, "", source);
  top.text("system", c.system);
  top.object("hardware", [&](reader& h) {
    hardware_config& hw = c.hardware;
    preset_or_object(h, "gpu", hw.gpu, [](const std::string& n) { return find_gpu_preset(n); },
                     [](reader& o, gpu_config& g) { gpu_fields(o, g); });
    h.count("gpus", hw.gpus, std::size_t{1}, std::size_t{64});
    h.count("dimms", hw.dimms, std::size_t{1}, std::size_t{64});
    h.object("dimm", [&](reader& o) { dimm_fields(o, hw.dimm); });
    const auto link_key = [&](std::string_view key, link_config& l) {
      preset_or_object(h, key, l, [](const std::string& n) { return find_link_preset(n); },
                       [](reader& o, link_config& x) { link_fields(o, x); });
    };
    link_key("pcie", hw.pcie);
    link_key("dimm_link", hw.dimm_link);
    link_key("gpu_link", hw.gpu_link);
    preset_or_object(h, "host", hw.host, [](const std::string& n) { return find_host_cpu_preset(n); },
                     [](reader& o, host_cpu_config& x) { host_fields(o, x); });
    h.quantity("gpu_reserved", hw.gpu_reserved, number_range::non_negative);
    preset_or_object(h, "npu", hw.npu, [](const std::string& n) { return find_npu_preset(n); },
                     [](reader& o, npu_config& x) { npu_fields(o, x); });
    h.object("pim", [&](reader& o) { pim_fields(o, hw.pim); });
    h.object("npu_dram", [&](reader& o) { dram_fields(o, hw.npu_dram); });
    const auto node_key = [&](std::string_view key, memory_node_config& n) {
      preset_or_object(h, key, n, [](const std::string& name) { return find_memory_node_preset(name); },
                       [](reader& o, memory_node_config& x) { memory_node_fields(o, x); });
    };
    node_key("bandwidth_node", hw.bandwidth_node);
    node_key("capacity_node", hw.capacity_node);
    node_key("homogeneous_node", hw.homogeneous_node);
    link_key("node_link", hw.node_link);
  });
  top.object("workload", [&](reader& w) {
    workload_config& wl = c.workload;
    preset_or_object(w, "model", wl.model, [](const std::string& n) { return find_model_preset(n); },
                     [](reader& o, model_shape& m) {
                       model_fields(o, m);
                       // Cross-field shape checks the engine relies on (whole heads, whole groups).
                       if (m.hidden % m.heads != 0)
                         o.fail(o.at("heads"), std::to_string(m.heads) + " is invalid: expected a divisor of hidden (" +
                                                   std::to_string(m.hidden) + ")");
                       if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0)
                         o.fail(o.at("kv_heads"), std::to_string(m.kv_heads) +
                                                      " is invalid: expected a divisor of heads (" +
                                                      std::to_string(m.heads) + ")");
                     });
    w.count("batch", wl.batch, std::size_t{1}, std::size_t{256});
    w.count("input_len", wl.input_len, std::size_t{1});
    w.count("output_len", wl.output_len, std::size_t{1});
    w.count("seed", wl.seed);
    w.count("model_seed", wl.model_seed);
    w.count("profile_tokens", wl.profile_tokens, std::size_t{1});
    w.object("activations", [&](reader& o) { activation_fields(o, wl.activations); });
    w.text("trace", c.trace, false);
  });
  top.finish();
}

// Runs the configurations' validate(), reporting each error at the JSON pointer of the value it
// names (as far as that value has a key: a cross-field check is reported at its object).
// Throws config_error.
inline void validate_config(const sim_config& c, const std::string& source) {
  const nlohmann::ordered_json written = to_json(c);
  // Maps "<owner>.a.b" (a validate() field name) below `object` to the key path in `written`:
  // each segment is a key, or a quantity key whose name is the segment plus a unit suffix, or a
  // key that differs from it only in case (the field npu.clock_hz is the key "clock_Hz").
  const auto pointer_of = [&](const std::string& object, const std::string& field) {
    const nlohmann::ordered_json* node = &written.at(nlohmann::ordered_json::json_pointer(object));
    std::string path = object;
    std::size_t start = field.find('.');
    if (start == std::string::npos) return std::make_pair(path, false);
    std::string rest = field.substr(start + 1);
    while (!rest.empty()) {
      const auto dot = rest.find('.');
      const std::string seg = rest.substr(0, dot);
      rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
      const nlohmann::ordered_json* next = nullptr;
      std::string key;
      if (node->is_object())
        for (const auto& [k, v] : node->items()) {
          bool same = k == seg;
          for (const auto unit : config_json_detail::unit_suffixes) same = same || k == seg + std::string(unit);
          same = same || equals_ignoring_case(k, seg);
          if (same) {
            next = &v;
            key = k;
            break;
          }
        }
      if (!next) return std::make_pair(object, false);
      node = next;
      path += "/" + config_json_detail::pointer_token(key);
    }
    return std::make_pair(path, true);
  };
  const auto check = [&](const std::string& object, const auto& validate) {
    try {
      validate();
    } catch (const invalid_parameter& e) {
      const auto [path, exact] = pointer_of(object, e.field());
      std::string what = e.what();
      // At the value's own path the field name is redundant: keep "<value> is invalid: ...".
      const std::string lead = e.field() + " = ";
      if (exact && what.compare(0, lead.size(), lead) == 0) what = what.substr(lead.size());
      throw config_error(source, path, what);
    }
  };
  const hardware_config& h = c.hardware;
  check("/hardware/gpu", [&] { h.gpu.validate(); });
  check("/hardware/dimm/dram", [&] { h.dimm.dram.validate(); });
  check("/hardware/dimm", [&] { h.dimm.validate(); });
  check("/hardware/pcie", [&] { h.pcie.validate(); });
  check("/hardware/dimm_link", [&] { h.dimm_link.validate(); });
  check("/hardware/gpu_link", [&] { h.gpu_link.validate(); });
  check("/hardware/host", [&] { h.host.validate(); });
  check("/hardware/npu", [&] { h.npu.validate(); });
  check("/hardware/pim/dram", [&] { h.pim.dram.validate(); });
  check("/hardware/pim", [&] { h.pim.validate(); });
  check("/hardware/npu_dram", [&] { h.npu_dram.validate(); });
  check("/hardware/bandwidth_node", [&] { h.bandwidth_node.validate(); });
  check("/hardware/capacity_node", [&] { h.capacity_node.validate(); });
  check("/hardware/homogeneous_node", [&] { h.homogeneous_node.validate(); });
  check("/hardware/node_link", [&] { h.node_link.validate(); });
  check("/hardware", [&] { h.validate(); });
  check("/workload", [&] { c.workload.validate(); });
}

// Parses JSON text, rejecting nesting deeper than max_config_depth (at the pointer of the
// container that is one level too deep) and a key that appears twice in one object: nlohmann keeps the last
// value, so the first would otherwise be silently ignored (the same typo class as an unknown
// key). The error names the key's JSON pointer. Throws config_error.
[[nodiscard]] inline nlohmann::ordered_json parse_config_text(const std::string& text, const std::string& source) {
  using json = nlohmann::ordered_json;
  struct frame {
    bool array = false;
    std::vector<std::string> keys;  // an object's keys so far
    std::string key;                // an object's current key
    std::size_t elements = 0;       // an array's elements so far
  };
  std::vector<frame> stack;
  const auto path_to_top = [&] {  // the pointer of the innermost container
    std::string path;
    for (std::size_t k = 0; k + 1 < stack.size(); ++k) {  // appends: "/" + x trips g++ 12's -Wrestrict
      path += '/';
      path += stack[k].array ? std::to_string(stack[k].elements - 1) : config_json_detail::pointer_token(preview(stack[k].key));
    }
    return path;
  };
  const auto element_starts = [&] {
    if (!stack.empty() && stack.back().array) ++stack.back().elements;
  };
  const json::parser_callback_t reject_duplicates = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        element_starts();
        stack.push_back(frame{event == json::parse_event_t::array_start, {}, {}, 0});
        if (stack.size() > max_config_depth)
          throw config_error(source, path_to_top(),
                             "nested deeper than " + std::to_string(max_config_depth) +
                                 " levels of objects and arrays (a configuration needs 4)");
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        stack.pop_back();
        break;
      case json::parse_event_t::value:
        element_starts();
        break;
      case json::parse_event_t::key: {
        frame& f = stack.back();
        const auto& key = parsed.get_ref<const std::string&>();
        if (std::find(f.keys.begin(), f.keys.end(), key) != f.keys.end()) {
          std::string pointer = path_to_top();
          pointer += '/';
          pointer += config_json_detail::pointer_token(preview(key));
          std::string message = "duplicate key \"";
          message += preview(key);
          message += "\": each key may appear once per object";
          throw config_error(source, pointer, message);
        }
        f.keys.push_back(key);
        f.key = key;
        break;
      }
    }
    return true;
  };
  try {
    return json::parse(text, reject_duplicates);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1e400
    throw config_error(source, std::string("not valid JSON: ") + e.what());
  }
}

// Reads and parses a JSON input file (a configuration, a price table, a sweep grid): a regular
// file within input_caps::config_json, no duplicate keys. `expected` names what the file should
// be in the errors ("a JSON file", "a JSON price file"), which name `path`.
[[nodiscard]] inline nlohmann::ordered_json read_config_json_file(const std::string& path, const std::string& expected) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw config_error(path, "is a directory: expected " + expected);
  if (const std::string why = input_file_problem(path, input_caps::config_json); !why.empty())
    throw config_error(path, why + ": expected " + expected);
  std::ifstream is(path);
  if (!is) throw config_error(path, "cannot open the file for reading");
  std::string text;
  try {
    text.assign(std::istreambuf_iterator<char>(is), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {  // libstdc++ throws from the stream buffer on a read error
    throw config_error(path, std::string("cannot read the file: ") + e.what());
  }
  return parse_config_text(text, path);
}

// Reads a configuration file and overlays it on `base` (hermes-sim passes the presets), then
// validates the result. Errors name `path` and the JSON pointer of the offending value.
[[nodiscard]] inline sim_config read_config_file(const std::string& path, sim_config base = {}) {
  apply_json(base, read_config_json_file(path, "a JSON file"), path);
  validate_config(base, path);
  return base;
}

}  // namespace hermes
