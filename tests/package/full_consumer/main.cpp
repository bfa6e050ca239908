// The optional components, as an installed package: a configuration read from JSON
// (hermes/io/config_json.hpp) and a small placement solved by CBC (hermes/map/ilp_mapper.hpp).
#include <hermes/io/config_json.hpp>
#include <hermes/io/result_json.hpp>
#include <hermes/map/ilp_mapper.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main() {
  using namespace hermes;
  sim_config c;
  apply_json(c, parse_config_text(R"({"workload": {"model": "OPT-13B", "batch": 4}, "hardware": {"dimms": 4}})",
                                   "consumer.json"),
             "consumer.json");
  validate_config(c, "consumer.json");
  bool rejected = false;
  try {
    sim_config bad = c;
    apply_json(bad, parse_config_text(R"({"workload": {"batch": 0}})", "bad.json"), "bad.json");
    validate_config(bad, "bad.json");
  } catch (const config_error& e) {
    rejected = std::string(e.what()).find("/workload/batch") != std::string::npos;
  }

  // Two layers of four neurons on two DIMMs; the GPU holds three neurons' copies.
  placement_problem p;
  p.dimms = 2;
  p.sync_time = seconds(0.01);
  for (int l = 0; l < 2; ++l) {
    placement_layer layer;
    layer.name = "layer " + std::to_string(l);
    layer.frequency = {0.9, 0.5, 0.2, 0.05};
    layer.neuron_bytes = bytes(2.0);
    layer.gpu_time_per_activation = seconds(0.2);
    layer.dimm_time_per_activation = seconds(1.0);
    p.layers.push_back(layer);
  }
  p.gpu_capacity = bytes(6.0);
  p.dimm_capacity = bytes(10.0);
  ilp_options o;
  o.group_size = 1;
  const placement_result r = ilp_mapper(o).place(p);

  const bool ok = c.workload.model.name == "OPT-13B" && c.workload.batch == 4 && c.hardware.dimms == 4 &&
                  rejected && r.cbc.ran && r.objective >= r.lower_bound &&
                  to_json(sim_result::unsupported("m", "s", "why"))["reason"] == "why";
  std::printf("full consumer: %s batch %zu on %zu DIMMs from JSON; placement %s, %.4f s (LP bound %.4f s)\n",
              c.workload.model.name.c_str(), c.workload.batch, c.hardware.dimms, std::string(to_string(r.method)).c_str(),
              r.objective.value(), r.lower_bound.value());
  return ok ? 0 : 1;
}
