#pragma once
// The end of every hermes-* program: what it printed must have reached its standard output. A
// write error there (a full disk, a closed pipe) is a run failure, exit 1 with a sentence on
// standard error, never a silent exit 0. SIGPIPE is ignored so that a closed pipe is reported
// this way instead of killing the program without a word.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

namespace hermes::apps {

inline void report_pipe_errors() { std::signal(SIGPIPE, SIG_IGN); }

// `code` if standard output took everything, else 1.
inline int finish_standard_output(int code, const char* program) {
  std::cout.flush();
  const bool ok = static_cast<bool>(std::cout) && std::fflush(stdout) == 0 && !std::ferror(stdout);
  if (ok) return code;
  const int saved = errno;
  std::cerr << program << ": writing standard output failed" << (saved != 0 ? std::string(": ") + std::strerror(saved) : std::string())
            << '\n';
  return 1;
}

}  // namespace hermes::apps
