// LoopBinding: delivers a torrent::Session's events on a sys::EventLoop — it
// watches the session's NotifyFd and calls DispatchEvents when it is readable.
//
// Construct and destroy it on the loop's thread (or before the loop runs).
// The loop and the session outlive the binding.
#pragma once

#include "lib/torrent/session.h"
#include "sys/event_loop.h"

namespace ferry::torrent {

class LoopBinding {
 public:
  LoopBinding(sys::EventLoop& loop, Session& session);
  ~LoopBinding();
  LoopBinding(const LoopBinding&) = delete;
  LoopBinding& operator=(const LoopBinding&) = delete;

 private:
  sys::EventLoop& loop_;
  Session& session_;
};

}  // namespace ferry::torrent
