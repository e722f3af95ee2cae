#include "store/schema.h"

#include <iterator>
#include <string>

namespace ferry::store {
namespace {

// Version 1. Conventions: ids are 16-byte blobs; every uint64 is stored as
// the int64 with the same bits (kSizeUnknown reads back as -1 in the sqlite3
// shell); times are int64 nanoseconds since the Unix epoch; booleans 0/1;
// enums their numeric value (the Windows one). The error columns are all
// NULL when the job has no error.
constexpr char kV1[] = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);

CREATE TABLE jobs (
  id                      BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
  type                    INTEGER NOT NULL,
  owner_uid               INTEGER NOT NULL,
  display_name            TEXT NOT NULL,
  description             TEXT NOT NULL,
  priority                INTEGER NOT NULL,
  notify_flags            INTEGER NOT NULL,
  notify_program          TEXT NOT NULL,
  notify_parameters       TEXT NOT NULL,
  min_retry_delay_s       INTEGER NOT NULL,
  no_progress_timeout_s   INTEGER NOT NULL,
  no_progress_timeout_set INTEGER NOT NULL,
  cost_policy             INTEGER NOT NULL,
  proxy_usage             INTEGER NOT NULL,
  proxy_list              TEXT NOT NULL,
  proxy_bypass            TEXT NOT NULL,
  custom_headers          TEXT NOT NULL,
  state                   INTEGER NOT NULL,
  error_count             INTEGER NOT NULL,
  error_code              INTEGER,
  error_context           INTEGER,
  error_file_index        INTEGER,
  error_message           TEXT,
  error_protocol          TEXT,
  creation_ns             INTEGER NOT NULL,
  modification_ns         INTEGER NOT NULL,
  transfer_completion_ns  INTEGER NOT NULL,
  retry_at_ns             INTEGER NOT NULL,
  last_progress_ns        INTEGER NOT NULL
);

-- ranges: "offset:length" pairs in decimal, joined by ',' ("" = whole file).
CREATE TABLE files (
  job_id                        BLOB NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  idx                           INTEGER NOT NULL,
  remote_url                    TEXT NOT NULL,
  local_name                    TEXT NOT NULL,
  file_id                       TEXT NOT NULL,
  ranges                        TEXT NOT NULL,
  expected_size                 INTEGER NOT NULL,
  sha256                        TEXT NOT NULL,
  bytes_total                   INTEGER NOT NULL,
  bytes_transferred             INTEGER NOT NULL,
  transferred                   INTEGER NOT NULL,
  delivered                     INTEGER NOT NULL,
  etag                          TEXT NOT NULL,
  last_modified                 TEXT NOT NULL,
  validation_retries            INTEGER NOT NULL,
  stat_file_size                INTEGER NOT NULL,
  stat_total_bytes_downloaded   INTEGER NOT NULL,
  stat_bytes_from_http          INTEGER NOT NULL,
  stat_bytes_from_lan_peers     INTEGER NOT NULL,
  stat_bytes_from_group_peers   INTEGER NOT NULL,
  stat_bytes_from_cache_server  INTEGER NOT NULL,
  stat_bytes_to_peers           INTEGER NOT NULL,
  stat_http_connections         INTEGER NOT NULL,
  stat_lan_connections          INTEGER NOT NULL,
  stat_group_connections        INTEGER NOT NULL,
  stat_duration_ns              INTEGER NOT NULL,
  stat_background               INTEGER NOT NULL,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;

CREATE TABLE history (
  seq          INTEGER PRIMARY KEY,
  id           BLOB NOT NULL,
  owner_uid    INTEGER NOT NULL,
  display_name TEXT NOT NULL,
  final_state  INTEGER NOT NULL,
  reason       INTEGER NOT NULL,
  when_ns      INTEGER NOT NULL
);
CREATE INDEX history_by_id ON history(id);
)sql";

// Version 2: statistics (docs/statistics.md) and the per-job rate limit.
// The files' new stat_* columns complete DO's DOSwarmStats; `statistics`
// holds the service's totals, one row per period: 'all_time' (month 0) and
// 'this_month' (month = YYYYMM in local time). stat_counted_bytes is
// unknown for rows of version 1: UINT64_MAX (-1) makes recovery add nothing
// to their stats rather than risk counting a byte twice.
constexpr char kV2Statistics[] = R"sql(
ALTER TABLE jobs ADD COLUMN max_rate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN stat_bytes_from_internet_peers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN stat_bytes_to_lan_peers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN stat_bytes_to_group_peers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN stat_bytes_to_internet_peers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN stat_internet_connections INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN stat_cache_server_connections INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN stat_download_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN stat_counted_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE files SET stat_counted_bytes = -1;

CREATE TABLE statistics (
  period                     TEXT PRIMARY KEY NOT NULL,
  month                      INTEGER NOT NULL,
  total_bytes_downloaded     INTEGER NOT NULL,
  bytes_from_http            INTEGER NOT NULL,
  bytes_from_lan_peers       INTEGER NOT NULL,
  bytes_from_group_peers     INTEGER NOT NULL,
  bytes_from_internet_peers  INTEGER NOT NULL,
  bytes_from_cache_server    INTEGER NOT NULL,
  bytes_to_lan_peers         INTEGER NOT NULL,
  bytes_to_group_peers       INTEGER NOT NULL,
  bytes_to_internet_peers    INTEGER NOT NULL,
  downloads                  INTEGER NOT NULL,
  uploads                    INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 3: DO's single downloads (core/download.h). A download's job is
// an ordinary row of `jobs`; these tables keep what the job does not: who
// made it, whether it started, and the properties set by id (the value's
// SQL type follows the property's: TEXT, or INTEGER for bool, uint32 and
// uint64, the last bit-for-bit as int64).
constexpr char kV3Downloads[] = R"sql(
CREATE TABLE downloads (
  id        BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
  owner_uid INTEGER NOT NULL,
  started   INTEGER NOT NULL
);

CREATE TABLE download_properties (
  download_id BLOB NOT NULL REFERENCES downloads(id) ON DELETE CASCADE,
  prop        INTEGER NOT NULL,
  value,      -- no declared type: no affinity, values are kept as bound
  PRIMARY KEY (download_id, prop)
) WITHOUT ROWID;
)sql";

// Version 4: a job's redirect and TLS relaxations (DO downloads'
// HttpAllowSecureToNonSecureRedirect and SecurityFlags; docs/download.md).
constexpr char kV4TransferSecurity[] = R"sql(
ALTER TABLE jobs ADD COLUMN allow_https_to_http INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN security_flags INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 5: a fetch backend's opaque resume state per file (core/fetch.h;
// empty for HTTP and file://, whose validators have their own columns).
constexpr char kV5ResumeData[] = R"sql(
ALTER TABLE files ADD COLUMN resume_data BLOB NOT NULL DEFAULT x'';
)sql";

// Version 6: a file's content id (docs/content-id.md), the parser's
// canonical text; '' when none. Rows of version 5 have none.
constexpr char kV6ContentId[] = R"sql(
ALTER TABLE files ADD COLUMN content_id TEXT NOT NULL DEFAULT '';
)sql";

// Version 7: the seeding cache's index (core/seed_cache.h; docs/p2p.md
// "Seeding cache"). `key` is the v1 info-hash, else the v2 one; `torrent`
// the .torrent bytes the copy at `path` is seeded with; times as elsewhere.
constexpr char kV7SeedCache[] = R"sql(
CREATE TABLE IF NOT EXISTS seed_cache (
  key           TEXT PRIMARY KEY NOT NULL,
  info_hash_v1  TEXT NOT NULL,
  info_hash_v2  TEXT NOT NULL,
  name          TEXT NOT NULL,
  size          INTEGER NOT NULL,
  path          TEXT NOT NULL,
  torrent       BLOB NOT NULL,
  created_ns    INTEGER NOT NULL,
  last_used_ns  INTEGER NOT NULL,
  uploaded      INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 8: a job's own download mode (do-download.md §4; set by an
// administrator, docs/peering.md "Per-job download mode"); NULL: none, the
// mode is ferryd's. Rows of version 7 have none.
constexpr char kV8DownloadMode[] = R"sql(
ALTER TABLE jobs ADD COLUMN download_mode INTEGER DEFAULT NULL;
)sql";

// migrations[i] takes version i to i+1.
constexpr const char* kMigrations[] = {kV1,           kV2Statistics, kV3Downloads,
                                       kV4TransferSecurity, kV5ResumeData, kV6ContentId,
                                       kV7SeedCache,        kV8DownloadMode};
static_assert(std::size(kMigrations) == kSchemaVersion);

}  // namespace

Status Migrate(sqlite::Database& db, int64_t from_version) {
  return MigrateTo(db, from_version, kSchemaVersion);
}

Status MigrateTo(sqlite::Database& db, int64_t from_version, int64_t to_version) {
  if (from_version < 0 || from_version > to_version || to_version > kSchemaVersion)
    return Status(code::kUnexpected,
                  "job store: cannot migrate from schema version " + std::to_string(from_version));
  for (int64_t v = from_version; v < to_version; ++v) {
    Status st = db.Exec(kMigrations[v]);
    if (!st.ok()) return st;
  }
  if (from_version == to_version) return Status::OK();
  return db.Exec("PRAGMA user_version = " + std::to_string(to_version));
}

}  // namespace ferry::store
