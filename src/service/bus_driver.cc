#include "service/bus_driver.h"

#include <poll.h>

#include <exception>

#include "util/log.h"

namespace ferry::service {

// A turn handles at most this many messages, so one busy client cannot
// starve the engine; the rest waits for the next turn (sd-bus then reports a
// timeout of 0).
constexpr int kMaxMessagesPerTurn = 64;

BusDriver::BusDriver(sys::EventLoop& loop, sdbus::IConnection& connection,
                     std::function<void()> on_lost, std::function<void()> after_message)
    : loop_(loop), conn_(connection), on_lost_(std::move(on_lost)), after_message_(std::move(after_message)) {}

BusDriver::~BusDriver() { Stop(); }

void BusDriver::Start() {
  if (running_) return;
  running_ = true;
  hook_ = loop_.AddTurnHook([this] { Rearm(); });
  Rearm();
}

void BusDriver::Stop() {
  if (!running_) return;
  running_ = false;
  if (hook_) loop_.RemoveTurnHook(hook_);
  hook_ = 0;
  if (timer_) loop_.CancelTimer(timer_);
  timer_ = 0;
  timer_usec_ = UINT64_MAX;
  if (fd_ >= 0) loop_.UnwatchFd(fd_);
  fd_ = -1;
  fd_events_ = 0;
}

void BusDriver::Process() {
  if (!running_) return;
  try {
    for (int i = 0; i < kMaxMessagesPerTurn && running_; ++i) {
      bool processed = conn_.processPendingRequest();
      if (after_message_) after_message_();
      if (!processed) break;
    }
  } catch (const std::exception& e) {
    log::Error("D-Bus connection failed: {}", e.what());
    Stop();
    if (on_lost_) on_lost_();
    return;
  }
  Rearm();
}

void BusDriver::Rearm() {
  if (!running_) return;
  sdbus::IConnection::PollData pd{};
  try {
    pd = conn_.getEventLoopPollData();
  } catch (const std::exception& e) {
    log::Error("D-Bus connection failed: {}", e.what());
    Stop();
    if (on_lost_) on_lost_();
    return;
  }
  uint32_t ev = 0;
  if (pd.events & POLLIN) ev |= sys::EventLoop::kReadable;
  if (pd.events & POLLOUT) ev |= sys::EventLoop::kWritable;
  if (pd.fd != fd_ || ev != fd_events_) {
    if (fd_ >= 0 && pd.fd != fd_) loop_.UnwatchFd(fd_);
    fd_ = pd.fd;
    fd_events_ = ev;
    loop_.WatchFd(fd_, ev, [this](int, uint32_t) { Process(); });
  }
  if (pd.timeout_usec != timer_usec_) {
    if (timer_) loop_.CancelTimer(timer_);
    timer_ = 0;
    timer_usec_ = pd.timeout_usec;
    if (pd.timeout_usec != UINT64_MAX) {
      // sd-bus timeouts are absolute CLOCK_MONOTONIC, as steady_clock on Linux.
      auto when = std::chrono::steady_clock::time_point(std::chrono::microseconds(pd.timeout_usec));
      timer_ = loop_.AddTimer(when, [this] {
        timer_ = 0;
        timer_usec_ = UINT64_MAX;
        Process();
      });
    }
  }
}

}  // namespace ferry::service
