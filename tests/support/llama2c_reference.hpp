#pragma once
// The reference forward pass for llama2.c checkpoints: plain loops over std::vector, written
// line for line after llama2.c's run.c forward(), with no library layer in between. It pins the
// loader and the tokenizer (it must reproduce the golden text) and is the yardstick the
// library model is compared with.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "hermes/model/llama2c.hpp"

namespace hermes::test {

class reference_llama2c {
 public:
  explicit reference_llama2c(const llama2c_checkpoint& ck)
      : c_(ck.config), w_(ck.weights),
        x_(c_.dim), xb_(c_.dim), xb2_(c_.dim), q_(c_.dim),
        hb_(c_.hidden_dim), hb2_(c_.hidden_dim), att_(c_.seq_len),
        logits_(c_.vocab_size),
        key_cache_(c_.n_layers * c_.seq_len * c_.kv_dim()),
        value_cache_(c_.n_layers * c_.seq_len * c_.kv_dim()) {}

  // The hidden state entering layer l's FFN and the FFN's gate (silu(w1 x)) and up (w3 x)
  // values of the last step, for comparisons with the library's layers.
  std::vector<std::vector<float>> ffn_input, ffn_gate, ffn_up;

  std::span<float> operator()(int token, std::size_t pos) {
    const std::size_t dim = c_.dim, hidden = c_.hidden_dim, kv_dim = c_.kv_dim();
    const std::size_t head_size = c_.head_size(), kv_mul = c_.kv_group();
    ffn_input.assign(c_.n_layers, {});
    ffn_gate.assign(c_.n_layers, {});
    ffn_up.assign(c_.n_layers, {});

    for (std::size_t i = 0; i < dim; ++i) x_[i] = w_.token_embedding(token, i);

    for (std::size_t l = 0; l < c_.n_layers; ++l) {
      rmsnorm(xb_.data(), x_.data(), &w_.rms_att(l, 0), dim);
      float* k = &key_cache_[(l * c_.seq_len + pos) * kv_dim];
      float* v = &value_cache_[(l * c_.seq_len + pos) * kv_dim];
      matmul(q_.data(), xb_.data(), &w_.wq(l, 0, 0), dim, dim);
      matmul(k, xb_.data(), &w_.wk(l, 0, 0), dim, kv_dim);
      matmul(v, xb_.data(), &w_.wv(l, 0, 0), dim, kv_dim);

      // RoPE: rotate interleaved pairs; q everywhere, k within kv_dim.
      for (std::size_t i = 0; i < dim; i += 2) {
        const std::size_t head_dim = i % head_size;
        const float freq = 1.0f / std::pow(10000.0f, static_cast<float>(head_dim) /
                                                         static_cast<float>(head_size));
        const float val = static_cast<float>(pos) * freq;
        const float fcr = std::cos(val), fci = std::sin(val);
        const int rotations = i < kv_dim ? 2 : 1;
        for (int r = 0; r < rotations; ++r) {
          float* vec = r == 0 ? q_.data() : k;
          const float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }

      for (std::size_t h = 0; h < c_.n_heads; ++h) {
        const float* q = &q_[h * head_size];
        for (std::size_t t = 0; t <= pos; ++t) {
          const float* kt = &key_cache_[(l * c_.seq_len + t) * kv_dim + (h / kv_mul) * head_size];
          float score = 0.0f;
          for (std::size_t i = 0; i < head_size; ++i) score += q[i] * kt[i];
          score /= std::sqrt(static_cast<float>(head_size));
          att_[t] = score;
        }
        softmax(att_.data(), pos + 1);
        float* out = &xb_[h * head_size];
        std::memset(out, 0, head_size * sizeof(float));
        for (std::size_t t = 0; t <= pos; ++t) {
          const float* vt =
              &value_cache_[(l * c_.seq_len + t) * kv_dim + (h / kv_mul) * head_size];
          for (std::size_t i = 0; i < head_size; ++i) out[i] += att_[t] * vt[i];
        }
      }
      matmul(xb2_.data(), xb_.data(), &w_.wo(l, 0, 0), dim, dim);
      for (std::size_t i = 0; i < dim; ++i) x_[i] += xb2_[i];

      rmsnorm(xb_.data(), x_.data(), &w_.rms_ffn(l, 0), dim);
      ffn_input[l] = xb_;
      matmul(hb_.data(), xb_.data(), &w_.w1(l, 0, 0), dim, hidden);
      matmul(hb2_.data(), xb_.data(), &w_.w3(l, 0, 0), dim, hidden);
      ffn_up[l] = hb2_;
      for (std::size_t i = 0; i < hidden; ++i) {
        float val = hb_[i];
        val *= 1.0f / (1.0f + std::exp(-val));  // silu
        hb_[i] = val;
      }
      ffn_gate[l] = hb_;
      for (std::size_t i = 0; i < hidden; ++i) hb_[i] *= hb2_[i];
      matmul(xb_.data(), hb_.data(), &w_.w2(l, 0, 0), hidden, dim);
      for (std::size_t i = 0; i < dim; ++i) x_[i] += xb_[i];
    }
    rmsnorm(x_.data(), x_.data(), &w_.rms_final(0), dim);
    matmul(logits_.data(), x_.data(), &w_.classifier(0, 0), dim, c_.vocab_size);
    return logits_;
  }

 private:
  static void rmsnorm(float* o, const float* x, const float* weight, std::size_t n) {
    float ss = 0.0f;
    for (std::size_t j = 0; j < n; ++j) ss += x[j] * x[j];
    ss /= static_cast<float>(n);
    ss += 1e-5f;
    ss = 1.0f / std::sqrt(ss);
    for (std::size_t j = 0; j < n; ++j) o[j] = weight[j] * (ss * x[j]);
  }
  static void softmax(float* x, std::size_t n) {
    float max_val = x[0];
    for (std::size_t i = 1; i < n; ++i) max_val = std::max(max_val, x[i]);
    float sum = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = std::exp(x[i] - max_val);
      sum += x[i];
    }
    for (std::size_t i = 0; i < n; ++i) x[i] /= sum;
  }
  // out[d] = sum_n W[d, n] * x[n], W row-major [d, n].
  static void matmul(float* out, const float* x, const float* w, std::size_t n, std::size_t d) {
    for (std::size_t i = 0; i < d; ++i) {
      float val = 0.0f;
      for (std::size_t j = 0; j < n; ++j) val += w[i * n + j] * x[j];
      out[i] = val;
    }
  }

  llama2c_config c_;
  llama2c_weights w_;
  std::vector<float> x_, xb_, xb2_, q_, hb_, hb2_, att_, logits_, key_cache_, value_cache_;
};

}  // namespace hermes::test
