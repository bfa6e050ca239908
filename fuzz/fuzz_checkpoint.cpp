// Fuzzes the llama2.c checkpoint reader (model/llama2c.hpp, read_llama2c). Input: the
// checkpoint file's bytes; run with a small -max_len (a valid file must match its header's
// sizes exactly, so the seeds are tiny synthetic models).
#include <Kokkos_Core.hpp>

#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_support.hpp"
#include "hermes/model/llama2c.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static Kokkos::ScopeGuard kokkos;  // finalised at exit, after the last input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file(hermes::fuzz::bytes(data, size));
  hermes::fuzz::expect_clean([&] {
    std::istringstream in(file);
    const auto ck = hermes::read_llama2c(in, file.size(), "fuzz checkpoint");
    const auto shape = ck.config.shape("fuzz");
    hermes::fuzz::require(ck.weights.classifier.extent(0) == ck.config.vocab_size &&
                              ck.weights.w1.extent(1) == ck.config.hidden_dim && shape.layers == ck.config.n_layers,
                          "checkpoint tensors do not have the header's shapes");
  });
  return 0;
}
