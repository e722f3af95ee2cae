// HTTPS against a real nginx with a self-signed certificate (semantics.md
// §6): TLS verification is on by default, config.ca_file adds a trust
// anchor, and an https -> http redirect is refused.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "integration/integration_util.h"
#include "integration/tls_origin.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {


class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
    if (!TlsOrigin::OpensslAvailable()) GTEST_SKIP() << "openssl is not installed";
    ASSERT_TRUE(docroot_.ok() && work_.ok());
    ::chmod(docroot_.path().c_str(), 0755);
    size_ = Scaled(2 * kMiB + 4321);
    sha_ = test::WriteRandomFile(docroot_.Path("file.bin"), size_, 443);
    ASSERT_FALSE(sha_.empty());
    Status s = origin_.Start(docroot_.path(),
                             "location = /redirect { return 302 http://127.0.0.1:{HTTP_PORT}/file.bin; }");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void StartHostWithCa(const std::string& ca_file) {
    core::EngineConfig c = TestConfig();
    c.ca_file = ca_file;
    Status s;
    host_ = StartHost(work_.Path("state"), c, &s);
    ASSERT_TRUE(host_) << s.ToString();
  }

  TempDir docroot_{"ferry-https-docroot"};
  TempDir work_{"ferry-https"};
  uint64_t size_ = 0;
  std::string sha_;
  TlsOrigin origin_;
  std::unique_ptr<Host> host_;
};

TEST_F(HttpsTest, DownloadsWithTheCertificateAsCaFile) {
  ASSERT_NO_FATAL_FAILURE(StartHostWithCa(origin_.cert_file()));
  const std::string dest = work_.Path("out.bin");
  Guid id;
  Status s = CreateAndResume(*host_, origin_.HttpsUrl("/file.bin"), dest, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(WaitForState(*host_, id, JobState::kTransferred)) << origin_.nginx().ErrorLog();
  s = CompleteSync(*host_, id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(test::Sha256File(dest), sha_);
}

TEST_F(HttpsTest, UntrustedCertificateIsFatalCertValidation) {
  ASSERT_NO_FATAL_FAILURE(StartHostWithCa(""));
  const std::string dest = work_.Path("out.bin");
  Guid id;
  Status s = CreateAndResume(*host_, origin_.HttpsUrl("/file.bin"), dest, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  core::JobSnapshot snap;
  ASSERT_TRUE(WaitForState(*host_, id, JobState::kError, &snap));
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_EQ(static_cast<uint32_t>(snap.job.error->code), 0x80D05002u)
      << Status(snap.job.error->code, snap.job.error->message).ToString();
  EXPECT_EQ(snap.job.error->code, code::kHttpCertValidation);
  EXPECT_EQ(snap.progress.bytes_transferred, 0u);
  EXPECT_FALSE(PathExists(dest));
  // The handshake failed: nginx never saw a request.
  for (const auto& e : origin_.nginx().AccessLog()) EXPECT_EQ(e.status, 400) << e.request;
}

TEST_F(HttpsTest, RedirectFromHttpsToHttpIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartHostWithCa(origin_.cert_file()));
  const std::string dest = work_.Path("out.bin");
  Guid id;
  Status s = CreateAndResume(*host_, origin_.HttpsUrl("/redirect"), dest, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  core::JobSnapshot snap;
  ASSERT_TRUE(WaitForState(*host_, id, JobState::kError, &snap));
  ASSERT_TRUE(snap.job.error.has_value());
  EXPECT_EQ(static_cast<uint32_t>(snap.job.error->code), 0x80072F9Cu)
      << Status(snap.job.error->code, snap.job.error->message).ToString();
  EXPECT_EQ(snap.job.error->code, code::kRedirectFailed);
  EXPECT_FALSE(PathExists(dest));
  // The redirect was answered, its http:// target never fetched.
  auto log = AccessLogAtLeast(origin_.nginx(), 1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].request, "GET /redirect HTTP/1.1");
  EXPECT_EQ(log[0].status, 302);
}

TEST_F(HttpsTest, TheRedirectTargetItselfIsServedOverHttp) {
  // Control for the test above: the http:// target exists and works, so the
  // refusal there is the engine's choice, not a dead link.
  ASSERT_NO_FATAL_FAILURE(StartHostWithCa(""));
  const std::string dest = work_.Path("out.bin");
  Guid id;
  std::string target = "http://127.0.0.1:" + std::to_string(origin_.extra_http_port()) + "/file.bin";
  Status s = CreateAndResume(*host_, target, dest, &id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(WaitForState(*host_, id, JobState::kTransferred));
  s = CompleteSync(*host_, id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(test::Sha256File(dest), sha_);
}

}  // namespace
}  // namespace ferry::test
