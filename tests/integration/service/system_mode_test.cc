// System mode with real unix users (semantics.md §8, api.md §2): ferryd runs
// as `ferry` with --system on a private bus that every user may connect to.
// User A owns a job whose file goes to A's own 0700 directory; user B can
// neither see, read, change, complete nor cancel it; root can, with
// all-users; A's Complete delivers a file that belongs to A, written through
// a descriptor A opened — ferryd (as `ferry`) cannot even enter that
// directory; B's connection hears no signal of A's job.
//
// Needs root (to create users and switch to them): skipped otherwise.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/nginx_fixture.h"
#include "support/service_test.h"
#include "support/temp_dir.h"
#include "support/unix_users.h"

namespace ferry::test {
namespace {

constexpr uint64_t kFileSize = 3 * kMiB + 12345;

constexpr uint64_t kSeed = 0x7379736d;  // "sysm"

// --- What users A and B run (test::RunAs; args[0] is the bus address) ------

// args: address, url, local name. Creates and resumes a job: "id {GUID}".
FERRY_CHILD_FUNCTION(SystemModeCreateAndResume) {
  std::unique_ptr<Manager> m;
  Guid id;
  std::unique_ptr<Job> job;
  if (std::string e = NewJobAt(args.at(0), "a's job", &m, &id, &job); !e.empty()) return e;
  Status st = job->AddFile(args.at(1), args.at(2));
  if (!st.ok()) return "add " + st.ToString();
  st = job->Resume();
  if (!st.ok()) return "resume " + st.ToString();
  return "id " + id.ToString();
}

// args: address, job id. What another user's SDK finds of that job.
FERRY_CHILD_FUNCTION(SystemModeLookForJob) {
  Guid id;
  if (!Guid::Parse(args.at(1), &id)) return "bad id";
  std::string r;
  Status st;
  auto m = ConnectTo(args.at(0), &st);
  if (!m) return "connect " + st.ToString();
  std::vector<std::unique_ptr<Job>> jobs;
  st = m->EnumJobs(0, &jobs);
  r += "enum " + std::to_string(st.code()) + " " + std::to_string(jobs.size()) + "\n";
  jobs.clear();
  st = m->EnumJobs(kEnumAllUsers, &jobs);
  r += "enumall " + std::to_string(st.code()) + " " + std::to_string(jobs.size()) + "\n";
  std::unique_ptr<Job> j;
  st = m->GetJob(id, &j);
  r += "get " + std::to_string(st.code()) + " " + (j ? "handle" : "none") + "\n";
  return r;
}

// args: address. The seeding cache calls: "list <code> <entries> clear <code>".
FERRY_CHILD_FUNCTION(SystemModeCacheCalls) {
  Status st;
  auto m = ConnectTo(args.at(0), &st);
  if (!m) return "connect " + st.ToString();
  std::vector<CacheEntry> entries;
  Status list = m->ListCache(&entries);
  Status clear = m->ClearCache();
  return "list " + std::to_string(list.code()) + " " + std::to_string(entries.size()) + " clear " +
         std::to_string(clear.code());
}

// args: address, job id. The job's download mode as its owner tries it:
// "set <code> clear <code> get <mode|none> download <code>" (the last: a
// download of its own, DownloadProperty::kDownloadMode).
FERRY_CHILD_FUNCTION(SystemModeDownloadModeCalls) {
  std::unique_ptr<Manager> m;
  std::unique_ptr<Job> j;
  if (std::string e = GetJobAt(args.at(0), args.at(1), &m, &j); !e.empty()) return e;
  Status set = j->SetDownloadMode(DownloadMode::kHttpOnly);
  Status clear = j->ClearDownloadMode();
  std::optional<DownloadMode> mode;
  Status get = j->GetDownloadMode(&mode);
  if (!get.ok()) return "get " + get.ToString();
  std::unique_ptr<Download> d;
  Status st = m->CreateDownload(&d);
  if (!st.ok()) return "create " + st.ToString();
  Status dl = d->SetProperty(DownloadProperty::kDownloadMode, uint32_t{0});
  d->Abort();
  return "set " + std::to_string(set.code()) + " clear " + std::to_string(clear.code()) + " get " +
         (mode ? std::to_string(static_cast<uint32_t>(*mode)) : "none") + " download " +
         std::to_string(dl.code());
}

// args: address, job id. Completes the job: "complete <status>".
FERRY_CHILD_FUNCTION(SystemModeComplete) {
  std::unique_ptr<Manager> m;
  std::unique_ptr<Job> j;
  if (std::string e = GetJobAt(args.at(0), args.at(1), &m, &j); !e.empty()) return e;
  return "complete " + j->Complete().ToString();
}

// args: address. Creates a job and leaves it suspended: "id {GUID}".
FERRY_CHILD_FUNCTION(SystemModeCreate) {
  std::unique_ptr<Manager> m;
  Guid id;
  std::unique_ptr<Job> job;
  if (std::string e = NewJobAt(args.at(0), "to cancel", &m, &id, &job); !e.empty()) return e;
  return "id " + id.ToString();
}

// args: address. "<EnumJobs code> <count>".
FERRY_CHILD_FUNCTION(SystemModeCountJobs) {
  Status st;
  auto m = ConnectTo(args.at(0), &st);
  if (!m) return "connect " + st.ToString();
  std::vector<std::unique_ptr<Job>> jobs;
  st = m->EnumJobs(0, &jobs);
  return std::to_string(st.code()) + " " + std::to_string(jobs.size());
}

// args: address, a local file, a local name. "<AddFile(file://) code>
// <SetNotifyCmdLine code> ".
FERRY_CHILD_FUNCTION(SystemModeRefusals) {
  std::unique_ptr<Manager> m;
  Guid id;
  std::unique_ptr<Job> job;
  if (std::string e = NewJobAt(args.at(0), "refusals", &m, &id, &job); !e.empty()) return e;
  std::string r;
  r += std::to_string(job->AddFile("file://" + args.at(1), args.at(2)).code()) + " ";
  r += std::to_string(job->SetNotifyCmdLine("/bin/true", "").code()) + " ";
  job->Cancel();
  return r;
}

// args: address, url, local path. A blocking download, finalized:
// "finalize <status>".
FERRY_CHILD_FUNCTION(SystemModeDownloadAndFinalize) {
  std::unique_ptr<Manager> m;
  std::unique_ptr<Download> d;
  if (std::string e = NewDownloadAt(args.at(0), &m, &d); !e.empty()) return e;
  Status st;
  if (!(st = d->SetProperty(DownloadProperty::kUri, args.at(1))).ok()) return "uri " + st.ToString();
  if (!(st = d->SetProperty(DownloadProperty::kLocalPath, args.at(2))).ok())
    return "path " + st.ToString();
  if (!(st = d->SetProperty(DownloadProperty::kBlockingMode, true)).ok())
    return "blocking " + st.ToString();
  if (!(st = d->Start()).ok()) return "start " + st.ToString();
  st = d->Finalize();
  return "finalize " + st.ToString();
}

class SystemModeTest : public ServiceTest {
 protected:
  void SetUp() override {
    if (!test::IsRoot()) GTEST_SKIP() << "system-mode tests create users: run as root";
    ServiceTest::SetUp();
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
    if (Stopped()) return;
    Status s = test::EnsureUsers({{"ferry", &ferry_}, {"ferrytest-a", &a_}, {"ferrytest-b", &b_}});
    ASSERT_TRUE(s.ok()) << s.ToString();

    sha_ = AddDocFile("file.bin", kFileSize, kSeed);
    StartNginx();
    if (Stopped()) return;

    // The work dir is traversable by everyone; the state dir belongs to
    // `ferry`; A's directory belongs to A alone.
    const std::string work = env_.work().path();
    ASSERT_EQ(::chmod(work.c_str(), 0755), 0);
    state_dir_ = work + "/state";
    ASSERT_EQ(::mkdir(state_dir_.c_str(), 0700), 0);
    ASSERT_EQ(::chown(state_dir_.c_str(), ferry_.uid, ferry_.gid), 0);
    home_a_ = work + "/home-a";
    ASSERT_EQ(::mkdir(home_a_.c_str(), 0700), 0);
    ASSERT_EQ(::chown(home_a_.c_str(), a_.uid, a_.gid), 0);
    ASSERT_EQ(::chmod(home_a_.c_str(), 0700), 0);

    test::FerrydOptions fo;
    fo.system_mode = true;
    fo.as = ferry_;
    fo.state_dir = state_dir_;
    s = env_.Start(fo, /*shared_bus=*/true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Runs `function` as A; it prints "id GUID" of the job it made.
  void RunAsAForJob(const char* function, const std::vector<std::string>& args, Guid* id) {
    std::string out;
    Status s = RunAs(a_, function, args, &out);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(out.rfind("id ", 0), 0u) << out;
    ASSERT_TRUE(Guid::Parse(out.substr(3), id)) << out;
  }

  UnixUser ferry_, a_, b_;
  std::string sha_;
  std::string state_dir_, home_a_;
};

TEST_F(SystemModeTest, OtherUsersCannotTouchAJobAndDeliveryBelongsToTheOwner) {
  const std::string address = env_.address();
  const std::string dest = home_a_ + "/file.bin";
  const std::string url = nginx_.Url("/file.bin");

  // --- A creates and starts a job ------------------------------------------
  Guid id;
  ASSERT_NO_FATAL_FAILURE(RunAsAForJob("SystemModeCreateAndResume", {address, url, dest}, &id));

  // --- root sees it (administrator) and waits for TRANSFERRED ---------------
  std::string out;
  Status s;
  auto root = ConnectTo(address, &s);
  ASSERT_TRUE(root) << s.ToString();
  std::unique_ptr<Job> job;
  s = root->GetJob(id, &job);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred));
  std::string owner;
  ASSERT_TRUE(job->GetOwner(&owner).ok());
  EXPECT_EQ(owner, a_.name);
  std::vector<std::unique_ptr<Job>> all;
  s = root->EnumJobs(kEnumAllUsers, &all);
  ASSERT_TRUE(s.ok()) << s.ToString();
  bool listed = false;
  for (auto& j : all) {
    Guid g;
    if (j->GetId(&g).ok() && g == id) listed = true;
  }
  EXPECT_TRUE(listed) << "root's EnumJobs(kEnumAllUsers) misses A's job";
  std::vector<std::unique_ptr<Job>> roots_own;
  ASSERT_TRUE(root->EnumJobs(0, &roots_own).ok());
  EXPECT_TRUE(roots_own.empty()) << "root's own list shows another user's job";

  // --- B through the SDK ------------------------------------------------------
  s = RunAs(b_, "SystemModeLookForJob", {address, id.ToString()}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString() << out;
  {
    int enum_code = 1, enum_n = -1, all_code = 0, all_n = -1, get_code = 0;
    char handle[16] = {};
    ASSERT_EQ(std::sscanf(out.c_str(), "enum %d %d\nenumall %d %d\nget %d %15s", &enum_code, &enum_n,
                          &all_code, &all_n, &get_code, handle),
              6)
        << out;
    EXPECT_EQ(enum_code, 0) << out;
    EXPECT_EQ(enum_n, 0) << "B sees A's job:\n" << out;
    EXPECT_EQ(all_code, code::kAccessDenied) << Hex(all_code);
    EXPECT_EQ(all_n, 0) << out;
    EXPECT_TRUE(get_code == code::kAccessDenied || get_code == code::kJobNotFound) << Hex(get_code);
    EXPECT_STREQ(handle, "none");
  }

  // --- B through the CLI: every verb on A's job fails ----------------------
  if (CliAvailable()) {
    test::RunOptions ro;
    ro.as = b_;
    ro.timeout = std::chrono::seconds(60);
    const std::string jid = id.ToString();
    for (const std::vector<std::string>& verb :
         std::vector<std::vector<std::string>>{{"info", jid},
                                               {"files", jid},
                                               {"cancel", jid},
                                               {"complete", jid},
                                               {"suspend", jid},
                                               {"set", jid, "priority", "high"},
                                               {"add", jid, url, "/tmp/ferrytest-b-steal.bin"}}) {
      std::vector<std::string> args = {"--json"};
      args.insert(args.end(), verb.begin(), verb.end());
      auto r = RunCli(address, args, ro);
      EXPECT_EQ(r.exit_code, 1) << verb[0] << ": " << r.Describe();
    }
    auto r = RunCli(address, {"--json", "list", "--all-users"}, ro);
    EXPECT_EQ(r.exit_code, 1) << r.Describe();
  }

  // --- B on the raw object path (what a client without the SDK could try) ---
  {
    test::RunOptions ro;
    ro.as = b_;
    ro.timeout = std::chrono::seconds(30);
    const std::string path = "/org/ferry/Ferry1/job/" + id.ToHex();
    const std::vector<std::vector<std::string>> calls = {
        {"GetInfo"},
        {"EnumFiles"},
        {"Cancel"},
        {"Complete", "a{uh}", "0"},
        {"Suspend"},
        {"Resume"},
        {"SetDisplayName", "s", "stolen"},
        {"SetNotifyFlags", "u", "8"},
        {"AddFile", "ss", url, "/tmp/ferrytest-b-steal.bin"},
        {"TakeOwnership"},
        {"RegisterCallback"},
        {"GetError"},
    };
    for (const auto& c : calls) {
      std::vector<std::string> argv = {"busctl", "--address=" + address, "call", "--", "org.ferry.Ferry1",
                                       path, "org.ferry.Ferry1.Job"};
      argv.insert(argv.end(), c.begin(), c.end());
      auto r = test::RunCommand(argv, ro);
      EXPECT_NE(r.exit_code, 0) << c[0] << " by B succeeded: " << r.Describe();
      // ferryd's error messages start with the code (docs/dbus-api.md).
      EXPECT_NE(r.err.find("0x80070005:"), std::string::npos) << c[0] << ": " << r.Describe();
    }
    // Properties are reads too: B gets E_ACCESSDENIED, not A's values.
    for (const char* prop : {"DisplayName", "State", "Progress", "Owner", "CustomHeaders"}) {
      auto r = test::RunCommand({"busctl", "--address=" + address, "get-property", "org.ferry.Ferry1", path,
                                 "org.ferry.Ferry1.Job", prop},
                                ro);
      EXPECT_NE(r.exit_code, 0) << prop << " read by B: " << r.Describe();
      EXPECT_NE(r.err.find("0x80070005:"), std::string::npos) << prop << ": " << r.Describe();
    }
    auto all = test::RunCommand({"busctl", "--address=" + address, "call", "org.ferry.Ferry1", path,
                                 "org.freedesktop.DBus.Properties", "GetAll", "s", "org.ferry.Ferry1.Job"},
                                ro);
    EXPECT_NE(all.exit_code, 0) << "GetAll by B: " << all.Describe();
    EXPECT_EQ(all.out.find("s job"), std::string::npos) << all.Describe();
  }
  // A reads its own job's properties, free text included.
  {
    test::RunOptions ro;
    ro.as = a_;
    ro.timeout = std::chrono::seconds(30);
    auto r = test::RunCommand({"busctl", "--address=" + address, "get-property", "org.ferry.Ferry1",
                               "/org/ferry/Ferry1/job/" + id.ToHex(), "org.ferry.Ferry1.Job", "DisplayName"},
                              ro);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_NE(r.out.find("s job\""), std::string::npos) << r.Describe();  // busctl prints s "a\'s job"
  }

  // A's job is untouched by all that.
  JobState state{};
  ASSERT_TRUE(job->GetState(&state).ok());
  EXPECT_EQ(state, JobState::kTransferred);
  std::string name;
  ASSERT_TRUE(job->GetDisplayName(&name).ok());
  EXPECT_EQ(name, "a's job");
  ASSERT_TRUE(job->GetOwner(&owner).ok());
  EXPECT_EQ(owner, a_.name);
  EXPECT_FALSE(PathExists("/tmp/ferrytest-b-steal.bin"));

  // --- A completes: the file is A's ----------------------------------------
  s = RunAs(a_, "SystemModeComplete", {address, id.ToString()}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out.rfind("complete 0x00000000", 0), 0u) << out;

  struct stat st;
  ASSERT_EQ(::stat(dest.c_str(), &st), 0) << "the file was not delivered";
  EXPECT_EQ(st.st_uid, a_.uid);
  EXPECT_EQ(test::Sha256File(dest), sha_);
  // Nothing in A's directory belongs to `ferry`, and nothing else is left
  // there (no temporary files).
  ASSERT_EQ(::stat(home_a_.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, a_.uid);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  std::vector<std::string> entries;
  if (DIR* d = ::opendir(home_a_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      entries.push_back(n);
      struct stat es;
      if (::lstat((home_a_ + "/" + n).c_str(), &es) == 0) {
        EXPECT_NE(es.st_uid, ferry_.uid) << n << " belongs to ferry";
        EXPECT_EQ(es.st_uid, a_.uid) << n;
      }
    }
    ::closedir(d);
  }
  EXPECT_EQ(entries, std::vector<std::string>{"file.bin"});

  // The job is final now: root cannot find it either.
  std::unique_ptr<Job> gone;
  EXPECT_EQ(root->GetJob(id, &gone).code(), code::kJobNotFound);
}

// Root may act on another user's job: it cancels A's second job.
TEST_F(SystemModeTest, RootCancelsAnotherUsersJob) {
  const std::string address = env_.address();
  Guid id;
  ASSERT_NO_FATAL_FAILURE(RunAsAForJob("SystemModeCreate", {address}, &id));
  Status s;
  auto root = ConnectTo(address, &s);
  ASSERT_TRUE(root) << s.ToString();
  std::unique_ptr<Job> job;
  ASSERT_TRUE(root->GetJob(id, &job).ok());
  ASSERT_TRUE(job->SetDescription("root was here").ok());
  s = job->Cancel();
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<Job> gone;
  EXPECT_EQ(root->GetJob(id, &gone).code(), code::kJobNotFound);
  // A sees it gone too.
  std::string out;
  s = RunAs(a_, "SystemModeCountJobs", {address}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, "0 0");
}

// Any user may list the seeding cache; only an administrator may clear it.
TEST_F(SystemModeTest, OnlyAnAdministratorClearsTheSeedingCache) {
  const std::string address = env_.address();
  std::string out;
  Status s = RunAs(a_, "SystemModeCacheCalls", {address}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, "list 0 0 clear " + std::to_string(code::kAccessDenied));
  auto root = ConnectTo(address, &s);
  ASSERT_TRUE(root) << s.ToString();
  EXPECT_TRUE(root->ClearCache().ok());
}

// Only an administrator sets a job's download mode, also on another user's
// job; the owner may read it but neither set nor clear it (SDK, CLI, raw
// call), nor set a download's DownloadMode.
TEST_F(SystemModeTest, OnlyAnAdministratorSetsADownloadMode) {
  const std::string address = env_.address();
  Guid id;
  ASSERT_NO_FATAL_FAILURE(RunAsAForJob("SystemModeCreate", {address}, &id));
  const std::string denied = std::to_string(code::kAccessDenied);
  std::string out;
  Status s = RunAs(a_, "SystemModeDownloadModeCalls", {address, id.ToString()}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, "set " + denied + " clear " + denied + " get none download " + denied);

  auto root = ConnectTo(address, &s);
  ASSERT_TRUE(root) << s.ToString();
  std::unique_ptr<Job> job;
  ASSERT_TRUE(root->GetJob(id, &job).ok());
  ASSERT_TRUE(job->SetDownloadMode(DownloadMode::kInternet).ok()) << "an administrator enables it";
  s = RunAs(a_, "SystemModeDownloadModeCalls", {address, id.ToString()}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, "set " + denied + " clear " + denied + " get 3 download " + denied);

  test::RunOptions ro;
  ro.as = a_;
  ro.timeout = std::chrono::seconds(60);
  if (CliAvailable()) {
    auto r = RunCli(address, {"set", id.ToString(), "download-mode", "http-only"}, ro);
    EXPECT_EQ(r.exit_code, 1) << r.Describe();
    EXPECT_NE(r.err.find("0x80070005"), std::string::npos) << r.Describe();
  }
  auto r = test::RunCommand(
      {"busctl", "--address=" + address, "call", "--", "org.ferry.Ferry1",
       "/org/ferry/Ferry1/job/" + id.ToHex(), "org.ferry.Ferry1.Job", "SetDownloadMode", "i", "-1"},
      ro);
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("0x80070005:"), std::string::npos) << r.Describe();
  std::optional<DownloadMode> mode;
  ASSERT_TRUE(job->GetDownloadMode(&mode).ok());
  EXPECT_EQ(mode, DownloadMode::kInternet) << "the refusals changed it";
  ASSERT_TRUE(job->ClearDownloadMode().ok());
  ASSERT_TRUE(job->GetDownloadMode(&mode).ok());
  EXPECT_EQ(mode, std::nullopt);
  EXPECT_TRUE(job->Cancel().ok());
}

// System mode refuses file:// (ferryd would read with its own rights) and
// notify command lines.
TEST_F(SystemModeTest, FileUrlsAndNotifyCommandLinesAreRefused) {
  const std::string address = env_.address();
  const std::string src = docroot_.Path("file.bin");
  std::string out;
  Status s = RunAs(a_, "SystemModeRefusals", {address, src, home_a_ + "/x.bin"}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  int add_code = 0, cmd_code = 0;
  ASSERT_EQ(std::sscanf(out.c_str(), "%d %d", &add_code, &cmd_code), 2) << out;
  EXPECT_EQ(add_code, code::kInvalidArg) << Hex(add_code);
  EXPECT_EQ(cmd_code, code::kNotImpl) << Hex(cmd_code);
}

// args: address, ready file, stop file. Listens to every signal ferryd
// sends this connection or broadcasts (a match on its name alone, wider than
// the SDK's) from the creation of `ready` until `stop` appears (at most
// 120 s): "signals <n>\n" and one line per signal.
FERRY_CHILD_FUNCTION(SystemModeListenForSignals) {
  auto conn = sdbus::createSessionBusConnectionWithAddress(args.at(0));
  std::mutex mu;
  std::vector<std::string> got;
  conn->addMatch(
      "type='signal',sender='org.ferry.Ferry1'",
      [&](sdbus::Message& m) {
        std::lock_guard lock(mu);
        got.push_back(m.getInterfaceName() + "." + m.getMemberName() + " " + m.getPath());
      },
      sdbus::floating_slot);
  conn->enterEventLoopAsync();
  if (!WriteFile(args.at(1), "ready")) return "cannot write " + args.at(1);
  Eventually([&] { return PathExists(args.at(2)); }, std::chrono::seconds(120));
  // A round trip through the bus: what was routed to us before is read.
  std::string id;
  sdbus::createProxy(*conn, "org.freedesktop.DBus", "/org/freedesktop/DBus")
      ->callMethod("GetId")
      .onInterface("org.freedesktop.DBus")
      .storeResultsTo(id);
  conn->leaveEventLoop();
  std::lock_guard lock(mu);
  std::string r = "signals " + std::to_string(got.size()) + "\n";
  for (const std::string& line : got) r += line + "\n";
  return r;
}

// args: address, url, local name. A job with every callback flag, watched
// with a Callback until JobTransferred, then completed: "transferred <n>
// modifications <m> files <f> complete <status>".
FERRY_CHILD_FUNCTION(SystemModeWatchAJob) {
  Status st;
  auto m = ConnectTo(args.at(0), &st);
  if (!m) return "connect " + st.ToString();
  Guid id;
  std::unique_ptr<Job> job;
  st = m->CreateJob("watched", JobType::kDownload, &id, &job);
  if (st.ok()) st = job->AddFile(args.at(1), args.at(2));
  if (st.ok())
    st = job->SetNotifyFlags(notify::kJobTransferred | notify::kJobModification |
                             notify::kFileTransferred);
  auto cb = std::make_shared<RecordingCallback>();
  if (st.ok()) st = job->SetNotifyInterface(cb);
  if (st.ok()) st = job->Resume();
  if (!st.ok()) return "setup " + st.ToString();
  cb->WaitUntil([&] { return cb->transferred() > 0 && cb->modifications() > 0; },
                std::chrono::seconds(120));
  st = job->Complete();
  return "transferred " + std::to_string(cb->transferred()) + " modifications " +
         std::to_string(cb->modifications()) + " files " + std::to_string(cb->files_transferred()) +
         " complete " + st.ToString();
}

// Signals are addressed to the connections that use a job (docs/dbus-api.md,
// "Who receives signals"): B's connection, listening to everything ferryd
// sends, hears nothing while A's job runs and A's callbacks fire.
TEST_F(SystemModeTest, AnotherUsersConnectionReceivesNoSignalOfAJob) {
  const std::string address = env_.address();
  const std::string sync = env_.work().path() + "/sync-b";
  ASSERT_EQ(::mkdir(sync.c_str(), 0700), 0);
  ASSERT_EQ(::chown(sync.c_str(), b_.uid, b_.gid), 0);
  const std::string ready = sync + "/ready", stop = sync + "/stop";
  std::string heard;
  Status listened;
  std::thread listener(
      [&] { listened = RunAs(b_, "SystemModeListenForSignals", {address, ready, stop}, &heard); });
  // Whatever happens below, B's child is told to stop and waited for.
  struct Stopper {
    std::string stop;
    std::thread& t;
    ~Stopper() {
      if (!t.joinable()) return;
      WriteFile(stop, "stop");
      t.join();
    }
  } stopper{stop, listener};
  ASSERT_TRUE(Eventually([&] { return PathExists(ready); }, std::chrono::seconds(60)))
      << "B's listener did not start";

  std::string out;
  Status s = RunAs(a_, "SystemModeWatchAJob", {address, nginx_.Url("/file.bin"), home_a_ + "/w.bin"},
                   &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  // A's own connection got its signals (so ferryd did send some).
  int transferred = 0, modifications = 0, files = 0;
  ASSERT_EQ(std::sscanf(out.c_str(), "transferred %d modifications %d files %d", &transferred,
                        &modifications, &files),
            3)
      << out;
  EXPECT_GE(transferred, 1) << out;
  EXPECT_GE(modifications, 1) << out;
  EXPECT_GE(files, 1) << out;
  EXPECT_NE(out.find("complete 0x00000000"), std::string::npos) << out;

  WriteFile(stop, "stop");
  listener.join();
  ASSERT_TRUE(listened.ok()) << listened.ToString() << heard;
  EXPECT_EQ(heard, "signals 0\n") << "B heard A's job";
}

// Download.Finalize in system mode takes Job.Complete's path: the SDK opens
// the temporary beside LocalPath with A's rights and passes its descriptor;
// ferryd (as `ferry`, which cannot enter A's 0700 directory) fills it.
TEST_F(SystemModeTest, DownloadFinalizeDeliversAsTheOwner) {
  const std::string address = env_.address();
  const std::string dest = home_a_ + "/dl.bin";
  const std::string url = nginx_.Url("/file.bin");
  std::string out;
  Status s = RunAs(a_, "SystemModeDownloadAndFinalize", {address, url, dest}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out.rfind("finalize 0x00000000", 0), 0u) << out;
  struct stat st;
  ASSERT_EQ(::stat(dest.c_str(), &st), 0) << "the file was not delivered: " << out;
  EXPECT_EQ(st.st_uid, a_.uid);
  EXPECT_EQ(test::Sha256File(dest), sha_);
  std::vector<std::string> entries;
  if (DIR* d = ::opendir(home_a_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") entries.push_back(n);
    }
    ::closedir(d);
  }
  EXPECT_EQ(entries, std::vector<std::string>{"dl.bin"}) << "no temporary is left";
}

}  // namespace
}  // namespace ferry::test
