// The a{sv} dictionaries of GetFileStats and GetStatistics (docs/dbus-api.md):
// one place that names each figure on the wire; the SDK reads the same keys.
#pragma once

#include <map>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "ferry/types.h"

namespace ferry::service {

// Every field of FileStats; duration both as duration_ns and duration_ms,
// status as its name ("downloading") and status_code.
std::map<std::string, sdbus::Variant> FileStatsDict(const FileStats& stats);
// month, cache_size_bytes, cache_entries, and every TransferTotals field
// twice: this_month_<field> and all_time_<field>.
std::map<std::string, sdbus::Variant> ServiceStatisticsDict(const ServiceStatistics& stats);

}  // namespace ferry::service
