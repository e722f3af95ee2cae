// What can be checked of the connection without a bus: the bus plan of
// ConnectOptions, job paths, and the callback back-off.
#include "sdk/connection.h"

#include <gtest/gtest.h>

#include <cstdlib>

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

TEST(SdkConnect, AttemptsNameEachBusOnce) {
  ConnectAttempts tried;
  EXPECT_EQ(tried.ToString(), "no bus");
  tried.Note(B::kSession, "org.ferry.Ferry1 not there");
  tried.Note(B::kSystem, "cannot connect: x");
  tried.Note(B::kSession, "not activatable either");
  EXPECT_EQ(tried.ToString(), "session bus: not activatable either; system bus: cannot connect: x");
}

// Regression: with neither bus there, the error named the session bus twice
// ("session bus: cannot connect; system bus: cannot connect; session bus:
// cannot connect").
TEST(SdkConnect, NoBusAtAllNamesEachBusOnce) {
  struct Env {
    const char* name;
    std::string old;
    bool had;
  } env[] = {{"DBUS_SESSION_BUS_ADDRESS", "", false}, {"DBUS_SYSTEM_BUS_ADDRESS", "", false}};
  for (Env& e : env) {
    if (const char* v = std::getenv(e.name)) e.old = v, e.had = true;
    ::setenv(e.name, "unix:path=/nonexistent/ferry-test/bus", 1);
  }
  std::unique_ptr<Manager> m;
  Status s = Manager::Connect(ConnectOptions{}, &m);
  for (Env& e : env) e.had ? ::setenv(e.name, e.old.c_str(), 1) : ::unsetenv(e.name);
  EXPECT_EQ(static_cast<uint32_t>(s.code()), 0x80070426u) << s.ToString();
  const std::string text = s.message();
  auto count = [&](const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("session bus"), 1) << text;
  EXPECT_EQ(count("system bus"), 1) << text;
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
