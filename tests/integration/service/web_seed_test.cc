// Web seeds (BEP 19) through ferry's own HTTP engine (docs/p2p.md "Web
// seeds"): with the job's proxy, with the service's ca_file for an HTTPS web
// seed, and never trusting a web seed's bytes before libtorrent checked them.
// A real ferryd, nginx as origin (plain, TLS) and as a forward proxy.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "integration/tls_origin.h"
#include "support/service_test.h"
#include "support/torrent_service_test.h"
#include "support/torrent_tools.h"

namespace ferry::test {
namespace {

class WebSeedTest : public TorrentServiceTest {
 protected:
  // A v1 torrent of content.bin whose only web seed is `url`.
  std::string TorrentWithWebSeed(const std::string& url) {
    const std::string path = env_.work().Path("web-seeded.torrent");
    Torrent t;
    Status s = MakeTorrent(TorrentKind::kV1, docroot_.Path("content.bin"), "", path, &t, url);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return path;
  }
  void RestartWith(const nlohmann::json& extra) {
    manager_.reset();
    ASSERT_TRUE(env_.ferryd().Terminate().ok());
    const std::string config = Config(extra);
    Status s = env_.RestartFerryd(&config);
    ASSERT_TRUE(s.ok()) << s.ToString();
    Connect();
  }
  // Fetches `torrent` into out.bin; checks the bytes and that they are HTTP's.
  void FetchAndCheck(const std::string& torrent) {
    const std::string dest = env_.work().Path("out.bin");
    std::unique_ptr<Job> job = NewJob("file://" + torrent, dest);
    ASSERT_TRUE(job);
    if (configure_) configure_(*job);
    ASSERT_TRUE(job->Resume().ok());
    ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, std::chrono::seconds(60)))
        << Describe(*job);
    FileStats st = StatsOf(*job);
    EXPECT_GE(st.bytes_from_http, kSize);
    EXPECT_EQ(st.bytes_from_lan_peers + st.bytes_from_internet_peers, 0u);
    ASSERT_TRUE(job->Complete().ok());
    EXPECT_EQ(Sha256File(dest), sha_);
  }

  // ferryd drops the job's web seed (its log says so) and nothing of it
  // counts as transferred.
  void ExpectWebSeedDroppedWithNothingCounted(Job& job) {
    EXPECT_TRUE(
        Eventually([&] { return env_.ferryd().Log().find("dropped after") != std::string::npos; },
                   std::chrono::seconds(40)))
        << "the web seed was not dropped";
    JobProgress p;
    ASSERT_TRUE(job.GetProgress(&p).ok());
    EXPECT_EQ(p.bytes_transferred, 0u) << "a piece of the web seed counted";
  }

  std::function<void(Job&)> configure_;
};

TEST_F(WebSeedTest, AWebSeedGoesThroughTheJobsProxy) {
  StartNginx();
  NginxFixture proxy;
  NginxOptions po;
  po.forward_proxy = true;
  ASSERT_TRUE(proxy.Start(docroot_.path(), po).ok());
  const std::string proxy_address = "127.0.0.1:" + std::to_string(proxy.port());
  configure_ = [&](Job& job) {
    ASSERT_TRUE(job.SetProxySettings(ProxyUsage::kOverride, proxy_address, "").ok());
  };
  ASSERT_NO_FATAL_FAILURE(FetchAndCheck(TorrentWithWebSeed(nginx_.Url("/content.bin"))));
  uint64_t through_proxy = 0;
  for (const NginxLogEntry& e : proxy.AccessLog())
    if (e.request.find(nginx_.Url("/content.bin")) != std::string::npos && e.status == 206)
      through_proxy += e.bytes_sent;
  EXPECT_GE(through_proxy, kSize) << "the web seed's bytes did not come through the proxy";
}

TEST_F(WebSeedTest, AnHttpsWebSeedIsTrustedThroughTheServicesCaFile) {
  if (!TlsOrigin::OpensslAvailable()) GTEST_SKIP() << "openssl is not installed";
  TlsOrigin origin;
  ASSERT_TRUE(origin.Start(docroot_.path()).ok());
  const std::string torrent = TorrentWithWebSeed(origin.HttpsUrl("/content.bin"));

  // Not trusted: the web seed gives nothing and is dropped.
  std::unique_ptr<Job> job = NewJob("file://" + torrent, env_.work().Path("untrusted.bin"));
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->Resume().ok());
  ExpectWebSeedDroppedWithNothingCounted(*job);
  ASSERT_TRUE(job->Cancel().ok());

  ASSERT_NO_FATAL_FAILURE(RestartWith({{"ca_file", origin.cert_file()}}));
  ASSERT_NO_FATAL_FAILURE(FetchAndCheck(torrent));
}

// A web seed serving other bytes: every piece fails libtorrent's check, the
// web seed is dropped, and the file comes right from a peer.
TEST_F(WebSeedTest, AWebSeedServingOtherBytesIsDroppedAndNothingOfItIsKept) {
  AddDocFile("other.bin", kSize, 0x6f746872);
  StartNginx();
  const std::string dest = env_.work().Path("out.bin");
  const std::string torrent = TorrentWithWebSeed(nginx_.Url("/other.bin"));
  std::unique_ptr<Job> job = NewJob("file://" + torrent, dest);
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->Resume().ok());
  ExpectWebSeedDroppedWithNothingCounted(*job);
  StartSeeder(/*limit=*/0, torrent);
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, std::chrono::seconds(60)))
      << Describe(*job);
  ASSERT_TRUE(job->Complete().ok());
  EXPECT_EQ(Sha256File(dest), sha_);
}

}  // namespace
}  // namespace ferry::test
