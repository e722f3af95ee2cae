// A torrent stopped between checkpoints keeps what it verified since the
// last one (docs/p2p.md "Resume data"): at Suspend and at ferryd's shutdown
// the torrent's resume data is saved, so the next start fetches only what
// was missing. Stored resume data is trusted, not checked: without the save
// at stop, the pieces verified after the last checkpoint come again.
//
// Checkpoints come every 6 s from the start and the seeder sends 1 MiB/s of
// a 16 MiB file: the job stops 11 s after its start, about 5 MiB past the
// checkpoint at 6 s (the next would be at 12 s), and the seeder's upload
// count after the restart says what was fetched again.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>

#include "support/service_test.h"
#include "support/torrent_service_test.h"
#include "support/torrent_tools.h"

namespace ferry::test {
namespace {

constexpr uint64_t kBig = 16 * kMiB + 4321;
constexpr auto kStopAfter = std::chrono::seconds(11);
// The seeder's status lags by up to 0.2 s (at 1 MiB/s) and blocks in flight
// at the stop come again (a piece per peer at most).
constexpr uint64_t kSlack = 1 * kMiB;

class TorrentStopTest : public TorrentServiceTest {
 protected:
  void SetUp() override {
    TorrentServiceTest::SetUp();
    if (Stopped()) return;
    big_sha_ = AddDocFile("big.bin", kBig, 0x73746f70);
    big_torrent_ = docroot_.Path("big.bin.torrent");
    Torrent t;
    Status s = MakeTorrent(TorrentKind::kV1, docroot_.Path("big.bin"), "", big_torrent_, &t);
    ASSERT_TRUE(s.ok()) << s.ToString();
    manager_.reset();
    ASSERT_TRUE(env_.ferryd().Terminate().ok());
    const std::string config = Config({{"checkpoint_interval_ms", 6000}});
    s = env_.RestartFerryd(&config);
    ASSERT_TRUE(s.ok()) << s.ToString();
    Connect();
  }

  // Fetches big.bin, calls stop(job) kStopAfter after the start and then
  // resume(job), and
  // checks that the seeder sent no more than the rest after that.
  void StopAndResume(const std::function<void(std::unique_ptr<Job>&)>& stop,
                     const std::function<void(Job&)>& resume) {
    StartSeeder(/*limit=*/1 * kMiB, big_torrent_);
    const std::string dest = env_.work().Path("big.out");
    std::unique_ptr<Job> job = NewJob("file://" + big_torrent_, dest);
    ASSERT_TRUE(job);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(job->Resume().ok());
    std::this_thread::sleep_until(start + kStopAfter);
    JobProgress p;
    ASSERT_TRUE(job->GetProgress(&p).ok());
    ASSERT_LT(p.bytes_transferred, kBig) << "done before the stop: the test proves nothing";
    const uint64_t before = p.bytes_transferred;
    stop(job);
    ASSERT_TRUE(job);
    const int64_t uploaded_at_stop = Uploaded();
    resume(*job);
    ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, std::chrono::seconds(60)))
        << Describe(*job) << ", LAN peers seen " << StatsOf(*job).lan_connections << "\n"
        << SeederReport();
    const int64_t after = Uploaded() - uploaded_at_stop;
    EXPECT_LE(after, static_cast<int64_t>(kBig - before + kSlack))
        << "the seeder sent " << after << " bytes after the stop; " << before
        << " were verified before it";
    ASSERT_TRUE(job->Complete().ok());
    EXPECT_EQ(Sha256File(dest), big_sha_);
  }

  std::string big_sha_;
  std::string big_torrent_;
};

TEST_F(TorrentStopTest, SuspendKeepsThePiecesVerifiedSinceTheLastCheckpoint) {
  StopAndResume([](std::unique_ptr<Job>& job) { ASSERT_TRUE(job->Suspend().ok()); },
                [](Job& job) { ASSERT_TRUE(job.Resume().ok()); });
}

TEST_F(TorrentStopTest, ShutdownKeepsThePiecesVerifiedSinceTheLastCheckpoint) {
  StopAndResume(
      [&](std::unique_ptr<Job>& job) {
        Guid id;
        ASSERT_TRUE(job->GetId(&id).ok());
        job.reset();
        RestartService(/*kill9=*/false);
        ASSERT_TRUE(manager_->GetJob(id, &job).ok());
      },
      [](Job&) {});
}

}  // namespace
}  // namespace ferry::test
