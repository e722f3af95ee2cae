#include "core/engine_fetch_host.h"

#include "core/fetch_policy.h"
#include "core/file_attempt.h"
#include "util/url.h"

namespace ferry::core {

EngineFetchHost::EngineFetchHost(Engine::Impl& engine, RuntimeJob& job, uint32_t file)
    : e_(engine), job_(job), job_id_(job.rec.id), file_(file) {
  DownloadMode mode = EffectiveMode(e_.cfg.peering, job.rec.download_mode);
  if (mode != e_.cfg.peering.mode) {
    own_cfg_ = std::make_unique<EngineConfig>(e_.cfg);
    own_cfg_->peering.mode = mode;
  }
}

EngineFetchHost::~EngineFetchHost() {
  if (fetch_) e_.bandwidth_paused.erase(fetch_);
}

void EngineFetchHost::SetResumeData(std::string data) {
  FileRecord& f = File();
  if (f.resume_data == data) return;
  f.resume_data = std::move(data);
  e_.MarkFileDirty(job_, file_);
  e_.PostFlush();
}

std::chrono::seconds EngineFetchHost::NoProgressTimeout() {
  return std::chrono::seconds(e_.NoProgressTimeout(job_.rec));
}

void EngineFetchHost::AfterCommit(std::function<void()> fn) {
  e_.AfterFlush([fn = std::move(fn)](const Status&) { fn(); });
}

void EngineFetchHost::OnResponded() {
  if (job_.rec.state == JobState::kConnecting) e_.Move(job_, JobState::kTransferring, "bytes flow");
}

void EngineFetchHost::RunAt(sys::WallTime when, std::function<void()> fn) {
  e_.deps.clock->Schedule(when, e_.lifetime.Guard(std::move(fn)));
}

bool EngineFetchHost::OnReceived(uint64_t counted, uint64_t raw, sys::WallTime now, ByteFrom from) {
  if (from == ByteFrom::kCacheServer) {
    CountFromCacheServer(&File().stats, counted);
    e_.statistics.AddFromCacheServer(counted, now);
  } else {
    CountFromOrigin(&File().stats, counted);
    e_.statistics.AddFromOrigin(counted, now);
  }
  TokenBucket& bucket = e_.BucketFor(job_.rec);
  if (!bucket.limited() && !job_.bucket.limited()) return false;
  bucket.Consume(raw, now);
  job_.bucket.Consume(raw, now);
  return true;
}

void EngineFetchHost::OnReceivedFromPeers(const PeerBytes& bytes, sys::WallTime now) {
  e_.statistics.AddFromPeers(bytes, now);
  TokenBucket& bucket = e_.BucketFor(job_.rec);
  if (bucket.limited()) bucket.Consume(bytes.total(), now);
  if (job_.bucket.limited()) job_.bucket.Consume(bytes.total(), now);
}

uint64_t EngineFetchHost::RateLimit() {
  TokenBucket& bucket = e_.BucketFor(job_.rec);
  uint64_t limit = bucket.limited() ? bucket.rate() : 0;
  if (job_.bucket.limited() && (limit == 0 || job_.bucket.rate() < limit))
    limit = job_.bucket.rate();
  return limit;
}

std::function<void(uint64_t)> EngineFetchHost::DurableRecorder() {
  // Keyed by id and generation, not by reference: it may run after the
  // fetch (and the job) are gone, and after the file restarted.
  return e_.lifetime.Guard([e = &e_, id = job_id_, file = file_,
                            generation = job_.files_rt[file_].generation](uint64_t bytes) {
    e->OnCheckpointed(id, file, generation, bytes);
  });
}

std::function<FetchHost::ResumeStored(std::string, uint64_t)> EngineFetchHost::ResumeRecorder() {
  // Keyed by id and generation, as DurableRecorder.
  return [e = &e_, alive = e_.lifetime.token(), id = job_id_, file = file_,
          generation = job_.files_rt[file_].generation](std::string data, uint64_t bytes) {
    if (!alive.Alive()) return ResumeStored::kGone;
    return e->OnResumeSaved(id, file, generation, std::move(data), bytes);
  };
}

std::unique_ptr<Fetch> Engine::Impl::MakeFetch(RuntimeJob& j, uint32_t file) {
  const std::string& url = j.rec.files[file].remote_url;
  auto host = std::make_unique<EngineFetchHost>(*this, j, file);
  EngineFetchHost* h = host.get();
  std::unique_ptr<Fetch> fetch;
  FetchBackend backend = ChooseFetch(url, j.rec.files[file].local_name);
  // A file with a content id may be fetched from peers, its origin behind
  // them (transfer/p2p ContentFetch; docs/peering.md), in the job's
  // effective download mode.
  FileRecord& f = j.rec.files[file];
  if (backend == FetchBackend::kHttp && PeerFirst(h->Config().peering, f))
    backend = FetchBackend::kPeers;
  if (backend == FetchBackend::kHttp && !f.resume_data.empty()) {
    // The peers' state of a start in a peering mode (the job's mode changed
    // since): their pieces lie anywhere in staging and only their resume
    // data says which, so HTTP starts the file again.
    f.resume_data.clear();
    OnFileRestart(j, file, 0);
  }
  switch (backend) {
    case FetchBackend::kPeers:
      if (deps.peers) {
        fetch = deps.peers->MakeFetch(std::move(host), file);
        break;
      }
      [[fallthrough]];  // no peer backend: fails as an unsupported scheme
    case FetchBackend::kHttp:
    case FetchBackend::kFile:
    case FetchBackend::kUnsupported: {
      // The byte sources answer for their schemes (tests script any).
      std::string scheme = UrlScheme(url);
      ByteSource* source = nullptr;
      for (ByteSource* s : deps.byte_sources)
        if (s->Supports(scheme)) source = s;
      fetch = std::make_unique<Attempt>(std::move(host), source, file);
      break;
    }
  }
  h->set_fetch(fetch.get());
  return fetch;
}

}  // namespace ferry::core
