#include "daemon/policy_settings.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>

namespace ferry::daemon {

namespace {

using nlohmann::json;

Status Bad(std::string_view key, std::string_view why) {
  return Status(code::kInvalidArg, fmt::format("configuration key \"{}\": {}", key, why));
}

Status ParseCostPolicy(std::string_view key, const json& v, uint32_t* out) {
  static const std::pair<const char*, uint32_t> kNames[] = {{"always", cost::kAlways},
                                                            {"not_roaming", cost::kNotRoaming},
                                                            {"no_surcharge", cost::kNoSurcharge},
                                                            {"standard", cost::kStandard},
                                                            {"unrestricted", cost::kUnrestricted}};
  if (v.is_string())
    for (const auto& [name, policy] : kNames)
      if (v.get<std::string>() == name) {
        *out = policy;
        return Status::OK();
      }
  return Bad(key,
             "must be one of \"always\", \"not_roaming\", \"no_surcharge\", \"standard\", "
             "\"unrestricted\"");
}

Status ParsePercent(std::string_view key, const json& v, uint32_t* out) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 100)
    return Bad(key, "must be an integer from 0 to 100");
  *out = static_cast<uint32_t>(v.get<int64_t>());
  return Status::OK();
}

// "HH:MM" -> minutes; "24:00" only as an end.
bool ParseClock(const json& v, bool end, uint32_t* minutes) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() != 5 || s[2] != ':') return false;
  for (size_t i : {0u, 1u, 3u, 4u})
    if (s[i] < '0' || s[i] > '9') return false;
  uint32_t h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end))) return false;
  *minutes = h * 60 + m;
  return true;
}

Status ParseDays(std::string_view key, const json& v, uint8_t* days) {
  static const std::array<const char*, 7> kDays = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  if (!v.is_array() || v.empty())
    return Bad(key, "\"days\" must be a non-empty list of sun, mon, ... sat");
  *days = 0;
  for (const json& d : v) {
    bool found = false;
    for (size_t i = 0; i < kDays.size(); ++i)
      if (d.is_string() && d.get<std::string>() == kDays[i]) {
        *days |= static_cast<uint8_t>(1u << i);
        found = true;
      }
    if (!found)
      return Bad(key, fmt::format("\"days\": {} is not one of sun, mon, ... sat", d.dump()));
  }
  return Status::OK();
}

Status ParseEntry(std::string_view key, const json& e, core::ScheduleEntry* out) {
  if (!e.is_object())
    return Bad(key, "each entry must be an object {days, from, to, bytes_per_second}");
  core::ScheduleEntry entry;
  for (auto& [name, v] : e.items()) {
    if (name == "days") {
      if (Status s = ParseDays(key, v, &entry.days); !s.ok()) return s;
    } else if (name == "from" || name == "to") {
      if (!ParseClock(v, name == "to", name == "from" ? &entry.from : &entry.to))
        return Bad(key, fmt::format("\"{}\" must be a time \"HH:MM\"", name));
    } else if (name == "bytes_per_second") {
      if (!v.is_number_unsigned() || v.get<uint64_t>() == 0)
        return Bad(key, "\"bytes_per_second\" must be a positive integer");
      entry.bytes_per_second = v.get<uint64_t>();
    } else {
      return Bad(key, fmt::format("unknown entry key \"{}\"", name));
    }
  }
  if (!e.contains("from") || !e.contains("to") || !e.contains("bytes_per_second"))
    return Bad(key, "each entry needs \"from\", \"to\" and \"bytes_per_second\"");
  if (entry.from == entry.to) return Bad(key, "\"from\" and \"to\" must differ");
  *out = entry;
  return Status::OK();
}

// A cache host: host[:port] (a name, an IPv4 address or a bracketed IPv6
// one), nothing else of a URL.
bool ValidCacheHost(const json& v) {
  if (!v.is_string()) return false;
  const std::string& h = v.get_ref<const std::string&>();
  if (h.empty() || h.size() > 255 || h[0] == ':') return false;
  for (char c : h)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
          c == ':' || c == '[' || c == ']'))
      return false;
  return true;
}

Status ParseSeconds(std::string_view key, const json& v, int64_t min, std::chrono::seconds* out) {
  if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > 86400)
    return Bad(key, fmt::format("must be an integer from {} to 86400 (seconds)", min));
  *out = std::chrono::seconds(v.get<int64_t>());
  return Status::OK();
}

}  // namespace

Status ParseCacheSetting(std::string_view key, const json& v, core::CacheConfig* c) {
  if (key == "cache_hosts") {
    if (!v.is_array()) return Bad(key, "must be a list of \"host[:port]\" strings");
    std::vector<std::string> hosts;
    for (const json& h : v) {
      if (!ValidCacheHost(h)) return Bad(key, fmt::format("{} is not a \"host[:port]\"", h.dump()));
      hosts.push_back(h.get<std::string>());
    }
    c->hosts = std::move(hosts);
    return Status::OK();
  }
  if (key == "cache_host_connect_timeout") return ParseSeconds(key, v, 1, &c->connect_timeout);
  if (key == "cache_host_fallback") return ParseSeconds(key, v, 0, &c->fallback);
  if (key == "cache_host_allow_authorization") {
    if (!v.is_boolean()) return Bad(key, "must be true or false");
    c->allow_authorization = v.get<bool>();
    return Status::OK();
  }
  return Status(code::kInvalidArg, fmt::format("unknown configuration key \"{}\"", key));
}

Status ParsePolicySetting(std::string_view key, const json& v, core::PolicyConfig* p) {
  if (key == "background_cost_policy") return ParseCostPolicy(key, v, &p->background_cost_policy);
  if (key == "min_battery_percent_for_background")
    return ParsePercent(key, v, &p->min_battery_percent_for_background);
  if (key == "min_battery_percent_to_upload")
    return ParsePercent(key, v, &p->min_battery_percent_to_upload);
  if (key == "monthly_upload_cap") {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
      return Bad(key, "must be a number of bytes (0: no cap)");
    p->monthly_upload_cap = v.get<uint64_t>();
    return Status::OK();
  }
  if (key == "background_limit_schedule") {
    if (!v.is_array()) return Bad(key, "must be a list of {days, from, to, bytes_per_second}");
    std::vector<core::ScheduleEntry> entries;
    for (const json& e : v) {
      core::ScheduleEntry entry;
      if (Status s = ParseEntry(key, e, &entry); !s.ok()) return s;
      entries.push_back(entry);
    }
    p->background_limit_schedule = std::move(entries);
    return Status::OK();
  }
  return Status(code::kInvalidArg, fmt::format("unknown configuration key \"{}\"", key));
}

namespace {

Status ParseDownloadMode(std::string_view key, const json& v, DownloadMode* out) {
  if (v.is_number_integer()) {
    int64_t n = v.get<int64_t>();
    if (n >= 0 && n <= UINT32_MAX && IsDownloadMode(static_cast<uint32_t>(n))) {
      *out = static_cast<DownloadMode>(n);
      return Status::OK();
    }
  }
  return Bad(key, "must be 0 (HTTP only), 1 (LAN), 2 (Group), 3 (Internet), 99 (Simple) or "
                  "100 (Bypass)");
}

bool IsTrackerUrl(const json& t) {
  if (!t.is_string()) return false;
  const std::string& url = t.get_ref<const std::string&>();
  for (std::string_view scheme : {"http://", "https://", "udp://"})
    if (url.size() > scheme.size() && url.compare(0, scheme.size(), scheme) == 0) return true;
  return false;
}

}  // namespace

Status ParsePeeringSetting(std::string_view key, const json& v, core::PeeringConfig* p) {
  if (key == "download_mode") return ParseDownloadMode(key, v, &p->mode);
  if (key == "group_id") {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 256)
      return Bad(key, "must be a string of at most 256 characters");
    p->group_id = v.get<std::string>();
    return Status::OK();
  }
  if (key == "trackers") {
    if (!v.is_array()) return Bad(key, "must be a list of http://, https:// or udp:// URLs");
    std::vector<std::string> urls;
    for (const json& t : v) {
      if (!IsTrackerUrl(t)) return Bad(key, fmt::format("{} is not a tracker URL", t.dump()));
      urls.push_back(t.get<std::string>());
    }
    p->trackers = std::move(urls);
    return Status::OK();
  }
  if (key == "min_file_size_to_peer") {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
      return Bad(key, "must be a non-negative integer (bytes)");
    p->min_file_size = v.get<uint64_t>();
    return Status::OK();
  }
  if (key == "delay_background_http") return ParseSeconds(key, v, 0, &p->delay_background);
  if (key == "delay_foreground_http") return ParseSeconds(key, v, 0, &p->delay_foreground);
  return Status(code::kInvalidArg, fmt::format("unknown configuration key \"{}\"", key));
}

}  // namespace ferry::daemon
