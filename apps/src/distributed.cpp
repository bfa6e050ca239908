// Definitions of hermes_apps/distributed.hpp: tasks over MPI processes (when the build has MPI,
// HERMES_HAVE_MPI) or over the threads of one process. The only file of hermes that includes
// <mpi.h>.
#include "hermes_apps/distributed.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/sim/parallel.hpp"
#include "hermes_apps/command_line.hpp"

#ifdef HERMES_HAVE_MPI
#include <mpi.h>
#endif

namespace hermes::apps {

namespace {

// A non-negative int from the environment, or -1.
int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return -1;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 0 || n > std::numeric_limits<int>::max()) return -1;
  return static_cast<int>(n);
}

#ifdef HERMES_HAVE_MPI
constexpr int tag_request = 1;  // rank r -> 0: [uint64 finished index or none][its result]
constexpr int tag_work = 2;     // 0 -> rank r: uint64 next index, or none = stop
constexpr std::uint64_t none = std::numeric_limits<std::uint64_t>::max();

[[noreturn]] void abort_job(const std::string& why) {
  std::cerr << "hermes-sim: " << why << " (ending the MPI job)" << std::endl;
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) abort_job(std::string(what) + " failed (MPI error " + std::to_string(rc) + ")");
}
#endif

}  // namespace

launch_info launcher_environment() {
  launch_info l;
  int size = env_int("OMPI_COMM_WORLD_SIZE"), rank = env_int("OMPI_COMM_WORLD_RANK");
  if (size < 0) size = env_int("PMI_SIZE"), rank = env_int("PMI_RANK");
  if (size >= 1 && rank >= 0 && rank < size) l = {rank, size};
  return l;
}

bool built_with_mpi() {
#ifdef HERMES_HAVE_MPI
  return true;
#else
  return false;
#endif
}

process_pool::process_pool() {
  const launch_info l = launcher_environment();
  if (l.size <= 1) return;
#ifdef HERMES_HAVE_MPI
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  mpi_ = true;
  if (provided < MPI_THREAD_FUNNELED) abort_job("the MPI library does not support MPI_THREAD_FUNNELED");
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
#else
  throw usage_error("started by an MPI launcher as " + std::to_string(l.size) +
                    " processes, but this hermes-sim was built without MPI: reconfigure with MPI installed (Debian: "
                    "libopenmpi-dev, scripts/setup.sh) or run it as one process");
#endif
}

process_pool::~process_pool() {
#ifdef HERMES_HAVE_MPI
  if (mpi_) MPI_Finalize();
#endif
}

bool process_pool::agree(bool go) {
#ifdef HERMES_HAVE_MPI
  if (mpi_) {
    int v = go ? 1 : 0;
    check(MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
    return v == 1;
  }
#endif
  return go;
}

std::vector<std::string> process_pool::run(std::size_t count, const std::vector<std::size_t>& order, std::size_t jobs,
                                           const std::function<std::string(std::size_t)>& task,
                                           const std::function<void(std::size_t, std::size_t)>& done) {
  if (order.size() != count)
    throw invalid_parameter("process_pool::run order", std::to_string(order.size()) + " indices",
                            "one per task (" + std::to_string(count) + ")");
  std::vector<std::string> results(count);
  std::mutex m;
  std::size_t received = 0;
  const auto deliver = [&](std::size_t i, std::string s) {
    std::lock_guard<std::mutex> lock(m);
    results.at(i) = std::move(s);
    ++received;
    if (done) done(received, i);
  };
  if (!mpi_) {
    for_each_index_parallel(count, jobs, [&](std::size_t k) { deliver(order[k], task(order[k])); });
    return results;
  }
#ifdef HERMES_HAVE_MPI
  if (rank_ == 0) {
    std::size_t next = 0;
    const auto take = [&]() -> std::optional<std::size_t> {
      std::lock_guard<std::mutex> lock(m);
      if (next < order.size()) return order[next++];
      return std::nullopt;
    };
    // Rank 0's own share, on a thread of its own (it makes no MPI call).
    std::string local_failure;
    std::thread local([&] {
      try {
        while (const auto i = take()) deliver(*i, task(*i));
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(m);
        local_failure = e.what();
      }
    });
    int active = size_ - 1;
    std::vector<char> buffer;
    while (active > 0) {
      int flag = 0;
      MPI_Status st;
      check(MPI_Iprobe(MPI_ANY_SOURCE, tag_request, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
      if (!flag) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        continue;
      }
      int bytes = 0;
      check(MPI_Get_count(&st, MPI_CHAR, &bytes), "MPI_Get_count");
      buffer.resize(static_cast<std::size_t>(bytes));
      check(MPI_Recv(buffer.data(), bytes, MPI_CHAR, st.MPI_SOURCE, tag_request, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
            "MPI_Recv");
      std::uint64_t finished = none;
      if (buffer.size() < sizeof finished) abort_job("a malformed request from rank " + std::to_string(st.MPI_SOURCE));
      std::memcpy(&finished, buffer.data(), sizeof finished);
      if (finished != none) {
        if (finished >= count) abort_job("rank " + std::to_string(st.MPI_SOURCE) + " returned task " + std::to_string(finished));
        deliver(static_cast<std::size_t>(finished), std::string(buffer.begin() + sizeof finished, buffer.end()));
      }
      const auto i = take();
      std::uint64_t reply = i ? static_cast<std::uint64_t>(*i) : none;
      check(MPI_Send(&reply, 1, MPI_UINT64_T, st.MPI_SOURCE, tag_work, MPI_COMM_WORLD), "MPI_Send");
      if (!i) --active;
    }
    local.join();
    if (!local_failure.empty()) abort_job("a task on rank 0 failed: " + local_failure);
    if (received != count) abort_job(std::to_string(received) + " of " + std::to_string(count) + " results arrived");
    return results;
  }
  std::uint64_t finished = none;
  std::string result;
  std::vector<char> message;
  for (;;) {
    message.resize(sizeof finished + result.size());
    std::memcpy(message.data(), &finished, sizeof finished);
    std::memcpy(message.data() + sizeof finished, result.data(), result.size());
    if (message.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      abort_job("a result of " + std::to_string(message.size()) + " bytes is too large for one message");
    check(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_CHAR, 0, tag_request, MPI_COMM_WORLD),
          "MPI_Send");
    std::uint64_t next = none;
    check(MPI_Recv(&next, 1, MPI_UINT64_T, 0, tag_work, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    if (next == none) break;
    try {
      result = task(static_cast<std::size_t>(next));
    } catch (const std::exception& e) {
      abort_job("task " + std::to_string(next) + " failed on rank " + std::to_string(rank_) + ": " + e.what());
    }
    finished = next;
  }
#endif
  return {};
}

}  // namespace hermes::apps
