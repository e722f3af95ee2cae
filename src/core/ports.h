// The engine's ports: what core needs from storage, payload files and
// hashing, as interfaces (the byte-source port of HTTP and file:// is in
// core/byte_source.h, the fetch port in core/fetch.h). Implementations live in src/store,
// src/transfer/* and src/lib; the composition root (daemon, tools, tests)
// wires them. Core includes no curl, SQLite, OpenSSL or D-Bus header.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_source.h"
#include "ferry/types.h"
#include "sys/clock.h"
#include "util/result.h"

namespace ferry::core {

using sys::WallTime;

// ---------------------------------------------------------------------------
// Persistent records (what the JobStore keeps).

struct ErrorRecord {
  int32_t code = 0;
  ErrorContext context = ErrorContext::kNone;
  int32_t file_index = -1;  // -1: not tied to a file
  std::string message;
  std::string protocol;     // "http", "https", "file", "" when none
};

struct FileRecord {
  uint32_t index = 0;  // position in the job, 0-based, stable
  std::string remote_url;
  std::string local_name;
  std::string file_id;                 // AddFileWithRanges' file id (may be empty)
  std::vector<FileRange> ranges;       // empty: the whole file
  uint64_t expected_size = kSizeUnknown;  // given by the caller, if any
  std::string sha256;                  // lowercase hex, empty when none
  // The file's content id (docs/content-id.md), canonical text; empty when
  // none. The bytes are verified against it before delivery.
  std::string content_id;
  uint64_t bytes_total = kSizeUnknown; // local size; known from headers or ranges
  uint64_t bytes_transferred = 0;      // durable: staging bytes fdatasync'ed before commit
  bool transferred = false;            // all bytes present (and verified)
  bool delivered = false;              // at the local name (Complete)
  std::string etag;                    // validators of the version being fetched
  std::string last_modified;
  uint32_t validation_retries = 0;     // refetches after a hash mismatch
  // The fetch backend's own resume state for this file (core/fetch.h),
  // opaque to the engine and the store; empty when the backend keeps none.
  std::string resume_data;
  FileStats stats;
  // In the store: the live byte count (bytes handed to staging, beyond the
  // durable bytes_transferred) when `stats` was written. Recovery on the same
  // boot counts the staged bytes past it, which were received but not yet
  // counted in the store (core/statistics.h). Not kept up to date in memory.
  uint64_t counted_bytes = 0;
};

struct JobRecord {
  Guid id;
  JobType type = JobType::kDownload;
  uint32_t owner_uid = 0;
  std::string display_name;
  std::string description;
  JobPriority priority = JobPriority::kNormal;
  uint32_t notify_flags = notify::kDefault;
  std::string notify_program;
  std::string notify_parameters;
  uint32_t min_retry_delay_s = 600;
  uint32_t no_progress_timeout_s = 86400;
  bool no_progress_timeout_set = false;  // explicit value, else derived from priority
  uint32_t cost_policy = cost::kStandard;
  ProxyUsage proxy_usage = ProxyUsage::kPreconfig;
  std::string proxy_list;
  std::string proxy_bypass;
  std::string custom_headers;  // "Name: value" lines separated by \r\n
  uint64_t max_rate = 0;       // bytes/s, 0 = none; applies on top of the global limit
  // TLS and redirect relaxations (DO downloads' SecurityFlags and
  // HttpAllowSecureToNonSecureRedirect; jobs keep the defaults).
  bool allow_https_to_http = false;
  uint32_t security_flags = 0;  // security_flag:: bits
  // The job's download mode (do-download.md §4), set only by an
  // administrator (Engine::SetDownloadMode); nullopt: ferryd's
  // PeeringConfig::mode. Read at each file's start (EffectiveMode).
  std::optional<DownloadMode> download_mode;
  JobState state = JobState::kSuspended;
  uint32_t error_count = 0;
  std::optional<ErrorRecord> error;  // set in ERROR and TRANSIENT_ERROR
  WallTime creation{};
  WallTime modification{};
  WallTime transfer_completion{};
  WallTime retry_at{};          // TRANSIENT_ERROR: when to go back to QUEUED
  WallTime last_progress{};     // start of the no-progress clock
  std::vector<FileRecord> files;
};

// A finished job, kept for `status` and audit.
struct HistoryRecord {
  Guid id;
  uint32_t owner_uid = 0;
  std::string display_name;
  JobState final_state = JobState::kCancelled;
  int32_t reason = 0;  // e.g. DO_E_JOB_TOO_OLD
  WallTime when{};
};

// One job to write in a Commit: the job's own fields from `*job` (its
// `files` are not read) and the rows of `files`, upserted by index. With
// replace_files the job's other file rows are deleted first, so `files` must
// then hold all of them. Files are never removed from a live job, so a
// partial write leaves the other files as they were: a change to one file of
// a 1000-file job writes one row, not 1000.
struct JobWrite {
  const JobRecord* job = nullptr;
  bool replace_files = false;
  std::vector<FileRecord> files;
};

// The job database. Called on the engine thread only.
class JobStore {
 public:
  virtual ~JobStore() = default;
  // Every live (non-final) job, files in index order.
  virtual Status LoadAll(std::vector<JobRecord>* jobs) = 0;
  // One transaction (group commit): upsert every job in `put` with the files
  // it carries, delete every id in `remove` (with its files), append
  // `history`. Durable when it returns OK; on failure nothing of the batch is
  // applied.
  // With `statistics` (may be null), the service's totals are replaced by
  // it in the same transaction.
  virtual Status Commit(std::span<const JobWrite> put, std::span<const Guid> remove,
                        std::span<const HistoryRecord> history,
                        const ServiceStatistics* statistics) = 0;
  Status Commit(std::span<const JobWrite> put, std::span<const Guid> remove,
                std::span<const HistoryRecord> history) {
    return Commit(put, remove, history, nullptr);
  }
  // The service's totals as last committed; all zero in a new store.
  virtual Status LoadStatistics(ServiceStatistics* statistics) = 0;
  // Small key/value metadata (e.g. "boot_id"), committed immediately.
  virtual Result<std::string> GetMeta(std::string_view key) = 0;  // "" when unset
  virtual Status SetMeta(std::string_view key, std::string_view value) = 0;
};

// ---------------------------------------------------------------------------
// Payload (staging files).

// One staging file. Write is called on the engine thread; Sync and Read may be
// called on workers concurrently with Write (distinct ranges).
class StagingFile {
 public:
  virtual ~StagingFile() = default;
  virtual Status Write(uint64_t offset, std::span<const std::byte> data) = 0;
  virtual Result<size_t> Read(uint64_t offset, std::span<std::byte> out) = 0;
  // fdatasync; the first one also makes the file's name durable (a store may
  // defer the directory sync of a new file to it).
  virtual Status Sync() = 0;
};

// One file to deliver (PayloadStore::DeliverMany).
struct Delivery {
  uint32_t file = 0;
  std::string local_name;
  uint64_t size = 0;
  int fd = -1;  // system mode: the client's descriptor to copy into (owned), else -1
  // When not empty (a torrent's file, util/torrent_source.h
  // TorrentSaveDirectory): the missing directories between it and
  // local_name's directory are created first.
  std::string make_dirs_below;
};

class PayloadStore {
 public:
  virtual ~PayloadStore() = default;
  // Opens (creating if needed) the staging file of (job, file). When
  // `size_hint` is known, reserves space with FALLOC_FL_KEEP_SIZE so that the
  // file's size keeps tracking the bytes really written.
  virtual Result<std::shared_ptr<StagingFile>> Open(const Guid& job, uint32_t file,
                                                    uint64_t size_hint) = 0;
  // The staging file's current size (0 when missing): after a process crash
  // on the same boot, what really reached the page cache.
  virtual Result<uint64_t> StagedSize(const Guid& job, uint32_t file) = 0;
  // Cuts the staging file to `size` bytes and syncs that.
  virtual Status Truncate(const Guid& job, uint32_t file, uint64_t size) = 0;
  // Deletes one file's staging, or all of a job's. Missing is OK.
  virtual Status Remove(const Guid& job, uint32_t file) = 0;
  virtual Status RemoveJob(const Guid& job) = 0;
  // Jobs that have a staging directory (to find orphans after a crash).
  virtual Result<std::vector<Guid>> ListJobs() = 0;
  // Makes the first `size` bytes of the staging file appear at `local_name`,
  // durably: fdatasync the data, rename into place (or, across file systems,
  // copy to a temporary file beside local_name, fsync, rename), fsync the
  // destination directory. The staging file stays until Remove/RemoveJob, so
  // that a crash before the engine records the delivery can deliver again.
  // Blocking: run it on a worker. On failure nothing appears at local_name.
  virtual Status Deliver(const Guid& job, uint32_t file, const std::string& local_name,
                         uint64_t size) = 0;
  // System mode: copies the first `size` bytes of the staging file into `fd`
  // (an empty file the client opened beside its local name, with its own
  // rights) and fdatasyncs it; the staging file stays. Takes ownership of
  // `fd` (closes it). The client renames the file into place. Blocking.
  virtual Status DeliverToFd(const Guid& job, uint32_t file, int fd, uint64_t size) {
    return Status(code::kNotImpl, "delivery into a descriptor is not supported");
  }
  // Delivers `items` in order (Deliver, or DeliverToFd for an item with an
  // fd), stopping at the first failure: items [0, *delivered) are delivered
  // with Deliver's guarantees, the returned status is why the next one was
  // not. Takes ownership of every item's fd. A store may share work between
  // the items (FsPayloadStore syncs each destination directory once). Blocking.
  virtual Status DeliverMany(const Guid& job, std::span<const Delivery> items, size_t* delivered);
  // The staging file's absolute path, for a backend that writes it itself
  // (transfer/p2p: libtorrent); "" when the store has no such path.
  virtual std::string StagingPath(const Guid& job, uint32_t file) const { return {}; }
  // The current boot's id (compared with the one recorded in the JobStore).
  virtual std::string BootId() = 0;
};

// ---------------------------------------------------------------------------
// Hashing.

// Incremental SHA-256. Not thread-safe; the engine hands it to one worker.
class Digest {
 public:
  virtual ~Digest() = default;
  virtual void Update(std::span<const std::byte> data) = 0;
  virtual std::string FinalHex() = 0;  // 64 lowercase hex digits; the digest is spent
};
using DigestFactory = std::function<std::unique_ptr<Digest>()>;

}  // namespace ferry::core
