#pragma once
// The memory a process may use and the budget a request must fit (HERMES_MEMORY_BUDGET, else
// three quarters of the smallest of the machine's memory, the address-space limit and the
// control group's limit). sim/host_memory.hpp checks a simulation against it; the trace reader
// checks a trace's in-memory size (activation/trace_file.hpp). docs/errors.md, "Memory".
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "hermes/core/error.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

// Parses a size in bytes: an integer or decimal number, optionally followed by a unit (B, kB,
// MB, GB, TB: powers of 1000; KiB, MiB, GiB, TiB: powers of 1024; case-insensitive, spaces
// allowed before the unit). Throws invalid_parameter naming `field`.
[[nodiscard]] inline double parse_byte_size(std::string_view field, std::string_view text) {
  const auto bad = [&] {
    // Built by appending: GCC 12 warns falsely (-Wrestrict) about "'" + std::string&&.
    std::string quoted(1, '\'');
    quoted.append(text.substr(0, 40));
    quoted.append(text.size() > 40 ? "...'" : "'");
    return invalid_parameter(field, quoted,
                             "a size in bytes > 0: a number with an optional unit B, kB, MB, GB, TB (powers of "
                             "1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. 8GB or 7.5GiB");
  };
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0 || i > 24) throw bad();
  const std::string number(text.substr(0, i));
  if (std::count(number.begin(), number.end(), '.') > 1 || number == ".") throw bad();
  std::string unit;
  for (std::size_t k = i; k < text.size(); ++k) {
    if (text[k] == ' ' && unit.empty()) continue;
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])));
  }
  double scale = 0.0;
  if (unit.empty() || unit == "b") scale = 1.0;
  else if (unit == "kb") scale = 1e3;
  else if (unit == "mb") scale = 1e6;
  else if (unit == "gb") scale = 1e9;
  else if (unit == "tb") scale = 1e12;
  else if (unit == "kib") scale = 1024.0;
  else if (unit == "mib") scale = 1024.0 * 1024;
  else if (unit == "gib") scale = 1024.0 * 1024 * 1024;
  else if (unit == "tib") scale = 1024.0 * 1024 * 1024 * 1024;
  else throw bad();
  const double v = std::strtod(number.c_str(), nullptr) * scale;
  if (!(v >= 1.0) || !std::isfinite(v)) throw bad();
  return v;
}

// The machine's physical memory in bytes (0 when the system does not say).
[[nodiscard]] inline double physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

// The memory this process may use, in bytes, and what sets it: the smallest of the machine's
// physical memory, the address-space limit (ulimit -v, RLIMIT_AS) and the memory limit of the
// control group the process runs in (a container's or a job scheduler's: cgroup v2 memory.max,
// or v1 memory.limit_in_bytes). 0 bytes when none of them is known.
struct memory_limit {
  double bytes = 0.0;
  std::string what;
};
[[nodiscard]] inline memory_limit process_memory_limit() {
  memory_limit m{physical_memory(), "the machine's"};
  const auto lower = [&m](double v, const char* what) {
    if (v > 0.0 && std::isfinite(v) && (m.bytes <= 0.0 || v < m.bytes)) m = {v, what};
  };
  if (rlimit r{}; ::getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY)
    lower(static_cast<double>(r.rlim_cur), "the address-space limit's (ulimit -v)");
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream in(path);
    std::string text;
    if (in >> text && !text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) && text.size() < 20)
      lower(std::strtod(text.c_str(), nullptr), "the control group's (memory.max)");
  }
  return m;
}

// The budget a run's estimate must fit, and where it comes from (for messages).
struct host_memory_budget {
  double bytes = 0.0;  // 0: no limit (the system does not report its memory)
  std::string source;
};

[[nodiscard]] inline host_memory_budget default_host_memory_budget() {
  if (const char* env = std::getenv("HERMES_MEMORY_BUDGET"); env != nullptr)
    return {parse_byte_size("HERMES_MEMORY_BUDGET", env), std::string("HERMES_MEMORY_BUDGET=") + env};
  const memory_limit limit = process_memory_limit();
  return {limit.bytes - limit.bytes / 4.0,
          "three quarters of " + limit.what + " " + gigabytes(bytes(limit.bytes)) +
              " of memory; HERMES_MEMORY_BUDGET overrides it"};
}

}  // namespace hermes
