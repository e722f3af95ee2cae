// The global background limit against a real nginx (semantics.md §5): two
// background jobs share a 20 MiB/s budget; the limit is then lowered to
// 10 MiB/s at run time, then lifted, and the jobs finish.
//
// Only upper bounds are asserted: over every 5-second window (starting at
// least 1 s into a phase) the measured rate stays within 5 % above the
// limit. Noise (a slow machine, a sanitizer) can only slow a transfer down,
// so these checks cannot fail spuriously; nothing asserts a minimum speed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_util.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kJobs = 2;
constexpr uint64_t kFirstLimit = 20 * kMiB;
constexpr uint64_t kSecondLimit = 10 * kMiB;
constexpr auto kPhase = std::chrono::milliseconds(7500);
constexpr double kWindowSeconds = 5.0;
constexpr double kTolerance = 1.05;

struct Sample {
  double t;        // seconds since the phase began
  uint64_t bytes;  // sum over the jobs
};

// The highest rate over any window of >= 5 s whose start is >= 1 s into the
// phase. Both ends of a window are samples; the sample times bracket the
// snapshot (taken mid-call), so the error is the call latency (microseconds).
double MaxWindowRate(const std::vector<Sample>& s, int* windows) {
  double max_rate = 0;
  *windows = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i].t < 1.0) continue;
    for (size_t j = i + 1; j < s.size(); ++j) {
      double dt = s[j].t - s[i].t;
      if (dt < kWindowSeconds) continue;
      max_rate = std::max(max_rate, static_cast<double>(s[j].bytes - s[i].bytes) / dt);
      ++*windows;
      break;  // the shortest window of >= 5 s from this start
    }
  }
  return max_rate;
}

class BandwidthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
    ASSERT_TRUE(docroot_.ok() && work_.ok());
    ::chmod(docroot_.path().c_str(), 0755);
  }

  // Samples the jobs' summed bytes every 20 ms for `length`; stops early when
  // every job is TRANSFERRED or one fails.
  std::vector<Sample> SamplePhase(Host& host, const std::vector<Guid>& ids, std::chrono::milliseconds length,
                                  bool* all_done) {
    std::vector<Sample> out;
    auto start = Clock::now();
    *all_done = false;
    for (;;) {
      auto before = Clock::now();
      uint64_t sum = 0;
      int done = 0;
      bool failed = false;
      host.Call([&](core::Engine& e) {
        for (const Guid& id : ids) {
          auto snap = e.GetJob(id);
          if (!snap.ok() || snap->job.state == JobState::kError) {
            failed = true;
            continue;
          }
          sum += snap->progress.bytes_transferred;
          done += snap->job.state == JobState::kTransferred;
        }
      });
      auto after = Clock::now();
      double t = std::chrono::duration<double>(before - start).count() +
                 std::chrono::duration<double>(after - before).count() / 2;
      out.push_back({t, sum});
      EXPECT_FALSE(failed);
      if (failed) return out;
      if (done == static_cast<int>(ids.size())) {
        *all_done = true;
        return out;
      }
      if (after - start >= length) return out;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  TempDir docroot_{"ferry-bw-docroot"};
  TempDir work_{"ferry-bw"};
};

TEST_F(BandwidthTest, BackgroundLimitHoldsAndChangesAtRunTime) {
  // Enough for both phases at the limits (20 MiB/s * 7.5 s + 10 MiB/s * 7.5 s
  // = 225 MiB) with room to spare, so that neither phase runs dry.
  const uint64_t per_file = 160 * kMiB;
  std::vector<std::string> shas;
  for (int i = 0; i < kJobs; ++i) {
    shas.push_back(test::WriteRandomFile(docroot_.Path("f" + std::to_string(i)), per_file, 77 + i));
    ASSERT_FALSE(shas.back().empty());
  }
  NginxFixture nginx;
  Status s = nginx.Start(docroot_.path());
  ASSERT_TRUE(s.ok()) << s.ToString();

  core::EngineConfig config = TestConfig();
  config.background_limit = kFirstLimit;
  config.write_buffer_bytes = 64 * 1024;
  auto host = StartHost(work_.Path("state"), config, &s);
  ASSERT_TRUE(host) << s.ToString();
  std::vector<Guid> ids(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    s = CreateAndResume(*host, nginx.Url("f" + std::to_string(i)), work_.Path("out" + std::to_string(i)),
                        &ids[i]);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  bool done = false;
  auto first = SamplePhase(*host, ids, kPhase, &done);
  ASSERT_FALSE(done) << "finished under a 20 MiB/s limit within " << kPhase.count() << " ms";
  int windows1 = 0;
  double rate1 = MaxWindowRate(first, &windows1);

  host->Call([](core::Engine& e) { e.SetBandwidthLimits(kSecondLimit, 0); });
  EXPECT_EQ(host->Call([](core::Engine& e) { return e.Stats(); }).background_limit, kSecondLimit);
  auto second = SamplePhase(*host, ids, kPhase, &done);
  ASSERT_FALSE(done) << "finished under a 10 MiB/s limit";
  int windows2 = 0;
  double rate2 = MaxWindowRate(second, &windows2);

  std::printf("[ bandwidth ] limit 20 MiB/s: max 5 s rate %.2f MiB/s over %d windows; "
              "limit 10 MiB/s: max %.2f MiB/s over %d windows\n",
              rate1 / kMiB, windows1, rate2 / kMiB, windows2);
  RecordProperty("max_rate_20", std::to_string(rate1));
  RecordProperty("max_rate_10", std::to_string(rate2));
  EXPECT_GT(windows1, 0);
  EXPECT_GT(windows2, 0);
  EXPECT_LE(rate1, kFirstLimit * kTolerance) << "20 MiB/s limit exceeded";
  EXPECT_LE(rate2, kSecondLimit * kTolerance) << "10 MiB/s limit exceeded after lowering it";

  // Lift the limit: the jobs finish (bounded by the deadline only).
  host->Call([](core::Engine& e) { e.SetBandwidthLimits(0, 0); });
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(WaitForState(*host, ids[i], JobState::kTransferred)) << i;
    s = CompleteSync(*host, ids[i]);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(test::Sha256File(work_.Path("out" + std::to_string(i))), shas[i]) << i;
  }
  EXPECT_TRUE(host->Shutdown().ok());
}

}  // namespace
}  // namespace ferry::test
