// Cost of the Hermes predictor itself, on the host, per decoded token: predict + update over
// every layer of LLaMA2-70B (80 layers x (8192 attention + 28672 FFN neurons)), one core.
// The real system runs this every token, so docs/performance.md ("Predictor cost") compares it
// with the modelled Hermes token time (paper: 13.75 tokens/s, Sec V).
//
// Two inputs: i.i.d. random firing with a random correlation table (no persistence, no hot set:
// the worst case for the candidate filter), and a realistic trace from the calibrated synthetic
// generator with its ground-truth correlation table, after the prefill initialisation.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "hermes/activation/source.hpp"
#include "hermes/activation/synthetic_source.hpp"
#include "hermes/model/presets.hpp"
#include "hermes/predict/all.hpp"

namespace {
using namespace hermes;

constexpr std::size_t token_variety = 4;  // distinct tokens replayed in a cycle

// Synthetic activations of `tokens` tokens at the given density: the cost depends on how many
// predecessors fired (scatter work), not on which.
activation_trace synthetic(const trace_layout& layout, double density, std::uint64_t seed) {
  activation_trace t(layout);
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution fire(density);
  for (std::size_t tok = 0; tok < token_variety; ++tok) {
    t.append_token();
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        auto& m = t.mask(tok, l, k);
        for (std::size_t i = 0; i < m.size(); ++i) m.set(i, fire(rng));
      }
  }
  return t;
}

// Top-2 predecessors drawn at random: the same fan-out statistics as a profiled table.
correlation_table random_table(const trace_layout& layout, std::uint64_t seed) {
  correlation_table t(layout, 2);
  std::mt19937_64 rng(seed);
  for (std::size_t l = 0; l < layout.layers; ++l)
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      layer_ref prev;
      if (!predecessor({l, k}, prev)) continue;
      const std::size_t np = layout.neurons(prev.kind);
      for (std::size_t i = 0; i < layout.neurons(k); ++i) {
        const std::uint16_t top[] = {static_cast<std::uint16_t>(rng() % np), static_cast<std::uint16_t>(rng() % np)};
        t.set_top(l, k, i, top);
      }
    }
  return t;
}

// One decoded token through the predictor, in decode order: predict, then learn from the truth.
// `previous` of (l, k) is the true mask of (l - 1, k) (predecessor()). One prediction per layer
// kind, as a driver keeps them, so no mask is reallocated between layers.
std::size_t run_token(hermes_predictor& p, const trace_layout& layout, const activation_trace& trace, std::size_t t,
                      std::array<prediction, layer_kinds>& out) {
  std::size_t predicted = 0;
  for (std::size_t l = 0; l < layout.layers; ++l)
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
      prediction_request r;
      r.token = t;
      r.layer = l;
      r.kind = k;
      r.previous = l == 0 ? nullptr : &trace.mask(t, l - 1, k);
      prediction& o = out[static_cast<std::size_t>(k)];
      p.predict(r, o);
      p.update(r, trace.mask(t, l, k));
      predicted += o.active.words()[0] & 1u;
    }
  return predicted;
}

void report(benchmark::State& state, const trace_layout& layout, const hermes_predictor& p, const char* label) {
  const double neurons = static_cast<double>(layout.layers * (layout.attention_neurons + layout.ffn_neurons));
  state.counters["neurons_per_token"] = neurons;
  state.counters["ns_per_neuron"] = benchmark::Counter(neurons * 1e-9, benchmark::Counter::kIsIterationInvariantRate |
                                                                          benchmark::Counter::kInvert);
  // The paper's LLaMA2-70B throughput, 13.75 tokens/s (Sec V-B), is the modelled token time.
  constexpr double paper_token_time = 1.0 / 13.75;
  state.counters["fraction_of_token"] =
      benchmark::Counter(paper_token_time, benchmark::Counter::kIsIterationInvariantRate |
                                                     benchmark::Counter::kInvert);
  state.SetLabel(label);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(p.table_bytes().value()));
}

const char* signals_label(predictor_signals s) {
  return s == predictor_signals::token_and_layer ? "token+layer" : s == predictor_signals::token_only ? "token-only" : "layer-only";
}

// Worst case: i.i.d. firing, no persistence. range(0): percent of neurons firing per token;
// range(1): predictor_signals.
void BM_hermes_predictor_token(benchmark::State& state) {
  const auto layout = trace_layout::of(model_presets::llama2_70b());
  const double density = static_cast<double>(state.range(0)) / 100.0;
  const auto trace = synthetic(layout, density, 1);
  hermes_predictor_params params;
  params.signals = static_cast<predictor_signals>(state.range(1));
  hermes_predictor p(layout, random_table(layout, 2), params);
  p.initialise_from_prefill(trace, 0, token_variety);
  std::array<prediction, layer_kinds> out;
  std::size_t token = 0, predicted = 0;
  for (auto _ : state) predicted += run_token(p, layout, trace, token++ % token_variety, out);
  benchmark::DoNotOptimize(predicted);
  report(state, layout, p, signals_label(params.signals));
}
BENCHMARK(BM_hermes_predictor_token)
    ->Args({10, 0})->Args({30, 0})->Args({10, 1})->Args({10, 2})->Unit(benchmark::kMicrosecond);

// Realistic: the calibrated synthetic generator (persistence, hot set, layer coupling, drift)
// at LLaMA2-70B shape, its ground-truth top-2 predecessors as the correlation table, states
// initialised from a 128-token prompt (the evaluation's input length, Sec V-A), then 128
// decoded tokens replayed in a cycle (recorded once: the generator's own cost is not timed).
struct realistic_input {
  static constexpr std::size_t prompt_tokens = 128, decode_tokens = 128;
  trace_layout layout = trace_layout::of(model_presets::llama2_70b());
  activation_trace prompt, decode;
  correlation_table table;

  realistic_input() : prompt(layout), decode(layout), table(layout, synthetic_source::predecessors) {
    synthetic_source src(layout);
    prompt = record(src, prompt_tokens);
    decode = record(src, decode_tokens);
    std::vector<correlation_table::index> top(synthetic_source::predecessors);
    for (std::size_t l = 1; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto truth = src.correlation(l, k);
        for (std::size_t i = 0; i < layout.neurons(k); ++i) {
          const auto preds = truth.of(i);
          for (std::size_t e = 0; e < top.size(); ++e)
            top[e] = preds[e] == layer_predecessors::none ? correlation_table::empty_slot
                                                          : static_cast<correlation_table::index>(preds[e]);
          table.set_top(l, k, i, top);
        }
      }
  }
  static const realistic_input& get() {
    static const auto input = std::make_unique<realistic_input>();
    return *input;
  }
};

// range(0): predictor_signals.
void BM_hermes_predictor_token_realistic(benchmark::State& state) {
  const auto& in = realistic_input::get();
  hermes_predictor_params params;
  params.signals = static_cast<predictor_signals>(state.range(0));
  hermes_predictor p(in.layout, in.table, params);
  p.initialise_from_prefill(in.prompt, 0, realistic_input::prompt_tokens);
  std::array<prediction, layer_kinds> out;
  std::size_t token = 0, predicted = 0;
  for (auto _ : state) predicted += run_token(p, in.layout, in.decode, token++ % realistic_input::decode_tokens, out);
  benchmark::DoNotOptimize(predicted);
  report(state, in.layout, p, signals_label(params.signals));
}
BENCHMARK(BM_hermes_predictor_token_realistic)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// The memory floor of the layer signal: reading the whole top-2 correlation table once, as a
// token does when nearly every word of every layer has a candidate (bytes/s = one core's
// streaming bandwidth from beyond the caches). No layer-signal algorithm that re-reads the
// entries of the candidates every token can be faster than this.
void BM_correlation_table_stream(benchmark::State& state) {
  const auto& in = realistic_input::get();
  std::uint64_t sum = 0;
  for (auto _ : state) {
    for (std::size_t l = 1; l < in.layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const auto* top = in.table.raw_top(l, k);
        const std::size_t entries = in.layout.neurons(k) * in.table.top_k();
        for (std::size_t e = 0; e < entries; ++e) sum += top[e];
      }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(in.table.forward_bytes().value()));
}
BENCHMARK(BM_correlation_table_stream)->Unit(benchmark::kMicrosecond);

// The layout we did not choose: two 4-bit states per byte (nibbles), updated with SWAR on 64-bit
// words (16 states per word; the fired bits must first be spread to nibbles). Same update rule
// (+4 on fire, -1 otherwise, saturating), same neuron count: the reason the state table is
// bit-sliced (neuron_state_table.hpp).
void BM_nibble_packed_update_token(benchmark::State& state) {
  const auto layout = trace_layout::of(model_presets::llama2_70b());
  const std::size_t neurons = layout.layers * (layout.attention_neurons + layout.ffn_neurons);
  std::vector<std::uint64_t> nibbles(neurons / 16), fired(neurons / 64);
  std::mt19937_64 rng(3);
  for (auto& w : nibbles) w = rng();
  for (auto& w : fired) w = rng() & rng() & rng();
  std::uint64_t spread[256];
  for (unsigned b = 0; b < 256; ++b) {
    spread[b] = 0;
    for (unsigned j = 0; j < 8; ++j)
      if ((b >> j) & 1u) spread[b] |= std::uint64_t{0xF} << (4 * j);
  }
  constexpr std::uint64_t lanes = 0x0101010101010101ull, low = 0x0F0F0F0F0F0F0F0Full;
  const std::uint64_t up = 4, down = 1;  // Hermes Sec IV-C.1
  // Even or odd nibbles widened to 8-bit lanes, so the +4 / -1 have room to overflow.
  auto step = [&](std::uint64_t h, std::uint64_t f) {
    std::uint64_t u = h + up * lanes;
    u = (u | (((u >> 4) & lanes) * 0x0F)) & low;
    const std::uint64_t y = (h | (0x10 * lanes)) - down * lanes;
    const std::uint64_t d = y & (((y >> 4) & lanes) * 0x0F);
    return d ^ ((u ^ d) & f);
  };
  for (auto _ : state) {
    for (std::size_t g = 0; g < fired.size(); ++g)
      for (std::size_t q = 0; q < 4; ++q) {
        const std::uint64_t f16 = fired[g] >> (16 * q);
        const std::uint64_t f = spread[f16 & 0xFF] | (spread[(f16 >> 8) & 0xFF] << 32);
        std::uint64_t& w = nibbles[4 * g + q];
        w = step(w & low, f & low) | (step((w >> 4) & low, (f >> 4) & low) << 4);
      }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * nibbles.size() * 8 * 2));
}
BENCHMARK(BM_nibble_packed_update_token)->Unit(benchmark::kMicrosecond);

// The bit-sliced update alone, for the same comparison.
void BM_bitsliced_update_token(benchmark::State& state) {
  const auto layout = trace_layout::of(model_presets::llama2_70b());
  neuron_state_table table(layout);
  const auto trace = synthetic(layout, 0.1, 4);
  std::size_t token = 0;
  for (auto _ : state) {
    const std::size_t t = token++ % token_variety;
    for (std::size_t l = 0; l < layout.layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) table.update(l, k, trace.mask(t, l, k), 4, 1);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(table.storage_bytes().value() * 2));
}
BENCHMARK(BM_bitsliced_update_token)->Unit(benchmark::kMicrosecond);
}  // namespace

BENCHMARK_MAIN();
