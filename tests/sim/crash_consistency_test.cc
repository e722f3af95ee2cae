// Crash consistency, leveldb-style (style.md "Fail every operation in turn";
// semantics.md §6, last bullet; architecture.md "Storage and durability").
//
// Scenario: one job fetches a 6 MiB file through a file:// URL (the real
// file:// backend) with small checkpoints (1 MiB, 256 KiB writes), runs to
// TRANSFERRED, is Completed, and the file appears at its local name. A run
// without faults counts the file-system operations of the whole scenario
// (SimHost start included). Then, for every N, a fresh state directory
// runs the scenario on a FaultInjectionFileSystem that fails operations with
// EIO; the engine must end in ERROR (or finish), never crash or hang. The
// process then "crashes" (the host is destroyed without Shutdown), the power
// is "lost" (DropUnsyncedData: only fsynced data and durably renamed names
// survive; SQLite is durable on its own, WAL + synchronous=FULL), and:
//   - the store, read offline before any engine runs, never claims a byte
//     that is missing or wrong in staging; a file marked transferred is
//     whole and correct; a delivered file is whole at its local name; an
//     acknowledged job's file is whole at its local name;
//   - the local name never holds partial or wrong content;
//   - a new engine on the same state directory, on a new boot id (a power
//     loss is a reboot: same-boot recovery would trust the staging size),
//     recovers, is resumed if needed, reaches TRANSFERRED, Completes, and the
//     delivered file's SHA-256 is right.
// A disk-full variant fails one job's writes with ENOSPC at several points:
// that job goes to ERROR with LOCAL_FILE / 0x80070070, a second job's
// finished staging is untouched, the store stays consistent, and Resume
// completes it once space is back.
//
// The engine runs on a SimHost (tests/support/sim_host.h): its clock is
// virtual and the test thread turns its loop, so nothing sleeps and retry
// delays pass at once. Every wait is bounded; nothing asserts on timing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/engine.h"
#include "store/job_store_sqlite.h"
#include "support/fault_fs.h"
#include "support/sim_host.h"
#include "support/temp_dir.h"
#include "util/log.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kMiB = 1ull << 20;
constexpr int32_t kDiskFull = static_cast<int32_t>(0x80070070u);  // ERROR_DISK_FULL

// The fault-injecting file system, plus a boot id the test can change: a
// power loss is a reboot, so the engine reopened after DropUnsyncedData()
// must not take the staging files' sizes on trust.
class CrashFs final : public test::FaultInjectionFileSystem {
 public:
  CrashFs() : FaultInjectionFileSystem(sys::DefaultFileSystem()) {}
  void SetBootId(std::string id) {
    std::lock_guard lock(boot_mu_);
    boot_ = std::move(id);
  }
  std::string BootId() override {
    std::lock_guard lock(boot_mu_);
    return boot_;
  }

 private:
  std::mutex boot_mu_;
  std::string boot_ = "sim-boot-1";
};

struct Source {
  std::string path;
  std::string bytes;
  std::string sha;
  std::string url() const { return "file://" + path; }
};

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// "" when `got` is exactly `want`, else what differs (never the bytes).
std::string Diff(const std::optional<std::string>& got, const std::string& want) {
  if (!got) return "missing";
  size_t n = std::min(got->size(), want.size());
  for (size_t i = 0; i < n; ++i)
    if ((*got)[i] != want[i]) return "first wrong byte at offset " + std::to_string(i);
  if (got->size() != want.size())
    return "size " + std::to_string(got->size()) + ", expected " + std::to_string(want.size());
  return "";
}

// "" when the first `n` bytes of `got` equal those of `want`.
std::string PrefixDiff(const std::string& got, const std::string& want, uint64_t n) {
  if (got.size() < n) return "only " + std::to_string(got.size()) + " bytes, " + std::to_string(n) + " claimed";
  if (want.size() < n) return std::to_string(n) + " bytes claimed of a " + std::to_string(want.size()) + "-byte source";
  for (uint64_t i = 0; i < n; ++i)
    if (got[i] != want[i]) return "wrong byte at offset " + std::to_string(i) + " (claimed " + std::to_string(n) + ")";
  return "";
}

class World {
 public:
  World() { ::mkdir(root_.Path("dest").c_str(), 0755); }
  bool ok() const { return root_.ok(); }
  std::string state() const { return root_.Path("state"); }
  std::string dest(const std::string& name = "out.bin") const { return root_.Path("dest/" + name); }
  std::string JobStagingDir(const Guid& id) const { return state() + "/staging/" + id.ToHex(); }
  std::string StagingPath(const Guid& id, uint32_t file) const {
    return JobStagingDir(id) + "/" + std::to_string(file) + ".part";
  }

 private:
  test::TempDir root_{"ferry-sim"};
};

SimHostOptions Options(CrashFs& fs, const World& w) {
  SimHostOptions o;
  o.state_dir = w.state();
  o.fs = &fs;
  o.config.checkpoint_bytes = 1 * kMiB;
  o.config.write_buffer_bytes = 256 * 1024;
  o.config.checkpoint_interval = std::chrono::hours(1);  // checkpoints by bytes only
  return o;
}

std::optional<core::JobSnapshot> Snap(SimHost& h, const Guid& id) {
  auto r = h.engine().GetJob(id);
  if (!r.ok()) return std::nullopt;
  return std::move(r).value();
}

// Complete, running the loop (bounded) until `done` runs: nullopt when it
// did not.
std::optional<Status> CompleteJob(SimHost& h, const Guid& id) {
  // Shared: a late callback (after a crash) must not write to this frame.
  auto done = std::make_shared<std::optional<Status>>();
  h.engine().Complete(id, [done](Status s) { *done = std::move(s); });
  h.RunUntil([&] { return done->has_value(); });
  return *done;
}

// CreateJob + AddFiles (+ Resume). *created tells whether the job exists.
Status AddJob(SimHost& h, const std::string& url, const std::string& local, Guid* id,
              bool* created, bool resume = true) {
  *created = false;
  return h.Call([&](core::Engine& e) -> Status {
    Status s = e.CreateJob(core::Caller{static_cast<uint32_t>(::getuid()), false}, "sim",
                           JobType::kDownload, id);
    if (!s.ok()) return s;
    *created = true;
    core::NewFile f;
    f.remote_url = url;
    f.local_name = local;
    s = e.AddFiles(*id, std::span(&f, 1));
    if (!s.ok()) return s;
    return resume ? e.Resume(*id) : Status::OK();
  });
}

JobState StateOf(SimHost& h, const Guid& id) {
  auto s = Snap(h, id);
  return s ? s->job.state : JobState::kCancelled;
}

// Runs the engine (virtual time, bounded) until the job is in one of `states`.
bool WaitForState(SimHost& h, const Guid& id, std::initializer_list<JobState> states,
                  JobState* last) {
  return h.RunUntil([&] {
    *last = StateOf(h, id);
    for (JobState s : states)
      if (*last == s) return true;
    return false;
  });
}

// What the store says about one file, checked against the disk: staging
// bytes claimed are present and equal the source; transferred means whole;
// delivered means whole at the local name. The local name is never partial.
void CheckFileRecord(const World& w, const Guid& id, const core::FileRecord& f,
                     const std::string& content) {
  SCOPED_TRACE("file " + std::to_string(f.index) + " (" + f.local_name + "): transferred=" +
               std::to_string(f.transferred) + " delivered=" + std::to_string(f.delivered) +
               " bytes_transferred=" + std::to_string(f.bytes_transferred));
  if (Exists(f.local_name)) {
    EXPECT_EQ(Diff(test::ReadFile(f.local_name), content), "") << "local name";
  }
  if (f.bytes_total != kSizeUnknown) {
    EXPECT_EQ(f.bytes_total, content.size());
  }
  EXPECT_LE(f.bytes_transferred, content.size());
  if (f.delivered) {
    EXPECT_EQ(Diff(test::ReadFile(f.local_name), content), "") << "delivered file";
    return;
  }
  std::optional<std::string> staged = test::ReadFile(w.StagingPath(id, f.index));
  if (f.transferred) {
    ASSERT_TRUE(staged.has_value()) << "transferred, not delivered, and no staging file";
    EXPECT_EQ(PrefixDiff(*staged, content, content.size()), "") << "transferred file's staging";
    EXPECT_EQ(f.bytes_transferred, content.size());
    return;
  }
  if (f.bytes_transferred == 0) return;
  ASSERT_TRUE(staged.has_value()) << "bytes claimed but no staging file";
  EXPECT_EQ(PrefixDiff(*staged, content, f.bytes_transferred), "") << "staging";
}

struct Expected {
  Guid id;
  bool created = false;
  std::string local;
  const Source* source = nullptr;
};

// Reads the database offline (no engine) and checks every expected job.
void CheckStore(const World& w, const std::vector<Expected>& expected) {
  auto js = store::SqliteJobStore::Open(w.state() + "/ferry.db");
  ASSERT_TRUE(js.ok()) << js.status().ToString();
  std::vector<core::JobRecord> jobs;
  ASSERT_TRUE((*js)->LoadAll(&jobs).ok());
  auto history = (*js)->LoadHistory();
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  size_t created = 0;
  for (const Expected& x : expected) {
    SCOPED_TRACE("job " + x.id.ToHex());
    if (Exists(x.local)) {
      EXPECT_EQ(Diff(test::ReadFile(x.local), x.source->bytes), "") << "local name";
    }
    if (!x.created) continue;
    created++;
    const core::JobRecord* rec = nullptr;
    for (const auto& j : jobs)
      if (j.id == x.id) rec = &j;
    if (!rec) {
      bool acked = false;
      for (const auto& hr : *history)
        if (hr.id == x.id && hr.final_state == JobState::kAcknowledged) acked = true;
      EXPECT_TRUE(acked) << "the job is neither live nor acknowledged in the history";
      EXPECT_EQ(Diff(test::ReadFile(x.local), x.source->bytes), "") << "acknowledged job's file";
      continue;
    }
    ASSERT_EQ(rec->files.size(), 1u);
    EXPECT_NE(rec->state, JobState::kCancelled);
    CheckFileRecord(w, x.id, rec->files[0], x.source->bytes);
  }
  EXPECT_LE(jobs.size(), created) << "the store holds jobs nobody created";
}

// Drives a live job to ACKNOWLEDGED: Resume from ERROR / TRANSIENT_ERROR /
// SUSPENDED, Complete at TRANSFERRED. A few tries each, then gives up.
void Finish(SimHost& h, const Guid& id) {
  int resumes = 0, completes = 0;
  std::string last;
  // The job is gone from the live set, or waits for the test to act.
  auto actionable = [&] {
    auto snap = Snap(h, id);
    if (!snap || !snap->live) return true;
    JobState st = snap->job.state;
    last = std::string(JobStateName(st));
    if (snap->job.error) last += " " + Status(snap->job.error->code, snap->job.error->message).ToString();
    return st == JobState::kError || st == JobState::kTransientError || st == JobState::kSuspended ||
           st == JobState::kTransferred;
  };
  bool done = false;
  while (h.RunUntil(actionable)) {
    auto snap = Snap(h, id);
    if (!snap || !snap->live) {
      done = true;
      break;
    }
    if (snap->job.state != JobState::kTransferred) {
      if (++resumes > 3) break;
      EXPECT_TRUE(h.engine().Resume(id).ok());
      continue;
    }
    if (++completes > 3) break;
    auto cs = CompleteJob(h, id);
    EXPECT_TRUE(cs.has_value()) << "Complete did not call back";
    if (cs) {
      EXPECT_TRUE(cs->ok()) << cs->ToString();
    }
  }
  EXPECT_TRUE(done) << "the job did not finish; last seen " << last;
  auto snap = Snap(h, id);
  ASSERT_TRUE(snap.has_value());
  EXPECT_FALSE(snap->live) << "still " << JobStateName(snap->job.state) << " after "
                           << resumes << " resumes, " << completes << " completes: " << last;
  EXPECT_EQ(snap->job.state, JobState::kAcknowledged);
}

class CrashConsistencyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::getenv("FERRY_SIM_LOG")) log::SetLevel(log::Level::kOff);
    dir_ = new test::TempDir("ferry-sim-src");
    a_ = new Source{dir_->Path("a.bin"), test::RandomBytes(6 * kMiB, 1), ""};
    b_ = new Source{dir_->Path("b.bin"), test::RandomBytes(2 * kMiB, 2), ""};
    for (Source* s : {a_, b_}) {
      s->sha = test::WriteRandomFile(s->path, s->bytes.size(), s == a_ ? 1 : 2);
      ASSERT_EQ(s->sha, test::Sha256Hex(s->bytes));
    }
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    delete dir_;
  }

  enum class Mode { kFailAfter, kFailNth };

  // Runs the scenario on `fs` (faults armed by the caller) and crashes: the
  // host is destroyed without Shutdown. Returns what was created.
  // *outcome: a short summary ("ERROR", "TRANSFERRED, Complete failed", ...).
  Expected RunAndCrash(CrashFs& fs, const World& w, std::string* trace, std::string* outcome = nullptr) {
    std::string ignored;
    if (!outcome) outcome = &ignored;
    Expected x;
    x.local = w.dest();
    x.source = a_;
    auto host = SimHost::Start(Options(fs, w));
    if (!host.ok()) {
      *trace = "start failed: " + host.status().ToString();
      *outcome = "start failed";
      return x;
    }
    std::unique_ptr<SimHost> h = std::move(host).value();
    Status s = AddJob(*h, a_->url(), x.local, &x.id, &x.created);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!x.created) return x;
    JobState st{};
    bool settled = WaitForState(*h, x.id,
                                {JobState::kTransferred, JobState::kError, JobState::kTransientError}, &st);
    EXPECT_TRUE(settled) << "the engine neither failed nor finished: stuck in " << JobStateName(st);
    *trace = std::string(JobStateName(st));
    *outcome = *trace;
    if (auto snap = Snap(*h, x.id); snap && snap->job.error)
      *trace += " (" + Status(snap->job.error->code, snap->job.error->message).ToString() + ")";
    if (st == JobState::kTransferred) {
      auto cs = CompleteJob(*h, x.id);
      EXPECT_TRUE(cs.has_value()) << "Complete did not call back";
      *trace += ", Complete: " + (cs ? cs->ToString() : std::string("no callback"));
      *outcome += cs && cs->ok() ? ", Complete ok" : ", Complete failed";
    }
    h.reset();  // crash
    return x;
  }

  // One crash run: faults at `n`, crash, power loss, offline check, reboot,
  // recovery check, finish.
  void CrashAt(Mode mode, uint64_t n, std::string* outcome) {
    World w;
    ASSERT_TRUE(w.ok());
    CrashFs fs;
    if (mode == Mode::kFailAfter)
      fs.FailAfter(n, EIO);
    else
      fs.FailNth(n, EIO);
    std::string trace;
    Expected x = RunAndCrash(fs, w, &trace, outcome);
    if (std::getenv("FERRY_SIM_VERBOSE"))
      std::printf("[ sim      ] %s(%llu): %s\n", mode == Mode::kFailAfter ? "FailAfter" : "FailNth",
                  static_cast<unsigned long long>(n), trace.c_str());
    SCOPED_TRACE((mode == Mode::kFailAfter ? "FailAfter(" : "FailNth(") + std::to_string(n) +
                 "): " + trace);
    ASSERT_TRUE(fs.DropUnsyncedData().ok());
    fs.Reset();
    fs.SetBootId("sim-boot-2");
    if (!Exists(w.state() + "/ferry.db")) {
      EXPECT_FALSE(x.created);
      EXPECT_FALSE(Exists(x.local));
    } else {
      CheckStore(w, {x});
    }
    if (HasFatalFailure()) return;

    auto host = SimHost::Start(Options(fs, w));
    ASSERT_TRUE(host.ok()) << "reopening after the crash: " << host.status().ToString();
    std::unique_ptr<SimHost> h = std::move(host).value();
    if (!x.created) {
      EXPECT_TRUE(h->Call([](core::Engine& e) { return e.EnumJobs(std::nullopt); }).empty());
      Status s = AddJob(*h, a_->url(), x.local, &x.id, &x.created);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    // What recovery made of it, before anything else runs on the loop.
    auto first = h->Call([&](core::Engine& e) -> std::optional<core::JobSnapshot> {
      auto r = e.GetJob(x.id);
      if (!r.ok()) return std::nullopt;
      return std::move(r).value();
    });
    if (!first || !first->live) {
      // Acknowledged before the crash (CheckStore saw it in the history).
      EXPECT_FALSE(Exists(w.JobStagingDir(x.id))) << "staging of a finished job survived recovery";
    } else {
      EXPECT_LE(first->job.files.at(0).bytes_transferred, a_->bytes.size());
      EXPECT_NE(first->job.state, JobState::kCancelled);
      Finish(*h, x.id);
    }
    EXPECT_EQ(test::Sha256File(x.local), a_->sha);
    EXPECT_FALSE(Exists(w.JobStagingDir(x.id))) << "staging left after Complete";
    EXPECT_TRUE(h->Shutdown().ok());
  }

  // The scenario without faults: its operation count.
  uint64_t CountOperations() {
    World w;
    CrashFs fs;
    std::string trace;
    Expected x = RunAndCrash(fs, w, &trace);
    EXPECT_TRUE(x.created);
    EXPECT_EQ(fs.injected_failures(), 0u);
    EXPECT_EQ(test::Sha256File(x.local), a_->sha) << trace;
    return fs.operation_count();
  }

  void RunAll(Mode mode) {
    uint64_t count = CountOperations();
    ASSERT_GT(count, 10u);
    // The count can vary by a few between runs (a checkpoint due while the
    // previous one is in flight is taken later); a few extra N cover that.
    // FailAfter(n) fails operations n+1.. (n = 0: everything, count: nothing);
    // FailNth(n) fails operation n only (1-based). All N run: no stride.
    uint64_t first = mode == Mode::kFailAfter ? 0 : 1;
    uint64_t last = count + 2;
    auto start = std::chrono::steady_clock::now();
    std::map<std::string, int> outcomes;
    for (uint64_t n = first; n <= last; ++n) {
      std::string outcome;
      CrashAt(mode, n, &outcome);
      outcomes[outcome]++;
      if (HasFatalFailure()) return;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ sim      ] %s: %llu operations in the scenario, N = %llu..%llu (%llu runs) in %.1f s\n",
                mode == Mode::kFailAfter ? "FailAfter" : "FailNth",
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(first),
                static_cast<unsigned long long>(last),
                static_cast<unsigned long long>(last - first + 1), secs);
    for (const auto& [what, times] : outcomes)
      std::printf("[ sim      ]   before the crash: %-40s x%d\n", what.c_str(), times);
  }

  static test::TempDir* dir_;
  static Source* a_;
  static Source* b_;
};

test::TempDir* CrashConsistencyTest::dir_ = nullptr;
Source* CrashConsistencyTest::a_ = nullptr;
Source* CrashConsistencyTest::b_ = nullptr;

TEST_F(CrashConsistencyTest, ScenarioWithoutFaultsDeliversTheFile) {
  uint64_t count = CountOperations();
  EXPECT_GT(count, 10u);
  std::printf("[ sim      ] the transfer-and-complete scenario makes %llu file-system operations\n",
              static_cast<unsigned long long>(count));
}

// The disk vanishes at operation N+1 (every later operation fails with EIO),
// then the process crashes and the power goes.
TEST_F(CrashConsistencyTest, DiskDiesAtEveryOperationThenPowerLoss) { RunAll(Mode::kFailAfter); }

// Only operation N fails (EIO); the engine goes on as it can, then the
// process crashes and the power goes.
TEST_F(CrashConsistencyTest, OneOperationFailsAtEveryPointThenPowerLoss) { RunAll(Mode::kFailNth); }

// A crash after Deliver() renamed the staging file into place and synced the
// directory, but before the engine committed `delivered`: the store says
// "transferred, not delivered", the staging file is gone and the bytes are at
// the local name. The FailAfter/FailNth runs cannot stop the (independent)
// SQLite commit, so this window is built by hand: the scenario runs to
// TRANSFERRED, shuts down cleanly, and the rename Deliver() does is made
// directly. Complete must still finish the job.
// A crash after Deliver() put the file at its local name but before the
// engine committed `delivered`: Deliver keeps the staging name (the local name
// is a second link to it), so Complete after the restart delivers again.
// (Regression: Deliver used to rename staging away, and such a job could
// never be completed.)
TEST_F(CrashConsistencyTest, CrashBetweenDeliveryAndItsCommitStillCompletes) {
  World w;
  ASSERT_TRUE(w.ok());
  CrashFs fs;
  Expected x;
  x.local = w.dest();
  x.source = a_;
  {
    auto host = SimHost::Start(Options(fs, w));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    std::unique_ptr<SimHost> h = std::move(host).value();
    ASSERT_TRUE(AddJob(*h, a_->url(), x.local, &x.id, &x.created).ok());
    JobState st{};
    ASSERT_TRUE(WaitForState(*h, x.id, {JobState::kTransferred}, &st)) << JobStateName(st);
    ASSERT_TRUE(h->Shutdown().ok());
  }
  // What Deliver() leaves before the engine commits `delivered`.
  ASSERT_EQ(::link(w.StagingPath(x.id, 0).c_str(), x.local.c_str()), 0);
  ASSERT_TRUE(fs.SyncDir(w.dest("").substr(0, w.dest("").size() - 1)).ok());

  auto host = SimHost::Start(Options(fs, w));
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  std::unique_ptr<SimHost> h = std::move(host).value();
  Finish(*h, x.id);
  EXPECT_EQ(test::Sha256File(x.local), a_->sha);
  EXPECT_FALSE(Exists(w.JobStagingDir(x.id)));
  EXPECT_TRUE(h->Shutdown().ok());
}

// Disk full (ENOSPC) while one job writes: it goes to ERROR with LOCAL_FILE
// and ERROR_DISK_FULL; another job's finished staging is untouched; the store
// is consistent; once space is back, Resume completes both.
TEST_F(CrashConsistencyTest, DiskFullFailsTheWritingJobOnly) {
  struct Run {
    World w;
    CrashFs fs;
    std::unique_ptr<SimHost> h;
    Expected a, b;
  };
  // Sets up B transferred (not completed) and A added, not resumed.
  auto setup = [&](Run& r) {
    auto host = SimHost::Start(Options(r.fs, r.w));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    r.h = std::move(host).value();
    r.a = {Guid{}, false, r.w.dest("a.bin"), a_};
    r.b = {Guid{}, false, r.w.dest("b.bin"), b_};
    ASSERT_TRUE(AddJob(*r.h, b_->url(), r.b.local, &r.b.id, &r.b.created).ok());
    JobState st{};
    ASSERT_TRUE(WaitForState(*r.h, r.b.id, {JobState::kTransferred}, &st)) << JobStateName(st);
    ASSERT_TRUE(AddJob(*r.h, a_->url(), r.a.local, &r.a.id, &r.a.created, /*resume=*/false).ok());
  };
  auto resume_a = [](Run& r) {
    return r.h->Call([&](core::Engine& e) { return e.Resume(r.a.id); });
  };

  // Baseline: how many operations A's transfer makes.
  uint64_t count = 0;
  {
    Run r;
    setup(r);
    if (HasFatalFailure()) return;
    r.fs.Reset();
    ASSERT_TRUE(resume_a(r).ok());
    JobState st{};
    ASSERT_TRUE(WaitForState(*r.h, r.a.id, {JobState::kTransferred}, &st)) << JobStateName(st);
    count = r.fs.operation_count();
    EXPECT_TRUE(r.h->Shutdown().ok());
  }
  ASSERT_GT(count, 8u);

  std::vector<uint64_t> points = {0, 1, 2, 3, count / 4, count / 2, (3 * count) / 4};
  for (uint64_t k : points) {
    SCOPED_TRACE("FailAfter(" + std::to_string(k) + ", ENOSPC) of " + std::to_string(count));
    Run r;
    setup(r);
    if (HasFatalFailure()) return;
    r.fs.Reset();
    r.fs.FailAfter(k, ENOSPC);
    ASSERT_TRUE(resume_a(r).ok());
    JobState st{};
    ASSERT_TRUE(WaitForState(*r.h, r.a.id, {JobState::kError, JobState::kTransferred,
                                            JobState::kTransientError}, &st));
    auto a = Snap(*r.h, r.a.id);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->job.state, JobState::kError);
    ASSERT_TRUE(a->job.error.has_value());
    EXPECT_EQ(a->job.error->context, ErrorContext::kLocalFile);
    EXPECT_EQ(a->job.error->code, kDiskFull) << Status(a->job.error->code, a->job.error->message).ToString();
    EXPECT_EQ(a->job.error->file_index, 0);
    EXPECT_GT(r.fs.injected_failures(), 0u);

    // B: untouched.
    auto b = Snap(*r.h, r.b.id);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->job.state, JobState::kTransferred);
    EXPECT_TRUE(b->job.files.at(0).transferred);
    EXPECT_EQ(Diff(test::ReadFile(r.w.StagingPath(r.b.id, 0)), b_->bytes), "") << "B's staging";

    // Space is back; a clean shutdown, then the store offline.
    r.fs.Reset();
    EXPECT_TRUE(r.h->Shutdown().ok());
    r.h.reset();
    CheckStore(r.w, {r.a, r.b});
    if (HasFatalFailure()) return;

    auto host = SimHost::Start(Options(r.fs, r.w));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    r.h = std::move(host).value();
    EXPECT_EQ(StateOf(*r.h, r.a.id), JobState::kError);
    Finish(*r.h, r.a.id);
    Finish(*r.h, r.b.id);
    EXPECT_EQ(test::Sha256File(r.a.local), a_->sha);
    EXPECT_EQ(test::Sha256File(r.b.local), b_->sha);
    EXPECT_TRUE(r.h->Shutdown().ok());
  }
}

}  // namespace
}  // namespace ferry::test
