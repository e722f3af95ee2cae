// Rows <-> records for SqliteJobStore (internal to store). The column lists
// here are the single place that pairs a record field with a column; the
// INSERT and SELECT statements are built from them, so they cannot drift.
#pragma once

#include <string>
#include <string_view>

#include "core/ports.h"
#include "lib/sqlite/statement.h"

namespace ferry::store {

extern const char kJobColumns[];
extern const char kFileColumns[];
extern const char kHistoryColumns[];  // without seq
extern const char kStatisticsColumns[];

// "?,?,…" with one placeholder per column of `columns`.
std::string Placeholders(std::string_view columns);
// "INSERT INTO table (columns) VALUES (?,…) ON CONFLICT (key) DO UPDATE SET
// c = excluded.c, …" for every column not in `key` (comma-separated names).
std::string UpsertSql(std::string_view table, std::string_view columns, std::string_view key);

// Bind every column of kJobColumns / kFileColumns / kHistoryColumns from 1.
void BindJob(sqlite::Statement& s, const core::JobRecord& job);
void BindFile(sqlite::Statement& s, const Guid& job, const core::FileRecord& file);
void BindHistory(sqlite::Statement& s, const core::HistoryRecord& h);

// Read a row selected with the same column list. A value that cannot be a
// record field (bad id, enum out of range, malformed ranges) is an error with
// the corrupt-database code. ReadJob leaves `files` empty.
Status ReadJob(const sqlite::Statement& s, core::JobRecord* job);
Status ReadFile(const sqlite::Statement& s, core::FileRecord* file);
Status ReadHistory(const sqlite::Statement& s, core::HistoryRecord* h);
// One row of `statistics`: a period ("all_time", "this_month"), its month
// (YYYYMM, 0 for all_time) and its sums.
void BindStatistics(sqlite::Statement& s, std::string_view period, uint32_t month,
                    const TransferTotals& totals);
Status ReadStatistics(const sqlite::Statement& s, std::string* period, uint32_t* month,
                      TransferTotals* totals);

// Helpers shared with the store.
std::span<const std::byte> GuidBytes(const Guid& id);
std::string EncodeRanges(const std::vector<FileRange>& ranges);
bool DecodeRanges(std::string_view text, std::vector<FileRange>* ranges);

}  // namespace ferry::store
