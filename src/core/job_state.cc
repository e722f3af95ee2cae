#include "core/job_state.h"

#include <cassert>

#include "core/ports.h"
#include "util/log.h"

namespace ferry::core {

bool IsLegalTransition(JobState from, JobState to) {
  using S = JobState;
  if (from == to) return true;
  if (IsFinal(from)) return false;
  // Every non-final state may be suspended, cancelled or completed.
  if (to == S::kSuspended || to == S::kCancelled || to == S::kAcknowledged) return true;
  switch (from) {
    case S::kSuspended:
      return to == S::kQueued;
    case S::kQueued:
      // Started; blocked by policy; a local failure before connecting; nothing
      // left to fetch (resumed after all files were already transferred).
      return to == S::kConnecting || to == S::kTransientError || to == S::kError ||
             to == S::kTransferred;
    case S::kConnecting:
      return to == S::kTransferring || to == S::kTransientError || to == S::kError ||
             to == S::kQueued || to == S::kTransferred;
    case S::kTransferring:
      // CONNECTING again when the next file of the job starts.
      return to == S::kTransferred || to == S::kTransientError || to == S::kError ||
             to == S::kQueued || to == S::kConnecting;
    case S::kTransientError:
      return to == S::kQueued || to == S::kError;
    case S::kError:
      return to == S::kQueued;
    case S::kTransferred:
      return to == S::kQueued;
    default:
      return false;
  }
}

bool SetState(JobRecord& job, JobState to, std::string_view why) {
  JobState from = job.state;
  if (from == to) return true;
  if (!IsLegalTransition(from, to)) {
    log::Error("job {} illegal transition {} -> {} refused ({})", job.id.ToString(),
               JobStateName(from), JobStateName(to), why);
    assert(false && "illegal job state transition");
    return false;
  }
  log::Info("job {} {} -> {} ({})", job.id.ToString(), JobStateName(from), JobStateName(to), why);
  job.state = to;
  return true;
}

}  // namespace ferry::core
