// DO downloads: the properties that must reach the transfer, through the SDK
// against a real ferryd on a private bus (docs/download.md): TotalSizeBytes
// checked against the origin, IntegrityCheckMandatory, LocalPath's missing
// directories, and — with an HTTPS origin (TlsOrigin, as HttpsTest) —
// HttpAllowSecureToNonSecureRedirect and SecurityFlags.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "integration/tls_origin.h"
#include "support/nginx_fixture.h"
#include "support/service_test.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

using D = DownloadState;
using P = DownloadProperty;

constexpr uint64_t kSmall = 256 * 1024 + 17;

class DownloadGapsTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    sha_ = AddDocFile("small.bin", kSmall, 0x676170);
    StartNginx();
    StartService("");
  }
  // ferryd with `extra_config` (JSON members) beside the default floor.
  void StartService(const std::string& extra_config) {
    test::FerrydOptions fo;
    fo.config_json = R"({"min_retry_delay_floor_seconds": 1)" +
                     (extra_config.empty() ? "" : ", " + extra_config) + "}";
    ServiceTest::StartService(fo);
  }

  // Waits until the download is Transferred or has an error; its status.
  DownloadStatus Settle(Download& d) {
    DownloadStatus st;
    EXPECT_TRUE(Eventually([&] {
      return d.GetStatus(&st).ok() &&
             (st.state == D::kTransferred || st.state == D::kAborted || st.error != 0);
    }));
    return st;
  }

  std::string sha_;
};

// --- TotalSizeBytes -------------------------------------------------------------

TEST_F(DownloadGapsTest, TotalSizeBytesThatDiffersFromTheOriginFailsWithoutDelivering) {
  const std::string dest = env_.work().Path("wrong-size.bin");
  auto d = NewDownload(nginx_.Url("/small.bin"), dest);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->SetProperty(P::kTotalSizeBytes, uint64_t{kSmall + 1}).ok());
  ASSERT_TRUE(d->Start().ok());
  DownloadStatus st = Settle(*d);
  EXPECT_EQ(DownloadStateName(st.state), DownloadStateName(D::kPaused));
  EXPECT_EQ(Hex(st.error), Hex(code::kHttpBlocksizeMismatch));
  EXPECT_EQ(Hex(d->Finalize().code()), Hex(code::kInvalidState));
  EXPECT_FALSE(PathExists(dest));

  // Control: the right size downloads.
  const std::string good = env_.work().Path("right-size.bin");
  auto ok = NewDownload(nginx_.Url("/small.bin"), good);
  ASSERT_TRUE(ok);
  ASSERT_TRUE(ok->SetProperty(P::kTotalSizeBytes, uint64_t{kSmall}).ok());
  ASSERT_TRUE(ok->Start().ok());
  st = Settle(*ok);
  ASSERT_EQ(DownloadStateName(st.state), DownloadStateName(D::kTransferred)) << Hex(st.error);
  ASSERT_TRUE(ok->Finalize().ok());
  EXPECT_EQ(test::Sha256File(good), sha_);
}

// --- IntegrityCheckMandatory ------------------------------------------------------

TEST_F(DownloadGapsTest, MandatoryIntegrityCheckWithoutInfoRefusesStart) {
  auto d = NewDownload(nginx_.Url("/small.bin"), env_.work().Path("no-info.bin"));
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->SetProperty(P::kIntegrityCheckMandatory, true).ok());
  EXPECT_EQ(Hex(d->Start().code()), Hex(code::kValidationFailed));
  DownloadStatus st;
  ASSERT_TRUE(d->GetStatus(&st).ok());
  EXPECT_EQ(DownloadStateName(st.state), DownloadStateName(D::kCreated)) << "changes nothing";
}

TEST_F(DownloadGapsTest, MandatoryIntegrityCheckThatFailsAbortsTheDownload) {
  const std::string dest = env_.work().Path("bad-hash.bin");
  auto d = NewDownload(nginx_.Url("/small.bin"), dest);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->SetProperty(P::kIntegrityCheckMandatory, true).ok());
  ASSERT_TRUE(
      d->SetProperty(P::kIntegrityCheckInfo, "{\"Sha256\":\"" + std::string(64, 'b') + "\"}").ok());
  ASSERT_TRUE(d->Start().ok());
  DownloadStatus st = Settle(*d);
  EXPECT_EQ(DownloadStateName(st.state), DownloadStateName(D::kAborted));
  EXPECT_EQ(Hex(st.error), Hex(code::kValidationFailed));
  EXPECT_EQ(Hex(d->Finalize().code()), Hex(code::kInvalidState));
  EXPECT_FALSE(PathExists(dest));
}

// --- LocalPath's missing directories ----------------------------------------------

TEST_F(DownloadGapsTest, MissingDirectoriesOfLocalPathAreCreatedAtStart) {
  const std::string dir = env_.work().Path("new/deeper");
  const std::string dest = dir + "/file.bin";
  auto d = NewDownload(nginx_.Url("/small.bin"), dest);
  ASSERT_TRUE(d);
  EXPECT_FALSE(PathExists(dir));
  Status s = d->Start();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(PathExists(dir));
  DownloadStatus st = Settle(*d);
  ASSERT_EQ(DownloadStateName(st.state), DownloadStateName(D::kTransferred)) << Hex(st.error);
  ASSERT_TRUE(d->Finalize().ok());
  EXPECT_EQ(test::Sha256File(dest), sha_);
}

// --- GetStats -----------------------------------------------------------------------

TEST_F(DownloadGapsTest, GetStatsGivesTheFileStatsOfTheJobUnderneath) {
  auto d = NewDownload(nginx_.Url("/small.bin"), env_.work().Path("stats.bin"));
  ASSERT_TRUE(d);
  FileStats fs;
  Status s = d->GetStats(&fs);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(fs.file_size, kSizeUnknown) << "not started";
  EXPECT_EQ(fs.total_bytes_downloaded, 0u);
  ASSERT_TRUE(d->Start().ok());
  DownloadStatus st = Settle(*d);
  ASSERT_EQ(DownloadStateName(st.state), DownloadStateName(D::kTransferred)) << Hex(st.error);
  ASSERT_TRUE(d->GetStats(&fs).ok());
  EXPECT_EQ(fs.file_size, kSmall);
  EXPECT_EQ(fs.bytes_from_http, kSmall);
  EXPECT_EQ(fs.total_bytes_downloaded, kSmall);
  EXPECT_GE(fs.http_connections, 1u);
  EXPECT_EQ(fs.status, FileStatsStatus::kComplete);
  EXPECT_EQ(fs.bytes_from_lan_peers + fs.bytes_to_peers, 0u);
  ASSERT_TRUE(d->Finalize().ok());
  FileStats after;
  ASSERT_TRUE(d->GetStats(&after).ok()) << "the last figures stay readable";
  EXPECT_EQ(after.bytes_from_http, kSmall);
  EXPECT_EQ(Hex(d->GetStats(nullptr).code()), Hex(code::kInvalidArg));
}

// --- HTTPS: redirects and SecurityFlags ---------------------------------------------

class DownloadTlsTest : public DownloadGapsTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (Stopped()) return;
    if (!TlsOrigin::OpensslAvailable()) GTEST_SKIP() << "openssl is not installed";
    sha_ = AddDocFile("file.bin", kSmall, 443);
    if (Stopped()) return;
    Status s =
        origin_.Start(docroot_.path(),
                      "location = /redirect { return 302 http://127.0.0.1:{HTTP_PORT}/file.bin; }");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::string CaConfig() { return "\"ca_file\": \"" + origin_.cert_file() + "\""; }
  // The origin's HTTPS URL by the name "localhost": the certificate names
  // only 127.0.0.1, so the name check fails.
  std::string LocalhostUrl(std::string_view path) {
    return "https://localhost:" + std::to_string(origin_.https_port()) + std::string(path);
  }

  TlsOrigin origin_;
};

TEST_F(DownloadTlsTest, HttpsToHttpRedirectIsFollowedOnlyWhenAllowed) {
  ASSERT_NO_FATAL_FAILURE(StartService(CaConfig()));
  const std::string refused_dest = env_.work().Path("refused.bin");
  auto refused = NewDownload(origin_.HttpsUrl("/redirect"), refused_dest);
  ASSERT_TRUE(refused);
  ASSERT_TRUE(refused->Start().ok());
  DownloadStatus st = Settle(*refused);
  EXPECT_EQ(DownloadStateName(st.state), DownloadStateName(D::kPaused));
  EXPECT_EQ(Hex(st.error), Hex(code::kRedirectFailed));

  const std::string dest = env_.work().Path("allowed.bin");
  auto allowed = NewDownload(origin_.HttpsUrl("/redirect"), dest);
  ASSERT_TRUE(allowed);
  ASSERT_TRUE(allowed->SetProperty(P::kHttpAllowSecureToNonSecureRedirect, true).ok());
  PropertyValue v;
  ASSERT_TRUE(allowed->GetProperty(P::kHttpAllowSecureToNonSecureRedirect, &v).ok());
  EXPECT_TRUE(std::get<bool>(v));
  ASSERT_TRUE(allowed->Start().ok());
  st = Settle(*allowed);
  ASSERT_EQ(DownloadStateName(st.state), DownloadStateName(D::kTransferred)) << Hex(st.error);
  ASSERT_TRUE(allowed->Finalize().ok());
  EXPECT_EQ(test::Sha256File(dest), sha_);
  EXPECT_FALSE(PathExists(refused_dest));
}

TEST_F(DownloadTlsTest, IgnoreUnknownCaSkipsOnlyTheChainCheck) {
  ASSERT_NO_FATAL_FAILURE(StartService(""));  // the certificate is not trusted
  auto strict = NewDownload(origin_.HttpsUrl("/file.bin"), env_.work().Path("strict.bin"));
  auto cn_only = NewDownload(origin_.HttpsUrl("/file.bin"), env_.work().Path("cn.bin"));
  const std::string dest = env_.work().Path("relaxed.bin");
  auto relaxed = NewDownload(origin_.HttpsUrl("/file.bin"), dest);
  ASSERT_TRUE(strict && cn_only && relaxed);
  ASSERT_TRUE(cn_only->SetProperty(P::kSecurityFlags, uint32_t{0x1000}).ok());
  ASSERT_TRUE(relaxed->SetProperty(P::kSecurityFlags, uint32_t{0x100}).ok());
  for (auto* d : {strict.get(), cn_only.get(), relaxed.get()}) ASSERT_TRUE(d->Start().ok());
  EXPECT_EQ(Hex(Settle(*strict).error), Hex(code::kHttpCertValidation));
  EXPECT_EQ(Hex(Settle(*cn_only).error), Hex(code::kHttpCertValidation));
  DownloadStatus st = Settle(*relaxed);
  ASSERT_EQ(DownloadStateName(st.state), DownloadStateName(D::kTransferred)) << Hex(st.error);
  ASSERT_TRUE(relaxed->Finalize().ok());
  EXPECT_EQ(test::Sha256File(dest), sha_);
}

TEST_F(DownloadTlsTest, IgnoreCertCnSkipsOnlyTheNameCheck) {
  ASSERT_NO_FATAL_FAILURE(StartService(CaConfig()));
  auto strict = NewDownload(LocalhostUrl("/file.bin"), env_.work().Path("strict.bin"));
  const std::string dest = env_.work().Path("relaxed.bin");
  auto relaxed = NewDownload(LocalhostUrl("/file.bin"), dest);
  ASSERT_TRUE(strict && relaxed);
  ASSERT_TRUE(relaxed->SetProperty(P::kSecurityFlags, uint32_t{0x1000}).ok());
  ASSERT_TRUE(strict->Start().ok());
  ASSERT_TRUE(relaxed->Start().ok());
  EXPECT_EQ(Hex(Settle(*strict).error), Hex(code::kHttpCertValidation));
  DownloadStatus st = Settle(*relaxed);
  ASSERT_EQ(DownloadStateName(st.state), DownloadStateName(D::kTransferred)) << Hex(st.error);
  ASSERT_TRUE(relaxed->Finalize().ok());
  EXPECT_EQ(test::Sha256File(dest), sha_);
}

}  // namespace
}  // namespace ferry::test
