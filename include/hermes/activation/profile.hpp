#pragma once
// Per-neuron activation frequencies, per layer and layer kind: what the offline ILP mapper
// (Hermes Sec IV-B, f_i in Eq 1-7) and the predictor's state-table initialisation (Sec IV-C.1)
// consume. Built from a trace's token range, or read from a CSV profile:
//
//     layer,kind,neuron,frequency
//     0,attention,0,0.731
//     0,ffn,17,0.02
//
// One row per neuron; kind is "attention" or "ffn"; frequency is a fraction of tokens in
// [0, 1]. Every neuron of the layout appears exactly once (rows in any order). A JSON form
// ({"layers", "attention_neurons", "ffn_neurons", "attention": [[...]...], "ffn": [[...]...]})
// carries the same numbers for tools that prefer it: hermes/io/profile_json.hpp (hermes::json).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <istream>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/activation/trace.hpp"
#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/text.hpp"

namespace hermes {

inline std::string_view to_string(layer_kind k) { return k == layer_kind::attention ? "attention" : "ffn"; }

class frequency_profile {
 public:
  frequency_profile() = default;
  explicit frequency_profile(trace_layout layout) : layout_(layout) {
    values_.reserve(layout.layers * layer_kinds);
    for (std::size_t l = 0; l < layout.layers; ++l) {
      values_.emplace_back(layout.attention_neurons, 0.0);
      values_.emplace_back(layout.ffn_neurons, 0.0);
    }
  }

  // Frequencies over tokens [begin, end) of `trace`.
  static frequency_profile from_trace(const activation_trace& trace, std::size_t begin, std::size_t end) {
    frequency_profile p(trace.layout());
    for (std::size_t l = 0; l < trace.layout().layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) p.values_[p.index(l, k)] = trace.frequency(l, k, begin, end);
    return p;
  }
  static frequency_profile from_trace(const activation_trace& trace) {
    return from_trace(trace, 0, trace.tokens());
  }

  [[nodiscard]] const trace_layout& layout() const { return layout_; }
  [[nodiscard]] const std::vector<double>& frequencies(std::size_t layer, layer_kind k) const {
    return values_[index(layer, k)];
  }
  [[nodiscard]] std::vector<double>& frequencies(std::size_t layer, layer_kind k) { return values_[index(layer, k)]; }

  // Throws unless every frequency is a number in [0, 1].
  void validate() const {
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto& f = frequencies(l, k);
        for (std::size_t i = 0; i < f.size(); ++i)
          if (!(f[i] >= 0.0 && f[i] <= 1.0))
            throw invalid_parameter("profile frequency (layer " + std::to_string(l) + ", " +
                                        std::string(to_string(k)) + ", neuron " + std::to_string(i) + ")",
                                    to_text(f[i]), "a fraction in [0, 1]");
      }
  }

  void write_csv(std::ostream& os) const {
    os << "layer,kind,neuron,frequency\n";
    char buf[32];
    for (std::size_t l = 0; l < layout_.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto& f = frequencies(l, k);
        for (std::size_t i = 0; i < f.size(); ++i) {
          // Shortest round-trip form: reading the CSV back gives the same doubles.
          const auto r = std::to_chars(buf, buf + sizeof buf, f[i]);
          os << l << ',' << to_string(k) << ',' << i << ',' << std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)) << '\n';
        }
      }
  }

  // At most this many rows in a CSV profile (docs/errors.md): 11 times LLaMA2-70B's 2.9 million
  // neurons; the rows are held in memory before the layout is known.
  static constexpr std::size_t max_csv_rows = std::size_t{1} << 25;

  // Reads a CSV profile. With `expected`, the profile must have exactly that layout; without,
  // the layout is the smallest one holding every row (and every neuron of it must be present).
  // `source` names the input in error messages, which also give the line number and quote at
  // most 60 characters of a bad value. Nothing is allocated for the layout before the rows are
  // known to be enough for it: a row naming neuron 10^12 is an error, not an allocation.
  static frequency_profile read_csv(std::istream& is, std::string_view source = "profile CSV",
                                    std::optional<trace_layout> expected = std::nullopt) {
    struct row { std::size_t layer; layer_kind kind; std::size_t neuron; double f; std::size_t line; };
    std::vector<row> rows;
    std::string text;
    std::size_t line_no = 0;
    const auto fail = [&](const std::string& what) -> input_file_error {
      return input_file_error(std::string(source) + ":" + std::to_string(line_no) + ": " + what);
    };
    bool header_seen = false;
    while (std::getline(is, text)) {
      ++line_no;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.empty()) continue;
      if (!header_seen) {
        if (text != "layer,kind,neuron,frequency")
          throw fail("header is \"" + preview(text) + "\", expected \"layer,kind,neuron,frequency\"");
        header_seen = true;
        continue;
      }
      const auto fields = static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) + 1;
      if (fields != 4)
        throw fail("has " + std::to_string(fields) + " fields, expected 4 (layer,kind,neuron,frequency)");
      std::string_view cells[4];
      std::string_view rest(text);
      for (std::size_t c = 0; c < 3; ++c) {
        const std::size_t comma = rest.find(',');
        cells[c] = rest.substr(0, comma);
        rest.remove_prefix(comma + 1);
      }
      cells[3] = rest;
      if (rows.size() == max_csv_rows)
        throw fail("more than " + std::to_string(max_csv_rows) + " rows: a profile has one row per neuron, at most " +
                   std::to_string(max_csv_rows));
      row r{};
      r.line = line_no;
      if (!parse_index(cells[0], r.layer)) throw fail("layer \"" + preview(cells[0]) + "\" is not a non-negative integer");
      if (cells[1] == "attention") r.kind = layer_kind::attention;
      else if (cells[1] == "ffn") r.kind = layer_kind::ffn;
      else throw fail("kind \"" + preview(cells[1]) + "\" is neither \"attention\" nor \"ffn\"");
      if (!parse_index(cells[2], r.neuron)) throw fail("neuron \"" + preview(cells[2]) + "\" is not a non-negative integer");
      const auto* end = cells[3].data() + cells[3].size();
      const auto res = std::from_chars(cells[3].data(), end, r.f);
      if (res.ec != std::errc{} || res.ptr != end) throw fail("frequency \"" + preview(cells[3]) + "\" is not a number");
      if (!(r.f >= 0.0 && r.f <= 1.0)) throw fail("frequency " + preview(cells[3]) + " is outside [0, 1]");
      rows.push_back(r);
    }
    if (!header_seen) throw input_file_error(std::string(source) + ": empty, expected the header \"layer,kind,neuron,frequency\"");

    trace_layout layout{};
    if (expected) {
      layout = *expected;
    } else {
      for (const row& r : rows) {
        line_no = r.line;
        // An index of 2^64 - 1 would wrap to a count of 0.
        if (r.layer >= max_csv_rows || r.neuron >= max_csv_rows)
          throw fail((r.layer >= max_csv_rows ? "layer " + std::to_string(r.layer) : "neuron " + std::to_string(r.neuron)) +
                     " is beyond what " + std::to_string(max_csv_rows) + " rows (the most a profile may have) can cover");
        layout.layers = std::max(layout.layers, r.layer + 1);
        auto& n = r.kind == layer_kind::attention ? layout.attention_neurons : layout.ffn_neurons;
        n = std::max(n, r.neuron + 1);
      }
      // Every neuron needs its own row: a layout larger than the rows is missing some, and is
      // refused before it is allocated (its size comes from the largest index a row names).
      const std::uint64_t neurons = checked_mul(
          std::string(source) + ": layers x (attention + FFN neurons) the rows name",
          {layout.layers, checked_add<std::uint64_t>(std::string(source) + ": attention + FFN neurons the rows name",
                                                     layout.attention_neurons, layout.ffn_neurons)});
      if (neurons > rows.size())
        throw input_file_error(std::string(source) + ": the rows name up to layer " + std::to_string(layout.layers - 1) +
                    ", attention neuron " + std::to_string(layout.attention_neurons) + " and FFN neuron " +
                    std::to_string(layout.ffn_neurons) + " (counting from 1), " + std::to_string(neurons) +
                    " neurons, but there are only " + std::to_string(rows.size()) +
                    " rows: every neuron needs a row");
    }
    frequency_profile p(layout);
    std::vector<std::vector<std::size_t>> seen_on(layout.layers * layer_kinds);
    for (std::size_t s = 0; s < seen_on.size(); ++s) seen_on[s].assign(p.values_[s].size(), 0);
    for (const row& r : rows) {
      line_no = r.line;
      if (r.layer >= layout.layers)
        throw fail("layer " + std::to_string(r.layer) + " outside the model's [0, " + std::to_string(layout.layers) + ")");
      if (r.neuron >= layout.neurons(r.kind))
        throw fail(std::string(to_string(r.kind)) + " neuron " + std::to_string(r.neuron) + " outside [0, " +
                   std::to_string(layout.neurons(r.kind)) + ")");
      auto& seen = seen_on[p.index(r.layer, r.kind)][r.neuron];
      if (seen) throw fail("layer " + std::to_string(r.layer) + " " + std::string(to_string(r.kind)) + " neuron " +
                           std::to_string(r.neuron) + " repeats line " + std::to_string(seen));
      seen = r.line;
      p.values_[p.index(r.layer, r.kind)][r.neuron] = r.f;
    }
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto& seen = seen_on[p.index(l, k)];
        for (std::size_t i = 0; i < seen.size(); ++i)
          if (!seen[i])
            throw input_file_error(std::string(source) + ": layer " + std::to_string(l) + " " + std::string(to_string(k)) +
                        " neuron " + std::to_string(i) + " is missing (every neuron needs a row)");
      }
    return p;
  }

 private:
  static bool parse_index(std::string_view s, std::size_t& out) {
    const auto* end = s.data() + s.size();
    const auto r = std::from_chars(s.data(), end, out);
    return r.ec == std::errc{} && r.ptr == end && !s.empty();
  }
  [[nodiscard]] std::size_t index(std::size_t layer, layer_kind k) const {
    if (layer >= layout_.layers)
      throw error("frequency_profile: layer " + std::to_string(layer) + " outside [0, " + std::to_string(layout_.layers) + ")");
    return layer * layer_kinds + static_cast<std::size_t>(k);
  }
  trace_layout layout_{};
  std::vector<std::vector<double>> values_;
};

}  // namespace hermes
