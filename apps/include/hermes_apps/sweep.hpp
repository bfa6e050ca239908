#pragma once
// A grid of simulations (models x systems x batches x DIMMs x GPUs x multipliers), written as
// CSV: what `hermes-sim sweep` runs.
//
// Every point is a full sim_config derived from one base configuration; all points are checked
// before the first run, so a grid with an impossible point (a prompt longer than one model's
// context) fails at once rather than after an hour. Runs are independent; a run that throws
// is kept as a failed row naming the error, so one bad point does not lose the others.
//
// CSV columns: the point's axis values (model, system, gpu, dimms, multipliers, batch,
// input_len, output_len: what was asked, even where a system reports otherwise, e.g. 0 DIMMs
// for a GPU-only baseline), supported, reason, then every other scalar of the result's JSON
// (io/result_json.hpp) with nested objects flattened by "_" (breakdown_gpu_compute, prediction_accuracy,
// placement_gap, ...), in name order. A field a run does not report (no predictor) is empty.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/model/presets.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/io/config_json.hpp"
#include "hermes/io/result_json.hpp"
#include "hermes/sim/result.hpp"

namespace hermes {

// The axes of a sweep; an empty axis keeps the base configuration's value.
struct sweep_grid {
  sim_config base{};
  std::vector<std::string> models;     // model presets
  std::vector<std::string> systems;    // registry names
  std::vector<std::size_t> batches;
  std::vector<std::size_t> dimms;
  std::vector<std::string> gpus;       // GPU presets
  std::vector<std::size_t> multipliers;  // NDP GEMV unit multipliers per DIMM

  // Points in nested order, model outermost, multipliers innermost.
  [[nodiscard]] std::vector<sim_config> points() const {
    std::vector<model_shape> model_axis;
    for (const auto& m : models) model_axis.push_back(find_model_preset(m));
    if (model_axis.empty()) model_axis.push_back(base.workload.model);
    std::vector<gpu_config> gpu_axis;
    for (const auto& g : gpus) gpu_axis.push_back(find_gpu_preset(g));
    if (gpu_axis.empty()) gpu_axis.push_back(base.hardware.gpu);
    const auto or_base = [](const auto& axis, const auto& value) {
      using T = std::decay_t<decltype(value)>;
      return axis.empty() ? std::vector<T>{value} : std::vector<T>(axis.begin(), axis.end());
    };
    const auto system_axis = or_base(systems, base.system);
    const auto batch_axis = or_base(batches, base.workload.batch);
    const auto dimm_axis = or_base(dimms, base.hardware.dimms);
    const auto mult_axis = or_base(multipliers, base.hardware.dimm.gemv.multipliers);

    std::vector<sim_config> out;
    for (const auto& m : model_axis)
      for (const auto& s : system_axis)
        for (const auto b : batch_axis)
          for (const auto d : dimm_axis)
            for (const auto& g : gpu_axis)
              for (const auto x : mult_axis) {
                sim_config c = base;
                c.workload.model = m;
                c.system = s;
                c.workload.batch = b;
                c.hardware.dimms = d;
                c.hardware.gpu = g;
                c.hardware.dimm.gemv.multipliers = x;
                out.push_back(std::move(c));
              }
    return out;
  }
};

// One line of a point, for progress displays and error messages.
[[nodiscard]] inline std::string describe_point(const sim_config& c) {
  return c.workload.model.name + " " + c.system + " batch " + std::to_string(c.workload.batch) + ", " +
         c.hardware.gpu.name + " + " + std::to_string(c.hardware.dimms) + " DIMMs x " +
         std::to_string(c.hardware.dimm.gemv.multipliers) + " multipliers";
}

namespace sweep_detail {

inline void flatten(const nlohmann::json& j, const std::string& prefix, nlohmann::json& out) {
  for (const auto& [k, v] : j.items()) {
    const std::string key = prefix.empty() ? k : prefix + "_" + k;
    if (v.is_object()) flatten(v, key, out);
    else out[key] = v;
  }
}

inline nlohmann::json flat_row(const sim_result& r, const sim_config& c) {
  nlohmann::json flat = nlohmann::json::object();
  flatten(to_json(r), "", flat);
  // The identifying columns are the point's axis values, whatever the system reports for them
  // (a system without DIMMs reports 0 DIMMs; an unsupported run may report nothing), so that
  // rows group by the axes.
  flat["model"] = c.workload.model.name;
  flat["system"] = c.system;
  flat["gpu"] = c.hardware.gpu.name;
  flat["dimms"] = c.hardware.dimms;
  flat["multipliers"] = c.hardware.dimm.gemv.multipliers;
  flat["batch"] = c.workload.batch;
  flat["input_len"] = c.workload.input_len;
  flat["output_len"] = c.workload.output_len;
  return flat;
}

inline const std::vector<std::string>& leading_columns() {
  static const std::vector<std::string> cols = {"model",     "system",     "gpu",       "dimms",
                                                "multipliers", "batch",    "input_len", "output_len",
                                                "supported", "reason"};
  return cols;
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
inline std::string csv_field(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (!v.is_string()) return v.dump();
  const std::string s = v.get<std::string>();
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

}  // namespace sweep_detail

// The CSV columns, in order (see the header comment).
[[nodiscard]] inline std::vector<std::string> sweep_columns() {
  sim_result full;  // a result reporting every optional part, for the full key set
  full.has_prediction = true;
  full.has_placement = true;
  const nlohmann::json flat = sweep_detail::flat_row(full, sim_config{});
  std::vector<std::string> cols = sweep_detail::leading_columns();
  for (const auto& [k, v] : flat.items())  // nlohmann::json iterates keys in name order
    if (std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
  return cols;
}

[[nodiscard]] inline std::string sweep_csv_header() {
  std::string line;
  for (const auto& c : sweep_columns()) line += (line.empty() ? "" : ",") + c;
  return line;
}

[[nodiscard]] inline std::string sweep_csv_row(const sim_result& r, const sim_config& c) {
  const nlohmann::json flat = sweep_detail::flat_row(r, c);
  std::string line;
  bool first = true;
  for (const auto& col : sweep_columns()) {
    if (!first) line += ",";
    first = false;
    if (flat.contains(col)) line += sweep_detail::csv_field(flat[col]);
  }
  return line;
}

// A point of the grid that cannot run (checked before the first run): bad input.
class sweep_point_error : public error {
 public:
  using error::error;
};

struct sweep_summary {
  std::size_t runs = 0;
  std::size_t supported = 0;
  std::size_t unsupported = 0;
  std::size_t failed = 0;  // runs that threw; their rows say why
  double wall_seconds = 0.0;
};

// Runs one point: the registry's run_system in hermes-sim; a stand-in in tests.
using sweep_runner = std::function<sim_result(const sim_config&)>;
// Called before each run with the 0-based index, the total and the point.
using sweep_progress = std::function<void(std::size_t, std::size_t, const sim_config&)>;

// Runs every point of `grid` and writes the CSV header and one row per point to `csv` (and one
// JSON object per line to `json_lines`, if given), in grid order. `check` validates a point
// before anything runs (hermes-sim passes a check of the system name and validate_config); it
// throws naming the point.
inline sweep_summary run_sweep(const sweep_grid& grid, const sweep_runner& run, std::ostream& csv,
                               std::ostream* json_lines = nullptr, const sweep_progress& progress = {},
                               const std::function<void(const sim_config&)>& check = {}) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<sim_config> points = grid.points();
  if (check)
    for (const auto& p : points) {
      try {
        check(p);
      } catch (const error& e) {
        throw sweep_point_error("sweep point " + describe_point(p) + ": " + e.what());
      }
    }
  sweep_summary s;
  csv << sweep_csv_header() << '\n';
  for (std::size_t i = 0; i < points.size(); ++i) {
    const sim_config& p = points[i];
    if (progress) progress(i, points.size(), p);
    sim_result r;
    try {
      r = run(p);
    } catch (const error& e) {
      r = sim_result::unsupported(p.workload.model.name, p.system, std::string("error: ") + e.what());
      r.gpu = p.hardware.gpu.name;
      r.dimms = p.hardware.dimms;
      r.batch = p.workload.batch;
      r.input_len = p.workload.input_len;
      r.output_len = p.workload.output_len;
      ++s.failed;
    }
    if (r.supported) ++s.supported;
    else if (r.reason.rfind("error: ", 0) != 0) ++s.unsupported;
    ++s.runs;
    csv << sweep_csv_row(r, p) << '\n';
    csv.flush();  // a long sweep leaves usable rows behind if it is interrupted
    if (json_lines) {
      nlohmann::json j = to_json(r);
      j["multipliers"] = p.hardware.dimm.gemv.multipliers;
      *json_lines << j.dump() << '\n';
      json_lines->flush();
    }
  }
  s.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace hermes
