// Statement: one compiled SQL statement (RAII; finalized by the destructor).
// Movable, not copyable; must not outlive its Database.
//
// Binding: parameters are numbered from 1 (SQLite's convention), text and
// blobs are copied. A bind never fails by itself: the first bind error (bad
// index, out of memory) is kept and returned by the next Step(), so a caller
// binds a row and checks once.
//
// Columns are numbered from 0 and read the current row after Step() returned
// true; a NULL reads as 0 / "" / empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

struct sqlite3_stmt;

namespace ferry::sqlite {

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& BindInt64(int index, int64_t value);
  Statement& BindText(int index, std::string_view value);
  Statement& BindBlob(int index,
                      std::span<const std::byte> value);  // empty: a zero-length blob, not NULL
  Statement& BindNull(int index);

  // Runs to the next row: true when a row is ready, false when the
  // statement is done. Errors: the kept bind error, or SQLite's.
  Result<bool> Step();
  // Step()s until done, ignoring rows (INSERT/UPDATE/DELETE), then Reset()s.
  Status Run();
  // Rewinds the statement for another execution and clears every binding
  // and any kept bind error.
  void Reset();

  int ColumnCount() const;
  bool ColumnIsNull(int col) const;
  int64_t ColumnInt64(int col) const;
  std::string ColumnText(int col) const;
  std::vector<std::byte> ColumnBlob(int col) const;

  bool valid() const { return stmt_ != nullptr; }

 private:
  void Keep(int rc, int index);
  sqlite3_stmt* stmt_ = nullptr;
  int bind_error_ = 0;  // first failing sqlite3_bind_* result, 0 when none
  int bind_error_index_ = 0;
};

}  // namespace ferry::sqlite
