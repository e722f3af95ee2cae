// SeedCache: the service's seeding cache (issue 12 §4, docs/p2p.md "Seeding
// cache"). After a torrent or magnet file is fetched (trusted metadata: the
// info-hash the user gave), PeerFetch offers the finished staging file and
// the torrent's .torrent bytes; the cache copies the file into its own
// directory on a worker (reflink, else copy_file_range: the user's delivered
// file is never seeded in place), records it in the index (core::SeedIndex,
// the job database) and seeds it (Session::Seed, seed_mode: no recheck).
//
// Bounds: entries last used more than max_age ago go; then the least
// recently used until the total fits min(max_size_percent of the cache file
// system, absolute_max_size). Checked when an entry is added and every
// kCheckInterval on the engine clock. A file larger than the bound is not
// cached. "Used": cached, fetched again, or uploading to a peer.
//
// One torrent per info-hash in a session: a job fetching cached content
// replaces the seed (lib/torrent removes it); the cache seeds it again once
// the fetch is done (Wants), or at the next check.
//
// At Open the index is loaded and the entries still in bounds are seeded
// again; the session (and libtorrent) is created only when there is one, so
// an idle ferryd with an empty cache maps nothing of libtorrent.
//
// Engine thread only (the loop the session's events come on).
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/seed_cache.h"
#include "lib/torrent/session.h"
#include "sys/clock.h"
#include "sys/executor.h"
#include "sys/file_clone.h"
#include "sys/lifetime.h"
#include "transfer/p2p/cache_bounds.h"

namespace ferry::transfer {

class PeerBackend;

// A finished file the cache may keep.
struct SeedOffer {
  std::string key;  // info_hash_v1, else info_hash_v2
  std::string info_hash_v1, info_hash_v2;
  std::string name;
  uint64_t size = 0;
  std::string torrent;  // .torrent bytes (one file)
};

class SeedCache final : public core::SeedCacheControl {
 public:
  static constexpr std::chrono::seconds kCheckInterval{60};
  static constexpr std::chrono::seconds kUploadInterval{5};

  // `dir` is the cache directory (created 0700). Everything given must
  // outlive the cache. Destroy it after the loop has stopped: it writes the
  // upload counts not yet in the index.
  SeedCache(PeerBackend& backend, sys::Clock& clock, sys::Executor& loop, sys::Executor& workers,
            core::SeedIndex& index, std::string dir, CacheLimits limits);
  ~SeedCache() override;

  // Loads the index, drops what is gone or out of bounds, seeds the rest.
  Status Open();
  // True when a file of `size` bytes would be kept: not cached yet (a cached
  // one is marked used instead) and within the bound.
  bool Wants(const std::string& key, uint64_t size);
  // The path of a cached copy of a content id's bytes: an entry named `name`
  // (ContentTorrentName of the id's root) of `size` bytes, of any group (the
  // bytes are the same), marked used; "" when there is none. The caller
  // reads it on a worker; an eviction meanwhile only makes that read fail.
  std::string CopyOf(const std::string& name, uint64_t size);
  // True while an offer of the entry `name` of `size` bytes is being copied
  // in (CopyOf has it once that is done).
  bool Copying(const std::string& name, uint64_t size) const;
  // Copies `fd` (read-only, of the finished file) into the cache on a worker,
  // then indexes and seeds it.
  void Offer(SeedOffer offer, sys::SharedFd fd);
  // The session's events for torrents this cache seeds.
  bool Owns(torrent::TorrentId id) const { return seeding_.count(id) != 0; }
  void OnEvent(const torrent::Event& event);

  // core::SeedCacheControl
  std::vector<CacheEntry> ListCache() override;
  Status ClearCache() override;
  uint64_t CacheBytes() override;
  uint64_t CacheEntries() override { return entries_.size(); }

 private:
  // A name of its own per copy ("<key>.<n>.data"), so that the unlink of an
  // evicted entry (on a worker) never hits a newer copy of the same content.
  std::string DataPath(const std::string& key);
  uint64_t Bound() const { return CacheBound(limits_, fs_size_); }
  void Added(SeedOffer offer, std::string path, uint64_t fs_size);
  void Seed(core::SeedRecord& record);
  void Enforce();
  void Evict(const std::string& key);
  void Forget(torrent::TorrentId id);  // the seed is gone from the session
  void Persist(const core::SeedRecord& record);
  void ArmCheck();
  void OnCheck();
  void ArmUploads();
  void OnUploads();

  PeerBackend& backend_;
  sys::Clock& clock_;
  sys::Executor& loop_;
  sys::Executor& workers_;
  core::SeedIndex& index_;
  std::string dir_;
  CacheLimits limits_;
  uint64_t fs_size_ = 0;
  uint64_t copies_ = 0;  // DataPath's counter
  std::map<std::string, core::SeedRecord> entries_;
  std::map<std::string, torrent::TorrentId> ids_;  // key -> seeding torrent
  std::map<torrent::TorrentId, std::string> seeding_;
  std::map<torrent::TorrentId, uint64_t> seen_upload_;  // all_time_upload at the last look
  std::map<std::string, std::pair<std::string, uint64_t>> copying_;  // key -> name, size
  std::set<std::string> dirty_;  // uploads counted, not yet in the index
  sys::Clock::TimerId check_ = 0, uploads_ = 0;
  sys::Lifetime lifetime_;  // last: dies first
};

}  // namespace ferry::transfer
