// `mpirun -n 3 hermes-sim sweep`: the same CSV and JSON, byte for byte, as one process on one
// thread and on two; built and registered only when CMake found MPI (tests/CMakeLists.txt).
// Three processes on CI's two cores need --oversubscribe; as root (CI containers) Open MPI
// refuses to start without --allow-run-as-root, which is added then. The grid is small
// (stories260K, milliseconds a point) so that the test takes seconds.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/scratch_dir.hpp"

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int run(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string mpirun(int processes) {
  std::string m = std::string(HERMES_MPIEXEC) + " --oversubscribe -n " + std::to_string(processes);
  if (geteuid() == 0) m += " --allow-run-as-root";
  return m + " ";
}

}  // namespace

TEST_CASE("mpi: a sweep over 3 processes writes the same files as one process", "[apps][mpi]") {
  hermes::test::scratch_dir dir("mpi-sweep");
  const std::string sim = std::string(HERMES_BINARY_DIR) + "/examples/hermes-sim";
  // 3 systems x 2 batches x 2 DIMM counts x 2 multipliers x 2 PCIe links = 48 points; DejaVu
  // cannot run stories260K, so unsupported rows travel too. Fronts on columns every result has.
  const std::string grid =
      " sweep --models stories260K --systems Hermes,Hermes-base,DejaVu --batches 1,2 --dimms 2,4 --multipliers 128,256"
      " --pcie PCIe4-x16,PCIe4-paper --input-len 8 --output-len 8 --profile-tokens 16"
      " --fronts dimms:end_to_end_tokens_per_second:dimms,prefill:end_to_end_tokens_per_second:seconds_prefill";
  const auto files = [&](const std::string& stem) {
    return " --out " + (dir.path() / (stem + ".csv")).string() + " --json " + (dir.path() / (stem + ".json")).string() +
           " 2> " + (dir.path() / (stem + ".log")).string();
  };
  REQUIRE(run(sim + grid + " --jobs 1" + files("one")) == 0);
  REQUIRE(run(sim + grid + " --jobs 2" + files("threads")) == 0);
  const int code = run(mpirun(3) + sim + grid + " --progress" + files("mpi"));
  INFO(slurp(dir.path() / "mpi.log"));
  REQUIRE(code == 0);
  const std::string one = slurp(dir.path() / "one.csv");
  CHECK(std::count(one.begin(), one.end(), '\n') == 49);
  CHECK(one.find(",DejaVu,") != std::string::npos);
  CHECK(one.find(",true\n") != std::string::npos);  // some row is on the last front
  CHECK(slurp(dir.path() / "threads.csv") == one);
  CHECK(slurp(dir.path() / "mpi.csv") == one);
  CHECK(slurp(dir.path() / "mpi.json") == slurp(dir.path() / "one.json"));
  const std::string log = slurp(dir.path() / "mpi.log");
  CHECK(log.find("[48/48]") != std::string::npos);
  CHECK(log.find("sweep: 48 runs (") != std::string::npos);
  CHECK(log.find(" on 3 processes") != std::string::npos);

  // A bad grid under mpirun: every rank refuses it, rank 0 alone says so, exit 2.
  const std::string bad_log = (dir.path() / "bad.log").string();
  CHECK(run(mpirun(2) + sim + " sweep --models LLaMA2-7B,OPT-13B --input-len 2000 2> " + bad_log) == 2);
  const std::string bad = slurp(bad_log);
  CHECK(bad.find("hermes-sim sweep: sweep point OPT-13B") != std::string::npos);
  CHECK(bad.find("sweep point", bad.find("sweep point") + 1) == std::string::npos);  // said once
  // An output rank 0 cannot open stops every rank before any point runs.
  const std::string out_log = (dir.path() / "out.log").string();
  CHECK(run(mpirun(2) + sim + grid + " --out " + dir.path().string() + " 2> " + out_log) == 2);
  CHECK(slurp(out_log).find("--out") != std::string::npos);

  // A single run under mpirun is rank 0's alone: one JSON object on standard output, exit 0; the
  // other rank exits at once and prints nothing (with exit code 0 always: rank 0's says how it
  // went). A refused reproduce (a real one takes minutes: docs/performance.md, "The reproduction
  // over processes", has the manual check) says why once and writes nothing.
  const std::string single = (dir.path() / "single.json").string();
  CHECK(run(mpirun(2) + sim + " --model stories260K --input-len 8 --output-len 8 --profile-tokens 16 --json > " + single +
            " 2>&1") == 0);
  const std::string s = slurp(single);
  INFO(s);
  CHECK(nlohmann::json::parse(s).contains("end_to_end_tokens_per_second"));  // one document, not two
  const std::string repro_log = (dir.path() / "repro.log").string();
  CHECK(run(mpirun(2) + sim + " reproduce --batches 0 --out " + (dir.path() / "report").string() + " 2> " + repro_log) ==
        2);
  const std::string r = slurp(repro_log);
  CHECK(r.find("--batches") != std::string::npos);
  CHECK(r.find("--batches", r.find("--batches") + 1) == std::string::npos);
  CHECK(!std::filesystem::exists(dir.path() / "report"));
  // --jobs other than 1 under mpirun is refused, as for the sweep.
  CHECK(run(mpirun(2) + sim + " reproduce --batches 1 --jobs 2 --out " + (dir.path() / "report").string() + " 2> " +
            repro_log) == 2);
  const std::string j = slurp(repro_log);
  CHECK(j.find("--jobs 2 under mpirun with 2 processes") != std::string::npos);
  CHECK(j.find("--jobs", j.find("--jobs") + 1) == std::string::npos);
  CHECK(!std::filesystem::exists(dir.path() / "report"));
  // An --out rank 0 cannot create stops every process before any simulation (a file's child).
  { std::ofstream(dir.path() / "a-file") << "x"; }
  CHECK(run(mpirun(2) + sim + " reproduce --batches 1 --out " + (dir.path() / "a-file" / "report").string() + " 2> " +
            repro_log) == 2);
  const std::string o = slurp(repro_log);
  CHECK(o.find("reproduce --out = ") != std::string::npos);
  CHECK(o.find("reproduce --out = ", o.find("reproduce --out = ") + 1) == std::string::npos);
  CHECK(o.find("workloads]") == std::string::npos);  // no simulation ran
}
