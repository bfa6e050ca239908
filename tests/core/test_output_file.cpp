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

TEST_CASE("output_file: a device or a pipe is written in place, never replaced by a file", "[core][output]") {
  namespace fs = std::filesystem;
  // /dev/null takes the bytes and stays a device.
  hermes::write_file("/dev/null", "discarded\n");
  CHECK(fs::is_character_file("/dev/null"));
  // /dev/full refuses them: an error at commit, and the device node is still there (renaming a
  // temporary file over it would need write access to /dev and replace the node).
  {
    hermes::output_file f("/dev/full");
    f.stream() << std::string(1 << 16, 'x');
    CHECK_THROWS_WITH(f.commit(), Catch::Contains("/dev/full") && Catch::Contains("writing failed"));
  }
  CHECK(fs::is_character_file("/dev/full"));
}

TEST_CASE("output_file: through a symbolic link the file it names is replaced, the link stays", "[core][output]") {
  namespace fs = std::filesystem;
  hermes::test::scratch_dir dir("output-link");
  const auto real = dir.file("real.csv");
  const auto link = dir.file("link.csv");
  std::ofstream(real) << "old\n";
  fs::create_symlink(real, link);
  hermes::write_file(link, "new\n");
  CHECK(fs::is_symlink(link));
  CHECK(read(real) == "new\n");
  CHECK(entries(dir.path()) == 2);
}
