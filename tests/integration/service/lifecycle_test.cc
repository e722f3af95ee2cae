// The whole job lifecycle through the SDK against a real ferryd on a private
// bus, files served by a real nginx: callbacks (JobTransferred calls
// Complete, JobError, JobModification), the file appearing only at Complete,
// at-least-once delivery for a callback registered after the fact, and
// re-delivery after a failing handler (semantics.md §3-4).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "support/service_test.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {


constexpr uint64_t kFileSize = 4 * kMiB;
constexpr uint64_t kSeed = 0x6c696665;  // "life"

class LifecycleTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    sha_ = AddDocFile("file.bin", kFileSize, kSeed);
    StartNginx();
    StartService();
  }

  std::string sha_;
};

TEST_F(LifecycleTest, JobTransferredCallsCompleteAndTheFileAppearsOnlyThen) {
  const std::string dest = env_.work().Path("out.bin");
  auto job = NewJob(nginx_.Url("/file.bin"), dest);
  ASSERT_TRUE(job);
  JobState state{};
  ASSERT_TRUE(job->GetState(&state).ok());
  EXPECT_EQ(state, JobState::kSuspended);

  auto cb = std::make_shared<RecordingCallback>();
  std::atomic<bool> existed_before_complete{false};
  std::atomic<int32_t> complete_code{-1};
  cb->on_transferred = [&](Job& j) {
    existed_before_complete = PathExists(dest);
    Status s = j.Complete();
    complete_code = s.code();
    return s;
  };
  ASSERT_TRUE(job->SetNotifyFlags(notify::kJobTransferred | notify::kJobError | notify::kJobModification).ok());
  Status s = job->SetNotifyInterface(cb);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::shared_ptr<Callback> got;
  ASSERT_TRUE(job->GetNotifyInterface(&got).ok());
  EXPECT_EQ(got, cb);

  s = job->Resume();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(cb->WaitUntil([&] { return complete_code.load() != -1; })) << Describe(*job);
  EXPECT_EQ(complete_code.load(), 0) << Status(complete_code.load(), "").ToString();
  EXPECT_FALSE(existed_before_complete.load()) << "data at the local name before Complete";
  EXPECT_EQ(test::Sha256File(dest), sha_);
  // Progress and the state changes (QUEUED, CONNECTING, TRANSFERRING) are
  // modifications; the entry into TRANSFERRED is not.
  EXPECT_GE(cb->modifications(), 1);
  EXPECT_EQ(cb->errors(), 0);

  // The job is final: gone for GetJob and EnumJobs.
  Guid id;
  ASSERT_TRUE(job->GetId(&id).ok());
  std::unique_ptr<Job> again;
  EXPECT_EQ(manager_->GetJob(id, &again).code(), code::kJobNotFound);
  std::vector<std::unique_ptr<Job>> jobs;
  ASSERT_TRUE(manager_->EnumJobs(0, &jobs).ok());
  EXPECT_TRUE(jobs.empty());
}

// semantics.md §3: a handle obtained earlier keeps reading the final state
// (ACKNOWLEDGED/CANCELLED) and gets DO_E_INVALID_STATE from every
// state-changing call. (Regression: ferryd used to drop a final job's object,
// and such handles got DO_E_JOB_NOT_FOUND.)
TEST_F(LifecycleTest, HandleOfAFinalJobReadsTheFinalState) {
  auto job = NewJob(nginx_.Url("/file.bin"), env_.work().Path("final.bin"));
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->Cancel().ok());
  JobState state{};
  Status s = job->GetState(&state);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(state, JobState::kCancelled);
  EXPECT_EQ(job->Resume().code(), code::kInvalidState);
  EXPECT_EQ(job->Cancel().code(), code::kInvalidState);
  EXPECT_EQ(job->SetDescription("x").code(), code::kInvalidState);
}

TEST_F(LifecycleTest, JobErrorOn404) {
  const std::string dest = env_.work().Path("missing.bin");
  auto job = NewJob(nginx_.Url("/no-such-file"), dest);
  ASSERT_TRUE(job);
  auto cb = std::make_shared<RecordingCallback>();
  std::atomic<int32_t> error_code{0};
  std::atomic<uint32_t> error_context{0};
  cb->on_error = [&](Job&, Error& e) {
    ErrorContext ctx{};
    int32_t c = 0;
    Status s = e.GetError(&ctx, &c);
    error_code = s.ok() ? c : s.code();
    error_context = static_cast<uint32_t>(ctx);
    return Status::OK();
  };
  ASSERT_TRUE(job->SetNotifyInterface(cb).ok());
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(cb->WaitUntil([&] { return cb->errors() >= 1; })) << Describe(*job);
  EXPECT_EQ(error_code.load(), code::HttpError(404)) << Status(error_code.load(), "").ToString();
  EXPECT_EQ(error_context.load(), static_cast<uint32_t>(ErrorContext::kRemoteFile));
  EXPECT_EQ(cb->transferred(), 0);
  JobState state{};
  ASSERT_TRUE(job->GetState(&state).ok());
  EXPECT_EQ(state, JobState::kError);
  std::unique_ptr<Error> error;
  ASSERT_TRUE(job->GetError(&error).ok());
  std::string protocol;
  EXPECT_TRUE(error->GetProtocol(&protocol).ok());
  EXPECT_EQ(protocol, "http");
  EXPECT_TRUE(job->Cancel().ok());
  EXPECT_FALSE(PathExists(dest));
}

TEST_F(LifecycleTest, JobModificationForPropertyChanges) {
  auto job = NewJob(nginx_.Url("/file.bin"), env_.work().Path("mod.bin"));
  ASSERT_TRUE(job);
  auto cb = std::make_shared<RecordingCallback>();
  ASSERT_TRUE(job->SetNotifyFlags(notify::kJobModification).ok());
  ASSERT_TRUE(job->SetNotifyInterface(cb).ok());
  ASSERT_TRUE(job->SetDescription("changed").ok());
  EXPECT_TRUE(cb->WaitUntil([&] { return cb->modifications() >= 1; }, std::chrono::seconds(30)));
  // Disable (0x4) silences everything.
  ASSERT_TRUE(job->SetNotifyFlags(notify::kJobModification | notify::kDisable).ok());
  EXPECT_TRUE(job->Cancel().ok());
}

TEST_F(LifecycleTest, CallbackRegisteredAfterTransferredIsStillCalled) {
  const std::string dest = env_.work().Path("late.bin");
  auto job = NewJob(nginx_.Url("/file.bin"), dest);
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred));
  EXPECT_FALSE(PathExists(dest));

  auto cb = std::make_shared<RecordingCallback>();
  std::atomic<int32_t> complete_code{-1};
  cb->on_transferred = [&](Job& j) {
    Status s = j.Complete();
    complete_code = s.code();
    return s;
  };
  Status s = job->SetNotifyInterface(cb);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(cb->WaitUntil([&] { return complete_code.load() != -1; })) << Describe(*job);
  EXPECT_EQ(complete_code.load(), 0);
  EXPECT_EQ(test::Sha256File(dest), sha_);
}

TEST_F(LifecycleTest, FailingJobTransferredHandlerIsCalledAgain) {
  const std::string dest = env_.work().Path("retry.bin");
  auto job = NewJob(nginx_.Url("/file.bin"), dest);
  ASSERT_TRUE(job);
  auto cb = std::make_shared<RecordingCallback>();
  std::atomic<int> calls{0};
  std::atomic<int32_t> complete_code{-1};
  cb->on_transferred = [&](Job& j) {
    if (calls.fetch_add(1) == 0) return Status(code::kUnexpected, "not ready yet");
    Status s = j.Complete();
    complete_code = s.code();
    return s;
  };
  ASSERT_TRUE(job->SetNotifyInterface(cb).ok());
  ASSERT_TRUE(job->Resume().ok());
  // The retry comes after a back-off of about a second; no lower bound is
  // asserted, only that it comes.
  ASSERT_TRUE(cb->WaitUntil([&] { return complete_code.load() != -1; })) << Describe(*job);
  EXPECT_GE(calls.load(), 2);
  EXPECT_EQ(complete_code.load(), 0);
  EXPECT_EQ(test::Sha256File(dest), sha_);
}

TEST_F(LifecycleTest, FileTransferredWithItsFlag) {
  const std::string dest = env_.work().Path("ft.bin");
  auto job = NewJob(nginx_.Url("/file.bin"), dest);
  ASSERT_TRUE(job);
  auto cb = std::make_shared<RecordingCallback>();
  ASSERT_TRUE(job->SetNotifyFlags(notify::kJobTransferred | notify::kFileTransferred).ok());
  ASSERT_TRUE(job->SetNotifyInterface(cb).ok());
  ASSERT_TRUE(job->Resume().ok());
  EXPECT_TRUE(cb->WaitUntil([&] { return cb->files_transferred() >= 1 && cb->transferred() >= 1; }))
      << Describe(*job);
  EXPECT_TRUE(job->Cancel().ok());
  EXPECT_FALSE(PathExists(dest));
}

}  // namespace
}  // namespace ferry::test
