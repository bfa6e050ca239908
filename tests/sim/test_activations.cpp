// sim/activations.hpp: a synthetic workload's two halves. model_seed draws the model instance
// and its offline profile, seed the input; runs that differ only in the input share the model
// half bit for bit.
#include <catch2/catch.hpp>

#include "hermes/sim/activations.hpp"
#include "../support/test_models.hpp"

using namespace hermes;

namespace {

bool same_trace(const activation_trace& a, const activation_trace& b) {
  if (!(a.layout() == b.layout()) || a.tokens() != b.tokens()) return false;
  for (std::size_t t = 0; t < a.tokens(); ++t)
    for (std::size_t l = 0; l < a.layout().layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn})
        if (a.mask(t, l, k).words() != b.mask(t, l, k).words()) return false;
  return true;
}

bool same_table(const correlation_table& a, const correlation_table& b, const trace_layout& layout) {
  for (std::size_t l = 1; l < layout.layers; ++l)
    for (layer_kind k : {layer_kind::attention, layer_kind::ffn})
      for (std::size_t i = 0; i < layout.neurons(k); ++i)
        for (std::size_t e = 0; e < a.top_k(); ++e)
          if (a.top(l, k, i)[e] != b.top(l, k, i)[e]) return false;
  return true;
}

}  // namespace

TEST_CASE("batch_activations: the input seed changes the input, not the model's offline half", "[sim][activations]") {
  workload_config w = test::tiny_workload();
  batch_activations a(w);
  w.seed = 7;
  batch_activations b(w);
  CHECK(same_trace(a.profile_trace(), b.profile_trace()));
  CHECK(same_table(a.correlations(2), b.correlations(2), a.layout()));
  CHECK_FALSE(same_trace(a.prompt_union(), b.prompt_union()));
  // So do the batch and the lengths.
  w.seed = 1;
  w.batch = 3;
  w.output_len = 20;
  batch_activations c(w);
  CHECK(same_trace(a.profile_trace(), c.profile_trace()));
}

TEST_CASE("batch_activations: the model seed changes the model and its profile", "[sim][activations]") {
  workload_config w = test::tiny_workload();
  batch_activations a(w);
  w.model_seed = 7;
  batch_activations b(w);
  CHECK_FALSE(same_trace(a.profile_trace(), b.profile_trace()));
  CHECK_FALSE(same_table(a.correlations(2), b.correlations(2), a.layout()));
  CHECK_FALSE(same_trace(a.prompt_union(), b.prompt_union()));
}

TEST_CASE("batch_activations: a memoised record replays what a fresh one generates", "[sim][activations]") {
  // Two workloads that share the model half: the second one's input is made from the memoised
  // model record, which must still be the untouched model (forks start at its token 0).
  workload_config w = test::tiny_workload();
  w.seed = 11;
  batch_activations first(w);
  const activation_trace prompt = first.prompt_union();
  w.seed = 12;
  batch_activations other(w);
  (void)other.prompt_union();
  // Push the first input out of the input memo (3 entries); the model record stays.
  for (std::uint64_t s = 100; s < 103; ++s) {
    workload_config x = w;
    x.seed = s;
    batch_activations evict(x);
  }
  w.seed = 11;
  batch_activations again(w);
  CHECK(same_trace(prompt, again.prompt_union()));
}

TEST_CASE("batch_activations: the generator's own seed is not a workload knob", "[sim][activations][errors]") {
  workload_config w = test::tiny_workload();
  w.activations.seed = 5;
  try {
    batch_activations a(w);
    FAIL("expected invalid_parameter");
  } catch (const invalid_parameter& e) {
    const std::string what = e.what();
    CHECK(what.find("workload.activations.seed") != std::string::npos);
    CHECK(what.find("model_seed") != std::string::npos);
  }
}

TEST_CASE("batch_activations: decoding starts after the prompt, whether or not the prompt was read",
          "[sim][activations]") {
  // A recorded trace with distinguishable tokens: profile, prompt, decode.
  workload_config w = test::tiny_workload();
  const trace_layout layout = trace_layout::of(w.model);
  auto trace = std::make_shared<activation_trace>(layout);
  synthetic_source src(layout);
  token_masks masks(layout);
  for (std::size_t t = 0; t < w.profile_tokens + w.input_len + w.output_len; ++t) {
    src.next_token(masks);
    masks.append_to(*trace);
  }
  const std::size_t first_decoded = w.profile_tokens + w.input_len;
  token_masks got(layout);
  batch_activations direct(w, trace);  // Deja Vu reads no prompt
  direct.next_union(got);
  CHECK(got.mask(2, layer_kind::ffn).words() == trace->mask(first_decoded, 2, layer_kind::ffn).words());
  batch_activations after_prompt(w, trace);
  (void)after_prompt.prompt_union();
  after_prompt.next_union(got);
  CHECK(got.mask(2, layer_kind::ffn).words() == trace->mask(first_decoded, 2, layer_kind::ffn).words());
  // Synthetic: the same token either way.
  batch_activations a(test::tiny_workload()), b(test::tiny_workload());
  token_masks ta(layout), tb(layout);
  (void)a.prompt_union();
  a.next_union(ta);
  b.next_union(tb);
  CHECK(ta.mask(1, layer_kind::attention).words() == tb.mask(1, layer_kind::attention).words());
}

TEST_CASE("batch_activations: firing-count planes count the sequences that fire each neuron", "[sim][activations][batch]") {
  workload_config w = test::tiny_workload();
  w.output_len = 6;
  // Batch 1: no planes. Its one sequence is sequence 0 of every batch with the same seed.
  batch_activations one(w);
  w.batch = 2;
  batch_activations two(w);
  w.batch = 5;
  batch_activations five(w);
  token_masks t1(one.layout()), t2(two.layout()), t5(five.layout());
  for (std::size_t tok = 0; tok < w.output_len; ++tok) {
    one.next_union(t1);
    two.next_union(t2);
    five.next_union(t5);
    CHECK(one.extra_firings().empty());
    REQUIRE(two.extra_firings().size() == 1);   // count - 1 in {0, 1}
    REQUIRE(five.extra_firings().size() == 3);  // count - 1 in {0..4}: 3 bits
    for (std::size_t l = 0; l < one.layout().layers; ++l)
      for (layer_kind k : {layer_kind::attention, layer_kind::ffn}) {
        const neuron_mask& seq0 = t1.mask(l, k);
        const neuron_mask& both = two.extra_firings()[0].mask(l, k);  // fired by both sequences
        // Fired by both => fired by sequence 0 => in the union.
        CHECK(both.intersection_count(seq0) == both.count());
        CHECK(seq0.intersection_count(t2.mask(l, k)) == seq0.count());
        // Batch 5: every plane inside the union; count - 1 <= 4.
        const neuron_mask& u = t5.mask(l, k);
        const auto& p = five.extra_firings();
        for (const token_masks& plane : p) CHECK(plane.mask(l, k).intersection_count(u) == plane.mask(l, k).count());
        neuron_mask low = p[1].mask(l, k);
        low |= p[0].mask(l, k);
        CHECK(p[2].mask(l, k).intersection_count(low) == 0);
      }
  }
  // The sums: total firings of batch 5 >= the union, and some neuron fires for several.
  std::size_t extra = 0;
  for (std::size_t p = 0; p < five.extra_firings().size(); ++p)
    extra += five.extra_firings()[p].mask(1, layer_kind::ffn).count() << p;
  CHECK(extra > 0);
}
