// InProcess and FaultFs modes: the engine on a SimHost (virtual clock).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>

#include "cases/case_modes.h"
#include "support/fault_fs.h"
#include "support/sim_host.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;

bool Terminal(JobState s) { return s == JobState::kError || s == JobState::kTransferred; }
bool Documented(const Status& s) { return s.ok() || s.Name().rfind("0x", 0) != 0; }

core::EngineConfig ConfigOf(const Case& c) {
  core::EngineConfig cfg;
  const json job = c.doc.value("job", json::object());
  cfg.min_retry_delay_floor = std::chrono::seconds(0);
  cfg.max_low_speed_time = std::chrono::seconds(job.value("low_speed_time", 10));
  const json conf = c.doc.value("config", json::object());
  if (conf.contains("checkpoint_bytes"))
    cfg.checkpoint_bytes = conf["checkpoint_bytes"].get<uint64_t>();
  if (conf.contains("write_buffer_bytes"))
    cfg.write_buffer_bytes = conf["write_buffer_bytes"].get<uint64_t>();
  return cfg;
}

// One run of a case on SimHosts over `fs` in `dir`. Steps stop at the first
// failure, which `status` keeps (a fault-injected run may fail anywhere).
class InProcessRun {
 public:
  InProcessRun(const Case& c, test::ScriptedOrigin& origin, const std::string& dir,
               sys::FileSystem* fs)
      : c_(c), origin_(origin), dir_(dir), fs_(fs) {
    fs::create_directories(dir + "/out");
    local_ = dir + "/out/file";
  }

  Status Open() {
    test::SimHostOptions o;
    o.state_dir = dir_ + "/state";
    o.config = ConfigOf(c_);
    o.fs = fs_;
    host_.reset();
    auto h = SimHost::Start(o);
    if (!h.ok()) return h.status();
    host_ = std::move(h.value());
    host_->extra_activity = [this] { return origin_.request_count(); };
    return Status::OK();
  }
  void Crash() { host_.reset(); }

  Status CreateAndResume() {
    const json job = c_.doc.value("job", json::object());
    CaseFile f = FileOf(c_, origin_);
    core::NewFile nf;
    nf.remote_url = f.url;
    nf.local_name = local_;
    nf.ranges = f.ranges;
    if (f.file_size) nf.file_size = *f.file_size;
    if (f.sha256) nf.sha256 = *f.sha256;
    if (f.content_id) nf.content_id = *f.content_id;
    core::Engine& e = host_->engine();
    Status st = e.CreateJob(core::Caller{::getuid(), false}, "case", JobType::kDownload, &id_);
    if (!st.ok()) return st;
    created_ = true;
    st = e.SetMinimumRetryDelay(id_, job.value("min_retry_delay", 0u));
    if (st.ok() && job.contains("no_progress_timeout"))
      st = e.SetNoProgressTimeout(id_, job["no_progress_timeout"].get<uint32_t>());
    if (st.ok()) st = e.AddFiles(id_, std::span(&nf, 1));
    if (st.ok()) st = e.Resume(id_);
    return st;
  }

  std::optional<core::JobSnapshot> Snap() {
    auto r = host_->engine().GetJob(id_);
    if (!r.ok()) return std::nullopt;
    return r.value();
  }

  // Runs until pred(snapshot) or a terminal state; the last snapshot.
  std::optional<core::JobSnapshot> RunUntil(
      const std::function<bool(const core::JobSnapshot&)>& pred) {
    std::optional<core::JobSnapshot> snap;
    host_->RunUntil([&] {
      snap = Snap();
      return !snap || pred(*snap) || Terminal(snap->job.state);
    });
    return snap;
  }

  std::optional<core::JobSnapshot> RunToWanted() {
    return RunUntil([&](const core::JobSnapshot& s) { return s.job.state == c_.want; });
  }

  // kill_after_bytes: a crash (no Shutdown) once that many bytes arrived,
  // then a new engine on what is left; the recovered job is resumed.
  Status KillAndReopen(uint64_t bytes) {
    auto snap =
        RunUntil([&](const core::JobSnapshot& s) { return s.progress.bytes_transferred >= bytes; });
    if (!snap) return Status(code::kUnexpected, "job vanished before the kill");
    killed_at_ = snap->progress.bytes_transferred;
    Crash();
    if (Status s = Open(); !s.ok()) return s;
    return host_->engine().Resume(id_);
  }

  Status Complete() {
    std::optional<Status> done;
    host_->engine().Complete(id_, [&](Status s) { done = s; });
    host_->RunUntil([&] { return done.has_value(); });
    return done.value_or(Status(code::kUnexpected, "Complete never answered"));
  }

  Outcome OutcomeOf(const core::JobSnapshot& snap) {
    Outcome o;
    o.state = snap.job.state;
    if (snap.job.error) {
      o.code = snap.job.error->code;
      o.context = snap.job.error->context;
    }
    o.error_count = snap.job.error_count;
    o.bytes_transferred = snap.progress.bytes_transferred;
    o.retry_after_s =
        std::chrono::duration_cast<std::chrono::seconds>(snap.job.retry_at - snap.job.modification)
            .count();
    return o;
  }

  SimHost* host() { return host_.get(); }
  bool created() const { return created_; }
  const Guid& id() const { return id_; }
  const std::string& local() const { return local_; }

 private:
  const Case& c_;
  test::ScriptedOrigin& origin_;
  std::string dir_;
  sys::FileSystem* fs_;
  std::string local_;
  std::unique_ptr<SimHost> host_;
  Guid id_;
  bool created_ = false;
  uint64_t killed_at_ = 0;
};

}  // namespace

void RunInProcess(const Case& c) {
  auto origin = StartOrigin(c);
  ASSERT_TRUE(origin->ok());
  test::TempDir dir("ferry-case");
  ASSERT_TRUE(dir.ok());
  InProcessRun run(c, *origin, dir.path(), nullptr);
  Status s = run.Open();
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = run.CreateAndResume();
  ASSERT_TRUE(s.ok()) << s.ToString();
  if (auto kill = KillAfterBytes(c)) {
    s = run.KillAndReopen(*kill);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  auto snap = run.RunToWanted();
  ASSERT_TRUE(snap.has_value());
  Outcome o = run.OutcomeOf(*snap);
  if (o.state == JobState::kTransferred) {
    o.delivered_before_complete = fs::exists(run.local());
    s = run.Complete();
    ASSERT_TRUE(s.ok()) << s.ToString();
    o.delivered = test::ReadFile(run.local());
  }
  CheckOutcome(c, o, origin->requests());
  EXPECT_TRUE(run.host()->Shutdown().ok());
}

namespace {

// Runs the case with operation `fail_nth` failing (0: none); returns the
// number of operations counted. Then checks recovery on what is left.
uint64_t FaultRun(const Case& c, uint64_t fail_nth) {
  SCOPED_TRACE("failing operation " + std::to_string(fail_nth));
  auto origin = StartOrigin(c);
  EXPECT_TRUE(origin->ok());
  test::TempDir dir("ferry-case-fault");
  test::FaultInjectionFileSystem ffs(sys::DefaultFileSystem());
  if (fail_nth) ffs.FailNth(fail_nth);
  InProcessRun run(c, *origin, dir.path(), &ffs);
  Status s = run.Open();
  if (s.ok()) s = run.CreateAndResume();
  if (s.ok()) {
    if (auto kill = KillAfterBytes(c)) s = run.KillAndReopen(*kill);
  }
  if (s.ok()) {
    auto snap = run.RunToWanted();
    if (snap && snap->job.state == JobState::kError && snap->job.error) {
      EXPECT_TRUE(Documented(Status(snap->job.error->code, ""))) << snap->job.error->code;
    }
    if (snap && snap->job.state == JobState::kTransferred) s = run.Complete();
  }
  EXPECT_TRUE(Documented(s)) << s.ToString();
  const uint64_t ops = ffs.operation_count();
  // The crash, then a new engine on what is left, without faults.
  run.Crash();
  ffs.Reset();
  s = run.Open();
  EXPECT_TRUE(s.ok()) << "reopening after the fault: " << s.ToString();
  if (!s.ok() || !run.created()) return ops;
  auto snap = run.Snap();
  if (!snap) return ops;  // created but never committed: gone, which is valid
  if (c.want != JobState::kTransferred) return ops;
  if (snap->job.state != JobState::kAcknowledged) {
    if (snap->job.state != JobState::kTransferred) {
      s = run.host()->engine().Resume(run.id());
      EXPECT_TRUE(s.ok()) << s.ToString();
      snap = run.RunUntil(
          [](const core::JobSnapshot& j) { return j.job.state == JobState::kTransferred; });
      EXPECT_TRUE(snap && snap->job.state == JobState::kTransferred)
          << "not recovered: " << (snap ? JobStateName(snap->job.state) : "gone");
      if (!snap || snap->job.state != JobState::kTransferred) return ops;
    }
    s = run.Complete();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  auto got = test::ReadFile(run.local());
  EXPECT_TRUE(got && *got == ExpectedContent(c)) << "the delivered file is wrong after recovery";
  run.host()->Shutdown();
  return ops;
}

// At most this many faulted runs per case ($FERRY_CASE_FAULT_RUNS): with
// more operations, every k-th is failed, plus the last.
uint64_t MaxFaultRuns() {
  const char* env = std::getenv("FERRY_CASE_FAULT_RUNS");
  if (env && *env) return std::max<uint64_t>(1, std::strtoull(env, nullptr, 10));
  return 24;
}

}  // namespace

void RunFaultFs(const Case& c) {
  const uint64_t ops = FaultRun(c, 0);
  if (::testing::Test::HasFailure()) return;
  ASSERT_GT(ops, 0u);
  const uint64_t step = (ops + MaxFaultRuns() - 1) / MaxFaultRuns();
  std::printf("[ faultfs ] %llu operations, failing every %llu\n",
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(step));
  for (uint64_t n = 1; n <= ops; n += step) {
    FaultRun(c, n);
    if (::testing::Test::HasFailure()) return;
  }
  if ((ops - 1) % step != 0) FaultRun(c, ops);
}

}  // namespace ferry::test
