#include "unit/core/engine_fixture.h"

#include <fmt/format.h>

#include "core/statistics.h"
#include "store/digest.h"
#include "sys/file_system.h"
#include "util/log.h"

namespace ferry::test {

std::string CodeName(int32_t c) {
  return fmt::format("0x{:08X} {}", static_cast<uint32_t>(c), Status(c, "").Name());
}

EngineTest::EngineTest() {
  log::SetLevel(getenv("FERRY_TEST_LOG") ? log::Level::kDebug : log::Level::kError);
  cfg_.check_destination_writable = true;
}

EngineTest::~EngineTest() {
  if (engine_) engine_->events().Unsubscribe(sub_id_);
  engine_.reset();
  loop_.RunAll();
  workers_.RunAll();
}

void EngineTest::Open() {
  ASSERT_TRUE(dir_.ok());
  core::EngineDeps deps;
  deps.clock = &guard_;
  deps.loop = &loop_;
  deps.workers = &workers_;
  deps.fs = sys::DefaultFileSystem();
  deps.job_store = &store_;
  deps.payload = &payload_;
  deps.byte_sources = {&backend_};
  deps.digest = FakeDigestFactory();
  deps.pieces_root = store::MakePiecesRootDigestFactory();
  deps.conditions = conditions_;
  deps.peers = peers_;
  auto e = Engine::Open(deps, cfg_);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  engine_ = std::move(e.value());
  sub_id_ = engine_->events().Subscribe(&consumer_);
  Pump();
}

void EngineTest::Crash() {
  if (engine_) engine_->events().Unsubscribe(sub_id_);
  engine_.reset();
  // Closures the dead engine left behind must be harmless.
  loop_.RunAll();
  workers_.RunAll();
  loop_.RunAll();
}

void EngineTest::Pump() {
  for (int i = 0; i < 100000; ++i) {
    size_t n = loop_.RunAll();
    n += workers_.RunAll();
    auto next = clock_.NextDeadline();
    bool due = next && *next <= clock_.Now();
    if (due) clock_.Advance(sys::Duration(0));
    if (!n && !due) return;
  }
  ADD_FAILURE() << "Pump did not settle";
}

void EngineTest::RunFor(sys::Duration d) {
  auto target = clock_.Now() + d;
  for (int i = 0; i < 1000000; ++i) {
    Pump();
    auto next = clock_.NextDeadline();
    if (!next || *next > target) {
      clock_.AdvanceTo(target);
      Pump();
      return;
    }
    clock_.AdvanceTo(*next);
  }
  ADD_FAILURE() << "RunFor did not settle";
}

bool EngineTest::PumpUntil(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    Pump();
    if (pred()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    loop_.WaitForWork(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
  }
}

Guid EngineTest::NewJob(std::string name, core::Caller caller) {
  Guid id;
  Status s = engine_->CreateJob(caller, name, JobType::kDownload, &id);
  EXPECT_TRUE(s.ok()) << s.ToString();
  Pump();
  return id;
}

NewFile EngineTest::HttpFile(const std::string& name) {
  NewFile f;
  f.remote_url = Url(name);
  f.local_name = Local(name);
  return f;
}

Guid EngineTest::MakeJobWithFiles(int n, const std::string& prefix) {
  Guid id = NewJob(prefix + "-job");
  std::vector<NewFile> files;
  for (int i = 0; i < n; ++i) files.push_back(HttpFile(prefix + std::to_string(i)));
  Status s = engine_->AddFiles(id, files);
  EXPECT_TRUE(s.ok()) << s.ToString();
  Pump();
  return id;
}

Guid EngineTest::MakeJobWithFile(const std::string& name) {
  Guid id = NewJob(name + "-job");
  NewFile f = HttpFile(name);
  Status s = engine_->AddFiles(id, std::span(&f, 1));
  EXPECT_TRUE(s.ok()) << s.ToString();
  Pump();
  return id;
}

FileStats EngineTest::StatsOf(const Guid& id, uint32_t file) {
  return core::FileStatsOf(Snap(id).job, file);
}

JobSnapshot EngineTest::Snap(const Guid& id) {
  auto r = engine_->GetJob(id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return JobSnapshot{};
  return r.value();
}

JobState EngineTest::State(const Guid& id) { return Snap(id).job.state; }

std::shared_ptr<TransferHandle> EngineTest::TransferOf(const Guid& id) {
  auto snap = engine_->GetJob(id);
  if (!snap.ok()) return nullptr;
  for (const auto& f : snap->job.files) {
    if (f.transferred) continue;
    return backend_.AliveFor(f.remote_url);
  }
  return nullptr;
}

void EngineTest::DriveToTransferred(const Guid& id, const std::vector<std::string>& bodies) {
  for (size_t i = 0; i < 64 && State(id) != JobState::kTransferred; ++i) {
    auto t = TransferOf(id);
    ASSERT_NE(t, nullptr) << "no running transfer; state " << JobStateName(State(id));
    size_t file = Snap(id).progress.files_transferred;
    std::string body = file < bodies.size() ? bodies[file] : Body(100);
    t->Serve(body);
    Pump();
  }
  ASSERT_EQ(State(id), JobState::kTransferred);
}

Status EngineTest::CompleteAndWait(const Guid& id) {
  std::optional<Status> result;
  engine_->Complete(id, [&](Status s) { result = s; });
  Pump();
  EXPECT_TRUE(result.has_value()) << "Complete never called done";
  return result.value_or(Status(code::kUnexpected, "no result"));
}

std::string EngineTest::Body(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + (i * 7 + i / 13) % 26);
  return s;
}

Guid EngineTest::MakeJobIn(JobState state) {
  if (state == S::kQueued) {
    EXPECT_EQ(cfg_.max_background_transfers, 1u);
    Guid blocker = MakeJobWithFiles(1, "blocker" + std::to_string(next_blocker_++) + "-");
    EXPECT_TRUE(engine_->Resume(blocker).ok());
    Pump();
    EXPECT_EQ(State(blocker), S::kConnecting);
    Guid id = MakeJobWithFiles(1, "target" + std::to_string(next_blocker_) + "-");
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    EXPECT_EQ(State(id), S::kQueued);
    return id;
  }
  Guid id = MakeJobWithFile("f0");
  if (state == S::kSuspended) return id;
  if (state == S::kCancelled) {
    EXPECT_TRUE(engine_->Cancel(id).ok());
    Pump();
    return id;
  }
  EXPECT_TRUE(engine_->Resume(id).ok());
  Pump();
  auto t = TransferOf(id);
  EXPECT_NE(t, nullptr);
  if (!t) return id;
  switch (state) {
    case S::kConnecting:
      break;
    case S::kTransferring:
      t->Respond(Ok200(100));
      t->Data(Body(100).substr(0, 10));
      break;
    case S::kTransientError:
      t->Fail(code::HttpError(503), true);
      break;
    case S::kError:
      t->Fail(code::HttpError(404), false);
      break;
    case S::kTransferred:
    case S::kAcknowledged:
      t->Serve(Body(100));
      break;
    default:
      ADD_FAILURE() << "unsupported state";
  }
  Pump();
  if (state == S::kAcknowledged) {
    Status s = CompleteAndWait(id);
    EXPECT_CODE(code::kOk, s);
  }
  EXPECT_EQ(State(id), state);
  return id;
}

}  // namespace ferry::test
