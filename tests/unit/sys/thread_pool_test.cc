#include "sys/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace ferry::sys {
namespace {

TEST(ThreadPoolTest, RunsEveryClosureAndDrains) {
  ThreadPool pool(4);
  std::atomic<int> count{0};
  for (int i = 0; i < 1000; ++i) pool.Post([&] { count.fetch_add(1); });
  pool.Drain();
  EXPECT_EQ(count.load(), 1000);
}

TEST(ThreadPoolTest, DrainWaitsForRunningClosures) {
  ThreadPool pool(2);
  std::atomic<bool> done{false};
  pool.Post([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    done = true;
  });
  pool.Drain();
  EXPECT_TRUE(done.load());
}

TEST(ThreadPoolTest, DrainOnIdlePoolReturns) {
  ThreadPool pool(3);
  pool.Drain();
}

TEST(ThreadPoolTest, UsesSeveralThreads) {
  ThreadPool pool(4);
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::atomic<int> arrived{0};
  for (int i = 0; i < 4; ++i) {
    pool.Post([&] {
      {
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(std::this_thread::get_id());
      }
      // Wait until all four run at once (bounded so a bug cannot hang).
      arrived.fetch_add(1);
      for (int k = 0; k < 2000 && arrived.load() < 4; ++k)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  pool.Drain();
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(arrived.load(), 4);
}

TEST(ThreadPoolTest, DestructorFinishesQueuedWork) {
  std::atomic<int> count{0};
  {
    ThreadPool pool(1);
    pool.Post([] { std::this_thread::sleep_for(std::chrono::milliseconds(10)); });
    for (int i = 0; i < 100; ++i) pool.Post([&] { count.fetch_add(1); });
  }
  EXPECT_EQ(count.load(), 100);
}

TEST(ThreadPoolTest, ClosuresMayPostMore) {
  ThreadPool pool(2);
  std::atomic<int> count{0};
  pool.Post([&] {
    count.fetch_add(1);
    pool.Post([&] { count.fetch_add(1); });
  });
  // The nested Post happens before the outer closure finishes, so Drain sees it.
  pool.Drain();
  EXPECT_EQ(count.load(), 2);
}

TEST(SerialQueueTest, RunsInOrderOneAtATime) {
  SerialQueue queue;
  std::vector<int> order;
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  for (int i = 0; i < 200; ++i) {
    queue.Post([&, i] {
      if (running.fetch_add(1) != 0) overlapped = true;
      order.push_back(i);
      running.fetch_sub(1);
    });
  }
  queue.Drain();
  EXPECT_FALSE(overlapped.load());
  ASSERT_EQ(order.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(order[i], i);
}

TEST(SerialQueueTest, DestructorFinishesQueuedWork) {
  int count = 0;
  {
    SerialQueue queue;
    for (int i = 0; i < 50; ++i) queue.Post([&] { ++count; });
  }
  EXPECT_EQ(count, 50);
}

}  // namespace
}  // namespace ferry::sys
