#include "lib/sqlite/statement.h"

#include <sqlite3.h>

#include <climits>
#include <utility>

#include "lib/sqlite/error.h"

namespace ferry::sqlite {

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      bind_error_(other.bind_error_),
      bind_error_index_(other.bind_error_index_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_error_ = other.bind_error_;
    bind_error_index_ = other.bind_error_index_;
  }
  return *this;
}

void Statement::Keep(int rc, int index) {
  if (rc != SQLITE_OK && bind_error_ == 0) {
    bind_error_ = rc;
    bind_error_index_ = index;
  }
}

Statement& Statement::BindInt64(int index, int64_t value) {
  Keep(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindText(int index, std::string_view value) {
  if (value.size() > INT_MAX) {
    Keep(SQLITE_TOOBIG, index);
    return *this;
  }
  // A non-null pointer even for "": a null one would bind SQL NULL.
  const char* p = value.data() != nullptr ? value.data() : "";
  Keep(sqlite3_bind_text(stmt_, index, p, static_cast<int>(value.size()), SQLITE_TRANSIENT), index);
  return *this;
}

Statement& Statement::BindBlob(int index, std::span<const std::byte> value) {
  if (value.empty()) {
    Keep(sqlite3_bind_zeroblob(stmt_, index, 0), index);
  } else if (value.size() > INT_MAX) {
    Keep(SQLITE_TOOBIG, index);
  } else {
    Keep(sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()),
                           SQLITE_TRANSIENT),
         index);
  }
  return *this;
}

Statement& Statement::BindNull(int index) {
  Keep(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<bool> Statement::Step() {
  if (stmt_ == nullptr) return Status(code::kUnexpected, "sqlite: step on an empty statement");
  if (bind_error_ != 0) {
    return SqliteStatus(bind_error_, "bind parameter " + std::to_string(bind_error_index_),
                        sqlite3_db_handle(stmt_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const char* sql = sqlite3_sql(stmt_);
  std::string what = "step \"" + std::string(sql ? sql : "").substr(0, 60) + "\"";
  return SqliteStatus(rc, what, sqlite3_db_handle(stmt_));
}

Status Statement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) {
      Reset();
      return row.status();
    }
    if (!*row) break;
  }
  Reset();
  return Status::OK();
}

void Statement::Reset() {
  if (stmt_ == nullptr) return;
  // sqlite3_reset repeats the last step's error, which Step already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
  bind_error_index_ = 0;
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);  // after _text, as SQLite's docs ask
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

std::vector<std::byte> Statement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  const auto* b = static_cast<const std::byte*>(p);
  return std::vector<std::byte>(b, b + n);
}

}  // namespace ferry::sqlite
