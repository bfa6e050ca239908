#pragma once
// Independent tasks spread over the processes of an MPI job (`mpirun -n N hermes-sim sweep ...`)
// with dynamic load balancing, or over threads of one process otherwise. The library never
// needs MPI: this is the programs' code (apps/), and MPI is optional at configure time
// (HERMES_HAVE_MPI, apps/CMakeLists.txt). Without it everything runs in one process; a program
// started by an MPI launcher with more than one process then stops with a message (exit 2)
// rather than running the same work N times.
//
// Protocol (apps/src/distributed.cpp): every rank works, rank 0 included. Rank 0 holds the
// cursor into the task order; its main thread serves requests (polling every 0.5 ms, so it does
// not spin a core) while a second thread of rank 0 computes tasks from the same cursor. A rank
// r > 0 sends "here is the result of task i, give me another" to rank 0 and receives the next
// index or "stop". The tasks are handed out one at a time in the given order (most expensive
// first), so a task 100x longer than another holds up only its own process. Results (strings)
// are gathered on rank 0 in task-index order: what rank 0 writes does not depend on how many
// processes there were nor on which ran what.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace hermes::apps {

// What the launcher's environment says about this process (no MPI call): Open MPI's
// OMPI_COMM_WORLD_RANK/SIZE, else MPICH/Slurm's PMI_RANK/PMI_SIZE. size 1 when not launched
// by one.
struct launch_info {
  int rank = 0;
  int size = 1;
};
[[nodiscard]] launch_info launcher_environment();

// Whether this build has MPI (HERMES_HAVE_MPI).
[[nodiscard]] bool built_with_mpi();

// The processes of this job. With more than one process (launcher_environment().size > 1) the
// constructor starts MPI (MPI_Init_thread, funneled: only the main thread calls MPI) and the
// destructor ends it; with one it is a plain single process. Constructed at most once per
// process (MPI cannot be restarted).
class process_pool {
 public:
  process_pool();
  ~process_pool();
  process_pool(const process_pool&) = delete;
  process_pool& operator=(const process_pool&) = delete;

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  [[nodiscard]] bool is_root() const { return rank_ == 0; }

  // Rank 0's decision (`go` on rank 0; ignored elsewhere), known to every rank: a collective.
  [[nodiscard]] bool agree(bool go);

  // Runs task(i) for every i of `order` (each index once), spread over the processes, and
  // returns the results on rank 0 indexed by task (results[i] = task(i); `count` entries),
  // nothing on the other ranks. In a single process the tasks run on up to `jobs` threads.
  // `done` is called on rank 0 after each result arrives (under a lock; the count of results so
  // far and the task index). A task must not throw: one that does ends the whole job (MPI_Abort)
  // with its message on standard error.
  [[nodiscard]] std::vector<std::string> run(std::size_t count, const std::vector<std::size_t>& order, std::size_t jobs,
                                             const std::function<std::string(std::size_t)>& task,
                                             const std::function<void(std::size_t, std::size_t)>& done = {});

 private:
  int rank_ = 0;
  int size_ = 1;
  bool mpi_ = false;
};

}  // namespace hermes::apps
