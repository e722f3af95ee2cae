#include "transfer/p2p/peer_backend.h"

#include <algorithm>
#include <chrono>
#include <climits>

#include "lib/torrent/loop_binding.h"
#include "lib/torrent/module.h"
#include "transfer/p2p/content_fetch.h"
#include "transfer/p2p/peer_fetch.h"
#include "transfer/p2p/seed_cache.h"
#include "util/log.h"

namespace ferry::transfer {
namespace {
constexpr std::chrono::seconds kTick{1};
// How often the session's sent bytes go to the engine (SetSentCounter).
constexpr std::chrono::seconds kSentTick{1};

torrent::TorrentId IdOf(const torrent::Event& event) {
  return std::visit(
      [](const auto& e) -> torrent::TorrentId {
        if constexpr (requires { e.id; })
          return e.id;
        else
          return 0;
      },
      event);
}
}  // namespace

PeerBackend::PeerBackend(sys::EventLoop& loop, sys::Clock& clock, core::ByteSource* http,
                         PeerSettings settings)
    : loop_(loop),
      clock_(clock),
      http_(http),
      settings_(std::move(settings)),
      parking_(loop, clock) {}

PeerBackend::~PeerBackend() {
  if (tick_ != 0) clock_.Cancel(tick_);
  if (sent_tick_ != 0) clock_.Cancel(sent_tick_);
  binding_.reset();
  session_.reset();
}

std::unique_ptr<core::Fetch> PeerBackend::MakeFetch(std::unique_ptr<core::FetchHost> host,
                                                    uint32_t file) {
  // An http(s) file comes here only by its content id (core::PeerFirst).
  if (core::ChooseFetch(host->File().remote_url, host->File().local_name) ==
      core::FetchBackend::kHttp)
    return std::make_unique<ContentFetch>(*this, std::move(host), file);
  return std::make_unique<PeerFetch>(*this, std::move(host), file);
}

Result<torrent::Session*> PeerBackend::session() {
  if (session_) return session_.get();
  if (session_error_) return *session_error_;
  torrent::SessionSettings s;
  s.listen_port = settings_.listen_port;
  s.listen_addresses = settings_.listen_addresses;
  s.local_service_discovery = settings_.local_service_discovery;
  s.utp = settings_.utp;
  // One address to listen on (not a wildcard): connect from it too.
  if (settings_.listen_addresses.size() == 1 && settings_.listen_addresses[0] != "0.0.0.0" &&
      settings_.listen_addresses[0] != "[::]" && settings_.listen_addresses[0] != "::")
    s.outgoing_address = settings_.listen_addresses[0];
  // Web seeds go through ferry's HTTP engine and the job's settings
  // (PeerFetch's WebSeedFeeder), not libtorrent's client.
  s.libtorrent_web_seeds = false;
  std::string path =
      settings_.module_path.empty() ? torrent::InstalledModulePath() : settings_.module_path;
  auto created = torrent::CreateSession(s, path);
  if (!created.ok()) {
    log::Error("peer-to-peer is unavailable: {}", created.status().ToString());
    session_error_ = created.status();
    return created.status();
  }
  session_ = std::move(created.value());
  session_->SetEventHandler(lifetime_.Guard([this](const torrent::Event& e) { OnEvent(e); }));
  binding_ = std::make_unique<torrent::LoopBinding>(loop_, *session_);
  if (settings_.max_upload_rate != 0 || !upload_allowed_ || !internet_upload_allowed_)
    ApplyUploadLimits();
  ArmSentTick();
  log::Info("peer-to-peer session started (port {}, local service discovery {}, upload limit {})",
            settings_.listen_port, settings_.local_service_discovery ? "on" : "off",
            settings_.max_upload_rate == 0 ? std::string("none")
                                           : std::to_string(settings_.max_upload_rate) + " B/s");
  return session_.get();
}

void PeerBackend::SetUploadAllowed(bool allowed) {
  if (allowed == upload_allowed_) return;
  upload_allowed_ = allowed;
  log::Info("peer-to-peer: uploads {}", allowed ? "allowed" : "stopped (on battery)");
  if (session_) ApplyUploadLimits();
}

void PeerBackend::SetInternetUploadAllowed(bool allowed) {
  if (allowed == internet_upload_allowed_) return;
  internet_upload_allowed_ = allowed;
  log::Info("peer-to-peer: uploads to internet peers {}",
            allowed ? "allowed" : "stopped (monthly_upload_cap)");
  if (session_) ApplyUploadLimits();
}

void PeerBackend::ApplyUploadLimits() {
  int up = static_cast<int>(std::min<uint64_t>(settings_.max_upload_rate, INT_MAX));
  if (!upload_allowed_) up = 1;
  // Both classes: the global one skips peers on private addresses.
  session_->SetGlobalLimits(torrent::RateLimits{internet_upload_allowed_ ? up : 1, 0});
  session_->SetLocalPeerLimits(torrent::RateLimits{up, 0});
}

void PeerBackend::SetSentCounter(std::function<void(const core::PeerBytes&)> counter) {
  sent_counter_ = std::move(counter);
  if (session_) ArmSentTick();
}

void PeerBackend::ArmSentTick() {
  if (sent_tick_ != 0 || !sent_counter_) return;
  sent_tick_ = clock_.Schedule(clock_.Now() + kSentTick, lifetime_.Guard([this] { OnSentTick(); }));
}

void PeerBackend::OnSentTick() {
  sent_tick_ = 0;
  const torrent::SentTotals now = session_->Sent();
  core::PeerBytes bytes;
  bytes.lan = now.lan - sent_seen_.lan;
  bytes.group = now.group - sent_seen_.group;
  bytes.internet = now.internet - sent_seen_.internet;
  sent_seen_ = now;
  ArmSentTick();
  sent_counter_(bytes);
}

void PeerBackend::Watch(torrent::TorrentId id, PeerFetch* fetch) {
  fetches_[id] = fetch;
  ArmTick();
}

void PeerBackend::Unwatch(torrent::TorrentId id) { fetches_.erase(id); }

bool PeerBackend::ClaimContent(const std::string& content, const ContentFetch* fetch) {
  auto [it, added] = content_claims_.emplace(content, fetch);
  return added || it->second == fetch;
}

void PeerBackend::ReleaseContent(const std::string& content, const ContentFetch* fetch) {
  auto it = content_claims_.find(content);
  if (it != content_claims_.end() && it->second == fetch) content_claims_.erase(it);
}

const ContentFetch* PeerBackend::ContentOwner(const std::string& content) const {
  auto it = content_claims_.find(content);
  return it == content_claims_.end() ? nullptr : it->second;
}

void PeerBackend::OnEvent(const torrent::Event& event) {
  if (const auto* l = std::get_if<torrent::event::ListenSucceeded>(&event)) {
    log::Info("peer-to-peer listening on {} port {}", l->address, l->port);
    return;
  }
  if (const auto* l = std::get_if<torrent::event::ListenFailed>(&event)) {
    log::Warn("peer-to-peer cannot listen on {} port {}: {}", l->address, l->port, l->message);
    return;
  }
  if (std::holds_alternative<torrent::event::AlertsDropped>(event)) {
    log::Warn("peer-to-peer: libtorrent dropped alerts; peer statistics may be short");
    return;
  }
  const torrent::TorrentId id = IdOf(event);
  auto it = fetches_.find(id);
  if (it != fetches_.end())
    it->second->OnEvent(event);
  else if (parking_.Owns(id))
    parking_.OnEvent(event, id);
  else if (cache_ != nullptr && cache_->Owns(IdOf(event)))
    cache_->OnEvent(event);
}

void PeerBackend::ArmTick() {
  if (tick_ != 0) return;
  tick_ = clock_.Schedule(clock_.Now() + kTick, lifetime_.Guard([this] { OnTick(); }));
}

void PeerBackend::OnTick() {
  tick_ = 0;
  if (fetches_.empty() || !session_) return;
  session_->RequestStatus();
  // A fetch may unwatch itself (and end) in OnTick: iterate over a copy.
  std::vector<PeerFetch*> fetches;
  for (const auto& [id, f] : fetches_) fetches.push_back(f);
  for (PeerFetch* f : fetches)
    if (std::find_if(fetches_.begin(), fetches_.end(),
                     [f](const auto& kv) { return kv.second == f; }) != fetches_.end())
      f->OnTick();
  ArmTick();
}

}  // namespace ferry::transfer
