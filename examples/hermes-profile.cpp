// hermes-profile: turns activation data into the per-neuron frequency profile the offline
// mapper (Hermes Sec IV-B) and the predictor initialisation consume.
//
//   hermes-profile --from-trace FILE [--begin T] [--end T] --out profile.csv|profile.json
//       frequencies over tokens [begin, end) of a recorded trace file
//   hermes-profile --from-csv FILE [--layers L --attention A --ffn F] --out profile.csv|profile.json
//       validates a CSV profile (against the model layout when given) and converts it
//   hermes-profile --synthesize --layers L --attention A --ffn F --tokens N [--seed S] --out FILE.trace
//       writes a synthetic trace with the calibrated defaults
// Wherever a layout (--layers --attention --ffn) is accepted, --model NAME gives it from a model
// preset instead (model/presets.hpp, e.g. --model llama2-70b).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "hermes/activation/profile.hpp"
#include "hermes/activation/synthetic_source.hpp"
#include "hermes/activation/trace_file.hpp"
#include "hermes/model/presets.hpp"

namespace {
int usage() {
  std::cerr << "usage:\n"
               "  hermes-profile --from-trace FILE [--begin T] [--end T] --out profile.csv|profile.json\n"
               "  hermes-profile --from-csv FILE [--layers L --attention A --ffn F] --out profile.csv|profile.json\n"
               "  hermes-profile --synthesize --layers L --attention A --ffn F --tokens N [--seed S] --out FILE.trace\n"
               "  (--model NAME in place of --layers --attention --ffn: a model preset, e.g. llama2-70b)\n";
  return 2;
}
std::size_t number(const std::map<std::string, std::string>& a, const std::string& key) {
  const auto it = a.find(key);
  if (it == a.end()) throw hermes::invalid_parameter(key, "missing", "a non-negative integer");
  std::size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(it->second, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (pos != it->second.size() || it->second.empty() || it->second[0] == '-')
    throw hermes::invalid_parameter(key, it->second, "a non-negative integer");
  return static_cast<std::size_t>(v);
}
std::optional<hermes::trace_layout> layout_from(const std::map<std::string, std::string>& a) {
  if (a.count("--model")) {
    if (a.count("--layers") || a.count("--attention") || a.count("--ffn"))
      throw hermes::invalid_parameter("--model", a.at("--model"),
                                      "either --model or --layers/--attention/--ffn, not both");
    return hermes::trace_layout::of(hermes::find_model_preset(a.at("--model")));
  }
  if (!a.count("--layers") && !a.count("--attention") && !a.count("--ffn")) return std::nullopt;
  return hermes::trace_layout{number(a, "--layers"), number(a, "--attention"), number(a, "--ffn")};
}
void write_profile(const hermes::frequency_profile& p, const std::string& out) {
  std::ofstream os(out);
  if (!os) throw hermes::error("cannot open " + out + " for writing");
  if (out.size() >= 5 && out.substr(out.size() - 5) == ".json") os << p.to_json().dump() << '\n';
  else p.write_csv(os);
  if (!os) throw hermes::error("writing " + out + " failed");
}
}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> a;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (key == "--synthesize") a[key] = "";
    else if (key.rfind("--", 0) == 0 && i + 1 < argc) a[key] = argv[++i];
    else return usage();
  }
  if (!a.count("--out")) return usage();
  try {
    const std::string out = a["--out"];
    if (a.count("--from-trace")) {
      const auto trace = hermes::load_trace(a["--from-trace"], layout_from(a));
      const std::size_t begin = a.count("--begin") ? number(a, "--begin") : 0;
      const std::size_t end = a.count("--end") ? number(a, "--end") : trace.tokens();
      write_profile(hermes::frequency_profile::from_trace(trace, begin, end), out);
    } else if (a.count("--from-csv")) {
      std::ifstream is(a["--from-csv"]);
      if (!is) throw hermes::error("cannot open " + a["--from-csv"]);
      write_profile(hermes::frequency_profile::read_csv(is, a["--from-csv"], layout_from(a)), out);
    } else if (a.count("--synthesize")) {
      const auto layout = layout_from(a);
      if (!layout) return usage();
      hermes::synthetic_config c;
      if (a.count("--seed")) c.seed = number(a, "--seed");
      hermes::synthetic_source src(*layout, c);
      hermes::save_trace(out, hermes::record(src, number(a, "--tokens")));
    } else {
      return usage();
    }
  } catch (const hermes::error& e) {
    std::cerr << "hermes-profile: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
