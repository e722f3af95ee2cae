// core/statistics.h and the per-job rate limit: a file's FileStats and the
// service's totals count bytes as received (a byte fetched twice counts
// twice, a byte never received never counts, a crash loses at most the
// uncommitted tail and never doubles what was committed); "this month"
// rolls over by the local calendar month; a job's own limit bounds its
// budget on the fake clock.
#include "core/statistics.h"

#include <stdlib.h>
#include <time.h>

#include "core/bandwidth.h"
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

class StatisticsTest : public EngineTest {
 protected:
  void SetUp() override {
    cfg_.checkpoint_bytes = 32;  // a checkpoint (and a commit) after every 32 bytes
    Open();
  }
  // The stats of (id, 0) as the store holds them.
  FileStats StoredStats(const Guid& id) { return store_.records.at(id).files[0].stats; }
};

TEST_F(StatisticsTest, ADownloadCountsItsBytesTimeAndConnections) {
  Guid id = MakeJobWithFile("s0");
  EXPECT_EQ(StatsOf(id).status, FileStatsStatus::kPaused);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  EXPECT_EQ(StatsOf(id).status, FileStatsStatus::kDownloading);
  RunFor(100ms);  // connecting: in flight already
  t->Respond(Ok200(100));
  t->Data(Body(100).substr(0, 40));
  RunFor(200ms);
  t->Data(Body(100).substr(40));
  t->Done(OkWithConnections(1));
  Pump();
  ASSERT_EQ(State(id), S::kTransferred);
  FileStats s = StatsOf(id);
  EXPECT_EQ(s.file_size, 100u);
  EXPECT_EQ(s.total_bytes_downloaded, 100u);
  EXPECT_EQ(s.bytes_from_http, 100u);
  EXPECT_EQ(s.http_connections, 1u);
  EXPECT_EQ(s.duration, 300ms);
  EXPECT_EQ(s.status, FileStatsStatus::kComplete);
  EXPECT_EQ(s.download_mode, DownloadMode::kHttpOnly);
  EXPECT_TRUE(s.background);
  EXPECT_EQ(s.bytes_from_lan_peers + s.bytes_from_group_peers + s.bytes_from_internet_peers +
                s.bytes_from_cache_server + s.bytes_to_peers,
            0u);
  ServiceStatistics totals = engine_->Statistics();
  EXPECT_EQ(totals.all_time.bytes_from_http, 100u);
  EXPECT_EQ(totals.all_time.total_bytes_downloaded, 100u);
  EXPECT_EQ(totals.all_time.downloads, 1u);
  EXPECT_EQ(totals.this_month, totals.all_time);
  EXPECT_EQ(totals.month, core::LocalMonth(clock_.Now()));
  // Committed: the store's row and totals hold the same figures.
  EXPECT_EQ(StoredStats(id).bytes_from_http, 100u);
  EXPECT_EQ(StoredStats(id).http_connections, 1u);
  EXPECT_EQ(store_.statistics, totals);
}

TEST_F(StatisticsTest, ForegroundFilesAreNotBackground) {
  Guid id = MakeJobWithFile("fg");
  ASSERT_TRUE(engine_->SetPriority(id, JobPriority::kForeground).ok());
  EXPECT_FALSE(StatsOf(id).background);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  TransferOf(id)->Serve(Body(10));
  Pump();
  EXPECT_FALSE(StatsOf(id).background);
}

// The origin ignores Range on the resume: the first 50 bytes come again and
// were received twice, so they count twice; the file is still 100 bytes.
TEST_F(StatisticsTest, RefetchedBytesCountAsOftenAsTheyWereReceived) {
  Guid id = MakeJobWithFile("r0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(100));
  t->Data(Body(100).substr(0, 50));
  t->Fail(code::kConnectionReset, true);
  Pump();
  ASSERT_EQ(State(id), S::kTransientError);
  RunFor(std::chrono::seconds(cfg_.min_retry_delay_floor) + 600s);
  auto t2 = TransferOf(id);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->request.offset, 50u);
  t2->Serve(Body(100));  // 200: the whole file again
  Pump();
  ASSERT_EQ(State(id), S::kTransferred);
  FileStats s = StatsOf(id);
  EXPECT_EQ(s.file_size, 100u);
  EXPECT_EQ(s.bytes_from_http, 150u);
  EXPECT_EQ(s.total_bytes_downloaded, 150u);
  EXPECT_EQ(engine_->Statistics().all_time.bytes_from_http, 150u);
  EXPECT_EQ(engine_->Statistics().all_time.downloads, 1u);
}

// A crash loses what was received after the last commit (those bytes are
// fetched, and counted, again); what was committed is never counted twice:
// the final figures are at most what the origin sent in all, and the totals
// agree with the file.
TEST_F(StatisticsTest, ACrashNeverCountsAByteTwiceThatWasReceivedOnce) {
  Guid id = MakeJobWithFile("k0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(100));
  t->Data(Body(100).substr(0, 70));
  Pump();
  uint64_t committed = StoredStats(id).bytes_from_http;
  EXPECT_GE(committed, 64u) << "two checkpoints of 32 bytes";
  EXPECT_LE(committed, 70u);
  EXPECT_EQ(store_.statistics.all_time.bytes_from_http, committed);
  Crash();
  payload_.boot_id = "boot-2";  // a reboot: staging is cut back to the checkpoint
  Open();
  EXPECT_EQ(StatsOf(id).bytes_from_http, committed);
  EXPECT_EQ(engine_->Statistics().all_time.bytes_from_http, committed);
  Pump();
  auto t2 = TransferOf(id);
  ASSERT_TRUE(t2);
  uint64_t from = t2->request.offset;
  t2->Respond(Partial206(from, 100 - from, 100));
  t2->Data(Body(100).substr(from));
  t2->Done();
  Pump();
  ASSERT_EQ(State(id), S::kTransferred);
  uint64_t sent = 70 + (100 - from);
  FileStats s = StatsOf(id);
  EXPECT_EQ(s.bytes_from_http, committed + (100 - from));
  EXPECT_LE(s.bytes_from_http, sent);
  EXPECT_GE(s.bytes_from_http, 100u);
  ServiceStatistics totals = engine_->Statistics();
  EXPECT_EQ(totals.all_time.bytes_from_http, s.bytes_from_http);
  EXPECT_EQ(totals.all_time.downloads, 1u);
}

// A crash on the same boot keeps the bytes that reached the page cache after
// the last commit: they were received, so they are counted at recovery
// (once), and not fetched again.
TEST_F(StatisticsTest, StagedBytesPastTheLastCommitAreCountedOnceAtRecovery) {
  Guid id = MakeJobWithFile("sb0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(100));
  t->Data(Body(100).substr(0, 40));
  Pump();
  ASSERT_EQ(StoredStats(id).bytes_from_http, 40u);
  ASSERT_EQ(store_.records.at(id).files[0].counted_bytes, 40u);
  t->Data(Body(100).substr(40, 20));  // received, not committed
  Crash();
  payload_.SetStaged(id, 0, Body(100).substr(0, 60));  // and in the page cache
  Open();
  EXPECT_EQ(StatsOf(id).bytes_from_http, 60u);
  EXPECT_EQ(engine_->Statistics().all_time.bytes_from_http, 60u);
  Pump();
  auto t2 = TransferOf(id);
  ASSERT_TRUE(t2);
  ASSERT_EQ(t2->request.offset, 60u);
  t2->Respond(Partial206(60, 40, 100));
  t2->Data(Body(100).substr(60));
  t2->Done();
  Pump();
  ASSERT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(StatsOf(id).bytes_from_http, 100u) << "every byte was received exactly once";
  EXPECT_EQ(engine_->Statistics().all_time.bytes_from_http, 100u);
  // A second crash now finds nothing uncounted.
  Crash();
  Open();
  EXPECT_EQ(engine_->Statistics().all_time.bytes_from_http, 100u);
  EXPECT_EQ(StatsOf(id).bytes_from_http, 100u);
}

TEST_F(StatisticsTest, TotalsSurviveARestart) {
  Guid id = MakeJobWithFile("p0");
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  TransferOf(id)->Serve(Body(100));
  Pump();
  ServiceStatistics before = engine_->Statistics();
  ASSERT_TRUE(engine_->Shutdown().ok());
  Reopen();
  EXPECT_EQ(engine_->Statistics(), before);
  EXPECT_EQ(StatsOf(id).bytes_from_http, 100u);
}

// --- The month --------------------------------------------------------------

class StatisticsMonthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    if (tz) old_tz_ = tz;
    had_tz_ = tz != nullptr;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_) setenv("TZ", old_tz_.c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }
  static sys::WallTime At(int64_t unix_seconds) {
    return sys::WallTime(std::chrono::seconds(unix_seconds));
  }
  std::string old_tz_;
  bool had_tz_ = false;
};

TEST_F(StatisticsMonthTest, LocalMonthAndItsEnd) {
  sys::WallTime nov30_late = At(1764547199);  // 2025-11-30T23:59:59Z
  EXPECT_EQ(core::LocalMonth(nov30_late), 202511u);
  EXPECT_EQ(core::NextLocalMonth(nov30_late), At(1764547200));  // 2025-12-01T00:00:00Z
  EXPECT_EQ(core::LocalMonth(At(1764547200)), 202512u);
  EXPECT_EQ(core::NextLocalMonth(At(1764547200)), At(1767225600)) << "into January";
}

TEST_F(StatisticsMonthTest, ANewMonthStartsThisMonthFromZero) {
  core::StatisticsBook book;
  book.AddFromOrigin(10, At(1764547199));
  book.AddDownload(At(1764547199));
  EXPECT_EQ(book.totals().month, 202511u);
  EXPECT_EQ(book.totals().this_month.bytes_from_http, 10u);
  book.AddFromOrigin(5, At(1764547201));
  EXPECT_EQ(book.totals().month, 202512u);
  EXPECT_EQ(book.totals().this_month.bytes_from_http, 5u);
  EXPECT_EQ(book.totals().this_month.downloads, 0u);
  EXPECT_EQ(book.totals().all_time.bytes_from_http, 15u);
  EXPECT_EQ(book.totals().all_time.downloads, 1u);
  // A clock set back into November does not roll back.
  book.AddFromOrigin(1, At(1764547000));
  EXPECT_EQ(book.totals().month, 202512u);
  EXPECT_EQ(book.totals().this_month.bytes_from_http, 6u);
}

TEST_F(StatisticsMonthTest, ReadingInANewMonthShowsAnEmptyMonth) {
  core::StatisticsBook book;
  ServiceStatistics stored;
  stored.month = 202511;
  stored.this_month.bytes_from_http = 7;
  stored.all_time.bytes_from_http = 9;
  book.Load(stored);
  EXPECT_FALSE(book.dirty());
  book.Roll(At(1764547100));
  EXPECT_EQ(book.totals(), stored) << "still November";
  book.Roll(At(1764547300));
  EXPECT_EQ(book.totals().month, 202512u);
  EXPECT_EQ(book.totals().this_month.bytes_from_http, 0u);
  EXPECT_EQ(book.totals().all_time.bytes_from_http, 9u);
  EXPECT_TRUE(book.dirty());
}

// --- The per-job rate limit ---------------------------------------------------

TEST(RoundQuotaTest, TheJobsOwnBucketCapsTheGlobalShare) {
  auto t0 = test::kFakeClockStart;
  core::TokenBucket unlimited;
  EXPECT_EQ(core::RoundQuota(INT64_MAX, unlimited, t0), INT64_MAX);
  EXPECT_EQ(core::RoundQuota(500, unlimited, t0), 500);
  core::TokenBucket job;
  job.SetRate(1000, t0);
  EXPECT_EQ(core::RoundQuota(INT64_MAX, job, t0), 0) << "the bucket starts empty";
  EXPECT_EQ(core::RoundQuota(INT64_MAX, job, t0 + 300ms), 300);
  EXPECT_EQ(core::RoundQuota(100, job, t0 + 300ms), 100) << "the smaller of the two";
  job.Consume(1000, t0 + 300ms);
  EXPECT_EQ(core::RoundQuota(INT64_MAX, job, t0 + 300ms), -700);
}

class JobRateTest : public OpenEngineTest {
 protected:
  // Feeds 16 KiB chunks to every transfer whenever it is not paused, for
  // `d` of fake time in 10 ms steps; returns the bytes each took.
  std::vector<uint64_t> Flood(const std::vector<std::shared_ptr<TransferHandle>>& ts, sys::Duration d) {
    std::vector<uint64_t> got(ts.size());
    const std::string chunk(16 * 1024, 'x');
    for (auto end = clock_.Now() + d; clock_.Now() < end;) {
      for (size_t i = 0; i < ts.size(); ++i) {
        for (int k = 0; k < 64 && !ts[i]->paused; ++k) {
          ts[i]->Data(chunk);
          got[i] += chunk.size();
          Pump();
        }
      }
      RunFor(10ms);
    }
    return got;
  }
  std::shared_ptr<TransferHandle> Running(const std::string& name, uint64_t rate) {
    Guid id = MakeJobWithFile(name);
    if (rate) {
      EXPECT_TRUE(engine_->SetMaximumRate(id, rate).ok());
    }
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    auto t = TransferOf(id);
    t->Respond(Ok200(1'000'000'000));
    Pump();
    return t;
  }
};

TEST_F(JobRateTest, AJobsOwnLimitBoundsItsBudgetAndNotTheOthers) {
  auto limited = Running("lim", 100'000);
  auto free = Running("free", 0);
  std::vector<uint64_t> got = Flood({limited, free}, 10s);
  // 10 s at 100 kB/s plus at most one burst (64 KiB) and one chunk.
  EXPECT_LE(got[0], 1'000'000u + 64 * 1024 + 16 * 1024);
  EXPECT_GE(got[0], 900'000u);
  EXPECT_GT(got[1], 10 * got[0]) << "the other job is not throttled";
}

TEST_F(JobRateTest, TheGlobalLimitStillAppliesBelowTheJobsOwn) {
  engine_->SetBandwidthLimits(50'000, 0);
  auto t = Running("both", 1'000'000);
  std::vector<uint64_t> got = Flood({t}, 10s);
  EXPECT_LE(got[0], 500'000u + 64 * 1024 + 16 * 1024);
}

TEST_F(JobRateTest, TheJobsLimitBindsBelowTheGlobalOne) {
  engine_->SetBandwidthLimits(1'000'000, 0);
  auto t = Running("own", 100'000);
  std::vector<uint64_t> got = Flood({t}, 10s);
  EXPECT_LE(got[0], 1'000'000u + 64 * 1024 + 16 * 1024);
}

TEST_F(JobRateTest, LiftingTheJobsLimitResumesAtOnce) {
  Guid id = MakeJobWithFile("lift");
  ASSERT_TRUE(engine_->SetMaximumRate(id, 1000).ok());
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(1'000'000));
  t->Data(std::string(100'000, 'x'));
  Pump();
  ASSERT_TRUE(t->paused);
  ASSERT_TRUE(engine_->SetMaximumRate(id, 0).ok());
  Pump();
  EXPECT_FALSE(t->paused);
}

TEST_F(JobRateTest, TheLimitIsCommittedAndSurvivesARestart) {
  Guid id = MakeJobWithFile("keep");
  ASSERT_TRUE(engine_->SetMaximumRate(id, 123'456).ok());
  EXPECT_EQ(store_.records.at(id).max_rate, 123'456u);
  Reopen();
  EXPECT_EQ(Snap(id).job.max_rate, 123'456u);
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  t->Respond(Ok200(1'000'000));
  t->Data(std::string(200'000, 'x'));
  Pump();
  EXPECT_TRUE(t->paused) << "the reloaded limit is enforced";
}

TEST_F(JobRateTest, AFinalJobRefusesALimit) {
  Guid id = MakeJobWithFile("gone");
  ASSERT_TRUE(engine_->Cancel(id).ok());
  EXPECT_CODE(code::kInvalidState, engine_->SetMaximumRate(id, 1));
}

}  // namespace
}  // namespace ferry::test
