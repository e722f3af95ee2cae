// PeerBackend: torrents and magnets as sources (issue 12 §3, docs/p2p.md
// "Torrents and magnets as sources"). The engine's FetchMaker for remote
// names ChooseFetch gives to peers; each file becomes a PeerFetch on one
// torrent::Session that this backend creates at the first torrent — not when
// ferryd starts, so that an idle ferryd never maps libtorrent — and keeps.
//
// The backend routes the session's events to the fetch of each torrent and,
// while any fetch runs, asks for status updates once a second (the fetches
// turn them into progress, statistics, rate limits and checkpoints).
//
// Threads: the engine thread only (the loop the session's events come on).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "core/fetch.h"
#include "lib/torrent/session.h"
#include "sys/clock.h"
#include "sys/event_loop.h"
#include "sys/lifetime.h"
#include "transfer/p2p/cache_bounds.h"
#include "transfer/p2p/torrent_parking.h"
#include "util/result.h"

namespace ferry::torrent {
class LoopBinding;
}

namespace ferry::transfer {

class ContentFetch;
class PeerFetch;
class SeedCache;

struct PeerSettings {
  uint16_t listen_port = 7680;  // DO's port
  std::vector<std::string> listen_addresses = {"0.0.0.0", "[::]"};
  bool local_service_discovery = true;
  bool utp = false;  // torrent::SessionSettings::utp
  // libferry-torrent.so; "" is the installed one (torrent::InstalledModulePath).
  std::string module_path;
  // The seeding cache (SeedCache): its directory ("" none) and bounds.
  std::string cache_dir;
  CacheLimits cache;
  // Upload limit in bytes/s for the session's global class and the local
  // peer class (peers on private addresses); 0 = unlimited.
  uint64_t max_upload_rate = 0;
};

class PeerBackend final : public core::FetchMaker {
 public:
  // `http` fetches .torrent files named by http(s) URLs (may be null: such
  // files then fail). Everything given must outlive the backend.
  PeerBackend(sys::EventLoop& loop, sys::Clock& clock, core::ByteSource* http,
              PeerSettings settings);
  ~PeerBackend() override;

  std::unique_ptr<core::Fetch> MakeFetch(std::unique_ptr<core::FetchHost> host,
                                         uint32_t file) override;
  // Not allowed: every peer class of the session uploads at most 1 byte/s
  // (libtorrent has no "off": 0 is unlimited), so no block leaves (a 16 KiB
  // block would take hours; peers give up on it and go elsewhere). Allowed:
  // max_upload_rate again. Applied now, or when the session starts.
  void SetUploadAllowed(bool allowed) override;
  // Not allowed: the global class (peers on public addresses) uploads at
  // most 1 byte/s, as above; the local class keeps its limit.
  void SetInternetUploadAllowed(bool allowed) override;
  // The session's Sent() totals go to `counter` as differences, every
  // kSentTick while a session exists (zeros included).
  void SetSentCounter(std::function<void(const core::PeerBytes&)> counter) override;
  // The parked torrents' resume data (TorrentParking::Drain).
  void Drain(std::chrono::milliseconds budget) override { parking_.Drain(budget); }

  // --- for PeerFetch ---
  // The session, created (and the module loaded) at the first call. Its
  // error (E_UNEXPECTED: no module, refused settings) is kept and returned
  // again.
  Result<torrent::Session*> session();
  core::ByteSource* http() { return http_; }
  // The seeding cache finished files are offered to (nullptr: none).
  SeedCache* cache() { return cache_; }
  void SetCache(SeedCache* cache) { cache_ = cache; }
  const PeerSettings& settings() const { return settings_; }
  sys::Clock& clock() { return clock_; }
  // Events of torrent `id` go to `fetch` until Unwatch.
  void Watch(torrent::TorrentId id, PeerFetch* fetch);
  void Unwatch(torrent::TorrentId id);
  // Stopped fetches' torrents until their resume data is stored.
  TorrentParking& parking() { return parking_; }

  // --- for ContentFetch: one fetch per content on this host ---
  // `content` names the bytes: the id's torrent name and size, of any
  // group (ContentFetch::Claim). True
  // when `fetch` holds the claim on it now: it had it, or nobody did.
  bool ClaimContent(const std::string& content, const ContentFetch* fetch);
  // Drops `fetch`'s claim (nothing when another fetch holds it).
  void ReleaseContent(const std::string& content, const ContentFetch* fetch);
  // The fetch holding the claim on `content`; nullptr when none.
  const ContentFetch* ContentOwner(const std::string& content) const;

 private:
  void ApplyUploadLimits();
  void OnEvent(const torrent::Event& event);
  void ArmTick();
  void OnTick();
  void ArmSentTick();
  void OnSentTick();

  sys::EventLoop& loop_;
  sys::Clock& clock_;
  core::ByteSource* http_;
  PeerSettings settings_;
  std::unique_ptr<torrent::Session> session_;
  std::unique_ptr<torrent::LoopBinding> binding_;
  std::optional<Status> session_error_;
  std::map<torrent::TorrentId, PeerFetch*> fetches_;
  std::map<std::string, const ContentFetch*> content_claims_;
  TorrentParking parking_;
  SeedCache* cache_ = nullptr;
  bool upload_allowed_ = true;
  bool internet_upload_allowed_ = true;
  sys::Clock::TimerId tick_ = 0;
  std::function<void(const core::PeerBytes&)> sent_counter_;
  torrent::SentTotals sent_seen_;  // Sent() at the last OnSentTick
  sys::Clock::TimerId sent_tick_ = 0;
  sys::Lifetime lifetime_;  // last: dies first
};

}  // namespace ferry::transfer
