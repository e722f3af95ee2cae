// The job lifecycle (semantics.md §3): which moves between JobStates are
// legal. The engine changes a job's state only through SetState(), which
// refuses an illegal move (a bug: asserts in debug builds, logged and refused
// in release) and logs every from→to.
#pragma once

#include <string_view>

#include "ferry/types.h"

namespace ferry::core {

struct JobRecord;

// ACKNOWLEDGED and CANCELLED: nothing changes a final job again.
constexpr bool IsFinal(JobState s) { return s == JobState::kAcknowledged || s == JobState::kCancelled; }
// QUEUED, CONNECTING, TRANSFERRING: the scheduler owns the job.
constexpr bool IsActive(JobState s) {
  return s == JobState::kQueued || s == JobState::kConnecting || s == JobState::kTransferring;
}
// CONNECTING, TRANSFERRING: an attempt is running.
constexpr bool IsRunning(JobState s) {
  return s == JobState::kConnecting || s == JobState::kTransferring;
}

// True when `from` -> `to` is a legal move. Staying in the same state is not
// a move and is always "legal" (SetState does nothing then).
bool IsLegalTransition(JobState from, JobState to);

// Moves `job` to `to`. Returns false (and changes nothing) for an illegal move.
// `why` goes to the log line "job {id} FROM -> TO (why)".
bool SetState(JobRecord& job, JobState to, std::string_view why);

}  // namespace ferry::core
