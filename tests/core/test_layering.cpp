// The layering of include/hermes (docs/architecture.md, "Layering"): a header includes only
// headers of its own folder or of folders below it, io/ sits beside the order (it may include
// anything below system/, nothing in the core includes it), a folder's detail/ headers are its
// own, and no header asks a device for its type or a system for its name outside the registry.
// GCC 12 at -O1 with the sanitizers (scripts/test.sh's second pass) warns that std::regex's
// internal std::function "may be used uninitialized": a false positive inside libstdc++'s
// <regex>, so that warning is off for this file alone.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Lowest first. io/ is not in the order: it is an optional component beside it.
constexpr std::array<const char*, 10> order = {"core",    "device", "model",   "activation",
                                               "predict", "map",    "layer",   "runtime",
                                               "sim",     "system"};

// The rank of a folder in the order; io/ ranks just below system/; -1 for the umbrella headers.
double rank_of(const std::string& folder) {
  for (std::size_t i = 0; i < order.size(); ++i)
    if (folder == order[i]) return static_cast<double>(i);
  if (folder == "io") return static_cast<double>(order.size()) - 1.5;
  return -1.0;
}

struct header {
  std::string path;    // relative to include/, e.g. "hermes/map/placement_problem.hpp"
  std::string folder;  // e.g. "map"; "" for hermes.hpp and all.hpp
  std::vector<std::string> lines;
};

std::vector<header> library_headers() {
  const fs::path include = fs::path(HERMES_SOURCE_DIR) / "include";
  std::vector<header> out;
  for (const auto& e : fs::recursive_directory_iterator(include / "hermes")) {
    if (!e.is_regular_file() || e.path().extension() != ".hpp") continue;
    header h;
    h.path = fs::relative(e.path(), include).generic_string();
    const fs::path rel = fs::relative(e.path(), include / "hermes");
    h.folder = std::distance(rel.begin(), rel.end()) > 1 ? rel.begin()->string() : std::string();
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) h.lines.push_back(line);
    out.push_back(std::move(h));
  }
  REQUIRE(out.size() > 50);
  return out;
}

const std::regex hermes_include(R"(^\s*#\s*include\s*"hermes/([a-z_]+)/([^"]*)\")");

}  // namespace

TEST_CASE("a header includes only its own folder and the folders below it") {
  std::vector<std::string> violations;
  for (const auto& h : library_headers()) {
    if (h.folder.empty()) continue;  // hermes.hpp, all.hpp: the umbrellas
    INFO(h.path);
    REQUIRE(rank_of(h.folder) >= 0.0);  // a new folder must take its place in the order
    for (std::size_t n = 0; n < h.lines.size(); ++n) {
      std::smatch m;
      if (!std::regex_search(h.lines[n], m, hermes_include)) continue;
      const std::string to = m[1];
      const bool io_from_core = to == "io" && h.folder != "io";
      if (io_from_core || rank_of(to) > rank_of(h.folder))
        violations.push_back(h.path + ":" + std::to_string(n + 1) + " includes hermes/" + to + "/" +
                             std::string(m[2]));
    }
  }
  for (const auto& v : violations) UNSCOPED_INFO(v);
  CHECK(violations.empty());
}

TEST_CASE("the core umbrella includes no optional component") {
  for (const auto& h : library_headers()) {
    if (h.path != "hermes/hermes.hpp") continue;
    for (const auto& line : h.lines) {
      INFO(line);
      CHECK(line.find("\"hermes/io/") == std::string::npos);
      CHECK(line.find("\"hermes/map/ilp_mapper.hpp\"") == std::string::npos);
    }
  }
}

TEST_CASE("a folder's detail/ headers are included only by that folder") {
  const std::regex detail_include(R"(^\s*#\s*include\s*"hermes/([a-z_]+)/detail/)");
  std::vector<std::string> violations;
  for (const auto& h : library_headers())
    for (std::size_t n = 0; n < h.lines.size(); ++n) {
      std::smatch m;
      if (std::regex_search(h.lines[n], m, detail_include) && m[1] != h.folder)
        violations.push_back(h.path + ":" + std::to_string(n + 1) + ": " + h.lines[n]);
    }
  for (const auto& v : violations) UNSCOPED_INFO(v);
  CHECK(violations.empty());
}

TEST_CASE("no header asks a device for its type") {
  const std::regex device_test(R"(is_same_v<\s*Cold|is_same_v<.*ndp_dimm|is_same_v<.*host_cpu|is_same_v<.*gpu>)");
  std::vector<std::string> violations;
  for (const auto& h : library_headers())
    for (std::size_t n = 0; n < h.lines.size(); ++n)
      if (std::regex_search(h.lines[n], device_test))
        violations.push_back(h.path + ":" + std::to_string(n + 1) + ": " + h.lines[n]);
  for (const auto& v : violations) UNSCOPED_INFO(v);
  CHECK(violations.empty());
}

TEST_CASE("only the registry compares a system's name") {
  const std::string names = "(Hermes|Accelerate|FlexGen|Deja ?Vu|TensorRT|IANUS|H2M2|NPU-MEM|LPDDR|GPU-dense)";
  const std::regex name_test("(==|!=)\\s*\"" + names + "|\"" + names + "[^\"]*\"\\s*(==|!=)|" +
                             "(starts_with|find|compare)\\(\\s*\"" + names);
  std::vector<std::string> violations;
  for (const auto& h : library_headers()) {
    if (h.path == "hermes/system/registry.hpp") continue;
    for (std::size_t n = 0; n < h.lines.size(); ++n)
      if (std::regex_search(h.lines[n], name_test))
        violations.push_back(h.path + ":" + std::to_string(n + 1) + ": " + h.lines[n]);
  }
  for (const auto& v : violations) UNSCOPED_INFO(v);
  CHECK(violations.empty());
}

TEST_CASE("the layering check sees a violation") {
  // The pattern the first test relies on, on lines it must flag and lines it must not.
  std::smatch m;
  const std::string upward = "#include \"hermes/map/placement_problem.hpp\"";
  REQUIRE(std::regex_search(upward, m, hermes_include));
  CHECK(m[1] == "map");
  CHECK(rank_of("map") > rank_of("device"));
  CHECK(rank_of("io") < rank_of("system"));
  CHECK(rank_of("io") > rank_of("sim"));
  const std::string system_include = "#include <hermes/map/placement.hpp>";
  CHECK_FALSE(std::regex_search(system_include, m, hermes_include));
}
