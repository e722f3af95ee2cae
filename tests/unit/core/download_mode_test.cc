// A job's own download mode (Engine::SetDownloadMode; docs/peering.md
// "Per-job download mode"), in the engine on the fake clock: the setter's
// rules, the effective mode (the job's, else ferryd's) in snapshots and
// across a restart, and which backend a content-id file goes to — from each
// file's next start, a running one keeping its transport.
#include <gtest/gtest.h>

#include <deque>

#include "lib/crypto/pieces_root.h"
#include "unit/core/engine_fixture.h"
#include "util/content_id.h"

namespace ferry::test {
namespace {

using S = JobState;
using M = DownloadMode;

std::string IdOf(std::string_view body) {
  return FormatContentId(
      {body.size(), crypto::PiecesRootHex(std::as_bytes(std::span(body.data(), body.size())))});
}

// The peer backend: records each fetch it is asked for, with the mode its
// host says, and keeps it running (no byte ever comes) until stopped.
class FakePeers final : public core::FetchMaker {
 public:
  struct Made {
    uint32_t file = 0;
    DownloadMode mode = M::kHttpOnly;
    bool stopped = false;
  };

  std::unique_ptr<core::Fetch> MakeFetch(std::unique_ptr<core::FetchHost> host,
                                         uint32_t file) override {
    made.push_back({file, host->Config().peering.mode, false});
    return std::make_unique<IdleFetch>(std::move(host), file, &made.back().stopped);
  }

  std::deque<Made> made;  // stable addresses

 private:
  class IdleFetch final : public core::Fetch {
   public:
    IdleFetch(std::unique_ptr<core::FetchHost> host, uint32_t file, bool* stopped)
        : host_(std::move(host)), file_(file), stopped_(stopped) {}
    uint32_t file() const override { return file_; }
    bool Begin(core::ErrorRecord*) override {
      host_->SetResumeData("the peers' state");
      return true;
    }
    void Stop() override { *stopped_ = true; }
    Status StopAndSync(uint64_t* bytes) override {
      Stop();
      *bytes = host_->File().bytes_transferred;
      return Status::OK();
    }
    void SetPaused(bool) override {}
    void SetBandwidthQuota(int64_t) override {}

   private:
    std::unique_ptr<core::FetchHost> host_;
    uint32_t file_;
    bool* stopped_;
  };
};

class DownloadModeTest : public EngineTest {
 protected:
  DownloadModeTest() {
    peers_ = &fake_peers_;
    cfg_.peering.mode = M::kLan;
    cfg_.peering.min_file_size = 0;
  }
  // The engine goes before the fake peers it points to.
  void TearDown() override { Crash(); }

  // A SUSPENDED job of one HTTP file with the content id of `body`.
  Guid ContentJob(const std::string& name, const std::string& body) {
    Guid id = NewJob(name);
    NewFile f = HttpFile(name);
    f.content_id = IdOf(body);
    EXPECT_TRUE(engine_->AddFiles(id, std::span(&f, 1)).ok());
    return id;
  }

  FakePeers fake_peers_;
};

TEST_F(DownloadModeTest, OnlyTheSixModesAreAcceptedAndARefusalChangesNothing) {
  Open();
  Guid id = MakeJobWithFile();
  size_t commits = Commits();
  for (uint32_t bad : {4u, 5u, 98u, 101u, 0xFFFFFFFFu}) {
    SCOPED_TRACE(bad);
    EXPECT_CODE(code::kInvalidArg, engine_->SetDownloadMode(id, static_cast<M>(bad)));
  }
  EXPECT_EQ(Commits(), commits) << "a refused set commits nothing";
  EXPECT_EQ(Snap(id).job.download_mode, std::nullopt);
  EXPECT_EQ(store_.records.at(id).download_mode, std::nullopt);

  for (M m : {M::kHttpOnly, M::kLan, M::kGroup, M::kInternet, M::kSimple, M::kBypass}) {
    SCOPED_TRACE(static_cast<uint32_t>(m));
    ASSERT_TRUE(engine_->SetDownloadMode(id, m).ok());
    EXPECT_EQ(Snap(id).job.download_mode, m);
    EXPECT_EQ(store_.records.at(id).download_mode, m) << "committed before it returns";
  }
  // A bad value after a good one keeps the good one.
  EXPECT_CODE(code::kInvalidArg, engine_->SetDownloadMode(id, static_cast<M>(7)));
  EXPECT_EQ(Snap(id).job.download_mode, M::kBypass);
  ASSERT_TRUE(engine_->SetDownloadMode(id, std::nullopt).ok());
  EXPECT_EQ(store_.records.at(id).download_mode, std::nullopt);

  EXPECT_CODE(code::kJobNotFound, engine_->SetDownloadMode(Guid::Random(), M::kLan));
  ASSERT_TRUE(engine_->Cancel(id).ok());
  Pump();
  EXPECT_CODE(code::kInvalidState, engine_->SetDownloadMode(id, M::kHttpOnly));
}

TEST_F(DownloadModeTest, TheEffectiveModeIsTheJobsElseFerrydsAndSurvivesARestart) {
  Open();
  Guid id = MakeJobWithFile();
  EXPECT_EQ(Snap(id).download_mode, M::kLan) << "ferryd's";
  ASSERT_TRUE(engine_->SetDownloadMode(id, M::kHttpOnly).ok());
  EXPECT_EQ(Snap(id).download_mode, M::kHttpOnly);
  Reopen();
  EXPECT_EQ(Snap(id).job.download_mode, M::kHttpOnly);
  EXPECT_EQ(Snap(id).download_mode, M::kHttpOnly);
  ASSERT_TRUE(engine_->SetDownloadMode(id, std::nullopt).ok());
  EXPECT_EQ(Snap(id).download_mode, M::kLan);
  Reopen();
  EXPECT_EQ(Snap(id).job.download_mode, std::nullopt);
}

// ferryd in LAN mode: a content-id file goes to the peers; the same file of
// a job set to HTTP only goes to the origin and reports HTTP only.
TEST_F(DownloadModeTest, HttpOnlyOnAJobSendsItsContentFileToTheOrigin) {
  Open();
  std::string body = Body(3000);
  Guid peered = ContentJob("peered", body);
  ASSERT_TRUE(engine_->Resume(peered).ok());
  Pump();
  ASSERT_EQ(fake_peers_.made.size(), 1u);
  EXPECT_EQ(fake_peers_.made[0].mode, M::kLan);

  Guid direct = ContentJob("direct", body);
  ASSERT_TRUE(engine_->SetDownloadMode(direct, M::kHttpOnly).ok());
  ASSERT_TRUE(engine_->Resume(direct).ok());
  Pump();
  EXPECT_EQ(fake_peers_.made.size(), 1u) << "not sent to the peers";
  auto t = TransferOf(direct);
  ASSERT_NE(t, nullptr) << "the origin is asked at once";
  t->Serve(body);
  ASSERT_TRUE(PumpUntil([&] { return State(direct) != S::kTransferring; }));
  EXPECT_EQ(State(direct), S::kTransferred);
  FileStats st = StatsOf(direct);
  EXPECT_EQ(st.download_mode, M::kHttpOnly);
  EXPECT_EQ(st.bytes_from_http, body.size());
}

// ferryd in HTTP-only mode: a job an administrator sets to Group (or
// Internet) is peered, and its fetch sees that mode.
TEST_F(DownloadModeTest, APeeringModeOnAJobPeersItOnAnHttpOnlyFerryd) {
  cfg_.peering.mode = M::kHttpOnly;
  Open();
  std::string body = Body(3000);
  Guid plain = ContentJob("plain", body);
  ASSERT_TRUE(engine_->Resume(plain).ok());
  Pump();
  EXPECT_TRUE(fake_peers_.made.empty());
  EXPECT_NE(TransferOf(plain), nullptr);

  for (M m : {M::kGroup, M::kInternet}) {
    Guid id = ContentJob("peered" + std::to_string(static_cast<int>(m)), body);
    ASSERT_TRUE(engine_->SetDownloadMode(id, m).ok());
    ASSERT_TRUE(engine_->Resume(id).ok());
    Pump();
    ASSERT_FALSE(fake_peers_.made.empty());
    EXPECT_EQ(fake_peers_.made.back().mode, m);
    EXPECT_EQ(TransferOf(id), nullptr);
  }
  EXPECT_EQ(fake_peers_.made.size(), 2u);
}

// A change while a file runs leaves its transport alone; the file's next
// start takes the new mode, and the peers' resume state is dropped when it
// goes to the origin.
TEST_F(DownloadModeTest, ARunningFileKeepsItsTransportUntilItsNextStart) {
  Open();
  std::string body = Body(3000);
  Guid id = ContentJob("switch", body);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  ASSERT_EQ(fake_peers_.made.size(), 1u);
  EXPECT_EQ(Snap(id).job.files[0].resume_data, "the peers' state");

  ASSERT_TRUE(engine_->SetDownloadMode(id, M::kHttpOnly).ok());
  Pump();
  EXPECT_FALSE(fake_peers_.made[0].stopped) << "the running fetch goes on";
  EXPECT_EQ(TransferOf(id), nullptr);
  EXPECT_EQ(Snap(id).download_mode, M::kHttpOnly) << "what the next start uses";

  ASSERT_TRUE(engine_->Suspend(id).ok());
  Pump();
  EXPECT_TRUE(fake_peers_.made[0].stopped);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  EXPECT_EQ(fake_peers_.made.size(), 1u);
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Snap(id).job.files[0].resume_data, "");
  t->Serve(body);
  ASSERT_TRUE(PumpUntil([&] { return State(id) != S::kTransferring; }));
  EXPECT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(store_.records.at(id).files[0].resume_data, "");
}

// A file fetched from peers has their pieces anywhere in staging, not a
// prefix: after a crash on the same boot its staged size is no count of
// bytes (the peers' resume data says which pieces are there), unlike an
// HTTP file's (RecoveryTest.SameBootResumesFromTheStagedSize).
TEST_F(DownloadModeTest, AfterACrashAFileFromPeersKeepsItsCountNotItsStagedSize) {
  Open();
  std::string body = Body(3000);
  Guid id = ContentJob("crash", body);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  ASSERT_EQ(fake_peers_.made.size(), 1u);
  ASSERT_TRUE(PumpUntil([&] { return store_.records.at(id).files[0].resume_data != ""; }));
  Crash();
  payload_.SetStaged(id, 0, body.substr(0, 2500));  // pieces written near the end
  Open();
  Pump();
  EXPECT_EQ(Snap(id).job.files[0].bytes_transferred, 0u);
  EXPECT_EQ(Snap(id).job.files[0].stats.total_bytes_downloaded, 0u) << "nothing counted";
  EXPECT_EQ(fake_peers_.made.size(), 2u) << "it goes on from the peers";
  EXPECT_EQ(Snap(id).job.files[0].resume_data, "the peers' state");
}

}  // namespace
}  // namespace ferry::test
