#include "core/events.h"

#include <algorithm>

#include "core/job_state.h"

namespace ferry::core {

std::string_view EventKindName(EventKind k) {
  switch (k) {
    case EventKind::kTransferred: return "Transferred";
    case EventKind::kError: return "Error";
    case EventKind::kModification: return "Modification";
    case EventKind::kFileTransferred: return "FileTransferred";
  }
  return "?";
}

EventQueue::EventQueue(sys::Clock& clock, JobQuery query, std::chrono::milliseconds coalesce,
                       std::chrono::milliseconds redelivery_initial)
    : clock_(clock), query_(std::move(query)), coalesce_(coalesce),
      redelivery_initial_(redelivery_initial) {}

EventQueue::~EventQueue() {
  if (dispatch_timer_) clock_.Cancel(dispatch_timer_);
  for (auto& [job, t] : progress_timers_) clock_.Cancel(t);
  for (auto& [key, r] : redeliveries_) clock_.Cancel(r.timer);
}

uint64_t EventQueue::Subscribe(EventConsumer* consumer, bool raw) {
  uint64_t id = next_sub_++;
  subs_[id] = Subscriber{consumer, raw};
  return id;
}

void EventQueue::Unsubscribe(uint64_t id) {
  subs_.erase(id);
  for (auto it = redeliveries_.begin(); it != redeliveries_.end();) {
    if (std::get<0>(it->first) == id) {
      clock_.Cancel(it->second.timer);
      it = redeliveries_.erase(it);
    } else {
      ++it;
    }
  }
  std::erase_if(pending_, [id](const auto& p) { return p.first == id; });
}

void EventQueue::Emit(EventKind kind, const Guid& job, int32_t file_index) {
  Enqueue(0, EngineEvent{kind, job, file_index});
}

void EventQueue::EmitProgress(const Guid& job) {
  if (progress_timers_.count(job)) return;  // one is already due
  auto now = clock_.Now();
  auto it = last_progress_.find(job);
  if (it == last_progress_.end() || now - it->second >= coalesce_) {
    last_progress_[job] = now;
    Emit(EventKind::kModification, job);
    return;
  }
  auto when = it->second + coalesce_;
  progress_timers_[job] = clock_.Schedule(when, [this, job] {
    progress_timers_.erase(job);
    last_progress_[job] = clock_.Now();
    Emit(EventKind::kModification, job);
  });
}

void EventQueue::Forget(const Guid& job) {
  if (auto it = progress_timers_.find(job); it != progress_timers_.end()) {
    clock_.Cancel(it->second);
    progress_timers_.erase(it);
  }
  last_progress_.erase(job);
  for (auto it = redeliveries_.begin(); it != redeliveries_.end();) {
    if (std::get<1>(it->first) == job) {
      clock_.Cancel(it->second.timer);
      it = redeliveries_.erase(it);
    } else {
      ++it;
    }
  }
}

void EventQueue::Replay(uint64_t subscriber, EventKind kind, const Guid& job) {
  Enqueue(subscriber, EngineEvent{kind, job, -1});
}

void EventQueue::Enqueue(uint64_t only, const EngineEvent& e) {
  pending_.emplace_back(only, e);
  if (!dispatch_timer_)
    dispatch_timer_ = clock_.Schedule(clock_.Now(), [this] {
      dispatch_timer_ = 0;
      Dispatch();
    });
}

void EventQueue::Dispatch() {
  auto batch = std::move(pending_);
  pending_.clear();
  for (auto& [only, e] : batch) {
    if (only) {
      DeliverTo(only, e);
      continue;
    }
    std::vector<uint64_t> ids;
    for (auto& [id, s] : subs_) ids.push_back(id);
    for (uint64_t id : ids) DeliverTo(id, e);
  }
}

bool EventQueue::Wants(const Subscriber& s, const EngineEvent& e, const JobView& v) const {
  if (s.raw) return true;
  uint32_t f = v.notify_flags;
  if (f & notify::kDisable) return false;
  switch (e.kind) {
    case EventKind::kTransferred: return f & notify::kJobTransferred;
    case EventKind::kError: return f & notify::kJobError;
    case EventKind::kModification: return f & notify::kJobModification;
    case EventKind::kFileTransferred: return f & notify::kFileTransferred;
  }
  return false;
}

void EventQueue::DeliverTo(uint64_t sub_id, const EngineEvent& e) {
  auto it = subs_.find(sub_id);
  if (it == subs_.end()) return;
  JobView v{};
  bool live = query_(e.job, &v);
  if (!live) {
    // Final jobs: observers still learn about the last modification.
    if (!it->second.raw) return;
  } else if (!Wants(it->second, e, v)) {
    return;
  }
  // Transferred/Error are only meaningful while the job is in that state.
  if (live && !it->second.raw) {
    if (e.kind == EventKind::kTransferred && v.state != JobState::kTransferred) return;
    if (e.kind == EventKind::kError && v.state != JobState::kError) return;
  }
  bool ok = it->second.consumer->OnEvent(e);
  if (!ok && live && !it->second.raw &&
      (e.kind == EventKind::kTransferred || e.kind == EventKind::kError)) {
    ScheduleRedelivery(sub_id, e, v);
  } else if (ok) {
    auto key = RedeliveryKey{sub_id, e.job, e.kind};
    if (auto r = redeliveries_.find(key); r != redeliveries_.end()) {
      clock_.Cancel(r->second.timer);
      redeliveries_.erase(r);
    }
  }
}

void EventQueue::ScheduleRedelivery(uint64_t sub_id, const EngineEvent& e, const JobView& v) {
  auto key = RedeliveryKey{sub_id, e.job, e.kind};
  auto& r = redeliveries_[key];
  if (r.timer) clock_.Cancel(r.timer);
  auto cap = std::chrono::duration_cast<std::chrono::milliseconds>(v.min_retry_delay);
  if (cap < redelivery_initial_) cap = redelivery_initial_;
  r.delay = r.delay.count() == 0 ? redelivery_initial_ : std::min(r.delay * 2, cap);
  r.timer = clock_.Schedule(clock_.Now() + r.delay, [this, key, e] {
    auto it = redeliveries_.find(key);
    if (it != redeliveries_.end()) it->second.timer = 0;
    DeliverTo(std::get<0>(key), e);
    auto again = redeliveries_.find(key);
    if (again != redeliveries_.end() && again->second.timer == 0) redeliveries_.erase(again);
  });
}

}  // namespace ferry::core
