// Origins that hold a connection without making progress: one that answers
// with its headers and then sends one body byte a second (a slowloris), one
// that accepts and never sends a byte. With a short no-progress timeout the
// timeout fires (semantics.md §3: ERROR with DO_E_DOWNLOAD_NO_PROGRESS), and
// meanwhile ferryd's loop is not held: a job on a good origin finishes and
// calls are answered. No speed is asserted, only completion within generous
// bounds.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "support/service_test.h"
#include "support/scripted_origin.h"

namespace ferry::test {
namespace {


constexpr uint32_t kNoProgressSeconds = 3;
// Generous next to the 3 s timeout; a trickle that is not cut would take far
// longer (or forever).
constexpr std::chrono::seconds kWait{30};
constexpr uint64_t kGoodSize = 8 * kMiB;

class StalledOriginTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (Stopped()) return;
    content_ = test::RandomBytes(kGoodSize, 0x736c6f77);  // "slow"
    origin_ = std::make_unique<ScriptedOrigin>([this](const OriginRequest& req) {
      OriginReply r = test::ServeBytes(req, content_, "\"good\"");
      if (req.target == "/slowloris") {
        r.body_rate_limit_bps = 1;  // the head at once, then a byte a second
      } else if (req.target == "/silent") {
        r.raw = "";  // accept, read the request, say nothing
        r.stall = true;
      }
      return r;
    });
    ASSERT_TRUE(origin_->ok());
    StartService();
  }
  void TearDown() override {
    if (HasFailure() || std::getenv("FERRY_TEST_LOGS"))
      std::printf("ferryd log:\n%s\n", env_.ferryd().Log().c_str());
    origin_.reset();  // before ferryd: closes the stalled connections
  }

  std::unique_ptr<Job> StartJob(const std::string& path, uint32_t no_progress_s) {
    Guid id;
    std::unique_ptr<Job> job;
    Status s = manager_->CreateJob(path, JobType::kDownload, &id, &job);
    if (s.ok()) s = job->AddFile(origin_->Url(path), env_.work().Path(path.substr(1) + ".out"));
    if (s.ok() && no_progress_s > 0) s = job->SetNoProgressTimeout(no_progress_s);
    if (s.ok()) s = job->SetPriority(JobPriority::kForeground);  // all three run at once
    if (s.ok()) s = job->Resume();
    EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
    return s.ok() ? std::move(job) : nullptr;
  }

  static void ExpectNoProgressError(Job& job) {
    std::unique_ptr<Error> error;
    ASSERT_TRUE(job.GetError(&error).ok()) << Describe(job);
    ErrorContext context{};
    int32_t code = 0;
    ASSERT_TRUE(error->GetError(&context, &code).ok());
    EXPECT_EQ(code, code::kDownloadNoProgress) << Describe(job);
  }

  std::string content_;
  std::unique_ptr<ScriptedOrigin> origin_;
};

TEST_F(StalledOriginTest, NoProgressTimeoutFiresWhileAGoodJobFinishesAndCallsAreAnswered) {
  auto slow = StartJob("/slowloris", kNoProgressSeconds);
  auto silent = StartJob("/silent", kNoProgressSeconds);
  ASSERT_TRUE(slow && silent);
  ASSERT_TRUE(origin_->WaitForRequests(2, std::chrono::seconds(30)));

  // While both are held, a good job finishes and a second connection's
  // calls are answered.
  std::unique_ptr<Manager> other;
  ASSERT_TRUE(env_.Connect(&other).ok());
  auto good = StartJob("/good", 0);
  ASSERT_TRUE(good);
  ASSERT_TRUE(WaitForState(*good, JobState::kTransferred, kWait));
  for (int i = 0; i < 20; ++i) {
    std::vector<JobSummary> jobs;
    Status s = other->ListJobs(0, &jobs);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(jobs.size(), 3u);
  }
  ASSERT_TRUE(good->Complete().ok());
  EXPECT_EQ(test::Sha256File(env_.work().Path("good.out")), test::Sha256Hex(content_));

  for (Job* job : {slow.get(), silent.get()}) {
    ASSERT_TRUE(WaitForState(*job, JobState::kError, kWait)) << Describe(*job);
    ExpectNoProgressError(*job);
  }
}

}  // namespace
}  // namespace ferry::test
