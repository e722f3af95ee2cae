// Transaction: a scope guard for BEGIN … COMMIT. Destroying an uncommitted
// Transaction rolls it back (errors of the rollback are ignored: SQLite has
// then already rolled back itself).
#pragma once

#include "lib/sqlite/database.h"
#include "util/result.h"

namespace ferry::sqlite {

class Transaction {
 public:
  enum class Mode {
    kDeferred,   // BEGIN: locks on first access
    kImmediate,  // BEGIN IMMEDIATE: takes the write lock now (writers use this)
    kExclusive,  // BEGIN EXCLUSIVE
  };

  // Starts a transaction on `db`, which must outlive the Transaction.
  static Result<Transaction> Begin(Database& db, Mode mode = Mode::kImmediate);

  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // COMMIT. On failure the transaction is rolled back (by SQLite or by the
  // destructor) and nothing of it is applied. Call at most once.
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;  // null once committed or moved from
};

}  // namespace ferry::sqlite
