#pragma once
// Independent simulations spread over host threads (the reproduction's runs, hermes-sim's
// side-by-side systems). Every simulation is a deterministic function of its inputs and the
// engine's per-process memos are guarded, so the results do not depend on the thread count;
// only the order in which tasks finish does.
//
// This is for timing-only runs: math mode dispatches Kokkos kernels, and an execution space
// instance is not safe to use from several host threads on every backend, so callers run math
// mode with one job.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hermes/core/error.hpp"

namespace hermes {

// One per hardware thread (at least 1), the default of the callers' --jobs.
[[nodiscard]] inline std::size_t default_jobs() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<std::size_t>(n);
}

// Calls task(i) for every i in [0, count), on up to `jobs` threads (the calling thread is one of
// them), handing out indices in increasing order. The first exception a task throws is rethrown
// here after every thread has stopped; the tasks not yet started are skipped.
template <class Task>
void for_each_index_parallel(std::size_t count, std::size_t jobs, Task&& task) {
  if (jobs == 0) throw invalid_parameter("jobs", "0", "at least 1 thread");
  const std::size_t threads = std::min(jobs, count);
  if (threads <= 1) {
    for (std::size_t i = 0; i < count; ++i) task(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  const auto worker = [&] {
    try {
      for (std::size_t i = next++; i < count; i = next++) task(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = count;
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (std::size_t t = 0; t + 1 < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace hermes
