#include "transfer/p2p/content_fetch.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/file_attempt.h"
#include "transfer/p2p/origin_beacon.h"
#include "transfer/p2p/peer_backend.h"
#include "transfer/p2p/peer_fetch.h"
#include "transfer/p2p/seed_cache.h"
#include "util/content_id.h"
#include "util/log.h"

namespace ferry::transfer {

Result<torrent::ContentSpec> ContentSpecFor(const core::FileRecord& file,
                                            const core::PeeringConfig& peering) {
  auto id = ParseContentId(file.content_id);
  if (!id.ok()) return id.status();
  torrent::ContentSpec spec;
  spec.size = id->size;
  spec.root = id->root;
  if (peering.mode == DownloadMode::kGroup || peering.mode == DownloadMode::kInternet) {
    spec.group = peering.group_id;
    spec.trackers = peering.trackers;
  }
  return spec;
}

// The inner fetch's host: everything goes to the engine's host but the end,
// which ContentFetch decides.
class ContentFetch::Relay final : public core::FetchHost {
 public:
  Relay(ContentFetch& outer, core::FetchHost& host) : outer_(outer), h_(host) {}

  const core::JobRecord& Job() override { return h_.Job(); }
  core::FileRecord& File() override { return h_.File(); }
  void FileChanged() override { h_.FileChanged(); }
  void SetResumeData(std::string data) override { h_.SetResumeData(std::move(data)); }
  const core::EngineConfig& Config() override { return h_.Config(); }
  core::CacheHostBook& CacheHosts() override { return h_.CacheHosts(); }
  std::chrono::seconds NoProgressTimeout() override { return h_.NoProgressTimeout(); }
  sys::WallTime Now() override { return h_.Now(); }
  sys::Executor& Loop() override { return h_.Loop(); }
  sys::Executor& Workers() override { return h_.Workers(); }
  sys::Executor& Hasher() override { return h_.Hasher(); }
  void RunAt(sys::WallTime when, std::function<void()> fn) override {
    h_.RunAt(when, std::move(fn));
  }
  core::PayloadStore& Payload() override { return h_.Payload(); }
  const core::DigestFactory& Digests() override { return h_.Digests(); }
  const core::DigestFactory& PiecesRootDigests() override { return h_.PiecesRootDigests(); }
  uint64_t Commits() override { return h_.Commits(); }
  void CommitSoon() override { h_.CommitSoon(); }
  void CommitNow() override { h_.CommitNow(); }
  void AfterCommit(std::function<void()> fn) override { h_.AfterCommit(std::move(fn)); }
  void OnResponded() override { h_.OnResponded(); }
  bool OnReceived(uint64_t counted, uint64_t raw, sys::WallTime now, core::ByteFrom from) override {
    return h_.OnReceived(counted, raw, now, from);
  }
  void OnReceivedFromPeers(const core::PeerBytes& bytes, sys::WallTime now) override {
    h_.OnReceivedFromPeers(bytes, now);
  }
  uint64_t RateLimit() override { return h_.RateLimit(); }
  void PauseForBandwidth() override { h_.PauseForBandwidth(); }
  void OnProgress() override { h_.OnProgress(); }
  std::function<void(uint64_t)> DurableRecorder() override { return h_.DurableRecorder(); }
  std::function<ResumeStored(std::string, uint64_t)> ResumeRecorder() override {
    return h_.ResumeRecorder();
  }
  void OnRestart(uint64_t from) override { h_.OnRestart(from); }
  void RetireStream(std::unique_ptr<core::ByteStream> stream) override {
    h_.RetireStream(std::move(stream));
  }
  void OnDone() override { outer_.OnInnerDone(); }
  void ReplaceWithParts(std::vector<core::FilePart> parts) override {
    h_.ReplaceWithParts(std::move(parts));
  }
  void OnFailed(core::ErrorRecord error, bool transient,
                std::optional<std::chrono::seconds> retry_after) override {
    outer_.OnInnerFailed(std::move(error), transient, retry_after);
  }

 private:
  ContentFetch& outer_;
  core::FetchHost& h_;
};

ContentFetch::ContentFetch(PeerBackend& backend, std::unique_ptr<core::FetchHost> host,
                           uint32_t file)
    : backend_(backend), host_(std::move(host)), file_(file) {}

ContentFetch::~ContentFetch() { Release(); }

std::chrono::seconds ContentFetch::Delay() {
  const core::PeeringConfig& p = host_->Config().peering;
  return host_->Job().priority == JobPriority::kForeground ? p.delay_foreground
                                                           : p.delay_background;
}

bool ContentFetch::Begin(core::ErrorRecord* err) {
  core::FileRecord& f = host_->File();
  const bool claimed = Claim();
  // Staged bytes without the peers' resume data came from HTTP: go on there.
  if (f.bytes_transferred > 0 && f.resume_data.empty()) return BeginHttp(err);
  if (!claimed && f.bytes_transferred == 0 && f.resume_data.empty()) {
    const ContentFetch* owner = backend_.ContentOwner(claim_);
    log::Info("job {} file {}: job {} fetches the same content on this host; waiting for it",
              host_->Job().id.ToString(), file_, owner->JobId().ToString());
    phase_ = Phase::kWaiting;
    owner_seen_ = owner->Progress();
    last_progress_ = host_->Now();
    ArmWatch();
    return true;
  }
  return BeginPeers(err);
}

bool ContentFetch::Claim() {
  if (claim_.empty()) {
    auto id = ParseContentId(host_->File().content_id);
    if (!id.ok()) return true;
    content_name_ = ContentTorrentName(id->root);
    content_size_ = id->size;
    claim_ = content_name_ + "/" + std::to_string(content_size_);
  }
  return backend_.ClaimContent(claim_, this);
}

void ContentFetch::Release() {
  if (!claim_.empty()) backend_.ReleaseContent(claim_, this);
}

bool ContentFetch::BeginPeers(core::ErrorRecord* err) {
  auto peers = std::make_unique<PeerFetch>(backend_, std::make_unique<Relay>(*this, *host_), file_);
  peers_ = peers.get();
  inner_ = std::move(peers);
  phase_ = Phase::kPeers;
  if (!inner_->Begin(err)) {
    log::Info("job {} file {}: no peers ({}); fetching from the origin", host_->Job().id.ToString(),
              file_, err->message);
    Retire(std::move(inner_));
    peers_ = nullptr;
    return BeginHttp(err);
  }
  seen_ = 0;  // this session's torrent counts from its start
  last_progress_ = host_->Now();
  ArmWatch();
  return true;
}

void ContentFetch::WatchOwner() {
  const ContentFetch* owner = backend_.ContentOwner(claim_);
  SeedCache* cache = backend_.cache();
  const bool caching = cache != nullptr && cache->Copying(content_name_, content_size_);
  const auto now = host_->Now();
  std::string why;
  if (owner == nullptr && !caching) {
    why = "the other job's fetch ended";
  } else if (paused_ || caching || owner->Progress() > owner_seen_) {
    if (owner != nullptr) owner_seen_ = std::max(owner_seen_, owner->Progress());
    last_progress_ = now;
  } else if (now - last_progress_ >= Delay() + kHandoverGrace) {
    why = fmt::format("the other job made no progress in {} s", (Delay() + kHandoverGrace).count());
  }
  if (why.empty()) {
    ArmWatch();
    return;
  }
  log::Info("job {} file {}: {}; starting", host_->Job().id.ToString(), file_, why);
  Claim();
  core::ErrorRecord err;
  if (!BeginPeers(&err)) {
    phase_ = Phase::kStopped;
    host_->OnFailed(std::move(err), false, std::nullopt);
  }
}

void ContentFetch::ArmWatch() {
  if (watch_armed_) return;
  watch_armed_ = true;
  host_->RunAt(host_->Now() + std::chrono::seconds(1), lifetime_.Guard([this] { OnWatch(); }));
}

void ContentFetch::OnWatch() {
  watch_armed_ = false;
  if (phase_ == Phase::kHttp) {
    if (beacon_) beacon_->Fetching(host_->File().bytes_transferred);
    ArmWatch();
  }
  if (phase_ == Phase::kPeers) WatchPeers();
  if (phase_ == Phase::kWaiting) WatchOwner();
}

void ContentFetch::WatchPeers() {
  uint64_t now_bytes = peers_ != nullptr ? peers_->VerifiedBytes() : 0;
  torrent::OriginView view = peers_ != nullptr ? peers_->Origins() : torrent::OriginView{};
  auto now = host_->Now();
  auto patience =
      Delay() + (handover_ ? kHandoverGrace : std::chrono::seconds(0)) + kRankStagger * view.rank;
  if (view.ferry_peers != last_view_.ferry_peers || view.fetching != last_view_.fetching ||
      view.rank != last_view_.rank)
    log::Debug("job {} file {}: {} ferry peer(s), {} fetching from the origin, rank {}",
               host_->Job().id.ToString(), file_, view.ferry_peers, view.fetching, view.rank);
  last_view_ = view;
  // Every piece is in and the file is being made durable, which takes as
  // long as the disk needs: not a stall.
  if (now_bytes > seen_ || paused_ ||
      (peers_ != nullptr && (peers_->Finishing() || peers_->CheckingLocally()))) {
    last_progress_ = now;
    handover_ = false;
  } else if (OriginProgress(view, now)) {
    // A peer fetches the content from the origin: wait for it.
    last_progress_ = now;
    handover_ = true;
  } else if (now - last_progress_ >= patience) {
    ToHttp(fmt::format("no peer sent a verified piece in {} s", patience.count()));
    return;
  }
  seen_ = std::max(seen_, now_bytes);
  seen_fetched_ = std::max(seen_fetched_, view.fetched);
  ArmWatch();
}

bool ContentFetch::OriginProgress(const torrent::OriginView& view, sys::WallTime now) {
  if (view.fetched <= seen_fetched_) return false;
  if (!waiting_since_) {
    log::Info("job {} file {}: waiting for {} peer(s) fetching from the origin",
              host_->Job().id.ToString(), file_, view.fetching);
    waiting_since_ = now;
    fetched_at_wait_ = seen_fetched_;
  }
  uint64_t size = host_->File().bytes_total;
  if (size == kSizeUnknown) size = 0;
  const auto limit = Delay() + std::chrono::seconds(size / kSlowestOrigin + 1);
  return now - *waiting_since_ < limit && view.fetched - fetched_at_wait_ <= 2 * size;
}

void ContentFetch::StartBeacon() {
  auto session = backend_.session();
  if (!session.ok()) return;
  torrent::TorrentId adopt = std::exchange(adopt_, 0);
  if (adopt != 0) {
    beacon_ = OriginBeacon::Adopt(**session, adopt);
    ArmWatch();
    return;
  }
  auto spec = ContentSpecFor(host_->File(), host_->Config().peering);
  if (!spec.ok()) return;
  auto beacon =
      OriginBeacon::Start(**session, *spec, host_->Payload().StagingPath(host_->Job().id, file_));
  if (!beacon.ok()) {
    log::Warn("job {} file {}: peers will not see this origin fetch: {}",
              host_->Job().id.ToString(), file_, beacon.status().message());
    return;
  }
  beacon_ = std::move(beacon.value());
  ArmWatch();
}

void ContentFetch::ToHttp(const std::string& why) {
  core::FileRecord& f = host_->File();
  uint64_t prefix = peers_ != nullptr ? peers_->VerifiedPrefix() : 0;
  log::Info("job {} file {}: {}; fetching from the origin from byte {}", host_->Job().id.ToString(),
            file_, why, prefix);
  if (inner_) {
    // The peers' torrent stays, in upload mode, as this host's beacon.
    if (peers_ != nullptr)
      adopt_ = peers_->StopAndRelease();
    else
      inner_->Stop();
    Retire(std::move(inner_));
  }
  peers_ = nullptr;
  // The peers' resume data no longer describes what HTTP will write, and
  // the count (every verified piece) goes back to the verified prefix, the
  // bytes HTTP continues after: staging holds them, synced when the resume
  // data naming them was stored (or at Stop, before the torrent let go).
  host_->SetResumeData("");
  host_->OnRestart(std::min(prefix, f.bytes_transferred));
  core::ErrorRecord err;
  if (!BeginHttp(&err)) {
    phase_ = Phase::kStopped;
    host_->OnFailed(std::move(err), false, std::nullopt);
  }
}

bool ContentFetch::BeginHttp(core::ErrorRecord* err) {
  phase_ = Phase::kHttp;
  StartBeacon();
  inner_ = std::make_unique<core::Attempt>(std::make_unique<Relay>(*this, *host_), backend_.http(),
                                           file_);
  if (paused_) inner_->SetPaused(true);
  if (!inner_->Begin(err)) {
    beacon_.reset();
    return false;
  }
  // Attempt says HTTP only; the file is fetched in the peering mode (also
  // after a restart that goes straight to the origin).
  host_->File().stats.download_mode = host_->Config().peering.mode;
  return true;
}

void ContentFetch::OnInnerDone() {
  if (beacon_) beacon_->Done(host_->File().bytes_transferred);
  beacon_.reset();  // before the cache seeds the same torrent
  OfferToCache();   // (a fetch waiting on this one then waits for the copy)
  Release();
  phase_ = Phase::kStopped;
  host_->OnDone();  // retires this fetch
}

void ContentFetch::OnInnerFailed(core::ErrorRecord error, bool transient,
                                 std::optional<std::chrono::seconds> retry_after) {
  if (phase_ == Phase::kPeers && error.context != ErrorContext::kLocalFile) {
    // Not the file's fault: its origin is still there. Leave the failing
    // fetch's own call first.
    std::string why = "peers failed: " + error.message;
    sys::PostIfAlive(host_->Loop(), lifetime_, [this, why] {
      if (phase_ == Phase::kPeers) ToHttp(why);
    });
    return;
  }
  phase_ = Phase::kStopped;
  beacon_.reset();
  Release();
  host_->OnFailed(std::move(error), transient, retry_after);
}

// The cache seeds the file under the derived torrent (libtorrent checks it
// once, which builds its piece layer), also after phase 1: libtorrent's own
// .torrent with the piece layers (write_torrent_file_buf) took 1.1 s of the
// event loop for 256 MiB on an idle machine and 4 s with eight hosts on two
// cores, between the last piece and TRANSFERRED; the check runs on
// libtorrent's disk threads once the file is done.
void ContentFetch::OfferToCache() {
  SeedCache* cache = backend_.cache();
  auto session = backend_.session();
  auto spec = ContentSpecFor(host_->File(), host_->Config().peering);
  if (cache == nullptr || !session.ok() || !spec.ok()) return;
  auto derived = (*session)->ContentTorrent(*spec);
  if (!derived.ok() || !cache->Wants(derived->info_hash, spec->size)) return;
  std::string path = host_->Payload().StagingPath(host_->Job().id, file_);
  // Opened before OnDone, so before delivery can move staging.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  SeedOffer offer;
  offer.key = derived->info_hash;
  offer.info_hash_v2 = derived->info_hash;
  offer.name = ContentTorrentName(spec->root);
  offer.size = spec->size;
  offer.torrent = std::move(derived->torrent);
  cache->Offer(std::move(offer), sys::ShareFd(fd));
}

void ContentFetch::Retire(std::unique_ptr<core::Fetch> fetch) {
  if (!fetch) return;
  retired_.push_back(std::move(fetch));
  sys::PostIfAlive(host_->Loop(), lifetime_, [this] { retired_.clear(); });
}

void ContentFetch::Stop() {
  phase_ = Phase::kStopped;
  beacon_.reset();
  Release();
  if (inner_) inner_->Stop();
}

Status ContentFetch::StopAndSync(uint64_t* bytes) {
  phase_ = Phase::kStopped;
  beacon_.reset();
  Release();
  if (!inner_) {
    *bytes = 0;
    return Status::OK();
  }
  return inner_->StopAndSync(bytes);
}

void ContentFetch::SetPaused(bool paused) {
  paused_ = paused;
  if (inner_) inner_->SetPaused(paused);
}

void ContentFetch::SetBandwidthQuota(int64_t bytes) {
  if (inner_) inner_->SetBandwidthQuota(bytes);
}

}  // namespace ferry::transfer
