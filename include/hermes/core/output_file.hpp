#pragma once
// Files written whole or not at all. An output_file writes to a temporary file in the target's
// folder and renames it over the target only in commit(), after a checked flush and close: a
// run that fails, is interrupted or is rejected halfway leaves the previous file as it was, and
// a full disk is an error naming the file, never a silently truncated result.
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <unistd.h>

#include "hermes/core/error.hpp"

namespace hermes {

class output_file {
 public:
  explicit output_file(std::filesystem::path target, std::ios::openmode mode = std::ios::out)
      : target_(std::move(target)), temporary_(temporary_for(target_)) {
    std::error_code ec;
    if (std::filesystem::is_directory(target_, ec))
      throw error(target_.string() + ": is a directory, expected a file to write");
    stream_.open(temporary_, mode | std::ios::out | std::ios::trunc);
    if (!stream_)
      throw error(target_.string() + ": cannot write in its folder (" + std::strerror(errno) + ")");
  }
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  ~output_file() {
    if (committed_) return;
    stream_.close();
    std::error_code ec;
    std::filesystem::remove(temporary_, ec);  // the target keeps its previous contents
  }

  [[nodiscard]] std::ostream& stream() { return stream_; }
  [[nodiscard]] const std::filesystem::path& target() const { return target_; }

  // Flushes, closes and checks the temporary file, then renames it over the target.
  void commit() {
    if (committed_) return;
    stream_.flush();
    const bool written = static_cast<bool>(stream_);
    stream_.close();
    if (!written || stream_.fail())
      throw error(target_.string() + ": writing failed (" + std::strerror(errno) + "); the previous file, if any, is unchanged");
    std::error_code ec;
    std::filesystem::rename(temporary_, target_, ec);
    if (ec) throw error(target_.string() + ": cannot replace it (" + ec.message() + ")");
    committed_ = true;
  }

 private:
  static std::filesystem::path temporary_for(const std::filesystem::path& target) {
    static std::atomic<unsigned> counter{0};
    std::filesystem::path t = target;
    t += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    return t;
  }
  std::filesystem::path target_, temporary_;
  std::ofstream stream_;
  bool committed_ = false;
};

// Writes `content` to `target` whole or not at all.
inline void write_file(const std::filesystem::path& target, std::string_view content,
                       std::ios::openmode mode = std::ios::out) {
  output_file f(target, mode);
  f.stream().write(content.data(), static_cast<std::streamsize>(content.size()));
  f.commit();
}

}  // namespace hermes
