// SqliteDownloadStore: core::DownloadStore in the job database (tables
// `downloads` and `download_properties`, schema version 2). Each call is one
// transaction, durable when it returns OK (the database is in WAL mode with
// synchronous=FULL). Thread-compatible: the engine thread only.
#pragma once

#include <memory>

#include "core/download.h"
namespace ferry::sqlite {
class Database;
}

namespace ferry::store {

class SqliteDownloadStore final : public core::DownloadStore {
 public:
  // `db` (SqliteJobStore::database()) must outlive the store.
  static Result<std::unique_ptr<SqliteDownloadStore>> Open(sqlite::Database& db);

  Status LoadDownloads(std::vector<core::DownloadRecord>* out) override;
  Status PutDownload(const core::DownloadRecord& record) override;
  Status RemoveDownload(const Guid& id) override;
  ~SqliteDownloadStore() override;

 private:
  struct Statements;
  SqliteDownloadStore(sqlite::Database& db, std::unique_ptr<Statements> s);
  sqlite::Database& db_;
  std::unique_ptr<Statements> s_;  // prepared once
};

}  // namespace ferry::store
