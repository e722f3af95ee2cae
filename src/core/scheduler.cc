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
#include "core/fetch.h"
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

namespace {

// The running job that queued job `j` may preempt: a strictly lower-priority
// one (the lowest, the latest slice among equals), else a same-priority one
// whose time slice ended (the oldest slice). Null: none.
RuntimeJob* PickVictim(const std::vector<RuntimeJob*>& running, const RuntimeJob& j,
                       sys::WallTime now, sys::Duration time_slice) {
  RuntimeJob* victim = nullptr;
  for (RuntimeJob* r : running)
    if (r->rec.priority > j.rec.priority &&
        (!victim || r->rec.priority > victim->rec.priority ||
         (r->rec.priority == victim->rec.priority && r->slice_start > victim->slice_start)))
      victim = r;
  if (victim) return victim;
  for (RuntimeJob* r : running)
    if (r->rec.priority == j.rec.priority && now - r->slice_start >= time_slice &&
        (!victim || r->slice_start < victim->slice_start))
      victim = r;
  return victim;
}

}  // namespace

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
    if (int32_t block = BlockFor(j->rec)) {  // waits in TRANSIENT_ERROR (policy.md)
      Block(*j, block);
      continue;
    }
    if (j->rec.priority == JobPriority::kForeground) {
      StartJob(*j);
      continue;
    }
    if (running.size() < cfg.max_background_transfers) {
      if (StartJob(*j)) running.push_back(j);
      continue;
    }
    RuntimeJob* victim = PickVictim(running, *j, now, cfg.time_slice);
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
  ArmSliceTimer(running, waiting, now);
  PostFlush();
}

void Engine::Impl::ArmSliceTimer(const std::vector<RuntimeJob*>& running,
                                 const std::set<JobPriority>& waiting, sys::WallTime now) {
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
  j.attempt = MakeFetch(j, next->index);
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
  j.attempt = MakeFetch(j, next->index);
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

void Engine::Impl::PauseForBandwidth(Fetch* a) {
  if (bandwidth_paused.insert(a).second) a->SetPaused(true);
  ArmBandwidthRound(sys::Duration(0));
}

void Engine::Impl::ArmBandwidthRound(sys::Duration delay) {
  if (bandwidth_timer) return;
  bandwidth_timer = deps.clock->Schedule(Now() + delay, [this] {
    bandwidth_timer = 0;
    OnBandwidthRound();
  });
}

namespace {
// One round: long enough that pausing and resuming costs little CPU (20
// wake-ups a second), short enough that a 1-second window of a throttled
// transfer stays within a few percent of the limit.
constexpr sys::Duration kBandwidthRound = std::chrono::milliseconds(50);
}  // namespace

void Engine::Impl::OnBandwidthRound() {
  auto now = Now();
  std::vector<RuntimeJob*> per_bucket[2];  // background, foreground
  for (auto& [id, j] : jobs)
    if (j->attempt) per_bucket[&BucketFor(j->rec) == &fg_bucket].push_back(j.get());
  auto resume = [this](Fetch* a) {
    if (bandwidth_paused.erase(a)) a->SetPaused(false);
  };
  // The next round when a limited bucket holds a round's worth again.
  std::optional<sys::Duration> next;
  auto wait_for = [&](TokenBucket& bucket) {
    auto round_worth = static_cast<int64_t>(
        static_cast<double>(bucket.rate()) * std::chrono::duration<double>(kBandwidthRound).count());
    sys::Duration wait =
        std::max(kBandwidthRound, bucket.DelayUntilTokens(std::max<int64_t>(round_worth, 1), now));
    if (!next || wait < *next) next = wait;
  };
  TokenBucket* buckets[2] = {&bg_bucket, &fg_bucket};
  for (int b = 0; b < 2; ++b) {
    std::vector<RuntimeJob*>& running = per_bucket[b];
    TokenBucket& bucket = *buckets[b];
    if (running.empty()) continue;
    // An equal share of what the bucket holds now: a transfer that reads
    // first (the socket the event loop reports first) cannot take the
    // others' part of the round.
    int64_t share = INT64_MAX;
    if (bucket.limited()) {
      int64_t available = bucket.Available(now);
      share = available > 0 ? available / static_cast<int64_t>(running.size()) : 0;
      wait_for(bucket);
    }
    for (RuntimeJob* j : running) {
      int64_t quota = RoundQuota(share, j->bucket, now);
      j->attempt->SetBandwidthQuota(quota);
      if (quota > 0) resume(j->attempt.get());
      if (j->bucket.limited()) wait_for(j->bucket);
    }
  }
  // Attempts paused but no longer attached to a job (stopped) are dropped.
  for (auto it = bandwidth_paused.begin(); it != bandwidth_paused.end();) {
    bool live = false;
    for (auto& list : per_bucket)
      for (RuntimeJob* j : list)
        if (j->attempt.get() == *it) live = true;
    it = live ? std::next(it) : bandwidth_paused.erase(it);
  }
  if (next) ArmBandwidthRound(*next);
}

}  // namespace ferry::core
