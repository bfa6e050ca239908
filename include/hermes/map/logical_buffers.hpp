#pragma once
// H2M2's memory abstraction: logical buffers whose physical placement can change without the
// kernels that read them changing. A kernel (core/kernel.hpp) names a buffer by its buffer_id
// only; the buffer table says which memory holds the buffer now. Moving a buffer (map/
// kernel_memory_mapper.hpp plans the moves) or growing it (the KV cache, token by token) changes
// the table, never a kernel.
//
// The table enforces capacity: creating, growing or moving a buffer into a memory without room
// throws resource_limit naming the buffer, the memory and the sizes; nothing is clamped and
// nothing spills silently. Sizes are byte counts (whole numbers, exact in a double up to 2^53),
// and a memory's use is summed over its buffers on demand, so it never drifts from them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/kernel.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

using memory_id = std::uint32_t;

class buffer_table {
 public:
  // A memory of `capacity` bytes called `name` (non-empty, unique in the table).
  memory_id add_memory(std::string name, bytes capacity) {
    if (name.empty()) throw invalid_parameter("buffer_table.add_memory name", "\"\"", "a non-empty name");
    for (const auto& m : memories_)
      if (m.name == name)
        throw invalid_parameter("buffer_table.add_memory name", quoted(name), "a name no other memory has");
    require_positive("buffer_table.add_memory(" + quoted(name) + ") capacity", capacity.value());
    memories_.push_back({std::move(name), capacity});
    return static_cast<memory_id>(memories_.size() - 1);
  }

  // A buffer of `size` bytes (>= 0; a KV cache may start empty) placed on `home`.
  buffer_id create(std::string name, bytes size, memory_id home) {
    check_memory("buffer_table.create memory", home);
    require_non_negative("buffer_table.create(" + quoted(name) + ") size", size.value());
    if (buffers_.size() >= static_cast<std::size_t>(no_buffer))
      throw resource_limit("buffer_table.create", std::to_string(buffers_.size()) + " buffers",
                           "fewer than " + std::to_string(no_buffer));
    require_room("buffer_table.create", name, size, home, "a buffer of at most the free space");
    buffers_.push_back({std::move(name), size, home});
    return static_cast<buffer_id>(buffers_.size() - 1);
  }

  [[nodiscard]] memory_id home(buffer_id b) const { return at(b, "buffer_table.home").home; }
  [[nodiscard]] bytes size(buffer_id b) const { return at(b, "buffer_table.size").size; }
  [[nodiscard]] std::string_view name(buffer_id b) const { return at(b, "buffer_table.name").name; }

  // KV growth: `added` more bytes in place, on the buffer's home. Throws resource_limit past the
  // home's capacity (the caller must move something first; nothing spills by itself).
  void grow(buffer_id b, bytes added) {
    auto& buf = at(b, "buffer_table.grow");
    require_non_negative("buffer_table.grow(" + quoted(buf.name) + ") added", added.value());
    require_room("buffer_table.grow", buf.name, added, buf.home, "at most the free space more");
    buf.size += added;
  }

  // Places the buffer on `to`; returns the bytes moved (its size, 0 if it is already there).
  // Throws resource_limit if `to` has no room for it.
  bytes move(buffer_id b, memory_id to) {
    auto& buf = at(b, "buffer_table.move");
    check_memory("buffer_table.move memory", to);
    if (buf.home == to) return bytes(0);
    require_room("buffer_table.move", buf.name, buf.size, to, "a buffer of at most the free space");
    buf.home = to;
    return buf.size;
  }

  // Whether the buffer could be placed on `m` now (true if it is already there).
  [[nodiscard]] bool fits(buffer_id b, memory_id m) const {
    const auto& buf = at(b, "buffer_table.fits");
    check_memory("buffer_table.fits memory", m);
    return buf.home == m || used(m) + buf.size <= capacity(m);
  }

  [[nodiscard]] bytes used(memory_id m) const {
    check_memory("buffer_table.used memory", m);
    bytes total{};
    for (const auto& b : buffers_)
      if (b.home == m) total += b.size;
    return total;
  }
  [[nodiscard]] bytes capacity(memory_id m) const {
    check_memory("buffer_table.capacity memory", m);
    return memories_[m].capacity;
  }
  [[nodiscard]] bytes free(memory_id m) const { return capacity(m) - used(m); }
  [[nodiscard]] std::string_view memory_name(memory_id m) const {
    check_memory("buffer_table.memory_name memory", m);
    return memories_[m].name;
  }

  [[nodiscard]] std::size_t buffers() const { return buffers_.size(); }
  [[nodiscard]] std::size_t memories() const { return memories_.size(); }

 private:
  struct memory {
    std::string name;
    bytes capacity{};
  };
  struct buffer {
    std::string name;
    bytes size{};
    memory_id home = 0;
  };

  [[nodiscard]] static std::string quoted(std::string_view s) {
    std::string q;  // built by appending: GCC 12 misreports "\"" + std::string(s) (-Wrestrict)
    q.reserve(s.size() + 2);
    q.push_back('"');
    q.append(s);
    q.push_back('"');
    return q;
  }
  [[nodiscard]] static std::string size_text(bytes b) { return significant_text(b.value(), 6) + " B"; }

  void check_memory(std::string_view field, memory_id m) const {
    if (m >= memories_.size())
      throw invalid_parameter(field, std::to_string(m),
                              memories_.empty() ? std::string("a memory added first (the table has none)")
                                                : "a memory id below " + std::to_string(memories_.size()));
  }
  [[nodiscard]] const buffer& at(buffer_id b, std::string_view field) const {
    if (b >= buffers_.size())
      throw invalid_parameter(field, b == no_buffer ? std::string("no_buffer") : std::to_string(b),
                              "a buffer id below " + std::to_string(buffers_.size()));
    return buffers_[b];
  }
  [[nodiscard]] buffer& at(buffer_id b, std::string_view field) {
    return const_cast<buffer&>(std::as_const(*this).at(b, field));
  }

  // Throws resource_limit unless `extra` more bytes fit memory m; the message names the buffer,
  // the memory, the bytes asked for, the capacity, the use and the free space.
  void require_room(std::string_view what, std::string_view buffer_name, bytes extra, memory_id m,
                    std::string_view allowed) const {
    const bytes in_use = used(m);
    if (in_use + extra <= capacity(m)) return;
    throw resource_limit(std::string(what) + "(buffer " + quoted(buffer_name) + ", memory " +
                             quoted(memories_[m].name) + ")",
                         size_text(extra) + " more on a memory of capacity " + size_text(capacity(m)) +
                             " with " + size_text(in_use) + " used",
                         std::string(allowed) + " (" + size_text(capacity(m) - in_use) + ")");
  }

  std::vector<memory> memories_;
  std::vector<buffer> buffers_;
};

}  // namespace hermes
