// Errors, file:// and delivery against real parts (nginx, EngineHost, the
// real file system): HTTP 404 is fatal with the BITS code; a file:// job
// copies a local file; data reaches the local name only at Complete; Cancel
// removes staging; a failed delivery keeps the job TRANSFERRED so that
// Complete can be retried (semantics.md §2, §3, §6).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "integration/integration_util.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {


class HttpErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
    ASSERT_TRUE(docroot_.ok() && work_.ok());
    ::chmod(docroot_.path().c_str(), 0755);
    size_ = Scaled(3 * kMiB + 12345);
    sha_ = test::WriteRandomFile(docroot_.Path("file.bin"), size_, 404);
    ASSERT_FALSE(sha_.empty());
  }

  void StartAll(const test::NginxOptions& options = {}) {
    Status s = nginx_.Start(docroot_.path(), options);
    ASSERT_TRUE(s.ok()) << s.ToString();
    host_ = StartHost(work_.Path("state"), TestConfig(), &s);
    ASSERT_TRUE(host_) << s.ToString();
  }

  TempDir docroot_{"ferry-err-docroot"};
  TempDir work_{"ferry-err"};
  uint64_t size_ = 0;
  std::string sha_;
  NginxFixture nginx_;
  std::unique_ptr<Host> host_;
};

TEST_F(HttpErrorsTest, NotFoundIsFatalWithHttpErrorCodeAndRemoteFileContext) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  Guid id;
  Status s = CreateAndResume(*host_, nginx_.Url("/missing.bin"), work_.Path("missing.bin"), &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  core::JobSnapshot snap;
  ASSERT_TRUE(WaitForState(*host_, id, JobState::kError, &snap));
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_EQ(static_cast<uint32_t>(snap.job.error->code), 0x80190194u)
      << Status(snap.job.error->code, snap.job.error->message).ToString();
  EXPECT_EQ(snap.job.error->code, code::HttpError(404));
  EXPECT_EQ(snap.job.error->context, ErrorContext::kRemoteFile);
  EXPECT_EQ(snap.job.error->file_index, 0);
  EXPECT_GE(snap.job.error_count, 1u);
  EXPECT_FALSE(PathExists(work_.Path("missing.bin")));
  // Fatal: exactly one request, no retry.
  auto log = AccessLogAtLeast(nginx_, 1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 404);
  EXPECT_TRUE(host_->Call([&](core::Engine& e) { return e.Cancel(id); }).ok());
}

TEST_F(HttpErrorsTest, FileUrlCopiesALocalFile) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  TempDir src("ferry-err-src");
  const uint64_t size = Scaled(5 * kMiB + 777);
  std::string sha = test::WriteRandomFile(src.Path("local.bin"), size, 9);
  ASSERT_FALSE(sha.empty());
  const std::string dest = work_.Path("from-file.bin");
  Guid id;
  Status s = CreateAndResume(*host_, "file://" + src.Path("local.bin"), dest, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  core::JobSnapshot snap;
  ASSERT_TRUE(WaitForState(*host_, id, JobState::kTransferred, &snap));
  EXPECT_EQ(snap.progress.bytes_total, size);
  EXPECT_EQ(snap.progress.bytes_transferred, size);
  EXPECT_FALSE(PathExists(dest));
  s = CompleteSync(*host_, id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(test::Sha256File(dest), sha);
  EXPECT_TRUE(nginx_.AccessLog().empty());
}

TEST_F(HttpErrorsTest, LocalNameAppearsOnlyAtComplete) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  const std::string dest = work_.Path("out.bin");
  Guid id;
  Status s = CreateAndResume(*host_, nginx_.Url("/file.bin"), dest, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  core::JobSnapshot snap;
  ASSERT_TRUE(WaitForState(*host_, id, JobState::kTransferred, &snap));
  EXPECT_EQ(snap.progress.bytes_transferred, size_);
  EXPECT_EQ(snap.progress.files_transferred, 1u);
  EXPECT_FALSE(PathExists(dest)) << "data at the local name while TRANSFERRED";
  EXPECT_TRUE(PathExists(StagingFile(*host_, id)));
  s = CompleteSync(*host_, id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(s.code(), code::kOk);
  EXPECT_EQ(test::Sha256File(dest), sha_);
  EXPECT_FALSE(PathExists(StagingDir(*host_, id)));
  auto after = Snapshot(*host_, id);
  EXPECT_FALSE(after.ok() && after->live) << Describe(after);
}

TEST_F(HttpErrorsTest, CancelMidTransferDeletesStaging) {
  // A slow origin keeps the job mid-transfer while it is cancelled.
  test::NginxOptions no;
  no.limit_rate = 256 * 1024;
  ASSERT_NO_FATAL_FAILURE(StartAll(no));
  const std::string dest = work_.Path("cancelled.bin");
  Guid id;
  Status s = CreateAndResume(*host_, nginx_.Url("/file.bin"), dest, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  core::JobSnapshot snap;
  ASSERT_TRUE(WaitUntil(*host_, id, [](const core::JobSnapshot& j) { return j.progress.bytes_transferred > 0; },
                        &snap));
  ASSERT_NE(snap.job.state, JobState::kTransferred);
  const std::string staging = StagingDir(*host_, id);
  ASSERT_TRUE(PathExists(staging));
  s = host_->Call([&](core::Engine& e) { return e.Cancel(id); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto after = Snapshot(*host_, id);
  EXPECT_FALSE(after.ok() && after->live) << Describe(after);
  EXPECT_FALSE(PathExists(staging)) << staging;
  EXPECT_FALSE(PathExists(dest));
  // Cancelling again: the job is final.
  s = host_->Call([&](core::Engine& e) { return e.Cancel(id); });
  EXPECT_FALSE(s.ok());
}

TEST_F(HttpErrorsTest, CancelTransferredJobDeletesStagingAndNeverDelivers) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  const std::string dest = work_.Path("never.bin");
  Guid id;
  Status s = CreateAndResume(*host_, nginx_.Url("/file.bin"), dest, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(WaitForState(*host_, id, JobState::kTransferred));
  const std::string staging = StagingDir(*host_, id);
  ASSERT_TRUE(PathExists(staging));
  s = host_->Call([&](core::Engine& e) { return e.Cancel(id); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(PathExists(staging));
  EXPECT_FALSE(PathExists(dest));
}

TEST_F(HttpErrorsTest, FailedDeliveryKeepsTransferredAndCompleteCanBeRetried) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  const std::string dir = work_.Path("dest");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  const std::string dest = dir + "/out.bin";
  Guid id;
  Status s = CreateAndResume(*host_, nginx_.Url("/file.bin"), dest, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(WaitForState(*host_, id, JobState::kTransferred));
  ASSERT_EQ(::rmdir(dir.c_str()), 0);  // the destination directory disappears

  s = CompleteSync(*host_, id);
  EXPECT_FALSE(s.ok()) << "Complete succeeded without a destination directory";
  EXPECT_LT(s.code(), 0) << s.ToString();
  auto snap = Snapshot(*host_, id);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_TRUE(snap->live);
  EXPECT_EQ(snap->job.state, JobState::kTransferred) << Describe(snap);
  EXPECT_TRUE(PathExists(StagingFile(*host_, id))) << "staging lost by the failed delivery";

  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  s = CompleteSync(*host_, id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(test::Sha256File(dest), sha_);
  auto after = Snapshot(*host_, id);
  EXPECT_FALSE(after.ok() && after->live) << Describe(after);
}

}  // namespace
}  // namespace ferry::test
