#include "sdk/dispatcher.h"

namespace ferry::sdk {

Dispatcher::Dispatcher() : state_(std::make_shared<State>()) {
  thread_ = std::thread(&Dispatcher::Run, state_);
  thread_id_ = thread_.get_id();
}

Dispatcher::~Dispatcher() {
  Stop();
  if (thread_.joinable()) thread_.detach();
}

void Dispatcher::Stop() {
  std::multimap<Clock::time_point, Task> dropped;  // destroyed after unlocking
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
    dropped.swap(state_->tasks);
  }
  state_->cv.notify_all();
  if (!OnDispatcherThread() && thread_.joinable()) thread_.join();
}

void Dispatcher::PostAt(Clock::time_point when, Task task) {
  {
    std::lock_guard lock(state_->mu);
    if (state_->stop) return;
    // upper_bound keeps tasks of equal time in posting order (multimap insert
    // with a hint at the end of the equal range).
    state_->tasks.emplace_hint(state_->tasks.upper_bound(when), when, std::move(task));
  }
  state_->cv.notify_all();
}

void Dispatcher::Run(std::shared_ptr<State> state) {
  std::unique_lock lock(state->mu);
  while (!state->stop) {
    if (state->tasks.empty()) {
      state->cv.wait(lock);
      continue;
    }
    auto first = state->tasks.begin();
    if (first->first > Clock::now()) {
      state->cv.wait_until(lock, first->first);
      continue;
    }
    Task task = std::move(first->second);
    state->tasks.erase(first);
    lock.unlock();
    task();
    // Destroy the task (and what it holds: maybe the last handle of the
    // connection) before taking the lock again.
    task = nullptr;
    lock.lock();
  }
}

}  // namespace ferry::sdk
