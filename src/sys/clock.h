// Time and timers behind one seam, so that retry delays, no-progress timeouts
// and the 30-day expiry are tested in milliseconds with a fake clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace ferry::sys {

using WallTime = std::chrono::system_clock::time_point;
using Duration = std::chrono::nanoseconds;

// A clock with timers. Now() is wall-clock time (job times, expiry); the
// engine reads it once per loop turn and passes it down.
//
// Timers: Schedule(when, fn) runs fn once on the owner's thread (the engine
// loop) at or after `when` (a wall time of this clock). Cancel(id) before it
// runs prevents it; cancelling an id that already ran or was cancelled is a
// no-op. Ids are never 0 and never reused. Call Schedule/Cancel only from the
// owner's thread.
class Clock {
 public:
  using TimerId = uint64_t;
  virtual ~Clock() = default;
  virtual WallTime Now() = 0;
  virtual TimerId Schedule(WallTime when, std::function<void()> fn) = 0;
  virtual void Cancel(TimerId id) = 0;
};

}  // namespace ferry::sys
