// kill -9 of ferryd in the middle of a 256 MiB download from nginx, a restart
// on the same state dir, and the job resumes with a ranged request guarded
// by If-Range; the delivered file is byte-exact (semantics.md §6, §8). The
// same technique as tests/integration/kill_resume_test.cc, but through the
// real daemon and the SDK.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/service/service_util.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"

namespace ferry::service_test {
namespace {

using test::NginxFixture;
using test::NginxOptions;
using test::TempDir;

constexpr uint64_t kFileSize = 256 * kMiB;
constexpr uint64_t kSeed = 0x6b39;  // "k9"
constexpr uint64_t kLimitRate = 96 * kMiB;

// $FERRY_TEST_SCALE as integration_util.h reads it.
double Scale() {
  const char* env = std::getenv("FERRY_TEST_SCALE");
  if (!env || !*env) return 1.0;
  char* end = nullptr;
  double v = std::strtod(env, &end);
  if (end == env || !(v > 0)) return 1.0;
  return std::clamp(v, 0.01, 100.0);
}
uint64_t Scaled(uint64_t bytes, uint64_t min) {
  auto v = static_cast<uint64_t>(static_cast<double>(bytes) * Scale());
  return std::max(v, min) & ~uint64_t{4095};
}

class FerrydKillResumeTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    docroot_ = new TempDir("ferry-svc-kill-docroot");
    ::chmod(docroot_->path().c_str(), 0755);
    size_ = Scaled(kFileSize, 8 * kMiB);
    sha_ = new std::string(test::WriteRandomFile(docroot_->Path("file.bin"), size_, kSeed));
  }
  static void TearDownTestSuite() {
    delete sha_;
    delete docroot_;
    sha_ = nullptr;
    docroot_ = nullptr;
  }
  void SetUp() override {
    if (!ServiceEnv::Available()) GTEST_SKIP() << "dbus-daemon, dbus-send or ferryd missing";
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
    ASSERT_TRUE(docroot_->ok());
    ASSERT_FALSE(sha_->empty());
  }

  static TempDir* docroot_;
  static std::string* sha_;
  static uint64_t size_;
};

TempDir* FerrydKillResumeTest::docroot_ = nullptr;
std::string* FerrydKillResumeTest::sha_ = nullptr;
uint64_t FerrydKillResumeTest::size_ = 0;

TEST_P(FerrydKillResumeTest, Kill9MidDownloadResumesWithRange) {
  const int percent = GetParam();
  const uint64_t kill_at = size_ / 100 * static_cast<uint64_t>(percent);
  NginxFixture nginx;
  NginxOptions no;
  no.limit_rate = std::max<uint64_t>(Scaled(kLimitRate, kMiB), kMiB);
  Status s = nginx.Start(docroot_->path(), no);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ServiceEnv env;
  s = env.Start();
  ASSERT_TRUE(s.ok()) << s.ToString();

  const std::string dest = env.work().Path("out.bin");
  Guid id;
  {
    std::unique_ptr<Manager> manager;
    s = env.Connect(&manager);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::unique_ptr<Job> job;
    ASSERT_TRUE(manager->CreateJob("kill9", JobType::kDownload, &id, &job).ok());
    ASSERT_TRUE(job->AddFile(nginx.Url("/file.bin"), dest).ok());
    ASSERT_TRUE(job->Resume().ok());
    ASSERT_TRUE(WaitFor(*job, [&](JobState st, const JobProgress& p) {
      return p.bytes_transferred >= kill_at || st == JobState::kTransferred;
    }));
    JobState st{};
    ASSERT_TRUE(job->GetState(&st).ok());
    ASSERT_NE(st, JobState::kTransferred) << "finished before the kill point";
    s = env.ferryd().Kill9();
    ASSERT_TRUE(s.ok()) << s.ToString();
    // Calls on the old handle now fail (nobody owns the name); they must not
    // hang or crash the client.
    EXPECT_FALSE(job->GetState(&st).ok());
  }

  uint64_t staged = 0;
  {
    struct stat st;
    if (::stat((env.state_dir() + "/staging/" + id.ToHex() + "/0.part").c_str(), &st) == 0)
      staged = static_cast<uint64_t>(st.st_size);
  }
  s = env.RestartFerryd();
  ASSERT_TRUE(s.ok()) << s.ToString();

  std::unique_ptr<Manager> manager;
  s = env.Connect(&manager);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<Job> job;
  s = manager->GetJob(id, &job);
  ASSERT_TRUE(s.ok()) << s.ToString();
  // The recovered job goes on by itself (QUEUED after recovery); Resume is
  // S_OK either way. Its progress is already moving again here, so the
  // resume offset is checked in nginx's log below instead.
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred));
  EXPECT_FALSE(PathExists(dest)) << "data at the local name before Complete";
  s = job->Complete();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(test::Sha256File(dest), *sha_);

  std::vector<test::NginxLogEntry> log;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    log = nginx.AccessLog();
    bool full = false, ranged = false;
    for (const auto& e : log) (e.range.empty() ? full : ranged) = true;
    if ((full && ranged) || std::chrono::steady_clock::now() >= end) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string all;
  const test::NginxLogEntry* first_ranged = nullptr;
  for (const auto& e : log) {
    all += e.request + " " + std::to_string(e.status) + " " + std::to_string(e.bytes_sent) + " [" + e.range +
           "] [" + e.if_range + "]\n";
    if (!e.range.empty() && !first_ranged) first_ranged = &e;
  }
  ASSERT_NE(first_ranged, nullptr) << "no request carried a Range header:\n" << all;
  EXPECT_EQ(first_ranged->status, 206) << all;
  uint64_t offset = 0;
  ASSERT_EQ(std::sscanf(first_ranged->range.c_str(), "bytes=%" SCNu64 "-", &offset), 1) << all;
  EXPECT_GT(offset, 0u) << all;
  EXPECT_LE(offset, staged) << "resumed beyond the bytes staging held at the kill:\n" << all;
  EXPECT_FALSE(first_ranged->if_range.empty()) << "resume without If-Range:\n" << all;
  EXPECT_EQ(std::count_if(log.begin(), log.end(), [](const auto& e) { return e.range.empty(); }), 1)
      << "the file was fetched from 0 more than once:\n" << all;
  std::printf("[ ferryd kill %d%% ] staged %" PRIu64 ", resumed at %" PRIu64 "\n", percent, staged, offset);
}

INSTANTIATE_TEST_SUITE_P(KillPoints, FerrydKillResumeTest, ::testing::Values(25, 50, 75),
                         [](const auto& info) { return "At" + std::to_string(info.param) + "Percent"; });

}  // namespace
}  // namespace ferry::service_test
