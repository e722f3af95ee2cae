#include "sdk/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <vector>

namespace ferry::sdk {
namespace {

using namespace std::chrono_literals;

TEST(SdkDispatcher, RunsInOrderOnItsOwnThread) {
  Dispatcher d;
  std::vector<int> order;
  std::promise<void> done;
  auto caller = std::this_thread::get_id();
  for (int i = 0; i < 5; ++i)
    d.Post([&, i] {
      EXPECT_NE(std::this_thread::get_id(), caller);
      EXPECT_TRUE(d.OnDispatcherThread());
      order.push_back(i);
    });
  d.Post([&] { done.set_value(); });
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(SdkDispatcher, DelayedTasksRunAfterDueOnes) {
  Dispatcher d;
  std::vector<int> order;
  std::promise<void> done;
  auto now = Dispatcher::Clock::now();
  d.PostAt(now + 50ms, [&] {
    order.push_back(2);
    done.set_value();
  });
  d.PostAt(now, [&] { order.push_back(1); });
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(SdkDispatcher, StopWaitsForTheTaskInProgressAndDropsTheRest) {
  Dispatcher d;
  std::atomic<bool> finished{false}, later{false};
  std::promise<void> started;
  d.Post([&] {
    started.set_value();
    std::this_thread::sleep_for(100ms);
    finished = true;
  });
  d.Post([&] { later = true; });
  started.get_future().wait();
  d.Stop();
  EXPECT_TRUE(finished);
  EXPECT_FALSE(later);
  d.Post([&] { later = true; });  // ignored after Stop
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(later);
}

TEST(SdkDispatcher, DestroyedFromItsOwnTask) {
  auto d = std::make_shared<Dispatcher>();
  std::promise<void> done;
  std::weak_ptr<Dispatcher> weak = d;
  d->Post([&, d] {
    // The last reference goes inside a task: no self-join.
    done.set_value();
  });
  d.reset();
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  for (int i = 0; i < 100 && !weak.expired(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace ferry::sdk
