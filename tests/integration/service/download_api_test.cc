// DO's single-download API (do-download.md §1-2) through the SDK against a
// real ferryd on a private bus, files from a real nginx: the state x call
// table, the property rules, the lifecycle with a status callback (the file
// appears only at Finalize), NonVolatile across kill -9 and a restart, and
// other users (system mode) neither seeing nor touching a download.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/nginx_fixture.h"
#include "support/service_test.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

using D = DownloadState;
using P = DownloadProperty;

constexpr uint64_t kSmall = 256 * 1024;
constexpr uint64_t kLarge = 16 * kMiB;  // served at 256 KiB/s under /slow/: stays Transferring

class DownloadApiTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (Stopped()) return;
    ASSERT_EQ(::mkdir(docroot_.Path("slow").c_str(), 0755), 0);
    sha_ = AddDocFile("small.bin", kSmall, 0x646f);
    AddDocFile("slow/large.bin", kLarge, 0x6c61);
    test::NginxOptions no;
    no.extra_server_config = "location /slow/ { limit_rate 262144; }\n";
    StartNginx(no);
    StartService();
  }

  D StateOf(Download& d) { return StatusOf(d).state; }
  bool WaitState(Download& d, D want) {
    return Eventually([&] { return StateOf(d) == want; });
  }
  // A download in `state`; `dest` is its LocalPath.
  std::unique_ptr<Download> MakeIn(D state, const std::string& dest) {
    bool slow = state == D::kTransferring || state == D::kPaused;
    auto d = NewDownload(nginx_.Url(slow ? "/slow/large.bin" : "/small.bin"), dest);
    if (!d || state == D::kCreated) return d;
    if (state == D::kAborted) {
      EXPECT_TRUE(d->Abort().ok());
      return d;
    }
    EXPECT_TRUE(d->Start().ok());
    if (slow) {
      EXPECT_TRUE(Eventually([&] {
        DownloadStatus st;
        return d->GetStatus(&st).ok() && st.bytes_transferred > 0;
      }));
      if (state == D::kPaused) {
        EXPECT_TRUE(d->Pause().ok());
      }
      return d;
    }
    EXPECT_TRUE(WaitState(*d, D::kTransferred));
    if (state == D::kFinalized) {
      EXPECT_TRUE(d->Finalize().ok());
    }
    return d;
  }

  std::string sha_;
};

// --- The state x call table ------------------------------------------------------

TEST_F(DownloadApiTest, EveryCallInEveryStateFollowsTheTable) {
  enum Call { kStart, kPause, kFinalize, kAbort };
  const D states[] = {D::kCreated,   D::kTransferring, D::kTransferred,
                      D::kFinalized, D::kAborted,      D::kPaused};
  int n = 0;
  for (D state : states) {
    for (Call call : {kStart, kPause, kFinalize, kAbort}) {
      SCOPED_TRACE(std::string(DownloadStateName(state)) + " call " + std::to_string(call));
      std::string dest = env_.work().Path("t" + std::to_string(n++) + ".bin");
      auto d = MakeIn(state, dest);
      ASSERT_TRUE(d);
      ASSERT_EQ(DownloadStateName(StateOf(*d)), DownloadStateName(state));
      bool ended = state == D::kFinalized || state == D::kAborted;
      int32_t want = code::kOk;
      D after = state;
      Status s;
      switch (call) {
        case kStart:
          s = d->Start();
          if (ended)
            want = code::kInvalidState;
          else if (state == D::kCreated || state == D::kPaused)
            after = D::kTransferring;
          break;
        case kPause:
          s = d->Pause();
          if (ended)
            want = code::kInvalidState;
          else if (state == D::kTransferring)
            after = D::kPaused;
          break;
        case kFinalize:
          s = d->Finalize();
          if (state == D::kTransferred || state == D::kFinalized)
            after = D::kFinalized;
          else
            want = code::kInvalidState;
          break;
        case kAbort:
          s = d->Abort();
          if (state == D::kFinalized)
            want = code::kInvalidState;
          else
            after = D::kAborted;
          break;
      }
      EXPECT_EQ(Hex(s.code()), Hex(want)) << s.ToString();
      D now = StateOf(*d);
      // A small file started again may finish at once: Transferring or beyond.
      if (after == D::kTransferring && now == D::kTransferred) now = D::kTransferring;
      EXPECT_EQ(DownloadStateName(now), DownloadStateName(after));
      EXPECT_EQ(PathExists(dest), after == D::kFinalized) << "the file appears only at Finalize";
      if (!ended && after != D::kAborted && after != D::kFinalized) d->Abort();
    }
  }
}

TEST_F(DownloadApiTest, StartWithoutUriOrSinkGivesItsCode) {
  std::unique_ptr<Download> d;
  ASSERT_TRUE(manager_->CreateDownload(&d).ok());
  EXPECT_EQ(Hex(d->Start().code()), Hex(code::kDownloadNoUri));
  ASSERT_TRUE(d->SetProperty(P::kUri, nginx_.Url("/small.bin")).ok());
  EXPECT_EQ(Hex(d->Start().code()), Hex(code::kDownloadSinkUnspecified));
  EXPECT_EQ(StateOf(*d), D::kCreated);
}

// --- Properties ----------------------------------------------------------------

TEST_F(DownloadApiTest, PropertiesRefuseWhatTheTableRefusesAndChangeNothing) {
  std::unique_ptr<Download> d;
  ASSERT_TRUE(manager_->CreateDownload(&d).ok());
  PropertyValue v;
  // Every id: a never-set read is E_NOT_SET, a default, the id, or write-only.
  for (uint32_t id = 0; id < kDownloadPropertyCount; ++id) {
    Status s = d->GetProperty(static_cast<P>(id), &v);
    SCOPED_TRACE("property " + std::to_string(id));
    switch (static_cast<P>(id)) {
      case P::kId:
        ASSERT_TRUE(s.ok()) << s.ToString();
        EXPECT_EQ(std::get<std::string>(v).size(), 38u);
        break;
      case P::kSecurityFlags:
      case P::kSecurityContext:
      case P::kNetworkToken:
      case P::kDecryptionInfo:
      case P::kIntegrityCheckInfo:
        EXPECT_EQ(Hex(s.code()), Hex(code::kWriteOnlyProperty));
        break;
      case P::kCallbackFreqSeconds:
      case P::kForegroundPriority:
      case P::kBlockingMode:
      case P::kIntegrityCheckMandatory:
      case P::kDisallowOnCellular:
      case P::kHttpAllowSecureToNonSecureRedirect:
      case P::kNonVolatile:
        EXPECT_TRUE(s.ok()) << "has a default: " << s.ToString();
        break;
      default:
        EXPECT_EQ(Hex(s.code()), Hex(code::kNotSet));
        break;
    }
  }
  EXPECT_EQ(Hex(d->GetProperty(static_cast<P>(26), &v).code()), Hex(code::kUnknownPropertyId));
  EXPECT_EQ(Hex(d->SetProperty(static_cast<P>(99), true).code()), Hex(code::kUnknownPropertyId));
  EXPECT_EQ(Hex(d->SetProperty(P::kId, std::string("{x}")).code()), Hex(code::kReadOnlyProperty));
  // Wrong types for each kind.
  EXPECT_EQ(Hex(d->SetProperty(P::kUri, uint32_t{1}).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kCostPolicy, true).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kTotalSizeBytes, uint32_t{5}).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kNonVolatile, std::string("yes")).code()),
            Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kCallbackInterface, true).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kStreamInterface, true).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kUri, PropertyValue{}).code()), Hex(code::kInvalidArg));
  // Bad values.
  EXPECT_EQ(Hex(d->SetProperty(P::kUri, std::string()).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kNoProgressTimeoutSeconds, uint32_t{59}).code()),
            Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kCostPolicy, uint32_t{6}).code()), Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kLocalPath, std::string("rel/x")).code()),
            Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kIntegrityCheckInfo, std::string("{\"Sha256\":\"zz\"}")).code()),
            Hex(code::kInvalidArg));
  EXPECT_EQ(Hex(d->SetProperty(P::kDecryptionInfo, std::string("k")).code()), Hex(code::kNotImpl));
  EXPECT_EQ(Hex(d->GetProperty(P::kUri, &v).code()), Hex(code::kNotSet))
      << "refused sets changed it";
  // Good values read back.
  ASSERT_TRUE(d->SetProperty(P::kNoProgressTimeoutSeconds, uint32_t{60}).ok());
  ASSERT_TRUE(d->GetProperty(P::kNoProgressTimeoutSeconds, &v).ok());
  EXPECT_EQ(std::get<uint32_t>(v), 60u);
  ASSERT_TRUE(d->SetProperty(P::kTotalSizeBytes, uint64_t{kSmall}).ok());
  ASSERT_TRUE(d->GetProperty(P::kTotalSizeBytes, &v).ok());
  EXPECT_EQ(std::get<uint64_t>(v), kSmall);
  EXPECT_TRUE(d->SetProperty(P::kNetworkToken, true).ok());
  // A set the state forbids changes nothing.
  auto running = MakeIn(D::kTransferring, env_.work().Path("running.bin"));
  ASSERT_TRUE(running);
  EXPECT_EQ(Hex(running->SetProperty(P::kLocalPath, env_.work().Path("x")).code()),
            Hex(code::kInvalidState));
  EXPECT_EQ(Hex(running->SetProperty(P::kNonVolatile, true).code()), Hex(code::kInvalidState));
  ASSERT_TRUE(running->GetProperty(P::kLocalPath, &v).ok());
  EXPECT_EQ(std::get<std::string>(v), env_.work().Path("running.bin"));
  ASSERT_TRUE(running->GetProperty(P::kNonVolatile, &v).ok());
  EXPECT_FALSE(std::get<bool>(v));
  running->Abort();
}

// --- Lifecycle with a callback --------------------------------------------------------

class RecordingStatus : public DownloadStatusCallback {
 public:
  Status OnStatusChange(Download& d, const DownloadStatus& st) override {
    std::lock_guard lock(mu_);
    seen.push_back(st);
    return Status::OK();
  }
  bool Saw(D state) {
    std::lock_guard lock(mu_);
    for (const auto& s : seen)
      if (s.state == state) return true;
    return false;
  }
  std::mutex mu_;
  std::vector<DownloadStatus> seen;
};

TEST_F(DownloadApiTest, SdkLifecycleCallbackThenFinalizeDeliversTheFile) {
  const std::string dest = env_.work().Path("life.bin");
  auto d = NewDownload(nginx_.Url("/small.bin"), dest);
  ASSERT_TRUE(d);
  auto cb = std::make_shared<RecordingStatus>();
  ASSERT_TRUE(d->SetProperty(P::kCallbackInterface, cb).ok());
  ASSERT_TRUE(d->SetProperty(P::kDisplayName, std::string("lifecycle")).ok());
  ASSERT_TRUE(d->SetProperty(P::kIntegrityCheckInfo, "{\"Sha256\":\"" + sha_ + "\"}").ok());
  ASSERT_TRUE(d->SetProperty(P::kBlockingMode, true).ok());
  ASSERT_TRUE(d->Start().ok()) << "BlockingMode: returns when Transferred";
  EXPECT_EQ(StateOf(*d), D::kTransferred);
  EXPECT_TRUE(Eventually([&] { return cb->Saw(D::kTransferred); }));
  EXPECT_TRUE(cb->Saw(D::kCreated)) << "registration delivers the current status";
  EXPECT_FALSE(PathExists(dest)) << "invisible before Finalize";
  ASSERT_TRUE(d->Finalize().ok());
  EXPECT_EQ(FileSize(dest), static_cast<int64_t>(kSmall));
  EXPECT_TRUE(Eventually([&] { return cb->Saw(D::kFinalized); }));
  std::vector<std::unique_ptr<Download>> list;
  ASSERT_TRUE(manager_->EnumDownloads(nullptr, &list).ok());
  EXPECT_TRUE(list.empty()) << "a finalized download is not listed";
  std::vector<std::unique_ptr<Job>> jobs;
  ASSERT_TRUE(manager_->EnumJobs(0, &jobs).ok());
  EXPECT_TRUE(jobs.empty()) << "a download is not a job";
}

TEST_F(DownloadApiTest, WrongSha256FailsTheDownload) {
  auto d = NewDownload(nginx_.Url("/small.bin"), env_.work().Path("bad.bin"));
  ASSERT_TRUE(d);
  ASSERT_TRUE(
      d->SetProperty(P::kIntegrityCheckInfo, "{\"Sha256\":\"" + std::string(64, 'a') + "\"}").ok());
  ASSERT_TRUE(d->Start().ok());
  DownloadStatus st;
  ASSERT_TRUE(Eventually([&] { return d->GetStatus(&st).ok() && st.error != 0; }));
  EXPECT_EQ(st.state, D::kPaused);
  EXPECT_EQ(Hex(st.error), Hex(code::kValidationFailed));
}

TEST_F(DownloadApiTest, EnumDownloadsFiltersByCategory) {
  auto a = NewDownload(nginx_.Url("/small.bin"), env_.work().Path("a.bin"));
  auto b = NewDownload(nginx_.Url("/slow/large.bin"), env_.work().Path("b.bin"));
  ASSERT_TRUE(a && b);
  std::vector<std::unique_ptr<Download>> list;
  DownloadEnumCategory cat{P::kLocalPath, env_.work().Path("b.bin")};
  ASSERT_TRUE(manager_->EnumDownloads(&cat, &list).ok());
  ASSERT_EQ(list.size(), 1u);
  PropertyValue v;
  ASSERT_TRUE(list[0]->GetProperty(P::kUri, &v).ok());
  EXPECT_EQ(std::get<std::string>(v), nginx_.Url("/slow/large.bin"));
  DownloadEnumCategory bad{P::kCostPolicy, "1"};
  EXPECT_EQ(Hex(manager_->EnumDownloads(&bad, &list).code()), Hex(code::kInvalidArg));
}

// --- NonVolatile ------------------------------------------------------------------

TEST_F(DownloadApiTest, NonVolatileSurvivesKill9AndVolatileIsGone) {
  auto kept = NewDownload(nginx_.Url("/slow/large.bin"), env_.work().Path("kept.bin"));
  auto gone = NewDownload(nginx_.Url("/small.bin"), env_.work().Path("gone.bin"));
  ASSERT_TRUE(kept && gone);
  ASSERT_TRUE(kept->SetProperty(P::kNonVolatile, true).ok());
  ASSERT_TRUE(kept->SetProperty(P::kDisplayName, std::string("kept")).ok());
  ASSERT_TRUE(kept->Start().ok());
  ASSERT_TRUE(Eventually([&] {
    DownloadStatus st;
    return kept->GetStatus(&st).ok() && st.bytes_transferred > 0;
  }));
  PropertyValue id;
  ASSERT_TRUE(kept->GetProperty(P::kId, &id).ok());
  kept.reset();
  gone.reset();
  manager_.reset();
  ASSERT_TRUE(env_.ferryd().Kill9().ok());
  Status s = env_.RestartFerryd();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(env_.Connect(&manager_).ok());
  std::vector<std::unique_ptr<Download>> list;
  ASSERT_TRUE(manager_->EnumDownloads(nullptr, &list).ok());
  ASSERT_EQ(list.size(), 1u) << "only the NonVolatile download survives";
  PropertyValue v;
  ASSERT_TRUE(list[0]->GetProperty(P::kId, &v).ok());
  EXPECT_EQ(std::get<std::string>(v), std::get<std::string>(id));
  ASSERT_TRUE(list[0]->GetProperty(P::kDisplayName, &v).ok());
  EXPECT_EQ(std::get<std::string>(v), "kept");
  D state = StateOf(*list[0]);
  EXPECT_TRUE(state == D::kTransferring || state == D::kTransferred) << DownloadStateName(state);
  list[0]->Abort();
}

// --- The CLI -------------------------------------------------------------------

TEST_F(DownloadApiTest, CliStartsListsAndFinalizesWithJson) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  const std::string dest = env_.work().Path("cli.bin");
  auto r = RunCli(env_.address(), {"download", "start", nginx_.Url("/small.bin"), "-o", dest,
                                   "--sha256", sha_, "--foreground", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("\"FINALIZED\""), std::string::npos) << r.out;
  EXPECT_EQ(FileSize(dest), static_cast<int64_t>(kSmall));

  const std::string later = env_.work().Path("later.bin");
  r = RunCli(env_.address(),
             {"download", "start", nginx_.Url("/small.bin"), "-o", later, "--blocking", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("\"TRANSFERRED\""), std::string::npos) << "BlockingMode: " << r.out;
  EXPECT_FALSE(PathExists(later));
  r = RunCli(env_.address(), {"download", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  size_t at = r.out.find("\"id\": \"{");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::string id = r.out.substr(at + 7, 38);
  r = RunCli(env_.address(), {"download", "status", id.substr(1, 8)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("TRANSFERRED"), std::string::npos) << r.out;
  r = RunCli(env_.address(), {"download", "finalize", id, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(FileSize(later), static_cast<int64_t>(kSmall));
  r = RunCli(env_.address(), {"download", "pause", id, "--json"});
  EXPECT_EQ(r.exit_code, 1) << "a finalized download is gone from the list: " << r.Describe();
  r = RunCli(env_.address(), {"download", "abort", "ffffffff", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.out.find("DO_E_JOB_NOT_FOUND"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ferry::test
