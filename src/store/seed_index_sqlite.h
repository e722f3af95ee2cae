// SqliteSeedIndex: core::SeedIndex in the job database (table `seed_cache`,
// schema version 7). Each call is one statement, durable when it returns OK
// (WAL, synchronous=FULL). Thread-compatible: the engine thread only.
#pragma once

#include <memory>

#include "core/seed_cache.h"
#include "util/result.h"

namespace ferry::sqlite {
class Database;
}

namespace ferry::store {

class SqliteSeedIndex final : public core::SeedIndex {
 public:
  // `db` (SqliteJobStore::database()) must outlive the index.
  static Result<std::unique_ptr<SqliteSeedIndex>> Open(sqlite::Database& db);
  ~SqliteSeedIndex() override;

  Status LoadSeeds(std::vector<core::SeedRecord>* out) override;
  Status PutSeed(const core::SeedRecord& record) override;
  Status RemoveSeed(const std::string& key) override;

 private:
  struct Statements;
  explicit SqliteSeedIndex(std::unique_ptr<Statements> s);
  std::unique_ptr<Statements> s_;  // prepared once
};

}  // namespace ferry::store
