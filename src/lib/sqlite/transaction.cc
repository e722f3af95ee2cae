#include "lib/sqlite/transaction.h"

#include <utility>

namespace ferry::sqlite {

Result<Transaction> Transaction::Begin(Database& db, Mode mode) {
  const char* sql = mode == Mode::kImmediate   ? "BEGIN IMMEDIATE"
                    : mode == Mode::kExclusive ? "BEGIN EXCLUSIVE"
                                               : "BEGIN";
  Status st = db.Exec(sql);
  if (!st.ok()) return st;
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  // After a failed COMMIT (e.g. SQLITE_FULL) SQLite may already have rolled
  // back; only roll back what is still open.
  if (db_ != nullptr && !db_->InAutocommit()) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  if (db_ == nullptr) return Status(code::kUnexpected, "sqlite: commit of a finished transaction");
  Status st = db_->Exec("COMMIT");
  if (!st.ok()) {
    if (!db_->InAutocommit()) (void)db_->Exec("ROLLBACK");
    db_ = nullptr;
    return st;
  }
  db_ = nullptr;
  return Status::OK();
}

}  // namespace ferry::sqlite
