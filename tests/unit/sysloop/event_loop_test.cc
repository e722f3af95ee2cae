#include "sys/event_loop.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace ferry::sys {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// Runs turns until pred() holds or `limit` passes.
template <typename Pred>
bool RunUntil(EventLoop& loop, Pred pred, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = Steady::now() + limit;
  while (!pred()) {
    if (Steady::now() >= deadline) return false;
    loop.RunOnce(20ms);
  }
  return true;
}

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    ::close(r);
    ::close(w);
  }
  void Write(char c = 'x') { ASSERT_EQ(::write(w, &c, 1), 1); }
};

TEST(EventLoopTest, ReadableFdCallsBack) {
  EventLoop loop;
  Pipe p;
  int calls = 0;
  loop.WatchFd(p.r, EventLoop::kReadable, [&](int fd, uint32_t ev) {
    EXPECT_EQ(fd, p.r);
    EXPECT_TRUE(ev & EventLoop::kReadable);
    char c;
    ASSERT_EQ(::read(fd, &c, 1), 1);
    ++calls;
  });
  p.Write();
  ASSERT_TRUE(RunUntil(loop, [&] { return calls == 1; }));
  p.Write();
  ASSERT_TRUE(RunUntil(loop, [&] { return calls == 2; }));
  loop.UnwatchFd(p.r);
  p.Write();
  loop.RunOnce(30ms);
  EXPECT_EQ(calls, 2);
}

TEST(EventLoopTest, CallbackMayUnwatchAnotherReadyFd) {
  EventLoop loop;
  Pipe a, b;
  int a_calls = 0, b_calls = 0;
  // Whichever runs first unwatches the other: exactly one callback runs.
  loop.WatchFd(a.r, EventLoop::kReadable, [&](int, uint32_t) {
    ++a_calls;
    loop.UnwatchFd(b.r);
    loop.UnwatchFd(a.r);
  });
  loop.WatchFd(b.r, EventLoop::kReadable, [&](int, uint32_t) {
    ++b_calls;
    loop.UnwatchFd(a.r);
    loop.UnwatchFd(b.r);
  });
  a.Write();
  b.Write();
  ASSERT_TRUE(RunUntil(loop, [&] { return a_calls + b_calls > 0; }));
  loop.RunOnce(30ms);
  EXPECT_EQ(a_calls + b_calls, 1);
}

TEST(EventLoopTest, CallbackMayReplaceItself) {
  EventLoop loop;
  Pipe p;
  std::vector<std::string> log;
  loop.WatchFd(p.r, EventLoop::kReadable, [&](int fd, uint32_t) {
    log.push_back("first");
    // Replacing destroys the running std::function's owner entry; the loop
    // must keep the running callback alive until it returns.
    std::string captured = "second";
    loop.WatchFd(fd, EventLoop::kReadable, [&, captured](int fd2, uint32_t) {
      log.push_back(captured);
      char c;
      ASSERT_EQ(::read(fd2, &c, 1), 1);
      loop.UnwatchFd(fd2);
    });
    log.push_back("after replace");
  });
  p.Write();
  ASSERT_TRUE(RunUntil(loop, [&] { return log.size() == 3; }));
  EXPECT_EQ(log, (std::vector<std::string>{"first", "after replace", "second"}));
}

TEST(EventLoopTest, WritableFd) {
  EventLoop loop;
  Pipe p;
  bool writable = false;
  loop.WatchFd(p.w, EventLoop::kWritable, [&](int, uint32_t ev) {
    writable = ev & EventLoop::kWritable;
    loop.UnwatchFd(p.w);
  });
  ASSERT_TRUE(RunUntil(loop, [&] { return writable; }));
}

TEST(EventLoopTest, HangupReportsError) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[1]);
  uint32_t seen = 0;
  loop.WatchFd(fds[0], EventLoop::kReadable, [&](int fd, uint32_t ev) {
    seen = ev;
    loop.UnwatchFd(fd);
  });
  ASSERT_TRUE(RunUntil(loop, [&] { return seen != 0; }));
  EXPECT_TRUE(seen & EventLoop::kReadable);
  ::close(fds[0]);
}

TEST(EventLoopTest, TimersFireInDeadlineOrder) {
  EventLoop loop;
  std::vector<int> order;
  auto now = Steady::now();
  loop.AddTimer(now + 30ms, [&] { order.push_back(3); });
  loop.AddTimer(now + 10ms, [&] { order.push_back(1); });
  loop.AddTimer(now + 20ms, [&] { order.push_back(2); });
  ASSERT_TRUE(RunUntil(loop, [&] { return order.size() == 3; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_GE(Steady::now() - now, 30ms);
}

TEST(EventLoopTest, TimerIdsAreUniqueAndCancelWorks) {
  EventLoop loop;
  bool fired = false, other = false;
  auto now = Steady::now();
  uint64_t a = loop.AddTimer(now + 10ms, [&] { fired = true; });
  uint64_t b = loop.AddTimer(now + 20ms, [&] { other = true; });
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  loop.CancelTimer(a);
  loop.CancelTimer(a);  // no-op
  ASSERT_TRUE(RunUntil(loop, [&] { return other; }));
  EXPECT_FALSE(fired);
  loop.CancelTimer(b);  // already ran: no-op
}

TEST(EventLoopTest, TimerCallbackMayCancelAndAddTimers) {
  EventLoop loop;
  auto now = Steady::now();
  bool cancelled_fired = false;
  int rearmed = 0;
  uint64_t victim = 0;
  // Both are due in the same turn; the first cancels the second.
  loop.AddTimer(now, [&] { loop.CancelTimer(victim); });
  victim = loop.AddTimer(now, [&] { cancelled_fired = true; });
  std::function<void()> rearm = [&] {
    if (++rearmed < 5) loop.AddTimer(Steady::now(), rearm);
  };
  loop.AddTimer(now, rearm);
  ASSERT_TRUE(RunUntil(loop, [&] { return rearmed == 5; }));
  EXPECT_FALSE(cancelled_fired);
}

TEST(EventLoopTest, RearmingTimerDoesNotStarveTheTurn) {
  EventLoop loop;
  int count = 0;
  std::function<void()> rearm = [&] {
    ++count;
    loop.AddTimer(Steady::now() - 1ms, rearm);
  };
  loop.AddTimer(Steady::now(), rearm);
  loop.RunOnce(10ms);
  EXPECT_EQ(count, 1);
  loop.RunOnce(10ms);
  EXPECT_EQ(count, 2);
}

TEST(EventLoopTest, IdleRunOnceWaitsWithoutSpinning) {
  EventLoop loop;
  auto start = Steady::now();
  loop.RunOnce(100ms);
  EXPECT_GE(Steady::now() - start, 95ms);
}

TEST(EventLoopTest, RunOnceWakesForNearTimer) {
  EventLoop loop;
  bool fired = false;
  auto start = Steady::now();
  loop.AddTimer(start + 30ms, [&] { fired = true; });
  loop.RunOnce(5000ms);
  EXPECT_TRUE(fired);
  EXPECT_LT(Steady::now() - start, 2000ms);
}

TEST(EventLoopTest, PostFromAnotherThreadWakesRun) {
  EventLoop loop;
  std::vector<int> got;
  bool in_loop = false;
  std::thread t([&] {
    for (int i = 0; i < 100; ++i) loop.Post([&, i] { got.push_back(i); });
    loop.Post([&] {
      in_loop = loop.InLoopThread();
      loop.Stop();
    });
  });
  auto watchdog = loop.AddTimer(Steady::now() + 5s, [&] { loop.Stop(); });
  loop.Run();
  t.join();
  loop.CancelTimer(watchdog);
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
  EXPECT_TRUE(in_loop);
}

TEST(EventLoopTest, PostNeverRunsInline) {
  EventLoop loop;
  bool ran = false;
  loop.Post([&] { ran = true; });
  EXPECT_FALSE(ran);
  loop.RunOnce(0ms);
  EXPECT_TRUE(ran);
}

TEST(EventLoopTest, StopFromAnotherThread) {
  EventLoop loop;
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    loop.Stop();
  });
  auto start = Steady::now();
  loop.Run();
  t.join();
  EXPECT_LT(Steady::now() - start, 5s);
  // The stop request was consumed: a new Run() runs until the next Stop().
  bool ran = false;
  loop.Post([&] {
    ran = true;
    loop.Stop();
  });
  loop.Run();
  EXPECT_TRUE(ran);
}

TEST(EventLoopTest, InLoopThread) {
  EventLoop loop;
  EXPECT_TRUE(loop.InLoopThread());
  bool other = true;
  std::thread([&] { other = loop.InLoopThread(); }).join();
  EXPECT_FALSE(other);
}

TEST(LoopClockTest, ScheduleAndCancel) {
  EventLoop loop;
  LoopClock clock(loop);
  bool a = false, b = false, past = false;
  auto now = clock.Now();
  auto id_a = clock.Schedule(now + 20ms, [&] { a = true; });
  clock.Schedule(now + 10ms, [&] { b = true; });
  clock.Schedule(now - 1h, [&] { past = true; });
  EXPECT_NE(id_a, 0u);
  clock.Cancel(id_a);
  ASSERT_TRUE(RunUntil(loop, [&] { return b && past; }));
  loop.RunOnce(30ms);
  EXPECT_FALSE(a);
}

}  // namespace
}  // namespace ferry::sys
