// Statistics: what a file's FileStats and the service's totals count, and
// when "this month" rolls over (docs/statistics.md).
//
// Counting rule: bytes are counted as they are received from a transfer
// (before they are written), in the file's stats and in the totals at once;
// both are committed by the same group commit, so after a crash they agree
// and lag what was received by at most what the last commit missed. Nothing
// here is ever recomputed from the files, so a byte is counted once per time
// it was received. Engine thread only.
#pragma once

#include <cstdint>

#include "core/ports.h"
#include "ferry/types.h"
#include "sys/clock.h"

namespace ferry::core {

// The month of `t` in the process's local time zone, as YYYYMM.
uint32_t LocalMonth(sys::WallTime t);
// The first instant of the local month that follows `t`'s.
sys::WallTime NextLocalMonth(sys::WallTime t);

// Bytes received from (or sent to) peers, by kind (FileStats): on the local
// network, in the host's group (Group mode: peers that share its group id),
// elsewhere.
struct PeerBytes {
  uint64_t lan = 0;
  uint64_t group = 0;
  uint64_t internet = 0;
  uint64_t total() const { return lan + group + internet; }
};

// The service's totals, with the calendar-month rollover.
class StatisticsBook {
 public:
  // What the store holds (at recovery).
  void Load(const ServiceStatistics& stored);
  // Starts a new month when `now` is in a later local month than
  // this_month: this_month is zeroed (all_time keeps counting). A clock set
  // back into an earlier month does not roll back. Cheap when not due.
  void Roll(sys::WallTime now);
  // n bytes received from the origin (http, https, file).
  void AddFromOrigin(uint64_t n, sys::WallTime now);
  // n bytes received from a cache server (policy.md §4).
  void AddFromCacheServer(uint64_t n, sys::WallTime now);
  // Bytes received from peers on the local network, in the group and on the
  // internet.
  void AddFromPeers(const PeerBytes& bytes, sys::WallTime now);
  // Bytes sent to peers on the local network, in the group and on the
  // internet (uploads of fetches and of the seeding cache alike).
  void AddToPeers(const PeerBytes& bytes, sys::WallTime now);
  // One file completed.
  void AddDownload(sys::WallTime now);

  const ServiceStatistics& totals() const { return totals_; }
  // Changed since the last MarkCommitted().
  bool dirty() const { return dirty_; }
  void MarkCommitted() { dirty_ = false; }

 private:
  ServiceStatistics totals_;
  sys::WallTime month_end_{};  // Roll's next due time; epoch: not computed yet
  bool dirty_ = false;
};

// n bytes received from the origin for a file.
inline void CountFromOrigin(FileStats* stats, uint64_t n) {
  stats->bytes_from_http += n;
  stats->total_bytes_downloaded += n;
}

// n bytes received from a cache server for a file.
inline void CountFromCacheServer(FileStats* stats, uint64_t n) {
  stats->bytes_from_cache_server += n;
  stats->total_bytes_downloaded += n;
}

// A file's stats as a reader gets them: the counted fields as kept, plus
// what is derived from the job (file size, status).
FileStats FileStatsOf(const JobRecord& job, uint32_t file);

}  // namespace ferry::core
