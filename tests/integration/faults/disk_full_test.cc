// Disk full for real: ferryd's state and staging directory on a small tmpfs,
// destinations on another small tmpfs, both filled while jobs run and at
// Complete.
//
// What semantics.md decides: a local I/O error during a transfer is fatal
// (§3: ERROR, ENOSPC as ERROR_DISK_FULL 0x80070070, docs/status-codes.md),
// and Resume retries it; a delivery that fails at Complete returns the
// error, keeps the job TRANSFERRED and keeps what was delivered. On top of
// that the store must stay consistent (PRAGMA integrity_check after ferryd
// stops, and ferryd restarts on it), nothing delivered may change, and once
// space is freed a Resume and a Complete finish the jobs with correct bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "integration/faults/faults_util.h"
#include "support/service_test.h"
#include "support/scripted_origin.h"

namespace ferry::test {
namespace {


constexpr int32_t kDiskFull = static_cast<int32_t>(0x80070070);  // ERROR_DISK_FULL
constexpr std::chrono::seconds kWait{60};

const std::string& Content(uint64_t size, uint64_t seed) {
  static std::map<std::pair<uint64_t, uint64_t>, std::string> cache;
  auto& c = cache[{size, seed}];
  if (c.empty()) c = test::RandomBytes(size, seed);
  return c;
}

class DiskFullTest : public ServiceTest {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/sqlite3", X_OK) != 0)
      GTEST_SKIP() << "the sqlite3 shell is not installed";
    ServiceTest::SetUp();
    if (Stopped()) return;
    Status s = state_fs_.Mount(32 * kMiB);
    if (!s.ok()) GTEST_SKIP() << "cannot mount a tmpfs (the test needs root): " << s.ToString();
    s = dest_fs_.Mount(24 * kMiB);
    if (!s.ok()) GTEST_SKIP() << "cannot mount a tmpfs (the test needs root): " << s.ToString();
    for (const char* name : {"/a.bin", "/b.bin", "/c.bin"}) Content(Size(name), Seed(name));
    // /b.bin comes chunked (its size is known only at the end); the others
    // with Content-Length.
    origin_ = std::make_unique<ScriptedOrigin>([](const OriginRequest& req) {
      std::string path = req.target;
      OriginReply r = test::ServeBytes(req, Content(Size(path), Seed(path)), "\"v1" + path + "\"");
      r.chunked = path == "/b.bin";
      return r;
    });
    ASSERT_TRUE(origin_->ok());
    test::FerrydOptions o;
    o.state_dir = state_fs_.Path("state");
    StartService(o);
  }
  void TearDown() override {
    if (HasFailure() || std::getenv("FERRY_TEST_LOGS"))
      std::printf("ferryd logs:\n%s%s\n", earlier_logs_.c_str(), env_.ferryd().Log().c_str());
    // ferryd (the base fixture's) goes before the tmpfs mounts (ours) do.
    manager_.reset();
    if (env_.ferryd().running()) env_.ferryd().Kill9();
  }

  static uint64_t Size(const std::string& path) {
    if (path == "/a.bin") return 2 * kMiB;
    if (path == "/b.bin") return 8 * kMiB;
    return 4 * kMiB;
  }
  static uint64_t Seed(const std::string& path) { return path.size() * 131 + path[1]; }

  std::unique_ptr<Job> StartJob(const std::string& name) {
    Guid id;
    std::unique_ptr<Job> job;
    Status s = manager_->CreateJob(name, JobType::kDownload, &id, &job);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return nullptr;
    s = job->AddFile(origin_->Url(name), dest_fs_.Path(name.substr(1)));
    if (s.ok()) s = job->Resume();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return s.ok() ? std::move(job) : nullptr;
  }

  // The job's error code (0 when it has none).
  static int32_t ErrorCode(Job& job, ErrorContext* context) {
    std::unique_ptr<Error> error;
    if (!job.GetError(&error).ok()) return 0;
    int32_t code = 0;
    error->GetError(context, &code);
    return code;
  }

  void ExpectDelivered(const std::string& name) {
    EXPECT_EQ(test::Sha256File(dest_fs_.Path(name.substr(1))),
              test::Sha256Hex(Content(Size(name), Seed(name))))
        << name;
  }

  // Stops ferryd cleanly, checks the store, starts it again on the same
  // state and reconnects.
  void RestartAndCheckStore() {
    // It exits by itself (1 when its last commit found no room).
    Status s = env_.ferryd().Terminate();
    ASSERT_TRUE(s.ok()) << s.ToString();
    earlier_logs_ += env_.ferryd().Log() + "--- restart ---\n";
    EXPECT_EQ(IntegrityCheck(state_fs_.Path("state/ferry.db")), "ok");
    manager_.reset();
    s = env_.RestartFerryd();
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = env_.Connect(&manager_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // kill -9, then the same restart.
  void Crash() {
    ASSERT_TRUE(env_.ferryd().Kill9().ok());
    earlier_logs_ += env_.ferryd().Log() + "--- kill -9, restart ---\n";
    manager_.reset();
    Status s = env_.RestartFerryd();
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = env_.Connect(&manager_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::unique_ptr<Job> Reopen(Job& job) {
    Guid id;
    EXPECT_TRUE(job.GetId(&id).ok());
    std::unique_ptr<Job> again;
    Status s = manager_->GetJob(id, &again);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return again;
  }

  TmpfsMount state_fs_;
  TmpfsMount dest_fs_;
  std::unique_ptr<ScriptedOrigin> origin_;
  std::string earlier_logs_;  // of the runs before the last restart
};

TEST_F(DiskFullTest, FullStagingFailsJobsCleanlyAndResumeFinishesThemOnceSpaceReturns) {
  // A first job is delivered while there is room.
  auto a = StartJob("/a.bin");
  ASSERT_TRUE(a);
  ASSERT_TRUE(WaitForState(*a, JobState::kTransferred, kWait));
  ASSERT_TRUE(a->Complete().ok());
  ExpectDelivered("/a.bin");

  // The state file system fills up: 1 MiB is left for ferryd.
  const std::string filler = state_fs_.Path("filler");
  ASSERT_GT(FillTo(filler, 1 * kMiB), 0u);
  auto b = StartJob("/b.bin");  // 8 MiB, chunked: the writes run out of space
  auto c = StartJob("/c.bin");  // 4 MiB, with Content-Length
  ASSERT_TRUE(b && c);
  for (Job* job : {b.get(), c.get()}) {
    ASSERT_TRUE(WaitForState(*job, JobState::kError, kWait));
    ErrorContext context{};
    EXPECT_EQ(ErrorCode(*job, &context), kDiskFull) << Describe(*job);
    EXPECT_EQ(context, ErrorContext::kLocalFile) << Describe(*job);
  }
  // Still full: the store survives a stop and ferryd starts on it.
  ASSERT_NO_FATAL_FAILURE(RestartAndCheckStore());
  b = Reopen(*b);
  c = Reopen(*c);
  ASSERT_TRUE(b && c);
  // Their ERROR could not be committed on the full disk: they come back
  // queued and fail again in the same way.
  for (Job* job : {b.get(), c.get()}) {
    ASSERT_TRUE(WaitForState(*job, JobState::kError, kWait));
    ErrorContext context{};
    EXPECT_EQ(ErrorCode(*job, &context), kDiskFull) << Describe(*job);
  }
  ExpectDelivered("/a.bin");

  // Space returns: Resume finishes both.
  ASSERT_TRUE(std::filesystem::remove(filler));
  for (Job* job : {b.get(), c.get()}) {
    ASSERT_TRUE(job->Resume().ok());
    ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, kWait));
  }
  ASSERT_TRUE(b->Complete().ok());
  ASSERT_TRUE(c->Complete().ok());
  ExpectDelivered("/a.bin");
  ExpectDelivered("/b.bin");
  ExpectDelivered("/c.bin");
  ASSERT_NO_FATAL_FAILURE(RestartAndCheckStore());
}

TEST_F(DiskFullTest, FullDestinationFailsCompleteAndKeepsTheJobUntilSpaceReturns) {
  auto a = StartJob("/a.bin");
  ASSERT_TRUE(a);
  ASSERT_TRUE(WaitForState(*a, JobState::kTransferred, kWait));
  ASSERT_TRUE(a->Complete().ok());
  auto b = StartJob("/b.bin");  // 8 MiB
  ASSERT_TRUE(b);
  ASSERT_TRUE(WaitForState(*b, JobState::kTransferred, kWait));

  // The destination has 4 MiB left: delivering 8 MiB (a copy, since staging
  // is on another file system) runs out of space.
  const std::string filler = dest_fs_.Path("filler");
  ASSERT_GT(FillTo(filler, 4 * kMiB), 0u);
  Status s = b->Complete();
  EXPECT_EQ(s.code(), kDiskFull) << s.ToString();
  JobState state{};
  ASSERT_TRUE(b->GetState(&state).ok());
  EXPECT_EQ(state, JobState::kTransferred) << Describe(*b);
  EXPECT_FALSE(PathExists(dest_fs_.Path("b.bin")));
  for (const auto& entry : std::filesystem::directory_iterator(dest_fs_.path())) {
    std::string name = entry.path().filename();
    EXPECT_TRUE(name == "a.bin" || name == "filler") << "left behind: " << name;
  }
  ExpectDelivered("/a.bin");

  // The state file system is full too while Complete is retried: the copy
  // has room now, the store's commit of the delivered flag may not. Whatever
  // Complete answers must hold after a crash (semantics.md §8).
  ASSERT_TRUE(std::filesystem::remove(filler));
  const std::string state_filler = state_fs_.Path("filler");
  FillTo(state_filler, 0);
  Guid id;
  ASSERT_TRUE(b->GetId(&id).ok());
  s = b->Complete();
  std::printf("Complete with the state file system full: %s\n", s.ToString().c_str());
  ASSERT_NO_FATAL_FAILURE(Crash());  // and restart, still full
  std::unique_ptr<Job> again;
  Status get = manager_->GetJob(id, &again);
  if (s.ok()) {
    EXPECT_EQ(get.code(), code::kJobNotFound) << get.ToString() << "; " << Describe(*again);
  } else {
    // A clean failure: the job is still there to be completed once there
    // is room.
    EXPECT_EQ(s.code(), kDiskFull) << s.ToString();
    ASSERT_TRUE(get.ok()) << get.ToString();
    JobState again_state{};
    ASSERT_TRUE(again->GetState(&again_state).ok());
    EXPECT_EQ(again_state, JobState::kTransferred) << Describe(*again);
    ASSERT_TRUE(std::filesystem::remove(state_filler));
    s = again->Complete();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::filesystem::remove(state_filler);
  ExpectDelivered("/a.bin");
  ExpectDelivered("/b.bin");
  ASSERT_NO_FATAL_FAILURE(RestartAndCheckStore());
  ExpectDelivered("/b.bin");
}

}  // namespace
}  // namespace ferry::test
