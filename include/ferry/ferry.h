// ferry — the C++ SDK (libferry-client): Windows BITS / Delivery Optimization
// job semantics for Linux, talking to the ferryd service over D-Bus.
//
//   #include <ferry/ferry.h>      CMake: find_package(ferry) -> ferry::client; pkg-config: ferry
//
// Conventions (as in BITS, with leveldb-style Status):
// - Every call returns a ferry::Status: ok() for S_OK and the other success
//   codes (S_FALSE, BG_S_PARTIAL_COMPLETE, BG_S_UNABLE_TO_DELETE_FILES);
//   otherwise code() is the documented HRESULT (semantics.md §1). No call
//   throws.
// - Results come back through pointer out-parameters, written only on success.
// - Handles (Manager, Job, File, Error) are cheap: a Job refers to a job on the
//   service by id; every call is one D-Bus round-trip. A handle stays valid
//   after its job becomes final: reads return the final state, changes return
//   DO_E_INVALID_STATE.
// - Thread-safety: a Manager and the handles it creates may be used from any
//   thread, concurrently, including from inside a Callback.
// - Lifetime: handles share one bus connection; it stays open while any
//   handle (Manager, Job, File, Error) lives. When the application's last
//   handle goes, callbacks stop (destroying it waits for a callback in
//   progress, unless it is destroyed inside that callback) and the
//   connection closes, which also ends the service-side registrations.
// - A service that is not reachable gives ERROR_SERVICE_NOT_ACTIVE-style
//   failures: code 0x80070426 (HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE)),
//   whose message says how to start ferryd. A call that gets no answer in
//   time gives 0x800705B4 (ERROR_TIMEOUT); anything the SDK cannot map,
//   E_UNEXPECTED (0x8000FFFF) with the D-Bus error name and text.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/download.h"
#include "ferry/status.h"
#include "ferry/types.h"

namespace ferry {

class Job;
class File;
class Error;
class Callback;
class Download;             // DO's IDODownload: ferry/download.h

struct ConnectOptions {
  enum class Bus { kAuto, kSystem, kSession, kAddress };
  // kAuto: the session bus when ferryd --user is running there; else the
  // system bus (running or activatable); else an activatable user service.
  Bus bus = Bus::kAuto;
  // For kAddress only (E_INVALIDARG otherwise, or when empty with kAddress):
  // a D-Bus address ("unix:path=/run/..."), as tests use for a private bus.
  std::string address;
};

// The service as a whole (`ferry status`). Not in BITS: ferry's addition so
// that nothing the CLI shows is out of reach of the SDK.
struct ServiceStatus {
  std::string version;
  std::string mode;                                 // "user" or "system"
  std::map<std::string, uint32_t> jobs_by_state;    // "QUEUED" -> 2 (visible to the caller)
  uint32_t jobs_total = 0;
  uint32_t running_transfers = 0;
  uint64_t background_limit = 0;                    // bytes/s, 0 = unlimited
  uint64_t foreground_limit = 0;
  bool caller_is_admin = false;
  // What the service sees of the machine (policy.md §3). *_known: the
  // service (NetworkManager, UPower) answered; else the defaults hold.
  bool network_known = false;
  bool metered = false;
  bool cellular = false;
  std::string connectivity = "unknown";             // "none", "portal", "limited", "full"
  std::string link_type;                            // "802-3-ethernet", "gsm", ...; "" unknown
  bool power_known = false;
  bool on_battery = false;
  double battery_percent = -1;                      // -1: unknown
  uint64_t schedule_limit = 0;                      // business hours' background limit in force, 0 none
  // Code name (DO_E_BLOCKED_BY_...) -> ids of the caller's jobs it holds
  // (every job for an administrator).
  std::map<std::string, std::vector<std::string>> blocked_jobs;
};

namespace detail {
struct Connection;  // the SDK's bus connection and signal thread (src/sdk)
}

// IBackgroundCopyManager + IDOManager.
class Manager {
 public:
  // Connects to ferryd. On failure *manager is untouched and the code says why
  // (0x80070426 when the service is not on the bus, or no bus is reachable).
  // Starts two SDK threads: the bus connection's event loop, and the one
  // callbacks run on.
  static Status Connect(const ConnectOptions& options, std::unique_ptr<Manager>* manager);
  ~Manager();

  // New job in SUSPENDED owned by the caller. E_INVALIDARG (empty name),
  // BG_E_STRING_TOO_LONG (> 256 characters), E_NOTIMPL (upload types),
  // BG_E_TOO_MANY_JOBS_PER_USER.
  Status CreateJob(std::string_view display_name, JobType type, Guid* id, std::unique_ptr<Job>* job);
  // DO_E_JOB_NOT_FOUND for an unknown or final job; E_ACCESSDENIED for another
  // user's job unless the caller is an administrator.
  Status GetJob(const Guid& id, std::unique_ptr<Job>* job);
  // The caller's live jobs; flags kEnumAllUsers (administrators only, else
  // E_ACCESSDENIED) for everyone's.
  Status EnumJobs(uint32_t flags, std::vector<std::unique_ptr<Job>>* jobs);
  // The same jobs as EnumJobs (same flags, rights and order), each read in
  // full, in one round trip: a JobSummary per job, as the service saw it when
  // it answered. Use it to show many jobs; a Job handle for one of them is
  // GetJob(summary.id). E_UNEXPECTED when the service's answer is malformed
  // (a value of the wrong type, or a job without an id); *jobs is untouched
  // then.
  Status ListJobs(uint32_t flags, std::vector<JobSummary>* jobs);
  // "DO_E_INVALID_STATE: The operation is not allowed in the job's current
  // state." Any code; unknown ones are named "0x…". No bus round trip.
  Status GetErrorDescription(int32_t code, std::string* description);
  // Version, mode, jobs by state, running transfers and the global limits.
  Status GetServiceStatus(ServiceStatus* status);
  // Global bandwidth limits in bytes/s (0 = unlimited), effective at once.
  // E_ACCESSDENIED for non-administrators when the service runs in system mode.
  Status SetBandwidthLimits(uint64_t background, uint64_t foreground);
  // The service's totals, this month and all time (Get-DeliveryOptimization-
  // PerfSnap): bytes received by source, files completed, uploads, the peer
  // cache's size. Kept by the service across restarts; any caller may read
  // them (they are not tied to anyone's jobs). Bytes are counted as
  // received: see FileStats. E_UNEXPECTED when the answer is malformed
  // (*statistics is untouched then); a figure an older ferryd does not
  // report stays 0.
  Status GetStatistics(ServiceStatistics* statistics);
  // The service's seeding cache (docs/p2p.md "Seeding cache"): the files it
  // keeps and seeds to peers, least recently used first. Any caller.
  // E_UNEXPECTED when the answer is malformed (*entries untouched then).
  Status ListCache(std::vector<CacheEntry>* entries);
  // Stops seeding and deletes every entry. E_ACCESSDENIED for
  // non-administrators when the service runs in system mode.
  Status ClearCache();
  // IDOManager (ferry/download.h, do-download.md): a new download in Created
  // owned by the caller (BG_E_TOO_MANY_JOBS_PER_USER counts it as a job).
  Status CreateDownload(std::unique_ptr<Download>* download);
  // The caller's live downloads (never another user's), in creation order;
  // with a category, only those whose property (kId, kUri, kContentId,
  // kDisplayName, kLocalPath; else E_INVALIDARG) equals its value exactly.
  Status EnumDownloads(const DownloadEnumCategory* category, std::vector<std::unique_ptr<Download>>* out);

 private:
  explicit Manager(std::shared_ptr<detail::Connection> c);
  std::shared_ptr<detail::Connection> conn_;
  friend class Job;
};

// IBackgroundCopyJob (+ Job5, IDeliveryOptimizationJob). State rules: the
// method x state table of semantics.md §3; a call not allowed in the job's
// state returns DO_E_INVALID_STATE.
class Job {
 public:
  ~Job();

  // remote_url: http, https, file or a magnet: link, <= 2200 characters (a
  // magnet, or a path ending in ".torrent", is fetched from peers; "#file=PATH"
  // chooses one file of the torrent: docs/p2p.md). local_name: absolute,
  // no "." or ".." segments, in an existing directory the caller can write,
  // not a directory, not another live job's local name. E_INVALIDARG else.
  Status AddFile(std::string_view remote_url, std::string_view local_name);
  // ranges: validated on add (DO_E_INVALID_RANGE, DO_E_OVERLAPPING_RANGES,
  // BG_E_TOO_MANY_RANGES_IN_FILE); the local file is the ranges back to back.
  Status AddFileWithRanges(std::string_view file_id, std::string_view remote_url,
                           std::string_view local_name, std::span<const FileRange> ranges,
                           uint64_t file_size = kSizeUnknown);
  Status AddFileSet(std::span<const FileInfo> files);  // all or nothing
  Status EnumFiles(std::vector<std::unique_ptr<File>>* files);

  // SUSPENDED -> QUEUED (DO_E_JOB_EMPTY without files); ERROR/TRANSIENT_ERROR -> retry now.
  Status Resume();
  Status Suspend();
  // Deletes the job's temporary data: CANCELLED. BG_S_UNABLE_TO_DELETE_FILES
  // when some could not be deleted.
  Status Cancel();
  // Delivers finished files to their local names (durably) and ends the job:
  // ACKNOWLEDGED. BG_S_PARTIAL_COMPLETE when unfinished files were dropped.
  // A failed delivery returns its error and leaves the job as it was.
  // With a system-mode ferryd (its own user) the SDK creates each file as
  // "<local_name>.ferry-XXXXXX" with the caller's rights (mode 0666 & ~umask),
  // the service copies the data into it, then the SDK renames it into place
  // and fsyncs the directory; so the caller needs write access to each
  // destination directory (E_ACCESSDENIED else). Blocks until the data is
  // copied (up to an hour). May be called from a Callback.
  Status Complete();

  Status GetId(Guid* id);
  Status GetType(JobType* type);
  Status GetProgress(JobProgress* progress);
  Status GetTimes(JobTimes* times);
  Status GetState(JobState* state);
  // Everything of JobSummary in one round trip (the getters above make one
  // each, so a series of them may see the job change in between).
  // E_UNEXPECTED when the service's answer is malformed.
  Status GetSummary(JobSummary* summary);
  // DO_E_ERROR_INFORMATION_UNAVAILABLE unless in ERROR or TRANSIENT_ERROR.
  Status GetError(std::unique_ptr<Error>* error);
  Status GetOwner(std::string* owner);  // user name (the uid as text if unnamed)

  Status SetDisplayName(std::string_view name);
  Status GetDisplayName(std::string* name);
  Status SetDescription(std::string_view description);  // <= 1024 characters
  Status GetDescription(std::string* description);
  Status SetPriority(JobPriority priority);
  Status GetPriority(JobPriority* priority);
  Status SetNotifyFlags(uint32_t flags);  // notify:: bits only, else E_INVALIDARG
  Status GetNotifyFlags(uint32_t* flags);
  // Registers `callback` for this job in this process (nullptr removes it);
  // the last registration wins. Subscribes before returning, then re-reads
  // the state: a job already TRANSFERRED (or in ERROR) gets its callback
  // right away (delivery is at least once: a handler may see an event
  // twice). Callbacks run on an SDK thread, one at a time per Manager, with a
  // Job& that refers to this job. Before each JobTransferred/JobError call
  // the SDK re-reads the job: the call happens only while the job is in that
  // state with the flag set. A handler that returns a failure (or throws) is
  // called again later (back-off from 1 s doubling up to the minimum retry
  // delay) while the job stays in that state. DO_E_JOB_NOT_FOUND and the
  // service's codes if the registration fails (nothing is registered then).
  Status SetNotifyInterface(std::shared_ptr<Callback> callback);
  Status GetNotifyInterface(std::shared_ptr<Callback>* callback);
  // A program run by the service (user mode) when the job is TRANSFERRED or in
  // ERROR and no callback is connected; %JOBID% and %STATE% are substituted.
  Status SetNotifyCmdLine(std::string_view program, std::string_view parameters);
  Status GetNotifyCmdLine(std::string* program, std::string* parameters);
  Status SetMinimumRetryDelay(uint32_t seconds);  // values below 5 are raised to 5
  Status GetMinimumRetryDelay(uint32_t* seconds);
  Status SetNoProgressTimeout(uint32_t seconds);  // 0: the first error is fatal
  Status GetNoProgressTimeout(uint32_t* seconds);
  Status GetErrorCount(uint32_t* count);
  Status SetProxySettings(ProxyUsage usage, std::string_view proxy_list, std::string_view bypass_list);
  Status GetProxySettings(ProxyUsage* usage, std::string* proxy_list, std::string* bypass_list);
  Status SetCustomHeaders(std::string_view headers);  // "Name: value" lines
  Status GetCustomHeaders(std::string* headers);
  Status SetCostPolicy(uint32_t policy);  // cost:: values
  Status GetCostPolicy(uint32_t* policy);
  // The job's own rate limit in bytes per second; 0 (the default) = none.
  // Effective at once, also on a running transfer, and kept across service
  // restarts. The job never gets more than this, nor more than its share of
  // the global limit of its priority (Manager::SetBandwidthLimits). Any
  // value is accepted. DO_E_INVALID_STATE on a final job.
  Status SetMaximumRate(uint64_t bytes_per_second);
  // E_NOTIMPL when the service is too old to have per-job limits.
  Status GetMaximumRate(uint64_t* bytes_per_second);
  // The job's own download mode (do-download.md §4; docs/peering.md
  // "Per-job download mode"): its files start in `mode` instead of ferryd's
  // download_mode — HTTP only keeps a file with a content id off the peers,
  // LAN/Group/Internet peer it. It applies from each file's next start (a
  // file already running keeps its transport) and is kept across service
  // restarts. System mode: administrators only; user mode: ferryd's own
  // user; anyone else gets E_ACCESSDENIED. E_INVALIDARG for a value that is
  // not one of the six; DO_E_INVALID_STATE on a final job. A refused call
  // changes nothing.
  Status SetDownloadMode(DownloadMode mode);
  // Removes the job's own mode: ferryd's download_mode again. Same rules.
  Status ClearDownloadMode();
  // The job's own mode; nullopt when it has none (ferryd's applies: see
  // JobSummary::effective_download_mode). E_NOTIMPL when the service is too
  // old to have per-job modes.
  Status GetDownloadMode(std::optional<DownloadMode>* mode);
  // Administrator only (E_ACCESSDENIED else): the caller becomes the owner.
  Status TakeOwnership();

 private:
  struct Impl;
  explicit Job(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Manager;
  friend class File;
  friend class Error;
  friend struct detail::Connection;
};

// IBackgroundCopyFile (+ File2, IDeliveryOptimizationFile).
class File {
 public:
  ~File();
  Status GetRemoteName(std::string* url);
  Status GetLocalName(std::string* path);
  Status GetProgress(FileProgress* progress);
  Status GetFileRanges(std::vector<FileRange>* ranges);  // S_FALSE when the file has none
  Status SetRemoteName(std::string_view url);             // same protocol; before it finishes
  Status SetIntegrity(std::string_view sha256_hex);       // before it starts
  // The file's content id (ferry/content_id.h; "" removes it): before
  // delivery the file's size and BitTorrent v2 pieces root must match it,
  // else its bytes are discarded and fetched once more from the origin, then
  // the job fails with BG_E_VALIDATION_FAILED; an origin that announces
  // another size fails it at once. Before the file starts, else
  // DO_E_INVALID_STATE. E_INVALIDARG, changing nothing, for a malformed id
  // (ValidateContentId), a file with ranges, an id whose size is not the
  // file size the caller gave, or a torrent or magnet remote name (its
  // info-hash verifies it).
  Status SetContentId(std::string_view content_id);
  // The file's content id as the service keeps it (canonical); "" when it
  // has none. E_INVALIDARG for a null pointer.
  Status GetContentId(std::string* content_id);
  // The file's DOSwarmStats (FileStats: every figure, what it counts). The
  // counts survive service restarts. E_INVALIDARG for a null pointer.
  Status GetStats(FileStats* stats);

 private:
  struct Impl;
  explicit File(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Job;
  friend class Error;
};

// IBackgroundCopyError: a snapshot of the job's error when it was read.
class Error {
 public:
  ~Error();
  Status GetError(ErrorContext* context, int32_t* code);
  Status GetFile(std::unique_ptr<File>* file);  // DO_E_FILE_NOT_AVAILABLE if none
  Status GetErrorDescription(std::string* description);
  Status GetErrorContextDescription(std::string* description);
  Status GetProtocol(std::string* protocol);  // "http", "https", "file"

 private:
  struct Impl;
  explicit Error(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Job;
};

// IBackgroundCopyCallback (+ Callback2::FileTransferred). Called on an SDK
// thread, one call at a time per Manager; a slow handler delays only this
// process's later callbacks (signals keep being received meanwhile). A
// handler may call any SDK method, Complete and Cancel included. Return a
// failure to be called again later (JobTransferred, JobError). `reserved`
// is 0. The Job&, Error& and File& are valid only during the call.
class Callback {
 public:
  virtual ~Callback() = default;
  virtual Status JobTransferred(Job& job) = 0;
  virtual Status JobError(Job& job, Error& error) = 0;
  virtual Status JobModification(Job& job, uint32_t reserved) = 0;
  virtual Status FileTransferred(Job& job, File& file) { return Status::OK(); }
};

}  // namespace ferry
