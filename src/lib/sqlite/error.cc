#include "lib/sqlite/error.h"

#include <sqlite3.h>

#include <string>

namespace ferry::sqlite {

int32_t CodeFromSqlite(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return kCodeCorrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return kCodeBusy;
    case SQLITE_CANTOPEN:
      return kCodeCannotOpen;
    case SQLITE_FULL:
      return code::FromWin32(112);
    case SQLITE_READONLY:
      return code::FromWin32(19);
    case SQLITE_IOERR:
      return code::FromWin32(1117);
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return code::kAccessDenied;
    default:
      return code::kUnexpected;
  }
}

Status SqliteStatus(int rc, std::string_view what, sqlite3* db) {
  std::string msg = "sqlite: ";
  msg.append(what);
  msg += ": ";
  // sqlite3_errmsg describes the most recent failure on `db`, which is `rc`'s
  // when called right after it; errstr is the generic text otherwise.
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += " (" + std::to_string(rc) + ")";
  return Status(CodeFromSqlite(rc), std::move(msg));
}

}  // namespace ferry::sqlite
