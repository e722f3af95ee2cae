// core/policy.h as rows: which block holds a job under which conditions,
// download cost policies, uploads on battery, business-hours schedules.
#include "core/policy.h"

#include <gtest/gtest.h>

#include "core/ports.h"

namespace ferry::test {
namespace {

using core::MachineState;
using core::PolicyConfig;
namespace cs = core::cost_state;

MachineState Metered() {
  MachineState m;
  m.network_known = true;
  m.metered = true;
  m.cost_bits = cs::kCappedUsageUnknown;
  m.connectivity = core::Connectivity::kFull;
  return m;
}

core::JobRecord Job(JobPriority p, uint32_t policy = core::kCostPolicyDefault) {
  core::JobRecord r;
  r.priority = p;
  r.cost_policy = policy;
  return r;
}

struct BlockRow {
  const char* name;
  JobPriority priority;
  uint32_t policy;
  MachineState machine;
  int32_t want;
};

MachineState Battery(double percent) {
  MachineState m;
  m.power_known = true;
  m.on_battery = true;
  m.battery_percent = percent;
  return m;
}

MachineState Offline() {
  MachineState m;
  m.network_known = true;
  m.connectivity = core::Connectivity::kNone;
  return m;
}

MachineState Cellular() {
  MachineState m = Metered();
  m.cellular = true;
  m.link_type = "gsm";
  return m;
}

TEST(PolicyTest, BlockOfRows) {
  const BlockRow rows[] = {
      {"nothing known", JobPriority::kNormal, core::kCostPolicyDefault, MachineState{}, 0},
      {"metered, background default", JobPriority::kNormal, core::kCostPolicyDefault, Metered(),
       code::kBlockedByCostPolicy},
      {"metered, foreground default", JobPriority::kForeground, core::kCostPolicyDefault, Metered(),
       0},
      {"metered, foreground UNRESTRICTED", JobPriority::kForeground, cost::kUnrestricted, Metered(),
       code::kBlockedByCostPolicy},
      {"metered, STANDARD", JobPriority::kLow, cost::kStandard, Metered(), 0},
      {"metered, ALWAYS", JobPriority::kLow, cost::kAlways, Metered(), 0},
      {"offline, foreground ALWAYS", JobPriority::kForeground, cost::kAlways, Offline(),
       code::kBlockedByNoNetwork},
      {"cellular, no-cellular", JobPriority::kNormal, cost::kAlways | core::kCostNoCellular,
       Cellular(), code::kBlockedByCellularPolicy},
      {"cellular, ALWAYS", JobPriority::kNormal, cost::kAlways, Cellular(), 0},
      {"battery 19%", JobPriority::kNormal, cost::kAlways, Battery(19), code::kBlockedByPowerState},
      {"battery 20%", JobPriority::kNormal, cost::kAlways, Battery(20), 0},
      {"battery 5%, foreground", JobPriority::kForeground, core::kCostPolicyDefault, Battery(5), 0},
      {"battery, charge unknown", JobPriority::kNormal, cost::kAlways,
       [] {
         MachineState m = Battery(0);
         m.battery_percent.reset();
         return m;
       }(),
       0},
  };
  PolicyConfig config;
  for (const BlockRow& r : rows)
    EXPECT_EQ(core::BlockOf(Job(r.priority, r.policy), r.machine, config), r.want) << r.name;
}

TEST(PolicyTest, BackgroundCostPolicySettingIsTheBackgroundDefault) {
  PolicyConfig config;
  EXPECT_EQ(core::EffectiveCostPolicy(Job(JobPriority::kNormal), config), cost::kUnrestricted);
  EXPECT_EQ(core::EffectiveCostPolicy(Job(JobPriority::kForeground), config), cost::kAlways);
  config.background_cost_policy = cost::kStandard;
  EXPECT_EQ(core::BlockOf(Job(JobPriority::kNormal), Metered(), config), 0);
  EXPECT_EQ(core::EffectiveCostPolicy(Job(JobPriority::kHigh, cost::kNoSurcharge), config),
            cost::kNoSurcharge);
}

TEST(PolicyTest, MinBatteryPercentForBackgroundIsASetting) {
  PolicyConfig config;
  config.min_battery_percent_for_background = 50;
  EXPECT_EQ(core::BlockOf(Job(JobPriority::kNormal), Battery(49.5), config),
            code::kBlockedByPowerState);
  EXPECT_EQ(core::BlockOf(Job(JobPriority::kNormal), Battery(50), config), 0);
  config.min_battery_percent_for_background = 0;
  EXPECT_EQ(core::BlockOf(Job(JobPriority::kNormal), Battery(1), config), 0);
}

TEST(PolicyTest, DownloadCostPolicies) {
  EXPECT_EQ(core::CostPolicyOfDownload(std::nullopt, false), core::kCostPolicyDefault);
  EXPECT_EQ(core::CostPolicyOfDownload(std::nullopt, true), core::kCostNoCellular);
  EXPECT_EQ(core::CostPolicyOfDownload(0, false), cost::kAlways);
  EXPECT_EQ(core::CostPolicyOfDownload(1, false), cost::kUnrestricted);
  EXPECT_EQ(core::CostPolicyOfDownload(2, false), cost::kStandard);
  EXPECT_EQ(core::CostPolicyOfDownload(3, false), cost::kNotRoaming);
  EXPECT_EQ(core::CostPolicyOfDownload(4, true), cost::kNoSurcharge | core::kCostNoCellular);
  EXPECT_EQ(core::CostPolicyOfDownload(5, false), cost::kAlways | core::kCostNoCellular);
  // DisallowOnCellular with the default policy: a background download on
  // an unmetered cellular link is held by the cellular rule.
  MachineState m = Cellular();
  m.metered = false;
  m.cost_bits = cs::kUnrestricted;
  EXPECT_EQ(core::BlockOf(Job(JobPriority::kNormal, core::CostPolicyOfDownload(std::nullopt, true)),
                          m, PolicyConfig{}),
            code::kBlockedByCellularPolicy);
}

TEST(PolicyTest, UploadsOnBattery) {
  PolicyConfig config;
  EXPECT_TRUE(core::UploadAllowed(MachineState{}, config));
  EXPECT_FALSE(core::UploadAllowed(Battery(100), config)) << "0: never on battery";
  config.min_battery_percent_to_upload = 60;
  EXPECT_FALSE(core::UploadAllowed(Battery(59), config));
  EXPECT_TRUE(core::UploadAllowed(Battery(60), config));
}

TEST(PolicyTest, ScheduleRows) {
  // Monday to Friday (bits 1-5), 08:00-17:00, 1000 B/s; every night 22:00-06:00, 500 B/s.
  std::vector<core::ScheduleEntry> s = {{0x3E, 8 * 60, 17 * 60, 1000},
                                        {0x7F, 22 * 60, 6 * 60, 500}};
  struct Row {
    int weekday;
    uint32_t minute;
    std::optional<uint64_t> want;
  } rows[] = {
      {1, 8 * 60, 1000},          {1, 8 * 60 - 1, std::nullopt}, {5, 17 * 60 - 1, 1000},
      {5, 17 * 60, std::nullopt}, {0, 12 * 60, std::nullopt},    {6, 12 * 60, std::nullopt},
      {3, 23 * 60, 500},          {4, 5 * 60 + 59, 500},         {4, 6 * 60, std::nullopt},
  };
  for (const Row& r : rows)
    EXPECT_EQ(core::ScheduleLimit(s, r.weekday, r.minute), r.want) << r.weekday << " " << r.minute;
  // Overlapping entries: the smallest limit.
  s.push_back({0x02, 12 * 60, 13 * 60, 100});
  EXPECT_EQ(core::ScheduleLimit(s, 1, 12 * 60 + 30), 100u);
  // Saturday night's entry reaches into Sunday morning only from a listed Saturday.
  std::vector<core::ScheduleEntry> sat = {{0x40, 23 * 60, 60, 7}};
  EXPECT_EQ(core::ScheduleLimit(sat, 0, 30), 7u);
  EXPECT_EQ(core::ScheduleLimit(sat, 1, 30), std::nullopt);
}

}  // namespace
}  // namespace ferry::test
