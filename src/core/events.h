// Notifications as one typed event queue (semantics.md §4).
//
// The engine emits events; consumers (in-process tests, the D-Bus adaptor)
// subscribe. Events are dispatched on the engine thread, never inside the
// engine call that caused them (a consumer may call back into the engine).
//
// Rules applied here, once, for every consumer that asks for them:
// - the job's notify flags: Disable (0x4) suppresses everything; Transferred
//   needs 0x1, Error 0x2, Modification 0x8, FileTransferred 0x10;
// - progress modifications are coalesced: at most one per `coalesce` per job;
// - at-least-once: a consumer that returns false from OnEvent for Transferred
//   or Error gets it again after a back-off (initial, doubling, capped at the
//   job's minimum retry delay) until it returns true, the job leaves that
//   state, or the consumer unsubscribes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "ferry/types.h"
#include "sys/clock.h"

namespace ferry::core {

enum class EventKind { kTransferred, kError, kModification, kFileTransferred };
std::string_view EventKindName(EventKind kind);

struct EngineEvent {
  EventKind kind = EventKind::kModification;
  Guid job;
  int32_t file_index = -1;  // kFileTransferred: the file
};

class EventConsumer {
 public:
  virtual ~EventConsumer() = default;
  // Engine thread. Return false if the event could not be handled (it is
  // re-delivered later for Transferred and Error).
  virtual bool OnEvent(const EngineEvent& event) = 0;
};

class EventQueue {
 public:
  struct JobView {
    JobState state;
    uint32_t notify_flags;
    std::chrono::seconds min_retry_delay;
  };
  // Returns false when the job no longer exists (final or gone).
  using JobQuery = std::function<bool(const Guid&, JobView*)>;

  EventQueue(sys::Clock& clock, JobQuery query, std::chrono::milliseconds coalesce,
             std::chrono::milliseconds redelivery_initial);
  ~EventQueue();

  // `raw`: the consumer gets every event regardless of notify flags and
  // without re-delivery (observers such as property-change publishers).
  uint64_t Subscribe(EventConsumer* consumer, bool raw = false);
  void Unsubscribe(uint64_t id);

  void Emit(EventKind kind, const Guid& job, int32_t file_index = -1);
  // A byte-progress modification, coalesced per job.
  void EmitProgress(const Guid& job);
  // The job is final: drop its pending re-deliveries and coalescing timers.
  void Forget(const Guid& job);

  // Delivers `kind` for `job` to one subscriber now-ish (used when a client
  // subscribes to a job that is already TRANSFERRED or in ERROR).
  void Replay(uint64_t subscriber, EventKind kind, const Guid& job);

 private:
  struct Subscriber {
    EventConsumer* consumer;
    bool raw;
  };
  struct Redelivery {
    sys::Clock::TimerId timer = 0;
    std::chrono::milliseconds delay{0};
  };
  using RedeliveryKey = std::tuple<uint64_t, Guid, EventKind>;

  void Enqueue(uint64_t only_subscriber, const EngineEvent& e);
  void Dispatch();
  void DeliverTo(uint64_t sub_id, const EngineEvent& e);
  bool Wants(const Subscriber& s, const EngineEvent& e, const JobView& v) const;
  void ScheduleRedelivery(uint64_t sub_id, const EngineEvent& e, const JobView& v);

  sys::Clock& clock_;
  JobQuery query_;
  std::chrono::milliseconds coalesce_;
  std::chrono::milliseconds redelivery_initial_;
  uint64_t next_sub_ = 1;
  std::map<uint64_t, Subscriber> subs_;
  std::vector<std::pair<uint64_t, EngineEvent>> pending_;  // 0: every subscriber
  sys::Clock::TimerId dispatch_timer_ = 0;
  std::map<Guid, sys::WallTime> last_progress_;
  std::map<Guid, sys::Clock::TimerId> progress_timers_;
  std::map<RedeliveryKey, Redelivery> redeliveries_;
};

}  // namespace ferry::core
