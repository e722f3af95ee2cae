#include "support/fake_clock.h"

#include <cassert>

namespace ferry::test {

FakeClock::TimerId FakeClock::Schedule(sys::WallTime when, std::function<void()> fn) {
  TimerId id = next_id_++;
  timers_.emplace(std::make_pair(when, id), std::move(fn));
  deadlines_.emplace(id, when);
  return id;
}

void FakeClock::Cancel(TimerId id) {
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  timers_.erase(std::make_pair(it->second, id));
  deadlines_.erase(it);
}

std::optional<sys::WallTime> FakeClock::NextDeadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

bool FakeClock::RunOne(sys::WallTime limit) {
  if (timers_.empty()) return false;
  auto it = timers_.begin();
  if (it->first.first > limit) return false;
  if (it->first.first > now_) now_ = it->first.first;
  // Removed before running: the callback may schedule or cancel freely.
  std::function<void()> fn = std::move(it->second);
  deadlines_.erase(it->first.second);
  timers_.erase(it);
  fn();
  return true;
}

void FakeClock::Advance(sys::Duration d) {
  if (d < sys::Duration::zero()) d = sys::Duration::zero();
  AdvanceTo(now_ + std::chrono::duration_cast<sys::WallTime::duration>(d));
}

void FakeClock::AdvanceTo(sys::WallTime t) {
  assert(!advancing_ && "FakeClock::Advance called from a timer callback");
  advancing_ = true;
  while (RunOne(t)) {
  }
  if (t > now_) now_ = t;
  advancing_ = false;
}

bool FakeClock::AdvanceUntil(const std::function<bool()>& done, sys::Duration limit) {
  assert(!advancing_ && "FakeClock::AdvanceUntil called from a timer callback");
  sys::WallTime end = now_ + std::chrono::duration_cast<sys::WallTime::duration>(limit);
  if (done()) return true;
  advancing_ = true;
  bool result = false;
  while (RunOne(end)) {
    if (done()) {
      result = true;
      break;
    }
  }
  if (!result && end > now_) now_ = end;
  advancing_ = false;
  return result;
}

}  // namespace ferry::test
