// Engine: the network-aware policy (policy.md §2-3, docs/policy.md). The
// decisions are core/policy.h's; this file applies them to the jobs when
// the conditions change, when a job's cost policy or priority changes, and
// keeps the business-hours limit on the background bucket.
//
// A blocked job waits in TRANSIENT_ERROR with its DO_E_BLOCKED_BY_* code and
// no retry timer; its retry_at holds when the block began, so that the
// no-progress clock can skip the blocked time when it is queued again (also
// after a restart: the recovered retry timer fires at once and queues it).
#include <fmt/format.h>

#include <algorithm>

#include "core/engine.h"
#include "core/engine_impl.h"
#include "core/file_attempt.h"
#include "core/job_state.h"
#include "util/log.h"

namespace ferry::core {

namespace {

std::string Describe(const MachineState& m) {
  std::string battery =
      m.battery_percent ? fmt::format("{:.0f}%", *m.battery_percent) : std::string("unknown");
  return fmt::format("connectivity {}, cost bits 0x{:X}{}{}, link '{}', {}",
                     static_cast<int>(m.connectivity), m.cost_bits, m.metered ? " (metered)" : "",
                     m.cellular ? " (cellular)" : "", m.link_type,
                     m.on_battery ? "on battery " + battery : "on mains power");
}

std::string BlockMessage(int32_t code) {
  switch (code) {
    case code::kBlockedByNoNetwork:
      return "waiting: the machine has no network connectivity";
    case code::kBlockedByCellularPolicy:
      return "waiting: the download may not use a cellular link";
    case code::kBlockedByCostPolicy:
      return "waiting: the job's cost policy forbids this network";
    case code::kBlockedByPowerState:
      return "waiting: the machine is on battery below the minimum charge";
  }
  return "waiting";
}

}  // namespace

void Engine::Impl::StartPolicy() {
  if (deps.conditions) {
    machine = deps.conditions->Current();
    log::Info("conditions: {}", Describe(machine));
    deps.conditions->Watch(lifetime.Guard([this] { OnConditionsChanged(); }));
  }
  if (deps.peers) {
    deps.peers->SetUploadAllowed(UploadAllowed(machine, cfg.policy));
    deps.peers->SetSentCounter(
        lifetime.Guard([this](const PeerBytes& bytes) { OnSentToPeers(bytes); }));
    ApplyUploadCap();
  }
  ApplySchedule();
}

void Engine::Impl::OnSentToPeers(const PeerBytes& bytes) {
  if (shut_down) return;
  statistics.AddToPeers(bytes, Now());
  // Uploads of a seeding cache change no file: their totals are committed
  // on their own, at most every kUploadCommitDelay.
  if (statistics.dirty() && upload_commit_timer == 0)
    upload_commit_timer = deps.clock->Schedule(Now() + kUploadCommitDelay, lifetime.Guard([this] {
      upload_commit_timer = 0;
      CommitUploadTotals();
    }));
  ApplyUploadCap();
}

// The totals may hold bytes received by a running fetch since its file's
// last commit: its row is written too, with the same counts, so that a
// crash never finds totals ahead of the rows (statistics.h). Files not
// running have no such bytes (a stop commits them).
void Engine::Impl::CommitUploadTotals() {
  if (shut_down) return;
  for (auto& [id, j] : jobs)
    if (j->attempt) MarkFileDirty(*j, j->attempt->file());
  totals_due = true;
  PostFlush();
}

void Engine::Impl::ApplyUploadCap() {
  statistics.Roll(Now());
  const uint64_t sent = statistics.totals().this_month.bytes_to_internet_peers;
  const bool allowed = InternetUploadAllowed(sent, cfg.policy);
  if (internet_upload_allowed && *internet_upload_allowed == allowed) return;
  if (!allowed)
    log::Info("uploads to internet peers stop: {} bytes sent this month, monthly_upload_cap {}",
              sent, cfg.policy.monthly_upload_cap);
  else if (internet_upload_allowed)
    log::Info("uploads to internet peers may run again (a new month)");
  internet_upload_allowed = allowed;
  deps.peers->SetInternetUploadAllowed(allowed);
}

void Engine::Impl::StopPolicy() {
  if (deps.conditions) deps.conditions->Watch(nullptr);
  if (upload_commit_timer) deps.clock->Cancel(upload_commit_timer);
  upload_commit_timer = 0;
  if (schedule_timer) deps.clock->Cancel(schedule_timer);
  schedule_timer = 0;
}

void Engine::Impl::OnConditionsChanged() {
  if (shut_down || !deps.conditions) return;
  MachineState now = deps.conditions->Current();
  if (now == machine) return;
  machine = now;
  log::Info("conditions changed: {}", Describe(machine));
  if (deps.peers) deps.peers->SetUploadAllowed(UploadAllowed(machine, cfg.policy));
  bool changed = false;
  for (auto& [id, j] : jobs) changed |= ApplyPolicy(*j);
  if (changed) PostFlush();
  Schedule();
}

void Engine::Impl::ApplyPolicyTo(const Guid& id) {
  RuntimeJob* j = Find(id);
  if (!j || shut_down || !ApplyPolicy(*j)) return;
  PostFlush();
  Schedule();
}

bool Engine::Impl::ApplyPolicy(RuntimeJob& job) {
  RuntimeJob* j = &job;
  if (j->completing) return false;
  int32_t block = BlockFor(j->rec);
  if (j->attempt) {
    if (!block) return false;
    log::Info("job {}: stopped by policy ({})", j->rec.id.ToString(), Status(block, "").Name());
    CheckpointAndStop(*j);
    Block(*j, block);
  } else if (IsBlocked(*j)) {
    if (!block)
      Unblock(*j, "policy block lifted");
    else if (block != j->rec.error->code)
      Block(*j, block);
    else
      return false;
  } else if (j->rec.state == JobState::kTransientError && block == code::kBlockedByNoNetwork) {
    Block(*j, block);  // a retry now would be burnt for nothing
  } else {
    return false;
  }
  return true;
}

void Engine::Impl::Block(RuntimeJob& j, int32_t block) {
  if (j.retry_timer) deps.clock->Cancel(j.retry_timer);
  j.retry_timer = 0;
  uint32_t errors = j.rec.error_count;
  ErrorRecord err;
  err.code = block;
  err.context = ErrorContext::kGeneralTransport;
  err.message = BlockMessage(block);
  if (!IsBlocked(j)) j.rec.retry_at = Now();  // when the block began
  j.rec.error = err;
  if (j.rec.state == JobState::kTransientError)
    Touch(j);
  else
    Move(j, JobState::kTransientError, Status(block, "").Name());
  j.rec.error = std::move(err);
  j.rec.error_count = errors;  // a block is not an error
  MarkDirty(j);
}

void Engine::Impl::Unblock(RuntimeJob& j, std::string_view why) {
  auto now = Now();
  // The no-progress clock stood still while the job was blocked.
  if (j.rec.retry_at != sys::WallTime{} && j.rec.retry_at < now)
    j.rec.last_progress = std::min(now, j.rec.last_progress + (now - j.rec.retry_at));
  j.rec.retry_at = {};
  Move(j, JobState::kQueued, why);
}

void Engine::Impl::CheckpointAndStop(RuntimeJob& j) {
  if (!j.attempt) return;
  uint32_t file = j.attempt->file();
  StopAttempt(j);  // the buffered bytes reach staging
  uint64_t bytes = j.rec.files[file].bytes_transferred;
  if (bytes <= j.files_rt[file].durable) return;
  // Checkpoint what reached staging, as a checkpoint does: sync on a worker,
  // then record the count (a failed sync leaves it to recovery).
  auto staging = deps.payload->Open(j.rec.id, file, kSizeUnknown);
  if (!staging.ok()) return;
  Guid id = j.rec.id;
  uint64_t generation = j.files_rt[file].generation;
  sys::RunOnWorkerThenLoop(
      *deps.workers, *deps.loop, lifetime, [st = *staging] { return st->Sync(); },
      [this, id, file, generation, bytes](Status s) {
        if (s.ok()) OnCheckpointed(id, file, generation, bytes);
      });
}

void Engine::Impl::ApplySchedule() {
  if (schedule_timer) deps.clock->Cancel(schedule_timer);
  schedule_timer = 0;
  auto now = Now();
  const auto& schedule = cfg.policy.background_limit_schedule;
  uint64_t rate = base_background_limit;
  if (auto limit = ScheduleLimitAt(schedule, now))
    rate = rate == 0 ? *limit : std::min(rate, *limit);
  if (rate != bg_bucket.rate()) {
    log::Info("background limit now {} bytes/s{}", rate,
              rate != base_background_limit ? " (business hours)" : "");
    bg_bucket.SetRate(rate, now);
    OnBandwidthRound();
  }
  if (schedule.empty()) return;
  schedule_timer = deps.clock->Schedule(NextMinute(now), [this] {
    schedule_timer = 0;
    ApplySchedule();
  });
}

PolicyView Engine::Policy() const {
  const Impl& m = *impl_;
  PolicyView v;
  v.machine = m.machine;
  v.schedule_limit = ScheduleLimitAt(m.cfg.policy.background_limit_schedule, m.deps.clock->Now());
  for (const Guid& id : m.order) {
    const RuntimeJob* j = m.Find(id);
    if (j && m.IsBlocked(*j)) v.blocked[j->rec.error->code].push_back(id);
  }
  return v;
}

}  // namespace ferry::core
