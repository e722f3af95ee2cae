// The policy keys of ferryd's configuration (src/daemon/policy_settings,
// docs/configuration.md) and --conditions-bus.
#include <gtest/gtest.h>

#include "daemon/ferryd.h"
#include "daemon/settings.h"

namespace ferry::daemon {
namespace {

TEST(PolicySettingsTest, Defaults) {
  Settings s;
  EXPECT_EQ(s.engine.policy.background_cost_policy, cost::kUnrestricted);
  EXPECT_EQ(s.engine.policy.min_battery_percent_for_background, 20u);
  EXPECT_EQ(s.engine.policy.min_battery_percent_to_upload, 0u);
  EXPECT_EQ(s.engine.policy.monthly_upload_cap, 20ull << 30);
  EXPECT_TRUE(s.engine.policy.background_limit_schedule.empty());
}

TEST(PolicySettingsTest, ParsesEveryKey) {
  Settings s;
  Status st = ParseSettings(R"({
    "background_cost_policy": "standard",
    "min_battery_percent_for_background": 35,
    "min_battery_percent_to_upload": 80,
    "monthly_upload_cap": 107374182400,
    "background_limit_schedule": [
      {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "17:30", "bytes_per_second": 100000},
      {"from": "22:00", "to": "24:00", "bytes_per_second": 5}
    ],
    "conditions_bus": "none"})",
                            &s);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const core::PolicyConfig& p = s.engine.policy;
  EXPECT_EQ(p.background_cost_policy, cost::kStandard);
  EXPECT_EQ(p.min_battery_percent_for_background, 35u);
  EXPECT_EQ(p.min_battery_percent_to_upload, 80u);
  EXPECT_EQ(p.monthly_upload_cap, 100ull << 30);
  ASSERT_EQ(p.background_limit_schedule.size(), 2u);
  EXPECT_EQ(p.background_limit_schedule[0],
            (core::ScheduleEntry{0x3E, 8 * 60, 17 * 60 + 30, 100000}));
  EXPECT_EQ(p.background_limit_schedule[1], (core::ScheduleEntry{0x7F, 22 * 60, 24 * 60, 5}));
  EXPECT_EQ(s.conditions_bus, "none");
}

TEST(PolicySettingsTest, BadValuesAreRefusedAndChangeNothing) {
  const char* bad[] = {
      R"({"background_cost_policy": "cheap"})",
      R"({"background_cost_policy": 33})",
      R"({"min_battery_percent_for_background": 101})",
      R"({"min_battery_percent_for_background": -1})",
      R"({"min_battery_percent_to_upload": "50"})",
      R"({"monthly_upload_cap": -1})",
      R"({"monthly_upload_cap": 1.5})",
      R"({"monthly_upload_cap": "20GB"})",
      R"({"background_limit_schedule": {}})",
      R"({"background_limit_schedule": [{"from": "8:00", "to": "17:00", "bytes_per_second": 1}]})",
      R"({"background_limit_schedule": [{"from": "08:00", "to": "24:01", "bytes_per_second": 1}]})",
      R"({"background_limit_schedule": [{"from": "24:00", "to": "08:00", "bytes_per_second": 1}]})",
      R"({"background_limit_schedule": [{"from": "08:00", "to": "08:00", "bytes_per_second": 1}]})",
      R"({"background_limit_schedule": [{"from": "08:00", "to": "09:00", "bytes_per_second": 0}]})",
      R"({"background_limit_schedule": [{"from": "08:00", "to": "09:00"}]})",
      R"({"background_limit_schedule": [{"days": ["monday"], "from": "08:00", "to": "09:00", "bytes_per_second": 1}]})",
      R"({"background_limit_schedule": [{"days": [], "from": "08:00", "to": "09:00", "bytes_per_second": 1}]})",
      R"({"background_limit_schedule": [{"from": "08:00", "to": "09:00", "bytes_per_second": 1, "x": 1}]})",
      R"({"conditions_bus": ""})",
  };
  for (const char* doc : bad) {
    Settings s;
    Status st = ParseSettings(doc, &s);
    EXPECT_EQ(st.code(), code::kInvalidArg) << doc;
    EXPECT_EQ(s.engine.policy.background_cost_policy, cost::kUnrestricted) << doc;
    EXPECT_EQ(s.engine.policy.min_battery_percent_for_background, 20u) << doc;
    EXPECT_TRUE(s.engine.policy.background_limit_schedule.empty()) << doc;
  }
}

TEST(PolicySettingsTest, CacheServerKeys) {
  Settings s;
  EXPECT_TRUE(s.engine.cache.hosts.empty());
  EXPECT_EQ(s.engine.cache.connect_timeout, std::chrono::seconds(3));
  EXPECT_EQ(s.engine.cache.fallback, std::chrono::seconds(0));
  EXPECT_FALSE(s.engine.cache.allow_authorization);
  Status st = ParseSettings(R"({
    "cache_hosts": ["cache.example", "10.0.0.5:8080", "[fd00::1]:80"],
    "cache_host_connect_timeout": 2,
    "cache_host_fallback": 60,
    "cache_host_allow_authorization": true})",
                            &s);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(s.engine.cache.hosts,
            (std::vector<std::string>{"cache.example", "10.0.0.5:8080", "[fd00::1]:80"}));
  EXPECT_EQ(s.engine.cache.connect_timeout, std::chrono::seconds(2));
  EXPECT_EQ(s.engine.cache.fallback, std::chrono::seconds(60));
  EXPECT_TRUE(s.engine.cache.allow_authorization);

  const char* bad[] = {
      R"({"cache_hosts": "cache.example"})",
      R"({"cache_hosts": ["http://cache.example/"]})",
      R"({"cache_hosts": [""]})",
      R"({"cache_hosts": ["a b"]})",
      R"({"cache_hosts": ["user@cache"]})",
      R"({"cache_hosts": [8080]})",
      R"({"cache_host_connect_timeout": 0})",
      R"({"cache_host_connect_timeout": "3"})",
      R"({"cache_host_fallback": -1})",
      R"({"cache_host_fallback": 86401})",
      R"({"cache_host_allow_authorization": 1})",
      R"({"cache_hosts": ["ok"], "cache_host_fallback": -1})",
  };
  for (const char* doc : bad) {
    Settings fresh;
    EXPECT_EQ(ParseSettings(doc, &fresh).code(), code::kInvalidArg) << doc;
    EXPECT_TRUE(fresh.engine.cache.hosts.empty()) << doc;
    EXPECT_EQ(fresh.engine.cache.connect_timeout, std::chrono::seconds(3)) << doc;
    EXPECT_EQ(fresh.engine.cache.fallback, std::chrono::seconds(0)) << doc;
  }
}

TEST(PolicySettingsTest, ConditionsBusFlagOverridesTheSetting) {
  Options o;
  Settings s;
  EXPECT_EQ(ConditionsBus(o, s), std::optional<std::string>(""));  // the system bus
  s.conditions_bus = "none";
  EXPECT_EQ(ConditionsBus(o, s), std::nullopt);
  o.conditions_bus = "unix:path=/tmp/x";
  EXPECT_EQ(ConditionsBus(o, s), std::optional<std::string>("unix:path=/tmp/x"));
  o.conditions_bus = "service";
  o.bus_address = "unix:path=/tmp/bus";
  EXPECT_EQ(ConditionsBus(o, s), std::optional<std::string>("unix:path=/tmp/bus"));
  ASSERT_TRUE(ParseOptions({"--conditions-bus", "none"}, &o).ok());
  EXPECT_EQ(o.conditions_bus, "none");
}

TEST(PolicySettingsTest, PeeringKeys) {
  Settings s;
  EXPECT_EQ(s.engine.peering.mode, DownloadMode::kLan);
  EXPECT_EQ(s.engine.peering.min_file_size, 50ull << 20);
  ASSERT_TRUE(ParseSettings(R"({"download_mode": 2, "group_id": "lab",
    "trackers": ["http://10.0.0.1:6969/announce", "udp://t.example:80"],
    "min_file_size_to_peer": 1048576, "delay_background_http": 30,
    "delay_foreground_http": 0})",
                            &s)
                  .ok());
  EXPECT_EQ(s.engine.peering.mode, DownloadMode::kGroup);
  EXPECT_EQ(s.engine.peering.group_id, "lab");
  EXPECT_EQ(s.engine.peering.trackers.size(), 2u);
  EXPECT_EQ(s.engine.peering.min_file_size, 1048576u);
  EXPECT_EQ(s.engine.peering.delay_background, std::chrono::seconds(30));
  EXPECT_EQ(s.engine.peering.delay_foreground, std::chrono::seconds(0));
  const char* bad[] = {
      R"({"download_mode": 4})",          R"({"download_mode": "1"})",
      R"({"group_id": 7})",               R"({"trackers": "http://t/announce"})",
      R"({"trackers": ["ftp://t/a"]})",   R"({"min_file_size_to_peer": -1})",
      R"({"delay_background_http": 86401})", R"({"delay_foreground_http": -1})",
  };
  for (const char* doc : bad) {
    Settings fresh;
    EXPECT_EQ(ParseSettings(doc, &fresh).code(), code::kInvalidArg) << doc;
    EXPECT_EQ(fresh.engine.peering.mode, DownloadMode::kLan) << doc;
    EXPECT_TRUE(fresh.engine.peering.trackers.empty()) << doc;
  }
}

}  // namespace
}  // namespace ferry::daemon
