// ferryd keeps D-Bus objects for recently used jobs only (service_impl.h,
// kCachedObjects = 256): with more jobs than that, the registered job
// objects stay bounded, and every job still answers on its path, through
// the SDK (handles obtained long ago included) and to raw bus calls.
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <memory>
#include <string>
#include <vector>

#include "support/service_test.h"

namespace ferry::test {
namespace {

constexpr size_t kJobs = 300;  // more than the cache holds

// The registered children of /org/ferry/Ferry1/job, from Introspect.
size_t RegisteredJobObjects(const std::string& address) {
  auto conn = sdbus::createSessionBusConnectionWithAddress(address);
  auto proxy = sdbus::createProxy(*conn, "org.ferry.Ferry1", "/org/ferry/Ferry1/job");
  std::string xml;
  proxy->callMethod("Introspect").onInterface("org.freedesktop.DBus.Introspectable").storeResultsTo(xml);
  size_t n = 0;
  for (size_t pos = 0; (pos = xml.find("<node name=", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

TEST(ObjectCacheTest, EveryJobAnswersWhileObjectsStayBounded) {
  if (!ServiceEnv::Available()) GTEST_SKIP() << "dbus-daemon or ferryd not available";
  ServiceEnv env;
  ASSERT_TRUE(env.Start().ok());
  std::unique_ptr<Manager> m;
  ASSERT_TRUE(env.Connect(&m).ok());
  std::vector<std::unique_ptr<Job>> jobs;
  for (size_t i = 0; i < kJobs; ++i) {
    Guid id;
    std::unique_ptr<Job> job;
    ASSERT_TRUE(m->CreateJob("job " + std::to_string(i), JobType::kDownload, &id, &job).ok());
    ASSERT_TRUE(job->SetDescription("d" + std::to_string(i)).ok());  // a call on its object
    jobs.push_back(std::move(job));
  }
  size_t registered = RegisteredJobObjects(env.address());
  EXPECT_GT(registered, 0u);
  EXPECT_LE(registered, 256u + 1) << "job objects are not bounded";

  // The oldest handles still work (their objects come back on demand).
  for (size_t i = 0; i < kJobs; i += 37) {
    std::string desc;
    ASSERT_TRUE(jobs[i]->GetDescription(&desc).ok()) << "job " << i;
    EXPECT_EQ(desc, "d" + std::to_string(i));
    ASSERT_TRUE(jobs[i]->SetDisplayName("renamed " + std::to_string(i)).ok());
  }
  std::string name;
  ASSERT_TRUE(jobs[0]->GetDisplayName(&name).ok());
  EXPECT_EQ(name, "renamed 0");

  // A property read straight on the bus reaches an evicted job too.
  auto conn = sdbus::createSessionBusConnectionWithAddress(env.address());
  Guid id0;
  ASSERT_TRUE(jobs[1]->GetId(&id0).ok());
  auto proxy = sdbus::createProxy(*conn, "org.ferry.Ferry1", "/org/ferry/Ferry1/job/" + id0.ToHex());
  sdbus::Variant v = proxy->getProperty("Description").onInterface("org.ferry.Ferry1.Job");
  EXPECT_EQ(v.get<std::string>(), "d1");

  // An unknown job's path still has no object.
  auto bogus = sdbus::createProxy(*conn, "org.ferry.Ferry1", "/org/ferry/Ferry1/job/" + std::string(32, '0'));
  EXPECT_THROW(bogus->getProperty("Description").onInterface("org.ferry.Ferry1.Job"), sdbus::Error);
  EXPECT_LE(RegisteredJobObjects(env.address()), 256u + 1);
}

}  // namespace
}  // namespace ferry::test
