#include "sys/lifetime.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace ferry::sys {
namespace {

// Runs what was posted only when asked, on the test's thread.
class ManualExecutor : public Executor {
 public:
  void Post(std::function<void()> fn) override { queue_.push_back(std::move(fn)); }
  void RunAll() {
    while (!queue_.empty()) {
      auto fn = std::move(queue_.front());
      queue_.pop_front();
      fn();
    }
  }
  size_t size() const { return queue_.size(); }

 private:
  std::deque<std::function<void()>> queue_;
};

TEST(LifetimeTest, GuardedCallbackRunsWhileTheOwnerLives) {
  Lifetime life;
  int calls = 0;
  auto fn = life.Guard([&](int n) { calls += n; });
  fn(2);
  fn(3);
  EXPECT_EQ(calls, 5);
}

TEST(LifetimeTest, GuardedCallbackIsANoOpAfterTheOwnerDies) {
  int calls = 0;
  std::function<void()> fn;
  {
    Lifetime life;
    fn = life.Guard([&] { ++calls; });
  }
  fn();
  EXPECT_EQ(calls, 0);
}

TEST(LifetimeTest, ResetDropsEarlierTokensOnly) {
  Lifetime life;
  Lifetime::Token before = life.token();
  int calls = 0;
  auto old_fn = life.Guard([&] { calls += 1; });
  life.Reset();
  auto new_fn = life.Guard([&] { calls += 10; });
  old_fn();
  new_fn();
  EXPECT_FALSE(before.Alive());
  EXPECT_TRUE(life.token().Alive());
  EXPECT_EQ(calls, 10);
}

TEST(LifetimeTest, DefaultTokenIsNeverAlive) { EXPECT_FALSE(Lifetime::Token().Alive()); }

TEST(LifetimeTest, PostIfAliveSkipsWhenTheOwnerDiedBeforeTheLoopRan) {
  ManualExecutor loop;
  int calls = 0;
  {
    Lifetime life;
    PostIfAlive(loop, life, [&] { ++calls; });
  }
  Lifetime other;
  PostIfAlive(loop, other, [&] { calls += 10; });
  loop.RunAll();
  EXPECT_EQ(calls, 10);
}

TEST(LifetimeTest, RunOnWorkerThenLoopCarriesTheResultBack) {
  ManualExecutor worker, loop;
  Lifetime life;
  std::string got;
  RunOnWorkerThenLoop(worker, loop, life, [] { return std::string("computed"); },
                      [&](std::string r) { got = std::move(r); });
  EXPECT_EQ(loop.size(), 0u);  // nothing until the worker ran
  worker.RunAll();
  EXPECT_TRUE(got.empty());  // the result waits for the loop
  loop.RunAll();
  EXPECT_EQ(got, "computed");
}

TEST(LifetimeTest, RunOnWorkerThenLoopRunsTheWorkButDropsTheCompletionOfADeadOwner) {
  ManualExecutor worker, loop;
  bool worked = false, completed = false;
  {
    auto life = std::make_unique<Lifetime>();
    RunOnWorkerThenLoop(worker, loop, *life, [&] { worked = true; }, [&] { completed = true; });
    worker.RunAll();
  }
  loop.RunAll();
  EXPECT_TRUE(worked);
  EXPECT_FALSE(completed);
}

}  // namespace
}  // namespace ferry::sys
