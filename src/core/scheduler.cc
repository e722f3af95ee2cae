// Engine: the scheduler (semantics.md §5) and the bandwidth budget.
//
// Foreground jobs always run. Background jobs run up to
// max_background_transfers at a time, strictly by priority (HIGH preempts
// NORMAL and LOW, NORMAL preempts LOW), FIFO within a priority, with time
// slices so that same-priority jobs take turns when there are more of them
// than slots.
#include <algorithm>
#include <cassert>
#include <optional>
#include <set>

#include "core/engine_impl.h"
#include "core/file_attempt.h"
#include "core/job_state.h"
#include "util/log.h"

namespace ferry::core {

void Engine::Impl::Schedule() {
  if (scheduling) {
    reschedule = true;
    return;
  }
  scheduling = true;
  do {
    reschedule = false;
    ScheduleOnce();
  } while (reschedule);
  scheduling = false;
}

void Engine::Impl::ScheduleOnce() {
  if (shut_down) return;
  assert(queued_jobs == static_cast<size_t>(std::count_if(jobs.begin(), jobs.end(), [](auto& e) {
           return e.second->rec.state == JobState::kQueued;
         })));
  if (queued_jobs == 0) {
    // Nothing to start and nobody waiting for a slice (the scan below would
    // find the same, at O(jobs) per change).
    if (slice_timer) deps.clock->Cancel(slice_timer);
    slice_timer = 0;
    PostFlush();
    return;
  }
  auto now = Now();
  std::vector<RuntimeJob*> queued, running;
  // Every job, without a lookup per id (this runs at every change); both
  // lists are then put in creation order, as `order` has them.
  for (auto& [id, owned] : jobs) {
    RuntimeJob* j = owned.get();
    if (j->completing) continue;
    if (j->rec.state == JobState::kQueued && !j->attempt) queued.push_back(j);
    if (j->attempt && j->rec.priority != JobPriority::kForeground) running.push_back(j);
  }
  auto by_creation = [](RuntimeJob* a, RuntimeJob* b) { return a->rec.creation < b->rec.creation; };
  std::sort(running.begin(), running.end(), by_creation);
  std::sort(queued.begin(), queued.end(), [&](RuntimeJob* a, RuntimeJob* b) {
    if (a->rec.priority != b->rec.priority) return a->rec.priority < b->rec.priority;
    if (a->queue_seq != b->queue_seq) return a->queue_seq < b->queue_seq;
    return by_creation(a, b);
  });
  std::set<JobPriority> waiting;  // priorities of jobs left QUEUED for want of a slot
  for (RuntimeJob* j : queued) {
    if (j->rec.state != JobState::kQueued || j->attempt) continue;  // changed meanwhile
    if (j->rec.priority == JobPriority::kForeground) {
      StartJob(*j);
      continue;
    }
    if (running.size() < cfg.max_background_transfers) {
      if (StartJob(*j)) running.push_back(j);
      continue;
    }
    // A strictly lower-priority victim, else a same-priority one whose slice ended.
    RuntimeJob* victim = nullptr;
    for (RuntimeJob* r : running)
      if (r->rec.priority > j->rec.priority &&
          (!victim || r->rec.priority > victim->rec.priority ||
           (r->rec.priority == victim->rec.priority && r->slice_start > victim->slice_start)))
        victim = r;
    if (!victim)
      for (RuntimeJob* r : running)
        if (r->rec.priority == j->rec.priority && now - r->slice_start >= cfg.time_slice &&
            (!victim || r->slice_start < victim->slice_start))
          victim = r;
    if (!victim) {
      waiting.insert(j->rec.priority);
      continue;
    }
    log::Info("job {} preempted by job {}", victim->rec.id.ToString(), j->rec.id.ToString());
    StopAttempt(*victim);
    Move(*victim, JobState::kQueued, "preempted");
    waiting.insert(victim->rec.priority);  // it waits for its next slice now
    running.erase(std::find(running.begin(), running.end(), victim));
    if (StartJob(*j)) running.push_back(j);
  }
  if (slice_timer) deps.clock->Cancel(slice_timer);
  slice_timer = 0;
  // Wake up when a waiting job may take the slot of a same-priority job whose
  // slice ended. Running jobs of other priorities are never slice victims: a
  // timer for them would fire in the past, again and again.
  std::optional<sys::WallTime> rotate_at;
  for (RuntimeJob* r : running) {
    if (!waiting.count(r->rec.priority)) continue;
    auto end = r->slice_start + cfg.time_slice;
    if (!rotate_at || end < *rotate_at) rotate_at = end;
  }
  if (rotate_at) {
    slice_timer = deps.clock->Schedule(std::max(*rotate_at, now), [this] {
      slice_timer = 0;
      Schedule();
    });
  }
  PostFlush();
}

bool Engine::Impl::StartJob(RuntimeJob& j) {
  auto next = std::find_if(j.rec.files.begin(), j.rec.files.end(),
                           [](const FileRecord& f) { return !f.transferred; });
  if (next == j.rec.files.end()) {
    Move(j, JobState::kTransferred, "all files transferred");
    Flush();
    return false;
  }
  Move(j, JobState::kConnecting, "scheduled");
  j.slice_start = Now();
  j.attempt = std::make_unique<Attempt>(*this, j, next->index);
  ErrorRecord err;
  if (!j.attempt->Begin(&err)) {
    attempt_graveyard.push_back(std::move(j.attempt));
    PostGraveyard();
    EnterFailure(j, std::move(err), false, std::nullopt);
    return false;
  }
  return j.attempt != nullptr;
}

void Engine::Impl::StartNextFile(RuntimeJob& j) {
  if (j.attempt) {
    bandwidth_paused.erase(j.attempt.get());
    attempt_graveyard.push_back(std::move(j.attempt));
    PostGraveyard();
  }
  auto next = std::find_if(j.rec.files.begin(), j.rec.files.end(),
                           [](const FileRecord& f) { return !f.transferred; });
  if (next == j.rec.files.end()) {
    Move(j, JobState::kTransferred, "last file done");
    Flush();
    Schedule();  // a slot is free
    return;
  }
  Move(j, JobState::kConnecting, "next file");
  PostFlush();
  j.attempt = std::make_unique<Attempt>(*this, j, next->index);
  ErrorRecord err;
  if (!j.attempt->Begin(&err)) {
    attempt_graveyard.push_back(std::move(j.attempt));
    PostGraveyard();
    EnterFailure(j, std::move(err), false, std::nullopt);
    Schedule();
  }
}

void Engine::Impl::StopAttempt(RuntimeJob& j) {
  if (!j.attempt) return;
  j.attempt->Stop();
  bandwidth_paused.erase(j.attempt.get());
  attempt_graveyard.push_back(std::move(j.attempt));
  PostGraveyard();
}

void Engine::Impl::PauseForBandwidth(Attempt* a, TokenBucket& bucket) {
  if (bandwidth_paused.insert(a).second) a->SetPaused(true);
  if (bandwidth_timer) return;
  auto now = Now();
  auto delay = bucket.DelayUntilPositive(now);
  bandwidth_timer = deps.clock->Schedule(now + delay, [this] {
    bandwidth_timer = 0;
    OnBandwidthTimer();
  });
}

void Engine::Impl::OnBandwidthTimer() {
  if (bandwidth_paused.empty()) return;
  auto now = Now();
  sys::Duration wait = sys::Duration::max();
  std::vector<Attempt*> resume;
  for (Attempt* a : bandwidth_paused) {
    // Find the job of this attempt to learn its bucket.
    TokenBucket* bucket = nullptr;
    for (auto& [id, j] : jobs)
      if (j->attempt.get() == a) bucket = &BucketFor(j->rec);
    if (!bucket) {
      resume.push_back(a);
      continue;
    }
    auto d = bucket->DelayUntilPositive(now);
    if (d.count() <= 0)
      resume.push_back(a);
    else
      wait = std::min(wait, d);
  }
  for (Attempt* a : resume) {
    bandwidth_paused.erase(a);
    a->SetPaused(false);
  }
  if (!bandwidth_paused.empty() && !bandwidth_timer && wait != sys::Duration::max())
    bandwidth_timer = deps.clock->Schedule(now + wait, [this] {
      bandwidth_timer = 0;
      OnBandwidthTimer();
    });
}

}  // namespace ferry::core
