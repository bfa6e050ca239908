// hermes_apps/sweep.hpp: the grid expands in a fixed nested order, every point is checked before the
// first run, and the CSV has one row per point, unsupported and failed runs included.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

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
  CHECK(header == hermes::sweep_columns());
  const std::vector<std::string> leading = {"model", "system", "gpu", "dimms", "multipliers",
                                            "batch", "input_len", "output_len", "supported", "reason"};
  CHECK(std::vector<std::string>(header.begin(), header.begin() + 10) == leading);
  for (const char* c : {"decode_tokens_per_second", "seconds_prefill", "seconds_decode", "breakdown_gpu_compute",
                        "breakdown_pcie", "breakdown_sync", "cold_load_imbalance", "prediction_accuracy",
                        "placement_gap"})
    CHECK(std::find(header.begin(), header.end(), c) != header.end());

  const auto tps = column(header, "decode_tokens_per_second");
  const auto acc = column(header, "prediction_accuracy");
  const auto gpu = column(header, "breakdown_gpu_compute");
  // Row 2 (index 2 after the header): OPT-13B, Hermes, batch 1, 8 DIMMs, 128 multipliers.
  const auto r2 = fields_of(lines[2]);
  REQUIRE(r2.size() == header.size());
  CHECK(r2[0] == "OPT-13B");
  CHECK(r2[1] == "Hermes");
  CHECK(r2[3] == "8");
  CHECK(r2[4] == "128");
  CHECK(r2[5] == "1");
  CHECK(r2[8] == "true");
  CHECK(r2[tps] == "128.0");
  CHECK(r2[acc] == "0.5");
  CHECK(r2[gpu] == "0.25");
  // A failed run names the error; an unsupported one its reason (quoted: it has a comma).
  const auto r1 = fields_of(lines[1]);
  CHECK(r1[8] == "false");
  CHECK(r1[9] == "error: three DIMMs break the stand-in");
  CHECK(r1[3] == "3");
  const auto r4 = fields_of(lines[4]);  // OPT-13B, Hermes, batch 4, 8 DIMMs
  CHECK(r4[8] == "false");
  CHECK(r4[9] == "does not fit, really");
  CHECK(r4[3] == "8");  // the point's axis values, not the result's zeros
  CHECK(r4[5] == "4");
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
