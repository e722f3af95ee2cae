// policy.md §1-3 end to end: python3-dbusmock's networkmanager and upower
// templates on the test's private bus stand in for the machine's services;
// a real ferryd reads them (conditions_bus "service") while real transfers
// from nginx run, and the test flips Metered, Connectivity, OnBattery and
// the charge and checks states, codes and error counts through the SDK (and
// `ferry status --json` through the CLI). Every wait is bounded.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ferry/download.h"
#include "support/dbusmock_fixture.h"
#include "support/nginx_fixture.h"
#include "support/service_test.h"

namespace ferry::test {
namespace {

constexpr char kNmPath[] = "/org/freedesktop/NetworkManager";
constexpr char kNmIface[] = "org.freedesktop.NetworkManager";
constexpr char kUPowerPath[] = "/org/freedesktop/UPower";
constexpr char kUPowerIface[] = "org.freedesktop.UPower";
constexpr char kDisplayPath[] = "/org/freedesktop/UPower/devices/DisplayDevice";
constexpr char kDeviceIface[] = "org.freedesktop.UPower.Device";
constexpr uint64_t kSize = 32 * kMiB;  // at 256 KiB/s: minutes, far longer than any test here

class ConditionsTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (Stopped()) return;
    if (!DbusMockService::Available())
      GTEST_SKIP() << "python3-dbusmock (/usr/bin/python3) or busctl missing";
    AddDocFile("big.bin", kSize, 0x636f);
    NginxOptions no;
    no.limit_rate = 262144;
    StartNginx(no);
    FerrydOptions fo;
    fo.config_json = R"({"min_retry_delay_floor_seconds": 1, "conditions_bus": "service"})";
    StartService(fo);
  }
  void TearDown() override {
    if (HasFailure()) {
      std::printf("--- NetworkManager mock ---\n%s\n", nm_.Log().c_str());
      std::printf("--- UPower mock ---\n%s\n", upower_.Log().c_str());
    }
    nm_.Stop();
    upower_.Stop();
    ServiceTest::TearDown();
  }

  // NetworkManager on the bus: connected, `metered` (NMMetered), ethernet.
  void StartNetworkManager(uint32_t metered) {
    ASSERT_TRUE(nm_.Start(env_.address()).ok());
    ASSERT_TRUE(nm_.AddProperty(kNmPath, kNmIface, "Metered", "u", {std::to_string(metered)}).ok());
    ASSERT_TRUE(
        nm_.AddProperty(kNmPath, kNmIface, "PrimaryConnectionType", "s", {"802-3-ethernet"}).ok());
    // AddProperty sends no signal (and ferryd may have read the properties
    // before it): changes the service hears about follow.
    ASSERT_TRUE(
        nm_.SetProperty(kNmPath, kNmIface, "PrimaryConnectionType", "s", {"802-3-ethernet"}).ok());
    ASSERT_TRUE(nm_.SetProperty(kNmPath, kNmIface, "Metered", "u", {std::to_string(metered)}).ok());
  }
  void SetNm(const char* property, const char* signature, const std::string& value) {
    Status s = nm_.SetProperty(kNmPath, kNmIface, property, signature, {value});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void StartUPower() { ASSERT_TRUE(upower_.Start(env_.address()).ok()); }
  void SetBattery(bool on_battery, double percent) {
    ASSERT_TRUE(upower_.SetProperty(kDisplayPath, kDeviceIface, "IsPresent", "b", {"true"}).ok());
    ASSERT_TRUE(
        upower_
            .SetProperty(kDisplayPath, kDeviceIface, "Percentage", "d", {std::to_string(percent)})
            .ok());
    ASSERT_TRUE(upower_
                    .SetProperty(kUPowerPath, kUPowerIface, "OnBattery", "b",
                                 {on_battery ? "true" : "false"})
                    .ok());
  }

  // A background job transferring the slow file.
  std::unique_ptr<Job> Transferring(const std::string& name,
                                    JobPriority priority = JobPriority::kNormal) {
    auto job = NewJob(nginx_.Url("/big.bin"), env_.work().Path(name));
    if (!job) return nullptr;
    EXPECT_TRUE(job->SetPriority(priority).ok());
    EXPECT_TRUE(job->Resume().ok());
    EXPECT_TRUE(IsMoving(*job));
    return job;
  }
  // Bytes arrive (the job transfers again).
  ::testing::AssertionResult IsMoving(Job& job) {
    JobProgress start{};
    job.GetProgress(&start);
    return WaitFor(job, [&](JobState s, const JobProgress& p) {
      return s == JobState::kTransferring && p.bytes_transferred > start.bytes_transferred;
    });
  }
  ::testing::AssertionResult IsBlocked(Job& job, int32_t code) {
    return WaitFor(job, [&](JobState s, const JobProgress&) {
      return s == JobState::kTransientError && ErrorCode(job) == code;
    });
  }
  static int32_t ErrorCode(Job& job) {
    std::unique_ptr<Error> error;
    if (!job.GetError(&error).ok() || !error) return 0;
    ErrorContext context{};
    int32_t code = 0;
    return error->GetError(&context, &code).ok() ? code : 0;
  }
  static uint32_t ErrorCount(Job& job) {
    uint32_t n = 0;
    EXPECT_TRUE(job.GetErrorCount(&n).ok());
    return n;
  }
  ServiceStatus StatusNow() {
    ServiceStatus st;
    Status s = manager_->GetServiceStatus(&st);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return st;
  }

  DbusMockService nm_{"networkmanager", "org.freedesktop.NetworkManager"};
  DbusMockService upower_{"upower", "org.freedesktop.UPower"};
};

TEST_F(ConditionsTest, MeteredNetworkHoldsBackgroundJobsUntilItIsNotMetered) {
  StartNetworkManager(2);  // no
  auto bg = Transferring("bg.bin");
  auto fg = Transferring("fg.bin", JobPriority::kForeground);
  ASSERT_TRUE(bg && fg);
  SetNm("Metered", "u", "1");  // yes
  EXPECT_TRUE(IsBlocked(*bg, code::kBlockedByCostPolicy));
  EXPECT_TRUE(IsMoving(*fg)) << "foreground work transfers ALWAYS";
  EXPECT_EQ(ErrorCount(*bg), 0u) << "a block burns no retry";
  ServiceStatus st = StatusNow();
  EXPECT_TRUE(st.network_known);
  EXPECT_TRUE(st.metered);
  EXPECT_EQ(st.link_type, "802-3-ethernet");
  Guid gid;
  ASSERT_TRUE(bg->GetId(&gid).ok());
  std::string id = gid.ToString();
  ASSERT_EQ(st.blocked_jobs.count("DO_E_BLOCKED_BY_COST_TRANSFER_POLICY"), 1u);
  EXPECT_EQ(st.blocked_jobs["DO_E_BLOCKED_BY_COST_TRANSFER_POLICY"], std::vector<std::string>{id});
  // The user allows the metered network for this job: it goes on at once.
  ASSERT_TRUE(bg->SetCostPolicy(cost::kAlways).ok());
  EXPECT_TRUE(IsMoving(*bg));
  ASSERT_TRUE(bg->SetCostPolicy(cost::kUnrestricted).ok());
  EXPECT_TRUE(IsBlocked(*bg, code::kBlockedByCostPolicy));
  SetNm("Metered", "u", "4");  // guess-no
  EXPECT_TRUE(IsMoving(*bg));
  EXPECT_EQ(ErrorCount(*bg), 0u);
}

TEST_F(ConditionsTest, NoConnectivityHoldsEveryJobAndBurnsNoRetries) {
  StartNetworkManager(0);
  auto bg = Transferring("bg.bin");
  auto fg = Transferring("fg.bin", JobPriority::kForeground);
  ASSERT_TRUE(bg && fg);
  SetNm("Connectivity", "u", "1");  // none
  EXPECT_TRUE(IsBlocked(*bg, code::kBlockedByNoNetwork));
  EXPECT_TRUE(IsBlocked(*fg, code::kBlockedByNoNetwork));
  EXPECT_EQ(StatusNow().connectivity, "none");
  SetNm("Connectivity", "u", "4");  // full: both restart, not after the retry delay
  EXPECT_TRUE(IsMoving(*bg));
  EXPECT_TRUE(IsMoving(*fg));
  SetNm("State", "u", "20");  // disconnected
  EXPECT_TRUE(IsBlocked(*bg, code::kBlockedByNoNetwork));
  SetNm("State", "u", "70");
  EXPECT_TRUE(IsMoving(*bg));
  EXPECT_EQ(ErrorCount(*bg), 0u);
  EXPECT_EQ(ErrorCount(*fg), 0u);
}

TEST_F(ConditionsTest, LowBatteryHoldsBackgroundJobsOnly) {
  StartUPower();
  auto bg = Transferring("bg.bin");
  auto fg = Transferring("fg.bin", JobPriority::kForeground);
  ASSERT_TRUE(bg && fg);
  SetBattery(true, 50);
  EXPECT_TRUE(IsMoving(*bg)) << "on battery above min_battery_percent_for_background (20)";
  SetBattery(true, 10);
  EXPECT_TRUE(IsBlocked(*bg, code::kBlockedByPowerState));
  EXPECT_TRUE(IsMoving(*fg));
  ServiceStatus st = StatusNow();
  EXPECT_TRUE(st.power_known);
  EXPECT_TRUE(st.on_battery);
  EXPECT_EQ(st.battery_percent, 10.0);
  SetBattery(false, 10);  // plugged in
  EXPECT_TRUE(IsMoving(*bg));
  EXPECT_EQ(ErrorCount(*bg), 0u);
}

TEST_F(ConditionsTest, ServicesAppearingLaterAndRestartingAreFollowed) {
  auto bg = Transferring("bg.bin");  // no NetworkManager: assumed unmetered
  ASSERT_TRUE(bg);
  EXPECT_FALSE(StatusNow().network_known);
  StartNetworkManager(1);  // appears, metered
  EXPECT_TRUE(IsBlocked(*bg, code::kBlockedByCostPolicy));
  nm_.Stop();  // leaves the bus: the defaults again
  EXPECT_TRUE(IsMoving(*bg));
  EXPECT_TRUE(Eventually([&] { return !StatusNow().network_known; }));
  StartNetworkManager(3);  // back, guess-yes
  EXPECT_TRUE(IsBlocked(*bg, code::kBlockedByCostPolicy));
}

TEST_F(ConditionsTest, CellularLinkHoldsDownloadsThatDisallowIt) {
  StartNetworkManager(2);
  std::unique_ptr<Download> d;
  ASSERT_TRUE(manager_->CreateDownload(&d).ok());
  using P = DownloadProperty;
  ASSERT_TRUE(d->SetProperty(P::kUri, nginx_.Url("/big.bin")).ok());
  ASSERT_TRUE(d->SetProperty(P::kLocalPath, env_.work().Path("d.bin")).ok());
  ASSERT_TRUE(d->SetProperty(P::kDisallowOnCellular, true).ok());
  ASSERT_TRUE(d->Start().ok());
  auto status = [&] {
    DownloadStatus st;
    EXPECT_TRUE(d->GetStatus(&st).ok());
    return st;
  };
  ASSERT_TRUE(Eventually([&] { return status().bytes_transferred > 0; }));
  SetNm("PrimaryConnectionType", "s", "gsm");
  EXPECT_TRUE(Eventually([&] {
    DownloadStatus st = status();
    return st.state == DownloadState::kPaused &&
           st.extended_error == code::kBlockedByCellularPolicy && st.error == 0;
  }));
  EXPECT_TRUE(StatusNow().cellular);
  SetNm("PrimaryConnectionType", "s", "802-11-wireless");
  EXPECT_TRUE(Eventually([&] { return status().state == DownloadState::kTransferring; }));
  ASSERT_TRUE(d->Abort().ok());
}

TEST_F(ConditionsTest, StatusJsonShowsTheConditions) {
  if (!CliAvailable()) GTEST_SKIP() << "ferry CLI not built";
  StartNetworkManager(1);
  StartUPower();
  SetBattery(true, 55);
  auto bg = NewJob(nginx_.Url("/big.bin"), env_.work().Path("bg.bin"));
  ASSERT_TRUE(bg);
  ASSERT_TRUE(bg->Resume().ok());
  ASSERT_TRUE(IsBlocked(*bg, code::kBlockedByCostPolicy));
  CommandResult r = RunCli(env_.address(), {"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  const auto& c = j["conditions"];
  EXPECT_EQ(c["metered"], true);
  EXPECT_EQ(c["connectivity"], "full");
  EXPECT_EQ(c["link_type"], "802-3-ethernet");
  EXPECT_EQ(c["on_battery"], true);
  EXPECT_EQ(c["battery_percent"], 55.0);
  EXPECT_EQ(c["blocked_jobs"]["DO_E_BLOCKED_BY_COST_TRANSFER_POLICY"].size(), 1u);
  CommandResult text = RunCli(env_.address(), {"status"});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_NE(text.out.find("network: metered"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("blocked by DO_E_BLOCKED_BY_COST_TRANSFER_POLICY"), std::string::npos)
      << text.out;
}

}  // namespace
}  // namespace ferry::test
