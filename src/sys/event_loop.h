// EventLoop: the engine's single-threaded epoll loop. It drives libcurl's
// multi-socket interface, timers, and (later) the D-Bus connection; closures
// posted from other threads run on the loop thread.
//
// Everything except Post() and Stop() must be called on the loop thread (the
// one inside Run()), or before Run() starts.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "sys/clock.h"
#include "sys/executor.h"

namespace ferry::sys {

class EventLoop final : public Executor {
 public:
  // Event bits for WatchFd (subset of epoll's).
  static constexpr uint32_t kReadable = 0x1;
  static constexpr uint32_t kWritable = 0x2;
  using FdCallback = std::function<void(int fd, uint32_t events)>;  // events: kReadable|kWritable|kError
  static constexpr uint32_t kError = 0x4;

  EventLoop();
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts (or, called again, modifies) watching fd for `events`; the callback
  // replaces any earlier one for that fd.
  void WatchFd(int fd, uint32_t events, FdCallback cb);
  void UnwatchFd(int fd);

  // Monotonic one-shot timers; ids are never 0 or reused.
  uint64_t AddTimer(std::chrono::steady_clock::time_point when, std::function<void()> fn);
  void CancelTimer(uint64_t id);

  // Thread-safe.
  void Post(std::function<void()> fn) override;

  // Runs until Stop(). Returns after the loop turn in which Stop() was seen.
  void Run();
  // Runs at most one round of ready events/timers/posted closures, waiting up
  // to `timeout` for something to happen. For tests and single-threaded hosts.
  void RunOnce(std::chrono::milliseconds timeout);
  // Thread-safe.
  void Stop();
  bool InLoopThread() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Clock backed by the real system clock whose timers run on an EventLoop.
// Wall deadlines are converted to the loop's monotonic timers at scheduling
// time (a wall-clock jump does not move an armed timer).
class LoopClock final : public Clock {
 public:
  explicit LoopClock(EventLoop& loop) : loop_(loop) {}
  WallTime Now() override { return std::chrono::system_clock::now(); }
  TimerId Schedule(WallTime when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;

 private:
  EventLoop& loop_;
};

}  // namespace ferry::sys
