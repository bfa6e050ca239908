#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "hermes/core/ledger.hpp"
#include "hermes/predict/all.hpp"

using namespace hermes;

namespace {
// Has everything.
struct complete_predictor {
  void predict(const prediction_request&, prediction&) {}
  void update(const prediction_request&, const neuron_mask&) {}
  bytes table_bytes() const { return bytes{}; }
};
// Each of these misses exactly one member.
struct without_predict {
  void update(const prediction_request&, const neuron_mask&) {}
  bytes table_bytes() const { return bytes{}; }
};
struct without_update {
  void predict(const prediction_request&, prediction&) {}
  bytes table_bytes() const { return bytes{}; }
};
struct without_table_bytes {
  void predict(const prediction_request&, prediction&) {}
  void update(const prediction_request&, const neuron_mask&) {}
};
// Reports its memory as a plain number: not a hermes::bytes, so it does not qualify.
struct table_bytes_as_number {
  void predict(const prediction_request&, prediction&) {}
  void update(const prediction_request&, const neuron_mask&) {}
  double table_bytes() const { return 0; }
};
// A table_bytes() that is not const cannot be asked through a const reference.
struct table_bytes_not_const {
  void predict(const prediction_request&, prediction&) {}
  void update(const prediction_request&, const neuron_mask&) {}
  bytes table_bytes() { return bytes{}; }
};
// Returns the prediction instead of filling the caller's buffer.
struct predict_returns_value {
  prediction predict(const prediction_request&) { return {}; }
  void update(const prediction_request&, const neuron_mask&) {}
  bytes table_bytes() const { return bytes{}; }
};

struct mock_device {
  std::string_view name() const { return "mock"; }
  device_cost gemv(const gemv_work&) const { return {}; }
  device_cost vector_op(const vector_work&) const { return {}; }
};
}  // namespace

TEST_CASE("predictor concept: positive cases", "[predict][concept]") {
  STATIC_REQUIRE(predictor<complete_predictor>);
  STATIC_REQUIRE(check_predictor<complete_predictor>());
  STATIC_REQUIRE(predictor<hermes_predictor>);
  STATIC_REQUIRE(predictor<oracle_predictor>);
  STATIC_REQUIRE(predictor<static_predictor>);
  STATIC_REQUIRE(predictor<random_predictor>);
  STATIC_REQUIRE(predictor<dejavu_predictor<mock_device>>);
}

TEST_CASE("predictor concept: a type missing a member does not model it", "[predict][concept]") {
  STATIC_REQUIRE_FALSE(predictor<without_predict>);
  STATIC_REQUIRE_FALSE(predictor<without_update>);
  STATIC_REQUIRE_FALSE(predictor<without_table_bytes>);
  STATIC_REQUIRE_FALSE(predictor<table_bytes_as_number>);
  STATIC_REQUIRE_FALSE(predictor<table_bytes_not_const>);
  STATIC_REQUIRE_FALSE(predictor<predict_returns_value>);
  STATIC_REQUIRE_FALSE(predictor<int>);
  // The per-member checks behind check_predictor's static_assert messages point at the culprit.
  STATIC_REQUIRE_FALSE(detail::has_predict<without_predict>);
  STATIC_REQUIRE(detail::has_update<without_predict>);
  STATIC_REQUIRE(detail::has_table_bytes<without_predict>);
  STATIC_REQUIRE_FALSE(detail::has_update<without_update>);
  STATIC_REQUIRE(detail::has_predict<without_update>);
  STATIC_REQUIRE_FALSE(detail::has_table_bytes<without_table_bytes>);
  STATIC_REQUIRE(detail::has_predict<without_table_bytes>);
}

// check_predictor<T>() must fail to compile, naming the missing member. A compile-failure test:
// compile a tiny TU with the configured compiler and check its diagnostics.
TEST_CASE("predictor concept: the static_assert message names the missing member", "[predict][concept]") {
  const std::string dir = HERMES_BINARY_DIR "/tests/predict_concept_probe";
  std::filesystem::create_directories(dir);
  struct probe {
    const char* type_body;
    const char* expected;
  };
  const probe probes[] = {
      {"void update(const hermes::prediction_request&, const hermes::neuron_mask&) {}\n"
       "hermes::bytes table_bytes() const { return {}; }",
       "a predictor needs `void predict("},
      {"void predict(const hermes::prediction_request&, hermes::prediction&) {}\n"
       "hermes::bytes table_bytes() const { return {}; }",
       "a predictor needs `void update("},
      {"void predict(const hermes::prediction_request&, hermes::prediction&) {}\n"
       "void update(const hermes::prediction_request&, const hermes::neuron_mask&) {}",
       "a predictor needs `hermes::bytes table_bytes() const`"},
  };
  int n = 0;
  for (const auto& p : probes) {
    const std::string src = dir + "/probe" + std::to_string(n) + ".cpp";
    const std::string log = dir + "/probe" + std::to_string(n) + ".log";
    ++n;
    {
      std::ofstream f(src);
      f << "#include \"hermes/predict/predictor.hpp\"\nstruct user_predictor {\n" << p.type_body
        << "\n};\nstatic_assert(hermes::check_predictor<user_predictor>());\nint main() {}\n";
    }
    const std::string cmd = std::string(HERMES_CXX_COMPILER) + " -std=c++20 -fsyntax-only -I" +
                            HERMES_SOURCE_DIR "/include " + src + " > " + log + " 2>&1";
    const int rc = std::system(cmd.c_str());
    CHECK(rc != 0);
    std::ifstream in(log);
    const std::string diagnostics((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(diagnostics);
    CHECK(diagnostics.find(p.expected) != std::string::npos);
  }
}
