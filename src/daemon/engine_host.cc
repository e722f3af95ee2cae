#include "daemon/engine_host.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "conditions/bus_conditions.h"
#include "daemon/integrity_info.h"
#include "store/digest.h"
#include "store/download_store_sqlite.h"
#include "store/job_store_sqlite.h"
#include "store/payload_store_fs.h"
#include "store/seed_index_sqlite.h"
#include "sys/thread_pool.h"
#include "transfer/file/file_backend.h"
#include "transfer/http/http_backend.h"
#include "transfer/p2p/peer_backend.h"
#include "transfer/p2p/seed_cache.h"
#include "util/log.h"

namespace ferry::daemon {
namespace {

// The loop's clock shifted by a fixed offset: Now() is ahead by `offset`, and
// a deadline given in shifted time is scheduled that much earlier in real time.
class OffsetClock final : public sys::Clock {
 public:
  OffsetClock(sys::Clock& inner, std::chrono::seconds offset) : inner_(inner), offset_(offset) {}
  sys::WallTime Now() override { return inner_.Now() + offset_; }
  TimerId Schedule(sys::WallTime when, std::function<void()> fn) override {
    return inner_.Schedule(when - offset_, std::move(fn));
  }
  void Cancel(TimerId id) override { inner_.Cancel(id); }

 private:
  sys::Clock& inner_;
  std::chrono::seconds offset_;
};

}  // namespace

// Owned parts, destroyed in reverse order of dependence (see ~EngineHost).
struct EngineHost::Parts {
  std::unique_ptr<sys::LoopClock> clock;
  std::unique_ptr<OffsetClock> offset_clock;  // only with a clock offset
  std::unique_ptr<sys::ThreadPool> workers;
  std::unique_ptr<store::SqliteJobStore> job_store;
  std::unique_ptr<store::FsPayloadStore> payload;
  std::unique_ptr<store::SqliteDownloadStore> download_store;
  std::unique_ptr<transfer::HttpBackend> http;
  std::unique_ptr<transfer::FileBackend> file;
  std::unique_ptr<transfer::PeerBackend> peers;           // its session starts at the first torrent
  std::unique_ptr<store::SqliteSeedIndex> seed_index;
  std::unique_ptr<transfer::SeedCache> cache;             // with peers and a cache directory
  std::unique_ptr<conditions::BusConditions> conditions;  // outlives the engine
};

Result<std::unique_ptr<EngineHost>> EngineHost::Start(const HostOptions& o) {
  sys::FileSystem* fs = o.fs ? o.fs : sys::DefaultFileSystem();
  if (o.state_dir.empty()) return Status(code::kInvalidArg, "no state directory");
  if (Status s = fs->CreateDirs(o.state_dir); !s.ok()) return s;
  std::unique_ptr<EngineHost> h(new EngineHost());
  h->state_dir_ = o.state_dir;
  h->loop_ = std::make_unique<sys::EventLoop>();
  h->parts_ = std::make_unique<Parts>();
  Parts& p = *h->parts_;
  p.clock = std::make_unique<sys::LoopClock>(*h->loop_);
  p.workers = std::make_unique<sys::ThreadPool>(o.workers ? o.workers : 1, "ferry-worker");
  auto js = store::SqliteJobStore::Open(o.state_dir + "/ferry.db");
  if (!js.ok()) return js.status();
  p.job_store = std::move(js.value());
  // Delivered files get the permissions a program creating them would give
  // (0666 & ~umask); staging files stay 0600.
  mode_t mask = ::umask(0);
  ::umask(mask);
  p.payload = std::make_unique<store::FsPayloadStore>(fs, o.state_dir + "/staging", 0666u & ~mask);
  p.http = std::make_unique<transfer::HttpBackend>(*h->loop_);
  p.file = std::make_unique<transfer::FileBackend>(*h->loop_, *p.workers);

  core::EngineDeps deps;
  deps.clock = p.clock.get();
  if (o.clock_offset.count() != 0) {
    p.offset_clock = std::make_unique<OffsetClock>(*p.clock, o.clock_offset);
    deps.clock = p.offset_clock.get();
  }
  deps.loop = h->loop_.get();
  deps.workers = p.workers.get();
  deps.fs = fs;
  deps.job_store = p.job_store.get();
  deps.payload = p.payload.get();
  deps.byte_sources = {p.http.get(), p.file.get()};
  if (o.peers) {
    p.peers = std::make_unique<transfer::PeerBackend>(*h->loop_, *p.clock, p.http.get(), *o.peers);
    deps.peers = p.peers.get();
    if (!o.peers->cache_dir.empty()) {
      auto index = store::SqliteSeedIndex::Open(p.job_store->database());
      if (!index.ok()) return index.status();
      p.seed_index = std::move(index.value());
      p.cache = std::make_unique<transfer::SeedCache>(*p.peers, *deps.clock, *h->loop_,
                                                      *p.workers, *p.seed_index,
                                                      o.peers->cache_dir, o.peers->cache);
      p.peers->SetCache(p.cache.get());
    }
  }
  deps.digest = store::MakeSha256DigestFactory();
  deps.pieces_root = store::MakePiecesRootDigestFactory();
  if (o.conditions_bus) {
    // Read before the engine opens, so that no job starts on a metered link.
    p.conditions = std::make_unique<conditions::BusConditions>(*h->loop_, *o.conditions_bus);
    p.conditions->Start();
    deps.conditions = p.conditions.get();
  }

  // The engine is opened on the loop thread: its timers and posts belong there.
  Status open_status;
  EngineHost* raw = h.get();
  h->thread_ = std::thread([raw] { raw->loop_->Run(); });
  std::promise<Status> opened;
  h->loop_->Post([&] { opened.set_value(raw->OpenEngine(deps, o.config)); });
  open_status = opened.get_future().get();
  if (!open_status.ok()) {
    h->loop_->Stop();
    h->thread_.join();
    h->stopped_ = true;
    return open_status;
  }
  return h;
}

Status EngineHost::OpenEngine(const core::EngineDeps& deps, const core::EngineConfig& config) {
  auto e = core::Engine::Open(deps, config);
  if (!e.ok()) return e.status();
  engine_ = std::move(e.value());
  // Seeds what the cache holds (and only then starts the torrent session).
  if (parts_->cache)
    if (Status s = parts_->cache->Open(); !s.ok()) {
      log::Warn("seeding cache: {}; continuing without it", s.ToString());
      parts_->peers->SetCache(nullptr);
      parts_->cache.reset();
    }
  auto ds = store::SqliteDownloadStore::Open(parts_->job_store->database());
  if (!ds.ok()) return ds.status();
  parts_->download_store = std::move(ds.value());
  core::DownloadDeps dd;
  dd.engine = engine_.get();
  dd.store = parts_->download_store.get();
  dd.parse_integrity = ParseIntegrityCheckInfo;
  // Stream sinks: their jobs' local names point here; nothing is ever
  // written to it (the bytes go from staging to the sink).
  dd.stream_dir = state_dir_ + "/streams";
  if (Status s = deps.fs->CreateDirs(dd.stream_dir); !s.ok()) return s;
  dd.payload = deps.payload;
  dd.loop = deps.loop;
  auto d = core::Downloads::Open(dd);
  if (!d.ok()) return d.status();
  downloads_ = std::move(d.value());
  return Status::OK();
}

core::SeedCacheControl* EngineHost::cache() { return parts_->cache.get(); }

Status EngineHost::Shutdown() {
  if (stopped_) return Status::OK();
  Status s = Call([](core::Engine& e) { return e.Shutdown(); });
  loop_->Stop();
  thread_.join();
  stopped_ = true;
  return s;
}

EngineHost::~EngineHost() {
  if (!stopped_) {
    loop_->Stop();
    if (thread_.joinable()) thread_.join();
    stopped_ = true;
  }
  // Loop stopped: nothing runs concurrently with the teardown below. The
  // engine goes first (its attempts hold transfers of the backends), then
  // the workers finish what they hold, then the backends and stores.
  downloads_.reset();
  engine_.reset();
  if (parts_) {
    parts_->download_store.reset();
    parts_->workers.reset();
    parts_->cache.reset();
    parts_->peers.reset();
    parts_->seed_index.reset();
    parts_->file.reset();
    parts_->http.reset();
    parts_->payload.reset();
    parts_->job_store.reset();
    parts_->conditions.reset();
  }
}

}  // namespace ferry::daemon
