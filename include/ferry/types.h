// ferry's public value types: enums, flags and plain structs shared by the SDK,
// the service and the engine. std only. Values match the Windows BITS / DO
// enums so that numbers in logs and on the wire mean the same thing.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry {

// A 128-bit job/file identifier (random v4 GUID). ToString() gives the
// Windows form "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (lowercase hex);
// Parse() accepts it with or without braces, and the 32-hex-digit form.
struct Guid {
  std::array<uint8_t, 16> bytes{};

  std::string ToString() const;
  // 32 lowercase hex digits, no punctuation (used in D-Bus object paths and
  // staging file names).
  std::string ToHex() const;
  static bool Parse(std::string_view text, Guid* out);
  static Guid Random();
  bool IsNil() const;
  auto operator<=>(const Guid&) const = default;
};

enum class JobType : uint32_t { kDownload = 0, kUpload = 1, kUploadReply = 2 };

// semantics.md §3. ACKNOWLEDGED and CANCELLED are final.
enum class JobState : uint32_t {
  kQueued = 0,
  kConnecting = 1,
  kTransferring = 2,
  kSuspended = 3,
  kError = 4,
  kTransientError = 5,
  kTransferred = 6,
  kAcknowledged = 7,
  kCancelled = 8,
};

enum class JobPriority : uint32_t { kForeground = 0, kHigh = 1, kNormal = 2, kLow = 3 };

enum class ErrorContext : uint32_t {
  kNone = 0,
  kUnknown = 1,
  kGeneralQueueManager = 2,
  kQueueManagerNotification = 3,
  kLocalFile = 4,
  kRemoteFile = 5,
  kGeneralTransport = 6,
  kRemoteApplication = 7,
};

namespace notify {
constexpr uint32_t kJobTransferred = 0x1;
constexpr uint32_t kJobError = 0x2;
constexpr uint32_t kDisable = 0x4;
constexpr uint32_t kJobModification = 0x8;
constexpr uint32_t kFileTransferred = 0x10;
constexpr uint32_t kAll = 0x1F;
constexpr uint32_t kDefault = kJobTransferred | kJobError;
}  // namespace notify

constexpr uint64_t kSizeUnknown = UINT64_MAX;
constexpr uint64_t kLengthToEof = UINT64_MAX;
constexpr uint32_t kEnumAllUsers = 0x1;

enum class ProxyUsage : uint32_t { kPreconfig = 0, kNoProxy = 1, kOverride = 2, kAutodetect = 3 };

// BITS_JOB_TRANSFER_POLICY values (cost policy).
namespace cost {
constexpr uint32_t kAlways = 0x800000FF;
constexpr uint32_t kNotRoaming = 0x8000007F;
constexpr uint32_t kNoSurcharge = 0x8000006F;
constexpr uint32_t kStandard = 0x80000067;
constexpr uint32_t kUnrestricted = 0x80000021;
}  // namespace cost

struct JobProgress {
  uint64_t bytes_total = 0;  // kSizeUnknown while any file's size is unknown
  uint64_t bytes_transferred = 0;
  uint32_t files_total = 0;
  uint32_t files_transferred = 0;
};

struct JobTimes {
  std::chrono::system_clock::time_point creation{};
  std::chrono::system_clock::time_point modification{};
  std::chrono::system_clock::time_point transfer_completion{};  // epoch (0) until TRANSFERRED
};

// DO's download modes (do-download.md §4): ferryd's `download_mode`, which an
// administrator may override per job (Job::SetDownloadMode; docs/peering.md
// "Per-job download mode"). Only these six values exist.
enum class DownloadMode : uint32_t {
  kHttpOnly = 0,
  kLan = 1,
  kGroup = 2,
  kInternet = 3,
  kSimple = 99,
  kBypass = 100,
};

// A job as one reading of the service sees it (Manager::ListJobs,
// Job::GetSummary): what the getters GetId … GetNotifyFlags and GetError
// return, all from the same instant, read in one D-Bus round trip. A plain
// copy: it does not change when the job does.
// A field the service does not report (an older ferryd) keeps the default
// below; a value of the wrong type makes the read fail with E_UNEXPECTED.
struct JobSummary {
  Guid id;
  JobType type = JobType::kDownload;
  std::string display_name;
  std::string description;
  JobState state = JobState::kSuspended;
  JobPriority priority = JobPriority::kNormal;
  uint32_t owner_uid = 0;
  std::string owner_name;  // as Job::GetOwner: the user name, or the uid as text
  JobProgress progress;
  JobTimes times;
  uint32_t error_count = 0;
  uint32_t notify_flags = notify::kDefault;
  uint64_t max_rate = 0;  // the job's own rate limit in bytes/s (Job::GetMaximumRate); 0: none
  // The job's own download mode (Job::GetDownloadMode); nullopt: none.
  std::optional<DownloadMode> download_mode;
  // The mode its files start in: download_mode, else ferryd's download_mode.
  DownloadMode effective_download_mode = DownloadMode::kLan;
  // The job's error, only while it is in ERROR or TRANSIENT_ERROR (what
  // Job::GetError would return); otherwise has_error is false and the
  // fields below keep their defaults.
  bool has_error = false;
  ErrorContext error_context = ErrorContext::kNone;
  int32_t error_code = 0;
  std::string error_message;   // as Error::GetErrorDescription
  std::string error_protocol;  // "http", "https", "file"
  int32_t error_file = -1;     // index in Job::EnumFiles of the file that failed; -1: none
};

struct FileProgress {
  uint64_t bytes_total = kSizeUnknown;
  uint64_t bytes_transferred = 0;
  bool completed = false;
};

struct FileRange {
  uint64_t initial_offset = 0;
  uint64_t length = 0;  // kLengthToEof: to the end of the remote file
  friend bool operator==(const FileRange&, const FileRange&) = default;
};

struct FileInfo {
  std::string remote_name;
  std::string local_name;
};

// Where a file stands, as Get-DeliveryOptimizationStatus reports it.
// kCaching (kept to serve peers) is never reported until a peer cache exists.
enum class FileStatsStatus : uint32_t {
  kDownloading = 0,  // its job is connecting or transferring it
  kComplete = 1,     // all its bytes are there (and verified)
  kCaching = 2,
  kPaused = 3,       // anything else: queued, suspended, waiting after an error
};

// DO's DOSwarmStats, per file (File::GetStats, do-download.md §3).
//
// Byte counts are bytes *received* by this service, not bytes of the file:
// a byte fetched twice (the origin's file changed, a SHA-256 mismatch, bytes
// lost in a crash before they reached the disk) counts twice, because it did
// cross the network twice. A byte is never counted that was not received.
// The counts are committed with the file's checkpoints, so after a crash they
// may lag what was received by up to one checkpoint's worth; they never run
// ahead (docs/statistics.md).
//
// file:// counts as the origin: its bytes go to bytes_from_http (the origin
// is what DO calls "HTTP"), but it opens no connection.
struct FileStats {
  uint64_t file_size = kSizeUnknown;     // the file's local size, when known
  uint64_t total_bytes_downloaded = 0;   // every byte received, from any source
  uint64_t bytes_from_http = 0;          // from the origin (http, https, file)
  uint64_t bytes_from_lan_peers = 0;     // peers: 0 until peering exists
  uint64_t bytes_from_group_peers = 0;
  uint64_t bytes_from_cache_server = 0;
  uint64_t bytes_to_peers = 0;           // sum of the three bytes_to_* below
  uint32_t http_connections = 0;         // connections opened to the origin (reused ones not counted)
  uint32_t lan_connections = 0;
  uint32_t group_connections = 0;
  std::chrono::nanoseconds duration{0};  // time requests to the origin were in flight, summed
  bool background = true;                // fetched by a non-FOREGROUND job
  uint64_t bytes_from_internet_peers = 0;
  uint64_t bytes_to_lan_peers = 0;
  uint64_t bytes_to_group_peers = 0;
  uint64_t bytes_to_internet_peers = 0;
  uint32_t internet_connections = 0;
  uint32_t cache_server_connections = 0;
  DownloadMode download_mode = DownloadMode::kHttpOnly;  // the mode the file was fetched in
  FileStatsStatus status = FileStatsStatus::kPaused;     // derived when read, not stored
};

// One period's sums over every file of every job (ServiceStatistics).
// Bytes are counted as FileStats counts them (bytes received).
struct TransferTotals {
  uint64_t total_bytes_downloaded = 0;
  uint64_t bytes_from_http = 0;
  uint64_t bytes_from_lan_peers = 0;
  uint64_t bytes_from_group_peers = 0;
  uint64_t bytes_from_internet_peers = 0;
  uint64_t bytes_from_cache_server = 0;
  uint64_t bytes_to_lan_peers = 0;
  uint64_t bytes_to_group_peers = 0;
  uint64_t bytes_to_internet_peers = 0;
  uint64_t downloads = 0;  // files whose bytes were all received (and verified)
  uint64_t uploads = 0;    // files served to peers: 0 until peering exists
  friend bool operator==(const TransferTotals&, const TransferTotals&) = default;
};

// The service's totals (Manager::GetStatistics; Get-DeliveryOptimizationPerfSnap
// on Windows), kept in the store so that a restart keeps them. "This month"
// is the calendar month in the service's local time: the first count in a
// new month starts it from zero (docs/statistics.md).
struct ServiceStatistics {
  uint32_t month = 0;  // this_month's month as YYYYMM (202612); 0 before the first count
  TransferTotals this_month;
  TransferTotals all_time;
  uint64_t cache_size_bytes = 0;  // the peer cache: 0 until a cache exists
  uint64_t cache_entries = 0;
  friend bool operator==(const ServiceStatistics&, const ServiceStatistics&) = default;
};

// One entry of the service's seeding cache (Manager::ListCache, docs/p2p.md
// "Seeding cache"): a finished torrent's file that ferryd keeps and seeds.
struct CacheEntry {
  std::string content;       // "btih:<40 hex>" (v1 or hybrid), else "btmh:1220<64 hex>"
  std::string info_hash_v1;  // 40 hex digits; empty for a v2-only torrent
  std::string info_hash_v2;  // 64 hex digits; empty for a v1-only torrent
  std::string name;          // the file's name in the torrent
  uint64_t size_bytes = 0;
  std::chrono::system_clock::time_point created{};
  std::chrono::system_clock::time_point last_used{};  // cached, seeded again, or fetched again
  uint64_t bytes_uploaded = 0;                        // to peers, since it was cached
  friend bool operator==(const CacheEntry&, const CacheEntry&) = default;
};

std::string_view JobStateName(JobState state);  // "TRANSFERRED"
std::string_view JobPriorityName(JobPriority priority);  // "NORMAL"
std::string_view ErrorContextName(ErrorContext context);  // "REMOTE_FILE"
std::string_view FileStatsStatusName(FileStatsStatus status);  // "downloading"
// "http-only", "lan", "group", "internet", "simple", "bypass"; "unknown"
// for any other value.
std::string_view DownloadModeName(DownloadMode mode);
// Whether `value` is one of DownloadMode's six values (0, 1, 2, 3, 99, 100).
bool IsDownloadMode(uint32_t value);

}  // namespace ferry
