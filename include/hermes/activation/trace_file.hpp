#pragma once
// The recorded-trace file format, version 1 (docs/trace-format.md has the byte table).
// All integers little-endian, written byte by byte, so files move between machines.
//
//   offset  size  field
//   0       8     magic "HRMSTRCE"
//   8       4     u32 format version (1)
//   12      4     u32 header size in bytes (48 in version 1)
//   16      8     u64 layers
//   24      8     u64 attention neurons per layer
//   32      8     u64 FFN neurons per layer
//   40      8     u64 tokens
//   48      ...   masks: token-major, then layer, then attention before FFN; each mask is
//                 ceil(neurons / 64) u64 words, neuron i = bit i % 64 of word i / 64, unused
//                 high bits of the last word zero
//   end-8   8     u64 FNV-1a-64 of every byte before it (header and masks)
//
// Versioning: a reader accepts every version up to its own and rejects newer ones; a change
// to the layout bumps the version. The reader names the failed check and where it failed.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ios>
#include <istream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "hermes/activation/trace.hpp"
#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/core/memory_budget.hpp"
#include "hermes/core/output_file.hpp"

namespace hermes {

namespace trace_format {
inline constexpr char magic[8] = {'H', 'R', 'M', 'S', 'T', 'R', 'C', 'E'};
inline constexpr std::uint32_t version = 1;
inline constexpr std::uint32_t header_bytes = 48;
inline constexpr std::size_t checksum_bytes = 8;

// FNV-1a, 64-bit (Fowler, Noll, Vo; offset basis and prime from the reference definition).
inline constexpr std::uint64_t fnv_offset_basis = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;
inline std::uint64_t fnv1a64(const unsigned char* data, std::size_t n, std::uint64_t h = fnv_offset_basis) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ data[i]) * fnv_prime;
  return h;
}
// Upper bounds on a header's shape (docs/trace-format.md): far above any model (LLaMA2-70B has
// 80 layers and 28672 FFN neurons), far below sizes whose products overflow or whose per-layer
// tables (frequencies, predictor state) would exhaust memory before a single token is read.
inline constexpr std::uint64_t max_layers = 1ull << 16;
inline constexpr std::uint64_t max_neurons = 1ull << 24;  // per layer, attention and FFN each
// layers x (attention + FFN neurons): what a frequency profile of the trace holds (the same
// cap as frequency_profile::max_csv_rows); LLaMA2-70B has 2.9 million.
inline constexpr std::uint64_t max_neurons_per_token = 1ull << 25;
inline std::size_t words(std::size_t neurons) { return neurons / 64 + (neurons % 64 != 0); }
// Bytes of one token's masks; checked, since a header's fields may be anything.
inline std::size_t token_bytes(const trace_layout& l) {
  const std::uint64_t per_layer =
      checked_add<std::uint64_t>("trace shape: attention + FFN mask words", words(l.attention_neurons), words(l.ffn_neurons));
  return checked_mul("trace shape: layers x mask words x 8 bytes", {l.layers, per_layer, 8});
}
}  // namespace trace_format

// What a trace file failed, and the byte offset where (the start of the offending field).
class trace_file_error : public input_file_error {
 public:
  enum class check { magic, version, header, shape, truncated, trailing_bytes, checksum, padding_bits };
  trace_file_error(check c, std::size_t offset, const std::string& what)
      : input_file_error(what), check_(c), offset_(offset) {}
  [[nodiscard]] check failed_check() const { return check_; }
  [[nodiscard]] std::size_t byte_offset() const { return offset_; }

 private:
  check check_;
  std::size_t offset_;
};

namespace detail {
inline void put_u32(std::vector<unsigned char>& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
inline void put_u64(std::vector<unsigned char>& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
inline std::uint64_t get_le(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}
}  // namespace detail

// The complete file image of `trace`.
inline std::vector<unsigned char> encode_trace(const activation_trace& trace) {
  const trace_layout& l = trace.layout();
  std::vector<unsigned char> b;
  b.reserve(trace_format::header_bytes + trace.tokens() * trace_format::token_bytes(l) + trace_format::checksum_bytes);
  for (char c : trace_format::magic) b.push_back(static_cast<unsigned char>(c));
  detail::put_u32(b, trace_format::version);
  detail::put_u32(b, trace_format::header_bytes);
  detail::put_u64(b, l.layers);
  detail::put_u64(b, l.attention_neurons);
  detail::put_u64(b, l.ffn_neurons);
  detail::put_u64(b, trace.tokens());
  for (std::size_t t = 0; t < trace.tokens(); ++t)
    for (std::size_t layer = 0; layer < l.layers; ++layer)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn})
        for (std::uint64_t w : trace.mask(t, layer, k).words()) detail::put_u64(b, w);
  detail::put_u64(b, trace_format::fnv1a64(b.data(), b.size()));
  return b;
}

inline void write_trace(std::ostream& os, const activation_trace& trace) {
  const auto b = encode_trace(trace);
  os.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!os) throw error("write_trace: the stream failed while writing " + std::to_string(b.size()) + " bytes");
}
// Written whole or not at all (core/output_file.hpp): an existing file is replaced only by a
// complete, checked trace.
inline void save_trace(const std::string& path, const activation_trace& trace) {
  output_file f(path, std::ios::binary);
  write_trace(f.stream(), trace);
  f.commit();
}

// Decodes a file image. `source` names the file in messages; with `expected`, the trace's
// shape must equal the model's.
inline activation_trace decode_trace(const std::vector<unsigned char>& b, std::string_view source = "trace",
                                     std::optional<trace_layout> expected = std::nullopt) {
  using check = trace_file_error::check;
  const std::string src(source);
  const auto need = [&](std::size_t offset, std::size_t bytes, std::string_view field) {
    if (b.size() < offset + bytes)
      throw trace_file_error(check::truncated, b.size(),
                             src + ": truncated: the file ends at byte " + std::to_string(b.size()) + " inside the " +
                                 std::string(field) + " field (bytes " + std::to_string(offset) + ".." +
                                 std::to_string(offset + bytes) + ")");
  };
  need(0, 8, "magic");
  if (!std::equal(std::begin(trace_format::magic), std::end(trace_format::magic), b.begin(),
                  [](char m, unsigned char c) { return static_cast<unsigned char>(m) == c; }))
    throw trace_file_error(check::magic, 0, src + ": bad magic at byte 0: not a hermes trace file (expected \"HRMSTRCE\")");
  need(8, 4, "version");
  const auto version = detail::get_le(b.data() + 8, 4);
  if (version == 0 || version > trace_format::version)
    throw trace_file_error(check::version, 8,
                           src + ": format version " + std::to_string(version) + " at byte 8 is not supported: this reader reads versions 1.." +
                               std::to_string(trace_format::version));
  need(12, 4, "header size");
  const auto header = detail::get_le(b.data() + 12, 4);
  if (header != trace_format::header_bytes)
    throw trace_file_error(check::header, 12,
                           src + ": header size " + std::to_string(header) + " at byte 12, expected " +
                               std::to_string(trace_format::header_bytes) + " for version " + std::to_string(version));
  need(16, 32, "shape and token count");
  const trace_layout layout{detail::get_le(b.data() + 16, 8), detail::get_le(b.data() + 24, 8), detail::get_le(b.data() + 32, 8)};
  const std::uint64_t tokens = detail::get_le(b.data() + 40, 8);
  if (expected) {
    const auto mismatch = [&](std::size_t offset, std::string_view field, std::size_t found, std::size_t want) {
      if (found != want)
        throw trace_file_error(check::shape, offset,
                               src + ": shape mismatch: " + std::string(field) + " = " + std::to_string(found) + " at byte " +
                                   std::to_string(offset) + ", the model has " + std::to_string(want));
    };
    mismatch(16, "layers", layout.layers, expected->layers);
    mismatch(24, "attention neurons", layout.attention_neurons, expected->attention_neurons);
    mismatch(32, "FFN neurons", layout.ffn_neurons, expected->ffn_neurons);
  }
  const auto too_large = [&](std::size_t offset, std::string_view field, std::uint64_t found, std::uint64_t max) {
    if (found > max)
      throw trace_file_error(check::shape, offset,
                             src + ": " + std::string(field) + " = " + std::to_string(found) + " at byte " +
                                 std::to_string(offset) + " is more than this reader accepts (at most " +
                                 std::to_string(max) + ")");
  };
  too_large(16, "layers", layout.layers, trace_format::max_layers);
  too_large(24, "attention neurons", layout.attention_neurons, trace_format::max_neurons);
  too_large(32, "FFN neurons", layout.ffn_neurons, trace_format::max_neurons);
  too_large(16, "layers x (attention + FFN neurons)", layout.layers * (layout.attention_neurons + layout.ffn_neurons),
            trace_format::max_neurons_per_token);  // no overflow: each factor is capped above
  const std::size_t token_bytes = trace_format::token_bytes(layout);
  if (layout.layers == 0 || token_bytes == 0)
    throw trace_file_error(check::shape, 16, src + ": the header declares an empty shape (" + std::to_string(layout.layers) +
                                                 " layers, " + std::to_string(layout.attention_neurons) + " attention and " +
                                                 std::to_string(layout.ffn_neurons) + " FFN neurons)");
  // Bound the declared size by the real one before multiplying, so a corrupt token count cannot overflow.
  const bool beyond_file = tokens > b.size() / token_bytes;
  const std::size_t payload_end =
      beyond_file ? b.size() + 1 : trace_format::header_bytes + static_cast<std::size_t>(tokens) * token_bytes;
  if (beyond_file || b.size() < payload_end + trace_format::checksum_bytes) {
    const std::size_t offset = b.size();
    std::string where = "the checksum";
    if (beyond_file || offset < payload_end) {
      const std::size_t in_payload = offset - trace_format::header_bytes;
      const std::size_t t = in_payload / token_bytes;
      std::size_t within = in_payload % token_bytes;
      const std::size_t layer_bytes = (trace_format::words(layout.attention_neurons) + trace_format::words(layout.ffn_neurons)) * 8;
      const std::size_t layer = within / layer_bytes;
      within %= layer_bytes;
      const bool ffn = within >= trace_format::words(layout.attention_neurons) * 8;
      where = "token " + std::to_string(t) + ", layer " + std::to_string(layer) + ", " + (ffn ? "FFN" : "attention") + " mask";
    }
    throw trace_file_error(check::truncated, offset,
                           src + ": truncated: the header declares " + std::to_string(tokens) + " tokens (" +
                               std::to_string(token_bytes) + " bytes of masks each) but the file ends at byte " +
                               std::to_string(offset) + ", inside " + where);
  }
  if (b.size() > payload_end + trace_format::checksum_bytes)
    throw trace_file_error(check::trailing_bytes, payload_end + trace_format::checksum_bytes,
                           src + ": " + std::to_string(b.size() - payload_end - trace_format::checksum_bytes) +
                               " unexpected bytes after the checksum at byte " + std::to_string(payload_end + trace_format::checksum_bytes));
  const std::uint64_t stored = detail::get_le(b.data() + payload_end, 8);
  const std::uint64_t computed = trace_format::fnv1a64(b.data(), payload_end);
  if (stored != computed)
    throw trace_file_error(check::checksum, payload_end,
                           src + ": bad checksum: FNV-1a-64 of bytes [0, " + std::to_string(payload_end) + ") is " +
                               std::to_string(computed) + " but byte " + std::to_string(payload_end) + " stores " +
                               std::to_string(stored) + " (the file is corrupt)");

  // The decoded trace in memory: per mask its object (32 B) and its heap block's header (16 B)
  // beside its words, while the file's bytes are still held. A small layout takes several times
  // the file's size; refused before anything is allocated when that exceeds the memory budget
  // (core/memory_budget.hpp, docs/errors.md "Memory").
  {
    const double masks = static_cast<double>(tokens) * static_cast<double>(layout.layers) * 2.0;
    const double decoded = masks * 48.0 + static_cast<double>(tokens) * static_cast<double>(token_bytes);
    const host_memory_budget budget = default_host_memory_budget();
    if (budget.bytes > 0.0 && decoded + static_cast<double>(b.size()) > budget.bytes)
      throw resource_limit(src, std::to_string(tokens) + " tokens of " + std::to_string(layout.layers) + " layers (" +
                                    gigabytes(bytes(decoded)) + " decoded, beside the file's " +
                                    gigabytes(bytes(static_cast<double>(b.size()))) + ")",
                           "a trace that fits the memory budget of " + gigabytes(bytes(budget.bytes)) + " (" +
                               budget.source + ")");
  }

  activation_trace trace(layout);
  std::size_t offset = trace_format::header_bytes;
  for (std::size_t t = 0; t < tokens; ++t) {
    trace.append_token();
    for (std::size_t layer = 0; layer < layout.layers; ++layer)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        auto& mask = trace.mask(t, layer, k);
        auto& w = mask.words();
        for (std::size_t i = 0; i < w.size(); ++i, offset += 8) w[i] = detail::get_le(b.data() + offset, 8);
        const std::size_t used = mask.size() % 64;
        if (used != 0 && (w.back() >> used) != 0)
          throw trace_file_error(check::padding_bits, offset - 8,
                                 src + ": token " + std::to_string(t) + ", layer " + std::to_string(layer) + ", " +
                                     (k == layer_kind::ffn ? "FFN" : "attention") + " mask sets bits beyond neuron " +
                                     std::to_string(mask.size() - 1) + " in the word at byte " + std::to_string(offset - 8));
      }
  }
  return trace;
}

inline activation_trace read_trace(std::istream& is, std::string_view source = "trace",
                                   std::optional<trace_layout> expected = std::nullopt) {
  std::vector<unsigned char> b((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  return decode_trace(b, source, expected);
}
inline activation_trace load_trace(const std::string& path, std::optional<trace_layout> expected = std::nullopt) {
  // A directory opens as a stream on Linux, and reading it throws std::ios_base::failure from
  // the stream buffer: name it instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw input_file_error("load_trace: " + path + " is a directory, not a trace file");
  if (const std::string why = input_file_problem(path, input_caps::trace); !why.empty())
    throw input_file_error("load_trace: " + path + " " + why);
  std::ifstream is(path, std::ios::binary);
  if (!is) throw input_file_error("load_trace: cannot open " + path);
  try {
    return read_trace(is, path, expected);
  } catch (const std::ios_base::failure& e) {
    throw input_file_error("load_trace: cannot read " + path + ": " + e.what());
  }
}

}  // namespace hermes
