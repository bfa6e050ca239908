#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "hermes/device/device_set.hpp"

using namespace hermes;
using namespace hermes::literals;

namespace {

// Two mock device kinds with simple, hand-checkable cost models: time = bytes / bandwidth.
struct mock_fast {
  double bytes_per_second = 1e12;
  [[nodiscard]] std::string_view name() const { return "mock_fast"; }
  [[nodiscard]] device_cost gemv(const gemv_work& w) const {
    device_cost c;
    c.bytes_moved = w.weight_bytes();
    c.flops_done = w.flop_count();
    c.time = seconds(w.weight_bytes().value() / bytes_per_second);
    return c;
  }
  [[nodiscard]] device_cost vector_op(const vector_work& v) const {
    device_cost c;
    c.time = seconds(static_cast<double>(v.elements) * 1e-9);
    return c;
  }
};

struct mock_slow {
  explicit mock_slow(double bw) : bytes_per_second(bw) {}
  double bytes_per_second;
  [[nodiscard]] std::string_view name() const { return "mock_slow"; }
  [[nodiscard]] device_cost gemv(const gemv_work& w) const {
    device_cost c;
    c.bytes_moved = w.weight_bytes();
    c.time = seconds(w.weight_bytes().value() / bytes_per_second);
    return c;
  }
  [[nodiscard]] device_cost vector_op(const vector_work& v) const {
    device_cost c;
    c.time = seconds(static_cast<double>(v.elements) * 1e-6);
    return c;
  }
};

// Negative concept cases: a type without the cost functions is not a compute device, so it
// cannot form a group (the static_assert in device_group says what to add).
struct memory_only {
  [[nodiscard]] std::string_view name() const { return "memory_only"; }
  [[nodiscard]] bytes capacity() const { return bytes(1.0); }
};
struct no_vector_op {
  [[nodiscard]] std::string_view name() const { return "no_vector_op"; }
  [[nodiscard]] device_cost gemv(const gemv_work&) const { return {}; }
};
static_assert(compute_device<mock_fast> && compute_device<mock_slow>);
static_assert(!compute_device<memory_only>, "a memory without gemv/vector_op computes nothing");
static_assert(!compute_device<no_vector_op>, "vector_op is part of the compute requirements");

auto make_system() {
  return device_set{group<mock_fast>("gpu", 1, mock_fast{}),
                    group<mock_slow>("dimm", 4, 1e10)};
}

}  // namespace

TEST_CASE("device_set: runtime indices map to groups and instances in order", "[device][set]") {
  const auto set = make_system();
  REQUIRE(set.size() == 5);
  STATIC_REQUIRE(decltype(set)::group_count() == 2);
  CHECK(set.name(0) == "gpu");
  CHECK(set.name(1) == "dimm0");
  CHECK(set.name(4) == "dimm3");
  CHECK(set.locate(0).group == 0);
  CHECK(set.locate(3).group == 1);
  CHECK(set.locate(3).instance == 2);
  CHECK(set.index_of<mock_fast>() == 0);
  CHECK(set.index_of<mock_slow>(0) == 1);
  CHECK(set.index_of<mock_slow>(3) == 4);
  CHECK_THROWS_AS(set.index_of<mock_slow>(4), invalid_parameter);
  CHECK_THROWS_WITH(set.name(5), Catch::Contains("device index") && Catch::Contains("5"));
  CHECK(set.get<mock_slow>().policy.bytes_per_second == 1e10);
  CHECK(set.get<mock_slow>().count == 4);
}

TEST_CASE("device_set: one ledger resource per instance, charged through the policy",
          "[device][set]") {
  auto set = make_system();
  ledger l;
  set.attach(l);
  REQUIRE(l.size() == 5);
  CHECK(l.has("gpu"));
  CHECK(l.has("dimm0"));
  CHECK(l.has("dimm3"));
  CHECK(set.resource(2) == l.id("dimm1"));

  gemv_work w;
  w.chunks = 10;
  w.rows_per_chunk = 2;
  w.cols = 500;  // 10 * 2 * 500 * 2 B = 20'000 B
  w.bytes_per_element = 2.0;
  // 20 kB at 1e12 B/s = 20 ns on the GPU; at 1e10 B/s = 2 us on a DIMM
  CHECK(set.charge_gemv(l, 0, 1_us, w, "ffn").value() == Approx(1e-6 + 20e-9));
  CHECK(set.charge_gemv(l, 2, 1_us, w, "ffn").value() == Approx(3e-6));
  // the DIMM is busy until 3 us, so a second charge ready at 1 us ends at 5 us
  CHECK(set.charge_gemv(l, 2, 1_us, w, "ffn").value() == Approx(5e-6));
  CHECK(l.resource(l.id("dimm1")).bytes_moved == bytes(40'000.0));
  CHECK(l.resource(l.id("dimm0")).charges == 0);
  vector_work v;
  v.elements = 1000;
  CHECK(set.charge_vector_op(l, 1, 0_s, v, "merge").value() == Approx(1e-3));
  CHECK(l.stage_busy("merge").value() == Approx(1e-3));
}

TEST_CASE("device_set: visit passes the right policy type and resource", "[device][set]") {
  auto set = make_system();
  ledger l;
  l.add_resource("pcie", resource_kind::link);  // resources registered before are kept
  set.attach(l);
  std::vector<std::string> seen;
  for (device_index d = 0; d < set.size(); ++d)
    seen.push_back(set.visit(d, [&](const auto& policy, ledger::resource_id id) {
      return std::string(policy.name()) + "@" + l.resource(id).name;
    }));
  CHECK(seen == std::vector<std::string>{"mock_fast@gpu", "mock_slow@dimm0", "mock_slow@dimm1",
                                         "mock_slow@dimm2", "mock_slow@dimm3"});
  std::size_t devices = 0;
  set.for_each_device([&](const auto& grp, std::size_t instance, device_index d) {
    CHECK(grp.instance_name(instance) == set.name(d));
    ++devices;
  });
  CHECK(devices == 5);
  std::vector<std::string> prefixes;
  set.for_each_group([&](const auto& grp) { prefixes.push_back(grp.prefix); });
  CHECK(prefixes == std::vector<std::string>{"gpu", "dimm"});
}

TEST_CASE("device_set: misuse is reported", "[device][set]") {
  CHECK_THROWS_AS(group<mock_fast>("gpu", 0), invalid_parameter);
  CHECK_THROWS_AS(group<mock_fast>("", 1), invalid_parameter);
  // "dimm" + "1" collides with a group named "dimm1"
  CHECK_THROWS_WITH((device_set{group<mock_slow>("dimm", 2, 1e9), group<mock_fast>("dimm1", 1)}),
                    Catch::Contains("dimm1"));
  auto set = make_system();
  ledger l;
  gemv_work w;
  CHECK_THROWS_WITH(set.charge_gemv(l, 0, 0_s, w, "ffn"), Catch::Contains("attach"));
  set.attach(l);
  ledger other;  // never attached: its resource 0 is not "gpu"
  other.add_resource("host", resource_kind::host);
  CHECK_THROWS_WITH(set.charge_gemv(other, 0, 0_s, w, "ffn"), Catch::Contains("attach"));
  CHECK_THROWS_AS(set.charge_gemv(l, 7, 0_s, w, "ffn"), invalid_parameter);
}
