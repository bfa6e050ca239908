// core/input_file.hpp: what may be opened as an input file. A FIFO would block the reader, a
// device would never end, an oversized file would exhaust memory: each is named before opening.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "../support/scratch_dir.hpp"
#include "hermes/core/input_file.hpp"

TEST_CASE("input files: regular files within the cap only", "[core][input]") {
  hermes::test::scratch_dir dir("input-file");
  const auto file = dir.file("config.json");
  std::ofstream(file) << "{}\n";
  CHECK(hermes::input_file_problem(file, 1024).empty());
  CHECK(hermes::input_file_problem(file, 2) == "is 3 bytes, more than the 2 bytes such a file may have");
  // Missing files and directories are the caller's to word (each reader has its message).
  CHECK(hermes::input_file_problem(dir.file("missing.json"), 1024).empty());
  CHECK(hermes::input_file_problem(dir.path(), 1024).empty());
  const auto fifo = dir.file("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(hermes::input_file_problem(fifo, 1024) == "is a FIFO (named pipe), not a regular file");
  CHECK(hermes::input_file_problem("/dev/zero", 1024) == "is a device, not a regular file");
}
