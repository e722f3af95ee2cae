// How SQLite failures become ferry::Status: the closest Win32 error as an
// HRESULT, with SQLite's own message. Internal to lib/sqlite, except for the
// code constants, which callers compare against.
#pragma once

#include <string_view>

#include "ferry/status.h"

struct sqlite3;

namespace ferry::sqlite {

// SQLITE_CORRUPT / SQLITE_NOTADB: ERROR_FILE_CORRUPT.
inline constexpr int32_t kCodeCorrupt = code::FromWin32(1392);
// SQLITE_BUSY / SQLITE_LOCKED: ERROR_LOCK_VIOLATION (another process holds the database).
inline constexpr int32_t kCodeBusy = code::FromWin32(33);
// SQLITE_CANTOPEN: ERROR_OPEN_FAILED.
inline constexpr int32_t kCodeCannotOpen = code::FromWin32(110);
// Also: SQLITE_FULL -> ERROR_DISK_FULL, SQLITE_READONLY -> ERROR_WRITE_PROTECT,
// SQLITE_IOERR -> ERROR_IO_DEVICE, SQLITE_PERM/AUTH -> E_ACCESSDENIED,
// SQLITE_MISUSE/RANGE/anything else -> E_UNEXPECTED.

// The ferry code for an SQLite (primary or extended) result code.
int32_t CodeFromSqlite(int rc);
// A failed Status: "sqlite: <what>: <message> (<rc name>)". `db` may be null;
// when given, its sqlite3_errmsg is the message.
Status SqliteStatus(int rc, std::string_view what, sqlite3* db);

}  // namespace ferry::sqlite
