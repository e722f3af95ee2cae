// FakeClock: a sys::Clock whose time moves only when the test says so.
//
// Now() starts at kFakeClockStart (2026-01-01T00:00:00Z) and changes only
// through Advance(), AdvanceTo(), AdvanceUntil() and SetNow(). Timers are
// stored, never run on their own: advancing time runs every timer that falls
// due, one at a time in deadline order (ties in Schedule order), setting Now()
// to each timer's deadline before running it. Timers scheduled by a callback
// run in the same Advance when they fall due within the advanced window;
// timers cancelled by a callback do not run. A timer scheduled in the past
// runs at the next Advance (Advance(0) runs every overdue timer without
// moving time).
//
// Single-threaded: call everything, including Schedule/Cancel from timer
// callbacks, on one thread. Advance must not be called from inside a timer
// callback (asserted).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "sys/clock.h"

namespace ferry::test {

// 2026-01-01T00:00:00Z.
inline const sys::WallTime kFakeClockStart{std::chrono::seconds(1767225600)};

class FakeClock : public sys::Clock {
 public:
  explicit FakeClock(sys::WallTime start = kFakeClockStart) : now_(start) {}

  sys::WallTime Now() override { return now_; }
  // Ids start at 1 and are never reused.
  TimerId Schedule(sys::WallTime when, std::function<void()> fn) override;
  // No-op for an id that ran, was cancelled or never existed.
  void Cancel(TimerId id) override;

  // Moves time forward by `d` (negative is treated as 0), running due timers.
  void Advance(sys::Duration d);
  // Moves time forward to `t`, running every timer due at or before `t`.
  // When t < Now(), only overdue timers run and time does not go back.
  void AdvanceTo(sys::WallTime t);
  // Runs timers one at a time, in deadline order, until `done()` is true
  // (checked before the first timer and after each one) or no timer is due
  // within `limit` of the starting time. Returns done()'s last value. Time
  // ends at the last timer run when done() became true, else at start+limit.
  bool AdvanceUntil(const std::function<bool()>& done, sys::Duration limit);

  // Sets the wall time without running any timer (a wall-clock jump; may go
  // backwards). Timers keep their absolute deadlines.
  void SetNow(sys::WallTime t) { now_ = t; }

  // Timers scheduled and not yet run or cancelled.
  size_t pending() const { return timers_.size(); }
  // The earliest pending deadline, if any.
  std::optional<sys::WallTime> NextDeadline() const;

 private:
  // Runs the earliest timer if its deadline is <= limit; false otherwise.
  bool RunOne(sys::WallTime limit);

  sys::WallTime now_;
  TimerId next_id_ = 1;
  bool advancing_ = false;
  std::map<std::pair<sys::WallTime, TimerId>, std::function<void()>> timers_;
  std::map<TimerId, sys::WallTime> deadlines_;
};

}  // namespace ferry::test
