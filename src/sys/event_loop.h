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
  // replaces any earlier one for that fd. Level-triggered: the callback runs
  // every turn while the fd is ready. On EPOLLERR/EPOLLHUP the callback gets
  // kError plus the directions it watches. Callbacks may watch, re-watch and
  // unwatch any fd (their own included) and add/cancel timers: an fd unwatched
  // by an earlier callback of the same turn is not dispatched.
  void WatchFd(int fd, uint32_t events, FdCallback cb);
  // No-op for an fd that is not watched. Call it before closing the fd.
  void UnwatchFd(int fd);

  // Monotonic one-shot timers; ids are never 0 or reused. Timers due in the
  // same turn run in deadline order, then in order of addition; a timer added
  // during a turn runs in a later turn at the earliest. CancelTimer of an id
  // that already ran or was cancelled is a no-op.
  uint64_t AddTimer(std::chrono::steady_clock::time_point when, std::function<void()> fn);
  void CancelTimer(uint64_t id);

  // Thread-safe.
  void Post(std::function<void()> fn) override;

  // Runs `fn` at the end of every loop turn, after fds, timers and posted
  // closures (e.g. to re-read a library's poll data after it queued output
  // during the turn). Hooks run in order of addition; ids are never 0. A hook
  // may remove itself (or another hook) but must not add hooks.
  uint64_t AddTurnHook(std::function<void()> fn);
  void RemoveTurnHook(uint64_t id);

  // Runs until Stop(). Returns after the loop turn in which Stop() was seen;
  // the stop request is then consumed, so Run() may be called again. A Stop()
  // before Run() makes that Run() return at once.
  void Run();
  // Runs one turn: waits up to `timeout` (less when a timer is due or a
  // closure is posted; never busy-polls), then dispatches ready fds, due
  // timers and the closures posted so far. For tests and
  // single-threaded hosts.
  void RunOnce(std::chrono::milliseconds timeout);
  // Thread-safe.
  void Stop();
  // True on the thread that last entered Run()/RunOnce() (before that: the
  // thread that constructed the loop).
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
