// ThreadPool: a small fixed pool of workers for blocking work (fdatasync at
// checkpoints, hashing, copying files at Complete). Closures run in FIFO order
// of submission but concurrently across workers. The destructor finishes every
// queued closure, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sys/executor.h"

namespace ferry::sys {

class ThreadPool final : public Executor {
 public:
  // `name` (cut to 15 bytes) names each thread, as top -H and
  // /proc/PID/task/TID/comm show it; empty keeps the process's name.
  explicit ThreadPool(unsigned threads, std::string name = {});
  ~ThreadPool() override;
  void Post(std::function<void()> fn) override;  // thread-safe
  // Blocks until every closure posted so far has finished (tests).
  void Drain();

 private:
  void Work();
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  unsigned busy_ = 0;
  bool stop_ = false;
};

// Runs closures one at a time in order on one worker thread (a serial queue,
// e.g. one hashing pipeline).
class SerialQueue final : public Executor {
 public:
  explicit SerialQueue(std::string name = {});
  ~SerialQueue() override;  // finishes queued work, then joins
  void Post(std::function<void()> fn) override;
  void Drain();

 private:
  ThreadPool pool_;
};

}  // namespace ferry::sys
