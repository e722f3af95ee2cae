// Drives an sdbus-c++ connection from the engine's EventLoop (one thread for
// the engine and the bus): the connection's fd is watched for the events
// sd-bus asks for, a timer follows sd-bus's timeout, and both are re-armed at
// the end of every loop turn, because emitting a signal or replying during a
// turn may queue output (POLLOUT) or work (timeout 0).
#pragma once

#include <sdbus-c++/IConnection.h>

#include <chrono>
#include <cstdint>
#include <functional>

#include "sys/event_loop.h"

namespace ferry::service {

class BusDriver {
 public:
  // `on_lost`: the connection failed (bus gone); called on the loop thread.
  // `after_message`: called after each incoming message has been dispatched.
  BusDriver(sys::EventLoop& loop, sdbus::IConnection& connection, std::function<void()> on_lost,
            std::function<void()> after_message = nullptr);
  ~BusDriver();
  BusDriver(const BusDriver&) = delete;
  BusDriver& operator=(const BusDriver&) = delete;

  void Start();
  // Stops processing incoming messages (replies and signals already queued
  // are still flushed by the connection's destructor).
  void Stop();

 private:
  void Process();
  void Rearm();

  sys::EventLoop& loop_;
  sdbus::IConnection& conn_;
  std::function<void()> on_lost_;
  std::function<void()> after_message_;
  bool running_ = false;
  int fd_ = -1;
  uint32_t fd_events_ = 0;
  uint64_t hook_ = 0;
  uint64_t timer_ = 0;
  uint64_t timer_usec_ = UINT64_MAX;
};

}  // namespace ferry::service
