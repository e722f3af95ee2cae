// SimHost: the whole engine (SQLite store, staging payload store, the HTTP(S)
// and file:// backends, SHA-256) as EngineHost composes it, but on a
// FakeClock and driven from the test's own thread: no loop thread, no sleeps.
//
// Virtual time and real I/O. The engine's clock (retry delays, no-progress
// timeouts, Retry-After, job times, expiry) is a FakeClock; the network (a
// ScriptedOrigin or nginx on loopback), the worker pool and libcurl's own
// timers run in real time. RunUntil() interleaves them: it turns the event
// loop (each turn waits in epoll at most kTurnWait, returning at once when a
// socket is ready or a worker posts), and only when the engine is quiet —
// the workers drained and `kQuietTurns` turns in a row, spanning at least
// kQuietTime of real time, changed nothing
// observable (the `activity()` fingerprint: every job's state, bytes and
// error count, the clock's pending timers, plus what the caller's
// `extra_activity` returns, e.g. the origin's request count) — does it
// advance the FakeClock to its next deadline. Besides, after every turn the
// FakeClock moves by the real time the turn took: virtual time never falls
// behind real time. So virtual time jumps over every wait the engine makes on
// its own timers and never while bytes flow; a stalled server is "quiet". When the quiet engine has
// no virtual timer it waits on real time only — libcurl's own timers, like the low-speed limit that
// notices a stalled connection (at most the job's no-progress timeout, in real seconds) — and
// RunUntil keeps turning in real time.
//
// Call() runs f(engine) at once (the test thread is the loop thread). The
// destructor without Shutdown() behaves like a crash: the engine is dropped
// with nothing more synced or committed (docs/engine.md), as ~EngineHost.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/engine.h"
#include "support/fake_clock.h"
#include "sys/event_loop.h"
#include "sys/file_system.h"

namespace ferry::test {

struct SimHostOptions {
  std::string state_dir;  // ferry.db and staging/ live here
  core::EngineConfig config;
  sys::FileSystem* fs = nullptr;  // nullptr: the real file system
  unsigned workers = 2;
  sys::WallTime start = kFakeClockStart;  // the FakeClock's first Now()
};

class SimHost {
 public:
  static constexpr std::chrono::milliseconds kTurnWait{2};
  static constexpr int kQuietTurns = 4;
  static constexpr std::chrono::milliseconds kQuietTime{20};

  // Creates the state directory, opens the store and the engine (recovery
  // included) on the calling thread, which becomes the loop thread.
  static Result<std::unique_ptr<SimHost>> Start(const SimHostOptions& options);
  ~SimHost();  // a crash unless Shutdown() ran

  // Checkpoints every transfer (Engine::Shutdown) and stops; idempotent.
  Status Shutdown();

  template <typename F>
  auto Call(F&& f) {
    return f(*engine_);
  }
  core::Engine& engine() { return *engine_; }
  FakeClock& clock() { return *clock_; }

  // Turns the loop and advances virtual time as described above until
  // done() holds (checked after every turn); false when it does not within
  // `real_limit`. Virtual time moves at most `virtual_limit`: later timers
  // do not fire.
  bool RunUntil(const std::function<bool()>& done,
                sys::Duration virtual_limit = std::chrono::hours(24),
                std::chrono::milliseconds real_limit = std::chrono::seconds(60));
  // One loop turn plus overdue timers, no virtual time.
  void Turn();

  // Extra state folded into the quiet test (e.g. an origin's request count).
  std::function<uint64_t()> extra_activity;

 private:
  SimHost() = default;
  uint64_t Activity();

  struct Parts;
  std::unique_ptr<sys::EventLoop> loop_;
  std::unique_ptr<FakeClock> clock_;
  std::unique_ptr<Parts> parts_;
  std::unique_ptr<core::Engine> engine_;
  bool stopped_ = false;
};

}  // namespace ferry::test
