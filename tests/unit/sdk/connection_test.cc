// What can be checked of the connection without a bus: the bus plan of
// ConnectOptions, job paths, and the callback back-off.
#include <gtest/gtest.h>

#include "sdk/connection.h"

namespace ferry::sdk {
namespace {

using B = ConnectPlan::Bus;

TEST(SdkConnect, AutoPrefersARunningUserServiceThenTheSystemOne) {
  ConnectPlan plan;
  ASSERT_TRUE(PlanConnect(ConnectOptions{}, &plan).ok());
  ASSERT_EQ(plan.steps.size(), 3u);
  EXPECT_EQ(plan.steps[0].bus, B::kSession);
  EXPECT_TRUE(plan.steps[0].require_owner);
  EXPECT_EQ(plan.steps[1].bus, B::kSystem);
  EXPECT_FALSE(plan.steps[1].require_owner);
  EXPECT_EQ(plan.steps[2].bus, B::kSession);
}

TEST(SdkConnect, ExplicitBuses) {
  ConnectPlan plan;
  ConnectOptions o;
  o.bus = ConnectOptions::Bus::kSystem;
  ASSERT_TRUE(PlanConnect(o, &plan).ok());
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].bus, B::kSystem);

  o.bus = ConnectOptions::Bus::kSession;
  ASSERT_TRUE(PlanConnect(o, &plan).ok());
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].bus, B::kSession);

  o.bus = ConnectOptions::Bus::kAddress;
  o.address = "unix:path=/tmp/x/bus";
  ASSERT_TRUE(PlanConnect(o, &plan).ok());
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].bus, B::kAddress);
  EXPECT_EQ(plan.address, "unix:path=/tmp/x/bus");
}

TEST(SdkConnect, BadOptionsAreInvalidArg) {
  ConnectPlan plan;
  ConnectOptions o;
  o.bus = ConnectOptions::Bus::kAddress;
  EXPECT_EQ(PlanConnect(o, &plan).code(), code::kInvalidArg);
  o.bus = ConnectOptions::Bus::kSession;
  o.address = "unix:path=/x";
  EXPECT_EQ(PlanConnect(o, &plan).code(), code::kInvalidArg);
  o.bus = static_cast<ConnectOptions::Bus>(42);
  o.address.clear();
  EXPECT_EQ(PlanConnect(o, &plan).code(), code::kInvalidArg);
}

TEST(SdkConnect, NoBusAtThatAddressIsServiceNotActive) {
  ConnectOptions o;
  o.bus = ConnectOptions::Bus::kAddress;
  o.address = "unix:path=/nonexistent/ferry-test/bus";
  std::unique_ptr<Manager> m;
  Status s = Manager::Connect(o, &m);
  EXPECT_EQ(static_cast<uint32_t>(s.code()), 0x80070426u) << s.ToString();
  EXPECT_EQ(m, nullptr);
}

TEST(SdkJobPath, RoundTrip) {
  Guid id = Guid::Random();
  std::string path = JobPath(id);
  EXPECT_EQ(path, "/org/ferry/Ferry1/job/" + id.ToHex());
  Guid back;
  ASSERT_TRUE(JobIdFromPath(path, &back));
  EXPECT_EQ(back, id);
  EXPECT_FALSE(JobIdFromPath("/org/ferry/Ferry1", &back));
  EXPECT_FALSE(JobIdFromPath("/org/ferry/Ferry1/job/abc", &back));
  EXPECT_FALSE(JobIdFromPath("/org/ferry/Ferry1/job/" + id.ToHex() + "00", &back));
}

TEST(SdkCallbacks, BackoffDoublesFromOneSecondUpToTheRetryDelay) {
  using std::chrono::seconds;
  seconds d(1);
  std::vector<long> seen;
  for (int i = 0; i < 8; ++i) {
    seen.push_back(d.count());
    d = NextBackoff(d, 20);
  }
  EXPECT_EQ(seen, (std::vector<long>{1, 2, 4, 8, 16, 20, 20, 20}));
  EXPECT_EQ(NextBackoff(seconds(1), 0), seconds(1));
  EXPECT_EQ(NextBackoff(seconds(0), 600), seconds(2));
}

}  // namespace
}  // namespace ferry::sdk
