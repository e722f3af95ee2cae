// conditions/readings.h as rows: NetworkManager's and UPower's values ->
// what core sees (policy.md §1-2).
#include "conditions/readings.h"

#include <gtest/gtest.h>

namespace ferry::test {
namespace {

using conditions::NetworkReading;
using conditions::PowerReading;
using core::Connectivity;
namespace cs = core::cost_state;

NetworkReading Nm(uint32_t metered, uint32_t connectivity, uint32_t state, std::string type) {
  return NetworkReading{.present = true,
                        .metered = metered,
                        .connectivity = connectivity,
                        .state = state,
                        .primary_type = std::move(type)};
}

TEST(ReadingsTest, NoServiceMeansUnmeteredConnectedMainsPower) {
  core::MachineState m = conditions::ToMachineState({}, {});
  EXPECT_EQ(m, core::MachineState{});
  EXPECT_EQ(m.cost_bits, cs::kUnrestricted);
  EXPECT_EQ(m.connectivity, Connectivity::kUnknown);
  EXPECT_FALSE(m.on_battery);
}

TEST(ReadingsTest, NetworkManagerRows) {
  struct Row {
    NetworkReading nm;
    uint32_t bits;
    bool metered, cellular;
    Connectivity connectivity;
  } rows[] = {
      {Nm(0, 4, 70, "802-3-ethernet"), cs::kUnrestricted, false, false, Connectivity::kFull},
      {Nm(1, 4, 70, "802-11-wireless"), cs::kCappedUsageUnknown, true, false, Connectivity::kFull},
      {Nm(2, 4, 70, ""), cs::kUnrestricted, false, false, Connectivity::kFull},
      {Nm(3, 3, 70, "gsm"), cs::kCappedUsageUnknown, true, true, Connectivity::kLimited},
      {Nm(4, 2, 60, "cdma"), cs::kUnrestricted, false, true, Connectivity::kPortal},
      {Nm(0, 1, 70, ""), cs::kUnrestricted, false, false, Connectivity::kNone},
      {Nm(0, 0, 20, ""), cs::kUnrestricted, false, false, Connectivity::kNone},  // disconnected
      {Nm(0, 0, 10, ""), cs::kUnrestricted, false, false, Connectivity::kNone},  // asleep
      {Nm(0, 0, 50, ""), cs::kUnrestricted, false, false, Connectivity::kUnknown},
      {Nm(0, 0, 0, ""), cs::kUnrestricted, false, false, Connectivity::kUnknown},
  };
  for (const Row& r : rows) {
    core::MachineState m = conditions::ToMachineState(r.nm, {});
    SCOPED_TRACE(r.nm.metered * 1000 + r.nm.connectivity * 100 + r.nm.state);
    EXPECT_TRUE(m.network_known);
    EXPECT_EQ(m.cost_bits, r.bits);
    EXPECT_EQ(m.metered, r.metered);
    EXPECT_EQ(m.cellular, r.cellular);
    EXPECT_EQ(m.connectivity, r.connectivity);
    EXPECT_EQ(m.link_type, r.nm.primary_type);
  }
}

TEST(ReadingsTest, ChargeCountsOnlyWithADisplayDevicePresent) {
  PowerReading p;
  p.present = true;
  p.on_battery = true;
  p.percentage = 12;
  EXPECT_FALSE(conditions::ToMachineState({}, p).battery_percent.has_value());
  p.display_present = true;
  auto m = conditions::ToMachineState({}, p);
  EXPECT_TRUE(m.power_known);
  EXPECT_TRUE(m.on_battery);
  EXPECT_EQ(m.battery_percent, 12.0);
}

TEST(ReadingsTest, PropertiesApplyByNameAndType) {
  NetworkReading nm;
  conditions::ApplyNetworkProperties({{"Metered", uint32_t{1}},
                                      {"Connectivity", uint32_t{4}},
                                      {"PrimaryConnectionType", std::string("gsm")},
                                      {"State", std::string("wrong type")},
                                      {"Other", true}},
                                     &nm);
  EXPECT_EQ(nm.metered, 1u);
  EXPECT_EQ(nm.connectivity, 4u);
  EXPECT_EQ(nm.state, 0u);
  EXPECT_EQ(nm.primary_type, "gsm");
  PowerReading p;
  conditions::ApplyUPowerProperties({{"OnBattery", true}}, &p);
  conditions::ApplyDisplayDeviceProperties({{"Percentage", 42.5}, {"IsPresent", true}}, &p);
  EXPECT_TRUE(p.on_battery);
  EXPECT_TRUE(p.display_present);
  EXPECT_EQ(p.percentage, 42.5);
}

}  // namespace
}  // namespace ferry::test
