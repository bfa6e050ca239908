// hermes_apps/sweep.hpp: the grid expands in a fixed nested order, every point is checked before the
// first run, the CSV has one row per point, unsupported and failed runs included, the same bytes
// whatever the number of threads; the Pareto marks (ties, failed rows, missing values); the JSON
// grid file and its errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/scratch_dir.hpp"
#include "hermes_apps/sweep.hpp"

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) out.push_back(line);
  return out;
}

// Splits one CSV line (RFC 4180 quoting).
std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  FAIL("no column " << name);
  return 0;
}

// A stand-in for the engine: a result computed from the point, so each row is checkable.
hermes::sim_result fake_run(const hermes::sim_config& c) {
  if (c.hardware.dimms == 3) throw hermes::error("three DIMMs break the stand-in");
  if (c.workload.model.name == "OPT-13B" && c.workload.batch == 4)  // reports no DIMMs, no batch
    return hermes::sim_result::unsupported(c.workload.model.name, c.system, "does not fit, really");
  hermes::sim_result r;
  r.model = c.workload.model.name;
  r.system = c.system;
  r.gpu = c.hardware.gpu.name;
  r.dimms = c.hardware.dimms;
  r.batch = c.workload.batch;
  r.input_len = c.workload.input_len;
  r.output_len = c.workload.output_len;
  r.decode_tokens_per_second = static_cast<double>(c.workload.batch * c.hardware.dimm.gemv.multipliers);
  r.breakdown.gpu_compute = hermes::seconds(0.25);
  r.has_prediction = c.system == "Hermes";
  r.prediction_accuracy = 0.5;
  r.end_to_end_tokens_per_second = static_cast<double>(c.workload.batch * c.hardware.dimm.gemv.multipliers);
  return r;
}

}  // namespace

TEST_CASE("sweep: points nest model > system > batch > dimms > gpu > multipliers", "[sim][sweep]") {
  hermes::sweep_grid g;
  g.models = {"OPT-13B", "llama-7b"};
  g.batches = {1, 4};
  g.multipliers = {128, 256};
  const auto p = g.points();
  REQUIRE(p.size() == 8);
  CHECK(p[0].workload.model.name == "OPT-13B");
  CHECK(p[0].workload.batch == 1);
  CHECK(p[0].hardware.dimm.gemv.multipliers == 128);
  CHECK(p[1].hardware.dimm.gemv.multipliers == 256);
  CHECK(p[2].workload.batch == 4);
  CHECK(p[4].workload.model.name == "LLaMA-7B");  // the preset's spelling
  for (const auto& c : p) {
    CHECK(c.system == "Hermes");              // axis not given: the base's
    CHECK(c.hardware.dimms == 8);
    CHECK(c.hardware.gpu.name == "RTX4090");
  }
  hermes::sweep_grid bad;
  bad.gpus = {"RTX9999"};
  CHECK_THROWS_WITH(bad.points(), Catch::Contains("RTX9999") && Catch::Contains("RTX4090"));
}

TEST_CASE("sweep: the CSV has a header and one row per point, unsupported and failed ones kept",
          "[sim][sweep]") {
  hermes::sweep_grid g;
  g.models = {"OPT-13B", "LLaMA-7B"};
  g.systems = {"Hermes", "Hermes-base"};
  g.batches = {1, 4};
  g.dimms = {3, 8};
  g.multipliers = {128};
  std::ostringstream csv, jl;
  std::vector<std::size_t> seen;
  const auto s = hermes::run_sweep(g, fake_run, csv, &jl,
                                   [&](std::size_t i, std::size_t total, const hermes::sim_config&) {
                                     CHECK(total == 16);
                                     seen.push_back(i);
                                   });
  CHECK(s.runs == 16);
  CHECK(s.failed == 8);       // every dimms = 3 point
  CHECK(s.unsupported == 2);  // OPT-13B batch 4 with 8 DIMMs, both systems
  CHECK(s.supported == 6);
  CHECK(seen.size() == 16);

  const auto lines = lines_of(csv.str());
  REQUIRE(lines.size() == 17);
  const auto header = fields_of(lines[0]);
  const std::vector<std::string> leading = {"model", "system", "gpu", "dimms", "multipliers", "pcie", "dimm_link",
                                            "batch", "input_len", "output_len", "supported", "reason"};
  CHECK(std::vector<std::string>(header.begin(), header.begin() + 12) == leading);
  for (const char* c : {"decode_tokens_per_second", "seconds_prefill", "seconds_decode", "breakdown_gpu_compute",
                        "breakdown_pcie", "breakdown_sync", "cold_load_imbalance", "prediction_accuracy",
                        "placement_gap", "pareto_cost", "pareto_energy"})
    CHECK(std::find(header.begin(), header.end(), c) != header.end());
  // The host's wall-clock times are not columns: they would differ from run to run.
  for (const char* c : {"host_seconds_activations", "host_seconds_placement", "host_seconds_simulation",
                        "placement_solve_seconds"})
    CHECK(std::find(header.begin(), header.end(), c) == header.end());
  CHECK(header.back() == "pareto_energy");

  const auto tps = column(header, "decode_tokens_per_second");
  const auto acc = column(header, "prediction_accuracy");
  const auto gpu = column(header, "breakdown_gpu_compute");
  const auto dimms = column(header, "dimms"), mult = column(header, "multipliers"), batch = column(header, "batch");
  const auto sup = column(header, "supported"), why = column(header, "reason");
  // Row 2 (index 2 after the header): OPT-13B, Hermes, batch 1, 8 DIMMs, 128 multipliers.
  const auto r2 = fields_of(lines[2]);
  REQUIRE(r2.size() == header.size());
  CHECK(r2[0] == "OPT-13B");
  CHECK(r2[1] == "Hermes");
  CHECK(r2[dimms] == "8");
  CHECK(r2[mult] == "128");
  CHECK(r2[column(header, "pcie")] == "PCIe4-x16");
  CHECK(r2[column(header, "dimm_link")] == "DIMM-link");
  CHECK(r2[batch] == "1");
  CHECK(r2[sup] == "true");
  CHECK(r2[tps] == "128.0");
  CHECK(r2[acc] == "0.5");
  CHECK(r2[gpu] == "0.25");
  CHECK(r2[column(header, "pareto_cost")].empty());  // no cost column in the stand-in's results
  // A failed run names the error; an unsupported one its reason (quoted: it has a comma).
  const auto r1 = fields_of(lines[1]);
  CHECK(r1[sup] == "false");
  CHECK(r1[why] == "error: three DIMMs break the stand-in");
  CHECK(r1[dimms] == "3");
  const auto r4 = fields_of(lines[4]);  // OPT-13B, Hermes, batch 4, 8 DIMMs
  CHECK(r4[sup] == "false");
  CHECK(r4[why] == "does not fit, really");
  CHECK(r4[dimms] == "8");  // the point's axis values, not the result's zeros
  CHECK(r4[batch] == "4");
  CHECK(lines[4].find("\"does not fit, really\"") != std::string::npos);
  // Hermes-base reports no predictor: its prediction columns are empty.
  const auto r6 = fields_of(lines[6]);  // OPT-13B, Hermes-base, batch 1, 8 DIMMs
  CHECK(r6[1] == "Hermes-base");
  CHECK(r6[acc].empty());
  // JSON lines: one object per run, with the multipliers axis.
  const auto jlines = lines_of(jl.str());
  REQUIRE(jlines.size() == 16);
  const auto j2 = nlohmann::json::parse(jlines[1]);
  CHECK(j2["multipliers"] == 128);
  CHECK(j2["decode_tokens_per_second"] == 128.0);
  CHECK_FALSE(j2.contains("host_seconds"));
}

TEST_CASE("sweep: the CSV is the same bytes on one thread and on several", "[sim][sweep]") {
  hermes::sweep_grid g;
  g.models = {"OPT-13B", "LLaMA-7B", "stories260K"};
  g.systems = {"Hermes", "Hermes-base"};
  g.batches = {1, 4};
  g.dimms = {3, 8};
  g.pcie = {"PCIe4-x16", "PCIe4-paper"};
  const std::vector<hermes::pareto_front> fronts = {{"tps", "end_to_end_tokens_per_second", "dimms"}};
  std::string first;
  for (std::size_t jobs : {1, 2, 5}) {
    std::ostringstream csv;
    (void)hermes::run_sweep(g, fake_run, csv, nullptr, {}, {}, jobs, fronts);
    if (jobs == 1) first = csv.str();
    else CHECK(csv.str() == first);
  }
  CHECK(lines_of(first).size() == 49);
}

TEST_CASE("sweep: points nest every axis, links and lengths included", "[sim][sweep]") {
  hermes::sweep_grid g;
  g.input_lens = {16, 32};
  g.output_lens = {8};
  g.pcie = {"pcie4-x16", "PCIe4-paper"};
  g.dimm_links = {"DIMM-link"};
  const auto p = g.points();
  REQUIRE(p.size() == 4);
  CHECK(p[0].workload.input_len == 16);
  CHECK(p[0].hardware.pcie.name == "PCIe4-x16");
  CHECK(p[1].hardware.pcie.name == "PCIe4-paper");
  CHECK(p[1].hardware.pcie.bandwidth.value() > p[0].hardware.pcie.bandwidth.value());  // 64 vs 31.5 GB/s
  CHECK(p[2].workload.input_len == 32);
  for (const auto& c : p) CHECK(c.workload.output_len == 8);
  hermes::sweep_grid bad;
  bad.pcie = {"PCIe9"};
  CHECK_THROWS_WITH(bad.points(), Catch::Contains("PCIe9") && Catch::Contains("PCIe4-x16"));
}

namespace {

nlohmann::json row(double up, double down, bool supported = true) {
  return {{"supported", supported}, {"tps", up}, {"usd", down}};
}

}  // namespace

TEST_CASE("sweep: Pareto marks: dominated rows, ties, failed and incomplete rows", "[sim][sweep]") {
  const hermes::pareto_front f{"cost", "tps", "usd"};
  std::vector<nlohmann::json> rows = {
      row(10, 100),         // 0 on the front (cheapest)
      row(20, 200),         // 1 on the front
      row(15, 250),         // 2 dominated by 1
      row(20, 200),         // 3 equal to 1: both on the front
      row(20, 300),         // 4 as fast as 1, dearer: dominated
      row(30, 400),         // 5 on the front (fastest)
      row(50, 50, false),   // 6 unsupported: not a candidate, dominates nobody
      {{"supported", true}, {"tps", 40}},  // 7 no cost: not a candidate
      {{"supported", true}, {"tps", 40}, {"usd", nullptr}},  // 8 empty cost: not a candidate
      row(10, 100),         // 9 equal to 0: on the front
      row(5, 100),          // 10 as cheap as 0, slower: dominated
  };
  const auto m = hermes::pareto_marks(rows, f);
  const std::vector<nlohmann::json> want = {true, true, false, true, false, true, nullptr, nullptr, nullptr, true, false};
  CHECK(m == want);
  // The marks do not depend on the rows' order.
  std::vector<nlohmann::json> reversed(rows.rbegin(), rows.rend());
  auto mr = hermes::pareto_marks(reversed, f);
  std::reverse(mr.begin(), mr.end());
  CHECK(mr == want);
  // A table of points and records: the front's column is filled, a missing column noted.
  hermes::sweep_grid g;
  g.dimms = {2, 4, 8};
  const auto points = g.points();
  std::vector<nlohmann::json> records;
  for (const auto& p : points) records.push_back(hermes::run_sweep_point(fake_run, p));
  std::vector<std::string> notes;
  const auto t = hermes::make_sweep_table(
      points, records, {{"dimms", "end_to_end_tokens_per_second", "dimms"}, {"x", "end_to_end_tokens_per_second", "nope"}},
      [&](const std::string& n) { notes.push_back(n); });
  // Same tokens/s (batch x multipliers) on every point: the fewest DIMMs is the front.
  CHECK(t.rows[0]["pareto_dimms"] == true);
  CHECK(t.rows[1]["pareto_dimms"] == false);
  CHECK(t.rows[2]["pareto_dimms"] == false);
  CHECK(t.rows[0]["pareto_x"].is_null());
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] == "front x: no result has a column nope; pareto_x is left empty");
  const auto plots = hermes::make_sweep_plots(t);
  REQUIRE(plots.size() == 1);
  CHECK(plots[0].name == "pareto_dimms");
  CHECK(plots[0].candidates == 3);
  CHECK(plots[0].on_front == 1);
  CHECK(plots[0].script.find("set output 'pareto_dimms.png'") != std::string::npos);
}

TEST_CASE("sweep: a JSON grid file sets axes and fronts; errors name the key", "[sim][sweep]") {
  hermes::test::scratch_dir dir("sweep-grid");
  const auto system_name = [](std::string_view n) {
    if (n != "Hermes" && n != "FlexGen") throw hermes::invalid_parameter("system", std::string(n), "one of: Hermes, FlexGen");
    return std::string(n);
  };
  const auto write = [&](const std::string& text) {
    const auto p = dir.file("grid.json").string();
    std::ofstream(p) << text;
    return p;
  };
  hermes::sweep_grid g;
  const auto fronts = hermes::read_sweep_grid_file(
      write(R"({"models": ["opt-13b"], "systems": ["Hermes", "FlexGen"], "batches": [1, 4], "dimms": [4, 8],
               "gpus": ["rtx3090"], "multipliers": [128], "input_lens": [64], "output_lens": [32, 64],
               "pcie": ["PCIe4-x16"], "dimm_links": ["dimm-link"],
               "fronts": [{"name": "d", "maximise": "decode_tokens_per_second", "minimise": "dimms"}]})"),
      g, system_name);
  CHECK(g.models == std::vector<std::string>{"OPT-13B"});
  CHECK(g.gpus == std::vector<std::string>{"RTX3090"});
  CHECK(g.dimm_links == std::vector<std::string>{"DIMM-link"});
  CHECK(g.output_lens == std::vector<std::size_t>{32, 64});
  CHECK(g.points().size() == 16);
  REQUIRE(fronts);
  CHECK(*fronts == std::vector<hermes::pareto_front>{{"d", "decode_tokens_per_second", "dimms"}});
  const auto rejects = [&](const std::string& text, const std::string& message) {
    hermes::sweep_grid h;
    const auto p = write(text);
    CHECK_THROWS_WITH(hermes::read_sweep_grid_file(p, h, system_name), Catch::StartsWith(p + ": " + message));
  };
  rejects(R"({"dimms": [4, 0]})", "/dimms/1: 0 (a number) is invalid: expected an integer in 1..64");
  rejects(R"({"dimms": []})", "/dimms: [] (an array) is invalid: expected an array of 1..64 values");
  rejects(R"({"batches": [1.5]})", "/batches/0: 1.5 (a number) is invalid: expected an integer in 1..256");
  rejects(R"({"models": ["GPT-9"]})", "/models/0: \"GPT-9\" (a string) is invalid: expected one of: ");
  rejects(R"({"systems": ["Nope"]})", "/systems/0: \"Nope\" (a string) is invalid: expected one of: Hermes, FlexGen");
  rejects(R"({"dimm": [4]})",
          "/dimm: unknown key \"dimm\"; allowed here: models, systems, batches, input_lens, output_lens, dimms, gpus, "
          "multipliers, pcie, dimm_links, fronts");
  rejects(R"({"fronts": [{"name": "a", "maximise": "x"}]})", "/fronts/0: missing key \"minimise\"");
  rejects(R"({"dimms": [4], "dimms": [8]})", "/dimms: duplicate key \"dimms\": each key may appear once per object");
  rejects(R"([1])", "(top level): [1] (an array) is invalid: expected an object of axes");
}

TEST_CASE("sweep: every point is checked before the first run", "[sim][sweep]") {
  hermes::sweep_grid g;
  g.models = {"LLaMA-7B", "LLaMA2-7B"};
  g.base.workload.input_len = 2000;  // beyond LLaMA-7B's 2048-token context with 128 out
  std::ostringstream csv;
  std::size_t runs = 0;
  const auto count = [&](const hermes::sim_config& c) {
    ++runs;
    return fake_run(c);
  };
  CHECK_THROWS_WITH(hermes::run_sweep(g, count, csv, nullptr, {},
                                      [](const hermes::sim_config& c) { c.workload.validate(); }),
                    Catch::StartsWith("sweep point LLaMA-7B Hermes batch 1") &&
                        Catch::Contains("context of LLaMA-7B"));
  CHECK(runs == 0);
  CHECK(csv.str().empty());
}
