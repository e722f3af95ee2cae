// Uploads to peers in the service's totals, and monthly_upload_cap (policy.md
// §3, docs/peering.md "Uploads and the monthly cap"): the engine adds what
// its FetchMaker reports sent, and tells it when internet peers must stop
// getting uploads and when a new month lets them again.
#include <stdlib.h>
#include <time.h>

#include <optional>
#include <vector>

#include "core/policy.h"
#include "core/statistics.h"
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

// A FetchMaker that makes no fetch and records what the engine tells it.
class UploadMaker : public core::FetchMaker {
 public:
  std::unique_ptr<core::Fetch> MakeFetch(std::unique_ptr<core::FetchHost>, uint32_t) override {
    return nullptr;
  }
  void SetInternetUploadAllowed(bool allowed) override { told.push_back(allowed); }
  void SetSentCounter(std::function<void(const core::PeerBytes&)> c) override {
    counter = std::move(c);
  }
  std::vector<bool> told;
  std::function<void(const core::PeerBytes&)> counter;
};

sys::WallTime At(int64_t unix_seconds) { return sys::WallTime(std::chrono::seconds(unix_seconds)); }

class UploadCapTest : public EngineTest {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    had_tz_ = tz != nullptr;
    if (tz) old_tz_ = tz;
    setenv("TZ", "UTC", 1);
    tzset();
    clock_.SetNow(At(1764540000));  // 2025-11-30T22:00:00Z
    peers_ = &maker_;
  }
  void TearDown() override {
    if (had_tz_)
      setenv("TZ", old_tz_.c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
  void Sent(uint64_t lan, uint64_t group, uint64_t internet) {
    core::PeerBytes b;
    b.lan = lan;
    b.group = group;
    b.internet = internet;
    maker_.counter(b);
    Pump();
  }
  UploadMaker maker_;
  std::string old_tz_;
  bool had_tz_ = false;
};

TEST_F(UploadCapTest, SentBytesReachTheTotalsByKindAndSurviveARestart) {
  Open();
  ASSERT_TRUE(maker_.counter) << "the engine gives its maker a counter at start";
  Sent(100, 20, 3);
  Sent(0, 0, 0);
  ServiceStatistics t = engine_->Statistics();
  EXPECT_EQ(t.this_month.bytes_to_lan_peers, 100u);
  EXPECT_EQ(t.this_month.bytes_to_group_peers, 20u);
  EXPECT_EQ(t.this_month.bytes_to_internet_peers, 3u);
  EXPECT_EQ(t.all_time.bytes_to_lan_peers, 100u);
  EXPECT_EQ(t.this_month.total_bytes_downloaded, 0u) << "uploads are not downloads";
  EXPECT_EQ(store_.statistics.all_time.bytes_to_lan_peers, 0u) << "not committed at once";
  RunFor(std::chrono::seconds(5));
  EXPECT_EQ(store_.statistics.all_time.bytes_to_lan_peers, 100u) << "committed on their own";
  Crash();
  Open();
  t = engine_->Statistics();
  EXPECT_EQ(t.all_time.bytes_to_group_peers, 20u) << "committed with the totals";
  EXPECT_EQ(t.this_month.bytes_to_internet_peers, 3u);
}

TEST_F(UploadCapTest, InternetUploadsStopAtTheCapUntilTheNextMonth) {
  cfg_.policy.monthly_upload_cap = 1000;
  Open();
  ASSERT_EQ(maker_.told, std::vector<bool>{true}) << "told at start";
  Sent(5000, 5000, 999);
  EXPECT_EQ(maker_.told, std::vector<bool>{true}) << "LAN and group uploads do not count";
  Sent(0, 0, 1);
  EXPECT_EQ(maker_.told, (std::vector<bool>{true, false}));
  Sent(0, 0, 0);
  EXPECT_EQ(maker_.told.size(), 2u) << "told only when the answer changes";
  RunFor(std::chrono::seconds(5));
  // After a restart in the same month the cap still holds.
  Crash();
  maker_.told.clear();
  Open();
  EXPECT_EQ(maker_.told, std::vector<bool>{false});
  // December: the month starts from zero, uploads may run again.
  clock_.SetNow(At(1764547300));
  Sent(0, 0, 0);
  EXPECT_EQ(maker_.told, (std::vector<bool>{false, true}));
  EXPECT_EQ(engine_->Statistics().this_month.bytes_to_internet_peers, 0u);
  EXPECT_EQ(engine_->Statistics().all_time.bytes_to_internet_peers, 1000u);
}

TEST_F(UploadCapTest, ZeroMeansNoCap) {
  cfg_.policy.monthly_upload_cap = 0;
  Open();
  Sent(0, 0, uint64_t{1} << 50);
  EXPECT_EQ(maker_.told, std::vector<bool>{true});
}

TEST(InternetUploadAllowedTest, BelowTheCapOrNoCap) {
  core::PolicyConfig c;
  EXPECT_EQ(c.monthly_upload_cap, 20ull << 30) << "DO's default";
  EXPECT_TRUE(core::InternetUploadAllowed((20ull << 30) - 1, c));
  EXPECT_FALSE(core::InternetUploadAllowed(20ull << 30, c));
  c.monthly_upload_cap = 0;
  EXPECT_TRUE(core::InternetUploadAllowed(~0ull, c));
}

}  // namespace
}  // namespace ferry::test
