#include "lib/sqlite/database.h"

#include <sqlite3.h>

#include <climits>

#include "lib/sqlite/error.h"

namespace ferry::sqlite {

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, int flags) {
  int sq_flags = 0;
  if (flags & open_flags::kReadWrite) {
    sq_flags |= SQLITE_OPEN_READWRITE;
    if (flags & open_flags::kCreate) sq_flags |= SQLITE_OPEN_CREATE;
  } else {
    sq_flags |= SQLITE_OPEN_READONLY;
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, sq_flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(rc, "open " + path, db);
    sqlite3_close(db);  // a handle comes back even on most failures
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Database>(new Database(db, path));
}

Database::~Database() {
  // sqlite3_close_v2 defers the close until every statement is finalized, so
  // a forgotten Statement leaks instead of crashing.
  sqlite3_close_v2(db_);
}

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::OK();
  std::string what = "exec \"" + text.substr(0, 60) + "\": ";
  what += err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  Status st = SqliteStatus(rc, what, nullptr);
  return st;
}

Result<int64_t> Database::QueryInt64(std::string_view sql) {
  Result<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status(code::kUnexpected, "sqlite: no row from \"" + std::string(sql) + "\"");
  return stmt->ColumnInt64(0);
}

Result<std::string> Database::QueryText(std::string_view sql) {
  Result<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status(code::kUnexpected, "sqlite: no row from \"" + std::string(sql) + "\"");
  return stmt->ColumnText(0);
}

Result<Statement> Database::Prepare(std::string_view sql) {
  if (sql.size() > INT_MAX) return Status(code::kInvalidArg, "sqlite: statement too long");
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK)
    return SqliteStatus(rc, "prepare \"" + std::string(sql.substr(0, 60)) + "\"", db_);
  if (stmt == nullptr) return Status(code::kInvalidArg, "sqlite: empty statement");
  return Statement(stmt);
}

Status Database::SetBusyTimeout(std::chrono::milliseconds timeout) {
  int ms = timeout.count() > INT_MAX ? INT_MAX : static_cast<int>(timeout.count());
  int rc = sqlite3_busy_timeout(db_, ms);
  if (rc != SQLITE_OK) return SqliteStatus(rc, "busy_timeout", db_);
  return Status::OK();
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int64_t Database::Changes() const { return sqlite3_changes64(db_); }
bool Database::InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }

}  // namespace ferry::sqlite
