// SqliteJobStore: core::JobStore on one SQLite database file.
//
// The file is opened in WAL mode with synchronous=FULL and foreign keys on,
// so a Commit() that returned OK survives a power cut. The schema is versioned
// with PRAGMA user_version (store/schema.h) and migrated forward at Open.
// Open refuses, without writing a byte, a database that is corrupt or whose
// schema is newer than this build understands: the operator decides what to
// do with it (restore a backup, upgrade ferry), the service never overwrites
// it.
//
// Representation: uint64 values are stored bit-for-bit as int64, times as
// int64 nanoseconds since the Unix epoch, ranges as "offset:length,…" text.
// Every field of JobRecord, FileRecord and HistoryRecord round-trips exactly.
//
// Thread-compatible: the engine calls it from its own thread only.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports.h"
#include "util/result.h"

namespace ferry::sqlite {
class Database;
class Statement;
}  // namespace ferry::sqlite

namespace ferry::store {

// Open() failures a caller may want to tell apart (besides I/O errors):
// ERROR_FILE_CORRUPT: the file is not an SQLite database or fails its check.
inline constexpr int32_t kCodeDatabaseCorrupt = code::FromWin32(1392);
// ERROR_REVISION_MISMATCH: written by a newer ferry (user_version too high).
inline constexpr int32_t kCodeDatabaseTooNew = code::FromWin32(1306);

class SqliteJobStore final : public core::JobStore {
 public:
  // Opens or creates the database at `path` (its directory must exist) and
  // brings its schema up to date. Runs PRAGMA quick_check: O(size of the
  // database), which for a job database is milliseconds.
  static Result<std::unique_ptr<SqliteJobStore>> Open(const std::string& path);

  ~SqliteJobStore() override;
  SqliteJobStore(const SqliteJobStore&) = delete;
  SqliteJobStore& operator=(const SqliteJobStore&) = delete;

  // core::JobStore. LoadAll returns jobs whose state is not final
  // (ACKNOWLEDGED, CANCELLED), oldest creation first; a row that cannot be
  // decoded fails the whole load with kCodeDatabaseCorrupt.
  Status LoadAll(std::vector<core::JobRecord>* jobs) override;
  using core::JobStore::Commit;
  Status Commit(std::span<const core::JobWrite> put, std::span<const Guid> remove,
                std::span<const core::HistoryRecord> history,
                const ServiceStatistics* statistics) override;
  Status LoadStatistics(ServiceStatistics* statistics) override;
  Result<std::string> GetMeta(std::string_view key) override;
  Status SetMeta(std::string_view key, std::string_view value) override;

  // Every history record, oldest first (status, audit, tests).
  Result<std::vector<core::HistoryRecord>> LoadHistory();

  // The database, for the other stores kept in it (SqliteDownloadStore);
  // it lives as long as this store.
  sqlite::Database& database() { return *db_; }

 private:
  struct Statements;
  SqliteJobStore(std::unique_ptr<sqlite::Database> db, std::unique_ptr<Statements> stmts);
  Status PutJob(const core::JobWrite& w);
  Status DeleteJob(const Guid& id);
  Status PutStatistics(const ServiceStatistics& statistics);

  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<Statements> stmts_;  // prepared once; destroyed before db_
};

}  // namespace ferry::store
