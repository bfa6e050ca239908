// core/output_file.hpp: a file is replaced only by a complete, checked write; an abandoned write
// leaves the previous contents and no temporary file behind.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "../support/scratch_dir.hpp"
#include "hermes/core/output_file.hpp"

namespace {
std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
std::size_t entries(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}
}  // namespace

TEST_CASE("output_file: commit replaces the target, abandoning keeps it", "[core][output]") {
  hermes::test::scratch_dir dir("output-file");
  const auto target = dir.file("result.csv");
  hermes::write_file(target, "old\n");
  REQUIRE(read(target) == "old\n");
  {
    hermes::output_file f(target);
    f.stream() << "half of a new fi";
    // no commit: an error or an interruption before the end
  }
  CHECK(read(target) == "old\n");
  CHECK(entries(dir.path()) == 1);  // the temporary file is gone
  {
    hermes::output_file f(target);
    f.stream() << "new\n";
    CHECK(read(target) == "old\n");  // nothing is visible before the commit
    f.commit();
  }
  CHECK(read(target) == "new\n");
  CHECK(entries(dir.path()) == 1);
}

TEST_CASE("output_file: a target that cannot be written is an error naming it", "[core][output]") {
  hermes::test::scratch_dir dir("output-file-bad");
  CHECK_THROWS_WITH(hermes::output_file(dir.path()), Catch::Contains("is a directory"));
  const auto missing = dir.file("no-such-folder") / "out.csv";
  CHECK_THROWS_WITH(hermes::output_file(missing), Catch::Contains("no-such-folder"));
}
