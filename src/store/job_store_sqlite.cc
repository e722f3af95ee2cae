#include "store/job_store_sqlite.h"

#include <chrono>

#include "lib/sqlite/database.h"
#include "lib/sqlite/error.h"
#include "lib/sqlite/statement.h"
#include "lib/sqlite/transaction.h"
#include "store/record_codec.h"
#include "store/schema.h"
#include "util/log.h"

namespace ferry::store {

struct SqliteJobStore::Statements {
  sqlite::Statement upsert_job;
  sqlite::Statement delete_job;
  sqlite::Statement delete_files;
  sqlite::Statement upsert_file;
  sqlite::Statement insert_history;
  sqlite::Statement select_jobs;
  sqlite::Statement select_files;
  sqlite::Statement select_history;
  sqlite::Statement get_meta;
  sqlite::Statement set_meta;
  sqlite::Statement upsert_statistics;
  sqlite::Statement select_statistics;
};

namespace {

Status Prepare(sqlite::Database& db, const std::string& sql, sqlite::Statement* out) {
  Result<sqlite::Statement> s = db.Prepare(sql);
  if (!s.ok()) return s.status();
  *out = std::move(s).value();
  return Status::OK();
}

// Keeps SQLite's own code unless it is the generic one, then says which file.
Status Refuse(const Status& st, const std::string& path) {
  return Status(st.code() == sqlite::kCodeCorrupt ? kCodeDatabaseCorrupt : st.code(),
                "job store " + path + ": " + st.message());
}

}  // namespace

Result<std::unique_ptr<SqliteJobStore>> SqliteJobStore::Open(const std::string& path) {
  auto opened =
      sqlite::Database::Open(path, sqlite::open_flags::kReadWrite | sqlite::open_flags::kCreate);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<sqlite::Database> db = std::move(opened).value();
  // The daemon is the only writer; a short wait covers the sqlite3 shell or
  // a backup tool holding a read lock.
  if (Status st = db->SetBusyTimeout(std::chrono::seconds(5)); !st.ok()) return st;

  // Checks before any write: the first read fails on a file that is not a
  // database; user_version guards against an older ferry writing into a
  // newer schema; quick_check finds damaged pages.
  Result<int64_t> version = db->QueryInt64("PRAGMA user_version");
  if (!version.ok()) return Refuse(version.status(), path);
  if (*version > kSchemaVersion || *version < 0) {
    return Status(kCodeDatabaseTooNew,
                  "job store " + path + ": schema version " + std::to_string(*version) +
                      " is newer than this ferry supports (" + std::to_string(kSchemaVersion) +
                      "); upgrade ferry or restore a backup. The file was left untouched.");
  }
  Result<std::string> check = db->QueryText("PRAGMA quick_check");
  if (!check.ok()) return Refuse(check.status(), path);
  if (*check != "ok") {
    return Status(kCodeDatabaseCorrupt, "job store " + path + " is corrupt (quick_check: " +
                                            *check + "); the file was left untouched");
  }

  Result<std::string> mode = db->QueryText("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return Refuse(mode.status(), path);
  if (*mode != "wal")
    log::Warn("job store {}: WAL mode unavailable, using journal_mode={}", path, *mode);
  if (Status st = db->Exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"); !st.ok())
    return st;

  {
    auto tx = sqlite::Transaction::Begin(*db, sqlite::Transaction::Mode::kImmediate);
    if (!tx.ok()) return tx.status();
    // Read again under the write lock: another process may have migrated.
    Result<int64_t> v = db->QueryInt64("PRAGMA user_version");
    if (!v.ok()) return v.status();
    if (*v > kSchemaVersion)
      return Status(kCodeDatabaseTooNew,
                    "job store " + path + ": schema became newer while opening");
    if (*v < kSchemaVersion) {
      if (Status st = Migrate(*db, *v); !st.ok()) return st;
      log::Info("job store {}: schema migrated from version {} to {}", path, *v, kSchemaVersion);
    }
    if (Status st = tx->Commit(); !st.ok()) return st;
  }

  auto s = std::make_unique<Statements>();
  const std::string jobs(kJobColumns), files(kFileColumns), hist(kHistoryColumns),
      stats(kStatisticsColumns);
  for (auto [sql, out] : {
           std::pair{UpsertSql("jobs", jobs, "id"), &s->upsert_job},
           std::pair{std::string("DELETE FROM jobs WHERE id = ?1"), &s->delete_job},
           std::pair{std::string("DELETE FROM files WHERE job_id = ?1"), &s->delete_files},
           std::pair{UpsertSql("files", files, "job_id, idx"), &s->upsert_file},
           std::pair{"INSERT INTO history (" + hist + ") VALUES (" + Placeholders(hist) + ")",
                     &s->insert_history},
           std::pair{"SELECT " + jobs + " FROM jobs WHERE state NOT IN (" +
                         std::to_string(static_cast<int>(JobState::kAcknowledged)) + ", " +
                         std::to_string(static_cast<int>(JobState::kCancelled)) +
                         ") ORDER BY creation_ns, id",
                     &s->select_jobs},
           std::pair{"SELECT " + files + " FROM files WHERE job_id = ?1 ORDER BY idx",
                     &s->select_files},
           std::pair{"SELECT " + hist + " FROM history ORDER BY seq", &s->select_history},
           std::pair{std::string("SELECT value FROM meta WHERE key = ?1"), &s->get_meta},
           std::pair{std::string("INSERT INTO meta (key, value) VALUES (?1, ?2) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
                     &s->set_meta},
           std::pair{UpsertSql("statistics", stats, "period"), &s->upsert_statistics},
           std::pair{"SELECT " + stats + " FROM statistics", &s->select_statistics},
       }) {
    if (Status st = Prepare(*db, sql, out); !st.ok()) return st;
  }
  return std::unique_ptr<SqliteJobStore>(new SqliteJobStore(std::move(db), std::move(s)));
}

SqliteJobStore::SqliteJobStore(std::unique_ptr<sqlite::Database> db, std::unique_ptr<Statements> s)
    : db_(std::move(db)), stmts_(std::move(s)) {}

SqliteJobStore::~SqliteJobStore() = default;

Status SqliteJobStore::LoadAll(std::vector<core::JobRecord>* jobs) {
  jobs->clear();
  // One read transaction: jobs and files from the same snapshot.
  auto tx = sqlite::Transaction::Begin(*db_, sqlite::Transaction::Mode::kDeferred);
  if (!tx.ok()) return tx.status();
  std::vector<core::JobRecord> out;
  sqlite::Statement& sj = stmts_->select_jobs;
  for (;;) {
    Result<bool> row = sj.Step();
    if (!row.ok()) {
      sj.Reset();
      return row.status();
    }
    if (!*row) break;
    core::JobRecord job;
    if (Status st = ReadJob(sj, &job); !st.ok()) {
      sj.Reset();
      return st;
    }
    out.push_back(std::move(job));
  }
  sj.Reset();

  sqlite::Statement& sf = stmts_->select_files;
  for (core::JobRecord& job : out) {
    sf.BindBlob(1, GuidBytes(job.id));
    for (;;) {
      Result<bool> row = sf.Step();
      if (!row.ok()) {
        sf.Reset();
        return row.status();
      }
      if (!*row) break;
      core::FileRecord file;
      if (Status st = ReadFile(sf, &file); !st.ok()) {
        sf.Reset();
        return st;
      }
      job.files.push_back(std::move(file));
    }
    sf.Reset();
  }
  if (Status st = tx->Commit(); !st.ok()) return st;
  *jobs = std::move(out);
  return Status::OK();
}

Status SqliteJobStore::DeleteJob(const Guid& id) {
  // Files first: explicit rather than relying on the cascade.
  stmts_->delete_files.BindBlob(1, GuidBytes(id));
  if (Status st = stmts_->delete_files.Run(); !st.ok()) return st;
  stmts_->delete_job.BindBlob(1, GuidBytes(id));
  return stmts_->delete_job.Run();
}

Status SqliteJobStore::PutJob(const core::JobWrite& w) {
  // An upsert, not delete + insert: the job's file rows stay unless replaced.
  if (w.replace_files) {
    stmts_->delete_files.BindBlob(1, GuidBytes(w.job->id));
    if (Status st = stmts_->delete_files.Run(); !st.ok()) return st;
  }
  BindJob(stmts_->upsert_job, *w.job);
  if (Status st = stmts_->upsert_job.Run(); !st.ok()) return st;
  for (const core::FileRecord& file : w.files) {
    BindFile(stmts_->upsert_file, w.job->id, file);
    if (Status st = stmts_->upsert_file.Run(); !st.ok()) return st;
  }
  return Status::OK();
}

Status SqliteJobStore::Commit(std::span<const core::JobWrite> put, std::span<const Guid> remove,
                              std::span<const core::HistoryRecord> history,
                              const ServiceStatistics* statistics) {
  if (put.empty() && remove.empty() && history.empty() && !statistics) return Status::OK();
  auto tx = sqlite::Transaction::Begin(*db_, sqlite::Transaction::Mode::kImmediate);
  if (!tx.ok()) return tx.status();
  // Any early return destroys `tx`, which rolls the whole batch back.
  for (const core::JobWrite& w : put) {
    if (Status st = PutJob(w); !st.ok()) return st;
  }
  for (const Guid& id : remove) {
    if (Status st = DeleteJob(id); !st.ok()) return st;
  }
  for (const core::HistoryRecord& h : history) {
    BindHistory(stmts_->insert_history, h);
    if (Status st = stmts_->insert_history.Run(); !st.ok()) return st;
  }
  if (statistics) {
    if (Status st = PutStatistics(*statistics); !st.ok()) return st;
  }
  return tx->Commit();
}

Status SqliteJobStore::PutStatistics(const ServiceStatistics& s) {
  sqlite::Statement& up = stmts_->upsert_statistics;
  BindStatistics(up, "all_time", 0, s.all_time);
  if (Status st = up.Run(); !st.ok()) return st;
  BindStatistics(up, "this_month", s.month, s.this_month);
  return up.Run();
}

Status SqliteJobStore::LoadStatistics(ServiceStatistics* out) {
  ServiceStatistics got;
  sqlite::Statement& s = stmts_->select_statistics;
  for (;;) {
    Result<bool> row = s.Step();
    if (!row.ok()) {
      s.Reset();
      return row.status();
    }
    if (!*row) break;
    std::string period;
    uint32_t month = 0;
    TransferTotals totals;
    if (Status st = ReadStatistics(s, &period, &month, &totals); !st.ok()) {
      s.Reset();
      return st;
    }
    if (period == "all_time") got.all_time = totals;
    if (period == "this_month") {
      got.this_month = totals;
      got.month = month;
    }
  }
  s.Reset();
  *out = got;
  return Status::OK();
}

Result<std::vector<core::HistoryRecord>> SqliteJobStore::LoadHistory() {
  std::vector<core::HistoryRecord> out;
  sqlite::Statement& s = stmts_->select_history;
  for (;;) {
    Result<bool> row = s.Step();
    if (!row.ok()) {
      s.Reset();
      return row.status();
    }
    if (!*row) break;
    core::HistoryRecord h;
    if (Status st = ReadHistory(s, &h); !st.ok()) {
      s.Reset();
      return st;
    }
    out.push_back(std::move(h));
  }
  s.Reset();
  return out;
}

Result<std::string> SqliteJobStore::GetMeta(std::string_view key) {
  sqlite::Statement& s = stmts_->get_meta;
  s.BindText(1, key);
  Result<bool> row = s.Step();
  std::string value;
  if (row.ok() && *row) value = s.ColumnText(0);
  s.Reset();
  if (!row.ok()) return row.status();
  return value;
}

Status SqliteJobStore::SetMeta(std::string_view key, std::string_view value) {
  stmts_->set_meta.BindText(1, key).BindText(2, value);
  return stmts_->set_meta.Run();
}

}  // namespace ferry::store
