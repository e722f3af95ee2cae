#include "transfer/p2p/peer_fetch.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <fstream>
#include <iterator>

#include "core/byte_source.h"
#include "core/job_request.h"
#include "sys/lifetime.h"
#include "transfer/p2p/cache_copy.h"
#include "transfer/p2p/content_fetch.h"
#include "transfer/p2p/peer_backend.h"
#include "transfer/p2p/seed_cache.h"
#include "transfer/p2p/web_seed_feeder.h"
#include "util/content_id.h"
#include "util/log.h"
#include "util/status_codes.h"

namespace ferry::transfer {
namespace {

// A .torrent larger than this is refused (BEP 3 files are KiBs to a few MiB).
constexpr size_t kMaxTorrentBytes = 16u << 20;

std::string DirOf(const std::string& path) { return path.substr(0, path.rfind('/')); }

Result<std::string> ReadTorrentFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  // As a missing or unreadable file:// source of any file (ERROR_FILE_NOT_FOUND…).
  if (!in) return ErrnoStatus(errno != 0 ? errno : EIO, "open the torrent file " + path);
  std::string bytes;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (bytes.size() > kMaxTorrentBytes)
    return Status(code::kInvalidArg, fmt::format("the torrent file {} is too large", path));
  return bytes;
}

}  // namespace

// Collects the body of a .torrent URL (ferry's HTTP ByteSource: its proxies,
// TLS settings, redirects). Calls `done` once, from the sink's OnDone.
class PeerFetch::TorrentDownload final : public core::ByteSink {
 public:
  using Done = std::function<void(Result<std::string>, bool transient)>;
  TorrentDownload(core::ByteSource& source, const core::ByteRequest& request, Done done)
      : done_(std::move(done)) {
    stream_ = source.Start(request, this);
  }
  std::unique_ptr<core::ByteStream> TakeStream() { return std::move(stream_); }

  bool OnResponse(const core::ByteResponse& r) override {
    if (r.status == 200) return true;
    error_ = Status(code::HttpError(r.status),
                    fmt::format("the server answered {} for the torrent file", r.status));
    return false;
  }
  bool OnData(std::span<const std::byte> data) override {
    if (body_.size() + data.size() > kMaxTorrentBytes) {
      error_ = Status(code::kInvalidArg, "the torrent file is too large");
      return false;
    }
    body_.append(reinterpret_cast<const char*>(data.data()), data.size());
    return true;
  }
  void OnDone(const core::ByteOutcome& outcome) override {
    Done done = std::move(done_);
    if (error_) return done(*error_, false);
    if (!outcome.status.ok()) return done(outcome.status, outcome.transient);
    done(std::move(body_), false);
  }

 private:
  Done done_;
  std::unique_ptr<core::ByteStream> stream_;
  std::string body_;
  std::optional<Status> error_;
};

PeerFetch::PeerFetch(PeerBackend& backend, std::unique_ptr<core::FetchHost> host, uint32_t file)
    : backend_(backend), host_(std::move(host)), file_(file), job_id_(host_->Job().id) {}

PeerFetch::~PeerFetch() {
  if (download_) host_->RetireStream(download_->TakeStream());
  Detach();
}

core::ErrorRecord PeerFetch::MakeError(int32_t c, ErrorContext context, std::string message) const {
  return core::ErrorRecord{c, context, static_cast<int32_t>(file_), std::move(message),
                           "bittorrent"};
}

bool PeerFetch::Begin(core::ErrorRecord* err) {
  core::FileRecord& f = host_->File();
  f.stats.background = host_->Job().priority != JobPriority::kForeground;
  content_ = core::ChooseFetch(f.remote_url, f.local_name) == core::FetchBackend::kHttp;
  f.stats.download_mode = content_ ? host_->Config().peering.mode : DownloadMode::kLan;
  source_ = ParseTorrentSource(f.remote_url);
  expanding_ = !f.local_name.empty() && f.local_name.back() == '/';
  staging_path_ = host_->Payload().StagingPath(job_id_, file_);
  auto staging = host_->Payload().Open(job_id_, file_, f.bytes_total);
  if (!staging.ok() || staging_path_.empty()) {
    Status s = staging.ok() ? Status(code::kUnexpected, "the staging area has no paths")
                            : staging.status();
    *err = MakeError(s.code(), ErrorContext::kLocalFile, s.message());
    return false;
  }
  staging_ = std::move(staging.value());
  auto session = backend_.session();
  if (!session.ok()) {
    *err = MakeError(session.status().code(), ErrorContext::kGeneralTransport,
                     "peer-to-peer is unavailable: " + session.status().message());
    return false;
  }
  session_ = *session;
  durable_ = f.bytes_transferred;
  last_checkpoint_ = host_->Now();
  phase_ = Phase::kGettingTorrent;
  // Failures are reported from a later loop turn, never from Begin; after
  // this file's torrent of an earlier start left the session with its
  // resume data (TorrentParking).
  backend_.parking().AfterParked(job_id_, file_, lifetime_.Guard([this] {
    if (phase_ != Phase::kGettingTorrent) return;
    const std::string& resume = host_->File().resume_data;
    if (!resume.empty() && !content_) {
      torrent::AddParams p;
      p.resume_data = resume;
      AddTorrent(std::move(p));
      return;
    }
    GetSource();
  }));
  return true;
}

void PeerFetch::GetSource() {
  if (content_) {
    auto spec = ContentSpecFor(host_->File(), host_->Config().peering);
    if (!spec.ok()) {
      Fail(MakeError(spec.status().code(), ErrorContext::kRemoteFile, spec.status().message()),
           false);
      return;
    }
    torrent::AddParams p;
    p.content = std::move(*spec);
    // A restart keeps the verified pieces (and the extension, the fence).
    p.resume_data = host_->File().resume_data;
    // Rarest first lets hosts fetching together trade; in order from a lone
    // peer keeps a prefix for HTTP (docs/peering.md "Piece order").
    p.in_order_while_alone = true;
    // DO's LAN mode: peers on the local network only.
    p.local_peers_only = host_->Config().peering.mode == DownloadMode::kLan;
    if (p.resume_data.empty() && host_->File().bytes_transferred == 0 && FromOwnCache(p)) return;
    AddTorrent(std::move(p));
    return;
  }
  switch (source_.kind) {
    case TorrentSourceKind::kMagnet: {
      torrent::AddParams p;
      p.magnet = source_.location;
      AddTorrent(std::move(p));
      return;
    }
    case TorrentSourceKind::kTorrentFile:
      OnTorrentBytes(ReadTorrentFile(source_.location), false);
      return;
    case TorrentSourceKind::kTorrentUrl:
      DownloadTorrent();
      return;
    case TorrentSourceKind::kNone:
      break;
  }
  Fail(MakeError(code::kInvalidArg, ErrorContext::kRemoteFile, "not a torrent source"), false);
}

bool PeerFetch::FromOwnCache(const torrent::AddParams& params) {
  SeedCache* cache = backend_.cache();
  const torrent::ContentSpec& spec = *params.content;
  std::string from =
      cache == nullptr ? "" : cache->CopyOf(ContentTorrentName(spec.root), spec.size);
  if (from.empty()) return false;
  log::Info("job {} file {}: copying the content from the seeding cache", job_id_.ToString(),
            file_);
  copying_from_cache_ = true;
  sys::RunOnWorkerThenLoop(
      host_->Workers(), host_->Loop(), lifetime_,
      [from, to = staging_path_, size = spec.size] { return CopyIntoStaging(from, to, size); },
      [this, params](Status copied) mutable {
        copying_from_cache_ = false;
        if (phase_ != Phase::kGettingTorrent) return;
        // libtorrent checks staging either way and keeps the pieces that pass.
        if (!copied.ok())
          log::Warn("job {} file {}: no copy from the seeding cache: {}", job_id_.ToString(), file_,
                    copied.ToString());
        AddTorrent(std::move(params));
      });
  return true;
}

void PeerFetch::DownloadTorrent() {
  core::ByteSource* http = backend_.http();
  if (http == nullptr) {
    Fail(MakeError(code::kInvalidArg, ErrorContext::kRemoteFile, "no HTTP backend"), false);
    return;
  }
  core::ByteRequest req = core::JobRequest(*host_, source_.location);
  auto done = [this](Result<std::string> bytes, bool transient) {
    sys::PostIfAlive(host_->Loop(), lifetime_,
                     [this, bytes = std::move(bytes), transient]() mutable {
                       if (download_) host_->RetireStream(download_->TakeStream());
                       download_.reset();
                       OnTorrentBytes(std::move(bytes), transient);
                     });
  };
  download_ = std::make_unique<TorrentDownload>(*http, req, std::move(done));
}

void PeerFetch::OnTorrentBytes(Result<std::string> bytes, bool transient) {
  if (phase_ != Phase::kGettingTorrent) return;
  if (!bytes.ok()) {
    Fail(MakeError(bytes.status().code(), ErrorContext::kRemoteFile, bytes.status().message()),
         transient);
    return;
  }
  torrent::AddParams p;
  p.torrent = std::move(bytes.value());
  AddTorrent(std::move(p));
}

void PeerFetch::AddTorrent(torrent::AddParams params) {
  params.save_dir = DirOf(staging_path_);
  if (expanding_) {
    params.metadata_only = true;  // the files become job files of their own
  } else {
    params.file = source_.file;
    params.store_as = staging_path_;
  }
  params.paused = false;
  auto id = session_->Add(params);
  if (!id.ok()) {
    if (!params.resume_data.empty()) {
      // Unusable resume data: start from the source (libtorrent checks what
      // staging holds and keeps the pieces that pass).
      log::Warn("job {} file {}: resume data refused ({}); starting from the source",
                job_id_.ToString(), file_, id.status().message());
      if (content_) {  // the source is the id: the same add without the data
        params.resume_data.clear();
        AddTorrent(std::move(params));
        return;
      }
      GetSource();
      return;
    }
    Fail(MakeError(code::kInvalidArg, ErrorContext::kRemoteFile, id.status().message()), false);
    return;
  }
  id_ = *id;
  phase_ = Phase::kRunning;
  last_peer_bytes_ = host_->Now();  // the peers' head start over web seeds
  backend_.Watch(id_, this);
  ApplyRateLimit();
}

void PeerFetch::OnEvent(const torrent::Event& event) {
  if (phase_ == Phase::kFinishing && offer_ && !offer_->torrent.empty()) return;
  if (phase_ == Phase::kFinishing && offer_) {
    if (const auto* t = std::get_if<torrent::event::TorrentFileSaved>(&event)) {
      offer_->torrent = t->data;
      Complete();
    } else if (const auto* e = std::get_if<torrent::event::TorrentFileFailed>(&event)) {
      log::Warn("job {} file {}: not cached (no torrent file: {})", job_id_.ToString(), file_,
                e->message);
      offer_.reset();
      Complete();
    }
    return;
  }
  if (phase_ != Phase::kRunning) return;
  if (std::holds_alternative<torrent::event::StatusChanged>(event)) {
    OnStatus();
  } else if (std::holds_alternative<torrent::event::Finished>(event)) {
    Finish();
  } else if (const auto* r = std::get_if<torrent::event::ResumeDataSaved>(&event)) {
    OnResumeData(r->data);
  } else if (std::holds_alternative<torrent::event::ResumeDataFailed>(event)) {
    checkpoint_running_ = false;
  } else if (const auto* e = std::get_if<torrent::event::AddFailed>(&event)) {
    // libtorrent has no such torrent: nothing to remove, but the backend
    // must not tick this fetch once it is gone.
    backend_.Unwatch(id_);
    id_ = 0;
    Fail(MakeError(code::kUnexpected, ErrorContext::kGeneralTransport,
                   "libtorrent refused the torrent: " + e->message),
         true);
  } else if (const auto* e = std::get_if<torrent::event::TorrentError>(&event)) {
    bool bad_source = e->message.rfind("the torrent has", 0) == 0;
    Fail(MakeError(bad_source ? code::kInvalidArg : code::kUnexpected,
                   bad_source ? ErrorContext::kRemoteFile : ErrorContext::kLocalFile, e->message),
         false);
  } else if (const auto* pf = std::get_if<torrent::event::PieceFailed>(&event)) {
    if (web_seeds_) web_seeds_->OnPieceFailed(pf->piece);
  } else if (const auto* b = std::get_if<torrent::event::PeerBanned>(&event)) {
    log::Warn("job {} file {}: peer {} banned (bad pieces)", job_id_.ToString(), file_, b->address);
  }
}

namespace {

// True when `e` is the file `chosen` names: its path in the torrent, with or
// without the torrent's top directory.
bool IsChosen(const torrent::FileEntry& e, const std::string& chosen) {
  if (e.path == chosen) return true;
  size_t slash = e.path.find('/');
  return slash != std::string::npos && e.path.compare(slash + 1, std::string::npos, chosen) == 0;
}

}  // namespace

const torrent::FileEntry* PeerFetch::Target(const torrent::TorrentStatus& st) const {
  for (const torrent::FileEntry& e : st.files) {
    if (!source_.file) return st.files.size() == 1 ? &e : nullptr;
    if (IsChosen(e, *source_.file)) return &e;
  }
  return nullptr;
}

// The job file names a directory: each file of the torrent (or the chosen
// one) becomes a job file below it, fetched on its own (FetchHost::
// ReplaceWithParts, docs/p2p.md "Torrents of several files").
void PeerFetch::Expand(const torrent::TorrentStatus& st) {
  const core::FileRecord& f = host_->File();
  std::vector<core::FilePart> parts;
  for (const torrent::FileEntry& e : st.files) {
    if (source_.file && !IsChosen(e, *source_.file)) continue;
    parts.push_back({WithChosenFile(f.remote_url, e.path), f.local_name + e.path, e.size});
  }
  if (parts.empty()) {
    Fail(MakeError(code::kInvalidArg, ErrorContext::kRemoteFile,
                   "the torrent has no file " + source_.file.value_or("")),
         false);
    return;
  }
  phase_ = Phase::kStopped;
  Detach();
  host_->ReplaceWithParts(std::move(parts));  // retires this fetch
}

void PeerFetch::OnStatus() {
  const torrent::TorrentStatus* st = session_->GetStatus(id_);
  if (st == nullptr) return;
  if (expanding_) {
    if (st->has_metadata && !st->files.empty()) Expand(*st);
    return;
  }
  core::FileRecord& f = host_->File();
  bool changed = false;
  if (const torrent::FileEntry* t = Target(*st); t != nullptr && f.bytes_total != t->size) {
    f.bytes_total = t->size;
    changed = true;
  }
  if (const torrent::PeerLedger* ledger = session_->Ledger(id_)) changed |= CountPeerBytes(*ledger);
  using S = torrent::TorrentState;
  bool flowing =
      st->state == S::kDownloading || st->state == S::kFinished || st->state == S::kSeeding;
  if (flowing && !responded_) {
    responded_ = true;
    host_->OnResponded();
  }
  // By its content id every verified piece counts, in the prefix or not (the
  // resume data names them all), and nothing else: libtorrent's done bytes
  // include blocks of pieces not checked yet (those taken back from staging
  // after a crash, which may fail). ContentFetch takes the count back to the
  // verified prefix when it hands the file to HTTP.
  uint64_t done = content_ ? VerifiedBytes() : st->total_wanted_done;
  if (f.bytes_total != kSizeUnknown) done = std::min(done, f.bytes_total);
  if (flowing && done > f.bytes_transferred) {
    f.bytes_transferred = done;
    changed = true;
    host_->OnProgress();
  }
  if (changed) host_->FileChanged();
}

bool PeerFetch::CountPeerBytes(const torrent::PeerLedger& ledger) {
  torrent::LedgerTotals t = ledger.Totals();
  uint64_t lan = t.lan_received - std::min(seen_.lan_received, t.lan_received);
  uint64_t internet = t.internet_received - std::min(seen_.internet_received, t.internet_received);
  uint64_t lan_up = t.lan_sent - std::min(seen_.lan_sent, t.lan_sent);
  uint64_t internet_up = t.internet_sent - std::min(seen_.internet_sent, t.internet_sent);
  uint64_t web = t.web_received - std::min(seen_.web_received, t.web_received);
  seen_ = t;
  // A web seed is an HTTP server, counted as the origin is (DO's "HTTP").
  if (web > 0) host_->OnReceived(web, web, host_->Now(), core::ByteFrom::kOrigin);
  FileStats& s = host_->File().stats;
  uint32_t lan_peers = 0, internet_peers = 0;
  for (const auto& [address, p] : ledger.peers())
    if (p.received > 0) (p.lan ? lan_peers : internet_peers)++;
  // A group's torrent is the group's alone (its info-hash has the group id
  // in it): its peers on private addresses are group peers.
  const bool group = InGroup();
  uint64_t& from_local = group ? s.bytes_from_group_peers : s.bytes_from_lan_peers;
  uint64_t& to_local = group ? s.bytes_to_group_peers : s.bytes_to_lan_peers;
  uint32_t& local_connections = group ? s.group_connections : s.lan_connections;
  if (lan + internet > 0) last_peer_bytes_ = host_->Now();
  bool changed = lan + internet + lan_up + internet_up + web > 0 || lan_peers > local_connections ||
                 internet_peers > s.internet_connections;
  from_local += lan;
  s.bytes_from_internet_peers += internet;
  s.total_bytes_downloaded += lan + internet;
  to_local += lan_up;
  s.bytes_to_internet_peers += internet_up;
  s.bytes_to_peers += lan_up + internet_up;
  local_connections = std::max(local_connections, lan_peers);
  s.internet_connections = std::max(s.internet_connections, internet_peers);
  core::PeerBytes bytes;
  (group ? bytes.group : bytes.lan) = lan;
  bytes.internet = internet;
  if (bytes.total() > 0) host_->OnReceivedFromPeers(bytes, host_->Now());
  return changed;
}

bool PeerFetch::InGroup() const {
  if (!content_) return false;
  auto spec = ContentSpecFor(host_->File(), host_->Config().peering);
  return spec.ok() && !spec->group.empty();
}

uint64_t PeerFetch::VerifiedPrefix() const {
  const torrent::TorrentStatus* st = id_ != 0 ? session_->GetStatus(id_) : nullptr;
  if (st == nullptr || st->piece_length <= 0) return 0;
  uint64_t pieces = 0;
  while (pieces < st->pieces.size() && st->pieces[pieces]) ++pieces;
  uint64_t bytes = pieces * static_cast<uint64_t>(st->piece_length);
  uint64_t total = host_->File().bytes_total;
  return total == kSizeUnknown ? bytes : std::min(bytes, total);
}

bool PeerFetch::CheckingLocally() const {
  if (copying_from_cache_) return true;
  const torrent::TorrentStatus* st = id_ != 0 ? session_->GetStatus(id_) : nullptr;
  return st != nullptr && (st->state == torrent::TorrentState::kCheckingFiles ||
                           st->state == torrent::TorrentState::kCheckingResumeData);
}

uint64_t PeerFetch::VerifiedBytes() const {
  const torrent::TorrentStatus* st = id_ != 0 ? session_->GetStatus(id_) : nullptr;
  if (st == nullptr) return 0;
  if (!content_ || st->piece_length <= 0) return st->total_wanted_done;
  // A content torrent is one file from byte 0: its verified pieces' bytes.
  const uint64_t piece = static_cast<uint64_t>(st->piece_length);
  const uint64_t size = host_->File().bytes_total;
  uint64_t bytes = 0;
  for (size_t i = 0; i < st->pieces.size(); ++i)
    if (st->pieces[i]) bytes += piece;
  if (size != kSizeUnknown && !st->pieces.empty() && st->pieces.back())
    bytes -= piece * st->pieces.size() - std::min(size, piece * st->pieces.size());
  return size == kSizeUnknown ? bytes : std::min(bytes, size);
}

torrent::OriginView PeerFetch::Origins() const {
  return id_ != 0 ? session_->GetOriginView(id_) : torrent::OriginView{};
}

void PeerFetch::ApplyRateLimit() {
  uint64_t limit = host_->RateLimit();
  if (limit == rate_limit_ || id_ == 0) return;
  rate_limit_ = limit;
  int download = static_cast<int>(std::min<uint64_t>(limit, INT_MAX));
  session_->SetTorrentLimits(id_, torrent::RateLimits{0, download});
}

void PeerFetch::OnTick() {
  if (phase_ != Phase::kRunning) return;
  ApplyRateLimit();
  FeedWebSeeds();
  // As for HTTP: every checkpoint_interval or checkpoint_bytes, whichever
  // comes first, counting every verified piece (the resume data names them
  // all, in the prefix or not). The file is then never far from durable,
  // and its last sync is short.
  const uint64_t verified = VerifiedBytes();
  if (checkpoint_running_ || verified <= checkpoint_verified_) return;
  if (host_->Now() - last_checkpoint_ >= host_->Config().checkpoint_interval ||
      verified - checkpoint_verified_ >= host_->Config().checkpoint_bytes)
    Checkpoint();
}

// Web seeds go through ferry's HTTP engine (WebSeedFeeder), for the bytes of
// this fetch's file.
void PeerFetch::FeedWebSeeds() {
  if (content_ || expanding_ || backend_.http() == nullptr) return;
  const torrent::TorrentStatus* st = session_->GetStatus(id_);
  if (st == nullptr || !st->has_metadata || st->web_seeds.empty()) return;
  if (!web_seeds_) {
    const torrent::FileEntry* t = Target(*st);
    if (t == nullptr) return;
    web_seeds_ = std::make_unique<WebSeedFeeder>(*host_, *backend_.http(), *session_, id_,
                                                 t->offset, t->offset + t->size);
  }
  web_seeds_->OnTick(*st, last_peer_bytes_);
}

void PeerFetch::Checkpoint() {
  checkpoint_running_ = true;
  checkpoint_bytes_ = host_->File().bytes_transferred;
  checkpoint_verified_ = VerifiedBytes();
  last_checkpoint_ = host_->Now();
  session_->SaveResumeData(id_);
}

// The resume data names verified pieces, already written to staging: sync
// staging first, then keep the data, so that the store never claims a piece
// that is not on disk.
void PeerFetch::OnResumeData(std::string data) {
  uint64_t bytes = checkpoint_bytes_;
  sys::RunOnWorkerThenLoop(
      host_->Workers(), host_->Loop(), lifetime_, [staging = staging_] { return staging->Sync(); },
      [this, data = std::move(data), bytes, record = host_->DurableRecorder()](Status s) mutable {
        checkpoint_running_ = false;
        if (!s.ok()) {
          if (phase_ == Phase::kRunning)
            Fail(MakeError(s.code(), ErrorContext::kLocalFile, s.message()), false);
          return;
        }
        host_->SetResumeData(std::move(data));
        durable_ = std::max(durable_, bytes);
        record(bytes);
      });
}

void PeerFetch::Finish() {
  phase_ = Phase::kFinishing;
  log::Debug("job {} file {}: every piece verified; making the file durable", job_id_.ToString(),
             file_);
  core::FileRecord& f = host_->File();
  if (const torrent::TorrentStatus* st = session_->GetStatus(id_))
    if (const torrent::FileEntry* t = Target(*st)) f.bytes_total = t->size;
  if (const torrent::PeerLedger* ledger = session_->Ledger(id_)) CountPeerBytes(*ledger);
  if (!AskForCache()) Complete();
}

// A file of a one-file torrent that the cache wants: its .torrent bytes
// first (TorrentFileSaved, then Complete), while the torrent is still here.
bool PeerFetch::AskForCache() {
  if (content_) return false;  // ContentFetch offers it, under the derived torrent
  SeedCache* cache = backend_.cache();
  const torrent::TorrentStatus* st = session_->GetStatus(id_);
  if (cache == nullptr || st == nullptr || st->files.size() != 1) return false;
  SeedOffer offer;
  offer.key = st->info_hash_v1.empty() ? st->info_hash_v2 : st->info_hash_v1;
  offer.info_hash_v1 = st->info_hash_v1;
  offer.info_hash_v2 = st->info_hash_v2;
  offer.name = st->name;
  offer.size = st->files[0].size;
  if (!cache->Wants(offer.key, offer.size) || !session_->SaveTorrentFile(id_).ok()) return false;
  offer_ = std::move(offer);
  return true;
}

void PeerFetch::Complete() {
  core::FileRecord& f = host_->File();
  Detach();
  f.bytes_transferred = f.bytes_total;
  host_->FileChanged();
  host_->OnProgress();
  // The cache's descriptor is opened before OnDone, so before delivery can
  // move or copy staging; the cache copies from it later, on a worker.
  bool for_cache = offer_.has_value();
  sys::RunOnWorkerThenLoop(
      host_->Workers(), host_->Loop(), lifetime_,
      [staging = staging_, path = staging_path_, for_cache] {
        Status s = staging->Sync();
        int fd = s.ok() && for_cache ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC) : -1;
        return std::make_pair(s, sys::ShareFd(fd));
      },
      [this, record = host_->DurableRecorder()](std::pair<Status, sys::SharedFd> synced) {
        if (phase_ != Phase::kFinishing) return;
        if (!synced.first.ok()) {
          Fail(MakeError(synced.first.code(), ErrorContext::kLocalFile, synced.first.message()),
               false);
          return;
        }
        phase_ = Phase::kStopped;
        if (offer_ && backend_.cache() != nullptr)
          backend_.cache()->Offer(std::move(*offer_), synced.second);
        offer_.reset();
        record(host_->File().bytes_total);
        host_->OnDone();  // retires this fetch
      });
}

void PeerFetch::Fail(core::ErrorRecord err, bool transient) {
  phase_ = Phase::kStopped;
  if (download_) host_->RetireStream(download_->TakeStream());
  download_.reset();
  Detach();
  host_->FileChanged();
  host_->OnFailed(std::move(err), transient, std::nullopt);
}

void PeerFetch::Detach() {
  web_seeds_.reset();
  if (id_ == 0) return;
  backend_.Unwatch(id_);
  session_->Remove(id_, false);
  id_ = 0;
}

void PeerFetch::Stop() {
  if (phase_ == Phase::kStopped) return;
  const bool park = phase_ == Phase::kRunning && !expanding_;
  phase_ = Phase::kStopped;
  if (download_) host_->RetireStream(download_->TakeStream());
  download_.reset();
  if (park)
    Park();
  else
    Detach();
  host_->FileChanged();
}

// Verified pieces since the last checkpoint would otherwise be fetched again
// at the next start (stored resume data is trusted, not checked).
void PeerFetch::Park() {
  web_seeds_.reset();
  if (id_ == 0) return;
  backend_.Unwatch(id_);
  TorrentParking::Entry e;
  e.job = job_id_;
  e.file = file_;
  e.staging = staging_;
  e.workers = &host_->Workers();
  e.store = host_->ResumeRecorder();
  e.bytes = host_->File().bytes_transferred;
  e.pending = checkpoint_running_ ? 2 : 1;
  backend_.parking().Park(*session_, id_, std::move(e));
  id_ = 0;
}

torrent::TorrentId PeerFetch::StopAndRelease() {
  torrent::TorrentId id = phase_ == Phase::kRunning ? id_ : 0;
  if (id != 0) {
    backend_.Unwatch(id);
    id_ = 0;
  }
  Stop();
  return id;
}

Status PeerFetch::StopAndSync(uint64_t* bytes) {
  Stop();
  Status s = staging_ ? staging_->Sync() : Status::OK();
  if (s.ok()) *bytes = durable_;
  return s;
}

}  // namespace ferry::transfer
