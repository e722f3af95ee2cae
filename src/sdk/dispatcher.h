// The SDK's callback thread: runs tasks one at a time, in order, now or at a
// given time. Callbacks never run on the sdbus event-loop thread, so a handler
// that blocks (or calls back into the service) delays only later callbacks of
// this process, never the receipt of signals or method replies.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace ferry::sdk {

class Dispatcher {
 public:
  using Clock = std::chrono::steady_clock;
  using Task = std::function<void()>;

  Dispatcher();
  // Stop(), then detaches the thread if Stop() could not join it.
  ~Dispatcher();

  // No task runs after the one in progress; tasks not yet run are dropped.
  // From another thread, waits for the task in progress to end (joins); from
  // the dispatcher thread itself (a handler dropping the last handle), only
  // asks the thread to end. Idempotent.
  void Stop();

  // Queues `task` to run at `when` (after every task due earlier; tasks due at
  // the same time run in posting order). Thread-safe, never blocks long.
  void PostAt(Clock::time_point when, Task task);
  void Post(Task task) { PostAt(Clock::now(), std::move(task)); }

  bool OnDispatcherThread() const { return std::this_thread::get_id() == thread_id_; }

 private:
  // Shared with the thread so that a detached thread never touches a
  // destroyed Dispatcher.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::multimap<Clock::time_point, Task> tasks;
    bool stop = false;
  };
  static void Run(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace ferry::sdk
