#include "sys/thread_pool.h"

#include <pthread.h>

#include <cassert>
#include <utility>

namespace ferry::sys {

ThreadPool::ThreadPool(unsigned threads, std::string name) {
  if (threads == 0) threads = 1;
  if (name.size() > 15) name.resize(15);  // the kernel's limit (TASK_COMM_LEN - 1)
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this, name] {
      if (!name.empty()) pthread_setname_np(pthread_self(), name.c_str());
      Work();
    });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  // Workers leave only once the queue is empty, so every queued closure runs.
  for (auto& t : threads_) t.join();
}

void ThreadPool::Post(std::function<void()> fn) {
  assert(fn);
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void ThreadPool::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && busy_ == 0; });
}

void ThreadPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and nothing left
    std::function<void()> fn = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    fn();
    // Destroy the closure (and what it captured) before reporting idle, so
    // Drain() callers see its side effects complete.
    fn = nullptr;
    lock.lock();
    --busy_;
    if (queue_.empty() && busy_ == 0) idle_cv_.notify_all();
  }
}

SerialQueue::SerialQueue(std::string name) : pool_(1, std::move(name)) {}
SerialQueue::~SerialQueue() = default;

void SerialQueue::Post(std::function<void()> fn) { pool_.Post(std::move(fn)); }

void SerialQueue::Drain() { pool_.Drain(); }

}  // namespace ferry::sys
