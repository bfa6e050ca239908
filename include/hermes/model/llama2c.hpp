#pragma once
// Reader for the llama2.c checkpoint format (Karpathy's llama2.c, "legacy" version 0 export):
// a header of 7 little-endian int32 followed by float32 tensors, all row-major. This is the
// format of the stories260K model shipped in data/stories260K.
//
//   header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
//           (vocab_size > 0: the classifier shares the token embedding; vocab_size < 0: a
//            separate classifier of |vocab_size| rows follows the RoPE tables)
//   token_embedding [vocab, dim]    rms_att [layers, dim]
//   wq [layers, dim, dim]           wk [layers, kv_dim, dim]    wv [layers, kv_dim, dim]
//   wo [layers, dim, dim]           rms_ffn [layers, dim]
//   w1 [layers, hidden, dim]        w2 [layers, dim, hidden]    w3 [layers, hidden, dim]
//   rms_final [dim]                 freq_cis_real, freq_cis_imag [seq_len, head_size / 2]
//   (wcls [vocab, dim] when vocab_size < 0)
//
// The weights land in host Kokkos views with the file's shapes (LayoutRight, so a view is the
// file's bytes). The RoPE tables are skipped: the attention layer computes RoPE itself.
// Every inconsistency is reported with what was expected and what was found, because a
// checkpoint that loads "almost" right produces fluent-looking garbage rather than a crash.
#include <Kokkos_Core.hpp>

#include <bit>
#include <cstdint>
#include <utility>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "hermes/core/checked.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/core/model_shape.hpp"

namespace hermes {

static_assert(std::endian::native == std::endian::little,
              "the llama2.c reader maps the little-endian file directly into memory");
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559,
              "llama2.c checkpoints store IEEE-754 binary32 weights");

using host_vector = Kokkos::View<float*, Kokkos::LayoutRight, Kokkos::HostSpace>;
using host_matrix = Kokkos::View<float**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using host_tensor3 = Kokkos::View<float***, Kokkos::LayoutRight, Kokkos::HostSpace>;

// The header of a llama2.c checkpoint, validated.
struct llama2c_config {
  std::size_t dim = 0;
  std::size_t hidden_dim = 0;
  std::size_t n_layers = 0;
  std::size_t n_heads = 0;
  std::size_t n_kv_heads = 0;
  std::size_t vocab_size = 0;   // |header vocab_size|
  std::size_t seq_len = 0;
  bool shared_classifier = true;  // header vocab_size > 0

  [[nodiscard]] std::size_t head_size() const { return dim / n_heads; }
  [[nodiscard]] std::size_t kv_dim() const { return dim * n_kv_heads / n_heads; }
  // Query heads that share one key/value head (grouped-query attention).
  [[nodiscard]] std::size_t kv_group() const { return n_heads / n_kv_heads; }

  // The model as the cost models see it. The checkpoint holds FP32 weights and the math runs in
  // FP32, so the modelled weights are 4 bytes wide; Llama FFNs are SwiGLU, and a plain Llama
  // has no ReLU before QKV generation.
  [[nodiscard]] model_shape shape(std::string name) const {
    model_shape m;
    m.name = std::move(name);
    m.layers = n_layers;
    m.hidden = dim;
    m.ffn = hidden_dim;
    m.heads = n_heads;
    m.kv_heads = n_kv_heads;
    m.vocab = vocab_size;
    m.max_context = seq_len;
    m.ffn_type = ffn_kind::swiglu;
    m.relu_before_qkv = false;
    m.bytes_per_param = 4.0;
    m.tied_embeddings = shared_classifier;
    return m;
  }
};

struct llama2c_weights {
  host_matrix token_embedding;  // [vocab, dim]
  host_matrix rms_att;          // [layers, dim]
  host_tensor3 wq;              // [layers, dim, dim]
  host_tensor3 wk;              // [layers, kv_dim, dim]
  host_tensor3 wv;              // [layers, kv_dim, dim]
  host_tensor3 wo;              // [layers, dim, dim]
  host_matrix rms_ffn;          // [layers, dim]
  host_tensor3 w1;              // [layers, hidden, dim]  gate projection (through silu)
  host_tensor3 w2;              // [layers, dim, hidden]  down projection
  host_tensor3 w3;              // [layers, hidden, dim]  up projection
  host_vector rms_final;        // [dim]
  host_matrix classifier;       // [vocab, dim]; the same allocation as token_embedding if shared
};

struct llama2c_checkpoint {
  llama2c_config config;
  llama2c_weights weights;
};

namespace detail {

struct llama2c_tensor_extent {
  const char* name;
  std::vector<std::size_t> dims;
  bool load;  // false: present in the file, skipped (RoPE tables)
};

inline std::string dims_text(const std::vector<std::size_t>& dims) {
  std::string s;
  for (std::size_t d : dims) s += (s.empty() ? "" : " x ") + std::to_string(d);
  return s;
}

inline std::vector<llama2c_tensor_extent> llama2c_layout(const llama2c_config& c) {
  const std::size_t L = c.n_layers, D = c.dim, H = c.hidden_dim, KV = c.kv_dim();
  std::vector<llama2c_tensor_extent> t = {
      {"token_embedding", {c.vocab_size, D}, true},
      {"rms_att", {L, D}, true},
      {"wq", {L, D, D}, true},
      {"wk", {L, KV, D}, true},
      {"wv", {L, KV, D}, true},
      {"wo", {L, D, D}, true},
      {"rms_ffn", {L, D}, true},
      {"w1", {L, H, D}, true},
      {"w2", {L, D, H}, true},
      {"w3", {L, H, D}, true},
      {"rms_final", {D}, true},
      {"freq_cis_real", {c.seq_len, c.head_size() / 2}, false},
      {"freq_cis_imag", {c.seq_len, c.head_size() / 2}, false},
  };
  if (!c.shared_classifier) t.push_back({"classifier", {c.vocab_size, D}, true});
  return t;
}

inline std::uint64_t tensor_bytes(const llama2c_tensor_extent& t, const std::string& where) {
  std::uint64_t n = sizeof(float);
  for (std::size_t d : t.dims)
    n = hermes::checked_mul<std::uint64_t>(where + ": header sizes of tensor " + t.name + " [" + dims_text(t.dims) + "] x 4 bytes", n, d);
  return n;
}

}  // namespace detail

// Checks the 7 header fields. `where` names the file in messages.
inline llama2c_config make_llama2c_config(const std::int32_t (&h)[7], const std::string& where) {
  static constexpr const char* names[7] = {"dim",        "hidden_dim", "n_layers", "n_heads",
                                           "n_kv_heads", "vocab_size", "seq_len"};
  for (int i = 0; i < 7; ++i) {
    if (i == 5) {
      if (h[i] == 0 || h[i] == std::numeric_limits<std::int32_t>::min())
        throw invalid_parameter(where + ": header " + names[i], std::to_string(h[i]),
                                "a non-zero vocabulary size (> 0: classifier shared with the "
                                "embedding, < 0: a separate classifier follows)");
      continue;
    }
    if (h[i] <= 0)
      throw invalid_parameter(where + ": header " + names[i], std::to_string(h[i]),
                              "a value > 0");
  }
  llama2c_config c;
  c.dim = static_cast<std::size_t>(h[0]);
  c.hidden_dim = static_cast<std::size_t>(h[1]);
  c.n_layers = static_cast<std::size_t>(h[2]);
  c.n_heads = static_cast<std::size_t>(h[3]);
  c.n_kv_heads = static_cast<std::size_t>(h[4]);
  c.shared_classifier = h[5] > 0;
  c.vocab_size = static_cast<std::size_t>(h[5] > 0 ? h[5] : -static_cast<std::int64_t>(h[5]));
  c.seq_len = static_cast<std::size_t>(h[6]);
  if (c.dim % c.n_heads != 0)
    throw invalid_parameter(where + ": header n_heads", std::to_string(c.n_heads),
                            "a divisor of dim = " + std::to_string(c.dim));
  if (c.head_size() % 2 != 0)
    throw invalid_parameter(where + ": header n_heads", std::to_string(c.n_heads),
                            "a head size dim / n_heads that is even (RoPE rotates pairs); "
                            "dim = " + std::to_string(c.dim) + " gives head size " +
                                std::to_string(c.head_size()));
  if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0)
    throw invalid_parameter(where + ": header n_kv_heads", std::to_string(c.n_kv_heads),
                            "a divisor of n_heads = " + std::to_string(c.n_heads));
  return c;
}

// Reads a llama2.c checkpoint from the `file_size` bytes of `in` (a checkpoint file's whole
// content); `where` names the input in messages. Nothing is allocated before the sizes the
// header implies (computed with checked arithmetic) are known to add up to exactly file_size,
// so a header announcing a huge model is a clean error, not an allocation.
inline llama2c_checkpoint read_llama2c(std::istream& in, std::uint64_t file_size,
                                       const std::string& where = "llama2.c checkpoint") {
  std::int32_t header[7] = {};
  constexpr std::uint64_t header_bytes = sizeof(header);
  if (file_size < header_bytes)
    throw input_file_error(where + ": truncated header: expected " + std::to_string(header_bytes) +
                " bytes (7 x int32), found " + std::to_string(file_size));
  if (!in.read(reinterpret_cast<char*>(header), header_bytes)) throw input_file_error(where + ": read error in the header");

  llama2c_checkpoint ck;
  ck.config = make_llama2c_config(header, where);
  const auto layout = detail::llama2c_layout(ck.config);

  // The whole file size must be exactly what the header implies: a mismatch means the header
  // describes a different model than the tensors that follow it.
  // Sizes first, so that absurd header values report an overflow rather than a truncation.
  std::vector<std::uint64_t> sizes;
  for (const auto& t : layout) sizes.push_back(detail::tensor_bytes(t, where));
  std::uint64_t expected = header_bytes;
  for (std::size_t k = 0; k < layout.size(); ++k) {
    const auto& t = layout[k];
    const std::uint64_t n = sizes[k];
    const std::uint64_t end = hermes::checked_add<std::uint64_t>(where + ": file size the header implies", expected, n);
    if (end > file_size)
      throw input_file_error(where + ": truncated in tensor " + t.name + " [" + detail::dims_text(t.dims) +
                  "]: expected " + std::to_string(n) + " bytes at offset " +
                  std::to_string(expected) + ", found " + std::to_string(file_size - expected) +
                  " (file has " + std::to_string(file_size) + " bytes)");
    expected = end;
  }
  if (file_size != expected)
    throw input_file_error(where + ": file has " + std::to_string(file_size) + " bytes but the header (" +
                "dim " + std::to_string(ck.config.dim) + ", hidden_dim " +
                std::to_string(ck.config.hidden_dim) + ", n_layers " +
                std::to_string(ck.config.n_layers) + ", vocab_size " +
                std::to_string(ck.config.vocab_size) + ", seq_len " +
                std::to_string(ck.config.seq_len) + ", " +
                (ck.config.shared_classifier ? "shared" : "separate") +
                " classifier) implies exactly " + std::to_string(expected) + " bytes");

  auto read_into = [&](float* dst, const detail::llama2c_tensor_extent& t) {
    const std::uint64_t n = detail::tensor_bytes(t, where);
    if (!in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n)))
      throw input_file_error(where + ": read error in tensor " + t.name);
  };
  auto skip = [&](const detail::llama2c_tensor_extent& t) {
    in.seekg(static_cast<std::streamoff>(detail::tensor_bytes(t, where)), std::ios::cur);
    if (!in) throw input_file_error(where + ": seek error past tensor " + t.name);
  };
  auto alloc = [](const char* name) { return Kokkos::view_alloc(std::string(name), Kokkos::WithoutInitializing); };

  const auto& c = ck.config;
  auto& w = ck.weights;
  for (const auto& t : layout) {
    const std::string name = t.name;
    if (!t.load) { skip(t); continue; }
    if (t.dims.size() == 1) {
      host_vector v(alloc(t.name), t.dims[0]);
      read_into(v.data(), t);
      if (name == "rms_final") w.rms_final = v;
    } else if (t.dims.size() == 2) {
      host_matrix m(alloc(t.name), t.dims[0], t.dims[1]);
      read_into(m.data(), t);
      if (name == "token_embedding") w.token_embedding = m;
      else if (name == "rms_att") w.rms_att = m;
      else if (name == "rms_ffn") w.rms_ffn = m;
      else if (name == "classifier") w.classifier = m;
    } else {
      host_tensor3 m(alloc(t.name), t.dims[0], t.dims[1], t.dims[2]);
      read_into(m.data(), t);
      if (name == "wq") w.wq = m;
      else if (name == "wk") w.wk = m;
      else if (name == "wv") w.wv = m;
      else if (name == "wo") w.wo = m;
      else if (name == "w1") w.w1 = m;
      else if (name == "w2") w.w2 = m;
      else if (name == "w3") w.w3 = m;
    }
  }
  if (c.shared_classifier) w.classifier = w.token_embedding;
  return ck;
}

// Loads a llama2.c checkpoint. Throws hermes::error naming the file and the problem.
inline llama2c_checkpoint load_llama2c(const std::filesystem::path& path) {
  const std::string where = "llama2.c checkpoint '" + path.string() + "'";
  opened_input f = open_input_file(path, input_caps::checkpoint, where);
  return read_llama2c(f.stream, f.size, where);
}

}  // namespace hermes
