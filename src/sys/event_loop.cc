#include "sys/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <thread>

#include "util/log.h"

namespace ferry::sys {

using SteadyTime = std::chrono::steady_clock::time_point;

struct EventLoop::Impl {
  struct Watch {
    uint32_t events = 0;
    uint32_t generation = 0;
    // Shared so that a callback that replaces or removes its own watch keeps
    // running on a live function object.
    std::shared_ptr<FdCallback> cb;
  };

  int epoll_fd = -1;
  int wake_fd = -1;
  std::map<int, Watch> watches;
  uint32_t next_generation = 1;

  // Timers ordered by (deadline, id); ids grow, so equal deadlines fire in
  // the order they were added.
  std::map<std::pair<SteadyTime, uint64_t>, std::function<void()>> timers;
  std::map<uint64_t, SteadyTime> timer_deadlines;
  uint64_t next_timer_id = 1;

  std::mutex post_mu;
  std::vector<std::function<void()>> posted;  // guarded by post_mu

  std::map<uint64_t, std::shared_ptr<std::function<void()>>> turn_hooks;
  uint64_t next_hook_id = 1;

  std::atomic<bool> stop{false};
  std::atomic<std::thread::id> loop_thread{std::this_thread::get_id()};

  void Wake() {
    uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the loop will wake anyway.
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof one);
  }

  void DrainWake() {
    uint64_t value;
    while (::read(wake_fd, &value, sizeof value) > 0) {
    }
  }

  static uint32_t ToEpoll(uint32_t events) {
    uint32_t e = 0;
    if (events & kReadable) e |= EPOLLIN | EPOLLRDHUP;
    if (events & kWritable) e |= EPOLLOUT;
    return e;
  }

  // ERR/HUP are reported as kError plus every direction the fd is interested
  // in, so that the callback attempts its I/O and sees the real error.
  static uint32_t FromEpoll(uint32_t e, uint32_t interest) {
    uint32_t events = 0;
    if (e & (EPOLLIN | EPOLLRDHUP)) events |= kReadable;
    if (e & EPOLLOUT) events |= kWritable;
    if (e & (EPOLLERR | EPOLLHUP)) events |= kError | (interest & (kReadable | kWritable));
    return events & (interest | kError);
  }

  int TimeoutMs(std::chrono::milliseconds limit, SteadyTime now) {
    {
      std::lock_guard<std::mutex> lock(post_mu);
      if (!posted.empty()) return 0;
    }
    auto wait = limit;
    if (!timers.empty()) {
      auto until = timers.begin()->first.first - now;
      if (until <= SteadyTime::duration::zero()) return 0;
      // Round up: waking a little early would spin until the deadline.
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(until);
      wait = std::min(wait, ms);
    }
    if (wait.count() < 0) return 0;
    return static_cast<int>(std::min<int64_t>(wait.count(), INT32_MAX));
  }

  void DispatchFd(uint64_t data, uint32_t epoll_events) {
    int fd = static_cast<int>(data & 0xFFFFFFFFu);
    uint32_t generation = static_cast<uint32_t>(data >> 32);
    // Looked up at dispatch time: an earlier callback of this turn may have
    // unwatched or replaced this fd.
    auto it = watches.find(fd);
    if (it == watches.end() || it->second.generation != generation) return;
    uint32_t events = FromEpoll(epoll_events, it->second.events);
    if (events == 0) return;
    std::shared_ptr<FdCallback> cb = it->second.cb;
    (*cb)(fd, events);
  }

  void RunTimers(SteadyTime now) {
    // Timers added during this turn wait for the next one, so a timer that
    // re-arms itself for "now" cannot starve the loop.
    const uint64_t limit = next_timer_id;
    while (true) {
      auto it = timers.begin();
      while (it != timers.end() && it->first.first <= now && it->first.second >= limit) ++it;
      if (it == timers.end() || it->first.first > now) break;
      std::function<void()> fn = std::move(it->second);
      timer_deadlines.erase(it->first.second);
      timers.erase(it);
      fn();
    }
  }

  void RunPosted() {
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard<std::mutex> lock(post_mu);
      batch.swap(posted);
    }
    for (auto& fn : batch) fn();
  }
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {
  impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl_->epoll_fd < 0 || impl_->wake_fd < 0) {
    log::Error("EventLoop: epoll/eventfd creation failed: {}", std::strerror(errno));
    std::abort();
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;  // the wake fd's marker
  ::epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, impl_->wake_fd, &ev);
}

EventLoop::~EventLoop() {
  ::close(impl_->wake_fd);
  ::close(impl_->epoll_fd);
}

void EventLoop::WatchFd(int fd, uint32_t events, FdCallback cb) {
  assert(fd >= 0);
  auto& impl = *impl_;
  epoll_event ev{};
  ev.events = Impl::ToEpoll(events);
  auto it = impl.watches.find(fd);
  if (it != impl.watches.end()) {
    ev.data.u64 = (static_cast<uint64_t>(it->second.generation) << 32) | static_cast<uint32_t>(fd);
    if (::epoll_ctl(impl.epoll_fd, EPOLL_CTL_MOD, fd, &ev) == 0) {
      it->second.events = events;
      it->second.cb = std::make_shared<FdCallback>(std::move(cb));
      return;
    }
    // The fd was closed (and maybe reused) without UnwatchFd: the kernel
    // dropped it from the epoll set. Start over as a new watch.
    impl.watches.erase(it);
  }
  Impl::Watch watch;
  watch.events = events;
  watch.generation = impl.next_generation++;
  if (impl.next_generation == 0) impl.next_generation = 1;
  watch.cb = std::make_shared<FdCallback>(std::move(cb));
  ev.data.u64 = (static_cast<uint64_t>(watch.generation) << 32) | static_cast<uint32_t>(fd);
  if (::epoll_ctl(impl.epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    log::Error("EventLoop: epoll_ctl(ADD, {}) failed: {}", fd, std::strerror(errno));
    return;
  }
  impl.watches[fd] = std::move(watch);
}

void EventLoop::UnwatchFd(int fd) {
  auto& impl = *impl_;
  auto it = impl.watches.find(fd);
  if (it == impl.watches.end()) return;
  impl.watches.erase(it);
  // ENOENT/EBADF: already closed; nothing to remove.
  ::epoll_ctl(impl.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
}

uint64_t EventLoop::AddTimer(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
  auto& impl = *impl_;
  uint64_t id = impl.next_timer_id++;
  impl.timers.emplace(std::make_pair(when, id), std::move(fn));
  impl.timer_deadlines.emplace(id, when);
  // Called off the loop thread only before Run(); nothing to wake then.
  return id;
}

void EventLoop::CancelTimer(uint64_t id) {
  auto& impl = *impl_;
  auto it = impl.timer_deadlines.find(id);
  if (it == impl.timer_deadlines.end()) return;
  impl.timers.erase(std::make_pair(it->second, id));
  impl.timer_deadlines.erase(it);
}

void EventLoop::Post(std::function<void()> fn) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(impl_->post_mu);
    was_empty = impl_->posted.empty();
    impl_->posted.push_back(std::move(fn));
  }
  if (was_empty) impl_->Wake();
}

void EventLoop::RunOnce(std::chrono::milliseconds timeout) {
  auto& impl = *impl_;
  impl.loop_thread.store(std::this_thread::get_id());
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  int wait_ms = impl.TimeoutMs(timeout, std::chrono::steady_clock::now());
  int n = ::epoll_wait(impl.epoll_fd, events, kMaxEvents, wait_ms);
  if (n < 0) {
    if (errno != EINTR) log::Error("EventLoop: epoll_wait failed: {}", std::strerror(errno));
    n = 0;
  }
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == UINT64_MAX) {
      impl.DrainWake();
      continue;
    }
    impl.DispatchFd(events[i].data.u64, events[i].events);
  }
  impl.RunTimers(std::chrono::steady_clock::now());
  impl.RunPosted();
  if (!impl.turn_hooks.empty()) {
    std::vector<uint64_t> ids;
    for (auto& [id, fn] : impl.turn_hooks) ids.push_back(id);
    for (uint64_t id : ids) {
      auto it = impl.turn_hooks.find(id);
      if (it == impl.turn_hooks.end()) continue;
      auto fn = it->second;  // keeps the function alive if it removes itself
      (*fn)();
    }
  }
}

uint64_t EventLoop::AddTurnHook(std::function<void()> fn) {
  uint64_t id = impl_->next_hook_id++;
  impl_->turn_hooks[id] = std::make_shared<std::function<void()>>(std::move(fn));
  return id;
}

void EventLoop::RemoveTurnHook(uint64_t id) { impl_->turn_hooks.erase(id); }

void EventLoop::Run() {
  impl_->loop_thread.store(std::this_thread::get_id());
  while (!impl_->stop.load()) RunOnce(std::chrono::hours(24));
  impl_->stop.store(false);
}

void EventLoop::Stop() {
  impl_->stop.store(true);
  impl_->Wake();
}

bool EventLoop::InLoopThread() const { return impl_->loop_thread.load() == std::this_thread::get_id(); }

Clock::TimerId LoopClock::Schedule(WallTime when, std::function<void()> fn) {
  // The wall deadline becomes a monotonic one now: a later wall-clock jump
  // does not move the timer.
  auto delay = when - std::chrono::system_clock::now();
  if (delay < Duration::zero()) delay = Duration::zero();
  auto steady = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay);
  return loop_.AddTimer(steady, std::move(fn));
}

void LoopClock::Cancel(TimerId id) { loop_.CancelTimer(id); }

}  // namespace ferry::sys
