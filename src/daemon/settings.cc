#include "daemon/settings.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/policy_settings.h"

namespace ferry::daemon {

namespace {
using nlohmann::json;

Status Bad(std::string_view key, std::string_view why) {
  return Status(code::kInvalidArg, fmt::format("configuration key \"{}\": {}", key, why));
}

template <typename T>
Status GetUnsigned(const json& v, std::string_view key, uint64_t min, uint64_t max, T* out) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    return Bad(key, "must be a non-negative integer");
  uint64_t x = v.get<uint64_t>();
  if (x < min || x > max) return Bad(key, fmt::format("must be between {} and {}", min, max));
  *out = static_cast<T>(x);
  return Status::OK();
}

// peer_listen_port, peer_listen_addresses, peer_local_discovery, peer_utp, torrent_module,
// and the seeding cache's max_cache_age, max_cache_size_percent,
// absolute_max_cache_size, max_upload_rate.
Status ParsePeerSetting(const std::string& key, const json& v, transfer::PeerSettings* p) {
  if (key == "peer_listen_port") return GetUnsigned(v, key, 0, 65535, &p->listen_port);
  if (key == "peer_local_discovery") {
    if (!v.is_boolean()) return Bad(key, "must be true or false");
    p->local_service_discovery = v.get<bool>();
    return Status::OK();
  }
  if (key == "peer_utp") {
    if (!v.is_boolean()) return Bad(key, "must be true or false");
    p->utp = v.get<bool>();
    return Status::OK();
  }
  if (key == "peer_listen_addresses") {
    if (!v.is_array() || v.empty()) return Bad(key, "must be a non-empty array of addresses");
    std::vector<std::string> addresses;
    for (const json& a : v) {
      if (!a.is_string() || a.get<std::string>().empty())
        return Bad(key, "must be a non-empty array of addresses");
      addresses.push_back(a.get<std::string>());
    }
    p->listen_addresses = std::move(addresses);
    return Status::OK();
  }
  if (key == "max_cache_age") {
    uint64_t seconds = 0;
    Status st = GetUnsigned(v, key, 0, UINT32_MAX, &seconds);
    p->cache.max_age = std::chrono::seconds(seconds);
    return st;
  }
  if (key == "max_cache_size_percent") return GetUnsigned(v, key, 0, 100, &p->cache.max_size_percent);
  if (key == "absolute_max_cache_size")
    return GetUnsigned(v, key, 0, UINT64_MAX, &p->cache.absolute_max_size);
  if (key == "max_upload_rate") return GetUnsigned(v, key, 0, INT32_MAX, &p->max_upload_rate);
  if (key == "torrent_module") {
    if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>()[0] != '/')
      return Bad(key, "must be an absolute path");
    p->module_path = v.get<std::string>();
    return Status::OK();
  }
  return Status(code::kInvalidArg, fmt::format("unknown configuration key \"{}\"", key));
}
// ferryd's own keys (not the engine's): conditions_bus, log_level,
// status_interval_seconds, clock_offset_seconds.
Status ParseDaemonSetting(const std::string& key, const json& v, Settings* s) {
  if (key == "conditions_bus") {
    if (!v.is_string() || v.get<std::string>().empty())
      return Bad(key, "must be \"system\", \"none\", \"service\" or a D-Bus address");
    s->conditions_bus = v.get<std::string>();
  } else if (key == "log_level") {
    if (!v.is_string()) return Bad(key, "must be a string");
    s->log_level = v.get<std::string>();
  } else if (key == "status_interval_seconds") {
    uint64_t tmp = 0;
    if (Status st = GetUnsigned(v, key, 1, 3600, &tmp); !st.ok()) return st;
    s->status_interval = std::chrono::seconds(tmp);
  } else {  // clock_offset_seconds
    if (!v.is_number_integer()) return Bad(key, "must be an integer (seconds, may be negative)");
    int64_t off = v.get<int64_t>();
    if (off < -(int64_t{1} << 40) || off > (int64_t{1} << 40)) return Bad(key, "is out of range");
    s->clock_offset = std::chrono::seconds(off);
  }
  return Status::OK();
}
}  // namespace

Status ParseSettings(std::string_view text, Settings* out) {
  Settings parsed = *out;  // stored only when the whole document is valid
  Settings* s = &parsed;
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false,
                         /*ignore_comments=*/true);
  if (doc.is_discarded()) return Status(code::kInvalidArg, "the configuration is not valid JSON");
  if (!doc.is_object()) return Status(code::kInvalidArg, "the configuration must be a JSON object");
  core::EngineConfig& e = s->engine;
  constexpr uint64_t k32 = UINT32_MAX;
  for (auto& [key, v] : doc.items()) {
    Status st;
    uint64_t tmp = 0;
    if (key == "max_jobs_per_user") {
      st = GetUnsigned(v, key, 1, k32, &e.max_jobs_per_user);
    } else if (key == "max_files_per_job") {
      st = GetUnsigned(v, key, 1, k32, &e.max_files_per_job);
    } else if (key == "max_ranges_per_file") {
      st = GetUnsigned(v, key, 1, k32, &e.max_ranges_per_file);
    } else if (key == "max_job_age_seconds") {
      st = GetUnsigned(v, key, 1, UINT64_MAX / 1000000000, &tmp);
      e.max_job_age = std::chrono::seconds(tmp);
    } else if (key == "min_retry_delay_floor_seconds") {
      st = GetUnsigned(v, key, 0, k32, &tmp);
      e.min_retry_delay_floor = std::chrono::seconds(tmp);
    } else if (key == "checkpoint_bytes") {
      st = GetUnsigned(v, key, 64 * 1024, UINT64_MAX, &e.checkpoint_bytes);
    } else if (key == "checkpoint_interval_ms") {
      st = GetUnsigned(v, key, 10, k32, &tmp);
      e.checkpoint_interval = std::chrono::milliseconds(tmp);
    } else if (key == "write_buffer_bytes") {
      st = GetUnsigned(v, key, 64 * 1024, 1ull << 30, &e.write_buffer_bytes);
    } else if (key == "max_background_transfers") {
      st = GetUnsigned(v, key, 1, k32, &e.max_background_transfers);
    } else if (key == "time_slice_seconds") {
      st = GetUnsigned(v, key, 1, k32, &tmp);
      e.time_slice = std::chrono::seconds(tmp);
    } else if (key == "background_limit") {
      st = GetUnsigned(v, key, 0, UINT64_MAX, &e.background_limit);
    } else if (key == "foreground_limit") {
      st = GetUnsigned(v, key, 0, UINT64_MAX, &e.foreground_limit);
    } else if (key == "progress_coalesce_ms") {
      st = GetUnsigned(v, key, 0, k32, &tmp);
      e.progress_coalesce = std::chrono::milliseconds(tmp);
    } else if (key == "connect_timeout_seconds") {
      st = GetUnsigned(v, key, 1, k32, &tmp);
      e.connect_timeout = std::chrono::seconds(tmp);
    } else if (key == "ca_file") {
      if (!v.is_string()) return Bad(key, "must be a string (a path)");
      e.ca_file = v.get<std::string>();
      if (!e.ca_file.empty() && e.ca_file[0] != '/') return Bad(key, "must be an absolute path");
    } else if (key == "background_cost_policy" || key == "min_battery_percent_for_background" ||
               key == "min_battery_percent_to_upload" || key == "background_limit_schedule" ||
               key == "monthly_upload_cap") {
      st = ParsePolicySetting(key, v, &e.policy);
    } else if (key == "cache_hosts" || key == "cache_host_connect_timeout" ||
               key == "cache_host_fallback" || key == "cache_host_allow_authorization") {
      st = ParseCacheSetting(key, v, &e.cache);
    } else if (key == "download_mode" || key == "group_id" || key == "trackers" ||
               key == "min_file_size_to_peer" || key == "delay_background_http" ||
               key == "delay_foreground_http") {
      st = ParsePeeringSetting(key, v, &e.peering);
    } else if (key == "conditions_bus" || key == "log_level" || key == "status_interval_seconds" ||
               key == "clock_offset_seconds") {
      st = ParseDaemonSetting(key, v, s);
    } else if (key.rfind("peer_", 0) == 0 || key == "torrent_module" || key == "max_cache_age" ||
               key == "max_cache_size_percent" || key == "absolute_max_cache_size" ||
               key == "max_upload_rate") {
      st = ParsePeerSetting(key, v, &s->peers);
    } else {
      return Status(code::kInvalidArg, fmt::format("unknown configuration key \"{}\"", key));
    }
    if (!st.ok()) return st;
  }
  *out = std::move(parsed);
  return Status::OK();
}

Status LoadSettings(const std::string& path, Settings* s) {
  std::ifstream in(path);
  if (!in)
    return Status(code::kInvalidArg, fmt::format("cannot read the configuration file {}", path));
  std::ostringstream buf;
  buf << in.rdbuf();
  Status st = ParseSettings(buf.str(), s);
  if (!st.ok()) return Status(st.code(), fmt::format("{}: {}", path, st.message()));
  return Status::OK();
}

}  // namespace ferry::daemon
