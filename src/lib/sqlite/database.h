// Database: one open SQLite connection (RAII; closed by the destructor).
// Together with Statement and Transaction, the only code of ferry that calls
// sqlite3_*. Errors are ferry::Status as described in lib/sqlite/error.h.
//
// A Database and its Statements belong to one thread at a time (SQLite's
// serialized mode makes misuse safe, not concurrent).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lib/sqlite/statement.h"
#include "util/result.h"

struct sqlite3;

namespace ferry::sqlite {

// Open flags (a subset of SQLITE_OPEN_*), combined with |.
namespace open_flags {
constexpr int kReadOnly = 0x1;
constexpr int kReadWrite = 0x2;
constexpr int kCreate = 0x4;  // with kReadWrite: create the file if missing
}  // namespace open_flags

class Database {
 public:
  // Opens `path` (":memory:" for a private in-memory database). Extended
  // result codes are on. Opening does not read the file: a corrupt file is
  // reported by the first statement that touches it.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, int flags);

  ~Database();  // finalizes nothing: destroy every Statement first
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more SQL statements that return no rows worth reading
  // (DDL, PRAGMA settings, BEGIN/COMMIT).
  Status Exec(std::string_view sql);
  // Runs one statement and returns column 0 of its first row as an integer
  // (e.g. "PRAGMA user_version"); kUnexpected when there is no row.
  Result<int64_t> QueryInt64(std::string_view sql);
  // Same, as text (e.g. "PRAGMA journal_mode").
  Result<std::string> QueryText(std::string_view sql);
  // Compiles one statement. The Statement must not outlive this Database.
  Result<Statement> Prepare(std::string_view sql);
  // How long a statement waits for another connection's lock before failing
  // with kCodeBusy.
  Status SetBusyTimeout(std::chrono::milliseconds timeout);

  int64_t LastInsertRowId() const;
  // Rows changed by the most recent INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // False while a transaction is open.
  bool InAutocommit() const;
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

}  // namespace ferry::sqlite
