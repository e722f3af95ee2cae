// ferry::core::Engine — the engine's facade: BITS/DO jobs, their files, the
// scheduler, retries, bandwidth limits, checkpoints and delivery, behind one
// class that a D-Bus adaptor (or a test) drives by job id.
//
// Threading: every method must be called on the engine thread — the thread
// that runs the Clock's timers and the `loop` executor given in EngineDeps
// (one EventLoop in ferryd). Blocking work (fdatasync, hashing, delivery)
// runs on `workers` and on an internal hashing thread; its results come back
// through `loop`. Events are delivered on the engine thread (events()).
//
// Durability: a method that changes a job returns after the change is
// committed to the JobStore. Byte progress is committed at checkpoints
// (staging fdatasync'ed first, then the count committed; see docs/engine.md).
//
// Ownership is recorded (owner_uid) but not enforced here: the service checks
// the caller against it before calling. Limits of semantics.md §8 and every
// argument rule of §2 and §6 are enforced here, so that every caller gets the
// same answers.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/conditions.h"
#include "core/config.h"
#include "core/events.h"
#include "core/fetch.h"
#include "core/ports.h"
#include "sys/clock.h"
#include "sys/executor.h"
#include "sys/file_system.h"

namespace ferry::core {

struct EngineDeps {
  sys::Clock* clock = nullptr;         // timers run on the engine thread
  sys::Executor* loop = nullptr;       // posts to the engine thread (thread-safe)
  sys::Executor* workers = nullptr;    // blocking work
  sys::FileSystem* fs = nullptr;       // destination checks (stat, writability)
  JobStore* job_store = nullptr;
  PayloadStore* payload = nullptr;
  std::vector<ByteSource*> byte_sources;  // HTTP, file:// (core/byte_source.h)
  FetchMaker* peers = nullptr;            // torrents and magnets (transfer/p2p); null: none
  DigestFactory digest;                // SHA-256
  DigestFactory pieces_root;           // content ids' pieces root; empty: ids cannot verify
  // The machine's network and power (core/conditions.h); null: an
  // unmetered, connected, mains-powered machine. Must outlive the engine.
  Conditions* conditions = nullptr;
};

// Who is calling (the service fills this from the bus credentials).
struct Caller {
  uint32_t uid = 0;
  bool admin = false;
};

// A file to add (AddFile, AddFileWithRanges, AddFileSet).
struct NewFile {
  std::string remote_url;
  std::string local_name;
  std::vector<FileRange> ranges;         // empty: the whole file
  uint64_t file_size = kSizeUnknown;     // remote file size when known (ranges)
  std::string file_id;
  std::string sha256;                    // whole-file SHA-256 (hex), optional
  std::string content_id;                // docs/content-id.md, optional
};

// A consistent copy of a job for readers. Files' bytes_transferred are the
// live counts (bytes written to staging, possibly not yet checkpointed).
struct JobSnapshot {
  JobRecord job;
  JobProgress progress;
  bool live = true;  // false: final (ACKNOWLEDGED/CANCELLED), kept for old handles
  // The download mode the job's files start in (EffectiveMode): job.download_mode
  // when set, else ferryd's. A running file keeps the mode it started in.
  DownloadMode download_mode = DownloadMode::kLan;
};

// What the policy sees and holds (policy.md §3, `ferry status`).
struct PolicyView {
  MachineState machine;
  std::optional<uint64_t> schedule_limit;  // business hours' background limit in force
  std::map<int32_t, std::vector<Guid>> blocked;  // DO_E_BLOCKED_BY_* code -> jobs it holds
};

struct EngineStats {
  std::map<JobState, uint32_t> jobs_by_state;
  uint64_t background_limit = 0;
  uint64_t foreground_limit = 0;
  uint32_t running_transfers = 0;
};

class Engine {
 public:
  // Loads every live job from the store and recovers: after a process crash
  // on the same boot (boot id unchanged) a file resumes from what its staging
  // file really holds; after a reboot, from the last checkpoint. Jobs that
  // were running are queued again; jobs past the maximum age are cancelled.
  static Result<std::unique_ptr<Engine>> Open(const EngineDeps& deps, const EngineConfig& config);

  // Destroying the engine without Shutdown() behaves like a crash of the
  // process: transfers stop, nothing more is synced or committed.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Stops every transfer, writes and fdatasyncs what was received, commits
  // the counts. Blocking (fsyncs on this thread). Afterwards every call fails.
  Status Shutdown();

  // --- Jobs (semantics.md §2, §3) -----------------------------------------
  // New job in SUSPENDED. E_INVALIDARG for an empty name, BG_E_STRING_TOO_LONG
  // over 256 characters, E_NOTIMPL for upload types, BG_E_TOO_MANY_JOBS_PER_USER
  // when a non-admin caller has max_jobs_per_user live jobs.
  Status CreateJob(const Caller& caller, std::string_view display_name, JobType type, Guid* id);
  // Group-commit forms of CreateJob and AddFiles, for callers that can answer
  // later (the D-Bus service): the same checks and change, made now, but the
  // commit is the next group commit, shared with every change of this loop
  // turn (one fdatasync for many callers), and `done` runs on the loop once
  // it is over, with the call's status. A commit failure undoes the change
  // (unless the job changed meanwhile), as the synchronous forms do.
  void CreateJob(const Caller& caller, std::string_view display_name, JobType type,
                 std::function<void(Status, Guid)> done);

  // Adds files, all or nothing. Each file: a valid URL (http, https, file;
  // <= 2200 chars), an absolute local name without "." or ".." segments whose
  // directory exists (and is writable when so configured), that is not a
  // directory and not the local name of another file of a live job; ranges
  // valid (DO_E_INVALID_RANGE, DO_E_OVERLAPPING_RANGES,
  // BG_E_TOO_MANY_RANGES_IN_FILE); at most max_files_per_job files
  // (BG_E_TOO_MANY_FILES_IN_JOB). A TRANSFERRED job goes back to SUSPENDED (Resume then
  // queues it). DO_E_INVALID_STATE on a final job.
  Status AddFiles(const Guid& id, std::span<const NewFile> files);
  // Adds to file `file` (which has ranges) those of `ranges` it does not
  // have yet, after its own: their bytes follow in staging and at delivery.
  // *added tells whether any was new; then the file is no longer transferred
  // and a TRANSFERRED job goes back to SUSPENDED (Resume then queues it). A
  // whole file has every range: no-op. The combined ranges must be valid
  // (DO_E_OVERLAPPING_RANGES, DO_E_INVALID_RANGE, BG_E_TOO_MANY_RANGES_IN_FILE);
  // DO_E_INVALID_STATE unless the job is TRANSFERRED or SUSPENDED.
  Status AddFileRanges(const Guid& id, uint32_t file, std::span<const FileRange> ranges,
                       bool* added);
  void AddFiles(const Guid& id, std::span<const NewFile> files, std::function<void(Status)> done);

  // The state changes of the method x state table of semantics.md §3.
  Status Resume(const Guid& id);
  Status Suspend(const Guid& id);
  Status Cancel(const Guid& id);
  // Delivers finished files and deletes unfinished ones, then ACKNOWLEDGED.
  // `done` runs on the engine thread with S_OK, BG_S_PARTIAL_COMPLETE, or the
  // delivery error (the job then keeps its state; delivered files stay
  // delivered). DO_E_INVALID_STATE while another Complete is in progress.
  void Complete(const Guid& id, std::function<void(Status)> done);
  // System mode: `fds` maps each finished file's index to a descriptor of an
  // empty file the client opened beside its local name; the data is copied
  // into it and fdatasync'ed (the client renames it into place). A finished
  // file without a descriptor is E_INVALIDARG. The engine closes every fd.
  void Complete(const Guid& id, std::map<uint32_t, int> fds, std::function<void(Status)> done);

  // --- Properties -----------------------------------------------------------
  Status SetDisplayName(const Guid& id, std::string_view name);
  Status SetDescription(const Guid& id, std::string_view description);  // <= 1024
  Status SetPriority(const Guid& id, JobPriority priority);
  Status SetNotifyFlags(const Guid& id, uint32_t flags);  // E_INVALIDARG for unknown bits
  Status SetNotifyCmdLine(const Guid& id, std::string_view program, std::string_view parameters);
  Status SetMinimumRetryDelay(const Guid& id, uint32_t seconds);  // raised to the floor (5 s)
  Status SetNoProgressTimeout(const Guid& id, uint32_t seconds);  // 0: first error is fatal
  Status SetProxySettings(const Guid& id, ProxyUsage usage, std::string_view proxy_list,
                          std::string_view bypass_list);
  Status SetCustomHeaders(const Guid& id, std::string_view headers);
  // A BITS_JOB_TRANSFER_POLICY value (E_INVALIDARG else); takes effect at
  // once: a job it now blocks stops (checkpointed), one it frees queues.
  Status SetCostPolicy(const Guid& id, uint32_t policy);
  // A DO download's CostPolicy/DisallowOnCellular as one job cost policy
  // (core/policy.h CostPolicyOfDownload); effective at once, as above.
  Status SetDownloadCostPolicy(const Guid& id, uint32_t policy);
  // The job's own rate limit in bytes/s (0 = none), effective at once. A
  // job gets at most this and never more than its share of the global limit
  // of its priority (SetBandwidthLimits). Any value is accepted.
  Status SetMaximumRate(const Guid& id, uint64_t bytes_per_second);
  // The job's redirect and TLS relaxations (ByteRequest's fields of the
  // same names), from the next attempt on. E_INVALIDARG for unknown flag
  // bits. Jobs never set them; DO downloads do (core/download.h).
  Status SetTransferSecurity(const Guid& id, bool allow_https_to_http, uint32_t security_flags);
  // The job's own download mode (do-download.md §4); nullopt: ferryd's
  // again. E_INVALIDARG, changing nothing, for a value that is not one of
  // the six modes. Who may set it is the service's rule (administrators;
  // docs/peering.md "Per-job download mode"). Applies from each file's next
  // start: a file already running keeps its transport; a file fetched from
  // peers that starts again in a mode without peering goes on from the
  // origin at its verified prefix.
  Status SetDownloadMode(const Guid& id, std::optional<DownloadMode> mode);
  Status TakeOwnership(const Guid& id, uint32_t new_owner_uid);
  Status SetFileRemoteName(const Guid& id, uint32_t file_index, std::string_view url);
  Status SetFileIntegrity(const Guid& id, uint32_t file_index, std::string_view sha256_hex);
  // The file's content id (docs/content-id.md; empty: none), before the
  // file starts (DO_E_INVALID_STATE after). E_INVALIDARG, changing nothing,
  // as ValidateFileContentId (core/validation.h) says.
  Status SetFileContentId(const Guid& id, uint32_t file_index, std::string_view content_id);

  // --- Reading --------------------------------------------------------------
  // A live job, or a recently final one (live=false). DO_E_JOB_NOT_FOUND else.
  Result<JobSnapshot> GetJob(const Guid& id) const;
  bool IsLive(const Guid& id) const;
  // Live jobs, in creation order; only `owner`'s when given.
  std::vector<Guid> EnumJobs(std::optional<uint32_t> owner) const;
  EngineStats Stats() const;
  PolicyView Policy() const;
  // The service's totals of received bytes and completed files, this month
  // and all time (core/statistics.h). Starts a new month first when one
  // began since the last count (that change is committed with the next one).
  ServiceStatistics Statistics();

  // --- Service-wide ---------------------------------------------------------
  // Global limits in bytes/s (0 = unlimited), effective immediately.
  void SetBandwidthLimits(uint64_t background, uint64_t foreground);
  EventQueue& events();

  // Internal state (core/engine_impl.h); named here so that the engine's
  // own translation units can reach it. Not part of the interface.
  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::core
