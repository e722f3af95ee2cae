// The job database's schema and its forward migrations (internal to store).
//
// PRAGMA user_version holds the schema version. Migration N takes a database
// at version N-1 to N; Migrate() runs every missing one inside the caller's
// transaction and then sets user_version. A database newer than
// kSchemaVersion is never touched (an older ferry must not write into it).
#pragma once

#include <cstdint>

#include "lib/sqlite/database.h"

namespace ferry::store {

inline constexpr int64_t kSchemaVersion = 8;

// Brings `db` from `from_version` to kSchemaVersion. Call inside a write
// transaction; 0 <= from_version <= kSchemaVersion.
Status Migrate(sqlite::Database& db, int64_t from_version);
// Migrate, stopping at `to_version` (<= kSchemaVersion): tests build a store
// of an earlier version with it.
Status MigrateTo(sqlite::Database& db, int64_t from_version, int64_t to_version);

}  // namespace ferry::store
