// Manager::GetStatistics: the service's totals (GetStatistics' dictionary,
// docs/dbus-api.md); ListCache and ClearCache, the seeding cache.
#include <string>

#include "ferry/ferry.h"
#include "sdk/connection.h"
#include "sdk/info_reader.h"

namespace ferry {

namespace {
// The `prefix`ed keys of one period ("this_month_", "all_time_").
void ReadTotals(sdk::InfoReader& r, const std::string& prefix, TransferTotals* t) {
  auto read = [&](const char* key, uint64_t* out) { r.Read((prefix + key).c_str(), out); };
  read("total_bytes_downloaded", &t->total_bytes_downloaded);
  read("bytes_from_http", &t->bytes_from_http);
  read("bytes_from_lan_peers", &t->bytes_from_lan_peers);
  read("bytes_from_group_peers", &t->bytes_from_group_peers);
  read("bytes_from_internet_peers", &t->bytes_from_internet_peers);
  read("bytes_from_cache_server", &t->bytes_from_cache_server);
  read("bytes_to_lan_peers", &t->bytes_to_lan_peers);
  read("bytes_to_group_peers", &t->bytes_to_group_peers);
  read("bytes_to_internet_peers", &t->bytes_to_internet_peers);
  read("downloads", &t->downloads);
  read("uploads", &t->uploads);
}
}  // namespace

Status Manager::GetStatistics(ServiceStatistics* statistics) {
  return sdk::Guard([&] {
    if (!statistics) return Status(code::kInvalidArg, "statistics is null");
    sdbus::MethodReply reply = conn_->manager->GetStatisticsReply();
    sdk::Info m;
    if (Status s = sdk::ReadInfo(reply, "GetStatistics", &m); !s.ok()) return s;
    ServiceStatistics out;
    sdk::InfoReader r(m, sdk::InfoReader::Missing::kKeepDefault);
    r.Read("month", &out.month)
        .Read("cache_size_bytes", &out.cache_size_bytes)
        .Read("cache_entries", &out.cache_entries);
    ReadTotals(r, "this_month_", &out.this_month);
    ReadTotals(r, "all_time_", &out.all_time);
    if (!r.status().ok()) return r.status();
    *statistics = out;
    return Status::OK();
  });
}

Status Manager::ListCache(std::vector<CacheEntry>* entries) {
  return sdk::Guard([&] {
    if (!entries) return Status(code::kInvalidArg, "entries is null");
    sdbus::MethodReply reply = conn_->manager->ListCacheReply();
    std::vector<CacheEntry> out;
    Status s = sdk::ReadInfoList(reply, "ListCache", [&](const sdk::Info& info) {
      CacheEntry& e = out.emplace_back();
      sdk::InfoReader r(info, sdk::InfoReader::Missing::kKeepDefault);
      r.Read("content", &e.content)
          .Read("info_hash_v1", &e.info_hash_v1)
          .Read("info_hash_v2", &e.info_hash_v2)
          .Read("name", &e.name)
          .Read("size_bytes", &e.size_bytes)
          .Time("created_ns", &e.created)
          .Time("last_used_ns", &e.last_used)
          .Read("bytes_uploaded", &e.bytes_uploaded);
      return r.status();
    });
    if (s.ok()) *entries = std::move(out);
    return s;
  });
}

Status Manager::ClearCache() {
  return sdk::Guard([&] {
    conn_->manager->ClearCache();
    return Status::OK();
  });
}

}  // namespace ferry
