// The 30-day maximum age (semantics.md §3, §8) through the real daemon:
// ferryd restarted with clock_offset_seconds (docs/configuration.md) sees
// the job as older than it is. At +29 days the job is still there; at +31
// days it is gone (DO_E_JOB_NOT_FOUND) and its staging is deleted.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/service_test.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

constexpr int64_t kDay = 24 * 3600;

std::string ConfigWithOffset(int64_t seconds) {
  return R"({"min_retry_delay_floor_seconds": 1, "clock_offset_seconds": )" + std::to_string(seconds) + "}";
}

class ExpiryTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    StartService();
  }
};

TEST_F(ExpiryTest, JobOlderThan30DaysIsCancelledAndItsStagingDeleted) {
  // A finished transfer (file:// in user mode) so that staging holds data.
  const std::string src = env_.work().Path("src.bin");
  ASSERT_FALSE(test::WriteRandomFile(src, 1 * kMiB + 7, 0x6f6c64).empty());
  const std::string dest = env_.work().Path("dest.bin");
  Guid id;
  {
    std::unique_ptr<Manager> m;
    Status s = env_.Connect(&m);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::unique_ptr<Job> job;
    ASSERT_TRUE(m->CreateJob("old", JobType::kDownload, &id, &job).ok());
    s = job->AddFile("file://" + src, dest);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(job->Resume().ok());
    ASSERT_TRUE(WaitForState(*job, JobState::kTransferred));
  }
  const std::string staging = env_.state_dir() + "/staging/" + id.ToHex();
  ASSERT_TRUE(PathExists(staging)) << staging;

  // +29 days: still young enough.
  int exit_code = -1;
  Status s = env_.ferryd().Terminate(&exit_code);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(exit_code, 0);
  std::string config = ConfigWithOffset(29 * kDay);
  s = env_.RestartFerryd(&config);
  ASSERT_TRUE(s.ok()) << s.ToString();
  {
    std::unique_ptr<Manager> m;
    ASSERT_TRUE(env_.Connect(&m).ok());
    std::unique_ptr<Job> job;
    s = m->GetJob(id, &job);
    ASSERT_TRUE(s.ok()) << "expired too early: " << s.ToString();
    JobState state{};
    ASSERT_TRUE(job->GetState(&state).ok());
    EXPECT_EQ(state, JobState::kTransferred);
  }
  EXPECT_TRUE(PathExists(staging));

  // +31 days: gone.
  s = env_.ferryd().Terminate(&exit_code);
  ASSERT_TRUE(s.ok()) << s.ToString();
  config = ConfigWithOffset(31 * kDay);
  s = env_.RestartFerryd(&config);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<Manager> m;
  ASSERT_TRUE(env_.Connect(&m).ok());
  std::unique_ptr<Job> job;
  // Expiry may run just after start: wait (bounded) for it.
  Status get;
  EXPECT_TRUE(Eventually([&] {
    get = m->GetJob(id, &job);
    return get.code() == code::kJobNotFound;
  }, std::chrono::seconds(30)))
      << get.ToString();
  std::vector<std::unique_ptr<Job>> jobs;
  ASSERT_TRUE(m->EnumJobs(0, &jobs).ok());
  EXPECT_TRUE(jobs.empty());
  EXPECT_TRUE(Eventually([&] { return !PathExists(staging); }, std::chrono::seconds(30)))
      << "staging left behind: " << staging;
  EXPECT_FALSE(PathExists(dest)) << "an expired job delivered its file";
}

}  // namespace
}  // namespace ferry::test
