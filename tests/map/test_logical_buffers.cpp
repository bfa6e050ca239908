// Tests of map/logical_buffers.hpp (H2M2's memory abstraction): buffers created, grown and moved
// between memories with capacity enforced, and errors that name the buffer, the memory and the
// sizes.
#include <catch2/catch.hpp>

#include "hermes/map/logical_buffers.hpp"

using namespace hermes;
using namespace hermes::literals;

TEST_CASE("buffer_table: create, grow, move, used and free", "[map][logical_buffers]") {
  buffer_table t;
  const memory_id fast = t.add_memory("fast", 10_GB);
  const memory_id slow = t.add_memory("slow", 100_GB);
  CHECK(t.memories() == 2);
  CHECK(t.memory_name(fast) == "fast");
  CHECK(t.capacity(slow).value() == 100e9);

  const buffer_id w = t.create("L0.fc1", 4_GB, fast);
  const buffer_id kv = t.create("L0.kv", bytes(0), fast);  // a KV cache may start empty
  CHECK(t.buffers() == 2);
  CHECK(t.name(w) == "L0.fc1");
  CHECK(t.home(kv) == fast);
  CHECK(t.used(fast).value() == 4e9);
  CHECK(t.free(fast).value() == 6e9);
  CHECK(t.used(slow).value() == 0.0);

  t.grow(kv, 6_GB);  // exactly to capacity
  CHECK(t.size(kv).value() == 6e9);
  CHECK(t.free(fast).value() == 0.0);
  CHECK(t.fits(w, slow));
  CHECK(t.fits(w, fast));  // already there

  CHECK(t.move(kv, slow).value() == 6e9);
  CHECK(t.home(kv) == slow);
  CHECK(t.used(fast).value() == 4e9);
  CHECK(t.used(slow).value() == 6e9);
  CHECK(t.move(kv, slow).value() == 0.0);  // already there: nothing moved
  t.grow(kv, 1_GB);
  CHECK(t.used(slow).value() == 7e9);
  CHECK(t.used(fast) + t.used(slow) == t.size(w) + t.size(kv));
}

TEST_CASE("buffer_table: capacity is never exceeded; errors name buffer, memory and sizes",
          "[map][logical_buffers]") {
  buffer_table t;
  const memory_id fast = t.add_memory("HBM", 10_GB);
  const memory_id slow = t.add_memory("LPDDR", 20_GB);
  CHECK_THROWS_AS(t.create("too-big", 11_GB, fast), resource_limit);
  CHECK_THROWS_WITH(t.create("too-big", 11_GB, fast),
                    Catch::Contains("too-big") && Catch::Contains("HBM") && Catch::Contains("11000000000 B") &&
                        Catch::Contains("10000000000 B"));
  CHECK(t.buffers() == 0);  // nothing was created

  const buffer_id kv = t.create("L3.kv", 9_GB, fast);
  CHECK_THROWS_AS(t.grow(kv, 2_GB), resource_limit);
  CHECK_THROWS_WITH(t.grow(kv, 2_GB), Catch::Contains("L3.kv") && Catch::Contains("HBM") &&
                                          Catch::Contains("2000000000 B") && Catch::Contains("9000000000 B") &&
                                          Catch::Contains("1000000000 B"));
  CHECK(t.size(kv).value() == 9e9);  // unchanged after the failed growth

  const buffer_id big = t.create("L4.fc", 15_GB, slow);
  t.create("L5.fc", 5_GB, slow);  // slow is full
  CHECK_THROWS_AS(t.move(kv, slow), resource_limit);
  CHECK_THROWS_WITH(t.move(kv, slow), Catch::Contains("L3.kv") && Catch::Contains("LPDDR"));
  CHECK(t.home(kv) == fast);
  CHECK_FALSE(t.fits(big, fast));
  CHECK_THROWS_WITH(t.move(big, fast), Catch::Contains("L4.fc") && Catch::Contains("HBM") &&
                                           Catch::Contains("15000000000 B"));

  // Bad ids and values are invalid parameters naming the field.
  CHECK_THROWS_WITH(t.home(99), Catch::Contains("buffer_table.home") && Catch::Contains("99"));
  CHECK_THROWS_WITH(t.home(no_buffer), Catch::Contains("no_buffer"));
  CHECK_THROWS_WITH(t.used(7), Catch::Contains("memory") && Catch::Contains("7"));
  CHECK_THROWS_WITH(t.create("x", 1_GB, 5), Catch::Contains("buffer_table.create memory"));
  CHECK_THROWS_WITH(t.create("neg", bytes(-1), fast), Catch::Contains("neg") && Catch::Contains("size"));
  CHECK_THROWS_WITH(t.grow(kv, bytes(-1)), Catch::Contains("L3.kv") && Catch::Contains("added"));
  CHECK_THROWS_WITH(t.add_memory("HBM", 1_GB), Catch::Contains("HBM") && Catch::Contains("no other memory"));
  CHECK_THROWS_WITH(t.add_memory("", 1_GB), Catch::Contains("non-empty"));
  CHECK_THROWS_WITH(t.add_memory("zero", bytes(0)), Catch::Contains("zero") && Catch::Contains("capacity"));
  buffer_table empty;
  CHECK_THROWS_WITH(empty.create("x", 1_GB, 0), Catch::Contains("has none"));
}
