#include "support/nginx_fixture.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "support/temp_dir.h"

namespace ferry::test {
namespace {

int Curl(const std::string& args, const std::string& out) {
  std::string cmd = "curl -s --max-time 20 -o " + out + " " + args;
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class NginxFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
    ASSERT_TRUE(docroot_.ok());
    ::chmod(docroot_.path().c_str(), 0755);  // readable by workers of any user
    sha_ = WriteRandomFile(docroot_.Path("file.bin"), 256 * 1024, 11);
    ASSERT_FALSE(sha_.empty());
  }

  TempDir docroot_{"ferry-docroot"};
  TempDir out_;
  std::string sha_;
};

TEST_F(NginxFixtureTest, StartServeRangeStop) {
  NginxFixture nginx;
  Status s = nginx.Start(docroot_.path());
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(nginx.running());
  EXPECT_GT(nginx.port(), 0);
  std::string prefix = nginx.prefix();
  EXPECT_TRUE(std::filesystem::exists(prefix + "/nginx.conf"));

  EXPECT_EQ(Curl(nginx.Url("/file.bin"), out_.Path("full")), 0);
  EXPECT_EQ(Sha256File(out_.Path("full")), sha_);
  EXPECT_EQ(Curl("-r 1000-1999 " + nginx.Url("file.bin"), out_.Path("part")), 0);
  EXPECT_EQ(ReadFile(out_.Path("part")), RandomBytes(2000, 11).substr(1000));
  EXPECT_EQ(Curl(nginx.Url("/missing"), out_.Path("missing")), 0);

  // nginx logs a request once it has ended on its side, which may be after
  // curl has exited: wait (bounded) for the third line.
  auto log = nginx.AccessLog();
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       log.size() < 3 && std::chrono::steady_clock::now() < until; log = nginx.AccessLog())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(log.size(), 3u) << nginx.ErrorLog();
  EXPECT_EQ(log[0].request, "GET /file.bin HTTP/1.1");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_GT(log[0].bytes_sent, 256u * 1024);
  EXPECT_EQ(log[0].range, "");
  EXPECT_EQ(log[1].status, 206);
  EXPECT_EQ(log[1].range, "bytes=1000-1999");
  EXPECT_GT(log[1].bytes_sent, 1000u);
  EXPECT_LT(log[1].bytes_sent, 2000u);
  EXPECT_EQ(log[2].status, 404);
  EXPECT_EQ(nginx.AccessLogLines().size(), 3u);

  pid_t pid = nginx.pid();
  auto start = std::chrono::steady_clock::now();
  nginx.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
  EXPECT_FALSE(nginx.running());
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: no such process
  EXPECT_FALSE(std::filesystem::exists(prefix));
  nginx.Stop();  // idempotent
}

TEST_F(NginxFixtureTest, LimitRateThrottles) {
  NginxFixture nginx;
  NginxOptions options;
  // nginx lets the first second's worth through at once: 128 KiB now, 128 KiB
  // about a second later.
  options.limit_rate = 128 * 1024;
  Status s = nginx.Start(docroot_.path(), options);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Curl(nginx.Url("/file.bin"), out_.Path("full")), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(700));
  EXPECT_EQ(Sha256File(out_.Path("full")), sha_);
}

TEST_F(NginxFixtureTest, TwoInstancesGetDistinctPortsAndRestartWorks) {
  NginxFixture a, b;
  ASSERT_TRUE(a.Start(docroot_.path()).ok());
  ASSERT_TRUE(b.Start(docroot_.path()).ok());
  EXPECT_NE(a.port(), b.port());
  EXPECT_FALSE(a.Start(docroot_.path()).ok());  // already running
  a.Stop();
  ASSERT_TRUE(a.Start(docroot_.path()).ok());
  EXPECT_EQ(Curl(a.Url("/file.bin"), out_.Path("a")), 0);
  EXPECT_EQ(Sha256File(out_.Path("a")), sha_);
}

}  // namespace
}  // namespace ferry::test
