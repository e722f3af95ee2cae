// The seeding cache's bounds as pure functions (docs/p2p.md "Seeding cache";
// do-download.md §4: max_cache_age, max_cache_size_percent,
// absolute_max_cache_size), so that they are tested from tables.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/seed_cache.h"
#include "sys/clock.h"

namespace ferry::transfer {

struct CacheLimits {
  std::chrono::seconds max_age{259200};  // by last use; 0: no age limit
  uint32_t max_size_percent = 20;        // of the cache file system's size
  uint64_t absolute_max_size = 0;        // bytes; 0: not set
  // ferryd's download_mode is LAN: entries of content ids (the torrents
  // derived from ids) are seeded to peers on private addresses only
  // (SeedParams::local_peers_only); torrents and magnets to anyone.
  bool content_lan_only = false;
};

// The most bytes the cache may hold: the percent of `fs_size`, or
// absolute_max_size when it is set and smaller.
uint64_t CacheBound(const CacheLimits& limits, uint64_t fs_size);

// The keys of `entries` to remove, in removal order: every entry last used
// more than max_age before `now`, then the least recently used until the
// rest fit in `bound`. Ties go by creation time, then key.
std::vector<std::string> Evictions(const std::vector<core::SeedRecord>& entries, sys::WallTime now,
                                   const CacheLimits& limits, uint64_t bound);

}  // namespace ferry::transfer
