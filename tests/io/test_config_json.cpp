// io/config_json.hpp: the JSON form of a simulation's configuration, both directions, and the
// errors a bad file gets (the JSON pointer of the offending value, unknown keys, wrong types).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>

#include "../support/scratch_dir.hpp"
#include "hermes/io/config_json.hpp"

using hermes::config_error;
using hermes::sim_config;
using json = nlohmann::ordered_json;

namespace {

sim_config applied(const std::string& text, sim_config base = {}) {
  hermes::apply_json(base, json::parse(text), "config.json");
  return base;
}

// The message of the config_error that applying (and validating) `text` throws.
std::string error_of(const std::string& text) {
  try {
    const sim_config c = applied(text);
    hermes::validate_config(c, "config.json");
  } catch (const config_error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string pointer_of(const std::string& text) {
  try {
    const sim_config c = applied(text);
    hermes::validate_config(c, "config.json");
  } catch (const config_error& e) {
    return e.pointer();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("config JSON: the default configuration round-trips bit-identically", "[sim][config_json]") {
  const sim_config defaults;
  const json written = hermes::to_json(defaults);
  const sim_config read = applied(written.dump());
  CHECK(hermes::to_json(read) == written);
  // Spot checks of values whose decimal form is not exact (SI base units, no prefix scaling).
  CHECK(read.hardware.pcie.latency == defaults.hardware.pcie.latency);
  CHECK(read.hardware.dimm_link.energy_per_bit == defaults.hardware.dimm_link.energy_per_bit);
  CHECK(read.hardware.dimm.dram.timing.tCK == defaults.hardware.dimm.dram.timing.tCK);
  CHECK(read.hardware.dimm.capacity == defaults.hardware.dimm.capacity);
  CHECK(read.workload.model.name == "LLaMA2-70B");
  CHECK(written["hardware"]["gpu"]["memory_bandwidth_Bps"].get<double>() == 1008e9);
}

TEST_CASE("config JSON: a changed configuration round-trips, writing every field", "[sim][config_json]") {
  sim_config c;
  c.system = "Hermes-base";
  c.hardware.gpu = hermes::gpu_presets::tesla_t4();
  c.hardware.dimms = 4;
  c.hardware.dimm.gemv.multipliers = 128;
  c.hardware.dimm.dram.address_mapping = {hermes::dram_field::column, hermes::dram_field::bank_group,
                                          hermes::dram_field::bank,   hermes::dram_field::rank,
                                          hermes::dram_field::row,    hermes::dram_field::channel};
  c.hardware.dimm.dram.row_policy = hermes::row_buffer_policy::closed;
  c.hardware.dimm.dram.timing.refresh = true;
  c.workload.model = hermes::model_presets::opt_13b();
  c.workload.batch = 4;
  c.workload.seed = 123456789012345ULL;
  c.workload.model_seed = 987654321ULL;
  c.workload.activations.ffn.sparsity = 0.85;
  c.trace = "run.trace";
  const json written = hermes::to_json(c);
  const sim_config read = applied(written.dump(2));
  CHECK(hermes::to_json(read) == written);
  CHECK(read.system == "Hermes-base");
  CHECK(read.hardware.gpu.name == "T4");
  CHECK(read.hardware.dimm.gemv.multipliers == 128);
  CHECK(read.hardware.dimm.dram.address_mapping == c.hardware.dimm.dram.address_mapping);
  CHECK(read.hardware.dimm.dram.row_policy == hermes::row_buffer_policy::closed);
  CHECK(read.workload.model.ffn_type == hermes::ffn_kind::relu);
  CHECK(read.workload.seed == 123456789012345ULL);
  CHECK(read.workload.model_seed == 987654321ULL);
  CHECK(read.trace == "run.trace");
}

TEST_CASE("config JSON: every key is optional and overlays the base", "[sim][config_json]") {
  const sim_config c = applied(R"({"hardware": {"dimms": 4}, "workload": {"batch": 8}})");
  CHECK(c.hardware.dimms == 4);
  CHECK(c.workload.batch == 8);
  CHECK(c.hardware.gpu.name == "RTX4090");  // untouched: the base's
  CHECK(c.workload.input_len == 128);
  CHECK(hermes::to_json(applied("{}")) == hermes::to_json(sim_config{}));
}

TEST_CASE("config JSON: presets by name, and objects starting from a preset", "[sim][config_json]") {
  SECTION("a string names a preset") {
    const sim_config c = applied(R"({"hardware": {"gpu": "rtx3090", "pcie": "PCIe4-paper",
                                     "host": "i9-13900K"}, "workload": {"model": "LLaMA-7B"}})");
    CHECK(c.hardware.gpu.name == "RTX3090");
    CHECK(c.hardware.gpu.memory_bandwidth == hermes::bandwidth(936e9));
    CHECK(c.hardware.pcie.bandwidth.value() == Approx(64e9));
    CHECK(c.hardware.pcie.pinned_fraction == 1.0);
    CHECK(c.workload.model.layers == 32);
  }
  SECTION("an object may start from a preset and override fields, in SI base units") {
    const sim_config c = applied(R"({"hardware": {"gpu": {"preset": "T4", "memory_bandwidth_Bps": 4e11}},
                                     "workload": {"model": {"preset": "OPT-13B", "layers": 4}}})");
    CHECK(c.hardware.gpu.name == "T4");
    CHECK(c.hardware.gpu.memory_capacity == hermes::bytes(16e9));
    CHECK(c.hardware.gpu.memory_bandwidth == hermes::bandwidth(4e11));
    CHECK(c.workload.model.name == "OPT-13B");
    CHECK(c.workload.model.layers == 4);
    CHECK(c.workload.model.hidden == 5120);
  }
  SECTION("an object without a preset overrides the base device") {
    const sim_config c = applied(R"({"hardware": {"pcie": {"latency_s": 1e-6}}})");
    CHECK(c.hardware.pcie.name == "PCIe4-x16");
    CHECK(c.hardware.pcie.latency == hermes::seconds(1e-6));
    const sim_config d = applied(R"({"hardware": {"pcie": {"full_duplex": false, "pinned_fraction": 0.5,
                                                           "pageable_fraction": 0.25}}})");
    CHECK_FALSE(d.hardware.pcie.full_duplex);
    CHECK(d.hardware.pcie.pinned_fraction == 0.5);
    CHECK(d.hardware.pcie.pageable_fraction == 0.25);
  }
  SECTION("integral floats are integers") {
    CHECK(applied(R"({"hardware": {"dimms": 6.0}})").hardware.dimms == 6);
  }
}

TEST_CASE("config JSON: bad values are reported at their JSON pointer", "[sim][config_json]") {
  CHECK(error_of(R"({"hardware": {"dimm": {"gemv": {"multipliers": -3}}}})") ==
        "config.json: /hardware/dimm/gemv/multipliers: -3 (a number) is invalid: expected an integer >= 1");
  CHECK(error_of(R"({"hardware": {"pcie": {"bandwidth_Bps": -5e9}}})") ==
        "config.json: /hardware/pcie/bandwidth_Bps: -5000000000.0 (a number) is invalid: expected a number > 0");
  CHECK(pointer_of(R"({"hardware": {"dimms": 0}})") == "/hardware/dimms");
  CHECK(error_of(R"({"hardware": {"dimms": 0}})").find("expected an integer in 1..64") != std::string::npos);
  CHECK(pointer_of(R"({"workload": {"batch": 0}})") == "/workload/batch");
  CHECK(pointer_of(R"({"workload": {"batch": 2.5}})") == "/workload/batch");
  CHECK(pointer_of(R"({"hardware": {"gpu": {"dense_bandwidth_efficiency": 1.5}}})") ==
        "/hardware/gpu/dense_bandwidth_efficiency");
  CHECK(pointer_of(R"({"workload": {"activations": {"ffn": {"sparsity": 1.0}}}})") ==
        "/workload/activations/ffn/sparsity");
  CHECK(pointer_of(R"({"hardware": {"dimm": {"dram": {"timing": {"tRC": 0}}}}})") ==
        "/hardware/dimm/dram/timing/tRC");
  CHECK(pointer_of(R"({"hardware": {"dimm": {"dram": {"address_mapping": ["rank", "bank_group", "col"]}}}})") ==
        "/hardware/dimm/dram/address_mapping/2");
  CHECK(pointer_of(R"({"workload": {"model": {"ffn_type": "silu"}}})") == "/workload/model/ffn_type");
  CHECK(error_of(R"({"workload": {"model": {"ffn_type": "silu"}}})")
            .find(R"(expected one of "relu", "swiglu", "relu_glu", "gelu")") != std::string::npos);
  CHECK(pointer_of(R"({"workload": {"model": {"preset": "LLaMA-7B", "heads": 30}}})") == "/workload/model/heads");
}

TEST_CASE("config JSON: wrong types are named", "[sim][config_json]") {
  CHECK(error_of(R"({"workload": {"batch": "4"}})") ==
        R"(config.json: /workload/batch: "4" (a string) is invalid: expected an integer in 1..256)");
  CHECK(error_of(R"({"hardware": {"dimm": {"dram": {"timing": {"refresh": 1}}}}})") ==
        "config.json: /hardware/dimm/dram/timing/refresh: 1 (a number) is invalid: expected true or false");
  CHECK(error_of(R"({"hardware": []})") ==
        "config.json: /hardware: [] (an array) is invalid: expected an object");
  CHECK(error_of(R"([1, 2])") == "config.json: (top level): [1,2] (an array) is invalid: expected an object");
  CHECK(pointer_of(R"({"hardware": {"gpu": 4090}})") == "/hardware/gpu");
  CHECK(pointer_of(R"({"system": ""})") == "/system");
}

TEST_CASE("config JSON: unknown keys are rejected with the allowed ones", "[sim][config_json]") {
  const std::string e = error_of(R"({"hardware": {"gpu": {"memory_bandwith_Bps": 1e12}}})");
  CHECK(e.rfind("config.json: /hardware/gpu/memory_bandwith_Bps: unknown key \"memory_bandwith_Bps\"; allowed here: ", 0) == 0);
  CHECK(e.find("memory_bandwidth_Bps") != std::string::npos);
  CHECK(e.find("preset") != std::string::npos);
  // A unit the scheme does not use is a typo too.
  CHECK(pointer_of(R"({"hardware": {"pcie": {"latency_us": 5}}})") == "/hardware/pcie/latency_us");
  CHECK(pointer_of(R"({"hardwar": {}})") == "/hardwar");
  CHECK(pointer_of(R"({"workload": {"activations": {"seed": 3}}})") == "/workload/activations/seed");
}

TEST_CASE("config JSON: unknown presets list the valid names", "[sim][config_json]") {
  const std::string e = error_of(R"({"hardware": {"gpu": "RTX5090"}})");
  CHECK(e.rfind(R"(config.json: /hardware/gpu: "RTX5090" (a string) is not a preset: expected one of: RTX4090)", 0) == 0);
  const std::string m = error_of(R"({"workload": {"model": {"preset": "GPT-5"}}})");
  CHECK(m.rfind("config.json: /workload/model/preset: ", 0) == 0);
  CHECK(m.find("LLaMA2-70B") != std::string::npos);
}

TEST_CASE("config JSON: validate() errors carry the path of the value they name", "[sim][config_json]") {
  // Cross-field checks only validate() knows.
  CHECK(error_of(R"({"hardware": {"gpu_reserved_B": 3e10}})") ==
        "config.json: /hardware/gpu_reserved_B: 3e+10 is invalid: expected less than the GPU memory (2.4e+10 B)");
  CHECK(pointer_of(R"({"hardware": {"dimm": {"dram": {"timing": {"tRC": 10}}}}})") ==
        "/hardware/dimm/dram/timing/tRC");
  CHECK(pointer_of(R"({"hardware": {"dimm": {"capacity_B": 1e12}}})") == "/hardware/dimm/capacity_B");
  CHECK(pointer_of(R"({"hardware": {"dimm": {"dram": {"address_mapping":
                      ["rank", "rank", "column", "bank", "row", "channel"]}}}})") ==
        "/hardware/dimm/dram/address_mapping");
  // A check over two keys is reported at their object, naming both.
  CHECK(error_of(R"({"workload": {"input_len": 4000}})") ==
        "config.json: /workload: workload.input_len + output_len = 4128 is invalid: expected at most the "
        "context of LLaMA2-70B (4096 tokens)");
}

TEST_CASE("config JSON: a key given twice is reported at its pointer, in objects and arrays", "[sim][config_json]") {
  const auto pointer = [](const std::string& text) {
    try {
      (void)hermes::parse_config_text(text, "config.json");
    } catch (const config_error& e) {
      return e.pointer();
    }
    return std::string("(no error)");
  };
  CHECK(pointer(R"({"system": "Hermes", "system": "FlexGen"})") == "/system");
  CHECK(pointer(R"({"workload": {"model": {"preset": "OPT-13B", "layers": 2, "layers": 3}}})") ==
        "/workload/model/layers");
  // Arrays count their elements; the same key in two sibling objects is not a repetition.
  CHECK(pointer(R"({"a": [1, {"x": 1}, {"x": 1, "y/z": 2, "y/z": 3}]})") == "/a/2/y~1z");
  CHECK(pointer(R"({"a": {"x": 1}, "b": {"x": 1}, "c": [[], [1, 2]]})") == "(no error)");
  CHECK(pointer(R"({"a": [[{"k": 1}], {"k": [1, 2], "k": 0}]})") == "/a/1/k");
  CHECK(hermes::parse_config_text(R"({"hardware": {"dimms": 4}})", "x")["hardware"]["dimms"] == 4);
}

TEST_CASE("config JSON: files", "[sim][config_json]") {
  hermes::test::scratch_dir dir("config-json");
  SECTION("a written file reads back") {
    sim_config c;
    c.workload.model = hermes::model_presets::llama_7b();
    c.hardware.dimms = 2;
    const auto path = dir.file("run.json").string();
    std::ofstream(path) << hermes::to_json(c).dump(2);
    const sim_config read = hermes::read_config_file(path);
    CHECK(hermes::to_json(read) == hermes::to_json(c));
  }
  SECTION("a missing file and bad JSON name the file") {
    const auto missing = dir.file("missing.json").string();
    CHECK_THROWS_WITH(hermes::read_config_file(missing), Catch::Contains(missing) && Catch::Contains("cannot open"));
    const auto bad = dir.file("bad.json").string();
    std::ofstream(bad) << "{\"hardware\": {\"dimms\": 4,}}";
    CHECK_THROWS_WITH(hermes::read_config_file(bad), Catch::StartsWith(bad + ": not valid JSON"));
  }
  SECTION("a directory, a number beyond double and a repeated key are errors, not crashes or silence") {
    const std::string directory = dir.file("").string();
    CHECK_THROWS_MATCHES(hermes::read_config_file(directory), config_error,
                         Catch::Message(directory + ": is a directory: expected a JSON file"));
    const auto huge = dir.file("huge.json").string();
    std::ofstream(huge) << R"({"workload": {"batch": 1e400}})";
    CHECK_THROWS_MATCHES(hermes::read_config_file(huge), config_error,
                         Catch::Message(huge + ": not valid JSON: [json.exception.out_of_range.406] number overflow parsing '1e400'"));
    const auto twice = dir.file("twice.json").string();
    std::ofstream(twice) << R"({"hardware": {"dimms": 4, "dimms": 2}})";
    CHECK_THROWS_MATCHES(hermes::read_config_file(twice), config_error,
                         Catch::Message(twice + R"(: /hardware/dimms: duplicate key "dimms": each key may appear once per object)"));
  }
  SECTION("read_config_file validates") {
    const auto path = dir.file("neg.json").string();
    std::ofstream(path) << R"({"hardware": {"host": {"memory_bandwidth_Bps": -1}}})";
    CHECK_THROWS_WITH(hermes::read_config_file(path),
                      Catch::StartsWith(path + ": /hardware/host/memory_bandwidth_Bps: -1 (a number) is invalid"));
  }
}

TEST_CASE("config JSON: nesting is capped while parsing", "[sim][config_json]") {
  const auto parse_error = [](const std::string& text) {
    try {
      (void)hermes::parse_config_text(text, "config.json");
    } catch (const config_error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const auto nested = [](std::size_t levels, const std::string& open, const std::string& close) {
    std::string s;
    for (std::size_t i = 0; i < levels; ++i) s += open;
    s += "1";
    for (std::size_t i = 0; i < levels; ++i) s += close;
    return s;
  };
  // 64 levels parse (then fail as a configuration, which is not the parser's business).
  CHECK(parse_error(nested(64, "[", "]")) == "(no error)");
  CHECK(parse_error(nested(63, "{\"a\":", "}")) == "(no error)");
  CHECK(parse_error("{\"x\": " + nested(63, "[", "]") + "}") == "(no error)");
  // One more is refused at the pointer of the container that is too deep.
  CHECK_THAT(parse_error(nested(65, "[", "]")),
             Catch::StartsWith("config.json: /0/0/0") && Catch::Contains("nested deeper than 64 levels"));
  CHECK_THAT(parse_error("{\"x\": " + nested(64, "[", "]") + "}"), Catch::Contains("/x/0/0"));
  // Half a million levels neither overflow the stack nor take long: the parse stops at 65.
  const auto start = std::chrono::steady_clock::now();
  CHECK_THAT(parse_error(nested(500000, "[", "]")), Catch::Contains("nested deeper than 64 levels"));
  CHECK_THAT(parse_error(std::string(500000, '[')), Catch::Contains("nested deeper than 64 levels"));
  CHECK_THAT(parse_error(nested(500000, "{\"a\":", "}")), Catch::Contains("nested deeper than 64 levels"));
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 10.0);
}

TEST_CASE("config JSON: messages show a bounded preview of a value or key", "[sim][config_json]") {
  const std::string long_text(100000, 'x');
  SECTION("a long string value") {
    const std::string m = error_of(R"({"hardware": {"gpu": ")" + long_text + R"("}})");
    CHECK(m.size() < 600);
    CHECK_THAT(m, Catch::Contains("\"xxxxxxxxxx") && Catch::Contains("... (a string)"));
  }
  SECTION("a large array where a number belongs") {
    std::string big = "[";
    for (int i = 0; i < 100000; ++i) {  // appends: "," + x trips g++ 12's -Wrestrict
      if (i) big += ',';
      big += std::to_string(i);
    }
    big += "]";
    const std::string m = error_of(R"({"workload": {"batch": )" + big + "}}");
    CHECK(m.size() < 300);
    CHECK_THAT(m, Catch::Contains("[0,1,2,3") && Catch::Contains("... (an array)"));
  }
  SECTION("a deep value (built in memory, beyond the parser's cap) is shown without recursing through it") {
    json deep = 1;
    for (int i = 0; i < 100000; ++i) {
      json outer = json::array();
      outer.push_back(std::move(deep));
      deep = std::move(outer);
    }
    json top = json::object();
    top["system"] = std::move(deep);
    std::string m;
    try {
      sim_config c;
      hermes::apply_json(c, top, "config.json");
    } catch (const config_error& e) {
      m = e.what();
    }
    CHECK_THAT(m, Catch::Contains("/system: [[[[") && Catch::Contains("... (an array)"));
  }
  SECTION("a long unknown key, and a long duplicate key") {
    const std::string m = error_of("{\"" + long_text + "\": 1}");
    CHECK(m.size() < 400);
    CHECK_THAT(m, Catch::Contains("unknown key \"xxxx") && Catch::Contains("...\""));
    std::string dup;
    try {
      (void)hermes::parse_config_text("{\"" + long_text + "\": 1, \"" + long_text + "\": 2}", "config.json");
    } catch (const config_error& e) {
      dup = e.what();
    }
    CHECK(dup.size() < 300);
    CHECK_THAT(dup, Catch::Contains("duplicate key \"xxx"));
  }
}

TEST_CASE("config JSON: the kernel-level systems' hardware round-trips", "[sim][config_json]") {
  sim_config c;
  c.hardware.npu.cores = 8;
  c.hardware.npu.clock_hz = 1.1e9;
  c.hardware.npu.weight_spm = hermes::bytes(3.3e6);
  c.hardware.pim = hermes::pim_presets::aim_gddr6(4);
  c.hardware.pim.pu_clock_hz = 1.25e9;
  c.hardware.pim.read_energy_pj_per_bit = 6.1;
  c.hardware.pim.dram.row_policy = hermes::row_buffer_policy::closed;
  c.hardware.npu_dram = hermes::dram_presets::gddr6_16gbps(4);
  c.hardware.bandwidth_node.kernel_overhead = hermes::seconds(1.7e-6);
  c.hardware.capacity_node.bandwidth_efficiency = 0.7;
  c.hardware.homogeneous_node = hermes::memory_node_presets::capacity_node();
  c.hardware.node_link = hermes::link_presets::pcie4_x16();
  const json written = hermes::to_json(c);
  for (const char* key : {"npu", "pim", "npu_dram", "bandwidth_node", "capacity_node", "homogeneous_node", "node_link"})
    CHECK(written["hardware"].contains(key));
  CHECK(written["hardware"]["npu"]["clock_Hz"].get<double>() == 1.1e9);
  CHECK(written["hardware"]["pim"]["dram"]["organization"]["channels"] == 4);
  CHECK(written["hardware"]["bandwidth_node"]["kernel_overhead_s"].get<double>() == 1.7e-6);
  CHECK(written["hardware"]["capacity_node"]["peak_FLOPS"].get<double>() == 989.4e12);
  const sim_config read = applied(written.dump(2));
  CHECK(hermes::to_json(read) == written);
  const hermes::hardware_config& h = read.hardware;
  CHECK(h.npu.cores == 8);
  CHECK(h.npu.clock_hz == 1.1e9);
  CHECK(h.npu.weight_spm == hermes::bytes(3.3e6));
  CHECK(h.npu.activation_spm == c.hardware.npu.activation_spm);
  CHECK(h.pim.name == c.hardware.pim.name);
  CHECK(h.pim.dram.organization.channels == 4);
  CHECK(h.pim.dram.timing.tCK == c.hardware.pim.dram.timing.tCK);
  CHECK(h.pim.dram.row_policy == hermes::row_buffer_policy::closed);
  CHECK(h.pim.dram.address_mapping == c.hardware.pim.dram.address_mapping);
  CHECK(h.pim.pu_clock_hz == 1.25e9);
  CHECK(h.pim.global_buffer == c.hardware.pim.global_buffer);
  CHECK(h.pim.read_energy_pj_per_bit == 6.1);
  CHECK(h.npu_dram.organization.channels == 4);
  CHECK(h.npu_dram.name == c.hardware.npu_dram.name);
  CHECK(h.bandwidth_node.kernel_overhead == hermes::seconds(1.7e-6));
  CHECK(h.capacity_node.bandwidth_efficiency == 0.7);
  CHECK(h.homogeneous_node.name == "LPDDR5X-node");
  CHECK(h.homogeneous_node.peak == c.hardware.capacity_node.peak);
  CHECK(h.node_link.name == "PCIe4-x16");
  CHECK(h.node_link.latency == c.hardware.node_link.latency);
  CHECK_NOTHROW(hermes::validate_config(read, "config.json"));
}

TEST_CASE("config JSON: kernel-level devices by preset name or as objects", "[sim][config_json]") {
  SECTION("preset names") {
    const sim_config c = applied(R"({"hardware": {"npu": "ianus-npu", "bandwidth_node": "LPDDR5X-node",
                                     "homogeneous_node": "hbm3-node", "node_link": "PCIe4-paper"}})");
    CHECK(c.hardware.npu.name == "IANUS-NPU");
    CHECK(c.hardware.bandwidth_node.name == "LPDDR5X-node");
    CHECK(c.hardware.bandwidth_node.capacity == hermes::memory_node_presets::capacity_node().capacity);
    CHECK(c.hardware.homogeneous_node.name == "HBM3-node");
    CHECK(c.hardware.node_link.name == "PCIe4-paper");
    CHECK(c.hardware.capacity_node.name == "LPDDR5X-node");  // untouched: the base's
  }
  SECTION("an object overrides one field of the base or of a named preset") {
    const sim_config c = applied(R"({"hardware": {"npu": {"cores": 2},
                                     "capacity_node": {"preset": "HBM3-node", "capacity_B": 1.2e11},
                                     "node_link": {"latency_s": 2e-6},
                                     "pim": {"tile_columns": 512, "dram": {"timing": {"tCL": 30}}},
                                     "npu_dram": {"organization": {"channels": 4}}}})");
    CHECK(c.hardware.npu.cores == 2);
    CHECK(c.hardware.npu.mu_rows == 128);
    CHECK(c.hardware.capacity_node.name == "HBM3-node");
    CHECK(c.hardware.capacity_node.capacity == hermes::bytes(1.2e11));
    CHECK(c.hardware.capacity_node.memory_bandwidth == hermes::memory_node_presets::bandwidth_node().memory_bandwidth);
    CHECK(c.hardware.node_link.name == "NVLink-C2C");
    CHECK(c.hardware.node_link.latency == hermes::seconds(2e-6));
    CHECK(c.hardware.pim.tile_columns == 512);
    CHECK(c.hardware.pim.dram.timing.tCL == 30);
    CHECK(c.hardware.pim.dram.organization.channels == 8);
    CHECK(c.hardware.npu_dram.organization.channels == 4);
    CHECK_NOTHROW(hermes::validate_config(c, "config.json"));
  }
}

TEST_CASE("config JSON: bad kernel-level hardware is reported at its JSON pointer", "[sim][config_json]") {
  CHECK(error_of(R"({"hardware": {"npu": {"cores": 0}}})") ==
        "config.json: /hardware/npu/cores: 0 (a number) is invalid: expected an integer in 1..1024");
  CHECK(error_of(R"({"hardware": {"npu": {"clock_Hz": -7e8}}})") ==
        "config.json: /hardware/npu/clock_Hz: -700000000.0 (a number) is invalid: expected a number > 0");
  // validate()'s upper bound, at the key (the field npu.clock_hz is the key clock_Hz).
  CHECK(error_of(R"({"hardware": {"npu": {"clock_Hz": 2e11}}})") ==
        "config.json: /hardware/npu/clock_Hz: 2e+11 is invalid: expected a clock in (0, 1e11] Hz");
  const std::string node = error_of(R"({"hardware": {"capacity_node": "DDR4-node"}})");
  CHECK(node == R"(config.json: /hardware/capacity_node: "DDR4-node" (a string) is not a preset: expected one of: )"
                "HBM3-node, LPDDR5X-node, LPDDR5X-only");
  CHECK(pointer_of(R"({"hardware": {"homogeneous_node": {"preset": 3}}})") == "/hardware/homogeneous_node/preset");
  const std::string npu = error_of(R"({"hardware": {"npu": "TPUv4"}})");
  CHECK(npu == R"(config.json: /hardware/npu: "TPUv4" (a string) is not a preset: expected one of: IANUS-NPU)");
  const std::string pim = error_of(R"({"hardware": {"pim": {"pu_clock": 1e9}}})");
  CHECK(pim.rfind(R"(config.json: /hardware/pim/pu_clock: unknown key "pu_clock"; allowed here: name, dram, pu_clock_Hz,)", 0) == 0);
  CHECK(pointer_of(R"({"hardware": {"pim": "AiM"}})") == "/hardware/pim");
  CHECK(pointer_of(R"({"hardware": {"npu_dram": {"timing": {"tRC": 0}}}})") == "/hardware/npu_dram/timing/tRC");
  CHECK(pointer_of(R"({"hardware": {"pim": {"dram": {"organization": {"channels": 0}}}}})") ==
        "/hardware/pim/dram/organization/channels");
  CHECK(pointer_of(R"({"hardware": {"bandwidth_node": {"compute_efficiency": 1.5}}})") ==
        "/hardware/bandwidth_node/compute_efficiency");
  CHECK(pointer_of(R"({"hardware": {"node_link": {"bandwidth_Bps": 0}}})") == "/hardware/node_link/bandwidth_Bps");
  // validate()'s cross-field checks, at the value they name.
  CHECK(error_of(R"({"hardware": {"pim": {"tile_columns": 4096}}})") ==
        "config.json: /hardware/pim/tile_columns: 4096 is invalid: expected a block of BF16 inputs that fits the "
        "global buffer: at most 1024 columns");
  CHECK(pointer_of(R"({"hardware": {"pim": {"dram": {"timing": {"tRC": 1}}}}})") == "/hardware/pim/dram/timing/tRC");
  CHECK(pointer_of(R"({"hardware": {"bandwidth_node": {"name": ""}}})") == "/hardware/bandwidth_node/name");
}
