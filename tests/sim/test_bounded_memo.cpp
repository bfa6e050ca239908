#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "hermes/sim/bounded_memo.hpp"

using hermes::detail::bounded_memo;

TEST_CASE("bounded_memo: a key is made once while it stays among the newest entries", "[sim][memo]") {
  bounded_memo<int, long, 2> memo;
  int made = 0;
  const auto make = [&](int k) { return [&made, k] { ++made; return 100L + k; }; };
  CHECK(memo.get(1, make(1)) == 101);
  CHECK(memo.get(1, make(1)) == 101);
  CHECK(made == 1);
  CHECK(memo.get(2, make(2)) == 102);
  CHECK(made == 2);
  // A third key evicts the oldest (1); 2 stays.
  CHECK(memo.get(3, make(3)) == 103);
  CHECK(memo.get(2, make(2)) == 102);
  CHECK(made == 3);
  CHECK(memo.get(1, make(1)) == 101);
  CHECK(made == 4);
}

TEST_CASE("bounded_memo: threads asking for the same keys get the same values", "[sim][memo]") {
  bounded_memo<int, int, 4> memo;
  std::vector<int> seen(4 * 50);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) seen[static_cast<std::size_t>(t * 50 + i)] = memo.get(i % 3, [i] { return (i % 3) * 10; });
    });
  for (auto& t : threads) t.join();
  for (std::size_t k = 0; k < seen.size(); ++k) CHECK(seen[k] == static_cast<int>(k % 50 % 3) * 10);
}
