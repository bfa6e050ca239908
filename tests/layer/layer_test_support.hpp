#pragma once
// Helpers shared by the layer tests: mock device policies with hand-checkable costs, random
// data, and host <-> execution-space copies of small matrices.
#include <Kokkos_Core.hpp>
#include <catch2/catch.hpp>

#include <Eigen/Dense>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/concepts.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/device/device_set.hpp"
#include "hermes/layer/kernels.hpp"

namespace layer_test {

using exec = Kokkos::DefaultExecutionSpace;
using mem = exec::memory_space;
using matrix = hermes::kernels::matrix<mem>;
using row_matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using row_matrix_f = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// What a mock device saw: one entry per gemv call.
struct gemv_record {
  std::string device;
  std::size_t chunks = 0;
  std::size_t rows_per_chunk = 0;
  std::size_t cols = 0;
  std::size_t batch = 0;
  std::vector<std::uint64_t> addresses;
};

// A device whose GEMV time is bytes / bandwidth plus a fixed latency and whose vector op time is
// elements * per-element time; it logs every GEMV so tests can compare against the placement.
struct mock_device {
  std::string label;
  double bytes_per_second = 1e11;
  double latency = 1e-6;
  double seconds_per_element = 1e-9;
  std::shared_ptr<std::vector<gemv_record>> log = std::make_shared<std::vector<gemv_record>>();

  [[nodiscard]] std::string_view name() const { return label; }
  [[nodiscard]] hermes::device_cost gemv(const hermes::gemv_work& w) const {
    log->push_back(gemv_record{label, w.chunks, w.rows_per_chunk, w.cols, w.batch,
                               std::vector<std::uint64_t>(w.chunk_addresses.begin(),
                                                          w.chunk_addresses.end())});
    hermes::device_cost c;
    c.bytes_moved = w.weight_bytes();
    c.flops_done = w.flop_count();
    c.time = hermes::seconds(latency + w.weight_bytes().value() / bytes_per_second);
    return c;
  }
  [[nodiscard]] hermes::device_cost vector_op(const hermes::vector_work& v) const {
    hermes::device_cost c;
    c.bytes_moved = hermes::bytes(static_cast<double>(v.elements) * v.bytes_per_element);
    c.flops_done = hermes::flops(static_cast<double>(v.elements) * v.flops_per_element);
    c.time = hermes::seconds(static_cast<double>(v.elements) * seconds_per_element);
    return c;
  }
};
static_assert(hermes::compute_device<mock_device>);

// A second kind so the set is heterogeneous, like a GPU next to NDP-DIMMs.
struct mock_slow_device : mock_device {};

// One fast device (index 0) and `dimms` slow ones (1..dimms), sharing one log.
inline auto make_devices(std::size_t dimms, std::shared_ptr<std::vector<gemv_record>> log) {
  mock_device fast{"fast", 1e12, 2e-6, 1e-10, log};
  mock_slow_device slow{};
  slow.label = "slow";
  slow.bytes_per_second = 2e10;
  slow.log = log;
  return hermes::device_set{hermes::group<mock_device>("gpu", 1, fast),
                            hermes::group<mock_slow_device>("dimm", dimms, slow)};
}

inline row_matrix_f random_matrix(std::size_t rows, std::size_t cols, std::mt19937& rng,
                                  float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  row_matrix_f m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}

inline std::span<const float> span_of(const row_matrix_f& m) {
  return {m.data(), static_cast<std::size_t>(m.size())};
}
inline std::span<const float> span_of(const Eigen::VectorXf& v) {
  return {v.data(), static_cast<std::size_t>(v.size())};
}

// A [rows][cols] view in the execution space holding m.
inline matrix to_view(const row_matrix_f& m) {
  matrix v("test::input", static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols()));
  auto host = Kokkos::create_mirror_view(v);
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c) host(r, c) = m(r, c);
  Kokkos::deep_copy(v, host);
  return v;
}

inline row_matrix to_eigen(const matrix& v) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  row_matrix m(v.extent(0), v.extent(1));
  for (std::size_t r = 0; r < v.extent(0); ++r)
    for (std::size_t c = 0; c < v.extent(1); ++c) m(r, c) = host(r, c);
  return m;
}

inline double relative_error(const row_matrix& got, const row_matrix& want) {
  return (got - want).norm() / want.norm();
}

// Two ways of charging the same work must leave the same ledger: per resource the same busy
// time, end, bytes, FLOPs, charges and busy time per stage.
inline void check_same_ledger(const hermes::ledger& a, const hermes::ledger& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t r = 0; r < a.size(); ++r) {
    const auto& x = a.resource(r);
    const auto& y = b.resource(r);
    CHECK(x.busy == y.busy);
    CHECK(x.free_at == y.free_at);
    CHECK(x.bytes_moved == y.bytes_moved);
    CHECK(x.flops_done == y.flops_done);
    CHECK(x.charges == y.charges);
    CHECK(x.busy_by_stage == y.busy_by_stage);
  }
}

}  // namespace layer_test
