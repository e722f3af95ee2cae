// The configuration keys of the network-aware policy (policy.md §2-3,
// docs/configuration.md): background_cost_policy,
// min_battery_percent_for_background, min_battery_percent_to_upload,
// monthly_upload_cap and background_limit_schedule; and of the cache servers (policy.md §4):
// cache_hosts, cache_host_connect_timeout, cache_host_fallback and
// cache_host_allow_authorization.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/fetch_policy.h"
#include "core/policy.h"
#include "ferry/status.h"

namespace ferry::daemon {

// Parses one of the keys above into `policy`. E_INVALIDARG naming the key
// on a wrong type or value; `policy` may then be partly changed (the caller
// keeps the whole document's result only when every key is valid).
Status ParsePolicySetting(std::string_view key, const nlohmann::json& value,
                          core::PolicyConfig* policy);

// Parses one of the cache-server keys into `cache`, as ParsePolicySetting.
Status ParseCacheSetting(std::string_view key, const nlohmann::json& value,
                         core::CacheConfig* cache);

// Parses one of the peering keys (do-download.md §4, docs/peering.md):
// download_mode, group_id, trackers, min_file_size_to_peer,
// delay_background_http, delay_foreground_http; as ParsePolicySetting.
Status ParsePeeringSetting(std::string_view key, const nlohmann::json& value,
                           core::PeeringConfig* peering);

}  // namespace ferry::daemon
