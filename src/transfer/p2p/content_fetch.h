// ContentFetch: an HTTP file with a content id, fetched from peers first with
// its origin behind them (issue 13; docs/peering.md). The engine sends such a
// file here when core::PeerFirst says so (a peering download_mode, a content
// id of at least min_file_size_to_peer bytes, no ranges).
//
// Two phases, one Fetch to the engine:
//  1. Peers: a PeerFetch on the torrent derived from the id (ContentSpecFor;
//     pieces requested rarest first, each verified against the id's pieces
//     root; the file's count is every verified piece).
//     It lasts while peers send, or while a peer is fetching the content
//     from the origin (its OriginReport grows: this host waits for it
//     rather than asking the origin too). When neither happened for the
//     peers-first delay (delay_foreground_http for foreground jobs,
//     delay_background_http otherwise; plus kHandoverGrace after a peer's
//     origin fetch stopped, which is how one that finished looks until its
//     cache seeds; plus kRankStagger per peer of a lower rank, so that hosts
//     starting together take turns) — or when the peers' torrent fails for
//     any reason but a local one, the file goes to
//  2. HTTP: core's Attempt on the origin (and cache servers), continuing from
//     the verified prefix the peers left in staging (the count goes back to
//     it); the id's size and root are checked at the end as for any file
//     with an id. Verified pieces beyond the prefix are fetched again. An
//     OriginBeacon tells the peers meanwhile.
// A file that has staged bytes but no peers' resume data (a restart or retry
// of phase 2) starts in phase 2.
//
// One fetch per content on a host (docs/peering.md "Two jobs of one
// content"): a fetch starting afresh while another job's fetch of the same
// bytes runs here (PeerBackend::ClaimContent) waits for it, then begins as
// usual, which copies the content from the seeding cache (PeerFetch::
// FromOwnCache) once the other has put it there. It waits while the other
// makes progress, or the cache copies its file in; after the peers-first
// delay plus kHandoverGrace without either it begins anyway (its torrent
// cannot join the other's, so it goes to the origin).
//
// Either way the finished file is offered to the seeding cache, which seeds
// it under the derived torrent, so that later hosts get it from this one.
// Statistics: bytes from peers (PeerFetch) and from HTTP (Attempt) add up in
// the file's FileStats; download_mode is the configured mode.
//
// Engine thread only, like every Fetch.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/fetch.h"
#include "lib/torrent/session.h"
#include "sys/lifetime.h"

namespace ferry::transfer {

class OriginBeacon;
class PeerBackend;
class PeerFetch;

// How long a host waits, beyond the delay, after a peer's origin fetch
// stopped growing (it finished: its cache copies and checks the file before
// seeding), and per peer that ranks before it.
inline constexpr std::chrono::seconds kHandoverGrace{10};
inline constexpr std::chrono::seconds kRankStagger{3};
// Peers' origin reports cannot be checked: a host waits on them at most for
// the delay plus the file's time at this rate (bytes/s), and only until they
// add up to twice the file; then it asks the origin itself.
inline constexpr uint64_t kSlowestOrigin = 1 << 20;

// The torrent of `file`'s content id under `peering`: the group id and the
// trackers only in Group and Internet modes. E_INVALIDARG for a file without
// a valid id.
Result<torrent::ContentSpec> ContentSpecFor(const core::FileRecord& file,
                                            const core::PeeringConfig& peering);

class ContentFetch final : public core::Fetch {
 public:
  ContentFetch(PeerBackend& backend, std::unique_ptr<core::FetchHost> host, uint32_t file);
  ~ContentFetch() override;

  uint32_t file() const override { return file_; }
  bool Begin(core::ErrorRecord* err) override;
  void Stop() override;
  Status StopAndSync(uint64_t* bytes) override;
  void SetPaused(bool paused) override;
  void SetBandwidthQuota(int64_t bytes) override;

  // For a fetch waiting on this one: the file's count, and its job.
  uint64_t Progress() const { return host_->File().bytes_transferred; }
  const Guid& JobId() const { return host_->Job().id; }

 private:
  class Relay;  // the FetchHost of the inner fetch
  enum class Phase { kIdle, kWaiting, kPeers, kHttp, kStopped };

  std::chrono::seconds Delay();
  // Claims this fetch's content (claim_); true when it holds the claim.
  bool Claim();
  void Release();
  // Phase 1, or phase 2 when the peers cannot start.
  bool BeginPeers(core::ErrorRecord* err);
  // While another fetch of this host has the content: waits for it.
  void WatchOwner();
  void ArmWatch();
  void OnWatch();
  void WatchPeers();
  // True when `view` shows a peer's origin fetch progressing that this host
  // still waits on (kSlowestOrigin).
  bool OriginProgress(const torrent::OriginView& view, sys::WallTime now);
  // Phase 2: tells the peers (OriginBeacon), when the session can.
  void StartBeacon();
  // Phase 2: stops the peers (if running) and starts the Attempt.
  void ToHttp(const std::string& why);
  bool BeginHttp(core::ErrorRecord* err);
  // From the Relay: the inner fetch ended.
  void OnInnerDone();
  void OnInnerFailed(core::ErrorRecord error, bool transient,
                     std::optional<std::chrono::seconds> retry_after);
  void OfferToCache();
  // Keeps an inner fetch that ended until a later loop turn (never destroyed
  // inside its own call), or until this fetch goes.
  void Retire(std::unique_ptr<core::Fetch> fetch);

  PeerBackend& backend_;
  std::unique_ptr<core::FetchHost> host_;
  uint32_t file_;
  Phase phase_ = Phase::kIdle;
  std::unique_ptr<core::Fetch> inner_;
  PeerFetch* peers_ = nullptr;  // inner_ in phase 1
  std::vector<std::unique_ptr<core::Fetch>> retired_;
  bool paused_ = false;
  uint64_t seen_ = 0;              // the torrent's verified bytes at the last look (phase 1)
  uint64_t seen_fetched_ = 0;      // OriginView::fetched at the last look
  torrent::OriginView last_view_;  // for the debug log
  bool handover_ = false;          // the last progress was a peer's origin fetch
  std::optional<sys::WallTime> waiting_since_;  // first origin progress waited on
  uint64_t fetched_at_wait_ = 0;
  bool watch_armed_ = false;
  sys::WallTime last_progress_{};
  std::unique_ptr<OriginBeacon> beacon_;  // phase 2
  torrent::TorrentId adopt_ = 0;          // the peers' torrent, for the beacon
  // The claim on this file's bytes: "<torrent name>/<size>" ("" none).
  std::string claim_;
  std::string content_name_;  // ContentTorrentName of the id's root
  uint64_t content_size_ = 0;
  uint64_t owner_seen_ = 0;  // the owner's Progress at the last look
  sys::Lifetime lifetime_;   // last: dies first
};

}  // namespace ferry::transfer
