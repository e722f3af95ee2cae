// The seeding cache's bounds (transfer/p2p/cache_bounds.h), from tables, on a
// fake clock: max_cache_age by last use, then the least recently used out
// until min(percent of the file system, absolute_max_cache_size) holds.
#include "transfer/p2p/cache_bounds.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using transfer::CacheBound;
using transfer::CacheLimits;
using transfer::Evictions;

TEST(CacheBoundsTest, TheBoundIsThePercentOrTheSmallerAbsoluteSize) {
  struct Case {
    uint32_t percent;
    uint64_t absolute, fs_size, bound;
  } cases[] = {
      {20, 0, 1000, 200},
      {20, 150, 1000, 150},
      {20, 500, 1000, 200},  // the percent is the smaller bound
      {0, 0, 1000, 0},
      {100, 0, UINT64_MAX, UINT64_MAX},
      {20, 0, UINT64_MAX, UINT64_MAX / 100 * 20 + UINT64_MAX % 100 * 20 / 100},
      {20, 7, 0, 0},  // file system size unknown: nothing is cached
  };
  for (const Case& c : cases) {
    CacheLimits l;
    l.max_size_percent = c.percent;
    l.absolute_max_size = c.absolute;
    EXPECT_EQ(CacheBound(l, c.fs_size), c.bound) << c.percent << "% " << c.absolute << " of " << c.fs_size;
  }
}

class EvictionsTest : public ::testing::Test {
 protected:
  // An entry of `size` bytes created and last used `used_ago` before now.
  void Add(const std::string& key, uint64_t size, sys::Duration used_ago) {
    core::SeedRecord r;
    r.key = key;
    r.entry.size_bytes = size;
    r.entry.created = clock_.Now() - 100h;
    r.entry.last_used = clock_.Now() - used_ago;
    entries_.push_back(r);
  }
  std::vector<std::string> Run(uint64_t bound) {
    return Evictions(entries_, clock_.Now(), limits_, bound);
  }
  FakeClock clock_;
  CacheLimits limits_;  // 3 days
  std::vector<core::SeedRecord> entries_;
};

TEST_F(EvictionsTest, LeastRecentlyUsedGoFirstUntilTheRestFits) {
  Add("new", 40, 1min);
  Add("old", 40, 3h);
  Add("mid", 40, 2h);
  EXPECT_TRUE(Run(120).empty());
  EXPECT_EQ(Run(119), (std::vector<std::string>{"old"}));
  EXPECT_EQ(Run(79), (std::vector<std::string>{"old", "mid"}));
  EXPECT_EQ(Run(0), (std::vector<std::string>{"old", "mid", "new"}));
}

TEST_F(EvictionsTest, EntriesUnusedForMaxAgeGoAsTheClockMoves) {
  Add("a", 1, 0s);
  Add("b", 1, 1h);
  EXPECT_TRUE(Run(100).empty());
  clock_.Advance(limits_.max_age - 1h);
  EXPECT_TRUE(Run(100).empty()) << "b is exactly max_age old: kept";
  clock_.Advance(1s);
  EXPECT_EQ(Run(100), (std::vector<std::string>{"b"}));
  clock_.Advance(1h);
  EXPECT_EQ(Run(100), (std::vector<std::string>{"b", "a"}));
  limits_.max_age = 0s;  // no age limit
  EXPECT_TRUE(Run(100).empty());
}

}  // namespace
}  // namespace ferry::test
