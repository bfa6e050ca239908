#pragma once
// Replays a recorded trace token by token as an activation_source.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "hermes/activation/source.hpp"
#include "hermes/activation/token_masks.hpp"
#include "hermes/activation/trace.hpp"
#include "hermes/core/error.hpp"

namespace hermes {

class trace_replay {
 public:
  // Shares the trace: several replays (one per simulated system) read one copy.
  explicit trace_replay(std::shared_ptr<const activation_trace> trace) : trace_(std::move(trace)) {
    if (!trace_) throw error("trace_replay: no trace given");
  }
  explicit trace_replay(activation_trace trace)
      : trace_replay(std::make_shared<const activation_trace>(std::move(trace))) {}

  [[nodiscard]] trace_layout layout() const { return trace_->layout(); }
  [[nodiscard]] std::size_t position() const { return next_; }
  [[nodiscard]] std::size_t remaining() const { return trace_->tokens() - next_; }
  void rewind() { next_ = 0; }

  void next_token(token_masks& out) {
    if (next_ >= trace_->tokens())
      throw error("trace_replay: asked for token " + std::to_string(next_) + " but the trace holds " +
                  std::to_string(trace_->tokens()) + " tokens");
    out.assign_from(*trace_, next_++);
  }

 private:
  std::shared_ptr<const activation_trace> trace_;
  std::size_t next_ = 0;
};

static_assert(activation_source<trace_replay>);

}  // namespace hermes
