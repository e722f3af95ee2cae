#include "support/sim_host.h"

#include <sys/stat.h>

#include "store/digest.h"
#include "store/job_store_sqlite.h"
#include "store/payload_store_fs.h"
#include "sys/thread_pool.h"
#include "transfer/file/file_backend.h"
#include "transfer/http/http_backend.h"
#include "util/log.h"

namespace ferry::test {

struct SimHost::Parts {
  std::unique_ptr<sys::ThreadPool> workers;
  std::unique_ptr<store::SqliteJobStore> job_store;
  std::unique_ptr<store::FsPayloadStore> payload;
  std::unique_ptr<transfer::HttpBackend> http;
  std::unique_ptr<transfer::FileBackend> file;
};

Result<std::unique_ptr<SimHost>> SimHost::Start(const SimHostOptions& o) {
  sys::FileSystem* fs = o.fs ? o.fs : sys::DefaultFileSystem();
  if (o.state_dir.empty()) return Status(code::kInvalidArg, "no state directory");
  if (Status s = fs->CreateDirs(o.state_dir); !s.ok()) return s;
  if (getenv("FERRY_TEST_LOG")) log::SetLevel(log::Level::kDebug);
  std::unique_ptr<SimHost> h(new SimHost());
  h->loop_ = std::make_unique<sys::EventLoop>();
  h->clock_ = std::make_unique<FakeClock>(o.start);
  h->parts_ = std::make_unique<Parts>();
  Parts& p = *h->parts_;
  p.workers = std::make_unique<sys::ThreadPool>(o.workers ? o.workers : 1, "ferry-worker");
  auto js = store::SqliteJobStore::Open(o.state_dir + "/ferry.db");
  if (!js.ok()) return js.status();
  p.job_store = std::move(js.value());
  mode_t mask = ::umask(0);
  ::umask(mask);
  p.payload = std::make_unique<store::FsPayloadStore>(fs, o.state_dir + "/staging", 0666u & ~mask);
  p.http = std::make_unique<transfer::HttpBackend>(*h->loop_);
  p.file = std::make_unique<transfer::FileBackend>(*h->loop_, *p.workers);

  core::EngineDeps deps;
  deps.clock = h->clock_.get();
  deps.loop = h->loop_.get();
  deps.workers = p.workers.get();
  deps.fs = fs;
  deps.job_store = p.job_store.get();
  deps.payload = p.payload.get();
  deps.byte_sources = {p.http.get(), p.file.get()};
  deps.digest = store::MakeSha256DigestFactory();
  deps.pieces_root = store::MakePiecesRootDigestFactory();
  auto e = core::Engine::Open(deps, o.config);
  if (!e.ok()) return e.status();
  h->engine_ = std::move(e.value());
  h->Turn();
  return h;
}

Status SimHost::Shutdown() {
  if (stopped_) return Status::OK();
  Status s = engine_->Shutdown();
  stopped_ = true;
  return s;
}

SimHost::~SimHost() {
  // As ~EngineHost: the engine first (its attempts hold the backends'
  // transfers), then the workers finish what they hold (their posts to the
  // loop never run), then the backends and stores; the loop goes last.
  engine_.reset();
  if (parts_) {
    parts_->workers.reset();
    parts_->file.reset();
    parts_->http.reset();
    parts_->payload.reset();
    parts_->job_store.reset();
  }
}

void SimHost::Turn() {
  loop_->RunOnce(kTurnWait);
  clock_->Advance(sys::Duration(0));
}

uint64_t SimHost::Activity() {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  for (const Guid& id : engine_->EnumJobs(std::nullopt)) {
    auto snap = engine_->GetJob(id);
    if (!snap.ok()) continue;
    mix(static_cast<uint64_t>(snap->job.state));
    mix(snap->progress.bytes_transferred);
    mix(snap->progress.files_transferred);
    mix(snap->job.error_count);
  }
  mix(clock_->pending());
  if (auto next = clock_->NextDeadline())
    mix(static_cast<uint64_t>(next->time_since_epoch().count()));
  if (extra_activity) mix(extra_activity());
  return h;
}

bool SimHost::RunUntil(const std::function<bool()>& done, sys::Duration virtual_limit,
                       std::chrono::milliseconds real_limit) {
  const sys::WallTime virtual_end = clock_->Now() + virtual_limit;
  const auto real_end = std::chrono::steady_clock::now() + real_limit;
  uint64_t last = Activity();
  int quiet = 0;
  auto changed_at = std::chrono::steady_clock::now();
  auto last_turn = std::chrono::steady_clock::now();
  for (;;) {
    Turn();
    // Virtual time follows real time, so a wait the engine leaves to libcurl
    // (real timers) takes as long in virtual time.
    auto real_now = std::chrono::steady_clock::now();
    if (clock_->Now() + (real_now - last_turn) <= virtual_end)
      clock_->Advance(real_now - last_turn);
    last_turn = real_now;
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= real_end) return false;
    parts_->workers->Drain();
    uint64_t now = Activity();
    quiet = now == last ? quiet + 1 : 0;
    if (now != last) changed_at = std::chrono::steady_clock::now();
    last = now;
    if (quiet < kQuietTurns || std::chrono::steady_clock::now() - changed_at < kQuietTime) continue;
    // Quiet: the engine waits on a timer (or on nothing). Jump to it.
    // No virtual timer due within the limit: the engine waits on real time
    // only (libcurl's own timers, e.g. its low-speed limit); keep turning.
    // Timers beyond `virtual_limit` (e.g. the 30-day expiry) never fire.
    auto next = clock_->NextDeadline();
    if (!next || *next > virtual_end) continue;
    clock_->AdvanceTo(*next);
    quiet = 0;
    changed_at = std::chrono::steady_clock::now();
  }
}

}  // namespace ferry::test
