#pragma once
// A grid of simulations (models x systems x batches x prompt lengths x generated lengths x DIMMs
// x GPUs x multipliers x PCIe links x DIMM-links), written as CSV and JSON with its Pareto
// fronts marked: what `hermes-sim sweep` runs.
//
// Every point is a full sim_config derived from one base configuration; all points are checked
// before the first run, so a grid with an impossible point (a prompt longer than one model's
// context) fails at once rather than after an hour. Runs are independent; a run that throws
// is kept as a failed row naming the error, so one bad point does not lose the others.
//
// The unit of work is a point's *record*: the run's result as JSON (io/result_json.hpp) without
// the host's wall-clock fields (host_seconds, placement.solve_seconds), plus the axis values the
// result does not carry (multipliers, pcie, dimm_link). A record is a deterministic function of
// its point, so the outputs do not depend on how the grid is split: one thread, several threads
// (run_sweep_records) or several MPI processes (hermes_apps/distributed.hpp) write byte-identical
// files. The wall-clock fields are what would differ (they measure the machine, not the modelled
// system); `hermes-sim --json` of a single point still reports them.
//
// CSV columns: the point's axis values (model, system, gpu, dimms, multipliers, pcie, dimm_link,
// batch, input_len, output_len: what was asked, even where a system reports otherwise, e.g. 0
// DIMMs for a GPU-only baseline), supported, reason, then every other scalar of the records with
// nested objects flattened by "_" (breakdown_gpu_compute, prediction_accuracy, placement_gap,
// energy_joules_per_token once results carry energy, ...), in name order, then one column per
// Pareto front (pareto_cost, pareto_energy). A field a run does not report (no predictor) is
// empty; so is a number that is not finite.
//
// Pareto fronts (pareto_front below): each front maximises one column and minimises another
// (by default end_to_end_tokens_per_second against cost_hardware_usd and against
// energy_joules_per_token). A row's pareto_NAME is
//   true   it is supported, has finite numbers in both columns, and no other such row is at least
//          as good in both and strictly better in one (rows with equal values in both columns
//          do not dominate each other: every one of them is on the front);
//   false  it is a candidate (as above) dominated by another;
//   empty  it is not a candidate: unsupported, failed, or a column empty or not a number.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <numeric>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/core/output_file.hpp"
#include "hermes/core/text.hpp"
#include "hermes/device/gpu.hpp"
#include "hermes/device/link.hpp"
#include "hermes/io/config_json.hpp"
#include "hermes/io/result_json.hpp"
#include "hermes/model/presets.hpp"
#include "hermes/sim/config.hpp"
#include "hermes/sim/parallel.hpp"
#include "hermes/sim/result.hpp"

namespace hermes {

// The axes of a sweep; an empty axis keeps the base configuration's value.
struct sweep_grid {
  sim_config base{};
  std::vector<std::string> models;       // model presets
  std::vector<std::string> systems;      // registry names
  std::vector<std::size_t> batches;
  std::vector<std::size_t> input_lens;   // prompt tokens
  std::vector<std::size_t> output_lens;  // generated tokens
  std::vector<std::size_t> dimms;
  std::vector<std::string> gpus;         // GPU presets
  std::vector<std::size_t> multipliers;  // NDP GEMV unit multipliers per DIMM
  std::vector<std::string> pcie;         // link presets (device/link.hpp) for hardware.pcie
  std::vector<std::string> dimm_links;   // link presets for hardware.dimm_link

  // The axes' lengths, in nesting order, with their names (an empty axis counts 1).
  [[nodiscard]] std::vector<std::pair<std::string, std::size_t>> axis_lengths() const {
    const auto n = [](std::size_t k) { return std::max<std::size_t>(k, 1); };
    return {{"models", n(models.size())},         {"systems", n(systems.size())},
            {"batches", n(batches.size())},       {"input_lens", n(input_lens.size())},
            {"output_lens", n(output_lens.size())}, {"dimms", n(dimms.size())},
            {"gpus", n(gpus.size())},             {"multipliers", n(multipliers.size())},
            {"pcie", n(pcie.size())},             {"dimm_links", n(dimm_links.size())}};
  }

  // Points in nested order: model outermost, then system, batch, input_len, output_len, dimms,
  // gpu, multipliers, pcie, dimm_link innermost.
  [[nodiscard]] std::vector<sim_config> points() const {
    std::vector<model_shape> model_axis;
    for (const auto& m : models) model_axis.push_back(find_model_preset(m));
    if (model_axis.empty()) model_axis.push_back(base.workload.model);
    std::vector<gpu_config> gpu_axis;
    for (const auto& g : gpus) gpu_axis.push_back(find_gpu_preset(g));
    if (gpu_axis.empty()) gpu_axis.push_back(base.hardware.gpu);
    std::vector<link_config> pcie_axis, dimm_link_axis;
    for (const auto& l : pcie) pcie_axis.push_back(find_link_preset(l));
    if (pcie_axis.empty()) pcie_axis.push_back(base.hardware.pcie);
    for (const auto& l : dimm_links) dimm_link_axis.push_back(find_link_preset(l));
    if (dimm_link_axis.empty()) dimm_link_axis.push_back(base.hardware.dimm_link);
    const auto or_base = [](const auto& axis, const auto& value) {
      using T = std::decay_t<decltype(value)>;
      return axis.empty() ? std::vector<T>{value} : std::vector<T>(axis.begin(), axis.end());
    };
    const auto system_axis = or_base(systems, base.system);
    const auto batch_axis = or_base(batches, base.workload.batch);
    const auto in_axis = or_base(input_lens, base.workload.input_len);
    const auto out_axis = or_base(output_lens, base.workload.output_len);
    const auto dimm_axis = or_base(dimms, base.hardware.dimms);
    const auto mult_axis = or_base(multipliers, base.hardware.dimm.gemv.multipliers);

    std::vector<sim_config> out;
    for (const auto& m : model_axis)
      for (const auto& s : system_axis)
        for (const auto b : batch_axis)
          for (const auto in : in_axis)
            for (const auto on : out_axis)
              for (const auto d : dimm_axis)
                for (const auto& g : gpu_axis)
                  for (const auto x : mult_axis)
                    for (const auto& p : pcie_axis)
                      for (const auto& l : dimm_link_axis) {
                        sim_config c = base;
                        c.workload.model = m;
                        c.system = s;
                        c.workload.batch = b;
                        c.workload.input_len = in;
                        c.workload.output_len = on;
                        c.hardware.dimms = d;
                        c.hardware.gpu = g;
                        c.hardware.dimm.gemv.multipliers = x;
                        c.hardware.pcie = p;
                        c.hardware.dimm_link = l;
                        out.push_back(std::move(c));
                      }
    return out;
  }
};

// One line of a point, for progress displays and error messages.
[[nodiscard]] inline std::string describe_point(const sim_config& c) {
  return c.workload.model.name + " " + c.system + " batch " + std::to_string(c.workload.batch) + ", " +
         std::to_string(c.workload.input_len) + "/" + std::to_string(c.workload.output_len) + " tokens, " +
         c.hardware.gpu.name + " + " + std::to_string(c.hardware.dimms) + " DIMMs x " +
         std::to_string(c.hardware.dimm.gemv.multipliers) + " multipliers, " + c.hardware.pcie.name + ", " +
         c.hardware.dimm_link.name;
}

// A relative estimate of a point's simulation cost (neurons x tokens simulated): the order in
// which the work is handed out (most expensive first, so the last to finish are short). It does
// not change any result.
[[nodiscard]] inline double estimated_cost(const sim_config& c) {
  const auto& m = c.workload.model;
  const auto& w = c.workload;
  return static_cast<double>(m.layers) * static_cast<double>(m.ffn + m.hidden) *
         static_cast<double>(w.batch * (w.input_len + w.output_len) + w.profile_tokens);
}

// Indices of `points`, most expensive first (ties in grid order).
[[nodiscard]] inline std::vector<std::size_t> expensive_first(const std::vector<sim_config>& points) {
  std::vector<double> cost(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) cost[i] = estimated_cost(points[i]);
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cost[a] > cost[b]; });
  return order;
}

// ------------------------------------------------------------------------------------------
// Pareto fronts

// A front over two columns: `maximise` (a throughput) against `minimise` (a cost). Its CSV column
// is "pareto_" + name.
struct pareto_front {
  std::string name;
  std::string maximise;
  std::string minimise;
  [[nodiscard]] std::string column() const { return "pareto_" + name; }
  friend bool operator==(const pareto_front&, const pareto_front&) = default;
};

// The default fronts: end-to-end tokens/s against the hardware's price and against the energy
// per generated token (the result's "cost" and "energy" objects, flattened).
[[nodiscard]] inline std::vector<pareto_front> default_pareto_fronts() {
  return {{"cost", "end_to_end_tokens_per_second", "cost_hardware_usd"},
          {"energy", "end_to_end_tokens_per_second", "energy_joules_per_token"}};
}

// For every row, whether it is on the front: true / false / null (not a candidate), as the
// header comment defines. O(n log n); the result depends only on the values, never on the
// rows' order.
[[nodiscard]] inline std::vector<nlohmann::json> pareto_marks(const std::vector<nlohmann::json>& flat_rows,
                                                             const pareto_front& f) {
  struct cand {
    double up, down;
    std::size_t row;
  };
  std::vector<cand> c;
  std::vector<nlohmann::json> marks(flat_rows.size());  // null
  for (std::size_t i = 0; i < flat_rows.size(); ++i) {
    const auto& r = flat_rows[i];
    const auto sup = r.find("supported");
    if (sup == r.end() || !sup->is_boolean() || !sup->get<bool>()) continue;
    const auto a = r.find(f.maximise), b = r.find(f.minimise);
    if (a == r.end() || b == r.end() || !a->is_number() || !b->is_number()) continue;
    const double up = a->get<double>(), down = b->get<double>();
    if (!std::isfinite(up) || !std::isfinite(down)) continue;
    c.push_back({up, down, i});
    marks[i] = false;
  }
  // Highest `up` first; within equal `up`, lowest `down` first.
  std::sort(c.begin(), c.end(), [](const cand& x, const cand& y) {
    return x.up != y.up ? x.up > y.up : (x.down != y.down ? x.down < y.down : x.row < y.row);
  });
  double best_above = std::numeric_limits<double>::infinity();  // lowest `down` among strictly higher `up`
  for (std::size_t g = 0; g < c.size();) {
    std::size_t e = g;
    while (e < c.size() && c[e].up == c[g].up) ++e;
    const double group_min = c[g].down;
    for (std::size_t k = g; k < e; ++k)
      if (c[k].down == group_min && c[k].down < best_above) marks[c[k].row] = true;
    best_above = std::min(best_above, group_min);
    g = e;
  }
  return marks;
}

// ------------------------------------------------------------------------------------------
// Records and rows

namespace sweep_detail {

inline void flatten(const nlohmann::json& j, const std::string& prefix, nlohmann::json& out) {
  for (const auto& [k, v] : j.items()) {
    const std::string key = prefix.empty() ? k : prefix + "_" + k;
    if (v.is_object()) flatten(v, key, out);
    else if (v.is_number_float() && !std::isfinite(v.get<double>())) out[key] = nullptr;
    else out[key] = v;
  }
}

// Non-finite numbers become null (JSON has no NaN), recursively: a record reads back equal.
inline void finite_or_null(nlohmann::json& j) {
  if (j.is_object() || j.is_array()) {
    for (auto& v : j) finite_or_null(v);
  } else if (j.is_number_float() && !std::isfinite(j.get<double>())) {
    j = nullptr;
  }
}

inline const std::vector<std::string>& leading_columns() {
  static const std::vector<std::string> cols = {"model",     "system",    "gpu",       "dimms",
                                                "multipliers", "pcie",    "dimm_link", "batch",
                                                "input_len", "output_len", "supported", "reason"};
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

// The record of a point's result (see the header comment).
[[nodiscard]] inline nlohmann::json sweep_record(const sim_result& r, const sim_config& c) {
  nlohmann::json j = to_json(r);
  j.erase("host_seconds");
  if (j.contains("placement")) j["placement"].erase("solve_seconds");
  j["multipliers"] = c.hardware.dimm.gemv.multipliers;
  j["pcie"] = c.hardware.pcie.name;
  j["dimm_link"] = c.hardware.dimm_link.name;
  sweep_detail::finite_or_null(j);
  return j;
}

// Runs one point: the registry's run_system in hermes-sim; a stand-in in tests.
using sweep_runner = std::function<sim_result(const sim_config&)>;

// Runs `p` and returns its record. A run that throws becomes a failed record: supported false,
// reason "error: " + the message.
[[nodiscard]] inline nlohmann::json run_sweep_point(const sweep_runner& run, const sim_config& p) {
  sim_result r;
  try {
    r = run(p);
  } catch (const std::exception& e) {
    r = sim_result::unsupported(p.workload.model.name, p.system, std::string("error: ") + e.what());
    r.gpu = p.hardware.gpu.name;
    r.dimms = p.hardware.dimms;
    r.batch = p.workload.batch;
    r.input_len = p.workload.input_len;
    r.output_len = p.workload.output_len;
  }
  return sweep_record(r, p);
}

[[nodiscard]] inline bool record_failed(const nlohmann::json& rec) {
  const auto it = rec.find("reason");
  return it != rec.end() && it->is_string() && it->get<std::string>().rfind("error: ", 0) == 0;
}

// A record flattened into one CSV row's values, with the point's axis values as the identifying
// columns (a system without DIMMs reports 0 DIMMs; an unsupported run may report nothing).
[[nodiscard]] inline nlohmann::json flat_row(const nlohmann::json& record, const sim_config& c) {
  nlohmann::json flat = nlohmann::json::object();
  sweep_detail::flatten(record, "", flat);
  flat["model"] = c.workload.model.name;
  flat["system"] = c.system;
  flat["gpu"] = c.hardware.gpu.name;
  flat["dimms"] = c.hardware.dimms;
  flat["multipliers"] = c.hardware.dimm.gemv.multipliers;
  flat["pcie"] = c.hardware.pcie.name;
  flat["dimm_link"] = c.hardware.dimm_link.name;
  flat["batch"] = c.workload.batch;
  flat["input_len"] = c.workload.input_len;
  flat["output_len"] = c.workload.output_len;
  return flat;
}

// The result columns every sweep has, before any run: the leading columns, then the scalars of a
// result that reports every optional part, in name order (no Pareto columns).
[[nodiscard]] inline std::vector<std::string> sweep_columns() {
  sim_result full;
  full.has_prediction = true;
  full.has_placement = true;
  const nlohmann::json flat = flat_row(sweep_record(full, sim_config{}), sim_config{});
  std::vector<std::string> cols = sweep_detail::leading_columns();
  for (const auto& [k, v] : flat.items())  // nlohmann::json iterates keys in name order
    if (std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
  return cols;
}

// What a sweep writes: the columns and one flat row per point, in grid order, Pareto marks
// included.
struct sweep_table {
  std::vector<std::string> columns;
  std::vector<nlohmann::json> rows;
  std::vector<pareto_front> fronts;
};

// The table of `records` (one per point, grid order). Columns: sweep_columns(), then any other
// key a record has (in name order), then the fronts' columns. A front whose columns no row has
// (a result without energy figures) gets an empty column; `note` is told so.
[[nodiscard]] inline sweep_table make_sweep_table(const std::vector<sim_config>& points,
                                                  const std::vector<nlohmann::json>& records,
                                                  const std::vector<pareto_front>& fronts,
                                                  const std::function<void(const std::string&)>& note = {}) {
  if (points.size() != records.size())
    throw invalid_parameter("make_sweep_table records", std::to_string(records.size()),
                            "one per point (" + std::to_string(points.size()) + ")");
  sweep_table t;
  t.fronts = fronts;
  t.columns = sweep_columns();
  std::set<std::string> known(t.columns.begin(), t.columns.end());
  std::set<std::string> extra;
  t.rows.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    t.rows.push_back(flat_row(records[i], points[i]));
    for (const auto& [k, v] : t.rows.back().items())
      if (!known.count(k)) extra.insert(k);
  }
  t.columns.insert(t.columns.end(), extra.begin(), extra.end());
  known.insert(extra.begin(), extra.end());
  for (const auto& f : fronts) {
    for (const auto& col : {f.maximise, f.minimise})
      if (!known.count(col) && note)
        note("front " + f.name + ": no result has a column " + col + "; " + f.column() + " is left empty");
    const auto marks = pareto_marks(t.rows, f);
    for (std::size_t i = 0; i < t.rows.size(); ++i) t.rows[i][f.column()] = marks[i];
    t.columns.push_back(f.column());
  }
  return t;
}

[[nodiscard]] inline std::string sweep_csv_line(const std::vector<std::string>& values) {
  std::string line;
  for (std::size_t i = 0; i < values.size(); ++i) line += (i ? "," : "") + values[i];
  return line;
}

inline void write_sweep_csv(std::ostream& os, const sweep_table& t) {
  std::vector<std::string> header;
  for (const auto& c : t.columns) header.push_back(sweep_detail::csv_field(nlohmann::json(c)));
  os << sweep_csv_line(header) << '\n';
  for (const auto& r : t.rows) {
    std::vector<std::string> v;
    v.reserve(t.columns.size());
    for (const auto& c : t.columns) {
      const auto it = r.find(c);
      v.push_back(it == r.end() ? std::string() : sweep_detail::csv_field(*it));
    }
    os << sweep_csv_line(v) << '\n';
  }
}

// The JSON document: {"columns": [...], "fronts": [{"name", "maximise", "minimise"}, ...],
// "rows": [{column: value, ...}, ...]} (rows in grid order, keys as the CSV's columns).
inline void write_sweep_json(std::ostream& os, const sweep_table& t) {
  nlohmann::json j;
  j["columns"] = t.columns;
  j["fronts"] = nlohmann::json::array();
  for (const auto& f : t.fronts) j["fronts"].push_back({{"name", f.name}, {"maximise", f.maximise}, {"minimise", f.minimise}});
  j["rows"] = t.rows;
  os << j.dump(1) << '\n';
}

struct sweep_summary {
  std::size_t runs = 0;
  std::size_t supported = 0;
  std::size_t unsupported = 0;
  std::size_t failed = 0;  // runs that threw; their rows say why
  double wall_seconds = 0.0;
};

[[nodiscard]] inline sweep_summary summarise(const std::vector<nlohmann::json>& records) {
  sweep_summary s;
  for (const auto& r : records) {
    ++s.runs;
    if (r.value("supported", false)) ++s.supported;
    else if (record_failed(r)) ++s.failed;
    else ++s.unsupported;
  }
  return s;
}

// Called after each finished run with the number finished, the total and the point.
using sweep_progress = std::function<void(std::size_t, std::size_t, const sim_config&)>;

// Runs every point on up to `jobs` threads (most expensive first) and returns the records in
// grid order: the same records whatever `jobs` is. `progress` is called under a lock.
[[nodiscard]] inline std::vector<nlohmann::json> run_sweep_records(const std::vector<sim_config>& points,
                                                                  const sweep_runner& run, std::size_t jobs = 1,
                                                                  const sweep_progress& progress = {}) {
  std::vector<nlohmann::json> records(points.size());
  const auto order = expensive_first(points);
  std::mutex m;
  std::size_t done = 0;
  for_each_index_parallel(order.size(), jobs, [&](std::size_t k) {
    const std::size_t i = order[k];
    nlohmann::json rec = run_sweep_point(run, points[i]);
    std::lock_guard<std::mutex> lock(m);
    records[i] = std::move(rec);
    ++done;
    if (progress) progress(done, points.size(), points[i]);
  });
  return records;
}

// A point of the grid that cannot run (checked before the first run): bad input.
class sweep_point_error : public error {
 public:
  using error::error;
};

// Checks every point with `check` (hermes-sim passes a check of the system name and
// validate_config); the first failure throws sweep_point_error naming the point.
inline void check_sweep_points(const std::vector<sim_config>& points, const std::function<void(const sim_config&)>& check) {
  if (!check) return;
  for (const auto& p : points) {
    try {
      check(p);
    } catch (const error& e) {
      throw sweep_point_error("sweep point " + describe_point(p) + ": " + e.what());
    }
  }
}

// Runs every point of `grid` in this process and writes the CSV (with the default fronts) to
// `csv` (and one record per line to `json_lines`, if given), in grid order. `check` validates
// every point before anything runs.
inline sweep_summary run_sweep(const sweep_grid& grid, const sweep_runner& run, std::ostream& csv,
                               std::ostream* json_lines = nullptr, const sweep_progress& progress = {},
                               const std::function<void(const sim_config&)>& check = {}, std::size_t jobs = 1,
                               const std::vector<pareto_front>& fronts = default_pareto_fronts()) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<sim_config> points = grid.points();
  check_sweep_points(points, check);
  const auto records = run_sweep_records(points, run, jobs, progress);
  write_sweep_csv(csv, make_sweep_table(points, records, fronts));
  if (json_lines)
    for (const auto& r : records) *json_lines << r.dump() << '\n';
  sweep_summary s = summarise(records);
  s.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

// ------------------------------------------------------------------------------------------
// The grid as a JSON file

// Reads a grid file onto `grid` (its base stays): an object whose keys are axes, each a
// non-empty array of at most `max_items` values:
//   {"models": ["OPT-13B"], "systems": ["Hermes", "FlexGen"], "batches": [1, 4],
//    "input_lens": [128], "output_lens": [128, 512], "dimms": [4, 8], "gpus": ["RTX4090"],
//    "multipliers": [128, 256], "pcie": ["PCIe4-x16"], "dimm_links": ["DIMM-link"],
//    "fronts": [{"name": "cost", "maximise": "end_to_end_tokens_per_second",
//                "minimise": "cost_hardware_usd"}]}
// Names are canonicalised (case-insensitive presets); counts must lie in [1, max_count of the
// axis]. Errors are config_errors naming the file and the JSON pointer of the value. Returns the
// fronts if the file gives them.
struct grid_file_limits {
  std::size_t max_items = 64;
  std::size_t batch = 256, tokens = workload_limits::tokens, dimms = 64, multipliers = ndp_limits::multipliers;
};

[[nodiscard]] inline std::optional<std::vector<pareto_front>> read_sweep_grid_file(
    const std::string& path, sweep_grid& grid, const std::function<std::string(std::string_view)>& system_name,
    const grid_file_limits& lim = {}) {
  using ojson = nlohmann::ordered_json;
  const ojson j = read_config_json_file(path, "a JSON grid file");
  if (!j.is_object())
    throw config_error(path, "", config_json_detail::shown(j) + " is invalid: expected an object of axes");
  const auto array_at = [&](const std::string& key) -> const ojson& {
    const ojson& v = j.at(key);
    if (!v.is_array() || v.empty() || v.size() > lim.max_items)
      throw config_error(path, "/" + key,
                         config_json_detail::shown(v) + " is invalid: expected an array of 1.." +
                             std::to_string(lim.max_items) + " values");
    return v;
  };
  const auto names = [&](const std::string& key, const std::function<std::string(std::string_view)>& canonical) {
    std::vector<std::string> out;
    const ojson& a = array_at(key);
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string at = "/" + key + "/" + std::to_string(i);
      if (!a[i].is_string()) throw config_error(path, at, config_json_detail::shown(a[i]) + " is invalid: expected a name");
      try {
        out.push_back(canonical(a[i].get<std::string>()));
      } catch (const invalid_parameter& e) {
        const std::string what = e.what();
        const auto exp = what.find("expected ");
        throw config_error(path, at, config_json_detail::shown(a[i]) + " is invalid: " +
                                         (exp == std::string::npos ? what : what.substr(exp)));
      }
    }
    return out;
  };
  const auto counts = [&](const std::string& key, std::size_t max) {
    std::vector<std::size_t> out;
    const ojson& a = array_at(key);
    for (std::size_t i = 0; i < a.size(); ++i) {
      const ojson& v = a[i];
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1 || v.get<std::uint64_t>() > max)
        throw config_error(path, "/" + key + "/" + std::to_string(i),
                           config_json_detail::shown(v) + " is invalid: expected an integer in 1.." + std::to_string(max));
      out.push_back(static_cast<std::size_t>(v.get<std::uint64_t>()));
    }
    return out;
  };
  std::optional<std::vector<pareto_front>> fronts;
  for (const auto& [key, v] : j.items()) {
    if (key == "models") grid.models = names(key, [](std::string_view n) { return find_model_preset(n).name; });
    else if (key == "systems") grid.systems = names(key, system_name);
    else if (key == "gpus") grid.gpus = names(key, [](std::string_view n) { return find_gpu_preset(n).name; });
    else if (key == "pcie") grid.pcie = names(key, [](std::string_view n) { return find_link_preset(n).name; });
    else if (key == "dimm_links") grid.dimm_links = names(key, [](std::string_view n) { return find_link_preset(n).name; });
    else if (key == "batches") grid.batches = counts(key, lim.batch);
    else if (key == "input_lens") grid.input_lens = counts(key, lim.tokens);
    else if (key == "output_lens") grid.output_lens = counts(key, lim.tokens);
    else if (key == "dimms") grid.dimms = counts(key, lim.dimms);
    else if (key == "multipliers") grid.multipliers = counts(key, lim.multipliers);
    else if (key == "fronts") {
      if (!v.is_array() || v.size() > lim.max_items)
        throw config_error(path, "/fronts", config_json_detail::shown(v) + " is invalid: expected an array of at most " +
                                                std::to_string(lim.max_items) + " fronts");
      fronts.emplace();
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string at = "/fronts/" + std::to_string(i);
        const ojson& f = v[i];
        if (!f.is_object())
          throw config_error(path, at, config_json_detail::shown(f) + " is invalid: expected an object with name, maximise, minimise");
        pareto_front pf;
        for (const auto& [fk, fv] : f.items()) {
          std::string* into = fk == "name" ? &pf.name : fk == "maximise" ? &pf.maximise : fk == "minimise" ? &pf.minimise : nullptr;
          if (!into)
            throw config_error(path, at + "/" + config_json_detail::pointer_token(fk),
                               "unknown key \"" + fk + "\"; allowed here: name, maximise, minimise");
          if (!fv.is_string() || fv.get<std::string>().empty())
            throw config_error(path, at + "/" + fk, config_json_detail::shown(fv) + " is invalid: expected a non-empty string");
          *into = fv.get<std::string>();
        }
        for (const auto& [fk, val] : {std::pair{"name", pf.name}, std::pair{"maximise", pf.maximise}, std::pair{"minimise", pf.minimise}})
          if (val.empty()) throw config_error(path, at, std::string("missing key \"") + fk + "\"");
        fronts->push_back(pf);
      }
    } else {
      throw config_error(path, "/" + config_json_detail::pointer_token(key),
                         "unknown key \"" + key +
                             "\"; allowed here: models, systems, batches, input_lens, output_lens, dimms, gpus, "
                             "multipliers, pcie, dimm_links, fronts");
    }
  }
  return fronts;
}

// ------------------------------------------------------------------------------------------
// Plots of the fronts (gnuplot)

struct sweep_plot {
  std::string name;    // file stem: pareto_NAME
  std::string data;    // .dat
  std::string script;  // .gp
  std::size_t candidates = 0, on_front = 0;
};

// One plot per front: every candidate row as a point coloured by system, the front as a line
// through its points (x = the minimised column, y = the maximised one). A front without
// candidates gives no plot.
[[nodiscard]] inline std::vector<sweep_plot> make_sweep_plots(const sweep_table& t) {
  std::vector<sweep_plot> out;
  for (const auto& f : t.fronts) {
    std::map<std::string, std::vector<std::pair<double, double>>> by_system;
    std::vector<std::string> system_order;
    std::vector<std::pair<double, double>> front;
    sweep_plot p;
    p.name = f.column();
    for (const auto& r : t.rows) {
      const auto m = r.find(f.column());
      if (m == r.end() || !m->is_boolean()) continue;
      const double x = r.at(f.minimise).get<double>(), y = r.at(f.maximise).get<double>();
      const std::string s = r.at("system").get<std::string>();
      if (!by_system.count(s)) system_order.push_back(s);
      by_system[s].push_back({x, y});
      ++p.candidates;
      if (m->get<bool>()) front.push_back({x, y});
    }
    if (p.candidates == 0) continue;
    p.on_front = front.size();
    std::sort(front.begin(), front.end());
    std::ostringstream d;
    d << "# " << f.minimise << " " << f.maximise << "\n";
    bool positive = true;
    double lo_x = INFINITY, hi_x = -INFINITY, lo_y = INFINITY, hi_y = -INFINITY;
    for (const auto& s : system_order) {
      d << "# system " << s << "\n";
      for (const auto& [x, y] : by_system[s]) {
        d << significant_text(x, 9) << " " << significant_text(y, 9) << "\n";
        positive = positive && x > 0 && y > 0;
        lo_x = std::min(lo_x, x), hi_x = std::max(hi_x, x), lo_y = std::min(lo_y, y), hi_y = std::max(hi_y, y);
      }
      d << "\n\n";
    }
    d << "# front\n";
    for (const auto& [x, y] : front) d << significant_text(x, 9) << " " << significant_text(y, 9) << "\n";
    p.data = d.str();
    std::ostringstream g;
    g << "set terminal pngcairo size 1000,640 font 'sans,10' noenhanced\n"
      << "set output '" << p.name << ".png'\n"
      << "set title 'Pareto front: maximise " << f.maximise << ", minimise " << f.minimise << " (" << p.on_front
      << " of " << p.candidates << " configurations on the front)'\n"
      << "set xlabel '" << f.minimise << "'\nset ylabel '" << f.maximise << "'\n"
      << "set grid\nset key outside right top\n";
    if (positive && hi_x > 50 * lo_x) g << "set logscale x\n";
    if (positive && hi_y > 50 * lo_y) g << "set logscale y\n";
    g << "plot ";
    for (std::size_t i = 0; i < system_order.size(); ++i)
      g << "'" << p.name << ".dat' index " << i << " using 1:2 with points pt 7 ps 0.8 title '" << system_order[i]
        << "', \\\n     ";
    g << "'" << p.name << ".dat' index " << system_order.size()
      << " using 1:2 with linespoints lw 2 lc rgb 'black' pt 6 ps 1.6 title 'Pareto front'\n";
    p.script = g.str();
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hermes
