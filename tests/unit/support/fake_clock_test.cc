#include "support/fake_clock.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeClockTest, StartsAtFixedDateAndMovesOnlyWhenAdvanced) {
  FakeClock clock;
  EXPECT_EQ(clock.Now(), kFakeClockStart);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(clock.Now()), 1767225600);
  clock.Advance(seconds(5));
  EXPECT_EQ(clock.Now(), kFakeClockStart + seconds(5));
  clock.SetNow(kFakeClockStart - seconds(1));
  EXPECT_EQ(clock.Now(), kFakeClockStart - seconds(1));
}

TEST(FakeClockTest, RunsDueTimersInDeadlineOrderAtTheirDeadline) {
  FakeClock clock;
  std::vector<std::string> order;
  std::vector<sys::WallTime> at;
  auto t0 = clock.Now();
  auto record = [&](std::string name) {
    return [&, name] {
      order.push_back(name);
      at.push_back(clock.Now());
    };
  };
  clock.Schedule(t0 + seconds(3), record("c"));
  clock.Schedule(t0 + seconds(1), record("a"));
  clock.Schedule(t0 + seconds(2), record("b1"));
  clock.Schedule(t0 + seconds(2), record("b2"));  // same deadline: schedule order
  clock.Schedule(t0 + seconds(10), record("late"));
  EXPECT_EQ(clock.pending(), 5u);
  EXPECT_EQ(clock.NextDeadline(), t0 + seconds(1));

  clock.Advance(seconds(3));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b1", "b2", "c"}));
  EXPECT_EQ(at, (std::vector<sys::WallTime>{t0 + seconds(1), t0 + seconds(2), t0 + seconds(2),
                                            t0 + seconds(3)}));
  EXPECT_EQ(clock.Now(), t0 + seconds(3));
  EXPECT_EQ(clock.pending(), 1u);
  EXPECT_EQ(clock.NextDeadline(), t0 + seconds(10));
}

TEST(FakeClockTest, CancelPreventsRunAndIsIdempotent) {
  FakeClock clock;
  int runs = 0;
  auto id = clock.Schedule(clock.Now() + seconds(1), [&] { ++runs; });
  EXPECT_NE(id, 0u);
  clock.Cancel(id);
  clock.Cancel(id);
  clock.Cancel(12345);
  EXPECT_EQ(clock.pending(), 0u);
  EXPECT_FALSE(clock.NextDeadline().has_value());
  clock.Advance(seconds(2));
  EXPECT_EQ(runs, 0);
  auto id2 = clock.Schedule(clock.Now(), [&] { ++runs; });
  EXPECT_GT(id2, id);  // never reused
}

TEST(FakeClockTest, NestedSchedulingWithinWindowRunsInSameAdvance) {
  FakeClock clock;
  auto t0 = clock.Now();
  std::vector<std::string> order;
  clock.Schedule(t0 + seconds(1), [&] {
    order.push_back("outer");
    // Due inside the window: runs in this Advance, before "other" at +3 s.
    clock.Schedule(clock.Now() + seconds(1), [&] {
      order.push_back("inner@" + std::to_string((clock.Now() - t0) / seconds(1)));
      clock.Schedule(clock.Now() + seconds(10), [&] { order.push_back("beyond"); });
    });
  });
  clock.Schedule(t0 + seconds(3), [&] { order.push_back("other"); });
  clock.Advance(seconds(5));
  EXPECT_EQ(order, (std::vector<std::string>{"outer", "inner@2", "other"}));
  EXPECT_EQ(clock.pending(), 1u);
  EXPECT_EQ(clock.NextDeadline(), t0 + seconds(12));
  clock.AdvanceTo(t0 + seconds(12));
  EXPECT_EQ(order.back(), "beyond");
}

TEST(FakeClockTest, CallbackCanCancelALaterTimer) {
  FakeClock clock;
  auto t0 = clock.Now();
  int later_runs = 0;
  FakeClock::TimerId later = clock.Schedule(t0 + seconds(2), [&] { ++later_runs; });
  clock.Schedule(t0 + seconds(1), [&] { clock.Cancel(later); });
  clock.Advance(seconds(5));
  EXPECT_EQ(later_runs, 0);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(FakeClockTest, OverdueTimersRunOnAdvanceZeroAndTimeNeverGoesBack) {
  FakeClock clock;
  int runs = 0;
  clock.Schedule(clock.Now() - seconds(5), [&] { ++runs; });
  auto before = clock.Now();
  clock.Advance(sys::Duration::zero());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(clock.Now(), before);
  clock.AdvanceTo(before - seconds(1));
  EXPECT_EQ(clock.Now(), before);
}

TEST(FakeClockTest, ThirtyDaysInMilliseconds) {
  FakeClock clock;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    clock.Schedule(clock.Now() + std::chrono::hours(1), tick);
  };
  clock.Schedule(clock.Now() + std::chrono::hours(1), tick);
  clock.Advance(std::chrono::hours(24 * 30));
  EXPECT_EQ(ticks, 24 * 30);
}

TEST(FakeClockTest, AdvanceUntilStopsWhenDone) {
  FakeClock clock;
  auto t0 = clock.Now();
  int n = 0;
  for (int i = 1; i <= 5; ++i) clock.Schedule(t0 + seconds(i), [&] { ++n; });
  EXPECT_TRUE(clock.AdvanceUntil([&] { return n == 3; }, seconds(60)));
  EXPECT_EQ(clock.Now(), t0 + seconds(3));
  EXPECT_FALSE(clock.AdvanceUntil([&] { return n == 10; }, seconds(60)));
  EXPECT_EQ(n, 5);
  EXPECT_EQ(clock.Now(), t0 + seconds(63));
}

}  // namespace
}  // namespace ferry::test
