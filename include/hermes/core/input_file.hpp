#pragma once
// Input files are regular files of a bounded size. Opening a FIFO blocks until a writer comes,
// and a device (/dev/zero) never ends: both would hang or exhaust a program instead of failing.
// Every reader asks input_file_problem() before it opens a path and reports the answer with its
// own field name; the caps are per kind of file (the constants below, docs/user-guide.md).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "hermes/core/error.hpp"

namespace hermes {

// Size caps per kind of input file: far above any real file of the kind, far below what would
// exhaust the machine.
namespace input_caps {
inline constexpr std::uint64_t config_json = 16ull << 20;     // a hardware/workload configuration
inline constexpr std::uint64_t text = 16ull << 20;            // a prompt file
inline constexpr std::uint64_t tokenizer = 256ull << 20;      // llama2.c tokenizer.bin
inline constexpr std::uint64_t frequency_csv = 4ull << 30;    // a frequency profile
inline constexpr std::uint64_t trace = 64ull << 30;           // an activation trace
inline constexpr std::uint64_t checkpoint = 256ull << 30;     // a llama2.c checkpoint
}  // namespace input_caps

// Why `path` must not be opened as an input of at most `max_bytes`, or "" when it may. A path
// that does not exist or is a directory is left to the caller's own message (""), so only what
// the caller cannot see by opening the file is reported here: a FIFO, a socket or a device, and
// a file larger than the cap.
[[nodiscard]] inline std::string input_file_problem(const std::filesystem::path& path, std::uint64_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st) || fs::is_directory(st)) return "";
  if (fs::is_fifo(st)) return "is a FIFO (named pipe), not a regular file";
  if (fs::is_character_file(st) || fs::is_block_file(st)) return "is a device, not a regular file";
  if (fs::is_socket(st)) return "is a socket, not a regular file";
  if (!fs::is_regular_file(st)) return "is not a regular file";
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return "";
  if (size > max_bytes)
    return "is " + std::to_string(size) + " bytes, more than the " + std::to_string(max_bytes) +
           " bytes such a file may have";
  return "";
}

// A binary input file, checked (input_file_problem) and opened, with its size. Throws
// input_file_error naming `where` ("tokenizer 'tok.bin'") and the problem.
struct opened_input {
  std::ifstream stream;
  std::uintmax_t size = 0;
};
[[nodiscard]] inline opened_input open_input_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                                                  const std::string& where) {
  if (const std::string why = input_file_problem(path, max_bytes); !why.empty())
    throw input_file_error(where + ": " + why);
  std::error_code ec;
  opened_input f;
  f.size = std::filesystem::file_size(path, ec);
  if (ec) throw input_file_error(where + ": cannot open (" + ec.message() + ")");
  f.stream.open(path, std::ios::binary);
  if (!f.stream) throw input_file_error(where + ": cannot open for reading");
  return f;
}

}  // namespace hermes
