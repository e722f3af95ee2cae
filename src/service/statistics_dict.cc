#include "service/statistics_dict.h"

#include <string_view>

namespace ferry::service {

namespace {
using VariantMap = std::map<std::string, sdbus::Variant>;

void PutTotals(VariantMap& m, std::string_view prefix, const TransferTotals& t) {
  auto put = [&](std::string_view key, uint64_t value) {
    m[std::string(prefix) + std::string(key)] = sdbus::Variant(value);
  };
  put("total_bytes_downloaded", t.total_bytes_downloaded);
  put("bytes_from_http", t.bytes_from_http);
  put("bytes_from_lan_peers", t.bytes_from_lan_peers);
  put("bytes_from_group_peers", t.bytes_from_group_peers);
  put("bytes_from_internet_peers", t.bytes_from_internet_peers);
  put("bytes_from_cache_server", t.bytes_from_cache_server);
  put("bytes_to_lan_peers", t.bytes_to_lan_peers);
  put("bytes_to_group_peers", t.bytes_to_group_peers);
  put("bytes_to_internet_peers", t.bytes_to_internet_peers);
  put("downloads", t.downloads);
  put("uploads", t.uploads);
}
}  // namespace

VariantMap FileStatsDict(const FileStats& s) {
  VariantMap m;
  m["file_size"] = sdbus::Variant(s.file_size);
  m["total_bytes_downloaded"] = sdbus::Variant(s.total_bytes_downloaded);
  m["bytes_from_http"] = sdbus::Variant(s.bytes_from_http);
  m["bytes_from_lan_peers"] = sdbus::Variant(s.bytes_from_lan_peers);
  m["bytes_from_group_peers"] = sdbus::Variant(s.bytes_from_group_peers);
  m["bytes_from_internet_peers"] = sdbus::Variant(s.bytes_from_internet_peers);
  m["bytes_from_cache_server"] = sdbus::Variant(s.bytes_from_cache_server);
  m["bytes_to_peers"] = sdbus::Variant(s.bytes_to_peers);
  m["bytes_to_lan_peers"] = sdbus::Variant(s.bytes_to_lan_peers);
  m["bytes_to_group_peers"] = sdbus::Variant(s.bytes_to_group_peers);
  m["bytes_to_internet_peers"] = sdbus::Variant(s.bytes_to_internet_peers);
  m["http_connections"] = sdbus::Variant(s.http_connections);
  m["lan_connections"] = sdbus::Variant(s.lan_connections);
  m["group_connections"] = sdbus::Variant(s.group_connections);
  m["internet_connections"] = sdbus::Variant(s.internet_connections);
  m["cache_server_connections"] = sdbus::Variant(s.cache_server_connections);
  auto ns = static_cast<uint64_t>(s.duration.count());
  m["duration_ns"] = sdbus::Variant(ns);
  m["duration_ms"] = sdbus::Variant(ns / 1'000'000);
  m["download_mode"] = sdbus::Variant(static_cast<uint32_t>(s.download_mode));
  m["status"] = sdbus::Variant(std::string(FileStatsStatusName(s.status)));
  m["status_code"] = sdbus::Variant(static_cast<uint32_t>(s.status));
  m["background"] = sdbus::Variant(s.background);
  return m;
}

VariantMap ServiceStatisticsDict(const ServiceStatistics& s) {
  VariantMap m;
  m["month"] = sdbus::Variant(s.month);
  m["cache_size_bytes"] = sdbus::Variant(s.cache_size_bytes);
  m["cache_entries"] = sdbus::Variant(s.cache_entries);
  PutTotals(m, "this_month_", s.this_month);
  PutTotals(m, "all_time_", s.all_time);
  return m;
}

}  // namespace ferry::service
