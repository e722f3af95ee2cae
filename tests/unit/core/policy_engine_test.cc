// policy.md §2-3 in the engine, on the fake clock with a FakeConditions:
// blocked jobs wait in TRANSIENT_ERROR with their DO_E_BLOCKED_BY_* code,
// their error count and no-progress clock standing still, and go on by
// themselves as soon as the block lifts; a change mid-transfer stops the
// transfer at once, keeping its bytes.
#include <stdlib.h>
#include <time.h>

#include "core/policy.h"
#include "unit/core/engine_fixture.h"
#include "unit/core/fake_conditions.h"

namespace ferry::test {
namespace {

namespace cs = core::cost_state;

class PolicyEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    conditions_ = &fake_;
    fake_.Set(Online());
  }
  // The engine goes before fake_ (a member of this class, which dies first).
  void TearDown() override { Crash(); }
  static core::MachineState Online() {
    core::MachineState m;
    m.network_known = true;
    m.connectivity = core::Connectivity::kFull;
    m.link_type = "802-3-ethernet";
    return m;
  }
  void SetMetered(bool metered) {
    fake_.Change([&](core::MachineState& m) {
      m.metered = metered;
      m.cost_bits = metered ? cs::kCappedUsageUnknown : cs::kUnrestricted;
    });
    Pump();
  }
  void SetOnline(bool online) {
    fake_.Change([&](core::MachineState& m) {
      m.connectivity = online ? core::Connectivity::kFull : core::Connectivity::kNone;
    });
    Pump();
  }
  void SetBattery(bool on_battery, double percent) {
    fake_.Change([&](core::MachineState& m) {
      m.power_known = true;
      m.on_battery = on_battery;
      m.battery_percent = percent;
    });
    Pump();
  }
  // A running job that received `bytes` of a 1000-byte file.
  Guid Running(const std::string& name, JobPriority p = JobPriority::kNormal, size_t bytes = 0) {
    Guid id = MakeJobWithFile(name);
    EXPECT_TRUE(engine_->SetPriority(id, p).ok());
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    auto t = TransferOf(id);
    EXPECT_NE(t, nullptr) << JobStateName(State(id));
    if (t && bytes) {
      t->Respond(Ok200(1000));
      t->Data(Body(1000).substr(0, bytes));
      Pump();
    }
    return id;
  }
  int32_t ErrorCode(const Guid& id) {
    auto snap = Snap(id);
    return snap.job.error ? snap.job.error->code : 0;
  }
  bool IsRunning(const Guid& id) {
    auto st = State(id);
    return (st == S::kConnecting || st == S::kTransferring) && TransferOf(id) != nullptr;
  }

  FakeConditions fake_;
};

TEST_F(PolicyEngineTest, MeteredLinkStopsBackgroundWorkAndResumesWhenUnmetered) {
  Open();
  Guid id = Running("m0", JobPriority::kNormal, 400);
  auto first = TransferOf(id);
  size_t starts = backend_.started.size();
  SetMetered(true);
  EXPECT_EQ(State(id), S::kTransientError);
  EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kBlockedByCostPolicy));
  EXPECT_FALSE(first->alive) << "a policy change mid-transfer stops the transfer at once";
  EXPECT_EQ(Snap(id).job.error_count, 0u) << "a block is not an error";
  EXPECT_EQ(Snap(id).job.files[0].bytes_transferred, 400u);
  // Hours pass: no retry, no no-progress failure.
  RunFor(48h);
  EXPECT_EQ(State(id), S::kTransientError);
  EXPECT_EQ(backend_.started.size(), starts);
  // The block lifts: the job goes on at once, from where it stopped.
  SetMetered(false);
  ASSERT_TRUE(IsRunning(id)) << JobStateName(State(id));
  EXPECT_EQ(backend_.started.back()->request.offset, 400u);
  EXPECT_EQ(Snap(id).job.error_count, 0u);
}

TEST_F(PolicyEngineTest, StopCheckpointsTheReceivedBytes) {
  Open();
  Guid id = Running("c0", JobPriority::kNormal, 300);
  SetMetered(true);
  Pump();
  // The store holds the bytes as durable (a checkpoint), not only staging.
  const auto& stored = store_.records.at(id);
  EXPECT_EQ(stored.files.at(0).bytes_transferred, 300u);
  EXPECT_EQ(stored.state, S::kTransientError);
  EXPECT_EQ(stored.error_count, 0u);
}

TEST_F(PolicyEngineTest, ForegroundWorkAndAlwaysPolicyRunOnMeteredLinks) {
  Open();
  SetMetered(true);
  Guid fg = Running("f0", JobPriority::kForeground);
  Guid always = MakeJobWithFile("a0");
  ASSERT_TRUE(engine_->SetCostPolicy(always, cost::kAlways).ok());
  ASSERT_TRUE(engine_->Resume(always).ok());
  Guid standard = MakeJobWithFile("s0");
  ASSERT_TRUE(engine_->SetCostPolicy(standard, cost::kStandard).ok());
  ASSERT_TRUE(engine_->Resume(standard).ok());
  Guid plain = MakeJobWithFile("p0");
  ASSERT_TRUE(engine_->Resume(plain).ok());
  Pump();
  EXPECT_TRUE(IsRunning(fg));
  EXPECT_TRUE(IsRunning(always));
  EXPECT_TRUE(IsRunning(standard)) << "STANDARD allows CAPPED_USAGE_UNKNOWN";
  EXPECT_EQ(State(plain), S::kTransientError);
  EXPECT_EQ(CodeName(ErrorCode(plain)), CodeName(code::kBlockedByCostPolicy));
}

TEST_F(PolicyEngineTest, DefaultCostPolicyReadsAsTheDefaultOfThePriority) {
  Open();
  Guid id = NewJob();
  EXPECT_EQ(Snap(id).job.cost_policy, cost::kUnrestricted);
  ASSERT_TRUE(engine_->SetPriority(id, JobPriority::kForeground).ok());
  EXPECT_EQ(Snap(id).job.cost_policy, cost::kAlways);
  ASSERT_TRUE(engine_->SetCostPolicy(id, cost::kNoSurcharge).ok());
  EXPECT_EQ(Snap(id).job.cost_policy, cost::kNoSurcharge);
  EXPECT_CODE(code::kInvalidArg, engine_->SetCostPolicy(id, cost::kAlways | core::kCostNoCellular));
}

TEST_F(PolicyEngineTest, SettingTheCostPolicyTakesEffectAtOnce) {
  Open();
  SetMetered(true);
  Guid id = MakeJobWithFile("x0");
  ASSERT_TRUE(engine_->SetCostPolicy(id, cost::kAlways).ok());
  ASSERT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(engine_->SetCostPolicy(id, cost::kUnrestricted).ok());
  Pump();
  EXPECT_FALSE(t->alive);
  EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kBlockedByCostPolicy));
  ASSERT_TRUE(engine_->SetCostPolicy(id, cost::kAlways).ok());
  Pump();
  EXPECT_TRUE(IsRunning(id));
}

TEST_F(PolicyEngineTest, NoNetworkHoldsEveryJobAndBurnsNoRetries) {
  cfg_.max_background_transfers = 4;
  Open();
  Guid fg = Running("n0", JobPriority::kForeground, 10);
  Guid bg = Running("n1", JobPriority::kLow, 10);
  ASSERT_TRUE(engine_->SetNoProgressTimeout(bg, 120).ok());
  size_t starts = backend_.started.size();
  SetOnline(false);
  for (Guid id : {fg, bg}) {
    EXPECT_EQ(State(id), S::kTransientError);
    EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kBlockedByNoNetwork));
  }
  RunFor(1h);  // far past bg's no-progress timeout and any retry delay
  EXPECT_EQ(State(bg), S::kTransientError) << "the no-progress clock does not run while blocked";
  EXPECT_EQ(backend_.started.size(), starts);
  SetOnline(true);
  EXPECT_TRUE(IsRunning(fg));
  EXPECT_TRUE(IsRunning(bg));
  EXPECT_EQ(Snap(bg).job.error_count, 0u);
}

TEST_F(PolicyEngineTest, AJobWaitingToRetryRestartsWhenTheNetworkReturns) {
  Open();
  Guid id = Running("r0");
  ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, 600).ok());
  TransferOf(id)->Fail(code::kConnectionReset, true);
  Pump();
  ASSERT_EQ(State(id), S::kTransientError);
  EXPECT_EQ(Snap(id).job.error_count, 1u);
  SetOnline(false);
  EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kBlockedByNoNetwork));
  RunFor(30s);
  SetOnline(true);
  EXPECT_TRUE(IsRunning(id)) << "not after the retry delay";
  EXPECT_EQ(Snap(id).job.error_count, 1u);
}

TEST_F(PolicyEngineTest, NoProgressClockSkipsTheBlockedTime) {
  Open();
  Guid id = Running("p0");
  ASSERT_TRUE(engine_->SetNoProgressTimeout(id, 100).ok());
  ASSERT_TRUE(engine_->SetMinimumRetryDelay(id, 60).ok());
  RunFor(60s);
  SetMetered(true);
  RunFor(1h);
  SetMetered(false);
  ASSERT_TRUE(IsRunning(id));
  // 60 s without progress before the block; 30 more now: 90 < 100.
  RunFor(30s);
  TransferOf(id)->Fail(code::kConnectionReset, true);
  Pump();
  EXPECT_EQ(State(id), S::kTransientError);
  EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kConnectionReset));
  // The rest of the 100 s then runs out as usual (before the 60 s retry).
  RunFor(9s);
  EXPECT_EQ(State(id), S::kTransientError);
  RunFor(2s);
  EXPECT_EQ(State(id), S::kError);
  EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kDownloadNoProgress));
}

TEST_F(PolicyEngineTest, LowBatteryHoldsBackgroundWorkOnly) {
  cfg_.max_background_transfers = 4;
  Open();
  Guid bg = Running("b0");
  Guid fg = Running("b1", JobPriority::kForeground);
  SetBattery(true, 50);
  EXPECT_TRUE(IsRunning(bg)) << "on battery above the minimum, background work goes on";
  SetBattery(true, 19);
  EXPECT_EQ(CodeName(ErrorCode(bg)), CodeName(code::kBlockedByPowerState));
  EXPECT_TRUE(IsRunning(fg));
  SetBattery(false, 19);  // plugged in
  EXPECT_TRUE(IsRunning(bg));
}

TEST_F(PolicyEngineTest, CellularLinkHoldsNoCellularDownloadsOnly) {
  cfg_.max_background_transfers = 4;
  Open();
  Guid no_cell = MakeJobWithFile("c0");
  ASSERT_TRUE(engine_->SetDownloadCostPolicy(no_cell, core::CostPolicyOfDownload(5, false)).ok());
  ASSERT_TRUE(engine_->Resume(no_cell).ok());
  Guid any = Running("c1", JobPriority::kForeground);
  Pump();
  ASSERT_TRUE(IsRunning(no_cell));
  fake_.Change([](core::MachineState& m) {
    m.cellular = true;
    m.link_type = "gsm";
  });
  Pump();
  EXPECT_EQ(CodeName(ErrorCode(no_cell)), CodeName(code::kBlockedByCellularPolicy));
  EXPECT_TRUE(IsRunning(any));
  EXPECT_EQ(Snap(no_cell).job.cost_policy, cost::kAlways) << "the ferry-only bit does not show";
}

TEST_F(PolicyEngineTest, TheBlockCodeFollowsTheConditions) {
  Open();
  Guid id = Running("k0");
  SetMetered(true);
  EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kBlockedByCostPolicy));
  SetOnline(false);
  EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kBlockedByNoNetwork));
  auto view = engine_->Policy();
  ASSERT_EQ(view.blocked.count(code::kBlockedByNoNetwork), 1u);
  EXPECT_EQ(view.blocked[code::kBlockedByNoNetwork], std::vector<Guid>{id});
  SetOnline(true);
  EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kBlockedByCostPolicy));
}

TEST_F(PolicyEngineTest, SuspendAndCancelWorkOnBlockedJobs) {
  Open();
  Guid a = Running("s0"), b = MakeJobWithFile("s1");
  SetMetered(true);
  ASSERT_TRUE(engine_->Resume(b).ok());
  Pump();
  ASSERT_EQ(State(a), S::kTransientError);
  ASSERT_TRUE(engine_->Suspend(a).ok());
  ASSERT_TRUE(engine_->Cancel(b).ok());
  SetMetered(false);
  EXPECT_EQ(State(a), S::kSuspended) << "a suspended job stays suspended";
}

TEST_F(PolicyEngineTest, ABlockedJobStaysBlockedAcrossARestart) {
  Open();
  Guid id = Running("z0", JobPriority::kNormal, 100);
  SetMetered(true);
  Reopen();
  EXPECT_EQ(State(id), S::kTransientError);
  EXPECT_EQ(CodeName(ErrorCode(id)), CodeName(code::kBlockedByCostPolicy));
  EXPECT_EQ(Snap(id).job.error_count, 0u);
  SetMetered(false);
  EXPECT_TRUE(IsRunning(id));
}

TEST_F(PolicyEngineTest, ConditionsAtStartHoldRecoveredJobs) {
  Open();
  Guid id = Running("y0");
  Crash();
  fake_.Set([] {
    core::MachineState m = Online();
    m.connectivity = core::Connectivity::kNone;
    return m;
  }());
  size_t starts = backend_.started.size();
  Open();
  EXPECT_EQ(State(id), S::kTransientError);
  EXPECT_EQ(backend_.started.size(), starts);
}

class ScheduleEngineTest : public PolicyEngineTest {
 protected:
  void SetUp() override {
    PolicyEngineTest::SetUp();
    const char* tz = getenv("TZ");
    saved_tz_ = tz ? std::optional<std::string>(tz) : std::nullopt;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    PolicyEngineTest::TearDown();
    if (saved_tz_)
      setenv("TZ", saved_tz_->c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
  std::optional<std::string> saved_tz_;
};

TEST_F(ScheduleEngineTest, BusinessHoursLimitTheBackgroundBandwidth) {
  // The fake clock starts on Thursday 2026-01-01 00:00 UTC.
  cfg_.policy.background_limit_schedule = {{1 << 4, 0, 60, 5000}};
  cfg_.background_limit = 8000;
  Open();
  EXPECT_EQ(engine_->Stats().background_limit, 5000u);
  EXPECT_EQ(engine_->Policy().schedule_limit, std::optional<uint64_t>(5000));
  engine_->SetBandwidthLimits(3000, 0);
  EXPECT_EQ(engine_->Stats().background_limit, 3000u) << "the smaller limit holds";
  engine_->SetBandwidthLimits(0, 0);
  EXPECT_EQ(engine_->Stats().background_limit, 5000u);
  RunFor(60min - 1s);
  EXPECT_EQ(engine_->Stats().background_limit, 5000u);
  RunFor(1s);
  EXPECT_EQ(engine_->Stats().background_limit, 0u) << "after hours: unlimited again";
  EXPECT_EQ(engine_->Policy().schedule_limit, std::nullopt);
}

}  // namespace
}  // namespace ferry::test
