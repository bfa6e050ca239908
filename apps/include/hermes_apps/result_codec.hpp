#pragma once
// A lossless text encoding of simulated runs (sim/result.hpp), for sending them between the
// processes of an MPI job (`mpirun -n N hermes-sim reproduce`, hermes_apps/distributed.hpp):
// every field of sim_result, the per-window DIMM loads and the per-resource energy included,
// decodes to the same value bit for bit. Doubles travel as C hexadecimal floating point ("%a":
// exact, infinities and NaN included), strings as "<length>:<bytes>", so that any byte fits.
// Not a file format: both ends are the same program, so there is no versioning beyond a tag.
// One field list (visit_result) drives encoding and decoding, so that they cannot disagree;
// tests/apps/test_result_codec.cpp checks a fully populated result field by field.
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/sim/result.hpp"

namespace hermes::apps {

// A run with the host time it took (what run_cache keeps per run).
struct coded_run {
  sim_result result;
  double wall_seconds = 0.0;
  double cpu_seconds = 0.0;
};

namespace codec_detail {

inline constexpr std::string_view tag = "hermes-runs/2";
// The last enumerator of resource_kind (core/ledger.hpp): a decoded kind must not exceed it.
inline constexpr resource_kind last_kind = resource_kind::near_memory;

class writer {
 public:
  void value(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a ", v);
    out_ += buf;
  }
  void value(std::size_t v) { out_ += std::to_string(v) + ' '; }
  void value(bool v) { out_ += v ? "1 " : "0 "; }
  void value(const std::string& s) {
    out_ += std::to_string(s.size());
    out_ += ':';
    out_ += s;
    out_ += ' ';
  }
  template <int B, int S, int F, int J>
  void value(const quantity<B, S, F, J>& q) { value(q.value()); }
  void value(const resource_kind& k) { value(static_cast<std::size_t>(k)); }
  template <class T, class Each>
  void sequence(const std::vector<T>& v, Each&& each) {
    value(v.size());
    for (const auto& x : v) each(x);
  }
  [[nodiscard]] std::string& text() { return out_; }

 private:
  std::string out_;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  void value(double& v) {
    const std::string t = token("a number");
    char* end = nullptr;
    v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size()) fail("a number", t);
  }
  void value(std::size_t& v) {
    const std::string t = token("a count");
    if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos) fail("a count", t);
    errno = 0;
    const unsigned long long x = std::strtoull(t.c_str(), nullptr, 10);
    if (errno == ERANGE || x > std::numeric_limits<std::size_t>::max()) fail("a count that fits a size_t", t);
    v = static_cast<std::size_t>(x);
  }
  void value(bool& v) {
    const std::string t = token("0 or 1");
    if (t != "0" && t != "1") fail("0 or 1", t);
    v = t == "1";
  }
  void value(std::string& s) {
    const std::size_t colon = in_.find(':', pos_);
    if (colon == std::string_view::npos) fail("a string (<length>:<bytes>)", in_.substr(pos_, 20));
    const std::string_view len = in_.substr(pos_, colon - pos_);
    if (len.empty() || len.find_first_not_of("0123456789") != std::string_view::npos)
      fail("a string length", len);
    const std::size_t n = std::strtoull(std::string(len).c_str(), nullptr, 10);
    if (n > in_.size() - colon - 1) fail("a string of the stated length", len);
    s.assign(in_.substr(colon + 1, n));
    pos_ = colon + 1 + n;
    expect_space();
  }
  template <int B, int S, int F, int J>
  void value(quantity<B, S, F, J>& q) {
    double d = 0.0;
    value(d);
    q = quantity<B, S, F, J>(d);
  }
  void value(resource_kind& k) {
    std::size_t x = 0;
    value(x);
    if (x > static_cast<std::size_t>(last_kind)) fail("a resource kind", std::to_string(x));
    k = static_cast<resource_kind>(x);
  }
  template <class T, class Each>
  void sequence(std::vector<T>& v, Each&& each) {
    std::size_t n = 0;
    value(n);
    if (n > in_.size() - pos_) fail("a count no larger than the data left", std::to_string(n));  // each takes >= 1 byte
    v.assign(n, T{});
    for (auto& x : v) each(x);
  }
  [[nodiscard]] bool at_end() const { return pos_ == in_.size(); }
  void expect_tag() {
    if (token("the tag") != tag) fail(std::string(tag), in_.substr(0, tag.size()));
  }

 private:
  std::string token(const char* what) {
    const std::size_t space = in_.find(' ', pos_);
    if (space == std::string_view::npos) fail(what, "the end of the data");
    std::string t(in_.substr(pos_, space - pos_));
    pos_ = space + 1;
    return t;
  }
  void expect_space() {
    if (pos_ >= in_.size() || in_[pos_] != ' ') fail("a space after a string", in_.substr(pos_, 20));
    ++pos_;
  }
  [[noreturn]] void fail(std::string_view expected, std::string_view found) const {
    throw error("decoding simulated runs: at byte " + std::to_string(pos_) + " expected " + std::string(expected) +
                ", found \"" + std::string(found) + "\"");
  }
  std::string_view in_;
  std::size_t pos_ = 0;
};

// Every field of a sim_result, in one order, for the writer (const result) and the reader.
template <class Archive, class Result>
void visit_result(Archive& a, Result& r) {
  a.value(r.model);
  a.value(r.system);
  a.value(r.gpu);
  a.value(r.dimms);
  a.value(r.batch);
  a.value(r.input_len);
  a.value(r.output_len);
  a.value(r.supported);
  a.value(r.reason);
  a.value(r.seconds_prefill);
  a.value(r.seconds_decode);
  a.value(r.end_to_end_tokens_per_second);
  a.value(r.decode_tokens_per_second);
  auto& b = r.breakdown;
  a.value(b.gpu_compute);
  a.value(b.near_memory_compute);
  a.value(b.near_memory_compute_mean);
  a.value(b.host_compute);
  a.value(b.pcie);
  a.value(b.pcie_weights);
  a.value(b.cold_link);
  a.value(b.sync);
  a.value(b.predictor);
  a.value(b.prefill);
  a.value(r.attention_latency_per_token);
  a.value(r.mlp_latency_per_token);
  a.value(r.has_kernel_times);
  for (auto& k : r.decode_kernel_seconds) a.value(k);
  a.value(r.cold_load_imbalance);
  a.value(r.has_prediction);
  a.value(r.prediction_accuracy);
  a.value(r.prediction_recall);
  a.value(r.prediction_precision);
  a.value(r.predicted_density);
  a.value(r.true_density);
  a.value(r.predictor_table);
  a.value(r.attention_accuracy);
  a.value(r.attention_recall);
  a.value(r.attention_precision);
  a.value(r.ffn_accuracy);
  a.value(r.ffn_recall);
  a.value(r.ffn_precision);
  a.value(r.ffn_true_density);
  a.value(r.ffn_predicted_density);
  a.value(r.attention_true_density);
  a.value(r.attention_predicted_density);
  a.value(r.has_placement);
  a.value(r.placement_method);
  a.value(r.placement_objective);
  a.value(r.placement_lower_bound);
  a.value(r.placement_gap);
  a.value(r.placement_solve_seconds);
  a.value(r.placement_time_limit_reached);
  a.value(r.placement_cbc_ran);
  a.value(r.placement_target_gap);
  a.value(r.host_seconds_activations);
  a.value(r.host_seconds_placement);
  a.value(r.host_seconds_simulation);
  auto& w = r.window_loads;
  a.value(w.window_tokens);
  a.value(w.windows);
  a.value(w.stages);
  a.value(w.dimms);
  a.sequence(w.loads, [&](auto& x) { a.value(x); });
  a.value(r.hot_neurons_promoted);
  a.value(r.neurons_remapped);
  auto& e = r.energy;
  a.value(e.measured);
  a.value(e.joules);
  a.value(e.static_joules);
  a.value(e.joules_per_token);
  a.sequence(e.resources, [&](auto& x) {
    a.value(x.name);
    a.value(x.kind);
    a.value(x.dynamic_joules);
    a.value(x.static_joules);
  });
  auto& h = r.hardware;
  a.value(h.gpu_model);
  a.value(h.gpus);
  a.value(h.ndp_dimms);
  a.value(h.hosts);
  a.sequence(h.unpriced_parts, [&](auto& x) { a.value(x); });
  auto& c = r.cost;
  a.value(c.priced);
  a.value(c.unpriced_reason);
  a.value(c.hardware_usd);
  a.value(c.tokens_per_second_per_kusd);
  a.value(c.usd_per_million_tokens);
  a.value(c.hardware_usd_per_million_tokens);
  a.value(c.energy_usd_per_million_tokens);
}

}  // namespace codec_detail

// The runs as one string, and back. decode_runs throws hermes::error (naming the byte offset and
// what was expected) on anything encode_runs did not write.
[[nodiscard]] inline std::string encode_runs(const std::vector<coded_run>& runs) {
  codec_detail::writer w;
  w.text() += std::string(codec_detail::tag) + ' ';
  w.sequence(runs, [&](const coded_run& r) {
    w.value(r.wall_seconds);
    w.value(r.cpu_seconds);
    codec_detail::visit_result(w, r.result);
  });
  return std::move(w.text());
}

[[nodiscard]] inline std::vector<coded_run> decode_runs(std::string_view text) {
  codec_detail::reader rd(text);
  rd.expect_tag();
  std::vector<coded_run> runs;
  rd.sequence(runs, [&](coded_run& r) {
    rd.value(r.wall_seconds);
    rd.value(r.cpu_seconds);
    codec_detail::visit_result(rd, r.result);
  });
  if (!rd.at_end()) throw error("decoding simulated runs: data left after the last run");
  return runs;
}

}  // namespace hermes::apps
