// An idle ferryd has not mapped libcurl or libcrypto (they are loaded with
// dlopen by the first HTTP transfer and the first SHA-256, src/sys/shared_library.h); a
// verified HTTP download then loads and uses both.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "support/service_test.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {


// True when /proc/<pid>/maps maps a file whose name contains `name`.
bool Maps(pid_t pid, const std::string& name) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(name) != std::string::npos) return true;
  return false;
}

class FootprintTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    sha_ = AddDocFile("file.bin", 1 * kMiB + 17, 0x666f6f74);
    StartNginx();
    StartService();
  }

  std::string sha_;
};

TEST_F(FootprintTest, LibcurlAndLibcryptoAreLoadedByTheFirstVerifiedDownloadOnly) {
  const pid_t pid = env_.ferryd().pid();
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(Maps(pid, "libsqlite3.so"));  // the check itself sees linked libraries
  EXPECT_FALSE(Maps(pid, "libcurl.so")) << "an idle ferryd maps libcurl";
  EXPECT_FALSE(Maps(pid, "libcrypto.so")) << "an idle ferryd maps libcrypto";
  // libtorrent comes only with lib/torrent's module, loaded at first use.
  EXPECT_FALSE(Maps(pid, "libtorrent-rasterbar")) << "an idle ferryd maps libtorrent";
  EXPECT_FALSE(Maps(pid, "libferry-torrent")) << "an idle ferryd maps the torrent module";

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
  EXPECT_FALSE(Maps(pid, "libtorrent-rasterbar")) << "an HTTP download maps libtorrent";
  ASSERT_TRUE(job->Complete().ok());
  EXPECT_EQ(test::Sha256File(dest), sha_);
}

}  // namespace
}  // namespace ferry::test
