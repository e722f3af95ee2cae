// PeerFetch: one file of a job fetched from peers with libtorrent (the
// Fetch of PeerBackend; docs/p2p.md "Torrents and magnets as sources").
//
// The torrent is added to the backend's session with the file's staging file
// as the path of its one wanted file (AddParams::store_as), so pieces land in
// ferry's staging and nowhere else; the engine delivers it at Complete as it
// does an HTTP file. The source comes from the remote name: a magnet, a
// .torrent read from a local file, or a .torrent fetched over HTTP(S) through
// ferry's ByteSource (proxies, TLS settings). "#file=PATH" chooses the file.
//
// Progress, statistics (bytes from LAN and internet peers, exact from the
// PeerLedger; bytes to peers) and the rate limit are taken at each status
// update; at checkpoint intervals libtorrent's resume data is saved into the
// file's record (FileRecord::resume_data) after an fdatasync of the staging
// file, so that after a crash verified pieces are not fetched again; at Stop
// the torrent goes to the backend's TorrentParking, which saves it once more
// after the fetch is gone (and a later start of the file waits for it). The end
// is the Finished event: the .torrent bytes are asked for when the seeding
// cache wants the file, then the torrent is removed, staging synced, the file
// offered to the cache (SeedCache) and OnDone.
//
// Engine thread only, like every Fetch.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/fetch.h"
#include "lib/torrent/session.h"
#include "sys/lifetime.h"
#include "transfer/p2p/seed_cache.h"
#include "util/torrent_source.h"

namespace ferry::transfer {

class PeerBackend;
class WebSeedFeeder;

class PeerFetch final : public core::Fetch {
 public:
  PeerFetch(PeerBackend& backend, std::unique_ptr<core::FetchHost> host, uint32_t file);
  ~PeerFetch() override;

  uint32_t file() const override { return file_; }
  bool Begin(core::ErrorRecord* err) override;
  void Stop() override;
  Status StopAndSync(uint64_t* bytes) override;
  // The torrent follows FetchHost::RateLimit at each tick instead of the
  // engine's bandwidth rounds (libtorrent paces its peers itself).
  void SetPaused(bool) override {}
  void SetBandwidthQuota(int64_t) override {}

  // From the backend: an event of this fetch's torrent; a status tick.
  void OnEvent(const torrent::Event& event);
  void OnTick();

  // For ContentFetch, which may hand the file to HTTP: the bytes from the
  // start of the file that are verified, as of the last status update (HTTP
  // continues after them).
  uint64_t VerifiedPrefix() const;
  // All verified bytes, as of the last status update: a content torrent's
  // progress (its verified pieces only; others: libtorrent's done bytes).
  uint64_t VerifiedBytes() const;
  // Every piece is in: the fetch is making its file durable (and its torrent
  // file for the cache) before it reports done. No more bytes will come.
  bool Finishing() const { return phase_ == Phase::kFinishing; }
  // Copying the content from the host's own seeding cache (FromOwnCache),
  // or libtorrent checking what staging holds: busy with local work that
  // peers and the origin would not do faster.
  bool CheckingLocally() const;
  // What the peers of a content torrent say of the origin (empty until the
  // torrent is added).
  torrent::OriginView Origins() const;
  // Stops as Stop() does, but leaves the torrent in the session and returns
  // its id (0 when it has none yet): ContentFetch's OriginBeacon adopts it,
  // so that the peers stay connected while this host asks the origin.
  torrent::TorrentId StopAndRelease();

 private:
  class TorrentDownload;  // a .torrent over HTTP(S)
  enum class Phase { kIdle, kGettingTorrent, kRunning, kFinishing, kStopped };
  bool copying_from_cache_ = false;

  core::ErrorRecord MakeError(int32_t code, ErrorContext context, std::string message) const;
  // Adds the torrent (source bytes, or resume data when the record has it).
  void GetSource();        // magnet, local .torrent, or DownloadTorrent
  void DownloadTorrent();  // a .torrent over HTTP(S)
  // A content id the host's seeding cache holds: copies it into staging on a
  // worker, then AddTorrent(params) (cache_copy.h); false when not cached.
  bool FromOwnCache(const torrent::AddParams& params);
  void AddTorrent(torrent::AddParams params);
  void OnTorrentBytes(Result<std::string> bytes, bool transient);
  void OnStatus();
  // Adds the peer bytes counted since the last look to the file's stats
  // (received and sent) and the received ones to the service's totals (the
  // sent ones reach them through PeerBackend's SetSentCounter); true when
  // the stats changed.
  bool CountPeerBytes(const torrent::PeerLedger& ledger);
  // A content torrent of a group (Group mode with a group id): its peers on
  // private addresses count as group peers, not LAN peers.
  bool InGroup() const;
  void ApplyRateLimit();
  void FeedWebSeeds();
  void Checkpoint();
  void OnResumeData(std::string data);
  void Finish();
  bool AskForCache();  // true: Complete comes with the torrent file
  void Complete();     // syncs staging, offers the file to the cache, OnDone
  void Fail(core::ErrorRecord err, bool transient);
  void Detach();  // unwatch and remove the torrent (its staging stays)
  void Park();    // unwatch and hand the torrent to the backend's TorrentParking
  const torrent::FileEntry* Target(const torrent::TorrentStatus& st) const;
  void Expand(const torrent::TorrentStatus& st);

  PeerBackend& backend_;
  std::unique_ptr<core::FetchHost> host_;
  uint32_t file_;
  Guid job_id_;
  TorrentSource source_;
  bool expanding_ = false;  // the local name is a directory (ReplaceWithParts)
  bool content_ = false;    // an HTTP file by its content id (ContentFetch's peers)
  std::string staging_path_;
  std::shared_ptr<core::StagingFile> staging_;
  torrent::Session* session_ = nullptr;
  torrent::TorrentId id_ = 0;
  Phase phase_ = Phase::kIdle;
  std::unique_ptr<TorrentDownload> download_;
  std::unique_ptr<WebSeedFeeder> web_seeds_;  // once the torrent has metadata and web seeds
  sys::WallTime last_peer_bytes_{};           // when peers last sent bytes (or the add)
  bool responded_ = false;
  std::optional<SeedOffer> offer_;  // for the seeding cache, at Finished
  // What the ledger had counted when last looked at (this session's torrent
  // starts from zero; the record keeps earlier sessions').
  torrent::LedgerTotals seen_;
  uint64_t rate_limit_ = 0;
  sys::WallTime last_checkpoint_{};
  bool checkpoint_running_ = false;
  uint64_t checkpoint_bytes_ = 0;  // verified bytes when the resume data was asked for
  uint64_t durable_ = 0;           // verified bytes covered by stored resume data
  uint64_t checkpoint_verified_ = 0;  // VerifiedBytes() at the last checkpoint asked for
  sys::Lifetime lifetime_;         // last: dies first
};

}  // namespace ferry::transfer
