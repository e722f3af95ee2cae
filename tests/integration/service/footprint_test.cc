// An idle ferryd has not mapped libcurl or libcrypto (they are loaded with
// dlopen by the first HTTP transfer and the first SHA-256, src/sys/shared_library.h); a
// verified HTTP download then loads and uses both.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "integration/service/service_util.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"

namespace ferry::service_test {
namespace {

using test::NginxFixture;
using test::TempDir;

// True when /proc/<pid>/maps maps a file whose name contains `name`.
bool Maps(pid_t pid, const std::string& name) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(name) != std::string::npos) return true;
  return false;
}

class FootprintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ServiceEnv::Available()) GTEST_SKIP() << "dbus-daemon, dbus-send or ferryd missing";
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
    ASSERT_TRUE(docroot_.ok());
    ::chmod(docroot_.path().c_str(), 0755);
    sha_ = test::WriteRandomFile(docroot_.Path("file.bin"), 1 * kMiB + 17, 0x666f6f74);
    ASSERT_FALSE(sha_.empty());
    Status s = nginx_.Start(docroot_.path());
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = env_.Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = env_.Connect(&manager_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override {
    if (HasFailure()) std::printf("ferryd log:\n%s\n", env_.ferryd().Log().c_str());
  }

  TempDir docroot_{"ferry-svc-docroot"};
  std::string sha_;
  NginxFixture nginx_;
  ServiceEnv env_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(FootprintTest, LibcurlAndLibcryptoAreLoadedByTheFirstVerifiedDownloadOnly) {
  const pid_t pid = env_.ferryd().pid();
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(Maps(pid, "libsqlite3.so"));  // the check itself sees linked libraries
  EXPECT_FALSE(Maps(pid, "libcurl.so")) << "an idle ferryd maps libcurl";
  EXPECT_FALSE(Maps(pid, "libcrypto.so")) << "an idle ferryd maps libcrypto";

  Guid id;
  std::unique_ptr<Job> job;
  Status s = manager_->CreateJob("footprint", JobType::kDownload, &id, &job);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string dest = env_.work().Path("out.bin");
  ASSERT_TRUE(job->AddFile(nginx_.Url("/file.bin"), dest).ok());
  // Still nothing loaded: creating jobs needs neither library.
  EXPECT_FALSE(Maps(pid, "libcurl.so"));
  std::vector<std::unique_ptr<File>> files;
  ASSERT_TRUE(job->EnumFiles(&files).ok());
  ASSERT_EQ(files.size(), 1u);
  ASSERT_TRUE(files[0]->SetIntegrity(sha_).ok());
  ASSERT_TRUE(job->Resume().ok());
  JobState state{};
  ASSERT_TRUE(Eventually([&] { return job->GetState(&state).ok() && state == JobState::kTransferred; }))
      << Describe(*job);
  EXPECT_TRUE(Maps(pid, "libcurl.so.4"));
  EXPECT_TRUE(Maps(pid, "libcrypto.so.3"));
  ASSERT_TRUE(job->Complete().ok());
  EXPECT_EQ(test::Sha256File(dest), sha_);
}

}  // namespace
}  // namespace ferry::service_test
