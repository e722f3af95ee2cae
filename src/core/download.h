// ferry::core::Downloads — Delivery Optimization's single-download API
// (IDODownload, do-download.md §1-2) as a thin layer over the Engine: a
// download is a one-file job underneath (same scheduler, store, resume rules,
// bandwidth and events). What the layer adds:
// - the DO state, computed from the job's state and error (DownloadStateOf);
// - the property table (ids, types, access, the states a set is allowed in),
//   persisted through a DownloadStore port;
// - Start (adds the job's one file on the first Start, then Resume), Pause
//   (Suspend), Finalize (Complete), Abort (Cancel);
// - NonVolatile: a download without it does not survive a restart (Open
//   cancels its job);
// - stream sinks: the bytes are written in order to the client's descriptor
//   by a sys::StreamWriter as they reach staging; the download is Transferred
//   once the last byte is written (docs/download.md, "Stream sinks");
// - HttpCustomAuthHeaders: when the origin answers 401 or 407, the job is
//   retried once with the auth headers added to its custom headers.
//
// Threading: as the Engine: every method on the engine thread.
// Ownership: recorded (owner_uid), enforced by the service, as for jobs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/engine.h"
#include "core/events.h"
#include "ferry/download_types.h"
#include "sys/lifetime.h"

namespace ferry::core {

// A property's value as the service holds it. The SDK keeps the callback
// itself; the stream sink's descriptor reaches the layer through
// SetStreamSink and reads back as `true` (set).
using DownloadValue = std::variant<std::monostate, bool, uint32_t, uint64_t, std::string>;

// What the DownloadStore keeps of one download (its job is in the JobStore).
struct DownloadRecord {
  Guid id;  // = the job's id
  uint32_t owner_uid = 0;
  bool started = false;                     // Start succeeded once
  std::map<uint32_t, DownloadValue> props;  // properties set, by DownloadProperty id
};

// Persistence of download records (src/store implements it on the job
// database). Every call is durable when it returns OK.
class DownloadStore {
 public:
  virtual ~DownloadStore() = default;
  virtual Status LoadDownloads(std::vector<DownloadRecord>* out) = 0;
  virtual Status PutDownload(const DownloadRecord& record) = 0;
  virtual Status RemoveDownload(const Guid& id) = 0;  // missing is OK
};

// Parses IntegrityCheckInfo JSON ({"Sha256": "<64 hex>"}) into the SHA-256
// hex; E_INVALIDARG for anything else. Wired by the composition root.
using IntegrityInfoParser = std::function<Result<std::string>(std::string_view json)>;

struct DownloadDeps {
  Engine* engine = nullptr;
  DownloadStore* store = nullptr;
  IntegrityInfoParser parse_integrity;
  // A directory the service owns, for the local name of stream-sink
  // downloads' jobs (their bytes never reach it: they go from staging to the
  // sink). Empty: no stream sinks (SetStreamSink answers E_NOTIMPL).
  std::string stream_dir;
  // Stream sinks read staging through `payload` on their writer threads and
  // post their outcome to `loop` (the engine thread). Needed with stream_dir.
  PayloadStore* payload = nullptr;
  sys::Executor* loop = nullptr;
};

// A stream download whose sink failed: its reader went away (EPIPE), or the
// service restarted (a descriptor cannot survive that). Not transient.
inline constexpr int32_t kStreamBroken = code::FromWin32(109);  // ERROR_BROKEN_PIPE

// The DO state of a download whose job is `snap` (nullptr: the job is gone),
// with the error fields of DO_DOWNLOAD_STATUS. Pure; unit-tested by rows.
DownloadStatus DownloadStatusOf(bool started, const JobSnapshot* snap);

class Downloads final : public EventConsumer {
 public:
  // Loads the stored downloads; cancels the jobs of those without
  // NonVolatile (and forgets them), and forgets records whose job is gone.
  // Subscribes to the engine's events (raw) for the auth-header retry.
  static Result<std::unique_ptr<Downloads>> Open(const DownloadDeps& deps);
  ~Downloads() override;

  // A new download in Created, owned by `caller`: a job with no file yet.
  // The engine's codes (BG_E_TOO_MANY_JOBS_PER_USER).
  Status Create(const Caller& caller, Guid* id);

  // The calls of the state table (do-download.md §1). DO_E_JOB_NOT_FOUND
  // for an unknown id. Start in Created needs Uri (DO_E_DOWNLOAD_NO_URI) and
  // LocalPath or a stream sink (DO_E_FILE_DOWNLOADSINK_UNSPECIFIED); the
  // engine's AddFile codes (bad URL, bad path, ranges) come back unchanged
  // and leave the download in Created. Empty `ranges`: the whole file.
  // In Transferred, Start fetches the ranges not fetched yet (their bytes
  // follow the others' in the file; Transferring, then Transferred again);
  // no ranges, ranges already there, or a whole-file download: no-op. The
  // engine's range codes (DO_E_OVERLAPPING_RANGES...) change nothing.
  Status Start(const Guid& id, std::span<const DownloadRange> ranges);
  Status Pause(const Guid& id);
  Status Abort(const Guid& id);
  // Transferred -> Finalized once the file is at LocalPath; `done` runs on
  // the engine thread with the outcome (the delivery's error keeps it in
  // Transferred). Other states answer at once, as the table says.
  // `fds` (system mode): file index 0 -> a descriptor of an empty file the
  // client opened beside LocalPath; the bytes are copied into it (the
  // engine's Complete with descriptors). Takes ownership of every fd.
  void Finalize(const Guid& id, std::map<uint32_t, int> fds, std::function<void(Status)> done);
  void Finalize(const Guid& id, std::function<void(Status)> done) {
    Finalize(id, {}, std::move(done));
  }

  Result<DownloadStatus> GetStatus(const Guid& id) const;
  // The file's statistics (File::GetStats' FileStats, do-download.md §3);
  // the defaults (file_size unknown, zeros) before the first Start; the last
  // figures once Finalized or Aborted. DO_E_JOB_NOT_FOUND for an unknown id.
  Result<FileStats> GetStats(const Guid& id) const;
  // DO_E_UNKNOWN_PROPERTY_ID, DO_E_WRITE_ONLY_PROPERTY, E_NOT_SET (never
  // set and no default), E_INVALIDARG for kCallbackInterface (the SDK's).
  Status GetProperty(const Guid& id, uint32_t property, DownloadValue* value) const;
  // DO_E_UNKNOWN_PROPERTY_ID, DO_E_READ_ONLY_PROPERTY, E_INVALIDARG (wrong
  // type or value), DO_E_INVALID_STATE (the state forbids it), E_NOTIMPL
  // (DecryptionInfo). A refused set changes nothing.
  Status SetProperty(const Guid& id, uint32_t property, const DownloadValue& value);
  // kStreamInterface: takes ownership of `fd` (closed when refused).
  // DO_E_INVALID_STATE outside Created, E_NOTIMPL without a stream_dir.
  Status SetStreamSink(const Guid& id, int fd);

  bool Has(const Guid& id) const;
  std::optional<uint32_t> Owner(const Guid& id) const;
  // The downloads of `owner` (all when nullopt) that are not finalized or
  // aborted, matching `category` when given (property, exact value).
  std::vector<Guid> Enum(std::optional<uint32_t> owner,
                         const std::optional<std::pair<uint32_t, std::string>>& category) const;

  // Fails a download (stream sink errors): the job is suspended and the
  // status reports Paused with `error`. A stream download's sink is closed
  // and stays failed (Start answers `error`; only Abort remains); another
  // download reports `error` until the next Start.
  void Fail(const Guid& id, Status error);

  bool OnEvent(const EngineEvent& event) override;

  struct Entry;

 private:
  explicit Downloads(const DownloadDeps& deps);
  Entry* Find(const Guid& id);
  const Entry* Find(const Guid& id) const;
  Status Save(Entry& e);
  Status StartFirst(Entry& e, std::span<const DownloadRange> ranges);
  Status ApplyToJob(Entry& e, uint32_t property, const DownloadValue& value);
  // Finalized or Aborted for good; the last status reports `error`.
  void End(Entry& e, DownloadState final_state, int32_t error = 0);
  void LoseStream(Entry& e);
  Status StartStream(Entry& e);
  void FeedStream(Entry& e);
  void OnStreamDone(const Guid& id, Status s);

  DownloadDeps deps_;
  std::map<Guid, std::unique_ptr<Entry>> entries_;
  uint64_t sub_ = 0;
  sys::Lifetime lifetime_;  // guards posted closures; declared last: dies first
};

}  // namespace ferry::core
