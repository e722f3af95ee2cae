// Engine internals shared by engine*.cc, scheduler.cc and engine_fetch_host.cc
// (a Fetch sees none of it: core/fetch.h).
// Not part of the engine's interface: include core/engine.h instead.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/bandwidth.h"
#include "core/engine.h"
#include "core/events.h"
#include "core/fetch.h"
#include "core/statistics.h"
#include "sys/lifetime.h"
#include "sys/thread_pool.h"

namespace ferry::core {

// A live job and its runtime state. rec.files[i].bytes_transferred holds the
// live count (bytes handed to staging); durable[i] the checkpointed count,
// which is what the store gets.
// What the engine keeps of a file beside its record (one per rec.files entry).
struct FileRuntime {
  uint64_t durable = 0;     // bytes of staging known synced (checkpointed)
  uint64_t generation = 0;  // bumped when the file restarts from 0
};

struct RuntimeJob {
  JobRecord rec;
  std::vector<FileRuntime> files_rt;  // parallel to rec.files
  std::unique_ptr<Fetch> attempt;     // the running file's fetch (MakeFetch)
  sys::Clock::TimerId retry_timer = 0;
  sys::Clock::TimerId expiry_timer = 0;
  bool completing = false;
  bool dirty = false;             // the job's own fields need a commit
  bool stored = false;            // a commit has written the job (it is in the store)
  std::vector<uint32_t> dirty_files;  // and these files (may repeat; out of range ones are skipped)
#ifndef NDEBUG
  // What the store holds of each file, to check in Flush that no change to a
  // file was left unmarked (debug builds only).
  std::vector<FileRecord> stored_files;
#endif
  uint64_t queue_seq = 0;
  sys::WallTime slice_start{};
  TokenBucket bucket;  // the job's own limit (rec.max_rate); unlimited at 0
};

struct Engine::Impl {
  Impl(const EngineDeps& d, const EngineConfig& c);
  ~Impl();

  EngineDeps deps;
  EngineConfig cfg;
  std::map<Guid, std::unique_ptr<RuntimeJob>> jobs;
  std::vector<Guid> order;                 // creation order of live jobs
  size_t queued_jobs = 0;                  // live jobs in QUEUED (kept by Move and recovery)
  std::vector<Guid> dirty_ids;
  // Live jobs per owner (kept by CreateJob, recovery, TakeOwnership and
  // Finalize), so that the per-user limit costs O(1), not a scan.
  std::unordered_map<uint32_t, uint32_t> jobs_of_uid;
  void CountJob(uint32_t uid, int delta) {
    uint32_t& n = jobs_of_uid[uid];
    n = static_cast<uint32_t>(static_cast<int64_t>(n) + delta);
    if (n == 0) jobs_of_uid.erase(uid);
  }
  // Local names of the live jobs' undelivered files (a name belongs to one at
  // a time): added by AddFiles and recovery, dropped at delivery and Finalize.
  std::unordered_map<std::string, uint32_t> live_names;
  void AddLiveName(const std::string& n) { live_names[n]++; }
  void DropLiveName(const std::string& n) {
    auto it = live_names.find(n);
    if (it != live_names.end() && --it->second == 0) live_names.erase(it);
  }             // jobs with dirty set (ids: a job may be gone by Flush)
  std::map<Guid, JobSnapshot> finals;      // recently final, for old handles
  std::deque<Guid> finals_order;
  EventQueue events;
  TokenBucket bg_bucket, fg_bucket;
  StatisticsBook statistics;               // the service's totals, committed with Flush
  CacheHostBook cache_hosts;               // failing cache hosts (policy.md §4), engine clock
  sys::SerialQueue hasher{"ferry-hash"};   // one in-order hashing thread
  bool shut_down = false;

  // Group commit.
  bool flush_posted = false;
  uint64_t flush_count = 0;  // Flush calls so far (a change marked before one is in it)
  bool in_posted_flush = false;  // Flush runs as PostFlush's own loop task
  std::vector<std::function<void(Status)>> after_flush;
  std::vector<Guid> removed_pending;
  std::vector<HistoryRecord> history_pending;

  sys::WallTime last_creation{};          // CreateJob keeps creation times increasing

  // Scheduling.
  uint64_t next_queue_seq = 1;
  bool scheduling = false, reschedule = false;
  sys::Clock::TimerId slice_timer = 0;

  // Bandwidth.
  std::set<Fetch*> bandwidth_paused;
  sys::Clock::TimerId bandwidth_timer = 0;

  // Network-aware policy (engine_policy.cc, policy.md).
  MachineState machine;
  std::optional<bool> internet_upload_allowed;  // as last told to deps.peers
  sys::Clock::TimerId upload_commit_timer = 0;  // OnSentToPeers' commit
  bool totals_due = false;                      // Flush commits the totals alone too
  static constexpr std::chrono::seconds kUploadCommitDelay{5};
  uint64_t base_background_limit = 0;  // SetBandwidthLimits' background value, before the schedule
  sys::Clock::TimerId schedule_timer = 0;

  // Objects retired inside their own callbacks, destroyed on the next turn.
  std::vector<std::unique_ptr<Fetch>> attempt_graveyard;
  std::vector<std::unique_ptr<ByteStream>> stream_graveyard;
  bool graveyard_posted = false;

  // Guards the engine's posted closures and worker callbacks (declared
  // last of the data members: it dies first).
  sys::Lifetime lifetime;

  // --- engine.cc ---
  RuntimeJob* Find(const Guid& id);
  const RuntimeJob* Find(const Guid& id) const;
  // DO_E_JOB_NOT_FOUND, or DO_E_INVALID_STATE for a final or completing job.
  Status Mutable(const Guid& id, RuntimeJob** job);
  sys::WallTime Now() { return deps.clock->Now(); }
  void Touch(RuntimeJob& j);  // modification time, dirty, Modification event
  // Moves a job; sets times, error count and events per semantics.md §3-4.
  bool Move(RuntimeJob& j, JobState to, std::string_view why);
  JobSnapshot Snapshot(const RuntimeJob& j) const;
  void MarkDirty(RuntimeJob& j) {
    if (!j.dirty) dirty_ids.push_back(j.rec.id);
    j.dirty = true;
  }
  // Every change to a FileRecord (or to durable[]) must mark its file: Flush
  // writes only the marked files' rows.
  void MarkFileDirty(RuntimeJob& j, uint32_t file) {
    MarkDirty(j);
    j.dirty_files.push_back(file);
  }
  // CreateJob/AddFiles up to their commit; grouped: the caller commits
  // with the next group commit (AfterFlush) and undoes on failure.
  Status CreateJobStep(const Caller& caller, std::string_view display_name, JobType type, Guid* id,
                       bool grouped);
  Status ValidateNewFiles(const RuntimeJob& j, std::span<const NewFile> files);
  Status CheckDestination(const std::string& local_name);
  Status AddFilesStep(const Guid& id, std::span<const NewFile> files, bool grouped, size_t* files_before);
  // Undo a grouped CreateJob / AddFiles whose commit failed, if nothing
  // else has changed the job since (else it stays, to be committed later).
  void UndoCreate(const Guid& id);
  void UndoAddFiles(const Guid& id, size_t files_before, size_t count);
  Status Flush();        // commits dirty jobs, removals and history (one transaction)
  Status FlushNow();
  void PostFlush();      // group commit on the next loop turn
  // Runs fn on a loop turn after the next Flush (posted by this call), so
  // that many callers share one commit, with that commit's status (a failed
  // one is logged and retried by the next).
  void AfterFlush(std::function<void(Status)> fn) {
    after_flush.push_back(std::move(fn));
    PostFlush();
  }
  void PostGraveyard();
  uint32_t NoProgressTimeout(const JobRecord& r) const;
  void ArmExpiry(RuntimeJob& j);
  Status Recover();
  void RecoverFileStaging(RuntimeJob& j, uint32_t file, bool same_boot);
  void AdmitRecoveredJob(std::unique_ptr<RuntimeJob> j);

  // --- engine_control.cc ---
  void EnterFailure(RuntimeJob& j, ErrorRecord err, bool transient,
                    std::optional<std::chrono::seconds> retry_after);
  void OnRetryTimer(const Guid& id);
  Status CancelJob(RuntimeJob& j, JobState final_state, int32_t reason, std::string_view why);
  void Finalize(RuntimeJob& j, JobState final_state, int32_t reason);
  void DeliverNext(const Guid& id, std::vector<uint32_t> files, bool partial,
                   std::shared_ptr<std::map<uint32_t, int>> fds, std::function<void(Status)> done);
  // DeliverNext's batch is done (n of items delivered, s why not the next).
  void OnDelivered(const Guid& id, const std::vector<Delivery>& items, Status s, size_t n,
                   bool partial, std::shared_ptr<std::map<uint32_t, int>> fds,
                   std::function<void(Status)> done);

  // --- scheduler.cc ---
  void Schedule();
  void ScheduleOnce();
  void ArmSliceTimer(const std::vector<RuntimeJob*>& running, const std::set<JobPriority>& waiting,
                     sys::WallTime now);
  bool StartJob(RuntimeJob& j);          // QUEUED -> CONNECTING with an attempt
  // The Fetch of one file, on the backend ChooseFetch picks (core/
  // fetch_policy.h), with its EngineFetchHost (engine_fetch_host.cc).
  std::unique_ptr<Fetch> MakeFetch(RuntimeJob& j, uint32_t file);
  void StopAttempt(RuntimeJob& j);       // flushes buffered bytes, drops the attempt
  void StartNextFile(RuntimeJob& j);     // after a file completed
  TokenBucket& BucketFor(const JobRecord& r) {
    return r.priority == JobPriority::kForeground ? fg_bucket : bg_bucket;
  }
  // Bandwidth sharing (docs/engine.md): while a limited bucket has
  // attempts, rounds run every kBandwidthRound; each round splits what the
  // bucket holds equally among its attempts (their quotas) and resumes those
  // with a share; an attempt pauses when its quota or the bucket runs out.
  void PauseForBandwidth(Fetch* a);
  void ArmBandwidthRound(sys::Duration delay);
  void OnBandwidthRound();

  // --- engine_policy.cc ---
  // Reads the conditions, watches them, applies the schedule (Open).
  void StartPolicy();
  void StopPolicy();  // ~Impl
  // Re-reads the conditions: stops (checkpointed) the running jobs now
  // blocked, queues the blocked jobs now free, re-codes the others.
  void OnConditionsChanged();
  // Bytes sent to peers (FetchMaker::SetSentCounter): the service's totals,
  // then ApplyUploadCap.
  void OnSentToPeers(const PeerBytes& bytes);
  // Tells deps.peers whether internet peers may get uploads
  // (monthly_upload_cap), when the answer changes (and at start).
  void ApplyUploadCap();
  // Commits the totals (uploads) even when no job changed; see the .cc.
  void CommitUploadTotals();
  int32_t BlockFor(const JobRecord& r) const { return BlockOf(r, machine, cfg.policy); }
  // Job -> TRANSIENT_ERROR with `code`; no retry timer, the error count and
  // the no-progress clock stand still (retry_at keeps when the block began).
  void Block(RuntimeJob& j, int32_t code);
  // A blocked job -> QUEUED; the no-progress clock skips the blocked time.
  void Unblock(RuntimeJob& j, std::string_view why);
  bool IsBlocked(const RuntimeJob& j) const {
    return j.rec.state == JobState::kTransientError && j.rec.error && IsPolicyBlock(j.rec.error->code);
  }
  void CheckpointAndStop(RuntimeJob& j);
  // After a change of one job's cost policy or priority: stop it, free it
  // or re-code it as OnConditionsChanged would, then Schedule.
  void ApplyPolicyTo(const Guid& id);
  // One job: stops it when now blocked, queues it when its block lifted,
  // re-codes it when another block holds it. True when it changed.
  bool ApplyPolicy(RuntimeJob& j);
  // The background bucket's rate: base_background_limit, lowered by the
  // business-hours schedule in force; re-armed every minute while a
  // schedule exists.
  void ApplySchedule();

  // --- called by a Fetch, through its EngineFetchHost ---
  void OnProgress(RuntimeJob& j);
  void OnFileRestart(RuntimeJob& j, uint32_t file, uint64_t from);
  void OnCheckpointed(const Guid& id, uint32_t file, uint64_t generation, uint64_t bytes);
  // FetchHost::ResumeRecorder's data, after its fetch stopped.
  FetchHost::ResumeStored OnResumeSaved(const Guid& id, uint32_t file, uint64_t generation,
                                        std::string data, uint64_t bytes);
  void OnFileDone(RuntimeJob& j, uint32_t file);
  // --- engine_expand.cc ---
  void OnFileExpanded(RuntimeJob& j, uint32_t file, std::vector<FilePart> parts);
  Status CheckParts(const RuntimeJob& j, uint32_t file, const std::vector<FilePart>& parts);
  void OnAttemptFailed(RuntimeJob& j, ErrorRecord err, bool transient,
                       std::optional<std::chrono::seconds> retry_after);
  void RetireStream(std::unique_ptr<ByteStream> t);
};

}  // namespace ferry::core
