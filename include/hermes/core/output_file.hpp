#pragma once
// Files written whole or not at all. An output_file writes to a temporary file in the target's
// folder and renames it over the target only in commit(), after a checked flush and close: a
// run that fails, is interrupted or is rejected halfway leaves the previous file as it was, and
// a full disk is an error naming the file, never a silently truncated result. Through a
// symbolic link, the file it names is replaced (the link stays); a device or a pipe (/dev/null,
// /dev/stdout, a process substitution) is written in place, never replaced by a file.
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
      : target_(std::move(target)) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(target_, ec);  // through symbolic links
    if (fs::is_directory(st)) throw error(target_.string() + ": is a directory, expected a file to write");
    if (fs::exists(st) && !fs::is_regular_file(st)) {
      // A device (/dev/null, /dev/stdout) or a pipe (a shell's process substitution) has no
      // previous contents to keep, and renaming a file over it would replace the device node:
      // such a target is written in place, still with a checked flush and close.
      direct_ = true;
      stream_.open(target_, mode | std::ios::out);
      if (!stream_) throw error(target_.string() + ": cannot open for writing (" + std::strerror(errno) + ")");
      return;
    }
    // Through a symbolic link the file it names is replaced, not the link.
    destination_ = fs::is_symlink(fs::symlink_status(target_, ec)) ? fs::canonical(target_, ec) : target_;
    if (ec || destination_.empty()) destination_ = target_;
    temporary_ = temporary_for(destination_);
    stream_.open(temporary_, mode | std::ios::out | std::ios::trunc);
    if (!stream_)
      throw error(target_.string() + ": cannot write in its folder (" + std::strerror(errno) + ")");
  }
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  ~output_file() {
    if (committed_) return;
    stream_.close();
    if (direct_) return;
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
    if (direct_) {
      if (!written || stream_.fail()) throw error(target_.string() + ": writing failed (" + write_failure() + ")");
      committed_ = true;
      return;
    }
    if (!written || stream_.fail())
      throw error(target_.string() + ": writing failed (" + write_failure() + "); the previous file, if any, is unchanged");
    std::error_code ec;
    std::filesystem::rename(temporary_, destination_, ec);
    if (ec) throw error(target_.string() + ": cannot replace it (" + ec.message() + ")");
    committed_ = true;
  }

 private:
  // Why a write failed. A stream does not keep the error of the write that failed, and errno
  // may have been changed since by other calls: it is named only when it is an error a write
  // reports.
  static std::string write_failure() {
    const int e = errno;
    if (e == ENOSPC || e == EDQUOT || e == EFBIG || e == EIO || e == EPIPE || e == EACCES || e == EROFS)
      return std::strerror(e);
    return "the disk or device did not take all the bytes";
  }
  static std::filesystem::path temporary_for(const std::filesystem::path& target) {
    static std::atomic<unsigned> counter{0};
    std::filesystem::path t = target;
    t += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    return t;
  }
  std::filesystem::path target_, destination_, temporary_;
  std::ofstream stream_;
  bool committed_ = false;
  bool direct_ = false;  // a device or a pipe, written in place
};

// Writes `content` to `target` whole or not at all.
inline void write_file(const std::filesystem::path& target, std::string_view content,
                       std::ios::openmode mode = std::ios::out) {
  output_file f(target, mode);
  f.stream().write(content.data(), static_cast<std::streamsize>(content.size()));
  f.commit();
}

}  // namespace hermes
